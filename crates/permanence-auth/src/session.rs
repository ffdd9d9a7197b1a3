//! Sessions for the pages: a random secret in an HttpOnly cookie, stored only as its hash
//! (like a bearer token), with an idle and an absolute expiry, and a CSRF token of its own.
//!
//! The rules are here; the store keeps the rows and the web layer sets the cookie.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use subtle::ConstantTimeEq;

use crate::error::AuthError;
use crate::token::hash_token;

/// How long a session lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Signed out after this long without a request.
    pub idle: Duration,
    /// Signed out this long after signing in, however busy.
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    /// Half an hour idle (a shared office, a laptop left open), a working day in all.
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(10 * 60 * 60),
        }
    }
}

/// Whether a stored session may still be used at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionStatus {
    Live,
    /// No request for longer than the idle expiry.
    Idle,
    /// Past the absolute expiry.
    Expired,
    /// Signed out, or revoked by an administrator.
    Revoked,
}

impl SessionStatus {
    pub fn at(
        policy: &SessionPolicy,
        created_at: DateTime<Utc>,
        last_seen_at: DateTime<Utc>,
        revoked_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Self {
        let elapsed = |since: DateTime<Utc>| (now - since).to_std().unwrap_or(Duration::ZERO);
        if revoked_at.is_some_and(|at| at <= now) {
            SessionStatus::Revoked
        } else if elapsed(created_at) >= policy.absolute {
            SessionStatus::Expired
        } else if elapsed(last_seen_at) >= policy.idle {
            SessionStatus::Idle
        } else {
            SessionStatus::Live
        }
    }

    pub fn is_live(self) -> bool {
        self == SessionStatus::Live
    }
}

/// A new session: the secret goes in the cookie, the hash in the store, and the CSRF token
/// in every form of the session's pages.
#[derive(Clone)]
pub struct NewSession {
    pub secret: String,
    pub hash: String,
    pub csrf_token: String,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewSession(<redacted>)")
    }
}

fn random_text() -> Result<String, AuthError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| AuthError::RandomUnavailable)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Makes a session's secret and CSRF token from the operating system's random numbers.
pub fn new_session() -> Result<NewSession, AuthError> {
    let secret = random_text()?;
    Ok(NewSession {
        hash: hash_session_secret(&secret),
        secret,
        csrf_token: random_text()?,
    })
}

/// The stored form of a session's secret (SHA-256, as for tokens: 256 random bits).
pub fn hash_session_secret(secret: &str) -> String {
    hash_token(secret)
}

/// Whether a form's CSRF token is the session's, compared in constant time. An empty token
/// never matches.
pub fn csrf_matches(presented: &str, expected: &str) -> bool {
    !presented.is_empty() && bool::from(presented.as_bytes().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0)
            .single()
            .expect("date")
            + chrono::Duration::minutes(minutes)
    }

    #[test]
    fn a_session_expires_when_idle_or_old_or_revoked() {
        let policy = SessionPolicy::default();
        let status = |last_seen: i64, revoked: Option<i64>, now: i64| {
            SessionStatus::at(&policy, at(0), at(last_seen), revoked.map(at), at(now))
        };
        assert_eq!(status(0, None, 29), SessionStatus::Live);
        assert_eq!(status(0, None, 30), SessionStatus::Idle);
        assert_eq!(status(580, None, 599), SessionStatus::Live);
        assert_eq!(status(590, None, 600), SessionStatus::Expired);
        assert_eq!(status(10, Some(15), 20), SessionStatus::Revoked);
        assert_eq!(status(10, Some(25), 20), SessionStatus::Live);
    }

    #[test]
    fn secrets_are_random_and_stored_hashed() {
        let a = new_session().expect("session");
        let b = new_session().expect("session");
        assert_ne!(a.secret, b.secret);
        assert_ne!(a.csrf_token, b.csrf_token);
        assert_eq!(a.hash, hash_session_secret(&a.secret));
        assert_ne!(a.hash, a.secret);
        assert!(!format!("{a:?}").contains(&a.secret));
    }

    #[test]
    fn csrf_tokens_match_exactly() {
        let s = new_session().expect("session");
        assert!(csrf_matches(&s.csrf_token, &s.csrf_token));
        assert!(!csrf_matches("", ""));
        assert!(!csrf_matches(&s.csrf_token[1..], &s.csrf_token));
        assert!(!csrf_matches("x", &s.csrf_token));
    }
}
