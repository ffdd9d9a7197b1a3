//! The cohort's databases: one pristine database per backend, size and seed, recorded once
//! through the engine's own commands and kept (recording 10,000 children takes minutes), and
//! a working copy of it for each run, since the scenarios write (M1, MIX, the audit rows of
//! every read) and a later run should start from the same data.

use super::{BackendKind, SuiteArgs};
use anyhow::{Context, bail};
use permanence_cohort::CohortConfig;
use permanence_domain::Timescales;
use permanence_engine::SystemClock;
use permanence_server::demo::{DEFAULT_BATCH, DemoOptions, record_cohort};
use permanence_server::open_engine;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::json;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A pristine database and what loading it took.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub url: String,
    pub backend: BackendKind,
    pub children: usize,
    pub seed: u64,
    /// The day the cohort was generated for (its dates run up to that day).
    pub recorded_on: String,
    pub recording_seconds: f64,
    /// How the cohort was recorded (`Recording`'s description).
    pub recording: String,
    pub commands: u64,
    pub cases: i64,
    pub events: i64,
    /// Loaded by an earlier run.
    pub reused: bool,
}

impl Loaded {
    pub fn json(&self) -> serde_json::Value {
        json!({
            "backend": format!("{:?}", self.backend).to_lowercase(),
            "children": self.children,
            "seed": self.seed,
            "recorded_on": self.recorded_on,
            "recording_seconds": self.recording_seconds,
            "recording": self.recording,
            "commands": self.commands,
            "commands_per_second": self.commands_per_second(),
            "cases": self.cases,
            "events": self.events,
            "reused": self.reused,
        })
    }

    pub fn commands_per_second(&self) -> f64 {
        if self.recording_seconds > 0.0 {
            self.commands as f64 / self.recording_seconds
        } else {
            0.0
        }
    }
}

impl fmt::Display for Loaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} children (seed {}), {} cases, {} events, recorded on {} in {:.0} s ({} commands, {:.0}/s, {}){}",
            self.children,
            self.seed,
            self.cases,
            self.events,
            self.recorded_on,
            self.recording_seconds,
            self.commands,
            self.commands_per_second(),
            self.recording,
            if self.reused {
                ", kept from an earlier run"
            } else {
                ""
            }
        )
    }
}

/// The working copy a run uses.
#[derive(Clone, Debug)]
pub struct Work {
    pub url: String,
    /// The PostgreSQL database's name (for PostGraphile and pgbench).
    pub postgres_name: Option<String>,
}

fn key(args: &SuiteArgs) -> String {
    let backend = match args.backend {
        BackendKind::Sqlite => "sqlite",
        BackendKind::Postgres => "postgres",
    };
    format!("{backend}-{}-seed{}", args.children, args.seed)
}

fn manifest_path(args: &SuiteArgs) -> PathBuf {
    args.data_dir.join(format!("{}.json", key(args)))
}

fn sqlite_path(args: &SuiteArgs, prefix: &str) -> PathBuf {
    args.data_dir.join(format!("{prefix}{}.sqlite", key(args)))
}

fn postgres_name(args: &SuiteArgs, suffix: &str) -> String {
    format!("bench_{}_s{}{suffix}", args.children, args.seed)
}

/// A database's URL, without TLS: the server, PostGraphile and pgbench all reach PostgreSQL
/// on loopback, where encryption protects nothing, and each connects the same way so that
/// what a byte costs is alike for all three (the README says what a deployment should use).
pub fn postgres_url(args: &SuiteArgs, database: &str) -> String {
    format!(
        "{}/{database}?sslmode=disable",
        args.postgres.trim_end_matches('/')
    )
}

fn pristine_url(args: &SuiteArgs) -> String {
    match args.backend {
        BackendKind::Sqlite => format!("sqlite://{}?mode=rwc", sqlite_path(args, "").display()),
        BackendKind::Postgres => postgres_url(args, &postgres_name(args, "")),
    }
}

/// The URL with SQLite's `synchronous` setting (empty: the store's default).
pub fn with_synchronous(url: &str, synchronous: &str) -> String {
    if synchronous.is_empty() {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&synchronous={synchronous}")
    } else {
        format!("{url}?synchronous={synchronous}")
    }
}

async fn admin(args: &SuiteArgs) -> anyhow::Result<DatabaseConnection> {
    Database::connect(postgres_url(args, "postgres"))
        .await
        .context("connecting to PostgreSQL's `postgres` database")
}

async fn execute(db: &DatabaseConnection, sql: &str) -> anyhow::Result<()> {
    db.execute_unprepared(sql)
        .await
        .with_context(|| format!("running {sql}"))?;
    Ok(())
}

async fn count(db: &DatabaseConnection, table: &str) -> anyhow::Result<i64> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await?
        .context("COUNT answered no row")?;
    Ok(row.try_get("", "n")?)
}

async fn postgres_exists(args: &SuiteArgs, name: &str) -> anyhow::Result<bool> {
    let db = admin(args).await?;
    let found = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT 1 AS one FROM pg_database WHERE datname = '{name}'"),
        ))
        .await?
        .is_some();
    db.close().await?;
    Ok(found)
}

/// The pristine database, recorded now if no earlier run left one.
pub async fn ensure_pristine(args: &SuiteArgs) -> anyhow::Result<Loaded> {
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating {}", args.data_dir.display()))?;
    let manifest = manifest_path(args);
    let exists = match args.backend {
        BackendKind::Sqlite => sqlite_path(args, "").exists(),
        BackendKind::Postgres => postgres_exists(args, &postgres_name(args, "")).await?,
    };
    if exists && manifest.exists() && !args.reload {
        let text = std::fs::read_to_string(&manifest)?;
        let m: serde_json::Value = serde_json::from_str(&text)?;
        return Ok(Loaded {
            url: pristine_url(args),
            backend: args.backend,
            children: args.children,
            seed: args.seed,
            recorded_on: m["recorded_on"].as_str().unwrap_or("?").to_owned(),
            recording_seconds: m["recording_seconds"].as_f64().unwrap_or(0.0),
            recording: m["recording"].as_str().unwrap_or("?").to_owned(),
            commands: m["commands"].as_u64().unwrap_or(0),
            cases: m["cases"].as_i64().unwrap_or(0),
            events: m["events"].as_i64().unwrap_or(0),
            reused: true,
        });
    }
    let loaded = record(args).await?;
    let mut stored = loaded.json();
    stored["reused"] = json!(false);
    std::fs::write(&manifest, serde_json::to_string_pretty(&stored)?)
        .with_context(|| format!("writing {}", manifest.display()))?;
    Ok(loaded)
}

/// Records the cohort into a fresh pristine database, then gives the planner statistics.
async fn record(args: &SuiteArgs) -> anyhow::Result<Loaded> {
    match args.backend {
        BackendKind::Sqlite => {
            for suffix in ["", "-wal", "-shm"] {
                let path = PathBuf::from(format!("{}{suffix}", sqlite_path(args, "").display()));
                if path.exists() {
                    std::fs::remove_file(&path)?;
                }
            }
        }
        BackendKind::Postgres => {
            let db = admin(args).await?;
            let name = postgres_name(args, "");
            execute(&db, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
            execute(&db, &format!("CREATE DATABASE {name}")).await?;
            db.close().await?;
        }
    }
    let url = pristine_url(args);
    let engine = open_engine(&url, Timescales::default(), Arc::new(SystemClock))
        .await
        .context("opening the pristine database")?;
    let config = CohortConfig::new(args.children, args.seed, engine.today());
    let mut options = if args.load_by_command {
        DemoOptions::for_engine(&engine)
    } else {
        DemoOptions::in_batches(DEFAULT_BATCH)
    };
    options.progress_every = Duration::from_secs(15);
    eprintln!(
        "suite: recording {} children (seed {}) through the engine, {}",
        config.children, config.seed, options.recording
    );
    let report = record_cohort(&engine, &config, &options, |progress| {
        eprintln!("suite: {progress}");
    })
    .await;
    eprintln!("{report}");
    if !report.is_clean() {
        bail!(
            "recording the cohort: {} refused, {} failed, {} skipped",
            report.refused,
            report.errors,
            report.skipped
        );
    }
    let recorded_on = engine.today().to_string();
    drop(engine);

    let db = Database::connect(url.as_str()).await?;
    match args.backend {
        // What autovacuum does on a running server; recording leaves stale statistics.
        BackendKind::Postgres => execute(&db, "VACUUM ANALYZE").await?,
        // SQLite keeps no statistics unless asked: the planner needs them for the
        // authority-and-id index (migration 4). The WAL is folded in so the file copies alone.
        BackendKind::Sqlite => {
            execute(&db, "ANALYZE").await?;
            execute(&db, "PRAGMA wal_checkpoint(TRUNCATE)").await?;
        }
    }
    let cases = count(&db, "cases").await?;
    let events = count(&db, "case_events").await?;
    db.close().await?;
    Ok(Loaded {
        url,
        backend: args.backend,
        children: args.children,
        seed: args.seed,
        recorded_on,
        recording_seconds: report.elapsed.as_secs_f64(),
        recording: options.recording.to_string(),
        commands: report.commands,
        cases,
        events,
        reused: false,
    })
}

/// A fresh copy of the pristine database for this run.
pub async fn working_copy(args: &SuiteArgs, loaded: &Loaded) -> anyhow::Result<Work> {
    match args.backend {
        BackendKind::Sqlite => {
            let from = sqlite_path(args, "");
            let to = sqlite_path(args, "work-");
            for suffix in ["", "-wal", "-shm"] {
                let path = PathBuf::from(format!("{}{suffix}", to.display()));
                if path.exists() {
                    std::fs::remove_file(&path)?;
                }
            }
            std::fs::copy(&from, &to)
                .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
            Ok(Work {
                url: format!("sqlite://{}?mode=rwc", to.display()),
                postgres_name: None,
            })
        }
        BackendKind::Postgres => {
            let db = admin(args).await?;
            let name = postgres_name(args, "_work");
            let pristine = postgres_name(args, "");
            execute(&db, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
            execute(&db, &format!("CREATE DATABASE {name} TEMPLATE {pristine}"))
                .await
                .with_context(|| {
                    format!("copying {} (is something connected to it?)", loaded.url)
                })?;
            db.close().await?;
            Ok(Work {
                url: postgres_url(args, &name),
                postgres_name: Some(name),
            })
        }
    }
}
