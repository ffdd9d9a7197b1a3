//! PostGraphile v4 over the engine's own tables, on the same working database, answering
//! the same logical reads; installed by hand in a scratch folder outside the repository
//! (`npm install postgraphile@4`), never committed.
//!
//! What PostGraphile can and cannot say, per scenario:
//! - Q1, Q2: `caseById`, with the events through the foreign key (`caseEventsByCaseId`).
//! - Q3: `allCases` with a `condition` on authority, team and status, each with its child,
//!   its state (the route steps live in the JSON state, which PostGraphile returns as text)
//!   and its deadlines through the foreign key.
//! - Q4: `allCaseDeadlines` ordered by due date, first 50: without a filter plugin it cannot
//!   say "due on or before today + 7", but the first page is the same deadlines as the
//!   engine's while 50 or more are overdue (they are, in these cohorts); the drift status
//!   and days overdue are the client's to compute.
//! - Q5: it cannot compute the measures. It is given what a client of PostGraphile would
//!   have to fetch to compute them: every case of the authority with its state and child.
//!
//! It runs as the database owner with no row-level security and writes no audit row: the
//! engine authenticates every request, checks the user's reach and writes an audit row for
//! every case read, inside the figures compared.

use super::queries::{ReadDocuments, body};
use super::targets::Plan;
use anyhow::{Context, bail};
use serde_json::json;
use std::fs::File;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const Q1: &str = "query Q1($id: UUID!) { caseById(id: $id) { id version status team \
    allocatedWorker enteredCareOn primaryRoute primaryStep } }";

const Q2: &str = "query Q2($id: UUID!) { caseById(id: $id) { id version \
    caseEventsByCaseId(orderBy: SEQUENCE_ASC) { nodes { sequence eventType occurredOn \
    recordedAt actor payload } } } }";

const Q3: &str = "query Q3($la: String!, $team: String!, $first: Int!) { \
    allCases(first: $first, orderBy: ID_ASC, \
    condition: {localAuthority: $la, team: $team, status: \"OPEN\"}) { nodes { id version \
    childByChildId { reference } primaryRoute primaryStep state \
    caseDeadlinesByCaseId(orderBy: DUE_ON_ASC) { nodes { rule dueOn } } } } }";

const Q4: &str = "query Q4($la: String!, $first: Int!) { allCaseDeadlines(first: $first, \
    orderBy: [DUE_ON_ASC, CASE_ID_ASC, DEADLINE_KEY_ASC], condition: {localAuthority: $la}) { \
    nodes { rule dueOn caseByCaseId { id team childByChildId { reference } } } } }";

const Q5: &str = "query Q5($la: String!) { allCases(orderBy: ID_ASC, \
    condition: {localAuthority: $la}) { nodes { id state enteredCareOn leftCareOn \
    childByChildId { reference sex ethnicity birthDate } } } }";

/// PostGraphile's bodies for a read scenario.
pub fn read_bodies(scenario: &str, plan: &Plan) -> anyhow::Result<Vec<String>> {
    ReadDocuments {
        q1: Q1,
        q2: Q2,
        q3: Q3,
        q4: Q4,
        // The window does not narrow what must be fetched: any case may hold a step in it.
        q5: |plan| body(Q5, json!({ "la": plan.local_authority })),
    }
    .bodies(scenario, plan)
}

/// A PostGraphile process.
#[derive(Debug)]
pub struct PostGraphile {
    child: Child,
    pub port: u16,
}

impl PostGraphile {
    /// `postgraphile` from `DIR/node_modules/.bin`, on `database_url`, in production mode
    /// with one worker per CPU (Node runs JavaScript on one core) and, over all workers,
    /// as many database connections as the engine's pool (16).
    pub async fn start(dir: &Path, database_url: &str, out: &Path) -> anyhow::Result<Self> {
        let bin = dir.join("node_modules/.bin/postgraphile");
        if !bin.exists() {
            bail!(
                "{} not found: npm install postgraphile@4 in {}",
                bin.display(),
                dir.display()
            );
        }
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let log = File::create(out.join("postgraphile.log"))?;
        let child = Command::new(&bin)
            .args(["--connection", database_url, "--schema", "public"])
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--max-pool-size", &(16 / workers).max(1).to_string()])
            .args(["--disable-query-log", "--disable-graphiql"])
            .args(["--cluster-workers", &workers.to_string()])
            .env("NODE_ENV", "production")
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let server = Self { child, port };
        server.wait_ready().await?;
        Ok(server)
    }

    pub fn graphql_url(&self) -> String {
        format!("http://127.0.0.1:{}/graphql", self.port)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let answer = client
                .post(self.graphql_url())
                .json(&json!({ "query": "{ __typename }" }))
                .send()
                .await;
            if let Ok(response) = answer
                && response.status().is_success()
            {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(120) {
                bail!("PostGraphile did not answer within 120 s (see postgraphile.log)");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        // The cluster's workers are its children: SIGTERM to the master stops them too.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let started = Instant::now();
        while self.child.try_wait()?.is_none() {
            if started.elapsed() > Duration::from_secs(20) {
                self.child.kill()?;
                self.child.wait()?;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }
}
