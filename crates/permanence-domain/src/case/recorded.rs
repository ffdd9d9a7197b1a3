//! What recorded history brings to a case: the notes of facts that the rules of live work
//! would have refused, what an import's return held, and the rules themselves as the decider
//! meets them (refusing new work, noting recorded history). Deciding a fact of recorded
//! history is `crate::history::decide_recorded`.

use crate::DomainError;
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

    /// Rules as recorded history meets them: each refusal becomes a note. `source` says
    /// where the fact came from.
    pub(crate) fn recorded(source: Option<&str>) -> Self {
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

    /// The notes of the rules the facts decided broke, oldest first.
    pub(crate) fn into_notes(self) -> Vec<DataQualityNote> {
        self.notes
    }
}
