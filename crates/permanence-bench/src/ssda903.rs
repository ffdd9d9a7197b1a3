//! `permanence-bench ssda903`: how long importing and exporting a national return takes.
//!
//! A synthetic cohort of `--children` children entering care over the last `--years` years
//! is generated and applied with the domain's own `decide` and `evolve` (no database), its
//! return for `--year` is written as CSV files, and then, on the empty database given:
//! - (a) `permanence ssda903 import` of those files (read, check, decide, write in one
//!   transaction), timed from reading the files to the commit;
//! - (b) `permanence ssda903 export` of the same year from the database, timed from the
//!   first read to the last file written;
//! - and whether (b) wrote the same bytes as the files imported (the round trip);
//! - (c) the same files imported again, as next month's return mostly is: everything is
//!   read, checked and decided again and recognised as recorded, and nothing is written.
//!
//! The figures quote the children in the return (those in care at some time in the year),
//! which is fewer than the children generated.

use anyhow::{Context, ensure};
use chrono::NaiveDate;
use clap::Args;
use permanence_cohort::{ChildScript, CohortConfig, years_before};
use permanence_domain::case::{CaseState, Command, DecisionContext};
use permanence_domain::{CaseId, ChildId, RouteCatalog, Timescales, decide, evolve};
use permanence_server::open_engine;
use permanence_server::ssda903::import::{ImportProblem, import_files, read_dir};
use permanence_ssda903::{CollectionYear, ReturnChild, build_return};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

#[derive(Debug, Args)]
pub struct Ssda903Args {
    /// An empty database: `sqlite:///path?mode=rwc` or `postgres://…`.
    #[arg(long, env = "PERMANENCE_DATABASE_URL")]
    database_url: String,
    /// Children generated (the return holds those in care during the year).
    #[arg(long)]
    children: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Years over which the generated children entered care.
    #[arg(long, default_value_t = 3)]
    years: u32,
    /// The collection year, by the year it ends in.
    #[arg(long, default_value_t = 2026)]
    year: i32,
    /// Where the return's files are written [default: a new directory under /tmp].
    #[arg(long)]
    dir: Option<std::path::PathBuf>,
}

fn apply(
    script: &ChildScript,
    ctx: &DecisionContext<'_>,
    n: u128,
) -> anyhow::Result<Vec<CaseState>> {
    let child_id = ChildId(Uuid::from_u128(n << 8));
    let mut states = Vec::new();
    for (p, period) in script.periods.iter().enumerate() {
        let case_id = CaseId(Uuid::from_u128((n << 8) | (p as u128 + 1)));
        let open = Command::OpenCase(period.enter.open_case(&script.child, case_id, child_id));
        let mut state = None;
        for command in std::iter::once(&open).chain(&period.commands) {
            let events = decide(state.as_ref(), command, ctx).with_context(|| {
                format!(
                    "{}: a generated command was refused",
                    script.child.reference
                )
            })?;
            state = events.iter().fold(state, evolve);
        }
        states.extend(state);
    }
    Ok(states)
}

fn same_files(a: &Path, b: &Path) -> anyhow::Result<bool> {
    let read = |dir: &Path| -> anyhow::Result<Vec<(String, String)>> {
        Ok(read_dir(dir)?
            .into_iter()
            .map(|f| (f.name, f.text))
            .collect())
    };
    Ok(read(a)? == read(b)?)
}

pub async fn run(args: &Ssda903Args) -> anyhow::Result<()> {
    let engine = open_engine(
        &args.database_url,
        Timescales::default(),
        Arc::new(permanence_engine::SystemClock),
    )
    .await
    .context("opening the database")?;
    ensure!(
        engine.store().all_case_ids().await?.is_empty(),
        "the database must be empty: the benchmark imports into it"
    );
    let year = CollectionYear::ending(args.year).context("--year")?;
    let today: NaiveDate = engine.today();
    let mut config = CohortConfig::new(args.children, args.seed, today);
    config.start = years_before(today, args.years);
    let started = Instant::now();
    let catalog = RouteCatalog::standard()?;
    let ctx = DecisionContext {
        today,
        catalog: &catalog,
    };
    let mut children = Vec::with_capacity(args.children);
    for (n, script) in permanence_cohort::generate(&config).iter().enumerate() {
        children.push(ReturnChild {
            reference: script.child.reference.clone(),
            birth_date: script.child.birth_date,
            sex: script.child.sex,
            ethnicity: script.child.ethnicity.clone(),
            facts: script.child.facts.clone(),
            periods: apply(script, &ctx, n as u128)?,
        });
    }
    let ret = build_return(year, &children);
    drop(children);
    let base = args.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("permanence-bench-ssda903-{}", Uuid::now_v7()))
    });
    let source = base.join("return");
    let rows = permanence_server::ssda903::write(&source, &ret)?;
    let in_return = rows.first().map_or(0, |(_, n)| *n);
    println!(
        "ssda903: {} children generated, {in_return} in the {year} return ({}); built in {:.1} s; backend {:?}",
        args.children,
        rows.iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        started.elapsed().as_secs_f64(),
        engine.store().backend()
    );

    let started = Instant::now();
    let files = read_dir(&source)?;
    // The import's stages with their times, to see where it goes.
    let stage = |line: &str| println!("    {:6.2} s  {line}", started.elapsed().as_secs_f64());
    let outcome = import(&engine, &files, &stage).await?;
    let import_time = started.elapsed();
    println!(
        "(a) import: {:.2} s for {in_return} children ({} periods of care, {} commands, {} events)",
        import_time.as_secs_f64(),
        outcome.cases_opened,
        outcome.commands_recorded,
        outcome.events_recorded
    );

    let started = Instant::now();
    let (_, exported) = permanence_server::ssda903::build(&engine, year, Some("E10000003")).await?;
    let target = base.join("export");
    permanence_server::ssda903::write(&target, &exported)?;
    let export = started.elapsed();
    println!(
        "(b) export: {:.2} s for {in_return} children; the same bytes as imported: {}",
        export.as_secs_f64(),
        same_files(&source, &target)?
    );

    let started = Instant::now();
    let stage = |line: &str| println!("    {:6.2} s  {line}", started.elapsed().as_secs_f64());
    let again = import(&engine, &files, &stage).await?;
    ensure!(
        again.commands_recorded == 0 && again.children_registered == 0,
        "importing the same files again recorded something: {again:?}"
    );
    println!(
        "(c) import again: {:.2} s, {} commands recognised as recorded, nothing written",
        started.elapsed().as_secs_f64(),
        again.commands_skipped
    );
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&base);
    }
    Ok(())
}

/// Imports the files as `permanence ssda903 import` does, listing the first problems of a
/// refusal.
async fn import(
    engine: &permanence_engine::Engine,
    files: &[permanence_ssda903::import::SourceFile],
    stage: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<permanence_engine::import::ImportOutcome> {
    match import_files(engine, "E10000003", files, stage).await {
        Ok(outcome) => Ok(outcome),
        Err(ImportProblem::Refused(errors)) => {
            for e in errors.iter().take(20) {
                eprintln!("  {e}");
            }
            anyhow::bail!("the import was refused: {} problems", errors.len());
        }
        Err(ImportProblem::Failed(e)) => Err(e),
    }
}
