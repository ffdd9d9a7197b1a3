//! PAGES: how long the server spends on the pages people use, at the cohort's size. The
//! issue's aim is under 50 ms of server time at 10,000 children.
//!
//! Two people sign in through `POST /sign-in` as a browser does (the form's CSRF token and
//! its pairing cookie first, from `GET /sign-in`): the social worker with the most open
//! cases allocated to them, and a team manager of the team of the case with the longest
//! history. Then, each page at each of `--page-connections` (1 and 16), for `--duration`
//! seconds after `--warmup`:
//! - `GET /` as the social worker: their caseload (the first 25 of their open cases);
//! - `GET /` as the team manager: their team's open cases (and the unallocated ones);
//! - `GET /cases/{id}` as the team manager: the case with the most events in the cohort.
//!
//! The server's own time is the `Server-Timing: app;dur=…` the pages send: from the request
//! reaching the pages to the page made (session, reads, audit rows, template), without the
//! network or this client. The client's time on loopback is given beside it. Every answer
//! must be 200 and the page asked for (its heading), or it counts as failed. The connections
//! of one person share their session, as a person's tabs do.

use super::server::Server;
use anyhow::{Context, bail};
use permanence_cohort::DEFAULT_LOCAL_AUTHORITY;
use permanence_domain::{CaseId, Timescales};
use permanence_engine::SystemClock;
use permanence_server::open_engine;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The password the page scenario's users sign in with (a benchmark database only).
pub(super) const PASSWORD: &str = "a benchmark pass phrase";
/// Requests one run sends at most, whatever its duration.
pub(super) const MAX_REQUESTS: usize = 200_000;

/// Who and what the scenario reads, chosen from the database.
#[derive(Clone, Debug)]
pub struct Targets {
    pub social_worker: String,
    pub social_worker_open_cases: i64,
    pub team: String,
    pub team_open_cases: i64,
    pub long_case: Uuid,
    pub long_case_reference: String,
    pub long_case_events: i64,
}

impl Targets {
    pub async fn from_database(url: &str) -> anyhow::Result<Self> {
        let db = Database::connect(url).await?;
        let backend = db.get_database_backend();
        // The authority is our own constant, not input.
        let la = DEFAULT_LOCAL_AUTHORITY;
        let worker = db
            .query_one_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT allocated_worker AS worker, COUNT(*) AS n FROM cases \
                     WHERE local_authority = '{la}' AND status = 'OPEN' \
                     AND allocated_worker IS NOT NULL \
                     GROUP BY allocated_worker ORDER BY n DESC, worker LIMIT 1"
                ),
            ))
            .await?
            .context("no open case has an allocated worker")?;
        let longest = db
            .query_one_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT e.case_id AS case_id, COUNT(*) AS n FROM case_events e \
                     JOIN cases c ON c.id = e.case_id \
                     WHERE c.local_authority = '{la}' AND c.team IS NOT NULL \
                     GROUP BY e.case_id ORDER BY n DESC, e.case_id LIMIT 1"
                ),
            ))
            .await?
            .context("no case has events")?;
        let long_case: Uuid = longest.try_get("", "case_id")?;
        let engine = open_engine(url, Timescales::default(), std::sync::Arc::new(SystemClock))
            .await
            .context("opening the working database")?;
        let case = engine
            .store()
            .case(CaseId(long_case))
            .await?
            .context("the longest case")?;
        let team = case.state.team.clone().context("the longest case's team")?;
        let reference = engine
            .store()
            .child(case.child_id)
            .await?
            .map(|c| c.reference)
            .context("the longest case's child")?;
        let team_open = db
            .query_one_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT COUNT(*) AS n FROM cases WHERE local_authority = '{la}' \
                     AND status = 'OPEN' AND (team = '{}' OR team IS NULL)",
                    team.replace('\'', "''")
                ),
            ))
            .await?
            .context("COUNT answered no row")?;
        db.close().await?;
        Ok(Self {
            social_worker: worker.try_get("", "worker")?,
            social_worker_open_cases: worker.try_get("", "n")?,
            team,
            team_open_cases: team_open.try_get("", "n")?,
            long_case,
            long_case_reference: reference,
            long_case_events: longest.try_get("", "n")?,
        })
    }

    pub fn summary(&self) -> String {
        format!(
            "social worker {} ({} open cases); team manager of {} ({} open cases with the \
             unallocated); case page of {} ({} events)",
            self.social_worker,
            self.social_worker_open_cases,
            self.team,
            self.team_open_cases,
            self.long_case_reference,
            self.long_case_events
        )
    }

    pub fn json(&self) -> Value {
        json!({
            "social_worker_open_cases": self.social_worker_open_cases,
            "team_open_cases_with_unallocated": self.team_open_cases,
            "case_events": self.long_case_events,
        })
    }
}

/// Percentiles of one set of milliseconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Spread {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Spread {
    /// Nearest-rank percentiles.
    pub(super) fn of(mut millis: Vec<f64>) -> Self {
        if millis.is_empty() {
            return Self::default();
        }
        millis.sort_by(f64::total_cmp);
        let at = |p: f64| {
            let rank = (p / 100.0 * millis.len() as f64).ceil() as usize;
            millis[rank.clamp(1, millis.len()) - 1]
        };
        Self {
            p50: at(50.0),
            p95: at(95.0),
            p99: at(99.0),
            max: at(100.0),
        }
    }

    fn json(&self) -> Value {
        json!({ "p50_ms": self.p50, "p95_ms": self.p95, "p99_ms": self.p99, "max_ms": self.max })
    }
}

/// One page at one concurrency.
#[derive(Clone, Debug)]
pub struct PageRun {
    pub page: String,
    pub connections: u32,
    pub answers: usize,
    pub failed: usize,
    pub seconds: f64,
    /// `Server-Timing`, of the answers that carried it.
    pub server: Spread,
    /// From sending to the whole page read, on loopback.
    pub client: Spread,
    /// CPU milliseconds per answer, of the server's process (its reads, decoding, the audit
    /// rows, the page; with SQLite, the database too) and of this client's.
    pub server_cpu_ms: f64,
    pub client_cpu_ms: f64,
    /// The first failures' statuses and beginnings, to see why.
    pub failures: Vec<String>,
    pub load_average: String,
    /// The steps a page names in its `Server-Timing` beside the whole (the dashboard's
    /// `cases`, `periods`, `quarters`, `breakdowns`, `page`), in the order named; none for the other pages.
    pub steps: Vec<(String, Spread)>,
}

impl PageRun {
    pub fn per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            (self.answers - self.failed) as f64 / self.seconds
        } else {
            0.0
        }
    }

    pub fn json(&self) -> Value {
        json!({
            "page": self.page, "connections": self.connections, "answers": self.answers,
            "failed": self.failed, "seconds": self.seconds, "per_second": self.per_second(),
            "server": self.server.json(), "client": self.client.json(),
            "server_cpu_ms_per_answer": self.server_cpu_ms,
            "client_cpu_ms_per_answer": self.client_cpu_ms,
            "failures": self.failures, "load_average": self.load_average,
            "server_steps": self.steps.iter().map(|(name, spread)| json!({ "step": name, "server": spread.json() })).collect::<Vec<_>>(),
        })
    }
}

/// A signed-in person: the session cookie to send.
#[derive(Clone, Debug)]
pub(super) struct Session {
    cookie: String,
}

/// The value of cookie `name` among a response's `Set-Cookie` headers.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .find(|(n, v)| n.trim() == name && !v.is_empty())
        .map(|(_, v)| v.trim().to_owned())
}

/// Signs in as a browser does: the form (its CSRF token, and the cookie that pairs the form
/// with this client), then the form sent back with the username and password.
pub(super) async fn sign_in(base: &str, username: &str) -> anyhow::Result<Session> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let form = client.get(format!("{base}/sign-in")).send().await?;
    let pairing = set_cookie(&form, "permanence_sign_in").context("no sign-in cookie")?;
    let html = form.text().await?;
    let marker = "name=\"csrf_token\" value=\"";
    let token = html
        .split_once(marker)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(token, _)| token.to_owned())
        .context("no CSRF token in the sign-in form")?;
    let answer = client
        .post(format!("{base}/sign-in"))
        .header(
            reqwest::header::COOKIE,
            format!("permanence_sign_in={pairing}"),
        )
        .form(&[
            ("username", username),
            ("password", PASSWORD),
            ("csrf_token", token.as_str()),
            ("next", "/"),
        ])
        .send()
        .await?;
    let status = answer.status();
    let cookie = set_cookie(&answer, "permanence_session")
        .with_context(|| format!("signing in as {username}: HTTP {status}, no session"))?;
    Ok(Session {
        cookie: format!("permanence_session={cookie}"),
    })
}

/// A page to ask for, and the text that shows it is that page.
#[derive(Clone, Debug)]
pub(super) struct Page {
    pub name: String,
    pub path: String,
    pub session: Session,
    pub shows: String,
}

/// The answers of one connection.
#[derive(Default)]
struct Tally {
    answers: usize,
    failed: usize,
    server: Vec<f64>,
    client: Vec<f64>,
    failures: Vec<String>,
    /// Each step the answers named, in the order first named.
    steps: Vec<(String, Vec<f64>)>,
}

/// `Server-Timing: app;dur=12.3, cases;dur=0.4, …`: the whole (`app`, first) and the steps
/// named after it.
fn server_timing(response: &reqwest::Response) -> Option<(f64, Vec<(String, f64)>)> {
    let header = response.headers().get("server-timing")?.to_str().ok()?;
    let mut metrics = header.split(',').filter_map(|metric| {
        let (name, duration) = metric.trim().split_once(";dur=")?;
        Some((name.to_owned(), duration.parse::<f64>().ok()?))
    });
    let (name, whole) = metrics.next()?;
    (name == "app").then(|| (whole, metrics.collect()))
}

/// One connection asking for the page, one request after another, until `until`.
async fn connection(
    base: String,
    page: Page,
    until: Instant,
    limit: usize,
) -> anyhow::Result<Tally> {
    // One client per connection, keeping one connection alive.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(1)
        .build()?;
    let url = format!("{base}{}", page.path);
    let mut tally = Tally::default();
    while Instant::now() < until && tally.answers < limit {
        let sent = Instant::now();
        let response = client
            .get(&url)
            .header(reqwest::header::COOKIE, &page.session.cookie)
            .send()
            .await;
        let (status, server, body) = match response {
            Ok(r) => {
                let status = r.status();
                let server = server_timing(&r);
                (status.as_u16(), server, r.text().await.unwrap_or_default())
            }
            Err(e) => (0, None, e.to_string()),
        };
        let client_ms = sent.elapsed().as_secs_f64() * 1000.0;
        tally.answers += 1;
        if status == 200 && body.contains(&page.shows) {
            tally.client.push(client_ms);
            if let Some((ms, steps)) = server {
                tally.server.push(ms);
                for (name, ms) in steps {
                    match tally.steps.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, all)) => all.push(ms),
                        None => tally.steps.push((name, vec![ms])),
                    }
                }
            }
        } else {
            tally.failed += 1;
            if tally.failures.len() < 3 {
                let start: String = body.chars().take(120).collect();
                tally.failures.push(format!("HTTP {status}: {start}"));
            }
        }
    }
    Ok(tally)
}

/// CPU seconds a process has used (user and system), from `/proc/PID/stat`; `None` where
/// there is no such file.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command's closing parenthesis: utime and stime are the 12th and
    // 13th, in clock ticks of 1/100 s (USER_HZ on Linux).
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// The page at `connections` for `seconds`, or until each connection has had `limit`
/// answers.
pub(super) async fn measure(
    base: &str,
    server_pid: &str,
    page: &Page,
    connections: u32,
    seconds: u64,
    limit: usize,
) -> anyhow::Result<PageRun> {
    let server_cpu = cpu_seconds(server_pid);
    let client_cpu = cpu_seconds("self");
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(connection(base.to_owned(), page.clone(), until, limit)))
        .collect();
    let mut all = Tally::default();
    for task in tasks {
        let t = task.await??;
        all.answers += t.answers;
        all.failed += t.failed;
        all.server.extend(t.server);
        all.client.extend(t.client);
        all.failures.extend(t.failures);
        for (name, ms) in t.steps {
            match all.steps.iter_mut().find(|(n, _)| *n == name) {
                Some((_, every)) => every.extend(ms),
                None => all.steps.push((name, ms)),
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    all.failures.truncate(3);
    let per_answer = |before: Option<f64>, after: Option<f64>| match (before, after) {
        (Some(b), Some(a)) if all.answers > 0 => (a - b) * 1000.0 / all.answers as f64,
        _ => f64::NAN,
    };
    let server_cpu_ms = per_answer(server_cpu, cpu_seconds(server_pid));
    let client_cpu_ms = per_answer(client_cpu, cpu_seconds("self"));
    Ok(PageRun {
        page: page.name.clone(),
        connections,
        answers: all.answers,
        failed: all.failed,
        seconds,
        server: Spread::of(all.server),
        client: Spread::of(all.client),
        server_cpu_ms,
        client_cpu_ms,
        failures: all.failures,
        load_average: super::wrk::load_average(),
        steps: all
            .steps
            .into_iter()
            .map(|(name, ms)| (name, Spread::of(ms)))
            .collect(),
    })
}

/// The scenario on a server started on the working database.
pub async fn run(
    server: &Server,
    targets: &Targets,
    connections: &[u32],
    warmup: u64,
    duration: u64,
) -> anyhow::Result<Vec<PageRun>> {
    let manager = format!("bench-manager-{}", std::process::id());
    // A social worker's reach is the cases allocated to them, whatever their team.
    server.user_with_password(
        &targets.social_worker,
        "SOCIAL_WORKER",
        &[],
        DEFAULT_LOCAL_AUTHORITY,
        PASSWORD,
    )?;
    server.user_with_password(
        &manager,
        "TEAM_MANAGER",
        std::slice::from_ref(&targets.team),
        DEFAULT_LOCAL_AUTHORITY,
        PASSWORD,
    )?;
    let base = server.base_url();
    let pid = server.pid().to_string();
    let worker = sign_in(&base, &targets.social_worker).await?;
    let manager = sign_in(&base, &manager).await?;
    let pages = [
        Page {
            name: "home, social worker".into(),
            path: "/".into(),
            session: worker,
            shows: "Your cases".into(),
        },
        Page {
            name: "home, team manager".into(),
            path: "/".into(),
            session: manager.clone(),
            // The heading is "Your teams' cases", its apostrophe escaped in the HTML.
            shows: "Your teams".into(),
        },
        Page {
            name: format!("case page, {} events", targets.long_case_events),
            path: format!("/cases/{}", targets.long_case),
            session: manager,
            shows: targets.long_case_reference.clone(),
        },
    ];
    let mut out = Vec::new();
    for page in &pages {
        // Each page once, checked, before anything is measured: a wrong page fails here.
        let first = measure(&base, &pid, page, 1, 60, 1).await?;
        if first.failed > 0 {
            bail!("{}: {:?}", page.name, first.failures);
        }
        for &c in connections {
            let limit = MAX_REQUESTS / c.max(1) as usize;
            if warmup > 0 {
                measure(&base, &pid, page, c, warmup, limit).await?;
            }
            let run = measure(&base, &pid, page, c, duration, limit).await?;
            eprintln!(
                "suite: PAGES {} at {} connection(s): {:.0}/s, server p50 {:.1} p95 {:.1} p99 {:.1} ms, \
                 client p99 {:.1} ms, server CPU {:.1} ms a page, {} failed (load {})",
                run.page,
                run.connections,
                run.per_second(),
                run.server.p50,
                run.server.p95,
                run.server.p99,
                run.client.p99,
                run.server_cpu_ms,
                run.failed,
                run.load_average
            );
            out.push(run);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let spread = Spread::of((1..=100).rev().map(f64::from).collect());
        assert_eq!(
            (spread.p50, spread.p95, spread.p99, spread.max),
            (50.0, 95.0, 99.0, 100.0)
        );
        let one = Spread::of(vec![7.0]);
        assert_eq!((one.p50, one.p99, one.max), (7.0, 7.0, 7.0));
    }
}
