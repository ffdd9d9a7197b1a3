//! End-to-end: a request writes one audit row naming every record it read, on SQLite and on
//! PostgreSQL. A drift page (the API's `drift` query and the `/drift` page) lists several
//! cases and writes exactly one row; "who has read this case" still finds that read, case by
//! case; a request that fails after reading records (an API request with a refused field, a
//! form sent back with what is wrong) still audits what it read.

use anyhow::{Context, ensure};
use permanence_auth::{Role, record_kind, verify_chain};
use permanence_e2e::pages::http_sign_in;
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{TestServer, child_in_care, give_password, on_both_backends};
use permanence_engine::store::AuditRow;
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use std::collections::BTreeSet;

const DRIFT: &str = "{ drift(first: 50) { nodes { case { id } deadline { key } } } }";

/// Three open cases, each with care-planning deadlines overdue (no review since 2024).
async fn three_drifting_cases(server: &TestServer) -> anyhow::Result<BTreeSet<String>> {
    let mut cases = BTreeSet::new();
    for reference in ["AR1", "AR2", "AR3"] {
        cases.insert(child_in_care(server, reference, "2019-03-14", "2024-01-08").await?);
    }
    Ok(cases)
}

/// The rows appended after `before`, checked as one chain with the rest of the log.
async fn rows_after(server: &TestServer, before: i64) -> anyhow::Result<Vec<AuditRow>> {
    let store = server.engine().store();
    let all = store.audit_page(0, 100_000).await?;
    verify_chain(all.iter().map(|r| (r.entry.clone(), r.hash.clone())))
        .map_err(|b| anyhow::anyhow!("audit chain broken: {b}"))?;
    Ok(all
        .into_iter()
        .filter(|r| r.entry.sequence > before)
        .collect())
}

/// The case ids a row names, with the field or page each was read through.
fn cases_named(row: &AuditRow) -> BTreeSet<(String, String)> {
    row.entry
        .records
        .iter()
        .flatten()
        .filter(|r| r.record_kind == record_kind::CASE)
        .map(|r| (r.record_id.clone(), r.query.clone()))
        .collect()
}

/// Whether "who has read this case" finds `reader`'s read in row `sequence`, through `query`.
async fn found_by_the_case(
    server: &TestServer,
    case: &str,
    sequence: i64,
    reader: &str,
    query: &str,
) -> anyhow::Result<bool> {
    let reads = server
        .engine()
        .store()
        .audit_of_record(record_kind::CASE, case, 100)
        .await?;
    Ok(reads
        .iter()
        .any(|r| r.sequence == sequence && r.actor == reader && r.query == query))
}

async fn the_apis_drift_writes_one_row(server: &TestServer) -> anyhow::Result<()> {
    let cases = three_drifting_cases(server).await?;
    let before = server.engine().store().audit_head().await?.0;
    let data = server.ok_as(Role::TeamManager, DRIFT, json!({})).await?;
    let listed: BTreeSet<String> = data
        .pointer("/drift/nodes")
        .and_then(Value::as_array)
        .context("drift nodes")?
        .iter()
        .filter_map(|n| n.pointer("/case/id").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    ensure!(listed == cases, "drift lists the three cases: {data}");

    let rows = rows_after(server, before).await?;
    ensure!(
        rows.len() == 1,
        "one row for the request, not {}",
        rows.len()
    );
    let row = &rows[0];
    ensure!(row.entry.actor == "tm.tester");
    let named = cases_named(row);
    let expected: BTreeSet<(String, String)> = cases
        .iter()
        .map(|c| (c.clone(), "drift".to_owned()))
        .collect();
    ensure!(
        named == expected,
        "the row names every case listed: {named:?}"
    );
    for case in &cases {
        ensure!(
            found_by_the_case(server, case, row.entry.sequence, "tm.tester", "drift").await?,
            "the read of each case is found by the case"
        );
    }
    Ok(())
}
on_both_backends!(
    the_apis_drift_is_one_audit_row,
    the_apis_drift_writes_one_row
);

async fn the_drift_page_writes_one_row(server: &TestServer) -> anyhow::Result<()> {
    let cases = three_drifting_cases(server).await?;
    give_password(server.engine(), Role::TeamManager).await?;
    let client = permanence_e2e::pages::no_redirects()?;
    let (session, _) = http_sign_in(server, &client, "tm.tester").await?;
    let before = server.engine().store().audit_head().await?.0;
    let response = client
        .get(server.server.url("/drift"))
        .header(COOKIE, &session)
        .send()
        .await?;
    ensure!(response.status() == StatusCode::OK, "{}", response.status());
    let page = response.text().await?;
    for case in &cases {
        ensure!(page.contains(case.as_str()), "the board lists {case}");
    }

    let rows = rows_after(server, before).await?;
    ensure!(rows.len() == 1, "one row for the page, not {}", rows.len());
    let row = &rows[0];
    ensure!(row.entry.actor == "tm.tester");
    ensure!(row.entry.query == "GET /drift", "{}", row.entry.query);
    let named = cases_named(row);
    let expected: BTreeSet<(String, String)> = cases
        .iter()
        .map(|c| (c.clone(), "page:/drift".to_owned()))
        .collect();
    ensure!(
        named == expected,
        "the row names every case listed: {named:?}"
    );
    for case in &cases {
        ensure!(
            found_by_the_case(server, case, row.entry.sequence, "tm.tester", "page:/drift").await?,
            "the read of each case is found by the case"
        );
    }
    Ok(())
}
on_both_backends!(
    the_drift_page_is_one_audit_row,
    the_drift_page_writes_one_row
);

/// A request that reads a case and fails on another (out of reach: FORBIDDEN) answers with
/// the case it read, and the audit names that read, and only it.
async fn a_failed_request_audits_what_it_read(server: &TestServer) -> anyhow::Result<()> {
    let cases = three_drifting_cases(server).await?;
    let mine = cases.first().context("a case")?.clone();
    let nowhere = uuid::Uuid::now_v7().to_string();
    let before = server.engine().store().audit_head().await?.0;
    let body = server
        .graphql_as(
            Role::TeamManager,
            "query($mine: UUID!, $nowhere: UUID!) { \
               a: case(id: $mine) { id } b: case(id: $nowhere) { id } }",
            json!({ "mine": mine, "nowhere": nowhere }),
        )
        .await?;
    ensure!(
        body.pointer("/errors/0/extensions/code") == Some(&json!("FORBIDDEN")),
        "{body}"
    );
    ensure!(body.pointer("/data/a/id") == Some(&json!(mine)), "{body}");

    let rows = rows_after(server, before).await?;
    ensure!(
        rows.len() == 1,
        "one row for the request, not {}",
        rows.len()
    );
    let named = cases_named(&rows[0]);
    ensure!(
        named == BTreeSet::from([(mine.clone(), "a".to_owned())])
            || named == BTreeSet::from([(mine.clone(), "case".to_owned())]),
        "the row names the case read, and nothing refused: {named:?}"
    );
    ensure!(
        !server
            .engine()
            .store()
            .audit_of_record(record_kind::CASE, &mine, 100)
            .await?
            .is_empty(),
        "the read is found by the case"
    );
    Ok(())
}
on_both_backends!(
    a_failed_request_is_audited,
    a_failed_request_audits_what_it_read
);

/// A page that reads a case and then refuses what was sent (a review on a date that does not
/// exist: 422) audits the read, as one row, before its answer leaves.
async fn a_refused_form_audits_what_it_read(server: &TestServer) -> anyhow::Result<()> {
    let cases = three_drifting_cases(server).await?;
    let case = cases.first().context("a case")?.clone();
    give_password(server.engine(), Role::SocialWorker).await?;
    let client = permanence_e2e::pages::no_redirects()?;
    let (session, token) = http_sign_in(server, &client, "sw.tester").await?;
    let path = format!("/cases/{case}/record/review");
    let before = server.engine().store().audit_head().await?.0;
    let refused = client
        .post(server.server.url(&path))
        .header(COOKIE, &session)
        .form(&[
            ("on-day", "31"),
            ("on-month", "2"),
            ("on-year", "2026"),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await?;
    ensure!(
        refused.status() == StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.status()
    );

    let rows = rows_after(server, before).await?;
    ensure!(rows.len() == 1, "one row for the page, not {}", rows.len());
    let row = &rows[0];
    ensure!(
        row.entry.query == format!("POST {path}"),
        "{}",
        row.entry.query
    );
    let named = cases_named(row);
    ensure!(
        named == BTreeSet::from([(case.clone(), format!("page:{path}"))]),
        "the row names the case the form showed: {named:?}"
    );
    ensure!(
        found_by_the_case(
            server,
            &case,
            row.entry.sequence,
            "sw.tester",
            &format!("page:{path}")
        )
        .await?,
        "the read is found by the case"
    );
    Ok(())
}
on_both_backends!(
    a_refused_form_is_audited,
    a_refused_form_audits_what_it_read
);
