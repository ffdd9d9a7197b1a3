//! Harness for end-to-end tests: a fresh database (a SQLite file, or a new PostgreSQL
//! database), the real server on `127.0.0.1:0`, and a GraphQL client speaking HTTP to it.
//!
//! PostgreSQL is found, or started, by `permanence-testkit` (`PERMANENCE_TEST_POSTGRES_URL`,
//! else 127.0.0.1:5432, else a private cluster of the tests' own). A test that cannot have it
//! fails: it never skips, so a green run means both backends were exercised.

use anyhow::{Context, bail};
use chrono::{NaiveDate, TimeZone, Utc};
use permanence_auth::{Role, new_token};
use permanence_domain::Timescales;
use permanence_domain::route::Role as StepRole;
use permanence_engine::store::NewUser;
use permanence_engine::{Engine, FixedClock};
use permanence_server::{HttpOptions, RunningServer, open_engine};
use permanence_testkit::FreshDatabase;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

pub use serde_json;

pub mod browser;
pub mod dashboard_cohort;
pub mod identity_provider;
pub mod pages;
pub mod schema_walk;
pub mod ssda903;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

enum Database {
    Sqlite(PathBuf),
    Postgres(FreshDatabase),
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
                let database = FreshDatabase::create().await?;
                Ok(Self {
                    url: database.url().to_owned(),
                    database: Database::Postgres(database),
                })
            }
        }
    }

    /// Removes the database. Call at the end of a test; a failed test leaves a SQLite file
    /// for inspection (a PostgreSQL database is dropped however the test ends).
    pub async fn drop_database(self) {
        match self.database {
            Database::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Database::Postgres(database) => {
                if let Err(e) = database.drop_database().await {
                    eprintln!("{e}");
                }
            }
        }
    }
}

/// The real server on an ephemeral port, its database, an HTTP client, and a signed-in user
/// of each role.
pub struct TestServer {
    pub server: RunningServer,
    pub database: TestDatabase,
    pub client: reqwest::Client,
    /// The user requests are sent as unless a test says otherwise.
    pub actor: String,
    tokens: HashMap<Role, String>,
}

/// The local authority the test users work for.
pub const TEST_AUTHORITY: &str = "E10000003";
/// The teams of the test team manager.
pub const TEST_TEAMS: &[&str] = &["Team A", "South", "North"];

/// The test users: a username for each role (the team manager is the default user).
pub fn test_username(role: Role) -> &'static str {
    match role {
        Role::SocialWorker => "sw.tester",
        Role::TeamManager => "tm.tester",
        Role::PanelMember => "member.tester",
        Role::PanelChair => "chair.tester",
        Role::AgencyDecisionMaker => "adm.tester",
        Role::Leader => "leader.tester",
        Role::Administrator => "admin.tester",
    }
}

/// Creates a user with a token, through the store as the `permanence user add` command does.
pub async fn create_user(engine: &Engine, role: Role, teams: &[&str]) -> anyhow::Result<String> {
    let now = engine.now();
    let user = engine
        .store()
        .create_user(
            &NewUser {
                username: test_username(role).to_owned(),
                display_name: format!("{} (test)", role.label()),
                role,
                teams: teams.iter().map(|t| (*t).to_owned()).collect(),
                local_authorities: vec![TEST_AUTHORITY.to_owned()],
            },
            now,
        )
        .await?;
    let token = new_token()?;
    engine
        .store()
        .issue_token(user.id, &token.hash, Some("tests"), None, now)
        .await?;
    Ok(token.secret.expose().to_owned())
}

/// The password the tests give users who sign in to the pages.
pub const TEST_PASSWORD: &str = "a long test password";

/// Gives the test user with `role` a password for the pages, as `permanence user
/// set-password` does.
pub async fn give_password(engine: &Engine, role: Role) -> anyhow::Result<()> {
    let user = engine
        .store()
        .user_by_username(test_username(role))
        .await?
        .context("test user")?;
    let hash = permanence_auth::hash_password(TEST_PASSWORD)?;
    engine
        .store()
        .set_password(user.id, &hash, engine.now())
        .await?;
    Ok(())
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
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        Self::start_on(backend, listener, options).await
    }

    /// As `start_with`, on a listener bound already: for options that name the server's own
    /// address (single sign-on's redirect URI).
    pub async fn start_on(
        backend: Backend,
        listener: tokio::net::TcpListener,
        options: HttpOptions,
    ) -> anyhow::Result<Self> {
        let database = TestDatabase::create(backend).await?;
        let noon = test_today().and_hms_opt(12, 0, 0).context("time")?;
        let clock = Arc::new(FixedClock(Utc.from_utc_datetime(&noon)));
        let engine = open_engine(&database.url, Timescales::default(), clock).await?;
        let mut tokens = HashMap::new();
        for role in Role::ALL {
            let teams: &[&str] = if *role == Role::TeamManager {
                TEST_TEAMS
            } else {
                &["Team A"]
            };
            tokens.insert(*role, create_user(&engine, *role, teams).await?);
        }
        let server = RunningServer::start_on(listener, engine, &options).await?;
        Ok(Self {
            server,
            database,
            client: reqwest::Client::new(),
            actor: test_username(Role::TeamManager).to_owned(),
            tokens,
        })
    }

    /// A second server on an empty database of the same kind as this one's.
    pub async fn start_like(&self) -> anyhow::Result<Self> {
        let backend = match self.engine().store().backend() {
            permanence_engine::store::Backend::Sqlite => Backend::Sqlite,
            permanence_engine::store::Backend::Postgres => Backend::Postgres,
        };
        Self::start(backend).await
    }

    pub fn engine(&self) -> &Engine {
        &self.server.engine
    }

    /// The bearer token of the test user with this role.
    pub fn token(&self, role: Role) -> &str {
        self.tokens.get(&role).map_or("", String::as_str)
    }

    /// `Authorization` header value for a role.
    pub fn bearer(&self, role: Role) -> String {
        format!("Bearer {}", self.token(role))
    }

    /// Sends a GraphQL request as the default user (the team manager).
    pub async fn graphql(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        self.graphql_as(Role::TeamManager, query, variables).await
    }

    /// Sends a GraphQL request as the test user with `role`.
    pub async fn graphql_as(
        &self,
        role: Role,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        let response = self
            .client
            .post(self.server.url("/graphql"))
            .header("authorization", self.bearer(role))
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
        self.ok_as(Role::TeamManager, query, variables).await
    }

    /// As `ok`, as the test user with `role`.
    pub async fn ok_as(&self, role: Role, query: &str, variables: Value) -> anyhow::Result<Value> {
        let body = self.graphql_as(role, query, variables).await?;
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
        self.error_as(Role::TeamManager, query, variables).await
    }

    /// As `error`, as the test user with `role`.
    pub async fn error_as(
        &self,
        role: Role,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<(String, String, Option<String>)> {
        let body = self.graphql_as(role, query, variables).await?;
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

pub const RECORD_PLACEMENT_CHANGE: &str = "mutation($i: RecordPlacementChangeInput!) { recordPlacementChange(input: $i) { case { version } } }";

/// Moves the child to long-term foster carers (U4) on `on`: a long-term match is confirmed
/// for the placement the child lives in.
pub async fn long_term_placement(
    server: &TestServer,
    case_id: &str,
    on: &str,
) -> anyhow::Result<()> {
    server
        .ok(
            RECORD_PLACEMENT_CHANGE,
            json!({ "i": { "caseId": case_id, "occurredOn": on, "placement": "U4", "provider": "PR1",
                           "carer": "FC-LT" } }),
        )
        .await
        .context("moving to long-term foster carers")?;
    Ok(())
}

/// Records route steps in order, each on its date.
pub async fn record_steps(
    server: &TestServer,
    case_id: &str,
    route: &str,
    steps: &[(&str, &str)],
) -> anyhow::Result<Value> {
    let mut last = Value::Null;
    let route_kind = permanence_domain::Route::from_key(route).context("route")?;
    for (step, on) in steps {
        let recorded_by = server
            .engine()
            .catalog()
            .current(route_kind)
            .step(step)
            .map(|s| s.recorded_by);
        let role = match recorded_by {
            Some(StepRole::PanelChair) => Role::PanelChair,
            Some(StepRole::AgencyDecisionMaker | StepRole::NominatedOfficer) => {
                Role::AgencyDecisionMaker
            }
            _ => Role::TeamManager,
        };
        last = server
            .ok_as(
                role,
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
