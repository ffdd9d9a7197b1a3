//! `permanence ssda903 import DIR`: an authority's existing return into the engine.
//!
//! The CSV files in DIR are recognised by their columns, read and checked
//! (`permanence_ssda903::import`), turned into the commands they imply, and recorded by the
//! engine in one transaction (`Engine::import`). Every problem is reported with its file,
//! table, row, column and reason, and then nothing is imported. Command ids are derived from
//! the authority, the child, the period and the fact, so that importing the same files again
//! records nothing and next month's files add only what is new. Each imported event's note
//! says which file and row it came from.

use anyhow::Context;
use clap::Args;
use permanence_domain::case::{Command, OpenCase};
use permanence_domain::{CaseId, ChildId, DomainError};
use permanence_engine::import::{
    ImportChild, ImportCommand, ImportFailure, ImportOutcome, ImportPeriod,
};
use permanence_engine::{Actor, Engine};
use permanence_ssda903::TableKind;
use permanence_ssda903::import::{
    HeldPeriod, ImportError, ImportedChild, Origin, SourceFile, continue_period, period_key,
    plan_child, read_return,
};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The actor recorded on imported events.
pub const IMPORT_ACTOR: &str = "ssda903-import";

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub database: crate::config::DatabaseArgs,
    /// The directory holding the return's CSV files (any names: tables are recognised by
    /// their columns).
    pub dir: PathBuf,
    /// The authority (ONS code) whose return it is.
    #[arg(long)]
    pub local_authority: String,
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
            };
            ImportPeriod {
                case_id,
                open: ImportCommand {
                    command_id: stable_id(&[la, reference, &period.key, "open"]),
                    command: Command::OpenCase(open),
                    note: Some(period.origin.note()),
                },
                commands: period
                    .commands
                    .iter()
                    .map(|c| ImportCommand {
                        command_id: stable_id(&[la, reference, &period.key, &c.key]),
                        command: c.command.clone(),
                        note: Some(c.origin.note()),
                    })
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

fn problem(origin: &Origin, column: &str, error: &DomainError) -> ImportError {
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

/// Reads, checks and imports `files` for authority `la`. `progress` receives lines to show.
pub async fn import_files(
    engine: &Engine,
    la: &str,
    files: &[SourceFile],
    progress: &(dyn Fn(&str) + Sync),
) -> Result<ImportOutcome, ImportProblem> {
    if !permanence_domain::case::is_local_authority_code(la) {
        return Err(ImportProblem::Failed(anyhow::anyhow!(
            "--local-authority {la}: an ONS code is E followed by 8 digits"
        )));
    }
    let data = read_return(files).map_err(ImportProblem::Refused)?;
    for (file, kind) in &data.ignored {
        progress(&format!(
            "{file}: the {kind} table is not imported (the engine keeps no such data)"
        ));
    }
    progress(&format!("read {} children", data.children.len()));
    let mut errors = Vec::new();
    let mut planned = Vec::with_capacity(data.children.len());
    for rows in &data.children {
        match plan_child(rows, la) {
            Ok(child) => planned.push(child),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        errors.sort();
        return Err(ImportProblem::Refused(errors));
    }
    let continued = continue_held_periods(engine, la, &mut planned)
        .await
        .map_err(ImportProblem::Failed)?;
    if continued > 0 {
        progress(&format!(
            "{continued} periods of care continue periods recorded from an earlier collection year's return"
        ));
    }
    let children: Vec<ImportChild> = planned.iter().map(|c| to_engine(la, c)).collect();
    match engine
        .import(&Actor(IMPORT_ACTOR.to_owned()), children, progress)
        .await
    {
        Ok(outcome) => Ok(outcome),
        Err(ImportFailure::Engine(e)) => Err(ImportProblem::Failed(e.into())),
        Err(ImportFailure::Refused(refusals)) => {
            let mut errors: Vec<ImportError> = refusals
                .iter()
                .map(|r| {
                    let child = &planned[r.child];
                    match (r.period, r.command) {
                        (None, _) => problem(&child.origin, header_column(&r.error), &r.error),
                        (Some(p), None) => problem(&child.periods[p].origin, "DECOM", &r.error),
                        (Some(p), Some(n)) => {
                            let c = &child.periods[p].commands[n];
                            problem(&c.origin, c.column, &r.error)
                        }
                    }
                })
                .collect();
            errors.sort();
            Err(ImportProblem::Refused(errors))
        }
    }
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
    match import_files(engine, &args.local_authority, &files, &progress).await {
        Ok(outcome) => {
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
