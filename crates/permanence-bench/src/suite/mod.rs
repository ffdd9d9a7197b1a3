//! `permanence-bench suite`: the scenarios of the benchmark issue over HTTP, with `wrk` as the
//! load generator, against the real `permanence` server on a loaded database.
//!
//! One run: make sure a pristine database of the cohort exists (recording it through the
//! engine the first time, kept for later runs and keyed by backend, size and seed), copy it
//! to a working database (the scenarios write, and reads write audit rows), start the
//! release `permanence` binary on the copy, create two users, then:
//! - Q1..Q5 (reads) at a fixed concurrency and at fixed request rates;
//! - M1 (recording route steps with `expectedVersion`) at a fixed concurrency and a fixed
//!   rate, on SQLite once per `synchronous` setting;
//! - MIX: 90% reads, 10% writes at 50 connections;
//! - PAGES: the server time of the pages (a caseload home, a team's home, a long case) for
//!   a signed-in person, at 1 and 16 connections (`pages.rs`);
//! - DASHBOARD: the leaders' dashboard's server time, its first request after a start and
//!   once warm, and its workbook (`dashboard.rs`);
//! - in process, with the server stopped: drift recomputed over every open case, and every
//!   projection rebuilt from its events and compared with the stored one;
//! - on PostgreSQL, with `--postgraphile DIR`: the same reads through PostGraphile v4 over
//!   the same tables, and the SQL floor through `pgbench`.
//!
//! The server is the release binary in its own process rather than `RunningServer` in
//! this one: that is what a council runs, and it keeps the bench's own work (choosing targets,
//! the in-process scenarios) off the server's runtime. The figures go to `--out` as
//! `results.json` and `results.md`.

mod dashboard;
mod dataset;
mod inprocess;
mod pages;
mod pgbench;
mod postgraphile;
mod queries;
mod report;
mod server;
mod targets;
mod topup;
mod wrk;

use anyhow::Context;
use clap::{Args, ValueEnum};
use report::{Machine, Results, Row};
use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;
use wrk::Measured;

/// Connections of the MIX scenario: the 50 users.
const MIX_CONNECTIONS: u32 = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

#[derive(Debug, Args)]
pub struct SuiteArgs {
    #[arg(long, value_enum)]
    backend: BackendKind,
    /// Children in the synthetic cohort.
    #[arg(long)]
    children: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where the figures are written (results.json, results.md, logs).
    #[arg(long)]
    out: PathBuf,
    /// Where pristine SQLite databases and the records of their loading are kept.
    #[arg(long, default_value = "/tmp/permanence-bench-data")]
    data_dir: PathBuf,
    /// The PostgreSQL server (no database name): databases `bench_*` are created there.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    postgres: String,
    /// The `permanence` binary [default: next to this one].
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Seconds each load run lasts (after `--warmup`).
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Seconds of load before each measured run, not measured.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Connections for the fixed-concurrency runs.
    #[arg(long, default_value_t = 16)]
    connections: u32,
    /// Fixed request rates, as fractions of the engine's throughput in that scenario at
    /// fixed concurrency (the same absolute rates are then offered to PostGraphile).
    #[arg(long, value_delimiter = ',', default_value = "0.25,0.75")]
    rate_fractions: Vec<f64>,
    /// A folder holding `node_modules/.bin/postgraphile` (PostgreSQL only): compare with it.
    #[arg(long)]
    postgraphile: Option<PathBuf>,
    /// Only these scenarios (Q1,Q2,Q3,Q4,Q5,M1,MIX,PAGES,DASHBOARD,INPROC) [default: all].
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Connections the PAGES scenario asks for each page over, one run each.
    #[arg(long, value_delimiter = ',', default_value = "1,16")]
    page_connections: Vec<u32>,
    /// Times the DASHBOARD scenario starts the server afresh to measure the dashboard's
    /// first request (its reports holding no case yet).
    #[arg(long, default_value_t = 5)]
    cold_starts: u32,
    /// Valid route steps M1 needs: when the cohort has fewer, cases are opened for it.
    #[arg(long, default_value_t = 8_000)]
    min_writes: usize,
    /// Record the cohort again even when a pristine database exists.
    #[arg(long)]
    reload: bool,
    /// Record the cohort one command per transaction, as the API does (about 49 minutes for
    /// 120,000 children on PostgreSQL), instead of a thousand children per transaction
    /// through the engine's import (each command still decided by the domain).
    #[arg(long)]
    load_by_command: bool,
}

impl SuiteArgs {
    fn wants(&self, scenario: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s.eq_ignore_ascii_case(scenario))
    }

    fn run_time(&self) -> wrk::RunTime {
        wrk::RunTime {
            warmup: Duration::from_secs(self.warmup),
            duration: Duration::from_secs(self.duration),
        }
    }
}

pub async fn run(args: &SuiteArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let server_bin = match &args.server_bin {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("permanence"),
    };
    let reads: Vec<&str> = queries::READS
        .iter()
        .copied()
        .filter(|s| args.wants(s))
        .collect();
    // PAGES, DASHBOARD and INPROC need no wrk.
    if !reads.is_empty() || args.wants("M1") || args.wants("MIX") {
        wrk::check_installed()?;
    }
    let loaded = dataset::ensure_pristine(args).await?;
    eprintln!("suite: {loaded}");
    let work = dataset::working_copy(args, &loaded).await?;
    let mut results = Results::new(args, Machine::now(), loaded.clone());
    let scripts = wrk::Scripts::write(&args.out)?;

    // What the reads ask for (and PostGraphile and pgbench after them).
    let plan = if reads.is_empty() {
        None
    } else {
        let plan = targets::Plan::from_database(&work.url).await?;
        eprintln!("suite: {}", plan.summary());
        Some(plan)
    };

    if let Some(plan) = &plan {
        let server = server::Server::start(&server_bin, &work.url, &args.out, "reads").await?;
        let users = server.users(plan)?;
        let url = server.graphql_url();
        for scenario in &reads {
            let file = scripts.lines_file(scenario, &queries::read_bodies(scenario, plan)?)?;
            let base = wrk::Run {
                url: &url,
                reads: Some(&file),
                writes: None,
                read_token: &users.reader,
                write_token: &users.writer,
                write_every: 0,
                load: wrk::Load::Concurrency(args.connections),
                seconds: args.duration,
            };
            let runs = wrk::measure_reads(
                &scripts,
                &base,
                args.connections,
                &args.rate_fractions,
                args.run_time(),
            )?;
            for m in runs {
                results.push(Row::new(report::ENGINE, scenario, m));
            }
        }
        server.stop().await?;
    }

    // Before M1 and MIX, which add cases to the working copy: the pages see the cohort.
    if args.wants("PAGES") {
        let targets = pages::Targets::from_database(&work.url).await?;
        eprintln!("suite: PAGES: {}", targets.summary());
        let server = server::Server::start(&server_bin, &work.url, &args.out, "pages").await?;
        let runs = pages::run(
            &server,
            &targets,
            &args.page_connections,
            args.warmup,
            args.duration,
        )
        .await?;
        server.stop().await?;
        results.push_pages(targets, runs);
    }

    if args.wants("DASHBOARD") {
        let runs = dashboard::run(
            &server_bin,
            &work.url,
            &args.out,
            args.cold_starts,
            &args.page_connections,
            args.warmup,
            args.duration,
        )
        .await?;
        results.push_dashboard(runs);
    }

    if args.wants("M1") {
        let settings: &[&str] = match args.backend {
            BackendKind::Sqlite => &["full", "normal"],
            BackendKind::Postgres => &[""],
        };
        for synchronous in settings {
            let url = dataset::with_synchronous(&work.url, synchronous);
            let label = if synchronous.is_empty() {
                "M1".to_owned()
            } else {
                format!("M1 synchronous={}", synchronous.to_uppercase())
            };
            for m in m1(args, &server_bin, &url, &scripts).await? {
                results.push(Row::new(report::ENGINE, &label, m));
            }
        }
    }

    if args.wants("MIX") {
        let plan = targets::Plan::from_database(&work.url).await?;
        // A tenth of the requests are writes: a quarter of M1's steps is plenty.
        let wanted = args.min_writes / 4;
        let opened = topup::top_up(&work.url, plan.writes.len(), wanted, plan.cases).await?;
        let plan = if opened > 0 {
            targets::Plan::from_database(&work.url).await?
        } else {
            plan
        };
        let server = server::Server::start(&server_bin, &work.url, &args.out, "mix").await?;
        let users = server.users(&plan)?;
        let url = server.graphql_url();
        let reads = scripts.lines_file("mix-reads", &queries::mix_reads(&plan)?)?;
        let writes = scripts.lines_file(
            "mix-writes",
            &queries::write_bodies(&plan.writes, plan.today),
        )?;
        let run = wrk::Run {
            url: &url,
            reads: Some(&reads),
            writes: Some(&writes),
            read_token: &users.reader,
            write_token: &users.writer,
            write_every: 10,
            load: wrk::Load::Concurrency(MIX_CONNECTIONS),
            seconds: args.duration,
        };
        warm_up(args, &scripts, &run)?;
        let m = wrk::run(&scripts, &run)?;
        results.push(Row::new(report::ENGINE, "MIX 90/10", m));
        server.stop().await?;
    }

    if args.backend == BackendKind::Postgres
        && let (Some(dir), Some(database), Some(plan)) =
            (&args.postgraphile, &work.postgres_name, &plan)
    {
        compare(
            args,
            dir,
            &work.url,
            database,
            plan,
            &scripts,
            &reads,
            &mut results,
        )
        .await?;
    }

    if args.wants("INPROC") {
        for row in inprocess::run(&work.url).await? {
            results.push_inprocess(row);
        }
    }

    results.finish(Machine::now());
    results.write(&args.out)?;
    println!("{}", results.markdown());
    Ok(())
}

/// Reads (the run's reads, never its writes) for the warm-up time: the server's pools and
/// caches fill before anything is measured.
fn warm_up(args: &SuiteArgs, scripts: &wrk::Scripts, run: &wrk::Run<'_>) -> anyhow::Result<()> {
    if args.warmup == 0 || run.reads.is_none() {
        return Ok(());
    }
    let mut warm = run.clone();
    warm.write_every = 0;
    warm.seconds = args.warmup;
    wrk::run(scripts, &warm)?;
    Ok(())
}

/// M1 on a server started for it: the valid next steps recorded at a fixed concurrency (each
/// once, so the run ends when they are used up or after `--duration`), then, for each rate
/// fraction, the steps valid after that at that fraction of the throughput seen.
async fn m1(
    args: &SuiteArgs,
    server_bin: &Path,
    url: &str,
    scripts: &wrk::Scripts,
) -> anyhow::Result<Vec<Measured>> {
    let plan = targets::Plan::from_database(url).await?;
    let opened = topup::top_up(url, plan.writes.len(), args.min_writes, plan.cases).await?;
    let plan = if opened > 0 {
        targets::Plan::from_database(url).await?
    } else {
        plan
    };
    eprintln!("suite: M1 on {url}: {}", plan.summary());
    let server = server::Server::start(server_bin, url, &args.out, "m1").await?;
    let users = server.users(&plan)?;
    let graphql = server.graphql_url();
    let warm_reads = scripts.lines_file("m1-warm-up", &queries::read_bodies("Q1", &plan)?)?;
    let writes = scripts.lines_file("m1", &queries::write_bodies(&plan.writes, plan.today))?;
    let mut run = wrk::Run {
        url: &graphql,
        reads: Some(&warm_reads),
        writes: None,
        read_token: &users.reader,
        write_token: &users.writer,
        write_every: 1,
        load: wrk::Load::Concurrency(args.connections),
        seconds: args.duration,
    };
    warm_up(args, scripts, &run)?;
    run.reads = None;
    run.writes = Some(&writes);
    let first = wrk::run(scripts, &run)?;
    let mut out = vec![first.clone()];
    let rates = wrk::distinct_rates(first.throughput, &args.rate_fractions);
    for (i, per_second) in rates.into_iter().enumerate() {
        let plan = targets::Plan::from_database(url).await?;
        let name = format!("m1-rate-{i}");
        let more = scripts.lines_file(&name, &queries::write_bodies(&plan.writes, plan.today))?;
        let mut at = run.clone();
        at.writes = Some(&more);
        out.push(wrk::measure_at(
            scripts,
            &at,
            per_second,
            args.connections,
            args.run_time(),
        )?);
    }
    server.stop().await?;
    Ok(out)
}

/// The loads the engine was measured at in a scenario, to offer the others the same.
fn loads_of(results: &Results, scenario: &str) -> Vec<wrk::Load> {
    results
        .rows()
        .iter()
        .filter(|r| r.system == report::ENGINE && r.scenario == scenario)
        .map(|r| r.m.load)
        .collect()
}

/// The same reads through PostGraphile and as plain SQL through pgbench, at the loads the
/// engine was measured at, on the same working database.
#[allow(clippy::too_many_arguments)]
async fn compare(
    args: &SuiteArgs,
    postgraphile_dir: &Path,
    url: &str,
    database: &str,
    plan: &targets::Plan,
    scripts: &wrk::Scripts,
    reads: &[&str],
    results: &mut Results,
) -> anyhow::Result<()> {
    let graph = postgraphile::PostGraphile::start(postgraphile_dir, url, &args.out).await?;
    let graph_url = graph.graphql_url();
    for scenario in reads {
        let name = format!("postgraphile-{scenario}");
        let file = scripts.lines_file(&name, &postgraphile::read_bodies(scenario, plan)?)?;
        let base = wrk::Run {
            url: &graph_url,
            reads: Some(&file),
            writes: None,
            read_token: "-",
            write_token: "-",
            write_every: 0,
            load: wrk::Load::Concurrency(args.connections),
            seconds: args.duration,
        };
        warm_up(args, scripts, &base)?;
        for load in loads_of(results, scenario) {
            let mut run = base.clone();
            run.load = load;
            let m = wrk::run(scripts, &run)?;
            results.push(Row::new(report::POSTGRAPHILE, scenario, m));
        }
    }
    graph.stop().await?;

    pgbench::prepare(url, plan).await?;
    let dir = args.out.join("pgbench");
    std::fs::create_dir_all(&dir)?;
    for scenario in reads {
        let script = pgbench::script(scenario, plan)?;
        if args.warmup > 0 {
            pgbench::run(
                &dir,
                database,
                scenario,
                &script,
                wrk::Load::Concurrency(args.connections),
                args.warmup,
            )?;
        }
        for load in loads_of(results, scenario) {
            let m = pgbench::run(&dir, database, scenario, &script, load, args.duration)?;
            results.push(Row::new(report::SQL, scenario, m));
        }
    }
    Ok(())
}
