//! What a user asks of a case, in the imperative, and what `decide` needs besides the state.

use super::PlanRole;
use crate::case::recorded::ImportedHistory;
use crate::codes::{
    LegalStatus, PlacementChangeReason, PlacementProvider, PlacementType, ReasonCeased,
    ReversalReason, ReviewParticipation,
};
use crate::ids::{CaseId, ChildId};
use crate::legal::{LegalRound, LegalStep};
use crate::panel::{PanelOutcome, PanelPurpose};
use crate::return_facts::{Adopters, PlacementDetails};
use crate::route::{Route, RouteCatalog};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What `decide` needs besides the state: today's date and the route definitions.
#[derive(Clone, Copy, Debug)]
pub struct DecisionContext<'a> {
    pub today: NaiveDate,
    pub catalog: &'a RouteCatalog,
}

/// The facts needed to open a case; ids and the child's date of birth come from the engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenCase {
    pub case_id: CaseId,
    pub child_id: ChildId,
    pub local_authority: String,
    pub child_birth_date: NaiveDate,
    pub entered_care_on: NaiveDate,
    pub legal_status: LegalStatus,
    pub placement: PlacementType,
    pub provider: Option<PlacementProvider>,
    pub carer: Option<String>,
    pub team: Option<String>,
    pub allocated_worker: Option<String>,
    #[serde(default)]
    pub details: PlacementDetails,
    /// A round of the Public Law Outline under way while the child lived at home: it goes on
    /// on this case, which records its steps so far (`crate::legal_at_home`).
    #[serde(default)]
    pub legal_round_from_home: Option<Box<LegalRound>>,
}

/// What a user asks for, in the imperative.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    OpenCase(OpenCase),
    AllocateCase {
        on: NaiveDate,
        team: Option<String>,
        allocated_worker: Option<String>,
    },
    /// A change of placement, carer or legal status: fields left out carry over.
    RecordEpisode {
        on: NaiveDate,
        legal_status: Option<LegalStatus>,
        placement: Option<PlacementType>,
        provider: Option<PlacementProvider>,
        carer: Option<String>,
        /// Postcodes, URN and category of need: those left out carry over, except that a
        /// new placement or carer does not keep the old placement postcode and URN.
        details: PlacementDetails,
    },
    RecordReview {
        on: NaiveDate,
        participation: Option<ReviewParticipation>,
    },
    RecordHealthAssessment {
        on: NaiveDate,
    },
    /// A statutory visit by the social worker (CPPCR 2010 reg 28).
    RecordVisit {
        on: NaiveDate,
        seen_alone: Option<bool>,
    },
    SetRoutePlan {
        route: Route,
        role: PlanRole,
        on: NaiveDate,
    },
    EndParallelPlan {
        on: NaiveDate,
    },
    RecordRouteStep {
        route: Route,
        step: String,
        on: NaiveDate,
    },
    ReverseAdoptionDecision {
        on: NaiveDate,
        reason: ReversalReason,
    },
    /// The placement on a route plan broke down before permanence. Who recorded it is the
    /// command's actor, as for every command.
    RecordPlacementBreakdown {
        route: Route,
        on: NaiveDate,
        reason: PlacementChangeReason,
    },
    RecordLegalStep {
        on: NaiveDate,
        step: LegalStep,
    },
    CloseCase {
        on: NaiveDate,
        reason: ReasonCeased,
    },
    /// What the panel recommended; the date is the day it sat.
    RecordPanelOutcome {
        purpose: PanelPurpose,
        outcome: PanelOutcome,
        on: NaiveDate,
    },
    /// The agency decision maker's (or nominated officer's) decision on a recommendation.
    RecordAgencyDecision {
        purpose: PanelPurpose,
        agrees: bool,
        on: NaiveDate,
    },
    /// Who the adopters are: their number, sex and legal status (SSDA903 AD1).
    RecordAdopters {
        on: NaiveDate,
        adopters: Adopters,
    },
    /// An import says what its return held for the period (only an import records it).
    RecordImportedHistory {
        on: NaiveDate,
        history: ImportedHistory,
    },
}

impl Command {
    /// What kind of command this is, as the API names it: a command id sent again is the
    /// same command only with the same kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Command::OpenCase(_) => "enterCare",
            Command::AllocateCase { .. } => "allocateCase",
            Command::RecordEpisode { .. } => "recordPlacementChange",
            Command::RecordReview { .. } => "recordReview",
            Command::RecordHealthAssessment { .. } => "recordHealthAssessment",
            Command::RecordVisit { .. } => "recordVisit",
            Command::SetRoutePlan { .. } => "setRoutePlan",
            Command::EndParallelPlan { .. } => "endParallelPlan",
            Command::RecordRouteStep { .. } => "recordRouteStep",
            Command::ReverseAdoptionDecision { .. } => "reverseAdoptionDecision",
            Command::RecordPlacementBreakdown { .. } => "recordPlacementBreakdown",
            Command::RecordLegalStep { .. } => "recordLegalStep",
            Command::CloseCase { .. } => "closeCase",
            Command::RecordPanelOutcome { .. } => "recordPanelRecommendation",
            Command::RecordAgencyDecision { .. } => "recordAgencyDecision",
            Command::RecordAdopters { .. } => "recordAdopters",
            Command::RecordImportedHistory { .. } => "importHistory",
        }
    }

    /// The date the user says it happened in the world.
    pub fn occurred_on(&self) -> NaiveDate {
        match self {
            Command::OpenCase(open) => open.entered_care_on,
            Command::AllocateCase { on, .. }
            | Command::RecordEpisode { on, .. }
            | Command::RecordReview { on, .. }
            | Command::RecordHealthAssessment { on }
            | Command::RecordVisit { on, .. }
            | Command::SetRoutePlan { on, .. }
            | Command::EndParallelPlan { on }
            | Command::RecordRouteStep { on, .. }
            | Command::ReverseAdoptionDecision { on, .. }
            | Command::RecordPlacementBreakdown { on, .. }
            | Command::RecordLegalStep { on, .. }
            | Command::CloseCase { on, .. }
            | Command::RecordPanelOutcome { on, .. }
            | Command::RecordAgencyDecision { on, .. }
            | Command::RecordAdopters { on, .. }
            | Command::RecordImportedHistory { on, .. } => *on,
        }
    }
}
