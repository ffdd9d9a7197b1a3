//! Harness for end-to-end tests: a fresh database (a SQLite file, or a new PostgreSQL
//! database), the real server on `127.0.0.1:0`, and a GraphQL client speaking HTTP to it.
//!
//! PostgreSQL is found at `PERMANENCE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). A test that cannot reach it fails: it
//! never skips, so a green run means both backends were exercised.

use anyhow::{Context, bail};
use chrono::{NaiveDate, TimeZone, Utc};
use permanence_domain::Timescales;
use permanence_engine::store::Store;
use permanence_engine::{Engine, FixedClock};
use permanence_server::{HttpOptions, RunningServer, open_engine};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

pub use serde_json;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn admin_postgres_url() -> String {
    std::env::var("PERMANENCE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// Replaces the database name at the end of a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let prefix = base.rsplit_once('/').map_or(base, |(p, _)| p);
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

enum Database {
    Sqlite(PathBuf),
    Postgres { admin: Store, name: String },
}

/// A fresh, empty database for one test.
pub struct TestDatabase {
    pub url: String,
    database: Database,
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> anyhow::Result<Self> {
        let unique = uuid::Uuid::now_v7().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("permanence-test-{unique}"));
                std::fs::create_dir_all(&dir)?;
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.join("permanence.sqlite").display()
                );
                Ok(Self {
                    url,
                    database: Database::Sqlite(dir),
                })
            }
            Backend::Postgres => {
                let admin_url = admin_postgres_url();
                let admin = Store::connect(&admin_url).await.with_context(|| {
                    format!(
                        "PostgreSQL is required for these tests and did not answer at {admin_url}"
                    )
                })?;
                let name = format!("permanence_test_{unique}");
                if let Err(e) = admin
                    .execute_raw_for_tests(&format!("CREATE DATABASE {name}"))
                    .await
                {
                    bail!("creating test database: {e}");
                }
                Ok(Self {
                    url: with_database(&admin_url, &name),
                    database: Database::Postgres { admin, name },
                })
            }
        }
    }

    /// Removes the database. Call at the end of a test; a failed test leaves it for inspection.
    pub async fn drop_database(self) {
        match self.database {
            Database::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Database::Postgres { admin, name } => {
                let _ = admin
                    .execute_raw_for_tests(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
        }
    }
}

/// The real server on an ephemeral port, its database, and an HTTP client.
pub struct TestServer {
    pub server: RunningServer,
    pub database: TestDatabase,
    pub client: reqwest::Client,
    pub actor: String,
}

/// The date the tests' clock is fixed at; recorded dates must not be after it.
pub fn test_today() -> NaiveDate {
    date(2026, 11, 2)
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

impl TestServer {
    pub async fn start(backend: Backend) -> anyhow::Result<Self> {
        Self::start_with(backend, HttpOptions::default()).await
    }

    pub async fn start_with(backend: Backend, options: HttpOptions) -> anyhow::Result<Self> {
        let database = TestDatabase::create(backend).await?;
        let noon = test_today().and_hms_opt(12, 0, 0).context("time")?;
        let clock = Arc::new(FixedClock(Utc.from_utc_datetime(&noon)));
        let engine = open_engine(&database.url, Timescales::default(), clock).await?;
        let server = RunningServer::start(engine, &options).await?;
        Ok(Self {
            server,
            database,
            client: reqwest::Client::new(),
            actor: "sw.tester".to_owned(),
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.server.engine
    }

    /// Sends a GraphQL request and returns the whole response body.
    pub async fn graphql(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let response = self
            .client
            .post(self.server.url("/graphql"))
            .header("x-permanence-actor", &self.actor)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .with_context(|| format!("HTTP {status}"))?;
        Ok(body)
    }

    /// Sends a GraphQL request that must succeed, and returns its `data`.
    pub async fn ok(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let body = self.graphql(query, variables).await?;
        if let Some(errors) = body.get("errors") {
            bail!("GraphQL errors: {errors}");
        }
        body.get("data").cloned().context("no data")
    }

    /// Sends a GraphQL request that must fail; returns (code, message, field) of the first error.
    pub async fn error(
        &self,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<(String, String, Option<String>)> {
        let body = self.graphql(query, variables).await?;
        let first = body
            .pointer("/errors/0")
            .with_context(|| format!("expected an error, got {body}"))?;
        let code = first
            .pointer("/extensions/code")
            .and_then(Value::as_str)
            .with_context(|| format!("error without code: {first}"))?
            .to_owned();
        let message = first
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let field = first
            .pointer("/extensions/field")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok((code, message, field))
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        self.server.stop().await?;
        self.database.drop_database().await;
        Ok(())
    }
}

/// Registers a child and opens a case; returns the case id.
pub async fn child_in_care(
    server: &TestServer,
    reference: &str,
    born: &str,
    entered: &str,
) -> anyhow::Result<String> {
    let data = server
        .ok(
            "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }",
            json!({ "i": { "localAuthority": "E10000003", "reference": reference, "birthDate": born,
                           "sex": "FEMALE", "ethnicity": "WBRI" } }),
        )
        .await?;
    let child_id = data
        .pointer("/registerChild/child/id")
        .and_then(Value::as_str)
        .context("child id")?;
    let data = server
        .ok(
            "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id } } }",
            json!({ "i": { "childId": child_id, "enteredCareOn": entered, "legalStatus": "C1",
                           "placement": "U6", "provider": "PR1", "carer": "FC-1", "team": "Team A",
                           "allocatedWorker": "sw.tester" } }),
        )
        .await?;
    Ok(data
        .pointer("/enterCare/case/id")
        .and_then(Value::as_str)
        .context("case id")?
        .to_owned())
}

pub const SET_ROUTE_PLAN: &str =
    "mutation($i: SetRoutePlanInput!) { setRoutePlan(input: $i) { case { version } } }";
pub const RECORD_STEP: &str = "mutation($i: RecordRouteStepInput!) { recordRouteStep(input: $i) { case { version primaryPlan { currentStep achieved } } recorded { sequence } duplicate } }";
pub const CLOSE_CASE: &str = "mutation($i: CloseCaseInput!) { closeCase(input: $i) { case { status reasonCeased leftCareOn } } }";

/// Records route steps in order, each on its date.
pub async fn record_steps(
    server: &TestServer,
    case_id: &str,
    route: &str,
    steps: &[(&str, &str)],
) -> anyhow::Result<Value> {
    let mut last = Value::Null;
    for (step, on) in steps {
        last = server
            .ok(
                RECORD_STEP,
                json!({ "i": { "caseId": case_id, "route": route, "step": step, "occurredOn": on } }),
            )
            .await
            .with_context(|| format!("recording {step}"))?;
    }
    Ok(last)
}

/// Runs a test body on both backends, as two tests.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() -> anyhow::Result<()> {
                let server = $crate::TestServer::start($crate::Backend::Sqlite).await?;
                ($body)(&server).await?;
                server.stop().await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() -> anyhow::Result<()> {
                let server = $crate::TestServer::start($crate::Backend::Postgres).await?;
                ($body)(&server).await?;
                server.stop().await
            }
        }
    };
}
