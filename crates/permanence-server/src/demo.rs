//! `permanence demo-data`: records a synthetic cohort (`permanence-cohort`) through the
//! engine's own commands, as social workers would have, so that everything the API shows
//! about it (drift, panels, timeliness) comes from the same rules as real cases.
//!
//! Two ways to record (see [`Recording`]): one transaction per command, exactly as the API
//! records them, or, for the large cohorts of benchmarks, many children per transaction
//! through the engine's import, where every command is still decided by the domain on the
//! case's state and the projections are written as the API writes them.
//!
//! A refused command is counted and reported rather than fatal: it means the generator wrote
//! something the domain does not accept, and the rest of that child's history (or, in
//! batches, the rest of the batch) is skipped. Command, child and case ids are derived from
//! the seed and the day, so running the same cohort again on the same database records
//! nothing twice.

use permanence_cohort::{ChildScript, CohortConfig, CohortStats, command_name};
use permanence_domain::{CaseId, ChildId, Command};
use permanence_engine::import::{ImportChild, ImportCommand, ImportFailure, ImportPeriod};
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
/// Children written per transaction when recording in batches: large enough that the
/// commit's flush is paid rarely, small enough that a refused batch loses little.
pub const DEFAULT_BATCH: usize = 1_000;

/// How the cohort's commands reach the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recording {
    /// One transaction per command, exactly as the API records them, this many children
    /// side by side.
    Commands { children_at_once: usize },
    /// Every command decided by the domain as the API would, but this many children written
    /// per transaction (the path of an SSDA903 import): for large cohorts, where one commit
    /// per command would take most of an hour.
    Batches { children_per_transaction: usize },
}

impl fmt::Display for Recording {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recording::Commands { children_at_once } => {
                write!(
                    f,
                    "one command per transaction, {children_at_once} children at a time"
                )
            }
            Recording::Batches {
                children_per_transaction,
            } => write!(f, "{children_per_transaction} children per transaction"),
        }
    }
}

/// How to record.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub recording: Recording,
    pub actor: String,
    /// How often `on_progress` is called while recording.
    pub progress_every: Duration,
}

impl DemoOptions {
    /// One command per transaction: one child at a time on SQLite (a single writer), eight
    /// on PostgreSQL.
    pub fn for_engine(engine: &Engine) -> Self {
        let children_at_once = match engine.store().backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => 8,
        };
        Self {
            recording: Recording::Commands { children_at_once },
            actor: DEMO_ACTOR.to_owned(),
            progress_every: Duration::from_secs(3),
        }
    }

    /// Many children per transaction (see [`Recording::Batches`]).
    pub fn in_batches(children_per_transaction: usize) -> Self {
        Self {
            recording: Recording::Batches {
                children_per_transaction: children_per_transaction.max(1),
            },
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
    /// Sibling groups recorded (or found recorded by an earlier run), beside the commands.
    pub sibling_groups: u64,
    /// The first few refusals and errors, with the child, period and command.
    pub problems: Vec<String>,
    pub elapsed: Duration,
    /// Children at home with the Public Law Outline recorded (`permanence_cohort::at_home`),
    /// and their commands (registrations and legal steps), apart from the cohort's.
    pub children_at_home: usize,
    pub commands_at_home: u64,
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
            "refused {}, failed {}, skipped {}; {} sibling groups",
            self.refused, self.errors, self.skipped, self.sibling_groups
        )?;
        for problem in &self.problems {
            writeln!(f, "  {problem}")?;
        }
        writeln!(
            f,
            "and {} children at home in the Public Law Outline ({} commands)",
            self.children_at_home, self.commands_at_home
        )?;
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
    sibling_groups: AtomicU64,
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
    match options.recording {
        Recording::Commands { children_at_once } => {
            let mut workers = tokio::task::JoinSet::new();
            for _ in 0..children_at_once.max(1) {
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
        }
        Recording::Batches {
            children_per_transaction,
        } => {
            record_in_batches(
                engine,
                &scripts,
                config,
                &options.actor,
                children_per_transaction.max(1),
                &counters,
            )
            .await;
        }
    }
    record_sibling_groups(engine, config, &scripts, &options.actor, &counters).await;
    let at_home = permanence_cohort::children_at_home(config);
    let (children_at_home, commands_at_home) =
        record_children_at_home(engine, &at_home, config, &options.actor, &counters).await;
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
        sibling_groups: counters.sibling_groups.load(Ordering::Relaxed),
        problems,
        elapsed: progress.elapsed,
        children_at_home,
        commands_at_home,
    }
}

/// Records the cohort's sibling groups once every child's cases are open: each member is
/// found by their reference (their case ids are the engine's when recorded command by
/// command), and each decision has a command id derived like the commands', so that a
/// second run records none twice.
async fn record_sibling_groups(
    engine: &Engine,
    config: &CohortConfig,
    scripts: &[ChildScript],
    actor: &str,
    counters: &Counters,
) {
    for group in permanence_cohort::sibling_groups(config, scripts) {
        let first = group.members[0];
        let context = format!("the sibling group of {}", scripts[first].child.reference);
        let ids = Ids {
            seed: config.seed,
            today: config.today,
            child: first,
            actor,
        };
        let cases = match open_cases_of(engine, scripts, &group.members).await {
            Ok(cases) => cases,
            Err(err) => {
                counters.failed(&err, context);
                continue;
            }
        };
        let case_of = |child: &usize| cases.get(child).copied();
        let decision = permanence_domain::siblings::PlacementDecision {
            placing: group.placing,
            reason: group.reason,
            placed_together: group
                .placed_together
                .iter()
                .map(|set| set.iter().filter_map(case_of).collect())
                .collect(),
            decided_on: group.decided_on,
        };
        let members = group.members.iter().filter_map(case_of).collect();
        match engine
            .record_sibling_group(&ids.meta(SIBLING_GROUP, 0), None, members, decision)
            .await
        {
            Ok(_) => {
                counters.sibling_groups.fetch_add(1, Ordering::Relaxed);
            }
            Err(err) => counters.failed(&err, context),
        }
    }
}

/// The open case of each of these children of the cohort (by index), found by reference.
async fn open_cases_of(
    engine: &Engine,
    scripts: &[ChildScript],
    children: &[usize],
) -> Result<std::collections::HashMap<usize, CaseId>, EngineError> {
    let store = engine.store();
    let mut out = std::collections::HashMap::new();
    for child in children {
        let script = &scripts[*child];
        let found = store
            .children_by_references(
                &script.child.local_authority,
                std::slice::from_ref(&script.child.reference),
            )
            .await
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        let Some(record) = found.get(&script.child.reference) else {
            return Err(EngineError::NotFound("child"));
        };
        let cases = store
            .cases_of_children(&[record.id])
            .await
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        let open = cases
            .get(&record.id)
            .and_then(|cases| cases.iter().find(|c| c.state.is_open()))
            .ok_or(EngineError::NotFound("case"))?;
        out.insert(*child, open.id);
    }
    Ok(out)
}

/// The period number the children at home's command ids are made with: no child in care's
/// period reaches it, so the ids of child *n* at home and child *n* in care never meet.
const AT_HOME: u32 = REGISTRATION - 2;

/// Records the children at home one command at a time, as the API would: their registration,
/// then each legal step (the first with the team). Answers the children recorded whole and
/// the commands recorded; a refusal is counted with the cohort's and ends that child.
async fn record_children_at_home(
    engine: &Engine,
    scripts: &[permanence_cohort::AtHomeScript],
    config: &CohortConfig,
    actor: &str,
    counters: &Counters,
) -> (usize, u64) {
    let (mut children, mut commands) = (0, 0);
    'children: for (index, script) in scripts.iter().enumerate() {
        let ids = Ids {
            seed: config.seed,
            today: config.today,
            child: index,
            actor,
        };
        let reference = &script.child.reference;
        let child = match engine
            .register_child(&ids.meta(AT_HOME, 0), script.child.clone())
            .await
        {
            Ok(child) => child,
            Err(err) => {
                counters.failed(&err, format!("{reference} (at home) registration"));
                continue;
            }
        };
        commands += 1;
        for (i, (on, step)) in script.steps.iter().enumerate() {
            let command = permanence_domain::legal_at_home::RecordAtHome {
                on: *on,
                step: *step,
                team: (i == 0).then(|| script.team.clone()),
            };
            let index = command_number(i);
            if let Err(err) = engine
                .record_legal_step_at_home(&ids.meta(AT_HOME, index), child.id, command)
                .await
            {
                counters.failed(&err, format!("{reference} (at home) {step:?} on {on}"));
                continue 'children;
            }
            commands += 1;
        }
        children += 1;
    }
    (children, commands)
}

/// What makes a command id: the cohort, the child, the period and the command.
struct Ids<'a> {
    seed: u64,
    today: chrono::NaiveDate,
    child: usize,
    actor: &'a str,
}

/// The period number of a child's registration, which is not in any period.
const REGISTRATION: u32 = u32::MAX;
/// The period number of a sibling group's decision (in the ids of its first member), which
/// no period reaches either, and not the children at home's (`AT_HOME`).
const SIBLING_GROUP: u32 = u32::MAX - 3;

impl Ids<'_> {
    fn command_id(&self, period: u32, index: u32) -> uuid::Uuid {
        permanence_cohort::command_id(self.seed, self.today, self.child, period, index)
    }

    fn meta(&self, period: u32, index: u32) -> CommandMeta {
        CommandMeta {
            actor: Actor(self.actor.to_owned()),
            command_id: Some(self.command_id(period, index)),
            expected_version: None,
            note: None,
        }
    }

    /// The child's id when recording in batches: derived like the command ids, from a
    /// (period, index) no command uses, so that a second run finds the same child.
    fn child_id(&self) -> ChildId {
        ChildId(self.command_id(REGISTRATION, 1))
    }

    /// A period's case id when recording in batches (commands are numbered from 0, and
    /// never reach `u32::MAX`).
    fn case_id(&self, period: u32) -> CaseId {
        CaseId(self.command_id(period, u32::MAX))
    }
}

/// A period's number in the command ids.
fn period_number(period: usize) -> u32 {
    u32::try_from(period).unwrap_or(REGISTRATION - 1)
}

/// A command's number within its period: the opening is 0.
fn command_number(command: usize) -> u32 {
    u32::try_from(command + 1).unwrap_or(u32::MAX - 1)
}

/// Commands in a child's script, its registration and openings included.
fn commands_of(script: &ChildScript) -> usize {
    1 + script
        .periods
        .iter()
        .map(|p| p.commands.len() + 1)
        .sum::<usize>()
}

/// The child's script as the engine's import takes it.
fn import_child(script: &ChildScript, ids: &Ids<'_>) -> ImportChild {
    let child_id = ids.child_id();
    let periods = script
        .periods
        .iter()
        .enumerate()
        .map(|(p, period)| {
            let number = period_number(p);
            let case_id = ids.case_id(number);
            ImportPeriod {
                case_id,
                open: ImportCommand {
                    command_id: ids.command_id(number, 0),
                    command: Command::OpenCase(period.enter.open_case(
                        &script.child,
                        case_id,
                        child_id,
                    )),
                    note: None,
                },
                commands: period
                    .commands
                    .iter()
                    .enumerate()
                    .map(|(i, command)| ImportCommand {
                        command_id: ids.command_id(number, command_number(i)),
                        command: command.clone(),
                        note: None,
                    })
                    .collect(),
            }
        })
        .collect();
    ImportChild {
        command_id: ids.command_id(REGISTRATION, 0),
        child_id,
        child: script.child.clone(),
        periods,
    }
}

/// Records the scripts `per_transaction` children at a time through the engine's import. A
/// batch the domain refuses is written not at all; its refusals are reported and the next
/// batch goes on.
async fn record_in_batches(
    engine: &Engine,
    scripts: &[ChildScript],
    config: &CohortConfig,
    actor: &str,
    per_transaction: usize,
    counters: &Counters,
) {
    let actor_id = Actor(actor.to_owned());
    for (b, batch) in scripts.chunks(per_transaction).enumerate() {
        let first = b * per_transaction;
        let children: Vec<ImportChild> = batch
            .iter()
            .enumerate()
            .map(|(i, script)| {
                let ids = Ids {
                    seed: config.seed,
                    today: config.today,
                    child: first + i,
                    actor,
                };
                import_child(script, &ids)
            })
            .collect();
        let commands: usize = batch.iter().map(commands_of).sum();
        match engine.import(&actor_id, children, &|_| {}).await {
            Ok(outcome) => {
                let registered_before = batch.len() - outcome.children_registered;
                let duplicates = outcome.commands_skipped + registered_before;
                counters.commands.fetch_add(
                    (outcome.commands_recorded + outcome.children_registered + duplicates) as u64,
                    Ordering::Relaxed,
                );
                counters
                    .duplicates
                    .fetch_add(duplicates as u64, Ordering::Relaxed);
                let periods: usize = batch.iter().map(|s| s.periods.len()).sum();
                counters.cases.fetch_add(periods as u64, Ordering::Relaxed);
                counters
                    .children_recorded
                    .fetch_add(batch.len(), Ordering::Relaxed);
            }
            Err(ImportFailure::Refused(refusals)) => {
                for refusal in &refusals {
                    let script = &batch[refusal.child];
                    let what = match (refusal.period, refusal.command) {
                        (None, _) => "registration".to_owned(),
                        (Some(p), None) => format!("period {} opening", p + 1),
                        (Some(p), Some(c)) => {
                            let command = &script.periods[p].commands[c];
                            format!(
                                "period {} command {} ({} on {})",
                                p + 1,
                                c + 1,
                                command_name(command),
                                command.occurred_on()
                            )
                        }
                    };
                    counters.failed(
                        &EngineError::Domain(refusal.error.clone()),
                        format!("{} {what}", script.child.reference),
                    );
                }
                counters.skipped.fetch_add(
                    commands.saturating_sub(refusals.len()) as u64,
                    Ordering::Relaxed,
                );
            }
            Err(ImportFailure::Engine(err)) => {
                counters.failed(
                    &err,
                    format!("children {} to {}", first + 1, first + batch.len()),
                );
                counters
                    .skipped
                    .fetch_add(commands.saturating_sub(1) as u64, Ordering::Relaxed);
            }
        }
        counters
            .children_done
            .fetch_add(batch.len(), Ordering::Relaxed);
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
        .register_child(&ids.meta(REGISTRATION, 0), script.child.clone())
        .await
    {
        Ok(child) => child,
        Err(err) => {
            counters.failed(&err, format!("{reference} registration"));
            let all = commands_of(script) - 1;
            counters.skipped.fetch_add(all as u64, Ordering::Relaxed);
            return;
        }
    };
    counters.commands.fetch_add(1, Ordering::Relaxed);
    for (p, period) in script.periods.iter().enumerate() {
        let period_no = period_number(p);
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
            let index = command_number(i);
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
