//! Test harness: a real, migrated database per test, on SQLite (a file in a temporary
//! directory) and on PostgreSQL (a fresh database, dropped afterwards), and an engine on it.
//!
//! PostgreSQL is found, or started, by `permanence-testkit` (`PERMANENCE_TEST_POSTGRES_URL`,
//! else 127.0.0.1:5432, else a private cluster of the tests' own). When there is none the
//! test fails with a message that says so: a backend that is not there is never skipped.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use permanence_domain::Timescales;
use permanence_domain::child::NewChild;
use permanence_domain::codes::{LegalStatus, PlacementProvider, PlacementType, Sex};
use permanence_engine::store::Store;
use permanence_engine::{Actor, CommandMeta, Engine, EngineConfig, EnterCare, FixedClock};
use permanence_testkit::FreshDatabase;
use std::future::Future;
use std::sync::Arc;
use uuid::Uuid;

/// A valid local authority (ONS code).
pub const LA: &str = "E10000003";

/// The engine's "now": late enough that every date the tests record is in the past.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 30, 12, 0, 0)
        .single()
        .expect("valid instant")
}

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

/// Keeps the temporary directory of a SQLite database alive; removes it when dropped.
#[derive(Debug)]
pub struct TempDirGuard {
    dir: tempfile::TempDir,
}

impl TempDirGuard {
    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }
}

/// A fresh SQLite file in a temporary directory, migrated.
pub async fn sqlite_store() -> (Store, TempDirGuard) {
    let dir = tempfile::Builder::new()
        .prefix("permanence-test-")
        .tempdir()
        .expect("create a temporary directory");
    let path = dir.path().join("permanence.sqlite");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let store = Store::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("open SQLite at {url}: {e}"));
    store.migrate().await.expect("migrate the SQLite database");
    (store, TempDirGuard { dir })
}

/// A fresh PostgreSQL database, migrated, and what drops it (when dropped, also when the
/// test panics, or by `drop_database`).
pub async fn postgres_store() -> (Store, FreshDatabase) {
    let database = FreshDatabase::create()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let store = Store::connect(database.url())
        .await
        .unwrap_or_else(|e| panic!("connect to test database {}: {e}", database.name()));
    store
        .migrate()
        .await
        .expect("migrate the PostgreSQL database");
    (store, database)
}

/// Drops a test database; a failure is told on stderr, never failing a test that passed.
pub async fn drop_or_report(database: FreshDatabase) {
    if let Err(e) = database.drop_database().await {
        eprintln!("{e}");
    }
}

/// An engine on a store, with the standard routes, default timescales and the fixed clock.
pub fn engine_on(store: Store) -> Engine {
    let config = EngineConfig::standard(Timescales::default()).expect("standard configuration");
    Engine::new(store, config, Arc::new(FixedClock(now())))
}

/// Runs a test body with an engine on a fresh SQLite file.
pub async fn on_sqlite<F, Fut>(body: F)
where
    F: FnOnce(Engine) -> Fut,
    Fut: Future<Output = ()>,
{
    let (store, dir) = sqlite_store().await;
    body(engine_on(store)).await;
    drop(dir);
}

/// Runs a test body with an engine on a fresh PostgreSQL database, dropped afterwards.
pub async fn on_postgres<F, Fut>(body: F)
where
    F: FnOnce(Engine) -> Fut,
    Fut: Future<Output = ()>,
{
    let (store, database) = postgres_store().await;
    body(engine_on(store)).await;
    // The body has consumed the engine, and with it the store's connections.
    drop_or_report(database).await;
}

/// Generates `mod $name { sqlite(), postgres() }`, the same async body on both backends.
/// Attributes before the name (`#[ignore = "..."]`) go on both tests; attributes after
/// `sqlite:` or `postgres:` go on that backend's test only:
///
/// ```ignore
/// both_backends!(name, postgres: #[ignore = "bug: ..."], |engine| async move { ... });
/// ```
#[macro_export]
macro_rules! both_backends {
    ($(#[$attr:meta])* $name:ident, sqlite: $(#[$sqlite:meta])+, $body:expr) => {
        $crate::both_backends!(@generate [$(#[$attr])*] [$(#[$sqlite])+] [] $name, $body);
    };
    ($(#[$attr:meta])* $name:ident, postgres: $(#[$postgres:meta])+, $body:expr) => {
        $crate::both_backends!(@generate [$(#[$attr])*] [] [$(#[$postgres])+] $name, $body);
    };
    (@generate [$(#[$attr:meta])*] [$(#[$sqlite:meta])*] [$(#[$postgres:meta])*] $name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$attr])*
            $(#[$sqlite])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::common::on_sqlite($body).await;
            }

            $(#[$attr])*
            $(#[$postgres])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::common::on_postgres($body).await;
            }
        }
    };
    ($(#[$attr:meta])* $name:ident, $body:expr) => {
        $crate::both_backends!(@generate [$(#[$attr])*] [] [] $name, $body);
    };
}

// ----- builders -----------------------------------------------------------------------------

/// A command envelope with a fresh command id and no expected version.
pub fn meta() -> CommandMeta {
    CommandMeta {
        actor: Actor("worker-1".to_owned()),
        command_id: Some(Uuid::now_v7()),
        expected_version: None,
        note: None,
    }
}

/// A command envelope pinned to a version.
pub fn meta_at(version: i64) -> CommandMeta {
    CommandMeta {
        expected_version: Some(version),
        ..meta()
    }
}

/// A command envelope with a given command id.
pub fn meta_with_id(command_id: Uuid) -> CommandMeta {
    CommandMeta {
        command_id: Some(command_id),
        ..meta()
    }
}

/// A child to register; `reference` must be unique within the authority.
pub fn new_child(reference: &str) -> NewChild {
    NewChild {
        local_authority: LA.to_owned(),
        reference: reference.to_owned(),
        birth_date: d(2020, 3, 14),
        sex: Sex::Female,
        ethnicity: "WBRI".to_owned(),
        name: None,
        facts: Default::default(),
    }
}

/// Entering care in an ordinary foster placement on a date.
pub fn enter_care_input(child_id: permanence_domain::ChildId, on: NaiveDate) -> EnterCare {
    EnterCare {
        child_id,
        entered_care_on: on,
        legal_status: LegalStatus::C1,
        placement: PlacementType::U6,
        provider: Some(PlacementProvider::PR1),
        carer: Some("carer-1".to_owned()),
        team: Some("team-a".to_owned()),
        allocated_worker: Some("worker-1".to_owned()),
        details: Default::default(),
    }
}

/// Registers a child and opens a period of care on `on`; returns the case.
pub async fn open_case(
    engine: &Engine,
    reference: &str,
    on: NaiveDate,
) -> permanence_engine::store::CaseRecord {
    let child = engine
        .register_child(&meta(), new_child(reference))
        .await
        .expect("register the child");
    engine
        .enter_care(&meta(), enter_care_input(child.id, on))
        .await
        .expect("enter care")
        .case
}
