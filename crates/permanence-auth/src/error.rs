use thiserror::Error;

use crate::action::Denied;
use crate::audit::ChainBreak;

/// Everything that can go wrong in this crate.
///
/// No variant carries a token, a secret or a signature: messages are safe to log and, for the
/// `Unauthenticated` kind, to show. Claim values the identity provider sent (a role name, an
/// authority code) may appear, since an administrator needs them to fix the mapping.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AuthError {
    // --- The request's credentials: UNAUTHENTICATED -------------------------------------------
    #[error("no bearer token was given")]
    MissingCredentials,
    #[error("the authorization header must be `Bearer` followed by a token")]
    MalformedAuthorization,
    #[error("the token is not recognised")]
    UnknownToken,
    #[error("the token has expired")]
    TokenExpired,
    #[error("the token has been revoked")]
    TokenRevoked,
    #[error("the signed token is malformed")]
    JwtMalformed,
    #[error("the signed token uses an algorithm that is not accepted (only RS256 and ES256 are)")]
    JwtAlgorithmNotAccepted,
    #[error("the signed token names no key id (`kid`)")]
    JwtMissingKeyId,
    #[error("the signed token's key id is not in the identity provider's key set")]
    JwtUnknownKey,
    #[error("the signed token's algorithm does not match its key")]
    JwtAlgorithmMismatch,
    #[error("the signed token's signature is not valid")]
    JwtBadSignature,
    #[error("the signed token has expired")]
    JwtExpired,
    #[error("the signed token is not valid yet")]
    JwtNotYetValid,
    #[error("the signed token was issued by another issuer")]
    JwtWrongIssuer,
    #[error("the signed token is meant for another audience")]
    JwtWrongAudience,
    #[error("the signed token lacks the `{0}` claim")]
    JwtMissingClaim(String),
    #[error("the signed token's `{0}` claim is not a string or a list of strings")]
    JwtInvalidClaim(String),
    #[error("no role is configured for the signed token's role claim values ({0})")]
    JwtRoleNotMapped(String),
    #[error("the signed token's role claim maps to more than one role ({0}); a user has one role")]
    JwtAmbiguousRole(String),
    #[error("the signed token names `{0}`, which is not a local authority code")]
    JwtInvalidAuthority(String),
    #[error("the ID token's nonce is not the one this sign-in sent")]
    JwtNonceMismatch,
    #[error("the ID token was issued to another client (its `azp` is not the client id)")]
    JwtWrongAuthorizedParty,

    // --- A new password that cannot be used ---------------------------------------------------
    #[error("a password needs at least {0} characters")]
    PasswordTooShort(usize),
    #[error("a password can be at most {0} bytes long")]
    PasswordTooLong(usize),
    #[error("a password cannot be blank or contain a NUL character")]
    PasswordUnusable,

    // --- A user described wrongly (a command-line argument, a stored row) ---------------------
    #[error("a user must belong to at least one local authority")]
    NoLocalAuthority,
    #[error("`{0}` is not a local authority code (a letter and eight digits, such as E10000003)")]
    InvalidLocalAuthority(String),
    #[error("a user needs a non-empty id")]
    EmptyUserId,
    #[error("`{0}` is not a role")]
    UnknownRole(String),

    // --- Configuration: the server should refuse to start ------------------------------------
    #[error("the key set (JWKS) is not valid JSON with a `keys` list: {0}")]
    JwksInvalid(String),
    #[error("the key set (JWKS) holds no RS256 or ES256 signing key with a key id")]
    JwksNoUsableKey,
    #[error("the key set (JWKS) holds two signing keys with the key id `{0}`")]
    JwksDuplicateKeyId(String),
    #[error("the identity provider configuration is incomplete: {0}")]
    JwtConfigInvalid(String),
    #[error("the operating system's random number generator failed")]
    RandomUnavailable,

    // --- Policy and audit ---------------------------------------------------------------------
    #[error(transparent)]
    Forbidden(#[from] Denied),
    #[error(transparent)]
    AuditChain(#[from] ChainBreak),
}

/// How a caller should answer an [`AuthError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthErrorKind {
    /// The request carries no usable identity: answer `UNAUTHENTICATED`.
    Unauthenticated,
    /// The identity is known but the request is outside its scope: answer `FORBIDDEN`.
    Forbidden,
    /// A user was described wrongly (a command-line argument, a stored row): answer
    /// `VALIDATION` to an administrator, or treat a stored row as unusable.
    Invalid,
    /// The server's own configuration or environment is at fault: log it, answer `INTERNAL`,
    /// or refuse to start.
    Configuration,
    /// The audit chain is broken: `permanence audit verify` reports it.
    AuditChain,
}

impl AuthError {
    pub fn kind(&self) -> AuthErrorKind {
        use AuthError::*;
        match self {
            MissingCredentials
            | MalformedAuthorization
            | UnknownToken
            | TokenExpired
            | TokenRevoked
            | JwtMalformed
            | JwtAlgorithmNotAccepted
            | JwtMissingKeyId
            | JwtUnknownKey
            | JwtAlgorithmMismatch
            | JwtBadSignature
            | JwtExpired
            | JwtNotYetValid
            | JwtWrongIssuer
            | JwtWrongAudience
            | JwtMissingClaim(_)
            | JwtInvalidClaim(_)
            | JwtRoleNotMapped(_)
            | JwtAmbiguousRole(_)
            | JwtInvalidAuthority(_)
            | JwtNonceMismatch
            | JwtWrongAuthorizedParty => AuthErrorKind::Unauthenticated,
            NoLocalAuthority
            | InvalidLocalAuthority(_)
            | EmptyUserId
            | UnknownRole(_)
            | PasswordTooShort(_)
            | PasswordTooLong(_)
            | PasswordUnusable => AuthErrorKind::Invalid,
            JwksInvalid(_)
            | JwksNoUsableKey
            | JwksDuplicateKeyId(_)
            | JwtConfigInvalid(_)
            | RandomUnavailable => AuthErrorKind::Configuration,
            Forbidden(_) => AuthErrorKind::Forbidden,
            AuditChain(_) => AuthErrorKind::AuditChain,
        }
    }
}
