//! `permanence demo-data`: records a synthetic cohort (`permanence-cohort`) through the
//! engine's own commands, as social workers would have, so that everything the API shows
//! about it (drift, panels, timeliness) comes from the same rules as real cases.
//!
//! A handful of tasks record children side by side (one on SQLite, which has one writer).
//! A refused command is counted and reported rather than fatal: it means the generator wrote
//! something the domain does not accept, and the rest of that child's history is skipped.
//! Command ids are derived from the seed and the day, so running the same cohort again on
//! the same database records nothing twice.

use permanence_cohort::{ChildScript, CohortConfig, CohortStats, command_name};
use permanence_engine::store::Backend;
use permanence_engine::{Actor, CommandMeta, Engine, EngineError, EnterCare};
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many refusal or error messages a report keeps.
const KEPT_PROBLEMS: usize = 10;
/// The actor recorded on every generated event.
pub const DEMO_ACTOR: &str = "demo-data";

/// How to record.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Children recorded at once.
    pub concurrency: usize,
    pub actor: String,
    /// How often `on_progress` is called while recording.
    pub progress_every: Duration,
}

impl DemoOptions {
    /// One task on SQLite (a single writer), eight on PostgreSQL.
    pub fn for_engine(engine: &Engine) -> Self {
        let concurrency = match engine.store().backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => 8,
        };
        Self {
            concurrency,
            actor: DEMO_ACTOR.to_owned(),
            progress_every: Duration::from_secs(3),
        }
    }
}

/// Where a recording stands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    pub children_done: usize,
    pub children: usize,
    /// Commands recorded (each child's registration and each opening included).
    pub commands: u64,
    pub refused: u64,
    pub elapsed: Duration,
}

impl Progress {
    pub fn commands_per_second(&self) -> f64 {
        per_second(self.commands, self.elapsed)
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} children, {} commands, {:.0} commands/s, {} refused",
            self.children_done,
            self.children,
            self.commands,
            self.commands_per_second(),
            self.refused
        )
    }
}

fn per_second(count: u64, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64();
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// What a recording did.
#[derive(Clone, Debug)]
pub struct DemoReport {
    /// The cohort as generated (what was meant to be recorded).
    pub stats: CohortStats,
    pub children_recorded: usize,
    pub cases_opened: u64,
    /// Commands recorded, each child's registration and each opening included.
    pub commands: u64,
    /// Of those, already recorded by an earlier run with the same seed and day.
    pub duplicates: u64,
    /// Commands the domain refused (a generator bug).
    pub refused: u64,
    /// Commands that failed for another reason (the database, a conflicting earlier run).
    pub errors: u64,
    /// Commands not attempted because an earlier command of the same child failed.
    pub skipped: u64,
    /// The first few refusals and errors, with the child, period and command.
    pub problems: Vec<String>,
    pub elapsed: Duration,
}

impl DemoReport {
    /// Everything generated was recorded.
    pub fn is_clean(&self) -> bool {
        self.refused == 0 && self.errors == 0 && self.skipped == 0
    }

    pub fn commands_per_second(&self) -> f64 {
        per_second(self.commands, self.elapsed)
    }
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "recorded {} of {} children, {} periods of care, {} commands in {:.1} s ({:.0} commands/s){}",
            self.children_recorded,
            self.stats.children,
            self.cases_opened,
            self.commands,
            self.elapsed.as_secs_f64(),
            self.commands_per_second(),
            if self.duplicates > 0 {
                format!(", {} already recorded by an earlier run", self.duplicates)
            } else {
                String::new()
            }
        )?;
        writeln!(
            f,
            "refused {}, failed {}, skipped {}",
            self.refused, self.errors, self.skipped
        )?;
        for problem in &self.problems {
            writeln!(f, "  {problem}")?;
        }
        write!(f, "{}", self.stats)
    }
}

#[derive(Default)]
struct Counters {
    next: AtomicUsize,
    children_done: AtomicUsize,
    children_recorded: AtomicUsize,
    cases: AtomicU64,
    commands: AtomicU64,
    duplicates: AtomicU64,
    refused: AtomicU64,
    errors: AtomicU64,
    skipped: AtomicU64,
    problems: Mutex<Vec<String>>,
}

impl Counters {
    fn progress(&self, children: usize, started: Instant) -> Progress {
        Progress {
            children_done: self.children_done.load(Ordering::Relaxed),
            children,
            commands: self.commands.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            elapsed: started.elapsed(),
        }
    }

    fn failed(&self, err: &EngineError, context: String) {
        match err {
            EngineError::Domain(_) => self.refused.fetch_add(1, Ordering::Relaxed),
            _ => self.errors.fetch_add(1, Ordering::Relaxed),
        };
        if let Ok(mut problems) = self.problems.lock()
            && problems.len() < KEPT_PROBLEMS
        {
            problems.push(format!("{context}: {err}"));
        }
    }
}

/// Generates the cohort and records it through `engine`, calling `on_progress` every
/// `options.progress_every` and once at the end.
pub async fn record_cohort(
    engine: &Engine,
    config: &CohortConfig,
    options: &DemoOptions,
    on_progress: impl Fn(&Progress) + Send + Sync + 'static,
) -> DemoReport {
    let scripts = Arc::new(permanence_cohort::generate(config));
    let stats = CohortStats::of(&scripts);
    let counters = Arc::new(Counters::default());
    let started = Instant::now();
    let children = scripts.len();
    let on_progress = Arc::new(on_progress);
    let ticker = {
        let counters = Arc::clone(&counters);
        let on_progress = Arc::clone(&on_progress);
        let every = options.progress_every.max(Duration::from_millis(100));
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            interval.tick().await;
            loop {
                interval.tick().await;
                on_progress(&counters.progress(children, started));
            }
        })
    };
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..options.concurrency.max(1) {
        let engine = engine.clone();
        let scripts = Arc::clone(&scripts);
        let counters = Arc::clone(&counters);
        let actor = options.actor.clone();
        let seed = config.seed;
        let today = config.today;
        workers.spawn(async move {
            loop {
                let index = counters.next.fetch_add(1, Ordering::Relaxed);
                let Some(script) = scripts.get(index) else {
                    break;
                };
                let ids = Ids {
                    seed,
                    today,
                    child: index,
                    actor: &actor,
                };
                record_child(&engine, script, &ids, &counters).await;
                counters.children_done.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    while workers.join_next().await.is_some() {}
    ticker.abort();
    let progress = counters.progress(children, started);
    on_progress(&progress);
    let problems = counters
        .problems
        .lock()
        .map(|p| p.clone())
        .unwrap_or_default();
    DemoReport {
        stats,
        children_recorded: counters.children_recorded.load(Ordering::Relaxed),
        cases_opened: counters.cases.load(Ordering::Relaxed),
        commands: counters.commands.load(Ordering::Relaxed),
        duplicates: counters.duplicates.load(Ordering::Relaxed),
        refused: counters.refused.load(Ordering::Relaxed),
        errors: counters.errors.load(Ordering::Relaxed),
        skipped: counters.skipped.load(Ordering::Relaxed),
        problems,
        elapsed: progress.elapsed,
    }
}

/// What makes a command id: the cohort, the child, the period and the command.
struct Ids<'a> {
    seed: u64,
    today: chrono::NaiveDate,
    child: usize,
    actor: &'a str,
}

impl Ids<'_> {
    fn meta(&self, period: u32, index: u32) -> CommandMeta {
        CommandMeta {
            actor: Actor(self.actor.to_owned()),
            command_id: Some(permanence_cohort::command_id(
                self.seed, self.today, self.child, period, index,
            )),
            expected_version: None,
            note: None,
        }
    }
}

/// Records one child's periods in order; stops at the child's first failure.
async fn record_child(engine: &Engine, script: &ChildScript, ids: &Ids<'_>, counters: &Counters) {
    let reference = &script.child.reference;
    let remaining_after = |period: usize, done_in_period: usize| -> u64 {
        let later: usize = script.periods[period + 1..]
            .iter()
            .map(|p| p.commands.len() + 1)
            .sum();
        let here = (script.periods[period].commands.len() + 1).saturating_sub(done_in_period);
        (later + here) as u64
    };
    let child = match engine
        .register_child(&ids.meta(u32::MAX, 0), script.child.clone())
        .await
    {
        Ok(child) => child,
        Err(err) => {
            counters.failed(&err, format!("{reference} registration"));
            let all: usize = script.periods.iter().map(|p| p.commands.len() + 1).sum();
            counters.skipped.fetch_add(all as u64, Ordering::Relaxed);
            return;
        }
    };
    counters.commands.fetch_add(1, Ordering::Relaxed);
    for (p, period) in script.periods.iter().enumerate() {
        let period_no = u32::try_from(p).unwrap_or(u32::MAX - 1);
        let enter = &period.enter;
        let opened = engine
            .enter_care(
                &ids.meta(period_no, 0),
                EnterCare {
                    child_id: child.id,
                    entered_care_on: enter.entered_care_on,
                    legal_status: enter.legal_status,
                    placement: enter.placement,
                    provider: enter.provider,
                    carer: enter.carer.clone(),
                    team: enter.team.clone(),
                    allocated_worker: enter.allocated_worker.clone(),
                    details: enter.details.clone(),
                },
            )
            .await;
        let case_id = match opened {
            Ok(outcome) => {
                count(counters, outcome.duplicate);
                counters.cases.fetch_add(1, Ordering::Relaxed);
                outcome.case.id
            }
            Err(err) => {
                counters.failed(
                    &err,
                    format!(
                        "{reference} period {} entering care on {}",
                        p + 1,
                        enter.entered_care_on
                    ),
                );
                counters
                    .skipped
                    .fetch_add(remaining_after(p, 1), Ordering::Relaxed);
                return;
            }
        };
        for (i, command) in period.commands.iter().enumerate() {
            let index = u32::try_from(i + 1).unwrap_or(u32::MAX);
            match engine
                .execute(&ids.meta(period_no, index), case_id, command.clone())
                .await
            {
                Ok(outcome) => count(counters, outcome.duplicate),
                Err(err) => {
                    counters.failed(
                        &err,
                        format!(
                            "{reference} period {} command {} ({} on {})",
                            p + 1,
                            i + 1,
                            command_name(command),
                            command.occurred_on()
                        ),
                    );
                    counters
                        .skipped
                        .fetch_add(remaining_after(p, i + 2), Ordering::Relaxed);
                    return;
                }
            }
        }
    }
    counters.children_recorded.fetch_add(1, Ordering::Relaxed);
}

fn count(counters: &Counters, duplicate: bool) {
    counters.commands.fetch_add(1, Ordering::Relaxed);
    if duplicate {
        counters.duplicates.fetch_add(1, Ordering::Relaxed);
    }
}
