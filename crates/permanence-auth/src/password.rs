//! Passwords for signing in to the pages: Argon2id, stored in the PHC string format
//! (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), so that the parameters travel with the hash
//! and can be raised later without breaking stored passwords.
//!
//! The parameters are the OWASP password storage recommendation for Argon2id (19 MiB of
//! memory, two passes, one lane): slow enough to make a stolen table costly to attack, quick
//! enough (tens of milliseconds) for a sign-in.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::AuthError;

/// Shorter passwords are refused: length is what makes a password hard to guess (NCSC).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longer ones are refused too, so that hashing a pasted novel costs nothing.
pub const MAX_PASSWORD_BYTES: usize = 1024;

fn hasher() -> Argon2<'static> {
    // The OWASP parameters are valid Argon2 parameters; `Params::DEFAULT` is the same set.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Whether a new password is acceptable; the error says why not, without repeating it.
pub fn check_new_password(password: &str) -> Result<(), AuthError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AuthError::PasswordTooShort(MIN_PASSWORD_CHARS));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::PasswordTooLong(MAX_PASSWORD_BYTES));
    }
    if password.trim().is_empty() || password.contains('\0') {
        return Err(AuthError::PasswordUnusable);
    }
    Ok(())
}

/// Hashes a new password (checked first) with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    check_new_password(password)?;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| AuthError::RandomUnavailable)?;
    let salt = SaltString::encode_b64(&salt).map_err(|_| AuthError::RandomUnavailable)?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| AuthError::PasswordUnusable)
}

/// Whether a password matches a stored hash. A stored value that is not a PHC string never
/// matches. The comparison inside is constant-time.
pub fn verify_password(password: &str, stored: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    PasswordHash::new(stored).is_ok_and(|parsed| {
        hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spends the time of one verification, for a sign-in whose username is unknown or has no
/// password: the answer then takes as long as for a wrong password, so timing does not tell
/// which usernames exist.
pub fn verify_against_nothing(password: &str) {
    // A hash of a fixed password with a fixed salt, made with the parameters above.
    const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$cGVybWFuZW5jZS1kZWNveQ$eyVN0nKbRP5yxhKRf8DYjX9UZ6v8mKfkHkAZ4ZaKt4k";
    let _ = verify_password(password, DECOY);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_no_other_does() {
        let stored = hash_password("correct horse battery staple").expect("hash");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify_password("correct horse battery staple", &stored));
        assert!(!verify_password("correct horse battery stapl", &stored));
        assert!(!verify_password("", &stored));
        assert!(!verify_password(
            "correct horse battery staple",
            "not a hash"
        ));
    }

    #[test]
    fn the_same_password_gets_a_different_salt_each_time() {
        let a = hash_password("a long enough password").expect("hash");
        let b = hash_password("a long enough password").expect("hash");
        assert_ne!(a, b);
    }

    #[test]
    fn short_long_and_blank_passwords_are_refused() {
        assert_eq!(
            check_new_password("short"),
            Err(AuthError::PasswordTooShort(MIN_PASSWORD_CHARS))
        );
        assert_eq!(
            check_new_password(&"x".repeat(MAX_PASSWORD_BYTES + 1)),
            Err(AuthError::PasswordTooLong(MAX_PASSWORD_BYTES))
        );
        assert_eq!(
            check_new_password(&" ".repeat(20)),
            Err(AuthError::PasswordUnusable)
        );
        assert_eq!(
            check_new_password("twelve chars\0x"),
            Err(AuthError::PasswordUnusable)
        );
        // Length is counted in characters, not bytes.
        assert!(check_new_password("ééééééééééé").is_err());
        assert!(check_new_password("éééééééééééé").is_ok());
    }

    #[test]
    fn the_decoy_is_a_valid_hash_that_nothing_simple_matches() {
        assert!(PasswordHash::new(
            "$argon2id$v=19$m=19456,t=2,p=1$cGVybWFuZW5jZS1kZWNveQ$eyVN0nKbRP5yxhKRf8DYjX9UZ6v8mKfkHkAZ4ZaKt4k"
        )
        .is_ok());
        verify_against_nothing("anything at all");
    }
}
