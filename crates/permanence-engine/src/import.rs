//! Importing histories recorded elsewhere (an authority's national return): every command
//! is decided by the domain as recorded history (`decide_recorded`: what cannot be true is
//! refused, and a fact that only breaks a rule of live work is recorded with a data-quality
//! note), then the whole import is written in one transaction.
//!
//! All or nothing: the commands of every child are decided first, on the state each case
//! has in the store (or none); a refusal anywhere answers with every refusal and writes
//! nothing. A command whose id was processed before is skipped, so that importing the same
//! facts twice records them once and a later import adds only what is new.

use crate::{Actor, Engine, EngineError};
use permanence_domain::case::{DecisionContext, OpenCase};
use permanence_domain::child::NewChild;
use permanence_domain::history::{DataQualityKind, decide_recorded};
use permanence_domain::{
    CaseId, CaseState, ChildId, Command, DomainError, Event, derive_deadlines, evolve,
};
use permanence_store::{
    CaseRecord, ChildRecord, ImportedCaseWrite, ImportedChildCorrection, ImportedChildWrite,
    NewEvent,
};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// A command to import: its id, and the note its events carry (where it came from, when
/// that is worth telling a reader of the timeline).
#[derive(Clone, Debug)]
pub struct ImportCommand {
    pub command_id: Uuid,
    pub command: Command,
    pub note: Option<String>,
}

/// A period of care to import. `open` is the opening, whose case and child ids the engine
/// fills in.
#[derive(Clone, Debug)]
pub struct ImportPeriod {
    pub case_id: CaseId,
    pub open: ImportCommand,
    pub commands: Vec<ImportCommand>,
}

#[derive(Clone, Debug)]
pub struct ImportChild {
    pub command_id: Uuid,
    /// Used for a child not registered yet.
    pub child_id: ChildId,
    pub child: NewChild,
    pub periods: Vec<ImportPeriod>,
}

/// Where a refusal happened: the child, the period and the command (`None` for the child's
/// registration, or for the period's opening).
#[derive(Clone, Debug, PartialEq)]
pub struct ImportRefusal {
    pub child: usize,
    pub period: Option<usize>,
    pub command: Option<usize>,
    pub error: DomainError,
}

#[derive(Debug)]
pub enum ImportFailure {
    /// The domain refused these commands: nothing was written.
    Refused(Vec<ImportRefusal>),
    Engine(EngineError),
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub children_registered: usize,
    /// Children already held whose sex, ethnicity or return facts the files correct.
    pub children_corrected: usize,
    pub cases_opened: usize,
    pub cases_changed: usize,
    pub commands_recorded: usize,
    pub events_recorded: usize,
    /// Commands already processed by an earlier import.
    pub commands_skipped: usize,
    /// Facts recorded although the rules of live work would have refused them, by kind.
    pub data_quality_notes: BTreeMap<DataQualityKind, usize>,
}

/// A case as the dry run leaves it, with what it adds.
struct Decided {
    write: ImportedCaseWrite,
    opened: bool,
}

impl Engine {
    /// Decides and writes an import (see the module's documentation). `progress` is told
    /// what stage the import is at, for a long one.
    pub async fn import(
        &self,
        actor: &Actor,
        children: Vec<ImportChild>,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<ImportOutcome, ImportFailure> {
        let store = self.store();
        let failed = |e| ImportFailure::Engine(EngineError::from_store(e));
        let today = self.today();
        let now = self.now();
        let mut refusals = Vec::new();
        for (i, c) in children.iter().enumerate() {
            if let Err(error) = c.child.validate(today) {
                refusals.push(ImportRefusal {
                    child: i,
                    period: None,
                    command: None,
                    error,
                });
            }
        }
        let mut known: HashMap<String, ChildRecord> = HashMap::new();
        let mut by_authority: HashMap<&str, Vec<String>> = HashMap::new();
        for c in &children {
            by_authority
                .entry(c.child.local_authority.as_str())
                .or_default()
                .push(c.child.reference.clone());
        }
        for (authority, references) in by_authority {
            let found = store
                .children_by_references(authority, &references)
                .await
                .map_err(failed)?;
            known.extend(
                found
                    .into_iter()
                    .map(|(reference, record)| (format!("{authority}/{reference}"), record)),
            );
        }
        progress(&format!(
            "{} children in the files, {} already known",
            children.len(),
            known.len()
        ));
        let case_ids: Vec<CaseId> = children
            .iter()
            .flat_map(|c| c.periods.iter().map(|p| p.case_id))
            .collect();
        // Which periods are held is asked by id alone: a return imported again, as next
        // month's mostly is, then reads no state at all.
        let held_ids = store.held_case_ids(&case_ids).await.map_err(failed)?;
        // Only commands of cases that exist can have been processed before.
        let maybe_done: Vec<Uuid> = children
            .iter()
            .flat_map(|c| &c.periods)
            .filter(|p| held_ids.contains(&p.case_id))
            .flat_map(|p| std::iter::once(&p.open).chain(&p.commands))
            .map(|c| c.command_id)
            .collect();
        let done = store
            .processed_command_ids(&maybe_done)
            .await
            .map_err(failed)?;
        // The held cases that the files add to: their state is what the new commands are
        // decided on.
        let added_to: Vec<CaseId> = children
            .iter()
            .flat_map(|c| &c.periods)
            .filter(|p| {
                held_ids.contains(&p.case_id)
                    && p.commands.iter().any(|c| !done.contains(&c.command_id))
            })
            .map(|p| p.case_id)
            .collect();
        let existing = store.cases_by_ids(&added_to).await.map_err(failed)?;
        progress(&format!(
            "{} of the {} periods of care are held already ({} of them added to), and {} of \
             their {} commands",
            held_ids.len(),
            case_ids.len(),
            existing.len(),
            done.len(),
            maybe_done.len()
        ));
        // The periods of care the engine already holds for children with a period that is
        // not held: it must not overlap them (an earlier collection year's return, loaded
        // after a later one, describes the same period from an earlier first episode; a
        // later year's is made a continuation before it gets here).
        let with_new_periods: Vec<ChildId> = children
            .iter()
            .filter(|c| c.periods.iter().any(|p| !held_ids.contains(&p.case_id)))
            .filter_map(|c| {
                let key = format!("{}/{}", c.child.local_authority, c.child.reference);
                known.get(&key).map(|record| record.id)
            })
            .collect();
        let held = store
            .cases_of_children(&with_new_periods)
            .await
            .map_err(failed)?;
        let ctx = DecisionContext {
            today,
            catalog: self.catalog(),
        };
        let mut new_children = Vec::new();
        let mut corrected_children = Vec::new();
        let mut decided: Vec<Decided> = Vec::new();
        let mut outcome = ImportOutcome::default();
        for (i, c) in children.iter().enumerate() {
            let key = format!("{}/{}", c.child.local_authority, c.child.reference);
            let child_id = match known.get(&key) {
                Some(held) => {
                    match correction(held, &c.child) {
                        Ok(Some(corrected)) => corrected_children.push(corrected),
                        Ok(None) => {}
                        Err(error) => refusals.push(ImportRefusal {
                            child: i,
                            period: None,
                            command: None,
                            error,
                        }),
                    }
                    held.id
                }
                None => {
                    new_children.push(ImportedChildWrite {
                        id: c.child_id,
                        command_id: c.command_id,
                        child: c.child.clone(),
                    });
                    c.child_id
                }
            };
            for (p, period) in c.periods.iter().enumerate() {
                let is_held = held_ids.contains(&period.case_id);
                let before = existing.get(&period.case_id);
                if is_held && before.is_none() {
                    // Held, and every command of it recorded before.
                    outcome.commands_skipped += 1 + period.commands.len();
                    continue;
                }
                let mut state: Option<CaseState> = before.map(|r| CaseState::clone(&r.state));
                let mut commands = Vec::new();
                let mut refused = |command: Option<usize>, error: DomainError| {
                    refusals.push(ImportRefusal {
                        child: i,
                        period: Some(p),
                        command,
                        error,
                    });
                };
                let opening = match &period.open.command {
                    Command::OpenCase(open) => Command::OpenCase(OpenCase {
                        case_id: period.case_id,
                        child_id,
                        ..open.clone()
                    }),
                    other => other.clone(),
                };
                if !is_held
                    && let Command::OpenCase(open) = &opening
                    && overlaps_a_held_period(held.get(&child_id), open)
                {
                    refused(
                        None,
                        DomainError::validation(
                            "DECOM",
                            "the child already has a period of care in the engine that this one \
                             overlaps without continuing it; load an authority's returns oldest \
                             collection year first",
                        ),
                    );
                    continue;
                }
                let all = std::iter::once((None, &period.open, &opening)).chain(
                    period
                        .commands
                        .iter()
                        .enumerate()
                        .map(|(n, c)| (Some(n), c, &c.command)),
                );
                for (n, planned, command) in all {
                    if done.contains(&planned.command_id) || (n.is_none() && before.is_some()) {
                        outcome.commands_skipped += 1;
                        continue;
                    }
                    match decide_recorded(state.as_ref(), command, &ctx, planned.note.as_deref()) {
                        Ok(events) => {
                            state = events.iter().fold(state, evolve);
                            commands.push((
                                planned.command_id,
                                events
                                    .into_iter()
                                    .map(|event| NewEvent {
                                        id: Uuid::now_v7(),
                                        event,
                                        actor: actor.0.clone(),
                                        recorded_at: now,
                                        note: planned.note.clone(),
                                    })
                                    .collect::<Vec<_>>(),
                            ));
                        }
                        Err(error) => {
                            refused(n, error);
                            break;
                        }
                    }
                }
                let Some(state) = state else { continue };
                if commands.is_empty() {
                    continue;
                }
                let deadlines = derive_deadlines(&state, ctx.catalog, self.timescales());
                decided.push(Decided {
                    opened: before.is_none(),
                    write: ImportedCaseWrite {
                        state,
                        previous_version: before.map_or(0, |r| r.version),
                        commands,
                        deadlines,
                    },
                });
            }
        }
        if !refusals.is_empty() {
            return Err(ImportFailure::Refused(refusals));
        }
        outcome.children_registered = new_children.len();
        outcome.children_corrected = corrected_children.len();
        for d in &decided {
            if d.opened {
                outcome.cases_opened += 1;
            } else {
                outcome.cases_changed += 1;
            }
            outcome.commands_recorded += d.write.commands.len();
            for (_, events) in &d.write.commands {
                for new in events {
                    if let Event::DataQualityNoted { note } = &new.event {
                        *outcome.data_quality_notes.entry(note.kind).or_default() += 1;
                    }
                }
            }
            outcome.events_recorded += d.write.commands.iter().map(|(_, e)| e.len()).sum::<usize>();
        }
        progress(&format!(
            "decided: {} commands to record ({} events) for {} cases; writing",
            outcome.commands_recorded,
            outcome.events_recorded,
            decided.len()
        ));
        let writes: Vec<ImportedCaseWrite> = decided.into_iter().map(|d| d.write).collect();
        let total = writes.len();
        let report = |written: usize| progress(&format!("written {written}/{total} cases"));
        store
            .write_import(&new_children, &corrected_children, &writes, now, &report)
            .await
            .map_err(failed)?;
        Ok(outcome)
    }
}

/// What the files correct of a child already held: their sex, ethnicity and return facts
/// (an authority's later return is the record of those). The date of birth is not corrected
/// here: the periods of care held are dated from it (ages at entry, at decisions, at
/// adoption), so a different one is refused rather than left disagreeing with them.
fn correction(
    held: &ChildRecord,
    child: &NewChild,
) -> Result<Option<ImportedChildCorrection>, DomainError> {
    if held.birth_date != child.birth_date {
        return Err(DomainError::validation(
            "birthDate",
            "differs from the date of birth held for this child, from which the periods of \
             care held are dated; an import does not change it",
        ));
    }
    if held.sex == child.sex && held.ethnicity == child.ethnicity && held.facts == child.facts {
        return Ok(None);
    }
    Ok(Some(ImportedChildCorrection {
        id: held.id,
        sex: child.sex,
        ethnicity: child.ethnicity.clone(),
        facts: child.facts.clone(),
    }))
}

/// Whether a period opening as `open` collides with one the engine already holds for the
/// child: one still open (a child is in care once at a time), or one that was running on the
/// day this one starts.
fn overlaps_a_held_period(held: Option<&Vec<CaseRecord>>, open: &OpenCase) -> bool {
    held.into_iter().flatten().any(|case| {
        let state = &case.state;
        case.id != open.case_id
            && (state.closed.is_none()
                || (state.entered_care_on <= open.entered_care_on
                    && state
                        .closed
                        .as_ref()
                        .is_some_and(|closed| closed.on > open.entered_care_on)))
    })
}
