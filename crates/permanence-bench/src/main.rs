//! `permanence-bench`: how long the leaders' timeliness report takes over a synthetic
//! cohort, on SQLite or PostgreSQL. A benchmark, not a test: it is in the workspace's
//! `members` but not its `default-members`, so `cargo test` does not build it.
//!
//! `permanence-bench report --database-url URL --children N [--seed 1] [--runs 7]` opens the
//! engine (migrating the database, as the server does). When the database holds no cases it
//! first records the cohort of `N` children for today through the engine (`permanence
//! demo-data --batch 1000`, progress on stderr): about 20 s for 10,000 children.
//! Then it times, `--runs` times each with [`std::time::Instant`]:
//!
//! - (a) loading every case of the default authority with its child (`report_data_in`);
//! - (b) the full report over the three years ending today, on data loaded by (a);
//! - (c) the same report grouped by team;
//! - (d) the quarterly trend over the same three years;
//! - (e) end to end: a fresh load and the full report, as a server's first request does;
//! - (a') and (e'): the same when no case changed since the last report, as later requests
//!   find it (the engine keeps the cases it read, asks the database only for the authority's
//!   count and sum of case versions, and reads again only cases whose version moved: see
//!   `permanence_engine::reports`);
//! - (a'') and (e''): the same after one case changed (its version, then that case, are
//!   read again).
//!
//! and a breakdown of (a) and (b): fetching the case states alone (one `SELECT`, no
//! decoding), decoding them from JSON, fetching the children as the store does (by id, in
//! `IN` lists) raw and through the store, one `SELECT` joining cases to children instead,
//! building the measures' views, and the measures alone.
//! The cold figures clear the engine's report cache before each run; nothing else is cached
//! between runs beyond what the database does itself (one untimed load,
//! to count the cases, comes first); each figure is given as min / median / max
//! milliseconds, and the median is the one to quote. The header gives the backend, `nproc`
//! and the load average: on a busy machine the figures are worth little. The aims (issue
//! "Timeliness for leaders") are under 100 ms for 10,000 children and under 1 s for 120,000.
//!
//! Run it from a release build, on a database used for nothing else:
//!
//! ```text
//! export CARGO_TARGET_DIR=/tmp/target-bench
//! cargo build --release -p permanence-bench
//! $CARGO_TARGET_DIR/release/permanence-bench report \
//!     --database-url 'sqlite:///tmp/bench-10k.sqlite?mode=rwc' --children 10000
//! psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE bench_10k'
//! $CARGO_TARGET_DIR/release/permanence-bench report \
//!     --database-url postgres://postgres@127.0.0.1/bench_10k --children 10000
//! ```
//!
//! Recording leaves PostgreSQL with stale statistics and a dead row per command on `cases`;
//! where autovacuum is off (as on a test server), `VACUUM ANALYZE` before measuring gives
//! the figures a running authority would see. Running again on the same database measures
//! again without recording. The cohort is
//! dated by today, so a database recorded on an earlier day still works but is not the
//! cohort a fresh run would record.

mod ssda903;
mod suite;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use permanence_cohort::{CohortConfig, DEFAULT_LOCAL_AUTHORITY, years_before};
use permanence_domain::measures::{self, GroupBy};
use permanence_domain::{CaseId, CaseState, ChildId, Command as CaseCommand, Timescales};
use permanence_engine::store::Backend;
use permanence_engine::{Actor, CommandMeta, Engine, SystemClock};
use permanence_server::demo::{DEFAULT_BATCH, DEMO_ACTOR, DemoOptions, record_cohort};
use permanence_server::open_engine;
use sea_orm::{ConnectionTrait, Database, DbBackend, QueryResult, Statement, Value};
use std::collections::HashSet;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Years the report window covers, ending today.
const WINDOW_YEARS: u32 = 3;
/// Ids per `IN (...)` list, as in the store.
const IN_LIST_CHUNK: usize = 500;
/// How often progress is printed while recording.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, Parser)]
#[command(
    name = "permanence-bench",
    about = "Benchmarks of the permanence engine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Times the timeliness report (recording the cohort first when the database is empty).
    Report(ReportArgs),
    /// Times importing a generated national return (SSDA903) into an empty database and
    /// exporting it again.
    Ssda903(ssda903::Ssda903Args),
    /// The scenarios of the benchmark issue over HTTP with wrk, on a kept synthetic cohort.
    Suite(suite::SuiteArgs),
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// `sqlite:///path?mode=rwc` or `postgres://…`; a database used for nothing else.
    #[arg(long, env = "PERMANENCE_DATABASE_URL")]
    database_url: String,
    /// Children in the cohort recorded when the database holds no cases.
    #[arg(long)]
    children: usize,
    /// The cohort's seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Times each scenario runs.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Report(args) => report(&args).await,
        Command::Ssda903(args) => ssda903::run(&args).await,
        Command::Suite(args) => suite::run(&args).await,
    }
}

async fn report(args: &ReportArgs) -> anyhow::Result<()> {
    let engine = open_engine(
        &args.database_url,
        Timescales::default(),
        Arc::new(SystemClock),
    )
    .await
    .context("opening the database")?;
    let backend = engine.store().backend();
    let existing = engine
        .store()
        .all_case_ids()
        .await
        .context("counting cases")?
        .len();
    if existing == 0 {
        record(&engine, args).await?;
    } else {
        eprintln!("permanence-bench: the database holds {existing} cases: not recording");
    }

    let today = engine.today();
    let from = years_before(today, WINDOW_YEARS);
    let to = today;
    let authorities = [DEFAULT_LOCAL_AUTHORITY.to_owned()];
    let runs = args.runs as usize;

    // What is measured, counted once outside the timings.
    let data = engine.report_data_in(&authorities).await?;
    let cases = data.views().len();
    let children: HashSet<Arc<str>> = data
        .views()
        .into_iter()
        .map(|v| Arc::clone(&v.child.reference))
        .collect();
    if children.len() != args.children {
        eprintln!(
            "permanence-bench: warning: the database holds {} children, not --children {}",
            children.len(),
            args.children
        );
    }
    let quarters = data.quarters(from, to).len();
    drop(data);

    // Other work on the machine shows in the figures: say how much there was.
    let load_average = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    let mut rows: Vec<(String, Timing)> = Vec::new();

    // Cold: the engine has kept no case from an earlier report (a server's first report).
    let load = time_async(runs, || async {
        engine.clear_report_cache().await;
        engine.report_data_in(&authorities).await
    })
    .await?;
    rows.push((
        "(a) load cases with children, cold (report_data_in)".into(),
        load,
    ));
    // Warm: nothing changed since the last report, so only the fingerprint is read.
    engine.report_data_in(&authorities).await?;
    let load = time_async(runs, || engine.report_data_in(&authorities)).await?;
    rows.push((
        "(a') load again, no case changed (count and sum of versions only)".into(),
        load,
    ));
    // One case changed before each run: the versions, then that case, are read again.
    let changing = ChangingCase::find(&engine, &authorities).await?;
    let load = time_after_change(runs, &engine, &changing, || {
        engine.report_data_in(&authorities)
    })
    .await?;
    rows.push((
        "(a'') load again, one case changed (versions, then that case)".into(),
        load,
    ));

    let data = engine.report_data_in(&authorities).await?;
    rows.push((
        "(b) full report (report, no grouping)".into(),
        time_sync(runs, || data.report(from, to, None)),
    ));
    rows.push((
        "(c) report grouped by team".into(),
        time_sync(runs, || data.report(from, to, Some(GroupBy::Team))),
    ));
    rows.push((
        format!("(d) quarterly trend ({quarters} quarters)"),
        time_sync(runs, || data.quarters(from, to)),
    ));
    drop(data);

    let end_to_end = time_async(runs, || async {
        engine.clear_report_cache().await;
        let data = engine.report_data_in(&authorities).await?;
        Ok::<_, anyhow::Error>(data.report(from, to, None))
    })
    .await?;
    rows.push(("(e) end to end, cold (a + b)".into(), end_to_end));
    let end_to_end = time_async(runs, || async {
        let data = engine.report_data_in(&authorities).await?;
        Ok::<_, anyhow::Error>(data.report(from, to, None))
    })
    .await?;
    rows.push(("(e') end to end, warm (a' + b)".into(), end_to_end));
    let end_to_end = time_after_change(runs, &engine, &changing, || async {
        let data = engine.report_data_in(&authorities).await?;
        Ok::<_, anyhow::Error>(data.report(from, to, None))
    })
    .await?;
    rows.push((
        "(e'') end to end, one case changed (a'' + b)".into(),
        end_to_end,
    ));

    // Where the time goes.
    let mut breakdown: Vec<(String, Timing)> = Vec::new();
    let db = Database::connect(args.database_url.as_str())
        .await
        .context("opening a second connection for the breakdown")?;
    let fetch = time_async(runs, || fetch_states(&db, DEFAULT_LOCAL_AUTHORITY)).await?;
    breakdown.push((
        "(a1) fetch case states only (one SELECT, no decoding)".into(),
        fetch,
    ));
    let states = fetch_states(&db, DEFAULT_LOCAL_AUTHORITY).await?;
    let state_bytes: usize = states.iter().map(String::len).sum();
    breakdown.push((
        "(a2) decode case states (serde_json to CaseState)".into(),
        time_sync(runs, || decode_states(&states)),
    ));
    decode_states(&states).context("decoding case states")?;
    drop(states);
    let child_ids = case_child_ids(&db, DEFAULT_LOCAL_AUTHORITY).await?;
    let fetch = time_async(runs, || fetch_children(&db, &child_ids)).await?;
    breakdown.push((
        format!("(a3) fetch the children's facts, {IN_LIST_CHUNK} ids per IN list, no decoding"),
        fetch,
    ));
    let child_ids: Vec<ChildId> = child_ids.into_iter().map(ChildId).collect();
    let fetch = time_async(runs, || engine.store().children_by_ids(&child_ids)).await?;
    breakdown.push((
        "(a4) the store's children_by_ids on the same ids (sea-orm models, records)".into(),
        fetch,
    ));
    drop(child_ids);
    let fetch = time_async(runs, || fetch_joined(&db, DEFAULT_LOCAL_AUTHORITY)).await?;
    breakdown.push((
        "(a5) instead of a1 + a3: one SELECT joining cases to children, no decoding".into(),
        fetch,
    ));
    db.close().await.context("closing the second connection")?;

    let data = engine.report_data_in(&authorities).await?;
    breakdown.push((
        "(b1) build the measures' views".into(),
        time_sync(runs, || data.views()),
    ));
    let views = data.views();
    breakdown.push((
        "(b2) measures only (timeliness_report on built views)".into(),
        time_sync(runs, || measures::timeliness_report(&views, from, to)),
    ));
    drop(views);
    drop(data);

    println!(
        "permanence-bench report: {} on {} CPUs (nproc){}",
        backend_name(backend),
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        cpu_model().map(|m| format!(", {m}")).unwrap_or_default()
    );
    println!(
        "database: {}; load average before the runs: {}",
        redact(&args.database_url),
        load_average
    );
    println!(
        "cohort: {} children (seed {}), {} cases in {}; window {} to {}; {} runs each",
        children.len(),
        args.seed,
        cases,
        DEFAULT_LOCAL_AUTHORITY,
        from,
        to,
        runs
    );
    println!(
        "case states: {} bytes of JSON in all, {} bytes per case on average",
        state_bytes,
        state_bytes.checked_div(cases).unwrap_or(0)
    );
    println!();
    print_table(&rows);
    println!();
    println!("breakdown:");
    println!();
    print_table(&breakdown);
    println!();
    print_aim(children.len(), &rows);
    Ok(())
}

/// Records the cohort for today through the engine, with progress on stderr.
async fn record(engine: &Engine, args: &ReportArgs) -> anyhow::Result<()> {
    let config = CohortConfig::new(args.children, args.seed, engine.today());
    // What is timed is the report, not the recording: the fast way to record.
    let mut options = DemoOptions::in_batches(DEFAULT_BATCH);
    options.progress_every = PROGRESS_EVERY;
    eprintln!(
        "permanence-bench: recording {} children (seed {}), {}",
        config.children, config.seed, options.recording
    );
    let report = record_cohort(engine, &config, &options, |progress| {
        eprintln!("permanence-bench: {progress}");
    })
    .await;
    eprintln!("{report}");
    if !report.is_clean() {
        bail!(
            "recording the cohort: {} commands refused, {} failed, {} skipped",
            report.refused,
            report.errors,
            report.skipped
        );
    }
    Ok(())
}

/// The state column of every case of one authority, as the database returns it.
async fn fetch_states(
    db: &sea_orm::DatabaseConnection,
    local_authority: &str,
) -> anyhow::Result<Vec<String>> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT state FROM cases WHERE local_authority = {} ORDER BY id",
        placeholders(backend, 1)
    );
    let statement =
        Statement::from_sql_and_values(backend, sql, [Value::from(local_authority.to_owned())]);
    db.query_all_raw(statement)
        .await?
        .into_iter()
        .map(|row| {
            row.try_get::<String>("", "state")
                .map_err(anyhow::Error::from)
        })
        .collect()
}

/// The child of every case of one authority, in the order the store loads cases.
async fn case_child_ids(
    db: &sea_orm::DatabaseConnection,
    local_authority: &str,
) -> anyhow::Result<Vec<Uuid>> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT child_id FROM cases WHERE local_authority = {} ORDER BY id",
        placeholders(backend, 1)
    );
    let statement =
        Statement::from_sql_and_values(backend, sql, [Value::from(local_authority.to_owned())]);
    db.query_all_raw(statement)
        .await?
        .into_iter()
        .map(|row| {
            row.try_get::<Uuid>("", "child_id")
                .map_err(anyhow::Error::from)
        })
        .collect()
}

/// What the measures read of a child, as the database returns it.
type ChildRow = (String, String, String, NaiveDate);

fn child_row(row: &QueryResult) -> anyhow::Result<ChildRow> {
    Ok((
        row.try_get("", "reference")?,
        row.try_get("", "sex")?,
        row.try_get("", "ethnicity")?,
        row.try_get("", "birth_date")?,
    ))
}

/// The children with these ids, in `IN` lists as long as the store's.
async fn fetch_children(
    db: &sea_orm::DatabaseConnection,
    ids: &[Uuid],
) -> anyhow::Result<Vec<ChildRow>> {
    let backend = db.get_database_backend();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        let sql = format!(
            "SELECT reference, sex, ethnicity, birth_date FROM children WHERE id IN ({})",
            placeholders(backend, chunk.len())
        );
        let values = chunk.iter().map(|id| Value::from(*id));
        let statement = Statement::from_sql_and_values(backend, sql, values);
        for row in db.query_all_raw(statement).await? {
            out.push(child_row(&row)?);
        }
    }
    Ok(out)
}

/// Every case state of one authority with its child's facts, in one query.
async fn fetch_joined(
    db: &sea_orm::DatabaseConnection,
    local_authority: &str,
) -> anyhow::Result<Vec<(String, ChildRow)>> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT c.state, ch.reference, ch.sex, ch.ethnicity, ch.birth_date \
         FROM cases c JOIN children ch ON ch.id = c.child_id \
         WHERE c.local_authority = {} ORDER BY c.id",
        placeholders(backend, 1)
    );
    let statement =
        Statement::from_sql_and_values(backend, sql, [Value::from(local_authority.to_owned())]);
    db.query_all_raw(statement)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("", "state")?, child_row(row)?)))
        .collect()
}

/// `n` bind parameters, in the backend's syntax.
fn placeholders(backend: DbBackend, n: usize) -> String {
    let marks: Vec<String> = match backend {
        DbBackend::Postgres => (1..=n).map(|i| format!("${i}")).collect(),
        _ => vec!["?".to_owned(); n],
    };
    marks.join(", ")
}

fn decode_states(states: &[String]) -> anyhow::Result<Vec<CaseState>> {
    states
        .iter()
        .map(|s| serde_json::from_str::<CaseState>(s).map_err(anyhow::Error::from))
        .collect()
}

/// The durations of the runs of one scenario.
#[derive(Clone, Debug)]
struct Timing {
    runs: Vec<Duration>,
}

impl Timing {
    fn new(mut runs: Vec<Duration>) -> Self {
        runs.sort();
        Self { runs }
    }

    fn min(&self) -> Duration {
        self.runs.first().copied().unwrap_or_default()
    }

    fn max(&self) -> Duration {
        self.runs.last().copied().unwrap_or_default()
    }

    fn median(&self) -> Duration {
        let n = self.runs.len();
        match (self.runs.get(n / 2), n % 2) {
            (Some(&upper), 0) => {
                let lower = self.runs.get(n / 2 - 1).copied().unwrap_or(upper);
                (lower + upper) / 2
            }
            (Some(&middle), _) => middle,
            (None, _) => Duration::ZERO,
        }
    }
}

/// Runs `f` `runs` times. The result is dropped after the clock stops.
fn time_sync<T>(runs: usize, mut f: impl FnMut() -> T) -> Timing {
    let mut durations = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let result = black_box(f());
        durations.push(started.elapsed());
        drop(result);
    }
    Timing::new(durations)
}

/// Awaits `f()` `runs` times, failing on the first error.
/// An open case that a report benchmark changes between runs: it is allocated again, to
/// the same team and worker, on today's date (a real command, one more event).
struct ChangingCase {
    id: CaseId,
    team: Option<String>,
    allocated_worker: Option<String>,
}

impl ChangingCase {
    async fn find(engine: &Engine, authorities: &[String]) -> anyhow::Result<Self> {
        let data = engine.report_data_in(authorities).await?;
        let open = data
            .views()
            .iter()
            .find(|v| v.facts.closed_on.is_none())
            .map(|v| v.facts.case_id)
            .context("the cohort has no open case to change")?;
        let case = engine
            .store()
            .case(open)
            .await?
            .context("the open case is not in the store")?;
        Ok(Self {
            id: case.id,
            team: case.state.team.clone(),
            allocated_worker: case.state.allocated_worker.clone(),
        })
    }

    async fn change(&self, engine: &Engine) -> anyhow::Result<()> {
        let meta = CommandMeta {
            actor: Actor(DEMO_ACTOR.to_owned()),
            command_id: None,
            expected_version: None,
            note: None,
        };
        let command = CaseCommand::AllocateCase {
            on: engine.today(),
            team: self.team.clone(),
            allocated_worker: self.allocated_worker.clone(),
        };
        engine.execute(&meta, self.id, command).await?;
        Ok(())
    }
}

/// Like `time_async`, with the case changed (untimed) before each run.
async fn time_after_change<T, E, F, Fut>(
    runs: usize,
    engine: &Engine,
    changing: &ChangingCase,
    f: F,
) -> anyhow::Result<Timing>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    anyhow::Error: From<E>,
{
    time_runs(runs, Some((engine, changing)), f).await
}

async fn time_async<T, E, F, Fut>(runs: usize, f: F) -> anyhow::Result<Timing>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    anyhow::Error: From<E>,
{
    time_runs(runs, None, f).await
}

/// Times `runs` runs of `f`, changing the case first (untimed) when one is given.
async fn time_runs<T, E, F, Fut>(
    runs: usize,
    change_first: Option<(&Engine, &ChangingCase)>,
    mut f: F,
) -> anyhow::Result<Timing>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    anyhow::Error: From<E>,
{
    let mut durations = Vec::with_capacity(runs);
    for _ in 0..runs {
        if let Some((engine, changing)) = change_first {
            changing.change(engine).await?;
        }
        let started = Instant::now();
        let result = black_box(f().await?);
        durations.push(started.elapsed());
        drop(result);
    }
    Ok(Timing::new(durations))
}

fn millis(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn print_table(rows: &[(String, Timing)]) {
    println!("| scenario | min ms | median ms | max ms |");
    println!("|---|---:|---:|---:|");
    for (name, timing) in rows {
        println!(
            "| {name} | {} | {} | {} |",
            millis(timing.min()),
            millis(timing.median()),
            millis(timing.max())
        );
    }
}

/// The issue's aims, interpolated linearly between 10,000 children (100 ms) and 120,000 (1 s).
fn print_aim(children: usize, rows: &[(String, Timing)]) {
    let aim_ms = if children <= 10_000 {
        100.0
    } else {
        100.0 + (children - 10_000) as f64 * 900.0 / 110_000.0
    };
    for (name, timing) in rows
        .iter()
        .filter(|(name, _)| name.starts_with("(b)") || name.starts_with("(e)"))
    {
        let median = timing.median().as_secs_f64() * 1000.0;
        println!(
            "aim for {children} children (100 ms at 10,000, 1 s at 120,000, linear between): \
             {aim_ms:.0} ms; {name}: median {median:.1} ms, {}",
            if median <= aim_ms { "met" } else { "missed" }
        );
    }
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

/// The processor's model name, where Linux says it.
fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, model)| model.trim().to_owned())
}

/// The URL without its password.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}
