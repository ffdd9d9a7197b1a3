//! End-to-end: every answer of the pages says how long the server spent on it, in a
//! `Server-Timing` header (the benchmark's page scenario reads it), and the API's answers do
//! not.

use permanence_e2e::{Backend, TestServer};

fn server_time(response: &reqwest::Response) -> Option<f64> {
    response
        .headers()
        .get("server-timing")?
        .to_str()
        .ok()?
        .strip_prefix("app;dur=")?
        .parse()
        .ok()
}

#[tokio::test]
async fn pages_say_how_long_the_server_spent() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Sqlite).await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    for path in ["/sign-in", "/", "/assets/app.css"] {
        let response = client.get(server.server.url(path)).send().await?;
        let millis = server_time(&response);
        assert!(
            millis.is_some_and(|m| m >= 0.0),
            "{path}: {:?}",
            response.headers().get("server-timing")
        );
    }
    let api = client.get(server.server.url("/healthz")).send().await?;
    assert!(api.headers().get("server-timing").is_none());
    server.stop().await
}
