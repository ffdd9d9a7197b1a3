//! Recorded history: facts that happened before the engine held the case, brought in by an
//! import of an authority's national return.
//!
//! The route rules protect new work: a social worker cannot record a match before the
//! family finding, because that would be a mistake today. A past fact that a real return
//! contains is not a mistake to prevent; it is what happened (a child matched before the
//! placement order was made, which the national A2 definition itself counts as 0 days). So
//! an import decides each fact with `decide_recorded`: the rules that say what cannot be
//! true (a date in the future, a step the route does not have, a case already closed) still
//! refuse, and the rules that only keep live work in order are relaxed into a data-quality
//! note on the case (what, where it came from, which rule it would have broken). A step
//! recorded behind the route's current step takes its place in the route's order, so the
//! case stays at the step it has really reached.

use crate::DomainError;
use crate::case::{CaseState, Command, DecisionContext, Event, decide_with};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Which rule of live work a recorded fact would have broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DataQualityKind {
    /// A step recorded when the route was not at a step it may follow (a match before the
    /// family finding or the placement order).
    StepOutOfOrder,
    /// A step whose prerequisite the route does not hold (a match decision with neither a
    /// placement order nor an adoption panel's recommendation: a consent case whose
    /// recommendation the return does not carry).
    PrerequisiteMissing,
    /// A fact dated before one recorded earlier on the case (an order made after the
    /// placement it authorised).
    DatedBeforeEarlierFact,
    /// An adoption application dated before the child had lived with the adopters for 10
    /// weeks.
    ShortResidence,
    /// The child left care by an order the route does not hold.
    LeftCareWithoutOrder,
    /// A decision that the child should be placed for adoption still stood when another plan
    /// was set or the child left care.
    AdoptionDecisionLeftOpen,
    /// A placement for adoption (A3–A6) or a placement order (legal status E1) with no
    /// standing decision that the child should be placed for adoption (the national
    /// validator's rule 551).
    AdoptionPlacementWithoutDecision,
    /// A long-term foster match confirmed while the child's placement was not a long-term
    /// foster placement (U1, U4).
    LongTermMatchWithoutPlacement,
}

impl DataQualityKind {
    pub const ALL: [DataQualityKind; 8] = [
        DataQualityKind::StepOutOfOrder,
        DataQualityKind::PrerequisiteMissing,
        DataQualityKind::DatedBeforeEarlierFact,
        DataQualityKind::ShortResidence,
        DataQualityKind::LeftCareWithoutOrder,
        DataQualityKind::AdoptionDecisionLeftOpen,
        DataQualityKind::AdoptionPlacementWithoutDecision,
        DataQualityKind::LongTermMatchWithoutPlacement,
    ];

    /// What a reader of the import's summary calls it.
    pub fn label(self) -> &'static str {
        match self {
            DataQualityKind::StepOutOfOrder => "step out of the route's order",
            DataQualityKind::PrerequisiteMissing => "step without its prerequisite",
            DataQualityKind::DatedBeforeEarlierFact => "dated before an earlier fact",
            DataQualityKind::ShortResidence => "application before 10 weeks' residence",
            DataQualityKind::LeftCareWithoutOrder => "left care without the order recorded",
            DataQualityKind::AdoptionDecisionLeftOpen => "adoption decision left open",
            DataQualityKind::AdoptionPlacementWithoutDecision => {
                "placed for adoption without the decision to place"
            }
            DataQualityKind::LongTermMatchWithoutPlacement => {
                "long-term match without a long-term foster placement"
            }
        }
    }
}

/// A fact recorded although the rules of live work would have refused it, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataQualityNote {
    /// The day of the fact.
    pub on: NaiveDate,
    pub kind: DataQualityKind,
    /// The rule, as a social worker would have been told it live.
    pub reason: String,
    /// Where the fact came from ("imported from episodes.csv row 12").
    pub source: Option<String>,
}

/// What a return holds besides episodes, for a period of care it brought in: deadlines only
/// come from facts the engine holds, so a chain the return does not carry is not known
/// until someone records its next link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedHistory {
    /// The return had a Reviews table.
    pub reviews_in_return: bool,
    /// The return dated health assessments (the national return does not).
    pub health_assessments_in_return: bool,
}

/// A rule of live work met by a fact being decided: refused when the fact is new work,
/// noted when it is recorded history.
pub(crate) struct LiveRules {
    history: Option<Option<String>>,
    notes: Vec<DataQualityNote>,
}

impl LiveRules {
    /// Rules as a social worker meets them: every one refuses.
    pub(crate) fn live() -> Self {
        Self {
            history: None,
            notes: Vec::new(),
        }
    }

    fn recorded(source: Option<&str>) -> Self {
        Self {
            history: Some(source.map(str::to_owned)),
            notes: Vec::new(),
        }
    }

    /// Whether the fact is recorded history (a step may then go behind the current one).
    pub(crate) fn is_history(&self) -> bool {
        self.history.is_some()
    }

    /// Applies one rule: its refusal stands for live work and becomes a note on history.
    pub(crate) fn check(
        &mut self,
        on: NaiveDate,
        kind: DataQualityKind,
        result: Result<(), DomainError>,
    ) -> Result<(), DomainError> {
        match (result, &self.history) {
            (Ok(()), _) => Ok(()),
            (Err(error), None) => Err(error),
            (Err(error), Some(source)) => {
                let reason = match error {
                    DomainError::Validation { reason, .. } => reason,
                    other => other.to_string(),
                };
                self.notes.push(DataQualityNote {
                    on,
                    kind,
                    reason,
                    source: source.clone(),
                });
                Ok(())
            }
        }
    }
}

/// Decides a fact of recorded history (see the module's documentation): the events to
/// record, followed by a `DataQualityNoted` for each rule of live work the fact breaks.
/// `source` says where the fact came from.
pub fn decide_recorded(
    state: Option<&CaseState>,
    command: &Command,
    ctx: &DecisionContext<'_>,
    source: Option<&str>,
) -> Result<Vec<Event>, DomainError> {
    let mut rules = LiveRules::recorded(source);
    let mut events = decide_with(state, command, ctx, &mut rules)?;
    events.extend(
        rules
            .notes
            .into_iter()
            .map(|note| Event::DataQualityNoted { note }),
    );
    Ok(events)
}
