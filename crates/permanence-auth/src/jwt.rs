//! Signed tokens (JWT) from a council's own identity provider, so that it can use its single
//! sign-on: RS256 or ES256, keys from a JWKS file picked by `kid`, the issuer and audience
//! checked, one claim mapped to the role.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyOperations, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use crate::error::AuthError;
use crate::principal::{Principal, is_local_authority_code};
use crate::role::Role;
use crate::token::MAX_CREDENTIAL_LEN;

/// How a signed token becomes a [`Principal`]. Deserialises from the server's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwtConfig {
    /// The `iss` every token must carry, exactly.
    pub issuer: String,
    /// The `aud` every token must carry (or hold among several).
    pub audience: String,
    /// The claim holding the user's role or groups: a string or a list of strings. A name with
    /// dots that is not itself a claim is followed as a path (`realm_access.roles`).
    pub role_claim: String,
    /// Role claim value (an identity provider group or app role) to role. Values not listed
    /// are ignored; exactly one role must result.
    pub role_map: HashMap<String, Role>,
    /// The claim holding the user's team references, if the provider sends them.
    #[serde(default)]
    pub team_claim: Option<String>,
    /// Where the user's local authorities come from.
    pub authorities: AuthorityMapping,
    /// The claim holding the display name (falls back to `preferred_username`, then `sub`).
    #[serde(default = "default_name_claim")]
    pub name_claim: String,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    #[serde(default = "default_leeway_seconds")]
    pub leeway_seconds: u64,
}

fn default_name_claim() -> String {
    "name".to_owned()
}

fn default_leeway_seconds() -> u64 {
    60
}

/// Most clock skew accepted in configuration: more would keep expired tokens alive.
const MAX_LEEWAY_SECONDS: u64 = 300;

impl JwtConfig {
    pub fn new(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        role_claim: impl Into<String>,
        role_map: HashMap<String, Role>,
        authorities: AuthorityMapping,
    ) -> JwtConfig {
        JwtConfig {
            issuer: issuer.into(),
            audience: audience.into(),
            role_claim: role_claim.into(),
            role_map,
            team_claim: None,
            authorities,
            name_claim: default_name_claim(),
            leeway_seconds: default_leeway_seconds(),
        }
    }

    fn validate(&self) -> Result<(), AuthError> {
        let invalid = |what: &str| Err(AuthError::JwtConfigInvalid(what.to_owned()));
        if self.issuer.trim().is_empty() {
            return invalid("the issuer is empty");
        }
        if self.audience.trim().is_empty() {
            return invalid("the audience is empty");
        }
        if self.role_claim.trim().is_empty() {
            return invalid("the role claim is empty");
        }
        if self.role_map.is_empty() {
            return invalid("no role claim value is mapped to a role");
        }
        if self.leeway_seconds > MAX_LEEWAY_SECONDS {
            return invalid("the leeway is more than 300 seconds");
        }
        match &self.authorities {
            AuthorityMapping::Claim(claim) if claim.trim().is_empty() => {
                invalid("the authority claim is empty")
            }
            AuthorityMapping::Fixed(codes) if codes.is_empty() => {
                invalid("no local authority is configured")
            }
            AuthorityMapping::Fixed(codes) => {
                match codes.iter().find(|c| !is_local_authority_code(c)) {
                    Some(code) => Err(AuthError::InvalidLocalAuthority(code.clone())),
                    None => Ok(()),
                }
            }
            AuthorityMapping::Claim(_) => Ok(()),
        }
    }
}

/// Where a signed-in user's local authorities come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorityMapping {
    /// A claim holds the ONS code or codes (a regional adoption agency's provider).
    Claim(String),
    /// Every user of this provider works for these authorities (one council's own provider).
    Fixed(Vec<String>),
}

/// A verifying key from the key set, with the one algorithm it may verify.
struct VerifyingKey {
    algorithm: Algorithm,
    key: DecodingKey,
}

/// Verifies signed tokens against a key set and turns them into principals.
pub struct JwtVerifier {
    config: JwtConfig,
    keys: HashMap<String, VerifyingKey>,
}

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("config", &self.config)
            .field("key_ids", &self.key_ids())
            .finish()
    }
}

/// Only the two algorithms the issue names. Symmetric (HS*) algorithms are never accepted:
/// the key set is public, so a "secret" from it would let anyone sign.
const ACCEPTED: [(&str, Algorithm); 2] = [("RS256", Algorithm::RS256), ("ES256", Algorithm::ES256)];

#[derive(Deserialize)]
struct RawKeySet {
    keys: Vec<Value>,
}

#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

impl JwtVerifier {
    /// Reads a JWKS document. Keys that are not RS256 or P-256 ES256 signing keys with a
    /// `kid` (encryption keys, symmetric keys, other curves) are left out; a set left with no
    /// key, two keys with one `kid`, or a signing key that cannot be read is an error.
    pub fn from_jwks_json(jwks: &str, config: JwtConfig) -> Result<JwtVerifier, AuthError> {
        // Whatever crypto features the rest of the build enables on jsonwebtoken, verify with
        // RustCrypto. Fails harmlessly when a provider is already installed.
        let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();

        config.validate()?;
        let raw: RawKeySet =
            serde_json::from_str(jwks).map_err(|e| AuthError::JwksInvalid(e.to_string()))?;
        let mut keys = HashMap::new();
        for value in raw.keys {
            // A key of a type this library does not know is not one of ours: skip it.
            let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
                continue;
            };
            let Some((kid, algorithm)) = signing_key(&jwk) else {
                continue;
            };
            let key = DecodingKey::from_jwk(&jwk)
                .map_err(|_| AuthError::JwksInvalid(format!("the key `{kid}` cannot be read")))?;
            if keys
                .insert(kid.clone(), VerifyingKey { algorithm, key })
                .is_some()
            {
                return Err(AuthError::JwksDuplicateKeyId(kid));
            }
        }
        if keys.is_empty() {
            return Err(AuthError::JwksNoUsableKey);
        }
        Ok(JwtVerifier { config, keys })
    }

    /// The key ids loaded, sorted: for the server's start-up log.
    pub fn key_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.keys.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids
    }

    pub fn config(&self) -> &JwtConfig {
        &self.config
    }

    /// Verifies a signed token at `now` and builds the principal it names.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Principal, AuthError> {
        let claims = self.verified_claims(token, now)?;
        self.principal(&claims)
    }

    /// Verifies an OpenID Connect ID token at `now`, as [`verify`](Self::verify) does, and
    /// also that it answers this sign-in: its `nonce` is the one the sign-in sent, and it was
    /// issued to this client. The verifier's audience must be the client id (an ID token's
    /// `aud`); when the token names several audiences, its `azp` must be the client id too.
    pub fn verify_id_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
        nonce: &str,
    ) -> Result<Principal, AuthError> {
        let claims = self.verified_claims(token, now)?;
        let sent = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
        if nonce.is_empty() || !bool::from(sent.as_bytes().ct_eq(nonce.as_bytes())) {
            return Err(AuthError::JwtNonceMismatch);
        }
        let several_audiences = claims
            .get("aud")
            .and_then(Value::as_array)
            .is_some_and(|audiences| audiences.len() > 1);
        match claims.get("azp") {
            Some(Value::String(party)) if *party == self.config.audience => {}
            None if !several_audiences => {}
            _ => return Err(AuthError::JwtWrongAuthorizedParty),
        }
        self.principal(&claims)
    }

    /// The claims of a token whose signature, issuer, audience and times are good at `now`.
    fn verified_claims(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Map<String, Value>, AuthError> {
        if token.len() > MAX_CREDENTIAL_LEN {
            return Err(AuthError::JwtMalformed);
        }
        let header = read_header(token)?;
        let algorithm = ACCEPTED
            .iter()
            .find(|(name, _)| *name == header.alg)
            .map(|(_, algorithm)| *algorithm)
            .ok_or(AuthError::JwtAlgorithmNotAccepted)?;
        let kid = header.kid.ok_or(AuthError::JwtMissingKeyId)?;
        let key = self.keys.get(&kid).ok_or(AuthError::JwtUnknownKey)?;
        if key.algorithm != algorithm {
            return Err(AuthError::JwtAlgorithmMismatch);
        }

        let mut validation = Validation::new(key.algorithm);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Time is checked below against `now`, which the caller passes: no clock in here.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
            .map_err(|e| map_jwt_error(e.kind()))?
            .claims;

        // Belt and braces: the library also accepts an issuer list containing ours.
        if claims.get("iss").and_then(Value::as_str) != Some(self.config.issuer.as_str()) {
            return Err(AuthError::JwtWrongIssuer);
        }
        self.check_times(&claims, now)?;
        Ok(claims)
    }

    fn check_times(
        &self,
        claims: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<(), AuthError> {
        let now = now.timestamp();
        let leeway = i64::try_from(self.config.leeway_seconds).unwrap_or(0);
        let seconds = |name: &str| -> Result<Option<i64>, AuthError> {
            match claims.get(name) {
                None => Ok(None),
                Some(value) => value
                    .as_i64()
                    .or_else(|| value.as_f64().map(|f| f as i64))
                    .map(Some)
                    .ok_or_else(|| AuthError::JwtInvalidClaim(name.to_owned())),
            }
        };
        let exp = seconds("exp")?.ok_or_else(|| AuthError::JwtMissingClaim("exp".to_owned()))?;
        if now.saturating_sub(leeway) >= exp {
            return Err(AuthError::JwtExpired);
        }
        if let Some(nbf) = seconds("nbf")?
            && now.saturating_add(leeway) < nbf
        {
            return Err(AuthError::JwtNotYetValid);
        }
        Ok(())
    }

    fn principal(&self, claims: &Map<String, Value>) -> Result<Principal, AuthError> {
        let config = &self.config;
        let user_id = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|sub| !sub.trim().is_empty())
            .ok_or_else(|| AuthError::JwtMissingClaim("sub".to_owned()))?
            .to_owned();
        let name = [config.name_claim.as_str(), "preferred_username"]
            .iter()
            .find_map(|claim| {
                find_claim(claims, claim)
                    .and_then(Value::as_str)
                    .filter(|name| !name.trim().is_empty())
            })
            .unwrap_or(&user_id)
            .to_owned();

        let role_values = strings(claims, &config.role_claim)?
            .ok_or_else(|| AuthError::JwtMissingClaim(config.role_claim.clone()))?;
        let roles: BTreeSet<Role> = role_values
            .iter()
            .filter_map(|value| config.role_map.get(value).copied())
            .collect();
        let role = match roles.first() {
            Some(role) if roles.len() == 1 => *role,
            None => return Err(AuthError::JwtRoleNotMapped(summarise(&role_values))),
            Some(_) => {
                let keys: Vec<&str> = roles.iter().map(|r| r.key()).collect();
                return Err(AuthError::JwtAmbiguousRole(keys.join(", ")));
            }
        };

        let teams = match &config.team_claim {
            Some(claim) => strings(claims, claim)?.unwrap_or_default(),
            None => Vec::new(),
        };
        let local_authorities = match &config.authorities {
            AuthorityMapping::Fixed(codes) => codes.clone(),
            AuthorityMapping::Claim(claim) => {
                let codes = strings(claims, claim)?.unwrap_or_default();
                if codes.is_empty() {
                    return Err(AuthError::JwtMissingClaim(claim.clone()));
                }
                if let Some(code) = codes.iter().find(|c| !is_local_authority_code(c)) {
                    return Err(AuthError::JwtInvalidAuthority(summarise(
                        std::slice::from_ref(code),
                    )));
                }
                codes
            }
        };
        Ok(Principal {
            user_id,
            name,
            role,
            teams,
            local_authorities,
        })
    }
}

/// The algorithm a JWKS entry may verify, if it is a signing key we accept.
fn signing_key(jwk: &Jwk) -> Option<(String, Algorithm)> {
    let kid = jwk.common.key_id.clone().filter(|kid| !kid.is_empty())?;
    if jwk
        .common
        .public_key_use
        .as_ref()
        .is_some_and(|key_use| *key_use != PublicKeyUse::Signature)
    {
        return None;
    }
    if jwk
        .common
        .key_operations
        .as_ref()
        .is_some_and(|ops| !ops.contains(&KeyOperations::Verify))
    {
        return None;
    }
    let algorithm = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        _ => return None,
    };
    // A key declared for another algorithm (an RSA key for PS256, say) is not used for ours.
    if let Some(declared) = jwk.common.key_algorithm
        && Algorithm::try_from(declared).ok() != Some(algorithm)
    {
        return None;
    }
    Some((kid, algorithm))
}

/// The protected header, read before any key is chosen: only `alg` and `kid` matter.
fn read_header(token: &str) -> Result<RawHeader, AuthError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::JwtMalformed);
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| AuthError::JwtMalformed)?;
    serde_json::from_slice(&bytes).map_err(|_| AuthError::JwtMalformed)
}

fn map_jwt_error(kind: &ErrorKind) -> AuthError {
    match kind {
        ErrorKind::InvalidSignature | ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidRsaKey(_) => {
            AuthError::JwtBadSignature
        }
        ErrorKind::InvalidIssuer => AuthError::JwtWrongIssuer,
        ErrorKind::InvalidAudience => AuthError::JwtWrongAudience,
        ErrorKind::MissingRequiredClaim(claim) => AuthError::JwtMissingClaim(claim.clone()),
        ErrorKind::InvalidClaimFormat(claim) => AuthError::JwtInvalidClaim(claim.clone()),
        ErrorKind::InvalidAlgorithm => AuthError::JwtAlgorithmMismatch,
        ErrorKind::ExpiredSignature => AuthError::JwtExpired,
        ErrorKind::ImmatureSignature => AuthError::JwtNotYetValid,
        _ => AuthError::JwtMalformed,
    }
}

/// Finds a claim by name, or by a dotted path through nested objects.
fn find_claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(value) = claims.get(name) {
        return Some(value);
    }
    let mut parts = name.split('.');
    let mut value = claims.get(parts.next()?)?;
    for part in parts {
        value = value.as_object()?.get(part)?;
    }
    Some(value)
}

/// A claim as strings: one string, or a list of strings. `None` when the claim is absent.
fn strings(claims: &Map<String, Value>, name: &str) -> Result<Option<Vec<String>>, AuthError> {
    let invalid = || AuthError::JwtInvalidClaim(name.to_owned());
    match find_claim(claims, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned).ok_or_else(invalid))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(invalid()),
    }
}

/// Claim values for an error message, bounded so a hostile token cannot flood the log.
fn summarise(values: &[String]) -> String {
    if values.is_empty() {
        return "none".to_owned();
    }
    let mut shown: Vec<String> = values
        .iter()
        .take(5)
        .map(|v| v.chars().take(64).collect())
        .collect();
    if values.len() > 5 {
        shown.push(format!("and {} more", values.len() - 5));
    }
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(json: Value) -> Map<String, Value> {
        match json {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn claims_are_found_by_name_then_by_path() {
        let c = claims(serde_json::json!({
            "https://idp.example/roles": ["a"],
            "realm_access": { "roles": ["b", "c"] },
            "groups": "d"
        }));
        assert_eq!(
            strings(&c, "https://idp.example/roles"),
            Ok(Some(vec!["a".to_owned()]))
        );
        assert_eq!(
            strings(&c, "realm_access.roles"),
            Ok(Some(vec!["b".to_owned(), "c".to_owned()]))
        );
        assert_eq!(strings(&c, "groups"), Ok(Some(vec!["d".to_owned()])));
        assert_eq!(strings(&c, "missing"), Ok(None));
        assert_eq!(
            strings(&c, "realm_access"),
            Err(AuthError::JwtInvalidClaim("realm_access".to_owned()))
        );
    }

    #[test]
    fn headers_are_read_strictly() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","kid":"k"}"#);
        let parsed = read_header(&format!("{header}.e30.sig")).expect("reads");
        assert_eq!(parsed.alg, "RS256");
        assert_eq!(parsed.kid.as_deref(), Some("k"));
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            "!!!.e30.sig",
            &format!("{header}.e30"),
        ] {
            assert!(read_header(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn summaries_are_bounded() {
        let many: Vec<String> = (0..8).map(|i| format!("g{i}")).collect();
        assert_eq!(summarise(&many), "g0, g1, g2, g3, g4, and 3 more");
        assert_eq!(summarise(&["x".repeat(100)]).len(), 64);
        assert_eq!(summarise(&[]), "none");
    }
}
