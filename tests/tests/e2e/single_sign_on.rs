//! End-to-end: a council's own single sign-on. A token signed by the identity provider (the
//! fixture keys of the auth crate) is accepted with the role its groups map to; one for
//! another audience, expired, or signed by another key is refused.

use anyhow::Context;
use chrono::TimeZone;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{Backend, TestServer, test_today};
use permanence_server::{HttpOptions, load_single_sign_on};
use std::sync::Arc;

const KEYS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../crates/permanence-auth/tests/keys"
);

fn settings(dir: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let path = dir.join("single-sign-on.toml");
    std::fs::write(
        &path,
        format!(
            r#"jwks_file = "{KEYS}/jwks.json"
issuer = "https://login.example.gov.uk/council"
audience = "permanence"
role_claim = "groups"
team_claim = "team"
authorities = {{ fixed = ["E10000003"] }}

[role_map]
"permanence-team-managers" = "TEAM_MANAGER"
"permanence-leaders" = "LEADER"
"#
        ),
    )?;
    Ok(path)
}

fn token(audience: &str, expires_in: i64, key_file: &str) -> anyhow::Result<String> {
    let noon = test_today().and_hms_opt(12, 0, 0).context("time")?;
    let now = chrono::Utc.from_utc_datetime(&noon).timestamp();
    let claims = json!({
        "iss": "https://login.example.gov.uk/council", "aud": audience, "sub": "priya.shah",
        "name": "Priya Shah", "groups": ["all-staff", "permanence-team-managers"], "team": "Team A",
        "iat": now - 60, "nbf": now - 60, "exp": now + expires_in,
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rsa-1".to_owned());
    let key = EncodingKey::from_rsa_pem(&std::fs::read(format!("{KEYS}/{key_file}"))?)?;
    Ok(jsonwebtoken::encode(&header, &claims, &key)?)
}

async fn today_as(server: &TestServer, bearer: &str) -> anyhow::Result<(u16, Value)> {
    let response = server
        .client
        .post(server.server.url("/graphql"))
        .header("authorization", format!("Bearer {bearer}"))
        .json(&json!({ "query": "{ today }" }))
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await?))
}

#[tokio::test]
async fn identity_provider_tokens_are_accepted_with_their_role() -> anyhow::Result<()> {
    let dir =
        std::env::temp_dir().join(format!("permanence-sso-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    let options = HttpOptions {
        jwt: Some(Arc::new(load_single_sign_on(&settings(&dir)?)?)),
        ..HttpOptions::default()
    };
    let server = TestServer::start_with(Backend::Sqlite, options).await?;

    let (status, body) = today_as(&server, &token("permanence", 3600, "rsa-private.pem")?).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.pointer("/data/today"), Some(&json!("2026-11-02")));

    for (why, bad) in [
        (
            "another audience",
            token("another-app", 3600, "rsa-private.pem")?,
        ),
        ("expired", token("permanence", -3600, "rsa-private.pem")?),
        (
            "signed by another key",
            token("permanence", 3600, "intruder-rsa-private.pem")?,
        ),
    ] {
        let (status, body) = today_as(&server, &bad).await?;
        assert_eq!(status, 401, "{why}: {body}");
        assert_eq!(
            body.pointer("/errors/0/extensions/code"),
            Some(&json!("UNAUTHENTICATED")),
            "{why}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
    server.stop().await
}
