//! `permanence ssda903 import DIR`: an authority's existing return into the engine.
//!
//! The CSV files in DIR are recognised by their columns, read and checked
//! (`permanence_ssda903::import`), turned into the commands they imply, and recorded by the
//! engine in one transaction (`Engine::import`). Every problem is reported with its file,
//! table, row, column and reason, and then nothing is imported; or, with
//! `--skip-refused-children`, every child with a problem is left out whole (no half child) and
//! the rest imported, the refused rows written to a CSV report. Command ids are derived from
//! the authority, the child, the period and the fact, so that importing the same files again
//! records nothing and next month's files add only what is new. Each imported event's note
//! says which file and row it came from.

use anyhow::Context;
use permanence_domain::case::{Command, OpenCase};
use permanence_domain::history::ImportedHistory;
use permanence_domain::{CaseId, ChildId, DomainError};
use permanence_engine::import::{
    ImportChild, ImportCommand, ImportFailure, ImportOutcome, ImportPeriod,
};
use permanence_engine::{Actor, Engine};
use permanence_ssda903::TableKind;
use permanence_ssda903::import::{
    HeldPeriod, ImportError, ImportedChild, Origin, SourceFile, continue_period, period_key,
    plan_child,
};
use std::path::Path;
use uuid::Uuid;

pub use crate::cli::ImportArgs;

/// The actor recorded on imported events.
pub const IMPORT_ACTOR: &str = "ssda903-import";

/// What an import does with a child whose rows cannot be imported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusedChildren {
    /// Import nothing (the default: a return goes in whole or not at all).
    RefuseAll,
    /// Leave the child out whole and import the others.
    LeaveOut,
}

/// What an import that left children out did.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub outcome: ImportOutcome,
    /// The problems of the children left out, every one, sorted.
    pub left_out: Vec<ImportError>,
}

impl ImportReport {
    /// How many children were left out.
    pub fn children_left_out(&self) -> usize {
        self.left_out
            .iter()
            .filter_map(|e| e.child.as_deref())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    }
}

/// Reads every `.csv` file of `dir`, in name order.
pub fn read_dir(dir: &Path) -> anyhow::Result<Vec<SourceFile>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push(SourceFile { name, text });
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// A stable id from its parts (two 64-bit FNV-1a hashes, mixed): the same facts of the same
/// child in the same authority give the same id on every import.
fn stable_id(parts: &[&str]) -> Uuid {
    let mut high: u64 = 0xcbf2_9ce4_8422_2325;
    let mut low: u64 = 0x8422_2325_cbf2_9ce4;
    for part in parts {
        for byte in part.bytes().chain([0x1f]) {
            high = (high ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            low = (low ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3 | 0x10);
        }
    }
    let high = permanence_cohort::rng::mix64(high ^ 0x5353_4441_3930_3320);
    let low = permanence_cohort::rng::mix64(low ^ high);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&high.to_be_bytes());
    bytes[8..].copy_from_slice(&low.to_be_bytes());
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// The case id an import gives a period of care, from its key.
fn period_case_id(la: &str, reference: &str, period_key: &str) -> CaseId {
    CaseId(stable_id(&[la, reference, period_key, "case"]))
}

/// Finds the periods of the files that continue a period of care an earlier import recorded
/// (a later collection year's return: see `permanence_ssda903::import::continue_period`)
/// and makes them its continuation. A held period qualifies when an import recorded it
/// (its id is the one the import derives from its first day), it began before the file's
/// period and had not ended by that period's first day. Answers how many were continued.
async fn continue_held_periods(
    engine: &Engine,
    la: &str,
    planned: &mut [ImportedChild],
) -> anyhow::Result<usize> {
    let store = engine.store();
    // A period whose own id is held was recorded before as it is: only the others can
    // continue one (which is asked by id alone, so a return imported again reads nothing).
    let ids: Vec<CaseId> = planned
        .iter()
        .flat_map(|c| {
            c.periods
                .iter()
                .map(|p| period_case_id(la, &c.child.reference, &p.key))
        })
        .collect();
    let held_ids = store.held_case_ids(&ids).await?;
    let references: Vec<String> = planned
        .iter()
        .filter(|c| {
            c.periods
                .iter()
                .any(|p| !held_ids.contains(&period_case_id(la, &c.child.reference, &p.key)))
        })
        .map(|c| c.child.reference.clone())
        .collect();
    let known = store.children_by_references(la, &references).await?;
    if known.is_empty() {
        return Ok(0);
    }
    let ids: Vec<ChildId> = known.values().map(|c| c.id).collect();
    let held = store.cases_of_children(&ids).await?;
    let mut continued = 0;
    for child in planned.iter_mut() {
        let reference = child.child.reference.as_str();
        let Some(cases) = known.get(reference).and_then(|c| held.get(&c.id)) else {
            continue;
        };
        for period in &mut child.periods {
            let continues = cases.iter().find(|case| {
                let state = &case.state;
                state.entered_care_on < period.entered_care_on
                    && state
                        .closed
                        .as_ref()
                        .is_none_or(|closed| closed.on > period.entered_care_on)
                    && case.id == period_case_id(la, reference, &period_key(state.entered_care_on))
            });
            if let Some(case) = continues {
                continue_period(
                    period,
                    HeldPeriod {
                        entered_care_on: case.state.entered_care_on,
                        episodes: &case.state.episodes,
                    },
                );
                continued += 1;
            }
        }
    }
    Ok(continued)
}

/// The engine's view of a planned child, with ids derived from the facts.
fn to_engine(la: &str, planned: &ImportedChild) -> ImportChild {
    let reference = planned.child.reference.as_str();
    let periods = planned
        .periods
        .iter()
        .map(|period| {
            let case_id = period_case_id(la, reference, &period.key);
            let open = OpenCase {
                case_id,
                // Filled in by the engine: the child may be known already.
                child_id: ChildId(Uuid::nil()),
                local_authority: la.to_owned(),
                child_birth_date: planned.child.birth_date,
                entered_care_on: period.entered_care_on,
                legal_status: period.legal_status,
                placement: period.placement,
                provider: period.provider,
                carer: period.carer.clone(),
                team: None,
                allocated_worker: None,
                details: period.details.clone(),
                // The national return holds periods of care only.
                legal_round_from_home: None,
            };
            // What the return held for the period comes first: the deadlines of every
            // later fact are derived knowing it. A later year's return adds nothing here
            // (the id is the period's), so the earliest return's word stands.
            let history = ImportCommand {
                command_id: stable_id(&[la, reference, &period.key, "history"]),
                command: Command::RecordImportedHistory {
                    on: period.entered_care_on,
                    history: period.history,
                },
                note: Some(period.origin.note()),
            };
            ImportPeriod {
                case_id,
                open: ImportCommand {
                    command_id: stable_id(&[la, reference, &period.key, "open"]),
                    command: Command::OpenCase(open),
                    note: Some(period.origin.note()),
                },
                commands: std::iter::once(history)
                    .chain(period.commands.iter().map(|c| ImportCommand {
                        command_id: stable_id(&[la, reference, &period.key, &c.key]),
                        command: c.command.clone(),
                        note: Some(c.origin.note()),
                    }))
                    .collect(),
            }
        })
        .collect();
    ImportChild {
        command_id: stable_id(&[la, reference, "child"]),
        child_id: ChildId(stable_id(&[la, reference, "child-id"])),
        child: planned.child.clone(),
        periods,
    }
}

/// The column a refusal of the child's own facts is about.
fn header_column(error: &DomainError) -> &'static str {
    match error {
        DomainError::Validation { field, .. } => match field.as_str() {
            "upn" => "UPN",
            "mother" => "MOTHER",
            "firstChildBornOn" => "MC_DOB",
            "birthDate" => "DOB",
            "reference" => "CHILD",
            "ethnicity" => "ETHNIC",
            _ => "*",
        },
        _ => "*",
    }
}

fn problem(origin: &Origin, column: &str, error: &DomainError, child: &str) -> ImportError {
    let reason = match error {
        DomainError::Validation { reason, .. } => reason.clone(),
        other => other.to_string(),
    };
    ImportError {
        file: origin.file.clone(),
        table: Some(origin.table),
        row: origin.row,
        column: column.to_owned(),
        reason,
        child: Some(child.to_owned()),
    }
}

/// Why an import recorded nothing.
#[derive(Debug)]
pub enum ImportProblem {
    /// The files' problems, every one (nothing was imported).
    Refused(Vec<ImportError>),
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for ImportProblem {
    fn from(e: anyhow::Error) -> Self {
        Self::Failed(e)
    }
}

/// Reads, checks and imports `files` for authority `la`, all or nothing. `progress` receives
/// lines to show.
pub async fn import_files(
    engine: &Engine,
    la: &str,
    files: &[SourceFile],
    progress: &(dyn Fn(&str) + Sync),
) -> Result<ImportOutcome, ImportProblem> {
    import_files_with(engine, la, files, progress, RefusedChildren::RefuseAll)
        .await
        .map(|report| report.outcome)
}

/// Reads, checks and imports `files` for authority `la`, doing with refused children what
/// `refused` says. A problem that names no child (a file that cannot be read, a row without
/// CHILD) refuses the whole import either way: no one can tell which child it keeps out.
pub async fn import_files_with(
    engine: &Engine,
    la: &str,
    files: &[SourceFile],
    progress: &(dyn Fn(&str) + Sync),
    refused: RefusedChildren,
) -> Result<ImportReport, ImportProblem> {
    if !permanence_domain::case::is_local_authority_code(la) {
        return Err(ImportProblem::Failed(anyhow::anyhow!(
            "--local-authority {la}: an ONS code is E followed by 8 digits"
        )));
    }
    let mut left_out = LeftOut::new(refused);
    let (data, errors) = permanence_ssda903::import::read_return_leniently(files);
    left_out.add(errors)?;
    for (file, kind) in &data.ignored {
        progress(&format!(
            "{file}: the {kind} table is not imported (the engine keeps no such data)"
        ));
    }
    progress(&format!("read {} children", data.children.len()));
    let history = ImportedHistory {
        reviews_in_return: data.tables.contains(&TableKind::Reviews),
        // The national return has no dates of health assessments.
        health_assessments_in_return: false,
    };
    let mut planned = Vec::with_capacity(data.children.len());
    for rows in &data.children {
        if left_out.contains(&rows.reference) {
            continue;
        }
        match plan_child(rows, la, history) {
            Ok(child) => planned.push(child),
            Err(errors) => left_out.add(errors)?,
        }
    }
    left_out.refuse_if_any()?;
    let continued = continue_held_periods(engine, la, &mut planned)
        .await
        .map_err(ImportProblem::Failed)?;
    if continued > 0 {
        progress(&format!(
            "{continued} periods of care continue periods recorded from an earlier collection year's return"
        ));
    }
    loop {
        if left_out.count() > 0 {
            progress(&format!(
                "{} children left out for problems in their rows",
                left_out.count()
            ));
        }
        let children: Vec<ImportChild> = planned.iter().map(|c| to_engine(la, c)).collect();
        match engine
            .import(&Actor(IMPORT_ACTOR.to_owned()), children, progress)
            .await
        {
            Ok(outcome) => {
                return Ok(ImportReport {
                    outcome,
                    left_out: left_out.into_errors(),
                });
            }
            Err(ImportFailure::Engine(e)) => return Err(ImportProblem::Failed(e.into())),
            Err(ImportFailure::Refused(refusals)) => {
                let errors: Vec<ImportError> = refusals
                    .iter()
                    .map(|r| {
                        let child = &planned[r.child];
                        let reference = &child.child.reference;
                        match (r.period, r.command) {
                            (None, _) => {
                                problem(&child.origin, header_column(&r.error), &r.error, reference)
                            }
                            (Some(p), None) => {
                                problem(&child.periods[p].origin, "DECOM", &r.error, reference)
                            }
                            // The first command of a period is what its return held.
                            (Some(p), Some(0)) => {
                                problem(&child.periods[p].origin, "*", &r.error, reference)
                            }
                            (Some(p), Some(n)) => {
                                let c = &child.periods[p].commands[n - 1];
                                problem(&c.origin, c.column, &r.error, reference)
                            }
                        }
                    })
                    .collect();
                left_out.add(errors)?;
                left_out.refuse_if_any()?;
                // Decided again without them: each child's commands are decided on their own
                // cases, so the others' decisions do not change.
                planned.retain(|c| !left_out.contains(&c.child.reference));
            }
        }
    }
}

/// The problems found so far, and the children they keep out.
struct LeftOut {
    mode: RefusedChildren,
    errors: Vec<ImportError>,
    children: std::collections::HashSet<String>,
}

impl LeftOut {
    fn new(mode: RefusedChildren) -> Self {
        Self {
            mode,
            errors: Vec::new(),
            children: std::collections::HashSet::new(),
        }
    }

    /// Notes problems; refuses the import at once for one that names no child.
    fn add(&mut self, errors: Vec<ImportError>) -> Result<(), ImportProblem> {
        if self.mode == RefusedChildren::LeaveOut && errors.iter().any(|e| e.child.is_none()) {
            let mut whole: Vec<ImportError> = errors;
            whole.sort();
            return Err(ImportProblem::Refused(whole));
        }
        for error in errors {
            if let Some(child) = &error.child {
                self.children.insert(child.clone());
            }
            self.errors.push(error);
        }
        Ok(())
    }

    /// All or nothing: any problem refuses the import, with every problem found.
    fn refuse_if_any(&mut self) -> Result<(), ImportProblem> {
        if self.mode == RefusedChildren::RefuseAll && !self.errors.is_empty() {
            let mut errors = std::mem::take(&mut self.errors);
            errors.sort();
            return Err(ImportProblem::Refused(errors));
        }
        Ok(())
    }

    fn contains(&self, reference: &str) -> bool {
        self.children.contains(reference)
    }

    fn count(&self) -> usize {
        self.children.len()
    }

    fn into_errors(mut self) -> Vec<ImportError> {
        self.errors.sort();
        self.errors
    }
}

/// Writes the refused rows, one per problem: the child, where and why. The values of the
/// rows are not repeated (they are children's details); the file and row lead to them.
pub fn write_refused_report(path: &Path, errors: &[ImportError]) -> anyhow::Result<()> {
    let mut rows = Vec::with_capacity(errors.len());
    for e in errors {
        rows.push(vec![
            e.child.clone().unwrap_or_default(),
            e.file.clone(),
            e.table.map_or("", TableKind::name).to_owned(),
            e.row.to_string(),
            e.column.clone(),
            e.reason.clone(),
        ]);
    }
    let text = permanence_ssda903::csv::write_rows(
        &["CHILD", "file", "table", "row", "column", "reason"],
        &rows,
    );
    // Written beside and then renamed: a report is never half there.
    let partial = path.with_extension("csv.partial");
    std::fs::write(&partial, text).with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// `permanence ssda903 import`: progress and problems on standard error.
pub async fn run(engine: &Engine, args: &ImportArgs) -> anyhow::Result<()> {
    let files = read_dir(&args.dir)?;
    let recognised = files
        .iter()
        .filter(|f| {
            permanence_ssda903::csv::read(&f.text)
                .ok()
                .and_then(|r| r.first().and_then(|(_, h)| TableKind::recognise(h)))
                .is_some()
        })
        .count();
    eprintln!(
        "ssda903 import: {} files in {}, {recognised} recognised",
        files.len(),
        args.dir.display()
    );
    let started = std::time::Instant::now();
    let progress = |line: &str| {
        eprintln!(
            "ssda903 import: {line} ({:.1} s)",
            started.elapsed().as_secs_f64()
        )
    };
    let refused = if args.skip_refused_children {
        RefusedChildren::LeaveOut
    } else {
        RefusedChildren::RefuseAll
    };
    match import_files_with(engine, &args.local_authority, &files, &progress, refused).await {
        Ok(report) => {
            if args.skip_refused_children {
                write_refused_report(&args.refused_report, &report.left_out)?;
                eprintln!(
                    "ssda903 import: {} children left out ({} problems in their rows): see {}",
                    report.children_left_out(),
                    report.left_out.len(),
                    args.refused_report.display()
                );
            }
            let outcome = report.outcome;
            eprintln!(
                "ssda903 import: {} children registered, {} corrected (SEX, ETHNIC, UPN, MOTHER, MC_DOB), {} periods of care opened, {} added to, {} commands recorded ({} events), {} already recorded, in {:.1} s",
                outcome.children_registered,
                outcome.children_corrected,
                outcome.cases_opened,
                outcome.cases_changed,
                outcome.commands_recorded,
                outcome.events_recorded,
                outcome.commands_skipped,
                started.elapsed().as_secs_f64()
            );
            let notes: usize = outcome.data_quality_notes.values().sum();
            if notes > 0 {
                let by_kind: Vec<String> = outcome
                    .data_quality_notes
                    .iter()
                    .map(|(kind, n)| format!("{n} {}", kind.label()))
                    .collect();
                eprintln!(
                    "ssda903 import: {notes} data-quality notes on the cases (facts the rules of live work would have refused, recorded as the return has them): {}",
                    by_kind.join(", ")
                );
            }
            Ok(())
        }
        Err(ImportProblem::Refused(errors)) => {
            for error in &errors {
                eprintln!("  {error}");
            }
            anyhow::bail!(
                "ssda903 import: {} problems in the files; nothing was imported",
                errors.len()
            )
        }
        Err(ImportProblem::Failed(e)) => Err(e),
    }
}
