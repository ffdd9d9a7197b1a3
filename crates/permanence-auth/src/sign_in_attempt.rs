//! The secrets of one sign-in through the council's OpenID Connect provider (the authorisation
//! code flow with PKCE, RFC 7636): a `state` that pairs the provider's answer with the browser
//! that asked, a `nonce` that pairs the ID token with this sign-in, and a code verifier whose
//! SHA-256 (the S256 challenge) goes to the provider first, so that a code caught on its way
//! back is useless without the verifier.
//!
//! The web layer keeps them in the browser's short-lived cookie and checks them when the
//! provider sends the person back; the ID token's nonce is checked by
//! [`JwtVerifier::verify_id_token`](crate::JwtVerifier::verify_id_token).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::AuthError;

/// One sign-in's state, nonce and PKCE code verifier: 256 random bits each, base64url
/// (43 characters, within the 43 to 128 that RFC 7636 allows for a verifier).
#[derive(Clone, PartialEq, Eq)]
pub struct SignInAttempt {
    pub state: String,
    pub nonce: String,
    pub code_verifier: String,
}

impl std::fmt::Debug for SignInAttempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignInAttempt(<redacted>)")
    }
}

fn random_text() -> Result<String, AuthError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| AuthError::RandomUnavailable)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

impl SignInAttempt {
    /// Fresh secrets from the operating system's random numbers.
    pub fn new() -> Result<Self, AuthError> {
        Ok(Self {
            state: random_text()?,
            nonce: random_text()?,
            code_verifier: random_text()?,
        })
    }

    /// The S256 code challenge sent with the authorisation request.
    pub fn code_challenge(&self) -> String {
        code_challenge(&self.code_verifier)
    }

    /// Whether the `state` the provider sent back is this attempt's, compared in constant
    /// time. An empty state never matches.
    pub fn state_matches(&self, returned: &str) -> bool {
        !returned.is_empty() && bool::from(returned.as_bytes().ct_eq(self.state.as_bytes()))
    }
}

/// The S256 challenge for a code verifier: base64url, without padding, of its SHA-256.
pub fn code_challenge(code_verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(code_verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s_s256() {
        // RFC 7636, appendix B.
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn attempts_are_random_url_safe_and_paired_only_with_their_own_state() {
        let one = SignInAttempt::new().expect("random");
        let two = SignInAttempt::new().expect("random");
        for secret in [&one.state, &one.nonce, &one.code_verifier] {
            assert_eq!(secret.len(), 43);
            assert!(
                secret
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
        }
        assert_ne!(one.state, two.state);
        assert_ne!(one.nonce, one.state);
        assert_ne!(one.code_verifier, two.code_verifier);
        assert!(one.state_matches(&one.state.clone()));
        assert!(!one.state_matches(&two.state));
        assert!(!one.state_matches(""));
        assert_eq!(one.code_challenge(), code_challenge(&one.code_verifier));
        assert!(!format!("{one:?}").contains(&one.state));
    }
}
