//! End-to-end: GraphiQL, where the server enables it, is a page of this server with nothing
//! from another host. In a real browser (headless Chromium over WebDriver) the editor draws,
//! the browser refuses nothing under the page's Content-Security-Policy, a query without a
//! token is refused and `{ today }` with one answers, the schema comes with the token, and a
//! subscription over the WebSocket sees a change made through the API. Over HTTP, every file
//! the page names answers from this server.

use anyhow::{Context, bail};
use permanence_auth::Role;
use permanence_e2e::browser::Browser;
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{Backend, TestServer, child_in_care, test_today};
use permanence_server::HttpOptions;
use std::time::Duration;

fn with_graphiql() -> HttpOptions {
    HttpOptions {
        graphiql: true,
        ..HttpOptions::default()
    }
}

/// The CodeMirror editor in the element matching `css` (GraphiQL's editors are CodeMirror 5,
/// which keeps its API on its wrapper element).
const EDITOR: &str = "const e = document.querySelector(arguments[0] + ' .CodeMirror');
    if (!e || !e.CodeMirror) { throw new Error('no editor in ' + arguments[0]); }";

async fn set_editor(browser: &Browser, css: &str, text: &str) -> anyhow::Result<()> {
    browser
        .client
        .execute(
            &format!("{EDITOR} e.CodeMirror.setValue(arguments[1]);"),
            vec![json!(css), json!(text)],
        )
        .await?;
    Ok(())
}

async fn editor_text(browser: &Browser, css: &str) -> anyhow::Result<String> {
    let value = browser
        .client
        .execute(
            &format!("{EDITOR} return e.CodeMirror.getValue();"),
            vec![json!(css)],
        )
        .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

const QUERY_EDITOR: &str = ".graphiql-query-editor";

/// Writes `text` in the query editor and waits (up to ten seconds) for GraphiQL to have
/// parsed it: GraphiQL reads the operations a moment after an edit, and a subscription goes
/// to the WebSocket only once GraphiQL has seen that it is one.
async fn set_query(browser: &Browser, text: &str) -> anyhow::Result<()> {
    set_editor(browser, QUERY_EDITOR, text).await?;
    for _ in 0..100 {
        let parsed = browser
            .client
            .execute(
                &format!(
                    "{EDITOR} const ast = e.CodeMirror.documentAST;
                     return !!ast && !!ast.loc && ast.loc.source.body === e.CodeMirror.getValue();"
                ),
                vec![json!(QUERY_EDITOR)],
            )
            .await?;
        if parsed.as_bool() == Some(true) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("GraphiQL never parsed the query {text}")
}
/// The headers editor: the editor tools' pane that is showing (the page opens it on Headers).
const HEADERS_EDITOR: &str = ".graphiql-editor-tool .graphiql-editor:not(.hidden)";
const RESULT: &str = ".result-window";

/// Waits (up to ten seconds) for the result pane to contain `wanted`; returns what it shows.
async fn wait_for_result(browser: &Browser, wanted: &str) -> anyhow::Result<String> {
    let mut shown = String::new();
    for _ in 0..100 {
        shown = editor_text(browser, RESULT).await?;
        if shown.contains(wanted) {
            return Ok(shown);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the result pane never showed {wanted}: {shown}")
}

/// The Content-Security-Policy violations the browser has reported on this page since it
/// loaded (a buffered ReportingObserver is handed the reports made before it existed).
async fn csp_violations(browser: &Browser) -> anyhow::Result<Vec<Value>> {
    let reports = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const seen = [];
             const observer = new ReportingObserver(reports => {
                 for (const r of reports) {
                     seen.push({ directive: r.body.effectiveDirective, blocked: r.body.blockedURL,
                                 source: r.body.sourceFile, line: r.body.lineNumber });
                 }
             }, { types: ['csp-violation'], buffered: true });
             observer.observe();
             setTimeout(() => { observer.takeRecords(); observer.disconnect(); done(seen); }, 300);",
            vec![],
        )
        .await?;
    Ok(reports.as_array().cloned().unwrap_or_default())
}

async fn assert_no_csp_violation(browser: &Browser, when: &str) -> anyhow::Result<()> {
    let violations = csp_violations(browser).await?;
    if !violations.is_empty() {
        bail!("{when}: the browser refused under the page's policy: {violations:#?}");
    }
    Ok(())
}

async fn click(browser: &Browser, css: &str) -> anyhow::Result<()> {
    browser
        .click(css)
        .await
        .with_context(|| format!("clicking {css}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_runs_queries_and_subscriptions_with_nothing_from_elsewhere() -> anyhow::Result<()>
{
    let server = TestServer::start_with(Backend::Sqlite, with_graphiql()).await?;
    let case_id = child_in_care(&server, "GQL1", "2019-03-14", "2026-01-05").await?;
    let browser = Browser::start(&server.server.url("")).await?;
    browser.goto("/graphql").await?;
    // GraphiQL draws its editors once its scripts have run.
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(fantoccini::Locator::Css(
            ".graphiql-container .graphiql-query-editor .CodeMirror",
        ))
        .await
        .context("GraphiQL's query editor never appeared")?;
    assert_eq!(browser.client.title().await?, "GraphiQL – Permanence");
    assert_no_csp_violation(&browser, "GraphiQL, loaded").await?;
    browser
        .assert_nothing_from_elsewhere("GraphiQL, loaded")
        .await?;
    assert!(
        editor_text(&browser, HEADERS_EDITOR)
            .await?
            .contains("\"Authorization\": \"Bearer \""),
        "the headers editor is open, ready for a token"
    );

    // As it opens, with no token, GraphiQL asks for the schema and shows the server's
    // refusal; a query is refused the same way.
    wait_for_result(&browser, "UNAUTHENTICATED").await?;
    set_editor(&browser, RESULT, "").await?;
    set_query(&browser, "{ today }").await?;
    click(&browser, ".graphiql-execute-button").await?;
    wait_for_result(&browser, "UNAUTHENTICATED").await?;

    // With a token in the headers editor, the query is answered.
    let headers = json!({ "Authorization": server.bearer(Role::TeamManager) }).to_string();
    set_editor(&browser, HEADERS_EDITOR, &headers).await?;
    click(&browser, ".graphiql-execute-button").await?;
    let shown = wait_for_result(&browser, "\"today\"").await?;
    let answer: Value = serde_json::from_str(&shown).context("the result pane's JSON")?;
    assert_eq!(
        answer.pointer("/data/today"),
        Some(&json!(test_today().to_string())),
        "{shown}"
    );

    // The schema, fetched again with the token (introspection is on with GraphiQL), fills
    // the documentation explorer.
    click(&browser, "button[aria-label='Re-fetch GraphQL schema']").await?;
    click(&browser, "button[aria-label='Show Documentation Explorer']").await?;
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(fantoccini::Locator::XPath(
            "//*[contains(@class,'graphiql-doc-explorer')]//a[normalize-space()='Query']",
        ))
        .await
        .context("the documentation explorer never showed the Query type")?;

    // A subscription goes over the WebSocket (graphql-transport-ws, the token in its first
    // message): it sees the case change when the case is changed through the API. Until it
    // is established a change is missed, so the case is allocated afresh until one is seen.
    set_query(
        &browser,
        &format!("subscription {{ caseChanged(caseId: \"{case_id}\") {{ id allocatedWorker }} }}"),
    )
    .await?;
    click(&browser, ".graphiql-execute-button").await?;
    let mut seen = String::new();
    for attempt in 0..50 {
        let worker = if attempt % 2 == 0 { "sw.one" } else { "sw.two" };
        server
            .ok(
                "mutation($i: AllocateCaseInput!) { allocateCase(input: $i) { case { id } } }",
                json!({ "i": { "caseId": case_id, "occurredOn": "2026-02-01",
                               "allocatedWorker": worker } }),
            )
            .await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        seen = editor_text(&browser, RESULT).await?;
        if seen.contains("caseChanged") {
            break;
        }
    }
    assert!(
        seen.contains(&case_id),
        "the subscription saw no change: {seen}"
    );
    assert!(seen.contains("\"allocatedWorker\": \"sw."), "{seen}");

    assert_no_csp_violation(&browser, "GraphiQL, after queries and a subscription").await?;
    browser
        .assert_nothing_from_elsewhere("GraphiQL, after queries and a subscription")
        .await?;
    browser.screenshot("graphiql").await?;
    browser.close().await?;
    server.stop().await
}

/// The `src` and `href` values of the page's tags, in order.
fn referenced(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attribute) {
            rest = &rest[at + attribute.len()..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].to_owned());
                rest = &rest[end..];
            }
        }
    }
    out
}

#[tokio::test]
async fn graphiql_page_and_every_file_it_names_come_from_this_server() -> anyhow::Result<()> {
    let server = TestServer::start_with(Backend::Sqlite, with_graphiql()).await?;
    let page = reqwest::get(server.server.url("/graphql")).await?;
    assert_eq!(page.status(), 200);
    let header = |name: &str| {
        page.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(header("content-type").starts_with("text/html"));
    let policy = header("content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self';",
        "style-src 'self';",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");
    assert!(!policy.contains("http"), "no other host: {policy}");
    let html = page.text().await?;

    // No inline script: each script is a file, and the endpoints are data- attributes.
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=\"/assets/").count(),
        "{html}"
    );
    assert!(html.contains("data-endpoint=\"/graphql\""), "{html}");
    assert!(
        html.contains("data-subscription-endpoint=\"/graphql/ws\""),
        "{html}"
    );

    let files = referenced(&html);
    assert_eq!(files.len(), 6, "two styles and four scripts: {files:?}");
    for file in &files {
        assert!(file.starts_with("/assets/graphiql/"), "{file}");
        let response = reqwest::get(server.server.url(file)).await?;
        assert_eq!(response.status(), 200, "{file}");
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.text().await?;
        assert!(!body.is_empty(), "{file}");
        if file.ends_with(".css") {
            assert!(kind.starts_with("text/css"), "{file}: {kind}");
            // A stylesheet's url() could load from elsewhere: GraphiQL's are all data:.
            for (at, _) in body.match_indices("url(") {
                let target = body[at + 4..].trim_start_matches(['"', '\'']);
                assert!(
                    target.starts_with("data:"),
                    "{file}: url({})",
                    &target[..40.min(target.len())]
                );
            }
        } else {
            assert!(kind.starts_with("text/javascript"), "{file}: {kind}");
        }
    }
    // The packages' licences are served beside their files.
    for licence in [
        "LICENSE-graphiql.txt",
        "LICENSE-react.txt",
        "LICENSE-react-dom.txt",
    ] {
        let response =
            reqwest::get(server.server.url(&format!("/assets/graphiql/{licence}"))).await?;
        assert_eq!(response.status(), 200, "{licence}");
        assert!(response.text().await?.contains("MIT License"), "{licence}");
    }
    server.stop().await
}
