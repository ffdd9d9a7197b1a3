//! Bearer tokens issued by `permanence user add`: made here, shown once, stored only as a hash.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::AuthError;

/// Every token this service issues starts with this, so that a leaked one is recognisable
/// (secret scanners, logs) and told apart from a signed token (JWT) at a glance.
pub const TOKEN_PREFIX: &str = "pmt_";

/// Random bytes in a token: 256 bits, beyond guessing.
const TOKEN_BYTES: usize = 32;

/// Longest credential considered at all, so that a huge header costs nothing to refuse.
pub const MAX_CREDENTIAL_LEN: usize = 8 * 1024;

/// A token's secret, shown to the user once. Its `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSecret(String);

impl TokenSecret {
    /// The secret itself, to print once to the person who asked for it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecret(<redacted>)")
    }
}

/// A new token: the secret for the user, the hash for the store.
#[derive(Clone, Debug)]
pub struct NewToken {
    pub secret: TokenSecret,
    /// SHA-256 of the secret, lowercase hex: what the store keeps and looks tokens up by.
    pub hash: String,
}

/// Makes a token from 32 bytes of the operating system's random number generator:
/// `pmt_` and the bytes in unpadded base64url (47 characters in all).
pub fn new_token() -> Result<NewToken, AuthError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|_| AuthError::RandomUnavailable)?;
    let secret = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash_token(&secret);
    Ok(NewToken {
        secret: TokenSecret(secret),
        hash,
    })
}

/// The stored form of a token: SHA-256 of the whole presented string, lowercase hex. A fast
/// hash is right here (unlike for passwords): the secret has 256 random bits, so there is
/// nothing to brute-force, and a lookup by hash keeps authentication one indexed query.
pub fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether a presented token matches a stored hash, compared in constant time.
pub fn token_matches(presented: &str, stored_hash: &str) -> bool {
    let computed = hash_token(presented);
    bool::from(computed.as_bytes().ct_eq(stored_hash.as_bytes()))
}

/// Whether a string has the shape of a token this service issued (it may still be unknown).
pub fn is_issued_token(candidate: &str) -> bool {
    candidate.strip_prefix(TOKEN_PREFIX).is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// What a request presented: one of our tokens, or a signed token from the identity provider.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Credential<'a> {
    /// A `pmt_` token: look its [`hash_token`] up in the store.
    Token(&'a str),
    /// A signed token (three dot-separated parts): verify with
    /// [`JwtVerifier::verify`](crate::JwtVerifier::verify).
    Jwt(&'a str),
}

impl fmt::Debug for Credential<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Token(_) => f.write_str("Credential::Token(<redacted>)"),
            Credential::Jwt(_) => f.write_str("Credential::Jwt(<redacted>)"),
        }
    }
}

impl<'a> Credential<'a> {
    /// Reads the value of an `Authorization` header (`None` when there is none):
    /// `Bearer <token>`, the scheme in any case.
    pub fn from_authorization_header(value: Option<&'a str>) -> Result<Self, AuthError> {
        let value = value.map(str::trim).filter(|v| !v.is_empty());
        let Some(value) = value else {
            return Err(AuthError::MissingCredentials);
        };
        if value.len() > MAX_CREDENTIAL_LEN {
            return Err(AuthError::MalformedAuthorization);
        }
        let (scheme, token) = value
            .split_once(' ')
            .ok_or(AuthError::MalformedAuthorization)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::MalformedAuthorization);
        }
        Credential::from_bearer(token.trim())
    }

    /// Tells a bearer token's kind by its shape.
    pub fn from_bearer(token: &'a str) -> Result<Self, AuthError> {
        if token.is_empty() {
            return Err(AuthError::MissingCredentials);
        }
        if token.starts_with(TOKEN_PREFIX) {
            return Ok(Credential::Token(token));
        }
        if token.split('.').count() == 3 {
            return Ok(Credential::Jwt(token));
        }
        Err(AuthError::UnknownToken)
    }
}

/// Where a stored token stands at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    Expired,
    Revoked,
}

impl TokenStatus {
    /// Revocation wins over expiry, so a listing says what an administrator did. A token
    /// expires at `expires_at` exactly.
    pub fn at(
        expires_at: Option<DateTime<Utc>>,
        revoked_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> TokenStatus {
        if revoked_at.is_some_and(|revoked| revoked <= now) {
            TokenStatus::Revoked
        } else if expires_at.is_some_and(|expires| expires <= now) {
            TokenStatus::Expired
        } else {
            TokenStatus::Active
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            TokenStatus::Active => "ACTIVE",
            TokenStatus::Expired => "EXPIRED",
            TokenStatus::Revoked => "REVOKED",
        }
    }

    /// Ok for an active token; the reason it cannot be used otherwise.
    pub fn check(self) -> Result<(), AuthError> {
        match self {
            TokenStatus::Active => Ok(()),
            TokenStatus::Expired => Err(AuthError::TokenExpired),
            TokenStatus::Revoked => Err(AuthError::TokenRevoked),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn new_tokens_have_the_documented_shape_and_differ() {
        let a = new_token().expect("random");
        let b = new_token().expect("random");
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.secret.expose().len(), 47);
        assert!(is_issued_token(a.secret.expose()), "{}", a.secret.expose());
        assert_eq!(a.hash, hash_token(a.secret.expose()));
        assert_eq!(a.hash.len(), 64);
        assert!(!format!("{a:?}").contains(a.secret.expose()));
    }

    #[test]
    fn hash_is_sha256_hex() {
        // FIPS 180-2 test vector.
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn tokens_match_only_their_own_hash() {
        let token = new_token().expect("random");
        assert!(token_matches(token.secret.expose(), &token.hash));
        assert!(!token_matches("pmt_other", &token.hash));
        assert!(!token_matches(token.secret.expose(), &token.hash[..63]));
        assert!(!token_matches(
            token.secret.expose(),
            &token.hash.to_uppercase()
        ));
    }

    #[test]
    fn authorization_header_is_read_strictly() {
        let token = "pmt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert_eq!(
            Credential::from_authorization_header(Some(&format!("Bearer {token}"))),
            Ok(Credential::Token(token))
        );
        assert_eq!(
            Credential::from_authorization_header(Some("bearer a.b.c")),
            Ok(Credential::Jwt("a.b.c"))
        );
        assert_eq!(
            Credential::from_authorization_header(None),
            Err(AuthError::MissingCredentials)
        );
        assert_eq!(
            Credential::from_authorization_header(Some("  ")),
            Err(AuthError::MissingCredentials)
        );
        assert_eq!(
            Credential::from_authorization_header(Some("Basic dXNlcjpwYXNz")),
            Err(AuthError::MalformedAuthorization)
        );
        assert_eq!(
            Credential::from_authorization_header(Some(token)),
            Err(AuthError::MalformedAuthorization)
        );
        assert_eq!(
            Credential::from_authorization_header(Some("Bearer something-else")),
            Err(AuthError::UnknownToken)
        );
        let huge = format!("Bearer {}", "a".repeat(MAX_CREDENTIAL_LEN));
        assert_eq!(
            Credential::from_authorization_header(Some(&huge)),
            Err(AuthError::MalformedAuthorization)
        );
        assert!(!format!("{:?}", Credential::Token(token)).contains(token));
    }

    #[test]
    fn status_follows_expiry_and_revocation() {
        let at = |h| {
            Utc.with_ymd_and_hms(2026, 1, 1, h, 0, 0)
                .single()
                .expect("valid")
        };
        assert_eq!(TokenStatus::at(None, None, at(10)), TokenStatus::Active);
        assert_eq!(
            TokenStatus::at(Some(at(11)), None, at(10)),
            TokenStatus::Active
        );
        assert_eq!(
            TokenStatus::at(Some(at(10)), None, at(10)),
            TokenStatus::Expired
        );
        assert_eq!(
            TokenStatus::at(Some(at(9)), Some(at(8)), at(10)),
            TokenStatus::Revoked
        );
        assert_eq!(
            TokenStatus::at(None, Some(at(11)), at(10)),
            TokenStatus::Active
        );
        assert_eq!(TokenStatus::Expired.check(), Err(AuthError::TokenExpired));
        assert_eq!(TokenStatus::Revoked.check(), Err(AuthError::TokenRevoked));
        assert_eq!(TokenStatus::Active.check(), Ok(()));
    }
}
