//! What happened to a case, in the past tense: the events `decide` answers with.

use super::{HealthAssessmentKind, PlanEndReason, PlanRole};
use crate::case::recorded::{DataQualityNote, ImportedHistory};
use crate::codes::{
    LegalStatus, PlacementChangeReason, PlacementProvider, PlacementType, ReasonCeased,
    ReversalReason, ReviewParticipation,
};
use crate::ids::{CaseId, ChildId};
use crate::legal::LegalStep;
use crate::panel::{PanelOutcome, PanelPurpose};
use crate::return_facts::{Adopters, PlacementDetails};
use crate::route::Route;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What happened, in the past tense. Stored forever: variants and fields may be added, never changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    CaseOpened {
        case_id: CaseId,
        child_id: ChildId,
        local_authority: String,
        child_birth_date: NaiveDate,
        entered_care_on: NaiveDate,
        legal_status: LegalStatus,
        placement: PlacementType,
        provider: Option<PlacementProvider>,
        carer: Option<String>,
        team: Option<String>,
        allocated_worker: Option<String>,
        #[serde(default)]
        details: PlacementDetails,
    },
    CaseAllocated {
        on: NaiveDate,
        team: Option<String>,
        allocated_worker: Option<String>,
    },
    EpisodeStarted {
        on: NaiveDate,
        legal_status: LegalStatus,
        placement: PlacementType,
        provider: Option<PlacementProvider>,
        carer: Option<String>,
        #[serde(default)]
        details: PlacementDetails,
        /// Recorded history (an import), not live work: see `CaseState::episodes_from_history`.
        /// Left out when false, so that live events read as they always have.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        from_history: bool,
    },
    ReviewHeld {
        on: NaiveDate,
        #[serde(default)]
        participation: Option<ReviewParticipation>,
    },
    HealthAssessmentRecorded {
        on: NaiveDate,
        kind: HealthAssessmentKind,
    },
    /// The social worker visited the child (CPPCR 2010 reg 28).
    VisitHeld {
        on: NaiveDate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seen_alone: Option<bool>,
    },
    RoutePlanStarted {
        plan_id: u32,
        route: Route,
        version: u32,
        role: PlanRole,
        on: NaiveDate,
    },
    RoutePlanPromoted {
        plan_id: u32,
        on: NaiveDate,
    },
    RoutePlanEnded {
        plan_id: u32,
        on: NaiveDate,
        reason: PlanEndReason,
    },
    RouteStepRecorded {
        plan_id: u32,
        step: String,
        on: NaiveDate,
        /// Whether this step completes the route.
        achieves_permanence: bool,
        /// Where the step goes among the plan's steps, when it is recorded history that the
        /// route had already passed (a placement order made after the match): it takes its
        /// place in the route's order and the plan stays at the step it had reached. Absent,
        /// the step is the plan's new current step.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        position: Option<u32>,
    },
    AdoptionDecisionReversed {
        plan_id: u32,
        on: NaiveDate,
        reason: ReversalReason,
    },
    /// The plan's placement broke down before permanence; the plan stays (an adoption
    /// decision stays open) and the steps named go back off the route, to be taken again.
    PlacementBrokeDown {
        plan_id: u32,
        on: NaiveDate,
        reason: PlacementChangeReason,
        /// The step the plan was at.
        stage: String,
        /// The steps taken back off the route (those the plan had taken).
        undoes: Vec<String>,
    },
    LegalStepRecorded {
        on: NaiveDate,
        step: LegalStep,
    },
    CaseClosed {
        on: NaiveDate,
        reason: ReasonCeased,
    },
    /// The panel sat on the case. A recommendation is followed in the same command by the
    /// route step it records; a deferral or a negative recommendation leaves the route as it was.
    PanelOutcomeRecorded {
        purpose: PanelPurpose,
        outcome: PanelOutcome,
        on: NaiveDate,
    },
    /// The agency decision maker (or nominated officer) decided on a panel recommendation.
    /// Agreement is followed by the decision's route step; disagreement takes the
    /// recommendation step back off the route, so that the case can go to panel again.
    AgencyDecisionRecorded {
        purpose: PanelPurpose,
        agrees: bool,
        on: NaiveDate,
    },
    /// Who the adopters are, recorded after the match decision (SSDA903 AD1).
    AdoptersRecorded {
        on: NaiveDate,
        adopters: Adopters,
    },
    /// A fact of recorded history broke a rule of live work: it was recorded, with this note.
    DataQualityNoted {
        note: DataQualityNote,
    },
    /// The period of care was brought in by an import of a return holding this.
    HistoryImported {
        on: NaiveDate,
        history: ImportedHistory,
    },
}

impl Event {
    /// The date it happened in the world.
    pub fn occurred_on(&self) -> NaiveDate {
        match self {
            Event::CaseOpened {
                entered_care_on, ..
            } => *entered_care_on,
            Event::CaseAllocated { on, .. }
            | Event::EpisodeStarted { on, .. }
            | Event::ReviewHeld { on, .. }
            | Event::HealthAssessmentRecorded { on, .. }
            | Event::VisitHeld { on, .. }
            | Event::RoutePlanStarted { on, .. }
            | Event::RoutePlanPromoted { on, .. }
            | Event::RoutePlanEnded { on, .. }
            | Event::RouteStepRecorded { on, .. }
            | Event::AdoptionDecisionReversed { on, .. }
            | Event::PlacementBrokeDown { on, .. }
            | Event::LegalStepRecorded { on, .. }
            | Event::CaseClosed { on, .. }
            | Event::PanelOutcomeRecorded { on, .. }
            | Event::AgencyDecisionRecorded { on, .. }
            | Event::AdoptersRecorded { on, .. }
            | Event::HistoryImported { on, .. } => *on,
            Event::DataQualityNoted { note } => note.on,
        }
    }

    /// The event's name as stored and shown in a timeline.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::CaseOpened { .. } => "CaseOpened",
            Event::CaseAllocated { .. } => "CaseAllocated",
            Event::EpisodeStarted { .. } => "EpisodeStarted",
            Event::ReviewHeld { .. } => "ReviewHeld",
            Event::HealthAssessmentRecorded { .. } => "HealthAssessmentRecorded",
            Event::VisitHeld { .. } => "VisitHeld",
            Event::RoutePlanStarted { .. } => "RoutePlanStarted",
            Event::RoutePlanPromoted { .. } => "RoutePlanPromoted",
            Event::RoutePlanEnded { .. } => "RoutePlanEnded",
            Event::RouteStepRecorded { .. } => "RouteStepRecorded",
            Event::AdoptionDecisionReversed { .. } => "AdoptionDecisionReversed",
            Event::PlacementBrokeDown { .. } => "PlacementBrokeDown",
            Event::LegalStepRecorded { .. } => "LegalStepRecorded",
            Event::CaseClosed { .. } => "CaseClosed",
            Event::PanelOutcomeRecorded { .. } => "PanelOutcomeRecorded",
            Event::AgencyDecisionRecorded { .. } => "AgencyDecisionRecorded",
            Event::AdoptersRecorded { .. } => "AdoptersRecorded",
            Event::DataQualityNoted { .. } => "DataQualityNoted",
            Event::HistoryImported { .. } => "HistoryImported",
        }
    }
}
