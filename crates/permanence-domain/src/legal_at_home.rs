//! The Public Law Outline for a child who lives at home (DOMAIN.md §2).
//!
//! Most pre-proceedings, and many care proceedings, begin before the child is in care: the
//! legal gateway (legal planning) meeting decides to enter pre-proceedings for a child at
//! home, and the child may never come into care. This is the child's legal track while they
//! are not looked after, a record of its own beside the child's periods of care, kept as
//! events like a case. It holds the same rounds as a case's track (`crate::legal`). When the
//! child enters care with a round under way, the round goes on on the period of care's case:
//! the case records the round's steps taken so far, and the record here notes that it went
//! on in care. While the child is in care, legal steps are recorded on their case, not here;
//! once they are home again (the case closed), a new round can begin here.

use crate::DomainError;
use crate::case::MAX_REFERENCE_LEN;
use crate::ids::CaseId;
use crate::legal::{FinalOrder, LegalRound, LegalStep, LegalTrack};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What happened on a child's legal track at home, in the past tense. Stored forever:
/// variants and fields may be added, never changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum AtHomeEvent {
    /// A step of the legal track; the first names the team that holds the child's case.
    LegalStepRecorded {
        on: NaiveDate,
        step: LegalStep,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        team: Option<String>,
    },
    /// The child entered care with the round under way: it goes on on this case.
    ContinuedInCare { on: NaiveDate, case_id: CaseId },
}

impl AtHomeEvent {
    /// What kind of event this is, as the store names it.
    pub fn kind(&self) -> &'static str {
        match self {
            AtHomeEvent::LegalStepRecorded { .. } => "LegalStepRecorded",
            AtHomeEvent::ContinuedInCare { .. } => "ContinuedInCare",
        }
    }

    /// The date it happened in the world.
    pub fn occurred_on(&self) -> NaiveDate {
        match self {
            AtHomeEvent::LegalStepRecorded { on, .. } | AtHomeEvent::ContinuedInCare { on, .. } => {
                *on
            }
        }
    }
}

/// A child's legal track at home, as the events have built it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalAtHome {
    /// The team that holds the child's case: who may see and record it.
    pub team: Option<String>,
    pub track: LegalTrack,
}

impl LegalAtHome {
    /// The round under way at home, to go on on a period of care's case when the child
    /// enters care; `None` when none is.
    pub fn round_to_continue_in_care(&self) -> Option<LegalRound> {
        self.track
            .is_under_way()
            .then(|| self.track.current_round())
    }
}

/// A step a social worker records for a child at home.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordAtHome {
    pub on: NaiveDate,
    pub step: LegalStep,
    /// The team that holds the child's case; needed when the record begins, and a change of
    /// team otherwise.
    pub team: Option<String>,
}

/// What `decide` needs to know of the child besides their record here.
#[derive(Clone, Copy, Debug)]
pub struct ChildNow {
    pub born_on: NaiveDate,
    /// Whether the child has a period of care open today.
    pub in_care: bool,
    pub today: NaiveDate,
}

/// Checks a step against the child's record at home; answers with the event to record.
pub fn decide(
    state: Option<&LegalAtHome>,
    command: &RecordAtHome,
    child: ChildNow,
) -> Result<Vec<AtHomeEvent>, DomainError> {
    if child.in_care {
        return Err(DomainError::not_allowed(
            "the child is in care: record the legal step on their case",
        ));
    }
    if let Some(team) = &command.team
        && (team.trim().is_empty() || team.chars().count() > MAX_REFERENCE_LEN)
    {
        return Err(DomainError::validation(
            "team",
            format!("give the team's name, at most {MAX_REFERENCE_LEN} characters"),
        ));
    }
    if state.and_then(|s| s.team.as_ref()).is_none() && command.team.is_none() {
        return Err(DomainError::validation(
            "team",
            "give the team that holds the child's case: it decides who may see the record",
        ));
    }
    if let LegalStep::FinalHearingHeld {
        order: order @ (FinalOrder::CareOrder | FinalOrder::PlacementOrder),
    } = command.step
    {
        let what = match order {
            FinalOrder::PlacementOrder => "a placement order",
            _ => "a care order",
        };
        return Err(DomainError::not_allowed(format!(
            "{what} makes the child looked after: record their entry into care, then the final hearing on their case"
        )));
    }
    let empty = LegalTrack::default();
    let track = state.map_or(&empty, |s| &s.track);
    track.check(command.on, command.step, child.born_on, child.today)?;
    Ok(vec![AtHomeEvent::LegalStepRecorded {
        on: command.on,
        step: command.step,
        team: command.team.clone(),
    }])
}

/// Applies an event. Never fails: an event accepted once is replayed as it was.
pub fn evolve(state: Option<LegalAtHome>, event: &AtHomeEvent) -> LegalAtHome {
    let mut state = state.unwrap_or_default();
    match event {
        AtHomeEvent::LegalStepRecorded { on, step, team } => {
            if team.is_some() {
                state.team.clone_from(team);
            }
            state.track.apply(*on, *step);
        }
        AtHomeEvent::ContinuedInCare { on, case_id } => {
            state.track.continue_in_care(*on, *case_id);
        }
    }
    state
}

/// Rebuilds a child's record at home from its history.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a AtHomeEvent>) -> Option<LegalAtHome> {
    events
        .into_iter()
        .fold(None, |state, event| Some(evolve(state, event)))
}
