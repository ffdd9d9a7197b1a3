//! The tokens this server has checked, kept in memory while PostgreSQL can say when any of
//! them changes.
//!
//! Every API request presents a token, and looking it up (the token and its user, one
//! indexed query) is a round trip to the database before any work begins. Here a server on
//! PostgreSQL remembers what it found, and forgets *everything* it remembers the moment any
//! user or token changes anywhere: the database notifies `permanence_credentials` on every
//! committed write to `users` or `api_tokens` (migration 000100), whichever process made it,
//! and a task here listens. So a revoked token, a disabled user or a changed role is honoured
//! for no longer than the notification takes to arrive (milliseconds), not for a lifetime.
//!
//! What is remembered is the stored rows, not a verdict: expiry, revocation and a disabled
//! user are checked again on every request, against the request's own clock.
//!
//! Failing safe:
//! - nothing is remembered while the listener is not connected (at start, after a lost
//!   connection): every request then looks its token up, as without the cache;
//! - on a reconnection everything is forgotten, since changes in the gap went unheard;
//! - a look-up that began before a change may not store what it read (a generation number
//!   moves on every change), so a row read just before a revocation is never kept after it;
//! - an entry is kept [`REMEMBER_FOR`] at most, in case a notification is ever lost unseen.
//!
//! SQLite has no notifications, and its look-up is in process: a server on SQLite keeps
//! nothing and looks every token up.

use permanence_engine::store::{CredentialChange, Store, StoreError, TokenRecord, UserRecord};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Longest an entry is kept, even with no change heard.
pub(crate) const REMEMBER_FOR: Duration = Duration::from_secs(60);

/// Entries kept at most; at the limit everything is forgotten and the cache fills again.
const MAX_ENTRIES: usize = 10_000;

/// How long to wait before listening again after the listener's connection failed.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// A token's stored row and its user's, as the database gave them.
pub(crate) type TokenAndUser = Arc<(UserRecord, TokenRecord)>;

/// A handle on the process's token cache. Cloning it shares the one cache; the listener
/// stops when every handle is gone.
#[derive(Clone)]
pub(crate) struct TokenCache {
    shared: Arc<Shared>,
    _stop: Arc<oneshot::Sender<()>>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Look-ups that went to the store, for tests.
    store_reads: AtomicU64,
}

#[derive(Default)]
struct State {
    /// True while the listener is connected and listening: only then is anything kept.
    listening: bool,
    /// Moves on at every change heard and every (re)connection.
    generation: u64,
    /// By the token's hash.
    entries: HashMap<String, Remembered>,
}

struct Remembered {
    found: TokenAndUser,
    at: Instant,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves nothing half-written that matters here.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets everything, and refuses what look-ups already under way would store.
    fn forget_all(&self, listening: bool) {
        let mut state = self.state();
        state.generation += 1;
        state.entries.clear();
        state.listening = listening;
    }
}

impl TokenCache {
    /// Starts listening for changes to users and tokens on the current tokio runtime (on
    /// PostgreSQL; on SQLite the listener ends at once and nothing is ever kept).
    pub(crate) fn spawn(store: Store) -> Self {
        let shared = Arc::new(Shared::default());
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(listen(store, Arc::clone(&shared), stopped));
        Self {
            shared,
            _stop: Arc::new(stop),
        }
    }

    /// The token with this hash and its user: remembered, or read from the store (and then
    /// remembered, when nothing changed while it was read).
    pub(crate) async fn user_for_token(
        &self,
        store: &Store,
        token_hash: &str,
    ) -> Result<Option<TokenAndUser>, StoreError> {
        let generation = {
            let state = self.shared.state();
            if state.listening
                && let Some(remembered) = state.entries.get(token_hash)
                && remembered.at.elapsed() < REMEMBER_FOR
            {
                return Ok(Some(Arc::clone(&remembered.found)));
            }
            state.generation
        };
        self.shared.store_reads.fetch_add(1, Ordering::Relaxed);
        let Some(found) = store.user_for_token(token_hash).await? else {
            // Unknown tokens are not remembered: every guess costs its look-up, as before.
            return Ok(None);
        };
        let found = Arc::new(found);
        let mut state = self.shared.state();
        if state.listening && state.generation == generation {
            if state.entries.len() >= MAX_ENTRIES {
                state.entries.clear();
            }
            state.entries.insert(
                token_hash.to_owned(),
                Remembered {
                    found: Arc::clone(&found),
                    at: Instant::now(),
                },
            );
        }
        Ok(Some(found))
    }

    /// Whether the cache is keeping entries (its listener is connected).
    #[cfg(test)]
    fn is_listening(&self) -> bool {
        self.shared.state().listening
    }

    /// How many look-ups went to the store.
    #[cfg(test)]
    fn store_reads(&self) -> u64 {
        self.shared.store_reads.load(Ordering::Relaxed)
    }
}

/// The listener: keeps a connection listening on PostgreSQL and forgets everything at each
/// change it hears; connects again when the connection fails, keeping nothing meanwhile.
async fn listen(store: Store, shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    loop {
        let connected = tokio::select! {
            _ = &mut stop => return,
            connected = store.credential_changes() => connected,
        };
        match connected {
            // SQLite: no notifications, so nothing is ever kept.
            Ok(None) => return,
            Ok(Some(mut listener)) => {
                // Listening from here on: what is stored from now will be heard changing.
                shared.forget_all(true);
                loop {
                    let heard = tokio::select! {
                        _ = &mut stop => return,
                        heard = listener.next() => heard,
                    };
                    match heard {
                        Ok(CredentialChange::Changed | CredentialChange::Reconnected) => {
                            shared.forget_all(true);
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "token cache: listener lost; looking every token up until it is back");
                            break;
                        }
                    }
                }
                shared.forget_all(false);
            }
            Err(e) => {
                tracing::warn!(error = %e, "token cache: cannot listen for credential changes; looking every token up");
            }
        }
        tokio::select! {
            _ = &mut stop => return,
            () = tokio::time::sleep(RECONNECT_AFTER) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use permanence_auth::{Role, hash_token};
    use permanence_engine::store::NewUser;
    use permanence_testkit::FreshDatabase;

    async fn user_with_token(store: &Store) -> (UserRecord, TokenRecord, String) {
        let user = store
            .create_user(
                &NewUser {
                    username: "sw.cache".into(),
                    display_name: "A social worker".into(),
                    role: Role::SocialWorker,
                    teams: vec!["North".into()],
                    local_authorities: vec!["E10000003".into()],
                },
                Utc::now(),
            )
            .await
            .expect("a user");
        let hash = hash_token("pmt_the-cache-test-token");
        let token = store
            .issue_token(user.id, &hash, None, None, Utc::now())
            .await
            .expect("a token");
        (user, token, hash)
    }

    /// Polls `check` every 20 ms for up to 10 s (far less than `REMEMBER_FOR`, so a change
    /// seen in time was heard, not timed out).
    async fn within_ten_seconds(mut check: impl AsyncFnMut() -> bool) -> bool {
        for _ in 0..500 {
            if check().await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    /// On PostgreSQL a token is read once while nothing changes; a revocation and a disabled
    /// user, made through another connection as the commands make them, are seen at once.
    #[tokio::test]
    async fn on_postgres_changes_made_elsewhere_are_heard() {
        let database = FreshDatabase::create()
            .await
            .expect("a fresh PostgreSQL database");
        let store = Store::connect(database.url()).await.expect("connects");
        store.migrate().await.expect("migrates");
        let (user, token, hash) = user_with_token(&store).await;
        let cache = TokenCache::spawn(store.clone());
        assert!(
            within_ten_seconds(async || cache.is_listening()).await,
            "the listener connects"
        );

        for _ in 0..3 {
            let found = cache
                .user_for_token(&store, &hash)
                .await
                .expect("reads the token")
                .expect("the token is known");
            assert_eq!(found.1.id, token.id);
            assert!(found.1.revoked_at.is_none());
        }
        assert_eq!(cache.store_reads(), 1, "read once, then remembered");

        // Another process's connection: the `token revoke` command.
        let elsewhere = Store::connect(database.url()).await.expect("connects");
        assert!(
            elsewhere
                .revoke_token(token.id, Utc::now())
                .await
                .expect("revokes")
        );
        let heard = within_ten_seconds(async || {
            let found = cache
                .user_for_token(&store, &hash)
                .await
                .expect("reads the token")
                .expect("the token is known");
            found.1.revoked_at.is_some()
        })
        .await;
        assert!(heard, "the revocation reaches the cache");

        assert!(
            elsewhere
                .disable_user(user.id, Utc::now())
                .await
                .expect("disables")
        );
        let heard = within_ten_seconds(async || {
            let found = cache
                .user_for_token(&store, &hash)
                .await
                .expect("reads the token")
                .expect("the token is known");
            found.0.disabled_at.is_some()
        })
        .await;
        assert!(heard, "the disabled user reaches the cache");
        drop(cache);
        database.drop_database().await.expect("drops the database");
    }

    /// On SQLite nothing is kept: every request reads its token.
    #[tokio::test]
    async fn on_sqlite_every_look_up_reads_the_store() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("t.sqlite").display()
        );
        let store = Store::connect(&url).await.expect("connects");
        store.migrate().await.expect("migrates");
        let (_, token, hash) = user_with_token(&store).await;
        let cache = TokenCache::spawn(store.clone());
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!cache.is_listening());
        for _ in 0..3 {
            let found = cache
                .user_for_token(&store, &hash)
                .await
                .expect("reads the token")
                .expect("the token is known");
            assert_eq!(found.1.id, token.id);
        }
        assert_eq!(cache.store_reads(), 3);
        assert!(
            cache
                .user_for_token(&store, "unknown")
                .await
                .expect("reads the token")
                .is_none()
        );
    }
}
