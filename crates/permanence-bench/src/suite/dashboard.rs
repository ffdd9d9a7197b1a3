//! DASHBOARD: the leaders' dashboard's server time at the cohort's size. The issue asks for
//! under 200 ms, and under 50 ms once warm, at 10,000 children.
//!
//! A leader of the cohort's authority is made with `permanence user add … --password-stdin`
//! and signs in as a browser does (`pages::sign_in`). Then:
//! - **first request**, `--cold-starts` times: the server is started afresh, so that its
//!   reports hold no case yet; the leader signs in and asks for `/dashboard` (the last 12
//!   months, breaking down A1) once, then once more. The first answer reads every case of
//!   the authority; the second finds them unchanged (one aggregate query) and only works the
//!   figures out again.
//! - **warm**, on the last of those servers: `/dashboard` at each of `--page-connections`
//!   (1 and 16) for `--duration` seconds after `--warmup`, as PAGES measures pages; then
//!   `/dashboard.xlsx`, the same figures as a workbook, likewise.
//!
//! Server time is the `Server-Timing: app;dur=…` of each answer, as for PAGES; the dashboard
//! names its steps in the same header (`cases`: the cases read, or found unchanged; the
//! engine's measures worked out for the `periods` (the period and the one before), the
//! `quarters` and the `breakdowns`; `page` or `file`: the charts and the page, or the file), and
//! their spread is reported beside the whole, to show where the time goes. Every answer
//! must be 200 and the dashboard (its heading, or a workbook's `PK`), or it counts as failed.

use super::pages::{self, MAX_REQUESTS, PASSWORD, Page, PageRun, Spread};
use super::server::Server;
use anyhow::bail;
use permanence_cohort::DEFAULT_LOCAL_AUTHORITY;
use std::path::Path;

const HEADING: &str = "How quickly children reach permanence";

/// The leader's name on a server (new each time: the database is reused).
fn leader_name(server: &Server) -> String {
    format!("bench-leader-{}-{}", server.pid(), std::process::id())
}

async fn leader_page(server: &Server, name: &str, path: &str, shows: &str) -> anyhow::Result<Page> {
    let username = leader_name(server);
    server.user_with_password(&username, "LEADER", &[], DEFAULT_LOCAL_AUTHORITY, PASSWORD)?;
    let session = pages::sign_in(&server.base_url(), &username).await?;
    Ok(Page {
        name: name.to_owned(),
        path: path.to_owned(),
        session,
        shows: shows.to_owned(),
    })
}

/// One answer, which must be the page asked for.
async fn once(server: &Server, page: &Page) -> anyhow::Result<PageRun> {
    let run = pages::measure(
        &server.base_url(),
        &server.pid().to_string(),
        page,
        1,
        120,
        1,
    )
    .await?;
    if run.failed > 0 || run.answers != 1 {
        bail!("{}: {:?}", page.name, run.failures);
    }
    Ok(run)
}

/// Single answers gathered as one run: their spread, and their steps'.
fn gathered(name: &str, runs: &[PageRun]) -> PageRun {
    let values = |f: &dyn Fn(&PageRun) -> f64| runs.iter().map(f).collect::<Vec<f64>>();
    let mut steps: Vec<(String, Vec<f64>)> = Vec::new();
    for run in runs {
        for (step, spread) in &run.steps {
            match steps.iter_mut().find(|(n, _)| n == step) {
                Some((_, all)) => all.push(spread.p50),
                None => steps.push((step.clone(), vec![spread.p50])),
            }
        }
    }
    let count = runs.len().max(1) as f64;
    PageRun {
        page: name.to_owned(),
        connections: 1,
        answers: runs.iter().map(|r| r.answers).sum(),
        failed: runs.iter().map(|r| r.failed).sum(),
        seconds: runs.iter().map(|r| r.seconds).sum(),
        server: Spread::of(values(&|r| r.server.p50)),
        client: Spread::of(values(&|r| r.client.p50)),
        server_cpu_ms: values(&|r| r.server_cpu_ms).iter().sum::<f64>() / count,
        client_cpu_ms: values(&|r| r.client_cpu_ms).iter().sum::<f64>() / count,
        failures: Vec::new(),
        load_average: runs
            .last()
            .map(|r| r.load_average.clone())
            .unwrap_or_default(),
        steps: steps
            .into_iter()
            .map(|(n, all)| (n, Spread::of(all)))
            .collect(),
    }
}

fn say(run: &PageRun) {
    let steps: Vec<String> = run
        .steps
        .iter()
        .map(|(name, s)| format!("{name} p50 {:.1}", s.p50))
        .collect();
    eprintln!(
        "suite: DASHBOARD {} at {} connection(s): {} answers, {:.0}/s, server p50 {:.1} p95 {:.1} \
         p99 {:.1} max {:.1} ms ({}), server CPU {:.1} ms an answer, {} failed (load {})",
        run.page,
        run.connections,
        run.answers,
        run.per_second(),
        run.server.p50,
        run.server.p95,
        run.server.p99,
        run.server.max,
        steps.join(", "),
        run.server_cpu_ms,
        run.failed,
        run.load_average
    );
}

/// The scenario: its own servers on the working database, each stopped at the end.
pub async fn run(
    server_bin: &Path,
    database_url: &str,
    out: &Path,
    cold_starts: u32,
    connections: &[u32],
    warmup: u64,
    duration: u64,
) -> anyhow::Result<Vec<PageRun>> {
    let mut first = Vec::new();
    let mut second = Vec::new();
    let mut last = None;
    for start in 0..cold_starts.max(1) {
        if let Some((server, _)) = last.take() {
            Server::stop(server).await?;
        }
        let server =
            Server::start(server_bin, database_url, out, &format!("dashboard-{start}")).await?;
        let page = leader_page(&server, "dashboard", "/dashboard", HEADING).await?;
        first.push(once(&server, &page).await?);
        second.push(once(&server, &page).await?);
        last = Some((server, page));
    }
    let mut out_runs = vec![
        gathered("dashboard, first request after a start", &first),
        gathered("dashboard, second request", &second),
    ];
    for run in &out_runs {
        say(run);
    }
    let Some((server, page)) = last else {
        bail!("no server was started");
    };
    let workbook = Page {
        name: "dashboard.xlsx, warm".into(),
        path: "/dashboard.xlsx".into(),
        session: page.session.clone(),
        shows: "PK".into(),
    };
    let warm = Page {
        name: "dashboard, warm".into(),
        ..page
    };
    let (base, pid) = (server.base_url(), server.pid().to_string());
    for page in [&warm, &workbook] {
        once(&server, page).await?;
        for &c in connections {
            let limit = MAX_REQUESTS / c.max(1) as usize;
            if warmup > 0 {
                pages::measure(&base, &pid, page, c, warmup, limit).await?;
            }
            let run = pages::measure(&base, &pid, page, c, duration, limit).await?;
            say(&run);
            out_runs.push(run);
        }
    }
    server.stop().await?;
    Ok(out_runs)
}
