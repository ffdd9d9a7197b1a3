//! End-to-end: what the HTTP layer refuses before GraphQL runs, and the health check.

use permanence_e2e::serde_json::json;
use permanence_e2e::{Backend, TestServer};
use permanence_server::HttpOptions;

#[tokio::test]
async fn health_check_answers() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Sqlite).await?;
    let response = reqwest::get(server.server.url("/healthz")).await?;
    assert_eq!(response.status(), 200);
    server.stop().await
}

#[tokio::test]
async fn graphql_requires_json() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Sqlite).await?;
    let response = server
        .client
        .post(server.server.url("/graphql"))
        .header("content-type", "text/plain")
        .body(r#"{"query":"{ today }"}"#)
        .send()
        .await?;
    assert_eq!(response.status(), 415);
    server.stop().await
}

#[tokio::test]
async fn body_limit_applies_to_graphql() -> anyhow::Result<()> {
    let options = HttpOptions {
        body_limit_bytes: 1024,
        ..HttpOptions::default()
    };
    let server = TestServer::start_with(Backend::Sqlite, options).await?;
    let padding = "x".repeat(4096);
    let response = server
        .client
        .post(server.server.url("/graphql"))
        .json(&json!({ "query": format!("{{ today }} # {padding}") }))
        .send()
        .await?;
    assert_eq!(response.status(), 413);
    let small = server
        .client
        .post(server.server.url("/graphql"))
        .header(
            "authorization",
            server.bearer(permanence_auth::Role::TeamManager),
        )
        .json(&json!({ "query": "{ today }" }))
        .send()
        .await?;
    assert_eq!(small.status(), 200);
    server.stop().await
}

#[tokio::test]
async fn deep_queries_are_refused() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Sqlite).await?;
    let deep = "{ children { edges { node { cases { child { cases { child { cases { child { cases { child { cases { id } } } } } } } } } } } } }";
    let body = server.graphql(deep, json!({})).await?;
    let message = body
        .pointer("/errors/0/message")
        .and_then(|m| m.as_str())
        .unwrap_or_default();
    assert!(message.contains("nested too deep"), "{body}");
    assert_eq!(
        body.pointer("/errors/0/extensions/code"),
        Some(&json!("BAD_REQUEST"))
    );
    server.stop().await
}

#[tokio::test]
async fn introspection_and_graphiql_are_off_unless_enabled() -> anyhow::Result<()> {
    let introspect = "{ __schema { queryType { name } } }";
    let server = TestServer::start(Backend::Sqlite).await?;
    let body = server.graphql(introspect, json!({})).await?;
    // The schema answers nothing about itself, and says so.
    assert_eq!(body.pointer("/data"), Some(&json!(null)), "{body}");
    assert_eq!(
        body.pointer("/errors/0/extensions/code"),
        Some(&json!("BAD_REQUEST")),
        "{body}"
    );
    let page = reqwest::get(server.server.url("/graphql")).await?;
    assert_eq!(page.status(), 404);
    server.stop().await?;

    let options = HttpOptions {
        graphiql: true,
        ..HttpOptions::default()
    };
    let server = TestServer::start_with(Backend::Sqlite, options).await?;
    let body = server.graphql(introspect, json!({})).await?;
    assert_eq!(
        body.pointer("/data/__schema/queryType/name"),
        Some(&json!("Query"))
    );
    let page = reqwest::get(server.server.url("/graphql")).await?;
    assert_eq!(page.status(), 200);
    server.stop().await
}

#[tokio::test]
async fn batched_requests_are_refused() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Sqlite).await?;
    let response = server
        .client
        .post(server.server.url("/graphql"))
        .header(
            "authorization",
            server.bearer(permanence_auth::Role::TeamManager),
        )
        .json(&json!([{ "query": "{ today }" }, { "query": "{ today }" }]))
        .send()
        .await?;
    assert_eq!(
        response.status(),
        400,
        "a batch of operations is one request too many"
    );
    server.stop().await
}

#[tokio::test]
async fn each_user_has_a_request_budget() -> anyhow::Result<()> {
    let options = HttpOptions {
        requests_per_minute: 3,
        ..HttpOptions::default()
    };
    let server = TestServer::start_with(Backend::Sqlite, options).await?;
    for _ in 0..3 {
        let body = server.graphql("{ today }", json!({})).await?;
        assert!(body.get("errors").is_none(), "{body}");
    }
    let response = server
        .client
        .post(server.server.url("/graphql"))
        .header(
            "authorization",
            server.bearer(permanence_auth::Role::TeamManager),
        )
        .json(&json!({ "query": "{ today }" }))
        .send()
        .await?;
    assert_eq!(response.status(), 429);
    let body: serde_json::Value = response.json().await?;
    assert_eq!(
        body.pointer("/errors/0/extensions/code"),
        Some(&json!("RATE_LIMITED"))
    );
    // Another user's budget is their own.
    let other = server
        .graphql_as(permanence_auth::Role::Leader, "{ today }", json!({}))
        .await?;
    assert!(other.get("errors").is_none(), "{other}");
    server.stop().await
}

#[tokio::test]
async fn too_many_aliases_are_refused() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Sqlite).await?;
    let fields = |n: usize| {
        (0..n)
            .map(|i| format!("t{i}: today"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let allowed = server
        .graphql(&format!("{{ {} }}", fields(30)), json!({}))
        .await?;
    assert!(allowed.get("errors").is_none(), "{allowed}");
    let refused = server
        .graphql(&format!("{{ {} }}", fields(31)), json!({}))
        .await?;
    assert_eq!(
        refused.pointer("/errors/0/extensions/code"),
        Some(&json!("BAD_REQUEST")),
        "{refused}"
    );
    server.stop().await
}
