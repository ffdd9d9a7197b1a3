//! Signed tokens from an identity provider: signed here with the fixture keys in `tests/keys`,
//! then accepted or refused by the verifier built from `tests/keys/jwks.json`.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeZone, Utc};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use permanence_auth::{
    Action, AuthError, AuthErrorKind, AuthorityMapping, CaseScope, JwtConfig, JwtVerifier, Role,
    Target, authorize,
};
use serde_json::{Value, json};

const JWKS: &str = include_str!("keys/jwks.json");
const RSA_PRIVATE: &[u8] = include_bytes!("keys/rsa-private.pem");
const RSA_PUBLIC: &[u8] = include_bytes!("keys/rsa-public.pem");
const EC_PRIVATE: &[u8] = include_bytes!("keys/ec-private.pem");
const INTRUDER_PRIVATE: &[u8] = include_bytes!("keys/intruder-rsa-private.pem");
const INTRUDER_EC_PRIVATE: &[u8] = include_bytes!("keys/intruder-ec-private.pem");

const ISSUER: &str = "https://login.example.gov.uk/council";
const AUDIENCE: &str = "permanence";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0)
        .single()
        .expect("valid instant")
}

fn config() -> JwtConfig {
    let role_map = HashMap::from([
        ("permanence-social-workers".to_owned(), Role::SocialWorker),
        ("permanence-team-managers".to_owned(), Role::TeamManager),
        ("permanence-leaders".to_owned(), Role::Leader),
    ]);
    let mut config = JwtConfig::new(
        ISSUER,
        AUDIENCE,
        "groups",
        role_map,
        AuthorityMapping::Claim("la".to_owned()),
    );
    config.team_claim = Some("team".to_owned());
    config
}

fn verifier() -> JwtVerifier {
    JwtVerifier::from_jwks_json(JWKS, config()).expect("the fixture key set loads")
}

fn claims() -> Value {
    let now = now().timestamp();
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "b7c1e0f2-5d1a-4a53-9b0e-2f7f3c1d9a10",
        "name": "Priya Shah",
        "groups": ["all-staff", "permanence-social-workers"],
        "team": "north-locality",
        "la": "E10000003",
        "iat": now - 60,
        "nbf": now - 60,
        "exp": now + 3600,
    })
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    if let Some(map) = claims.as_object_mut() {
        map.insert(key.to_owned(), value);
    }
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    if let Some(map) = claims.as_object_mut() {
        map.remove(key);
    }
    claims
}

fn sign(alg: Algorithm, kid: Option<&str>, key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).expect("signs")
}

fn rsa_key() -> EncodingKey {
    EncodingKey::from_rsa_pem(RSA_PRIVATE).expect("rsa fixture")
}

fn ec_key() -> EncodingKey {
    EncodingKey::from_ec_pem(EC_PRIVATE).expect("ec fixture")
}

fn rs256(claims: &Value) -> String {
    sign(Algorithm::RS256, Some("rsa-1"), &rsa_key(), claims)
}

/// A token with a hand-made header and no valid signature.
fn unsigned(header: Value, claims: &Value, signature: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(header.to_string());
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{claims}.{signature}")
}

fn refused(token: &str) -> AuthError {
    let error = verifier()
        .verify(token, now())
        .expect_err("the token must be refused");
    assert_eq!(error.kind(), AuthErrorKind::Unauthenticated, "{error}");
    for part in token.split('.').filter(|part| part.len() > 8) {
        assert!(
            !error.to_string().contains(part),
            "the error repeats the token"
        );
    }
    error
}

#[test]
fn jwks_fixture_matches_the_private_keys() {
    let set: JwkSet = serde_json::from_str(JWKS).expect("valid JWKS");
    let rsa = Jwk::from_encoding_key(&rsa_key(), Algorithm::RS256).expect("rsa jwk");
    let ec = Jwk::from_encoding_key(&ec_key(), Algorithm::ES256).expect("ec jwk");
    match (&rsa.algorithm, set.find("rsa-1").map(|jwk| &jwk.algorithm)) {
        (AlgorithmParameters::RSA(ours), Some(AlgorithmParameters::RSA(fixture))) => {
            assert_eq!((&ours.n, &ours.e), (&fixture.n, &fixture.e));
        }
        other => panic!("rsa-1 is not the RSA key: {other:?}"),
    }
    match (&ec.algorithm, set.find("ec-1").map(|jwk| &jwk.algorithm)) {
        (
            AlgorithmParameters::EllipticCurve(ours),
            Some(AlgorithmParameters::EllipticCurve(fixture)),
        ) => {
            assert_eq!((&ours.x, &ours.y), (&fixture.x, &fixture.y));
        }
        other => panic!("ec-1 is not the EC key: {other:?}"),
    }
}

#[test]
fn only_signing_keys_are_loaded() {
    assert_eq!(verifier().key_ids(), ["ec-1", "rsa-1"]);
}

#[test]
fn an_rs256_token_gives_the_principal_it_names() {
    let principal = verifier()
        .verify(&rs256(&claims()), now())
        .expect("accepted");
    assert_eq!(principal.user_id, "b7c1e0f2-5d1a-4a53-9b0e-2f7f3c1d9a10");
    assert_eq!(principal.name, "Priya Shah");
    assert_eq!(principal.role, Role::SocialWorker);
    assert_eq!(principal.teams, ["north-locality"]);
    assert_eq!(principal.local_authorities, ["E10000003"]);
    assert_eq!(principal.validate(), Ok(()));

    // And the policy takes it from there.
    let allocated = CaseScope {
        local_authority: "E10000003".into(),
        team: Some("north-locality".into()),
        allocated_worker: Some(principal.user_id.clone()),
        on_principals_panel_agenda: false,
    };
    assert!(
        authorize(
            &principal,
            Action::RecordReview,
            Target::Case(Some(&allocated))
        )
        .is_ok()
    );
}

#[test]
fn an_es256_token_is_accepted() {
    let token = sign(Algorithm::ES256, Some("ec-1"), &ec_key(), &claims());
    let principal = verifier().verify(&token, now()).expect("accepted");
    assert_eq!(principal.role, Role::SocialWorker);
}

#[test]
fn time_is_checked_against_now_with_leeway() {
    let at = now().timestamp();
    let expired = with(claims(), "exp", json!(at - 61));
    assert_eq!(refused(&rs256(&expired)), AuthError::JwtExpired);
    let just_expired = with(claims(), "exp", json!(at - 30));
    assert!(verifier().verify(&rs256(&just_expired), now()).is_ok());
    let not_yet = with(claims(), "nbf", json!(at + 600));
    assert_eq!(refused(&rs256(&not_yet)), AuthError::JwtNotYetValid);
    assert_eq!(
        refused(&rs256(&without(claims(), "exp"))),
        AuthError::JwtMissingClaim("exp".into())
    );
    let later = now() + chrono::Duration::hours(2);
    assert_eq!(
        verifier().verify(&rs256(&claims()), later),
        Err(AuthError::JwtExpired)
    );
}

#[test]
fn a_wrong_signature_is_refused() {
    let intruder = EncodingKey::from_rsa_pem(INTRUDER_PRIVATE).expect("intruder fixture");
    let forged = sign(Algorithm::RS256, Some("rsa-1"), &intruder, &claims());
    assert_eq!(refused(&forged), AuthError::JwtBadSignature);

    // A genuine token with its claims changed (promoted to leader).
    let genuine = rs256(&claims());
    let mut parts: Vec<&str> = genuine.split('.').collect();
    let promoted =
        URL_SAFE_NO_PAD.encode(with(claims(), "groups", json!(["permanence-leaders"])).to_string());
    parts[1] = &promoted;
    assert_eq!(refused(&parts.join(".")), AuthError::JwtBadSignature);

    // An ES256 signature made by another key.
    let other_ec = EncodingKey::from_ec_pem(INTRUDER_EC_PRIVATE).expect("intruder fixture");
    let forged = sign(Algorithm::ES256, Some("ec-1"), &other_ec, &claims());
    assert_eq!(refused(&forged), AuthError::JwtBadSignature);
}

#[test]
fn issuer_and_audience_must_match() {
    let other_issuer = with(claims(), "iss", json!("https://login.example.gov.uk/other"));
    assert_eq!(refused(&rs256(&other_issuer)), AuthError::JwtWrongIssuer);
    let issuer_list = with(claims(), "iss", json!([ISSUER, "https://evil.example"]));
    assert_eq!(refused(&rs256(&issuer_list)), AuthError::JwtWrongIssuer);
    let other_audience = with(claims(), "aud", json!("another-service"));
    assert_eq!(
        refused(&rs256(&other_audience)),
        AuthError::JwtWrongAudience
    );
    let audience_list = with(claims(), "aud", json!(["another-service", AUDIENCE]));
    assert!(verifier().verify(&rs256(&audience_list), now()).is_ok());
    assert_eq!(
        refused(&rs256(&without(claims(), "aud"))),
        AuthError::JwtMissingClaim("aud".into())
    );
    assert_eq!(
        refused(&rs256(&without(claims(), "iss"))),
        AuthError::JwtMissingClaim("iss".into())
    );
    assert_eq!(
        refused(&rs256(&without(claims(), "sub"))),
        AuthError::JwtMissingClaim("sub".into())
    );
}

#[test]
fn keys_are_chosen_by_kid() {
    assert_eq!(
        refused(&sign(
            Algorithm::RS256,
            Some("rsa-2"),
            &rsa_key(),
            &claims()
        )),
        AuthError::JwtUnknownKey
    );
    assert_eq!(
        refused(&sign(Algorithm::RS256, None, &rsa_key(), &claims())),
        AuthError::JwtMissingKeyId
    );
    // The encryption key in the set is never used to verify.
    let intruder = EncodingKey::from_rsa_pem(INTRUDER_PRIVATE).expect("intruder fixture");
    assert_eq!(
        refused(&sign(Algorithm::RS256, Some("enc-1"), &intruder, &claims())),
        AuthError::JwtUnknownKey
    );
}

#[test]
fn alg_none_is_refused() {
    for alg in ["none", "None", "NONE"] {
        let token = unsigned(
            json!({"alg": alg, "typ": "JWT", "kid": "rsa-1"}),
            &claims(),
            "",
        );
        assert_eq!(refused(&token), AuthError::JwtAlgorithmNotAccepted, "{alg}");
    }
}

#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    // The classic algorithm confusion: the public key used as an HMAC secret.
    let confused = sign(
        Algorithm::HS256,
        Some("rsa-1"),
        &EncodingKey::from_secret(RSA_PUBLIC),
        &claims(),
    );
    assert_eq!(refused(&confused), AuthError::JwtAlgorithmNotAccepted);
    // And a symmetric key published in the set is never a verifying key.
    let shared = sign(
        Algorithm::HS256,
        Some("shared-1"),
        &EncodingKey::from_secret(b"a shared secret that must never verify anything"),
        &claims(),
    );
    assert_eq!(refused(&shared), AuthError::JwtAlgorithmNotAccepted);
}

#[test]
fn an_algorithm_must_match_its_key() {
    // RS256 header naming the EC key, ES256 header naming the RSA key.
    let rs_on_ec = sign(Algorithm::RS256, Some("ec-1"), &rsa_key(), &claims());
    assert_eq!(refused(&rs_on_ec), AuthError::JwtAlgorithmMismatch);
    let es_on_rsa = sign(Algorithm::ES256, Some("rsa-1"), &ec_key(), &claims());
    assert_eq!(refused(&es_on_rsa), AuthError::JwtAlgorithmMismatch);
    // Other RSA algorithms are not accepted even with the right key.
    let rs512 = sign(Algorithm::RS512, Some("rsa-1"), &rsa_key(), &claims());
    assert_eq!(refused(&rs512), AuthError::JwtAlgorithmNotAccepted);
    let ps256 = sign(Algorithm::PS256, Some("rsa-1"), &rsa_key(), &claims());
    assert_eq!(refused(&ps256), AuthError::JwtAlgorithmNotAccepted);
}

#[test]
fn malformed_tokens_are_refused() {
    for token in ["", "a.b", "a.b.c", "....", "eyJhbGciOiJSUzI1NiJ9.e30"] {
        assert_eq!(
            verifier().verify(token, now()),
            Err(AuthError::JwtMalformed),
            "{token}"
        );
    }
    let huge = format!("{}.e30.sig", "a".repeat(20_000));
    assert_eq!(
        verifier().verify(&huge, now()),
        Err(AuthError::JwtMalformed)
    );
}

#[test]
fn exactly_one_role_must_come_from_the_role_claim() {
    let manager = with(claims(), "groups", json!("permanence-team-managers"));
    let principal = verifier()
        .verify(&rs256(&manager), now())
        .expect("a single string is a role claim too");
    assert_eq!(principal.role, Role::TeamManager);

    let unmapped = with(claims(), "groups", json!(["all-staff", "finance"]));
    assert_eq!(
        refused(&rs256(&unmapped)),
        AuthError::JwtRoleNotMapped("all-staff, finance".into())
    );
    let two = with(
        claims(),
        "groups",
        json!(["permanence-social-workers", "permanence-leaders"]),
    );
    assert_eq!(
        refused(&rs256(&two)),
        AuthError::JwtAmbiguousRole("SOCIAL_WORKER, LEADER".into())
    );
    assert_eq!(
        refused(&rs256(&without(claims(), "groups"))),
        AuthError::JwtMissingClaim("groups".into())
    );
    assert_eq!(
        refused(&rs256(&with(claims(), "groups", json!({"a": 1})))),
        AuthError::JwtInvalidClaim("groups".into())
    );
}

#[test]
fn nested_role_claims_are_followed() {
    let mut config = config();
    config.role_claim = "realm_access.roles".into();
    let verifier = JwtVerifier::from_jwks_json(JWKS, config).expect("loads");
    let keycloak = with(
        without(claims(), "groups"),
        "realm_access",
        json!({"roles": ["permanence-leaders"]}),
    );
    let principal = verifier.verify(&rs256(&keycloak), now()).expect("accepted");
    assert_eq!(principal.role, Role::Leader);
}

#[test]
fn authorities_come_from_the_claim_or_the_configuration() {
    let regional = with(claims(), "la", json!(["E10000003", "E06000031"]));
    let principal = verifier()
        .verify(&rs256(&regional), now())
        .expect("accepted");
    assert_eq!(principal.local_authorities, ["E10000003", "E06000031"]);

    assert_eq!(
        refused(&rs256(&with(claims(), "la", json!("Cambridgeshire")))),
        AuthError::JwtInvalidAuthority("Cambridgeshire".into())
    );
    assert_eq!(
        refused(&rs256(&with(claims(), "la", json!([])))),
        AuthError::JwtMissingClaim("la".into())
    );
    assert_eq!(
        refused(&rs256(&without(claims(), "la"))),
        AuthError::JwtMissingClaim("la".into())
    );

    let mut council = config();
    council.authorities = AuthorityMapping::Fixed(vec!["E10000003".into()]);
    council.team_claim = None;
    let verifier = JwtVerifier::from_jwks_json(JWKS, council).expect("loads");
    let principal = verifier
        .verify(&rs256(&without(claims(), "la")), now())
        .expect("accepted");
    assert_eq!(principal.local_authorities, ["E10000003"]);
    assert!(principal.teams.is_empty());
}

#[test]
fn the_display_name_falls_back() {
    let no_name = with(
        without(claims(), "name"),
        "preferred_username",
        json!("pshah"),
    );
    let principal = verifier()
        .verify(&rs256(&no_name), now())
        .expect("accepted");
    assert_eq!(principal.name, "pshah");
    let anonymous = without(claims(), "name");
    let principal = verifier()
        .verify(&rs256(&anonymous), now())
        .expect("accepted");
    assert_eq!(principal.name, principal.user_id);
}

#[test]
fn bad_key_sets_and_configurations_are_refused_at_start() {
    let load = |jwks: &str| JwtVerifier::from_jwks_json(jwks, config()).map(|_| ());
    assert!(matches!(load("not json"), Err(AuthError::JwksInvalid(_))));
    assert!(matches!(load("{}"), Err(AuthError::JwksInvalid(_))));
    assert_eq!(load(r#"{"keys": []}"#), Err(AuthError::JwksNoUsableKey));

    let set: Value = serde_json::from_str(JWKS).expect("valid JSON");
    let rsa = set["keys"][0].clone();
    let only_symmetric = json!({"keys": [set["keys"][3].clone()]});
    assert_eq!(
        load(&only_symmetric.to_string()),
        Err(AuthError::JwksNoUsableKey)
    );
    let duplicate = json!({"keys": [rsa.clone(), rsa.clone()]});
    assert_eq!(
        load(&duplicate.to_string()),
        Err(AuthError::JwksDuplicateKeyId("rsa-1".into()))
    );
    let no_kid = json!({"keys": [without(rsa.clone(), "kid")]});
    assert_eq!(load(&no_kid.to_string()), Err(AuthError::JwksNoUsableKey));
    let for_ps256 = json!({"keys": [with(rsa, "alg", json!("PS256"))]});
    assert_eq!(
        load(&for_ps256.to_string()),
        Err(AuthError::JwksNoUsableKey)
    );

    let mut empty_map = config();
    empty_map.role_map.clear();
    let error = JwtVerifier::from_jwks_json(JWKS, empty_map).expect_err("refused");
    assert_eq!(error.kind(), AuthErrorKind::Configuration);
    let mut bad_fixed = config();
    bad_fixed.authorities = AuthorityMapping::Fixed(vec!["Cambs".into()]);
    assert!(JwtVerifier::from_jwks_json(JWKS, bad_fixed).is_err());
    let mut lax = config();
    lax.leeway_seconds = 3600;
    assert!(JwtVerifier::from_jwks_json(JWKS, lax).is_err());
}

#[test]
fn configuration_deserialises() {
    let config: JwtConfig = serde_json::from_value(json!({
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "role_claim": "roles",
        "role_map": {"Permanence.Leader": "LEADER", "Permanence.Adm": "AGENCY_DECISION_MAKER"},
        "authorities": {"fixed": ["E10000003"]}
    }))
    .expect("deserialises");
    assert_eq!(
        config.role_map.get("Permanence.Adm"),
        Some(&Role::AgencyDecisionMaker)
    );
    assert_eq!(config.name_claim, "name");
    assert_eq!(config.leeway_seconds, 60);
    assert!(JwtVerifier::from_jwks_json(JWKS, config).is_ok());
}

/// The pages' ID tokens: their audience is the client id, and they carry the sign-in's nonce.
fn id_token_verifier() -> JwtVerifier {
    let mut config = config();
    config.audience = "permanence-pages".to_owned();
    JwtVerifier::from_jwks_json(JWKS, config).expect("the fixture key set loads")
}

fn id_token_claims() -> Value {
    let claims = with(claims(), "aud", json!("permanence-pages"));
    with(claims, "nonce", json!("the-nonce-of-this-sign-in"))
}

#[test]
fn an_id_token_is_accepted_with_its_sign_ins_nonce() {
    let principal = id_token_verifier()
        .verify_id_token(
            &rs256(&id_token_claims()),
            now(),
            "the-nonce-of-this-sign-in",
        )
        .expect("accepted");
    assert_eq!(principal.user_id, "b7c1e0f2-5d1a-4a53-9b0e-2f7f3c1d9a10");
    assert_eq!(principal.role, Role::SocialWorker);
    // Its own client named as the authorised party, among several audiences.
    let several = with(
        with(id_token_claims(), "aud", json!(["permanence-pages", "api"])),
        "azp",
        json!("permanence-pages"),
    );
    assert!(
        id_token_verifier()
            .verify_id_token(&rs256(&several), now(), "the-nonce-of-this-sign-in")
            .is_ok()
    );
}

#[test]
fn an_id_token_for_another_sign_in_or_client_is_refused() {
    let verify = |claims: &Value, nonce: &str| {
        id_token_verifier()
            .verify_id_token(&rs256(claims), now(), nonce)
            .expect_err("refused")
    };
    let nonce = "the-nonce-of-this-sign-in";
    assert_eq!(
        verify(&id_token_claims(), "another-sign-in"),
        AuthError::JwtNonceMismatch
    );
    assert_eq!(
        verify(&without(id_token_claims(), "nonce"), nonce),
        AuthError::JwtNonceMismatch
    );
    assert_eq!(
        verify(&with(id_token_claims(), "nonce", json!(7)), nonce),
        AuthError::JwtNonceMismatch
    );
    assert_eq!(verify(&id_token_claims(), ""), AuthError::JwtNonceMismatch);
    // The API's audience is not the client's: an access token is not an ID token.
    assert_eq!(
        verify(&with(id_token_claims(), "aud", json!(AUDIENCE)), nonce),
        AuthError::JwtWrongAudience
    );
    assert_eq!(
        verify(
            &with(id_token_claims(), "azp", json!("another-client")),
            nonce
        ),
        AuthError::JwtWrongAuthorizedParty
    );
    assert_eq!(
        verify(
            &with(id_token_claims(), "aud", json!(["permanence-pages", "api"])),
            nonce
        ),
        AuthError::JwtWrongAuthorizedParty,
        "several audiences and no azp"
    );
    let expired = with(id_token_claims(), "exp", json!(now().timestamp() - 600));
    assert_eq!(verify(&expired, nonce), AuthError::JwtExpired);
    let forged = sign(
        Algorithm::RS256,
        Some("rsa-1"),
        &EncodingKey::from_rsa_pem(INTRUDER_PRIVATE).expect("intruder fixture"),
        &id_token_claims(),
    );
    assert_eq!(
        id_token_verifier()
            .verify_id_token(&forged, now(), nonce)
            .expect_err("refused"),
        AuthError::JwtBadSignature
    );
}
