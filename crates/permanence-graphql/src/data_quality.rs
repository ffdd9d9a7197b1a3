//! What an import recorded about the quality of a case's history: the facts a return held
//! that the rules of live work would have refused (see `permanence_domain::history`).

use crate::scalars::Date;
use async_graphql::{Enum, SimpleObject};
use permanence_domain::history::{self, DataQualityKind as Kind};

/// Which rule of live work a fact of recorded history would have broken.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataQualityKind {
    /// A step recorded when the route was not at a step it may follow.
    StepOutOfOrder,
    /// A step whose prerequisite the route does not hold.
    PrerequisiteMissing,
    /// A fact dated before one recorded earlier on the case.
    DatedBeforeEarlierFact,
    /// An adoption application before 10 weeks' residence with the adopters.
    ShortResidence,
    /// The child left care by an order the route does not hold.
    LeftCareWithoutOrder,
    /// A decision to place for adoption still stood when another plan was set or the child
    /// left care.
    AdoptionDecisionLeftOpen,
    /// A placement for adoption (A3–A6) or placement order (E1) without a standing decision
    /// that the child should be placed for adoption.
    AdoptionPlacementWithoutDecision,
    /// A long-term foster match confirmed while the child was not in a long-term foster
    /// placement (U1, U4).
    LongTermMatchWithoutPlacement,
}

impl From<Kind> for DataQualityKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::StepOutOfOrder => Self::StepOutOfOrder,
            Kind::PrerequisiteMissing => Self::PrerequisiteMissing,
            Kind::DatedBeforeEarlierFact => Self::DatedBeforeEarlierFact,
            Kind::ShortResidence => Self::ShortResidence,
            Kind::LeftCareWithoutOrder => Self::LeftCareWithoutOrder,
            Kind::AdoptionDecisionLeftOpen => Self::AdoptionDecisionLeftOpen,
            Kind::AdoptionPlacementWithoutDecision => Self::AdoptionPlacementWithoutDecision,
            Kind::LongTermMatchWithoutPlacement => Self::LongTermMatchWithoutPlacement,
        }
    }
}

/// A fact of recorded history that was recorded although the rules of live work would
/// have refused it.
#[derive(SimpleObject)]
#[graphql(name = "DataQualityNote")]
pub struct DataQualityNoteNode {
    /// The day of the fact.
    on: Date,
    kind: DataQualityKind,
    /// The rule it breaks, in words.
    reason: String,
    /// Where the fact came from (a file and row of an imported return).
    source: Option<String>,
}

impl From<&history::DataQualityNote> for DataQualityNoteNode {
    fn from(note: &history::DataQualityNote) -> Self {
        Self {
            on: Date(note.on),
            kind: note.kind.into(),
            reason: note.reason.clone(),
            source: note.source.clone(),
        }
    }
}
