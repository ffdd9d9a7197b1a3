//! Word of changes to users and tokens, for a server that keeps checked tokens in memory.
//!
//! On PostgreSQL every write to `users` or `api_tokens` notifies `permanence_credentials`
//! (migration 000100), from whichever process made it. SQLite has no such channel, so
//! [`Store::credential_changes`] answers `None` there and a server looks every token up.

use crate::{Backend, Store, StoreError};
use sea_orm::sqlx::postgres::PgListener;

/// The channel the migration's trigger notifies.
pub const CREDENTIALS_CHANNEL: &str = "permanence_credentials";

/// What the listener heard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialChange {
    /// A user or a token changed (committed).
    Changed,
    /// The connection was lost and is back, listening again: changes made in between were
    /// not heard, so anything remembered from before must be forgotten.
    Reconnected,
}

/// A connection of its own that listens on [`CREDENTIALS_CHANNEL`].
pub struct CredentialListener {
    listener: PgListener,
}

impl std::fmt::Debug for CredentialListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialListener")
    }
}

impl CredentialListener {
    /// Waits for the next change. An error means the connection is lost and could not be
    /// made again: the caller forgets what it remembers, and connects anew later.
    pub async fn next(&mut self) -> Result<CredentialChange, StoreError> {
        // `try_recv` reconnects (and listens again) before it reports a lost connection.
        match self.listener.try_recv().await {
            Ok(Some(_)) => Ok(CredentialChange::Changed),
            Ok(None) => Ok(CredentialChange::Reconnected),
            Err(e) => Err(StoreError::Database(format!(
                "listening for credential changes: {e}"
            ))),
        }
    }
}

impl Store {
    /// A listener for changes to users and tokens, already listening when it is returned;
    /// `None` on SQLite, which has no notifications.
    pub async fn credential_changes(&self) -> Result<Option<CredentialListener>, StoreError> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let unavailable =
            |e: sea_orm::sqlx::Error| StoreError::Database(format!("credential listener: {e}"));
        let mut listener = PgListener::connect(&self.url).await.map_err(unavailable)?;
        listener
            .listen(CREDENTIALS_CHANNEL)
            .await
            .map_err(unavailable)?;
        Ok(Some(CredentialListener { listener }))
    }
}
