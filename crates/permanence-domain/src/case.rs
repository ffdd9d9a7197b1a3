//! A case: one period of care of one child, as a decider.
//!
//! `decide` checks a command against the case's state and the rules, and answers with the
//! events that record what happened, or with a refusal a social worker can act on.
//! `evolve` applies an event to the state and never fails: history that was accepted once
//! is never rejected on replay, even after a rule changes. `replay` folds `evolve`.

use crate::DomainError;
use crate::codes::{
    LegalStatus, PlacementChangeReason, PlacementProvider, PlacementType, ReasonCeased,
    ReversalReason, ReviewParticipation,
};
use crate::history::{DataQualityKind, DataQualityNote, ImportedHistory, LiveRules};
use crate::ids::{CaseId, ChildId};
pub use crate::legal::{
    FinalOrder, LegalRound, LegalStep, LegalTrack, PreProceedings, PreProceedingsOutcome,
    Proceedings,
};
use crate::panel::{PanelOutcome, PanelOutcomeEntry, PanelPurpose};
use crate::return_facts::{Adopters, PlacementDetails};
use crate::route::{
    CAO_GRANTED, PLACEMENT_ORDER, PLAN_ENDORSED, Route, RouteCatalog, RouteDefinition, SGO_GRANTED,
    steps,
};
use crate::timescales::ADOPTION_APPLICATION_RESIDENCE;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Maximum length of free-text references (team, worker, carer) kept on a case.
pub const MAX_REFERENCE_LEN: usize = 100;

/// What `decide` needs besides the state: today's date and the route definitions.
#[derive(Clone, Copy, Debug)]
pub struct DecisionContext<'a> {
    pub today: NaiveDate,
    pub catalog: &'a RouteCatalog,
}

/// Whether a route plan is the case's plan for permanence or runs beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlanRole {
    Primary,
    /// Twin-track or concurrent planning.
    Parallel,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlanEndReason {
    /// The plan for permanence moved to another route.
    RouteChanged,
    /// A parallel plan was stopped.
    ParallelEnded,
    /// The decision that the child should be placed for adoption was reversed.
    DecisionReversed,
    /// The period of care ended.
    CaseClosed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HealthAssessmentKind {
    Initial,
    Review,
}

/// A placement and legal status in force from a date (an SSDA903 episode).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Episode {
    pub starts_on: NaiveDate,
    pub legal_status: LegalStatus,
    pub placement: PlacementType,
    pub provider: Option<PlacementProvider>,
    /// The carer's reference (not a name), so that a move between carers can be told from a
    /// change of placement type with the same carer (A10, SSDA903 RNE).
    pub carer: Option<String>,
    /// Postcodes, URN, category of need (the national return's other episode columns).
    #[serde(default)]
    pub details: PlacementDetails,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakenStep {
    pub step: String,
    pub on: NaiveDate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanEnd {
    pub on: NaiveDate,
    pub reason: PlanEndReason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reversal {
    pub on: NaiveDate,
    pub reason: ReversalReason,
}

/// A placement on a plan that broke down before permanence (a disruption).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breakdown {
    pub on: NaiveDate,
    /// Why the placement ended (SSDA903 REASON_PLACE_CHANGE).
    pub reason: PlacementChangeReason,
    /// The step the plan had reached when it broke down (`placed_for_adoption`).
    pub stage: String,
    /// The steps the breakdown took back off the route, as they were taken.
    pub undone: Vec<TakenStep>,
}

/// One route plan of a case, at the version of the route it started on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutePlan {
    /// 1-based, in the order plans were started on the case.
    pub id: u32,
    pub route: Route,
    pub version: u32,
    pub role: PlanRole,
    pub started_on: NaiveDate,
    pub steps: Vec<TakenStep>,
    pub ended: Option<PlanEnd>,
    pub reversal: Option<Reversal>,
    /// Reached the route's final step.
    pub achieved: bool,
    /// Placements on the plan that broke down, oldest first. Defaulted so that plans
    /// stored before breakdowns were recorded still read.
    #[serde(default)]
    pub breakdowns: Vec<Breakdown>,
}

impl RoutePlan {
    pub fn is_active(&self) -> bool {
        self.ended.is_none()
    }

    pub fn current_step(&self) -> &str {
        self.steps.last().map_or(PLAN_ENDORSED, |s| s.step.as_str())
    }

    pub fn taken(&self, step: &str) -> Option<NaiveDate> {
        self.steps.iter().find(|s| s.step == step).map(|s| s.on)
    }

    fn last_date(&self) -> NaiveDate {
        self.current_step_on()
    }

    /// The date the plan reached its current step (the plan's start before any step), or
    /// the latest breakdown when later: the route starts afresh from it.
    pub fn current_step_on(&self) -> NaiveDate {
        let step = self.steps.last().map_or(self.started_on, |s| s.on);
        self.last_breakdown_on().map_or(step, |b| b.max(step))
    }

    /// The day of the plan's latest placement breakdown.
    pub fn last_breakdown_on(&self) -> Option<NaiveDate> {
        self.breakdowns.last().map(|b| b.on)
    }

    /// An adoption plan whose SHOBPA decision stands: not reversed, not yet an adoption order.
    pub fn has_open_adoption_decision(&self) -> bool {
        self.route == Route::Adoption
            && self.is_active()
            && self.taken(steps::SHOBPA_DECISION).is_some()
            && self.taken(steps::ADOPTION_ORDER).is_none()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub on: NaiveDate,
    pub reason: ReasonCeased,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthAssessment {
    pub on: NaiveDate,
    pub kind: HealthAssessmentKind,
}

/// A statutory visit by the child's social worker (CPPCR 2010 reg 28).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    pub on: NaiveDate,
    /// Whether the worker saw the child alone, when recorded: reg 28 asks the worker to see
    /// the child alone unless the child, being of sufficient understanding, refuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_alone: Option<bool>,
}

/// Everything known about one period of care, as the events have built it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseState {
    pub id: CaseId,
    pub child_id: ChildId,
    pub local_authority: String,
    pub child_birth_date: NaiveDate,
    pub entered_care_on: NaiveDate,
    pub team: Option<String>,
    pub allocated_worker: Option<String>,
    pub episodes: Vec<Episode>,
    pub reviews: Vec<NaiveDate>,
    pub health_assessments: Vec<HealthAssessment>,
    pub plans: Vec<RoutePlan>,
    pub legal: LegalTrack,
    pub closed: Option<Closure>,
    /// Panel outcomes and the agency decisions on them, in the order they were recorded.
    /// Defaulted so that states stored before the panel existed still read.
    #[serde(default)]
    pub panel: Vec<PanelOutcomeEntry>,
    /// How the child took part in each review (SSDA903 REVIEW_CODE), by the review's date.
    /// Defaulted so that states stored before it was recorded still read.
    #[serde(default)]
    pub review_participation: BTreeMap<NaiveDate, ReviewParticipation>,
    /// Who adopts the child, once the match is decided (SSDA903 AD1).
    #[serde(default)]
    pub adopters: Option<Adopters>,
    /// Facts of recorded history that the rules of live work would have refused.
    #[serde(default)]
    pub data_quality: Vec<DataQualityNote>,
    /// What the return that brought this period in held, when an import did.
    #[serde(default)]
    pub imported: Option<ImportedHistory>,
    /// The social worker's statutory visits, oldest first. Defaulted so that states stored
    /// before visits were recorded still read.
    #[serde(default)]
    pub visits: Vec<Visit>,
    /// How many of the first episodes came from recorded history (an import) rather than
    /// live work: a placement that began in them has no visits the engine holds, so when its
    /// next visit is due is not known until a worker records one (`crate::visits`).
    #[serde(default)]
    pub episodes_from_history: usize,
}

impl CaseState {
    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }

    pub fn primary_plan(&self) -> Option<&RoutePlan> {
        self.plans
            .iter()
            .find(|p| p.is_active() && p.role == PlanRole::Primary)
    }

    pub fn parallel_plan(&self) -> Option<&RoutePlan> {
        self.plans
            .iter()
            .find(|p| p.is_active() && p.role == PlanRole::Parallel)
    }

    pub fn active_plan(&self, route: Route) -> Option<&RoutePlan> {
        self.plans
            .iter()
            .find(|p| p.is_active() && p.route == route)
    }

    /// The date the plan for permanence was first recorded.
    pub fn permanence_plan_on(&self) -> Option<NaiveDate> {
        self.plans
            .iter()
            .filter(|p| p.role == PlanRole::Primary)
            .map(|p| p.started_on)
            .min()
    }

    /// The earliest date a fact of this period can have. A period imported part-way (its
    /// first episode followed others, in returns not imported) began on a day not known:
    /// its earlier facts (a decision to place for adoption in an earlier year) may be dated
    /// before its first known episode.
    pub fn care_known_from(&self) -> NaiveDate {
        if self.began_before_its_history() {
            self.child_birth_date
        } else {
            self.entered_care_on
        }
    }

    /// Whether the period began before the first episode the engine holds: an import of a
    /// return that begins part-way through it (its first episode followed others). Its real
    /// start is not known, so neither is anything measured from it.
    pub fn began_before_its_history(&self) -> bool {
        self.episodes
            .first()
            .is_some_and(|e| e.details.reason_new_episode.is_some())
    }

    /// Whether the reviews the engine holds are every review of the period from its start,
    /// so that the first one held is the period's first. A live case's are. An imported
    /// period's are only when its return had a Reviews table and the period began inside the
    /// return's history: a period imported part-way had reviews before the return, and
    /// without the table no review before the import is held, so a later review recorded
    /// by a worker is not known to be the first either.
    pub fn holds_reviews_from_start(&self) -> bool {
        !self.began_before_its_history()
            && self
                .imported
                .is_none_or(|history| history.reviews_in_return)
    }

    /// Whether the health assessments the engine holds are every one of the period from
    /// its start, as [`CaseState::holds_reviews_from_start`] for reviews. The national
    /// return dates no health assessments, so an imported period's never are.
    pub fn holds_health_assessments_from_start(&self) -> bool {
        !self.began_before_its_history()
            && self
                .imported
                .is_none_or(|history| history.health_assessments_in_return)
    }

    pub fn current_episode(&self) -> Option<&Episode> {
        self.episodes.last()
    }

    fn plan_mut(&mut self, id: u32) -> Option<&mut RoutePlan> {
        self.plans.iter_mut().find(|p| p.id == id)
    }

    /// The latest panel outcome for a purpose on a plan: outcomes recorded before the plan
    /// started belong to an earlier plan on the same route.
    pub fn latest_panel_outcome(
        &self,
        plan: &RoutePlan,
        purpose: PanelPurpose,
    ) -> Option<&PanelOutcomeEntry> {
        if purpose.route() != plan.route {
            return None;
        }
        self.panel
            .iter()
            .rev()
            .find(|entry| entry.purpose == purpose && entry.on >= plan.started_on)
    }
}

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

type Decision = Result<Vec<Event>, DomainError>;

/// Checks a command against the case and the rules; answers with the events to record.
pub fn decide(state: Option<&CaseState>, command: &Command, ctx: &DecisionContext<'_>) -> Decision {
    decide_with(state, command, ctx, &mut LiveRules::live())
}

/// `decide`, with the rules of live work applied as `rules` says: refusing (new work) or
/// noting (recorded history, `crate::history::decide_recorded`).
pub(crate) fn decide_with(
    state: Option<&CaseState>,
    command: &Command,
    ctx: &DecisionContext<'_>,
    rules: &mut LiveRules,
) -> Decision {
    let Some(case) = state else {
        return match command {
            Command::OpenCase(open) => decide_open(open, ctx, rules),
            _ => Err(DomainError::not_allowed("the case has not been opened")),
        };
    };
    if let Command::OpenCase(_) = command {
        return Err(DomainError::not_allowed("the case is already open"));
    }
    if case.closed.is_some() {
        return Err(DomainError::not_allowed(
            "the case is closed: the child has left care",
        ));
    }
    match command {
        Command::OpenCase(_) => Err(DomainError::not_allowed("the case is already open")),
        Command::AllocateCase {
            on,
            team,
            allocated_worker,
        } => {
            check_date(case, *on, ctx, "occurredOn")?;
            check_reference(team.as_deref(), "team")?;
            check_reference(allocated_worker.as_deref(), "allocatedWorker")?;
            Ok(vec![Event::CaseAllocated {
                on: *on,
                team: team.clone(),
                allocated_worker: allocated_worker.clone(),
            }])
        }
        Command::RecordEpisode {
            on,
            legal_status,
            placement,
            provider,
            carer,
            details,
        } => decide_episode(
            case,
            EpisodeChange {
                on: *on,
                legal_status: *legal_status,
                placement: *placement,
                provider: *provider,
                carer,
                details,
            },
            ctx,
            rules,
        ),
        Command::RecordReview { on, participation } => {
            check_date(case, *on, ctx, "occurredOn")?;
            if case.reviews.last().is_some_and(|last| on <= last) {
                return Err(DomainError::validation(
                    "occurredOn",
                    "a review must be dated after the previous review",
                ));
            }
            Ok(vec![Event::ReviewHeld {
                on: *on,
                participation: *participation,
            }])
        }
        Command::RecordHealthAssessment { on } => {
            check_date(case, *on, ctx, "occurredOn")?;
            if case
                .health_assessments
                .last()
                .is_some_and(|last| *on <= last.on)
            {
                return Err(DomainError::validation(
                    "occurredOn",
                    "a health assessment must be dated after the previous one",
                ));
            }
            let kind = if case.health_assessments.is_empty() {
                HealthAssessmentKind::Initial
            } else {
                HealthAssessmentKind::Review
            };
            Ok(vec![Event::HealthAssessmentRecorded { on: *on, kind }])
        }
        Command::RecordVisit { on, seen_alone } => {
            check_date(case, *on, ctx, "occurredOn")?;
            // A visit belongs to the placement the child is in that day: the chain of visits
            // restarts with each placement (CPPCR 2010 reg 28), so one dated before the
            // current placement began would belong to a placement whose chain has closed.
            if let Some(began) = crate::visits::current_placement(case).map(|p| p.began_on) {
                check_not_before(*on, began, "occurredOn", "the current placement began")?;
            }
            if case.visits.last().is_some_and(|last| *on <= last.on) {
                return Err(DomainError::validation(
                    "occurredOn",
                    "a visit must be dated after the previous visit",
                ));
            }
            Ok(vec![Event::VisitHeld {
                on: *on,
                seen_alone: *seen_alone,
            }])
        }
        Command::SetRoutePlan { route, role, on } => {
            decide_set_plan(case, *route, *role, *on, ctx, rules)
        }
        Command::EndParallelPlan { on } => {
            check_date(case, *on, ctx, "occurredOn")?;
            let plan = case
                .parallel_plan()
                .ok_or_else(|| DomainError::not_allowed("the case has no parallel plan"))?;
            check_not_before(
                *on,
                plan.last_date(),
                "occurredOn",
                "the plan's latest step",
            )?;
            if plan.has_open_adoption_decision() {
                return Err(open_adoption_decision());
            }
            Ok(vec![Event::RoutePlanEnded {
                plan_id: plan.id,
                on: *on,
                reason: PlanEndReason::ParallelEnded,
            }])
        }
        Command::RecordRouteStep { route, step, on } => {
            decide_step(case, *route, step, *on, ctx, rules)
        }
        Command::ReverseAdoptionDecision { on, reason } => {
            check_date(case, *on, ctx, "occurredOn")?;
            let plan = case
                .plans
                .iter()
                .find(|p| p.route == Route::Adoption && p.is_active())
                .ok_or_else(|| DomainError::not_allowed("the case has no adoption plan"))?;
            if plan.taken(steps::ADOPTION_ORDER).is_some() {
                return Err(DomainError::not_allowed(
                    "an adoption order has been made: the decision can no longer be reversed",
                ));
            }
            let decided_on = plan.taken(steps::SHOBPA_DECISION).ok_or_else(|| {
                DomainError::not_allowed(
                    "there is no decision that the child should be placed for adoption to reverse",
                )
            })?;
            check_not_before(*on, decided_on, "occurredOn", "the decision it reverses")?;
            rules.check(
                *on,
                DataQualityKind::DatedBeforeEarlierFact,
                check_not_before(
                    *on,
                    plan.last_date(),
                    "occurredOn",
                    "the adoption plan's latest step",
                ),
            )?;
            Ok(vec![
                Event::AdoptionDecisionReversed {
                    plan_id: plan.id,
                    on: *on,
                    reason: *reason,
                },
                Event::RoutePlanEnded {
                    plan_id: plan.id,
                    on: *on,
                    reason: PlanEndReason::DecisionReversed,
                },
            ])
        }
        Command::RecordPlacementBreakdown { route, on, reason } => {
            decide_breakdown(case, *route, *on, *reason, ctx, rules)
        }
        Command::RecordLegalStep { on, step } => decide_legal(case, *on, *step, ctx, rules),
        Command::CloseCase { on, reason } => decide_close(case, *on, *reason, ctx, rules),
        Command::RecordPanelOutcome {
            purpose,
            outcome,
            on,
        } => decide_panel_outcome(case, *purpose, outcome, *on, ctx),
        Command::RecordAgencyDecision {
            purpose,
            agrees,
            on,
        } => decide_agency_decision(case, *purpose, *agrees, *on, ctx),
        Command::RecordAdopters { on, adopters } => {
            check_date(case, *on, ctx, "occurredOn")?;
            adopters.validate()?;
            let plan = case
                .active_plan(Route::Adoption)
                .ok_or_else(|| DomainError::not_allowed("the case has no adoption plan"))?;
            let matched = plan.taken(steps::MATCH_DECISION).ok_or_else(|| {
                DomainError::not_allowed("the adopters are recorded once the match is decided")
            })?;
            check_not_before(*on, matched, "occurredOn", "the match decision")?;
            Ok(vec![Event::AdoptersRecorded {
                on: *on,
                adopters: *adopters,
            }])
        }
        Command::RecordImportedHistory { on, history } => {
            if !rules.is_history() {
                return Err(DomainError::not_allowed(
                    "only an import records what its return held",
                ));
            }
            if case.imported.is_some() {
                return Err(DomainError::not_allowed(
                    "the period's imported history is recorded already",
                ));
            }
            Ok(vec![Event::HistoryImported {
                on: *on,
                history: *history,
            }])
        }
    }
}

fn plan_for_panel(case: &CaseState, purpose: PanelPurpose) -> Result<&RoutePlan, DomainError> {
    let route = purpose.route();
    case.active_plan(route).ok_or_else(|| {
        DomainError::not_allowed(format!(
            "the case has no {} plan: a panel for the {} needs that route plan first",
            route.label(),
            purpose.label()
        ))
    })
}

fn decide_panel_outcome(
    case: &CaseState,
    purpose: PanelPurpose,
    outcome: &PanelOutcome,
    on: NaiveDate,
    ctx: &DecisionContext<'_>,
) -> Decision {
    let plan = plan_for_panel(case, purpose)?;
    outcome.validate(on)?;
    // The recommendation step must be one the route allows now, whatever the panel said:
    // a deferral or a negative recommendation is still a panel sitting at that point.
    let step_events = decide_step(
        case,
        purpose.route(),
        purpose.recommendation_step(),
        on,
        ctx,
        &mut LiveRules::live(),
    )?;
    if let Some(previous) = case.latest_panel_outcome(plan, purpose) {
        check_not_before(on, previous.on, "occurredOn", "the previous panel outcome")?;
    }
    let mut events = vec![Event::PanelOutcomeRecorded {
        purpose,
        outcome: outcome.clone(),
        on,
    }];
    if *outcome == PanelOutcome::Recommended {
        events.extend(step_events);
    }
    Ok(events)
}

fn decide_agency_decision(
    case: &CaseState,
    purpose: PanelPurpose,
    agrees: bool,
    on: NaiveDate,
    ctx: &DecisionContext<'_>,
) -> Decision {
    check_date(case, on, ctx, "occurredOn")?;
    let plan = plan_for_panel(case, purpose)?;
    let def = definition_of(plan, ctx)?;
    let recommendation = purpose.recommendation_step();
    let decision = purpose.decision_step();
    // Some decisions may also follow an earlier step without panel (a SHOBPA decision in a
    // non-consent case); a decision on a recommendation needs the recommendation itself.
    if plan.current_step() != recommendation {
        return Err(DomainError::not_allowed(format!(
            "the {} needs the {} first; the case is at: {}",
            def.label_of(decision),
            def.label_of(recommendation),
            def.label_of(plan.current_step())
        )));
    }
    let recorded = Event::AgencyDecisionRecorded {
        purpose,
        agrees,
        on,
    };
    if agrees {
        let mut events = vec![recorded];
        events.extend(decide_step(
            case,
            purpose.route(),
            decision,
            on,
            ctx,
            &mut LiveRules::live(),
        )?);
        Ok(events)
    } else {
        check_not_before(
            on,
            plan.last_date(),
            "occurredOn",
            "the panel recommendation",
        )?;
        Ok(vec![recorded])
    }
}

fn decide_open(open: &OpenCase, ctx: &DecisionContext<'_>, rules: &mut LiveRules) -> Decision {
    if !is_local_authority_code(&open.local_authority) {
        return Err(DomainError::validation(
            "localAuthority",
            "must be an ONS code for an English authority: E followed by 8 digits",
        ));
    }
    if open.entered_care_on > ctx.today {
        return Err(DomainError::validation(
            "enteredCareOn",
            "cannot be in the future",
        ));
    }
    if open.entered_care_on < open.child_birth_date {
        return Err(DomainError::validation(
            "enteredCareOn",
            "cannot be before the child's date of birth",
        ));
    }
    check_reference(open.team.as_deref(), "team")?;
    check_reference(open.allocated_worker.as_deref(), "allocatedWorker")?;
    check_reference(open.carer.as_deref(), "carer")?;
    check_provider(open.placement, open.provider)?;
    let details = open.details.normalised()?;
    if details.reason_new_episode == Some(crate::codes::ReasonNewEpisode::S) {
        return Err(DomainError::validation(
            "reasonNewEpisode",
            "is given only for a period whose first episode followed earlier ones (not S)",
        ));
    }
    if details.previous_placement_ended.is_some() {
        return Err(DomainError::validation(
            "placementChangeReason",
            "is given when a placement ends, not when the child enters care",
        ));
    }
    check_postcodes(open.placement, &details)?;
    // A child entering care has no plan yet, so no decision to place for adoption. A period
    // of recorded history imported part-way is the exception: its decision was made before
    // its first held episode, in a year the import does not hold, and is recorded after the
    // opening (`CaseState::care_known_from`), so nothing is known against it here.
    let part_way = rules.is_history() && details.reason_new_episode.is_some();
    if !part_way {
        rules.check(
            open.entered_care_on,
            DataQualityKind::AdoptionPlacementWithoutDecision,
            check_adoption_decision(
                None,
                open.entered_care_on,
                Some(open.placement),
                Some(open.legal_status),
            ),
        )?;
    }
    let mut events = vec![Event::CaseOpened {
        case_id: open.case_id,
        child_id: open.child_id,
        local_authority: open.local_authority.clone(),
        child_birth_date: open.child_birth_date,
        entered_care_on: open.entered_care_on,
        legal_status: open.legal_status,
        placement: open.placement,
        provider: open.provider,
        carer: open.carer.clone(),
        team: open.team.clone(),
        allocated_worker: open.allocated_worker.clone(),
        details,
    }];
    // The round goes on here as it stood at home: its steps, each as the track took them.
    if let Some(round) = &open.legal_round_from_home {
        events.extend(
            round
                .steps()
                .into_iter()
                .map(|(on, step)| Event::LegalStepRecorded { on, step }),
        );
    }
    Ok(events)
}

/// An ONS code of an English local authority: `E` and 8 digits (E10000003).
pub fn is_local_authority_code(code: &str) -> bool {
    code.len() == 9 && code.starts_with('E') && code[1..].bytes().all(|b| b.is_ascii_digit())
}

/// A change of placement, carer or legal status as the social worker gave it.
struct EpisodeChange<'a> {
    on: NaiveDate,
    legal_status: Option<LegalStatus>,
    placement: Option<PlacementType>,
    provider: Option<PlacementProvider>,
    carer: &'a Option<String>,
    details: &'a PlacementDetails,
}

fn decide_episode(
    case: &CaseState,
    change: EpisodeChange<'_>,
    ctx: &DecisionContext<'_>,
    rules: &mut LiveRules,
) -> Decision {
    let EpisodeChange {
        on,
        legal_status,
        placement,
        provider,
        carer,
        details,
    } = change;
    check_date(case, on, ctx, "occurredOn")?;
    check_reference(carer.as_deref(), "carer")?;
    let given = details.normalised()?;
    let current = case
        .current_episode()
        .ok_or_else(|| DomainError::not_allowed("the case has no placement yet"))?;
    check_not_before(on, current.starts_on, "occurredOn", "the current placement")?;
    if legal_status.is_none()
        && placement.is_none()
        && provider.is_none()
        && carer.is_none()
        && given.placement_postcode.is_none()
        && given.urn.is_none()
    {
        return Err(DomainError::validation(
            "legalStatus",
            "give at least one of legal status, placement, provider, carer, placement postcode or URN",
        ));
    }
    let placement_changed = placement.is_some_and(|p| p != current.placement);
    let carer_changed = carer
        .as_ref()
        .is_some_and(|c| Some(c) != current.carer.as_ref());
    // A new placement or carer is somewhere else: its postcode and registration are new too.
    let moved = placement_changed || carer_changed;
    let carried = |new: &Option<String>, old: &Option<String>| {
        new.clone()
            .or_else(|| if moved { None } else { old.clone() })
    };
    let next = Episode {
        starts_on: on,
        legal_status: legal_status.unwrap_or(current.legal_status),
        placement: placement.unwrap_or(current.placement),
        // A new placement type means a new provider: do not carry the old one over.
        provider: provider.or(if placement_changed {
            None
        } else {
            current.provider
        }),
        carer: carer.clone().or_else(|| current.carer.clone()),
        details: PlacementDetails {
            home_postcode: given
                .home_postcode
                .clone()
                .or_else(|| current.details.home_postcode.clone()),
            placement_postcode: carried(
                &given.placement_postcode,
                &current.details.placement_postcode,
            ),
            urn: carried(&given.urn, &current.details.urn),
            need: given.need.or(current.details.need),
            previous_placement_ended: given.previous_placement_ended,
            // Only a period's first episode can have begun before the period as recorded.
            reason_new_episode: None,
        },
    };
    let placement_same = next.placement == current.placement
        && next.provider == current.provider
        && next.carer == current.carer
        && next.details.placement_postcode == current.details.placement_postcode
        && next.details.urn == current.details.urn;
    if next.legal_status == current.legal_status && placement_same {
        return Err(DomainError::validation(
            "legalStatus",
            "nothing changed: the placement, provider, carer and legal status are already these",
        ));
    }
    if placement_same && next.details.previous_placement_ended.is_some() {
        return Err(DomainError::validation(
            "placementChangeReason",
            "is only given when the placement changes",
        ));
    }
    check_provider(next.placement, next.provider)?;
    check_postcodes(next.placement, &next.details)?;
    rules.check(
        on,
        DataQualityKind::AdoptionPlacementWithoutDecision,
        check_adoption_decision(
            Some(case),
            on,
            (next.placement != current.placement).then_some(next.placement),
            (next.legal_status != current.legal_status).then_some(next.legal_status),
        ),
    )?;
    Ok(vec![Event::EpisodeStarted {
        on,
        legal_status: next.legal_status,
        placement: next.placement,
        provider: next.provider,
        carer: next.carer,
        details: next.details,
        // Only an import's history: a cohort recorded in batches is decided as history too,
        // but it is live work in every other respect and must come out event for event the
        // same as one recorded command by command.
        from_history: rules.is_history() && case.imported.is_some(),
    }])
}

/// A placement for adoption (A3–A6) or a placement order (legal status E1) that an episode
/// begins needs a standing decision that the child should be placed for adoption, made on or
/// before the episode begins (DOMAIN.md §3.1; the national validator's rule 551). A
/// placement order made at a final hearing is recorded as an E1 episode like any other
/// change of legal status, so it meets the same rule. `placement` and `legal_status` are
/// given only when the episode changes them: a placement order carried over to a move made
/// after the decision was reversed still stands until the court revokes it, and the
/// decision it needed was made.
fn check_adoption_decision(
    case: Option<&CaseState>,
    on: NaiveDate,
    placement: Option<PlacementType>,
    legal_status: Option<LegalStatus>,
) -> Result<(), DomainError> {
    let decided = case.is_some_and(|case| {
        case.plans.iter().any(|p| {
            p.has_open_adoption_decision()
                && p.taken(steps::SHOBPA_DECISION).is_some_and(|d| d <= on)
        })
    });
    if decided {
        return Ok(());
    }
    if let Some(placement) = placement.filter(|p| p.is_placed_for_adoption()) {
        return Err(DomainError::validation(
            "placement",
            format!(
                "a placement for adoption ({placement}) needs a standing decision that the child should be placed for adoption: record the decision on the adoption plan first"
            ),
        ));
    }
    if legal_status == Some(LegalStatus::E1) {
        return Err(DomainError::validation(
            "legalStatus",
            "a placement order (E1) needs a standing decision that the child should be placed for adoption: record the decision on the adoption plan first",
        ));
    }
    Ok(())
}

/// The home and placement postcodes differ unless the child is placed with parents
/// (SSDA903 rule 392d).
fn check_postcodes(
    placement: PlacementType,
    details: &PlacementDetails,
) -> Result<(), DomainError> {
    if placement != PlacementType::P1
        && details.home_postcode.is_some()
        && details.home_postcode == details.placement_postcode
    {
        return Err(DomainError::validation(
            "placementPostcode",
            "must differ from the home postcode unless the child is placed with parents (P1)",
        ));
    }
    Ok(())
}

fn decide_set_plan(
    case: &CaseState,
    route: Route,
    role: PlanRole,
    on: NaiveDate,
    ctx: &DecisionContext<'_>,
    rules: &mut LiveRules,
) -> Decision {
    check_date(case, on, ctx, "occurredOn")?;
    let next_id = u32::try_from(case.plans.len())
        .unwrap_or(u32::MAX)
        .saturating_add(1);
    let start = |role| Event::RoutePlanStarted {
        plan_id: next_id,
        route,
        version: ctx.catalog.current(route).version,
        role,
        on,
    };
    match role {
        PlanRole::Parallel => {
            let primary = case.primary_plan().ok_or_else(|| {
                DomainError::not_allowed("a parallel plan needs a primary plan first")
            })?;
            if primary.route == route {
                return Err(DomainError::not_allowed(format!(
                    "the primary plan is already {}",
                    route.label()
                )));
            }
            if case.parallel_plan().is_some() {
                return Err(DomainError::not_allowed(
                    "the case already has a parallel plan: end it first",
                ));
            }
            check_not_before(on, primary.started_on, "occurredOn", "the primary plan")?;
            Ok(vec![start(PlanRole::Parallel)])
        }
        PlanRole::Primary => {
            let mut events = Vec::new();
            if let Some(primary) = case.primary_plan() {
                if primary.route == route {
                    return Err(DomainError::not_allowed(format!(
                        "the primary plan is already {}",
                        route.label()
                    )));
                }
                rules.check(
                    on,
                    DataQualityKind::AdoptionDecisionLeftOpen,
                    if primary.has_open_adoption_decision() {
                        Err(open_adoption_decision())
                    } else {
                        Ok(())
                    },
                )?;
                rules.check(
                    on,
                    DataQualityKind::DatedBeforeEarlierFact,
                    check_not_before(
                        on,
                        primary.last_date(),
                        "occurredOn",
                        "the current plan's latest step",
                    ),
                )?;
                events.push(Event::RoutePlanEnded {
                    plan_id: primary.id,
                    on,
                    reason: PlanEndReason::RouteChanged,
                });
            }
            match case.parallel_plan() {
                // Twin-track planning pays off: the parallel route becomes the plan, with its progress.
                Some(parallel) if parallel.route == route => {
                    check_not_before(
                        on,
                        parallel.last_date(),
                        "occurredOn",
                        "the parallel plan's latest step",
                    )?;
                    events.push(Event::RoutePlanPromoted {
                        plan_id: parallel.id,
                        on,
                    });
                }
                _ => events.push(start(PlanRole::Primary)),
            }
            Ok(events)
        }
    }
}

fn open_adoption_decision() -> DomainError {
    DomainError::not_allowed(
        "the decision that the child should be placed for adoption still stands: reverse it first, with a date and a reason (RD1 to RD4)",
    )
}

fn definition_of<'a>(
    plan: &RoutePlan,
    ctx: &DecisionContext<'a>,
) -> Result<&'a RouteDefinition, DomainError> {
    ctx.catalog.get(plan.route, plan.version).ok_or_else(|| {
        DomainError::InvalidDefinition(format!(
            "{} route v{} is not loaded",
            plan.route.label(),
            plan.version
        ))
    })
}

/// Joins step labels as a social worker would say them: "the x or the y".
fn either(def: &RouteDefinition, keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("the {}", def.label_of(k)))
        .collect::<Vec<_>>()
        .join(" or ")
}

fn decide_step(
    case: &CaseState,
    route: Route,
    step: &str,
    on: NaiveDate,
    ctx: &DecisionContext<'_>,
    rules: &mut LiveRules,
) -> Decision {
    check_date(case, on, ctx, "occurredOn")?;
    let plan = case.active_plan(route).ok_or_else(|| {
        DomainError::not_allowed(format!(
            "the case has no {} plan: set the route plan first",
            route.label()
        ))
    })?;
    let def = definition_of(plan, ctx)?;
    let target = def.step(step).ok_or_else(|| {
        DomainError::validation(
            "step",
            format!("the {} route has no step called {step:?}", route.label()),
        )
    })?;
    if target.key == PLAN_ENDORSED {
        return Err(DomainError::not_allowed(
            "the plan is endorsed when the route plan is set",
        ));
    }
    if plan.achieved {
        return Err(DomainError::not_allowed(format!(
            "the {} route has already achieved permanence",
            route.label()
        )));
    }
    if plan.taken(target.key).is_some() {
        return Err(DomainError::not_allowed(format!(
            "the {} is already recorded",
            target.label
        )));
    }
    let current = plan.current_step();
    // Recorded history the route had already passed goes behind the current step, in the
    // route's order; new work, and history that may follow the current step, is always the
    // next step.
    let position = if rules.is_history() && !target.after.contains(&current) {
        position_in_route(plan, def, target.key)
    } else {
        None
    };
    let fail_unless = |ok: bool, error: DomainError| if ok { Ok(()) } else { Err(error) };
    rules.check(
        on,
        DataQualityKind::StepOutOfOrder,
        fail_unless(
            target.after.contains(&current) || position.is_some(),
            DomainError::not_allowed(format!(
                "the {} needs {} first; the case is at: {}",
                target.label,
                either(def, target.after),
                def.label_of(current)
            )),
        ),
    )?;
    if position.is_some() {
        rules.check(
            on,
            DataQualityKind::StepOutOfOrder,
            Err(DomainError::not_allowed(format!(
                "the {} is recorded after the {}, which follows it on the route",
                target.label,
                def.label_of(current)
            ))),
        )?;
    }
    rules.check(
        on,
        DataQualityKind::PrerequisiteMissing,
        fail_unless(
            target.requires_any.is_empty()
                || target.requires_any.iter().any(|k| plan.taken(k).is_some()),
            DomainError::not_allowed(format!(
                "the {} needs {} first",
                target.label,
                either(def, target.requires_any)
            )),
        ),
    )?;
    if position.is_none() {
        rules.check(
            on,
            DataQualityKind::DatedBeforeEarlierFact,
            fail_unless(
                on >= plan.last_date(),
                DomainError::validation(
                    "occurredOn",
                    format!(
                        "the {} cannot be dated before the {}",
                        target.label,
                        def.label_of(current)
                    ),
                ),
            ),
        )?;
    }
    if route == Route::LongTermFostering && target.key == steps::MATCH_CONFIRMED {
        // CPPCR reg 22B: the match is confirmed for the placement the child lives in, which
        // the return then codes as long-term fostering (U1 or U4).
        let placed = case
            .episodes
            .iter()
            .rev()
            .find(|e| e.starts_on <= on)
            .is_some_and(|e| e.placement.is_long_term_foster());
        rules.check(
            on,
            DataQualityKind::LongTermMatchWithoutPlacement,
            fail_unless(
                placed,
                DomainError::validation(
                    "step",
                    "the long-term match confirmation needs the child in a long-term foster placement (U1 or U4): record the placement change first",
                ),
            ),
        )?;
    }
    if target.key == steps::ADOPTION_APPLICATION
        && let Some(placed_on) = plan.taken(steps::PLACED_FOR_ADOPTION)
    {
        rules.check(
            on,
            DataQualityKind::ShortResidence,
            fail_unless(
                on >= ADOPTION_APPLICATION_RESIDENCE.after(placed_on),
                DomainError::validation(
                    "occurredOn",
                    "the adoption application cannot be made before the child has lived with the adopters for 10 weeks",
                ),
            ),
        )?;
    }
    Ok(vec![Event::RouteStepRecorded {
        plan_id: plan.id,
        step: target.key.to_owned(),
        on,
        achieves_permanence: target.is_final && position.is_none(),
        position,
    }])
}

/// A placement breakdown (DOMAIN.md §3.1, a disruption): allowed at the steps the route's
/// breakdown rule names, on the route's active plan. The plan stays (on adoption the decision
/// to place for adoption stays open: no reversal, no RD reason); the steps of the placement
/// that failed go back off the route, kept in the plan's history.
fn decide_breakdown(
    case: &CaseState,
    route: Route,
    on: NaiveDate,
    reason: PlacementChangeReason,
    ctx: &DecisionContext<'_>,
    rules: &mut LiveRules,
) -> Decision {
    check_date(case, on, ctx, "occurredOn")?;
    let plan = case.active_plan(route).ok_or_else(|| {
        DomainError::validation(
            "route",
            format!(
                "the case has no {} plan: a placement breaks down on the route the plan is on",
                route.label()
            ),
        )
    })?;
    let def = definition_of(plan, ctx)?;
    let rule = def.breakdown.as_ref().ok_or_else(|| {
        DomainError::validation(
            "route",
            format!(
                "the {} route has no placement that can break down",
                route.label()
            ),
        )
    })?;
    let current = plan.current_step();
    if plan.achieved && !rule.at.contains(&current) {
        return Err(DomainError::validation(
            "route",
            format!(
                "the {} route has already achieved permanence: the {} can no longer break down",
                route.label(),
                rule.label
            ),
        ));
    }
    if !rule.at.contains(&current) {
        return Err(DomainError::validation(
            "route",
            format!(
                "a breakdown of the {} is recorded once the plan has reached {}; the case is at: {}",
                rule.label,
                either(def, rule.at),
                def.label_of(current)
            ),
        ));
    }
    if reason == PlacementChangeReason::Place {
        return Err(DomainError::validation(
            "reason",
            "PLACE is a change in the status of a placement only: a breakdown ends the placement",
        ));
    }
    // A placement breaks down after the day it began; the later steps of its route, no
    // earlier than the day they were taken.
    if let Some(placed_on) = plan.taken(rule.placement_step)
        && on <= placed_on
        && def
            .step(rule.placement_step)
            .is_some_and(|s| s.kind == crate::route::StepKind::Placement)
    {
        return Err(DomainError::validation(
            "occurredOn",
            format!(
                "must be after the day the {} began (the {})",
                rule.label,
                def.label_of(rule.placement_step)
            ),
        ));
    }
    rules.check(
        on,
        DataQualityKind::DatedBeforeEarlierFact,
        check_not_before(on, plan.last_date(), "occurredOn", "the plan's latest step"),
    )?;
    let undoes = plan
        .steps
        .iter()
        .filter(|s| rule.undoes.contains(&s.step.as_str()))
        .map(|s| s.step.clone())
        .collect();
    Ok(vec![Event::PlacementBrokeDown {
        plan_id: plan.id,
        on,
        reason,
        stage: current.to_owned(),
        undoes,
    }])
}

/// Where a step goes among a plan's steps when the plan has already taken a step that
/// follows it in the route's order: before the first such step. `None` when it comes after
/// every step taken.
fn position_in_route(plan: &RoutePlan, def: &RouteDefinition, step: &str) -> Option<u32> {
    let order = |key: &str| def.steps.iter().position(|s| s.key == key);
    let target = order(step)?;
    let at = plan
        .steps
        .iter()
        .position(|taken| order(&taken.step).is_some_and(|o| o > target))?;
    u32::try_from(at).ok()
}

fn decide_legal(
    case: &CaseState,
    on: NaiveDate,
    step: LegalStep,
    ctx: &DecisionContext<'_>,
    rules: &mut LiveRules,
) -> Decision {
    case.legal
        .check(on, step, case.child_birth_date, ctx.today)?;
    let recorded = Event::LegalStepRecorded { on, step };
    let LegalStep::FinalHearingHeld { order } = step else {
        return Ok(vec![recorded]);
    };
    let after = evolve(Some(case.clone()), &recorded).unwrap_or_else(|| case.clone());
    let mut events = vec![recorded];
    events.extend(decide_final_order(&after, on, order, ctx, rules)?);
    Ok(events)
}

/// The route step an order made at a final hearing is: the route, its step, and whether
/// the order needs that plan. A placement order is made only where the authority is to place
/// the child for adoption (ACA 2002 s21–22), so it needs the adoption plan; a special
/// guardianship or child arrangements order may be made whatever the authority's plan, so
/// it is the step of that plan only when the case has one.
fn order_step(order: FinalOrder) -> Option<(Route, &'static str, bool)> {
    match order {
        FinalOrder::PlacementOrder => Some((Route::Adoption, PLACEMENT_ORDER, true)),
        FinalOrder::SpecialGuardianshipOrder => {
            Some((Route::SpecialGuardianship, SGO_GRANTED, false))
        }
        FinalOrder::ChildArrangementsOrder => {
            Some((Route::ChildArrangementsOrder, CAO_GRANTED, false))
        }
        FinalOrder::CareOrder | FinalOrder::SupervisionOrder | FinalOrder::NoOrder => None,
    }
}

/// What the order made at a final hearing records on the rest of the case (DOMAIN.md §2 and
/// §3): a placement order is the adoption plan's placement order step and legal status E1
/// from its day; a care order is legal status C2 from its day; a special guardianship or
/// child arrangements order is the order step of that route's plan, when the case has one.
/// Each is recorded as the social worker would record it by hand (a route step, a change of
/// legal status), with the same checks, unless it already has been: a step recorded before
/// the hearing, or a placement that already carries the order's legal status. Leaving care
/// under an order is recorded by the worker, with its reason (`closeCase`).
fn decide_final_order(
    case: &CaseState,
    on: NaiveDate,
    order: FinalOrder,
    ctx: &DecisionContext<'_>,
    rules: &mut LiveRules,
) -> Decision {
    let mut state = case.clone();
    let mut events = Vec::new();
    let mut follow =
        |state: &mut CaseState, command: Command, what: &str| -> Result<(), DomainError> {
            let found = decide_with(Some(state), &command, ctx, rules).map_err(|refusal| {
                DomainError::not_allowed(format!("{what}: {}", refusal_text(&refusal)))
            })?;
            for event in found {
                if let Some(next) = evolve(Some(state.clone()), &event) {
                    *state = next;
                }
                events.push(event);
            }
            Ok(())
        };
    if let Some((route, step, needs_plan)) = order_step(order) {
        let label = route.label();
        match state.active_plan(route) {
            None if needs_plan => {
                return Err(DomainError::not_allowed(format!(
                    "a {} is a step of the {label} plan: the case has no {label} plan",
                    order.label()
                )));
            }
            Some(plan) if plan.taken(step).is_none() => {
                let command = Command::RecordRouteStep {
                    route,
                    step: step.to_owned(),
                    on,
                };
                let what = format!(
                    "a {} is the {label} plan's {} step",
                    order.label(),
                    order.label()
                );
                follow(&mut state, command, &what)?;
            }
            _ => {}
        }
    }
    let legal_status = match order {
        FinalOrder::CareOrder => LegalStatus::C2,
        FinalOrder::PlacementOrder => LegalStatus::E1,
        _ => return Ok(events),
    };
    let current = state
        .current_episode()
        .map(|episode| (episode.legal_status, episode.starts_on));
    if let Some((current_status, starts_on)) = current
        && current_status != legal_status
    {
        if on < starts_on {
            return Err(DomainError::not_allowed(format!(
                "the order's legal status ({}) begins on the day of the final hearing, and a later placement is already recorded: record the final hearing before the placements that followed it",
                legal_status.code()
            )));
        }
        let command = Command::RecordEpisode {
            on,
            legal_status: Some(legal_status),
            placement: None,
            provider: None,
            carer: None,
            details: PlacementDetails::default(),
        };
        follow(
            &mut state,
            command,
            &format!("the order's legal status ({})", legal_status.code()),
        )?;
    }
    Ok(events)
}

/// A refusal's words without its field, to be told inside another refusal.
fn refusal_text(refusal: &DomainError) -> String {
    match refusal {
        DomainError::Validation { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

fn decide_close(
    case: &CaseState,
    on: NaiveDate,
    reason: ReasonCeased,
    ctx: &DecisionContext<'_>,
    rules: &mut LiveRules,
) -> Decision {
    check_date(case, on, ctx, "occurredOn")?;
    if let Some(episode) = case.current_episode() {
        check_not_before(on, episode.starts_on, "occurredOn", "the current placement")?;
    }
    for plan in &case.plans {
        let latest = plan
            .ended
            .map_or(plan.last_date(), |end| end.on.max(plan.last_date()));
        rules.check(
            on,
            DataQualityKind::DatedBeforeEarlierFact,
            check_not_before(on, latest, "occurredOn", "the latest step of a route plan"),
        )?;
    }
    if let Some(last) = case.reviews.last() {
        check_not_before(on, *last, "occurredOn", "the latest review")?;
    }
    if let Some(last) = case.health_assessments.last() {
        check_not_before(on, last.on, "occurredOn", "the latest health assessment")?;
    }
    if let Some(last) = case.visits.last() {
        check_not_before(on, last.on, "occurredOn", "the latest visit")?;
    }
    let reached = |route: Route, step: &str| {
        case.plans
            .iter()
            .any(|p| p.route == route && p.is_active() && p.taken(step).is_some())
    };
    let needs = |route: Route, step: &str, label: &str| {
        if reached(route, step) {
            Ok(())
        } else {
            Err(DomainError::not_allowed(format!(
                "leaving care with reason {} needs the {label} recorded on the {} route first",
                reason.code(),
                route.label()
            )))
        }
    };
    let order_held = if reason.is_adoption() {
        needs(Route::Adoption, steps::ADOPTION_ORDER, "adoption order")
    } else if reason.is_special_guardianship() {
        needs(
            Route::SpecialGuardianship,
            steps::SGO_GRANTED,
            "special guardianship order",
        )
    } else if reason == ReasonCeased::E41 {
        needs(
            Route::ChildArrangementsOrder,
            steps::CAO_GRANTED,
            "child arrangements order",
        )
    } else {
        Ok(())
    };
    rules.check(on, DataQualityKind::LeftCareWithoutOrder, order_held)?;
    rules.check(
        on,
        DataQualityKind::AdoptionDecisionLeftOpen,
        if !reason.is_adoption() && case.plans.iter().any(RoutePlan::has_open_adoption_decision) {
            Err(open_adoption_decision())
        } else {
            Ok(())
        },
    )?;
    let mut events: Vec<Event> = case
        .plans
        .iter()
        .filter(|p| p.is_active())
        .map(|p| Event::RoutePlanEnded {
            plan_id: p.id,
            on,
            reason: PlanEndReason::CaseClosed,
        })
        .collect();
    events.push(Event::CaseClosed { on, reason });
    Ok(events)
}

fn check_date(
    case: &CaseState,
    on: NaiveDate,
    ctx: &DecisionContext<'_>,
    field: &str,
) -> Result<(), DomainError> {
    if on > ctx.today {
        return Err(DomainError::validation(field, "cannot be in the future"));
    }
    if on < case.care_known_from() {
        return Err(DomainError::validation(
            field,
            "cannot be before the child entered care",
        ));
    }
    Ok(())
}

fn check_not_before(
    on: NaiveDate,
    earlier: NaiveDate,
    field: &str,
    what: &str,
) -> Result<(), DomainError> {
    if on < earlier {
        Err(DomainError::validation(
            field,
            format!("cannot be dated before {what}"),
        ))
    } else {
        Ok(())
    }
}

fn check_reference(value: Option<&str>, field: &str) -> Result<(), DomainError> {
    match value {
        Some(v) if v.trim().is_empty() => Err(DomainError::validation(field, "cannot be blank")),
        Some(v) if v.chars().count() > MAX_REFERENCE_LEN => Err(DomainError::validation(
            field,
            format!("must be at most {MAX_REFERENCE_LEN} characters"),
        )),
        _ => Ok(()),
    }
}

/// PLACE_PROVIDER PR0 (a parent) goes with placement P1 and only with it (SSDA903 rule).
fn check_provider(
    placement: PlacementType,
    provider: Option<PlacementProvider>,
) -> Result<(), DomainError> {
    let with_parents = placement == PlacementType::P1;
    match provider {
        Some(PlacementProvider::PR0) if !with_parents => Err(DomainError::validation(
            "provider",
            "PR0 (parent) is only for placements with parents (P1)",
        )),
        Some(p) if with_parents && p != PlacementProvider::PR0 => Err(DomainError::validation(
            "provider",
            "a placement with parents (P1) has provider PR0",
        )),
        _ => Ok(()),
    }
}

/// Applies one event. Never fails: an event that does not fit (which `decide` would not
/// have produced) leaves the state as it was.
pub fn evolve(state: Option<CaseState>, event: &Event) -> Option<CaseState> {
    if let Event::CaseOpened {
        case_id,
        child_id,
        local_authority,
        child_birth_date,
        entered_care_on,
        legal_status,
        placement,
        provider,
        carer,
        team,
        allocated_worker,
        details,
    } = event
    {
        return Some(CaseState {
            id: *case_id,
            child_id: *child_id,
            local_authority: local_authority.clone(),
            child_birth_date: *child_birth_date,
            entered_care_on: *entered_care_on,
            team: team.clone(),
            allocated_worker: allocated_worker.clone(),
            episodes: vec![Episode {
                starts_on: *entered_care_on,
                legal_status: *legal_status,
                placement: *placement,
                provider: *provider,
                carer: carer.clone(),
                details: details.clone(),
            }],
            reviews: vec![],
            health_assessments: vec![],
            plans: vec![],
            legal: LegalTrack::default(),
            closed: None,
            panel: vec![],
            review_participation: BTreeMap::new(),
            adopters: None,
            data_quality: vec![],
            imported: None,
            visits: vec![],
            episodes_from_history: 0,
        });
    }
    let mut case = state?;
    match event {
        Event::CaseOpened { .. } => {}
        Event::CaseAllocated {
            team,
            allocated_worker,
            ..
        } => {
            case.team = team.clone();
            case.allocated_worker = allocated_worker.clone();
        }
        Event::EpisodeStarted {
            on,
            legal_status,
            placement,
            provider,
            carer,
            details,
            from_history,
        } => {
            case.episodes.push(Episode {
                starts_on: *on,
                legal_status: *legal_status,
                placement: *placement,
                provider: *provider,
                carer: carer.clone(),
                details: details.clone(),
            });
            if *from_history {
                case.episodes_from_history = case.episodes.len();
            }
        }
        Event::ReviewHeld { on, participation } => {
            case.reviews.push(*on);
            if let Some(participation) = participation {
                case.review_participation.insert(*on, *participation);
            }
        }
        Event::HealthAssessmentRecorded { on, kind } => {
            case.health_assessments.push(HealthAssessment {
                on: *on,
                kind: *kind,
            })
        }
        Event::VisitHeld { on, seen_alone } => case.visits.push(Visit {
            on: *on,
            seen_alone: *seen_alone,
        }),
        Event::RoutePlanStarted {
            plan_id,
            route,
            version,
            role,
            on,
        } => case.plans.push(RoutePlan {
            id: *plan_id,
            route: *route,
            version: *version,
            role: *role,
            started_on: *on,
            steps: vec![],
            ended: None,
            reversal: None,
            achieved: false,
            breakdowns: vec![],
        }),
        Event::RoutePlanPromoted { plan_id, .. } => {
            if let Some(plan) = case.plan_mut(*plan_id) {
                plan.role = PlanRole::Primary;
            }
        }
        Event::RoutePlanEnded {
            plan_id,
            on,
            reason,
            ..
        } => {
            if let Some(plan) = case.plan_mut(*plan_id) {
                plan.ended = Some(PlanEnd {
                    on: *on,
                    reason: *reason,
                });
            }
        }
        Event::RouteStepRecorded {
            plan_id,
            step,
            on,
            achieves_permanence,
            position,
        } => {
            if let Some(plan) = case.plan_mut(*plan_id) {
                let taken = TakenStep {
                    step: step.clone(),
                    on: *on,
                };
                match position.and_then(|p| usize::try_from(p).ok()) {
                    Some(at) if at < plan.steps.len() => plan.steps.insert(at, taken),
                    _ => plan.steps.push(taken),
                }
                plan.achieved |= *achieves_permanence;
            }
        }
        Event::AdoptionDecisionReversed {
            plan_id,
            on,
            reason,
        } => {
            if let Some(plan) = case.plan_mut(*plan_id) {
                plan.reversal = Some(Reversal {
                    on: *on,
                    reason: *reason,
                });
            }
        }
        Event::PlacementBrokeDown {
            plan_id,
            on,
            reason,
            stage,
            undoes,
        } => {
            let Some(plan) = case.plan_mut(*plan_id) else {
                return Some(case);
            };
            let (undone, kept) = std::mem::take(&mut plan.steps)
                .into_iter()
                .partition(|s| undoes.contains(&s.step));
            plan.steps = kept;
            // A long-term match confirmed is permanence; once it has broken down it is not.
            plan.achieved = false;
            plan.breakdowns.push(Breakdown {
                on: *on,
                reason: *reason,
                stage: stage.clone(),
                undone,
            });
            // The adopters matched were those of the placement that broke down: the next
            // match records its own (SSDA903 AD1).
            if plan.route == Route::Adoption {
                case.adopters = None;
            }
        }
        Event::LegalStepRecorded { on, step } => case.legal.apply(*on, *step),
        Event::CaseClosed { on, reason } => {
            case.closed = Some(Closure {
                on: *on,
                reason: *reason,
            })
        }
        Event::PanelOutcomeRecorded {
            purpose,
            outcome,
            on,
        } => case.panel.push(PanelOutcomeEntry {
            purpose: *purpose,
            on: *on,
            outcome: outcome.clone(),
            decision: None,
        }),
        Event::AdoptersRecorded { adopters, .. } => case.adopters = Some(*adopters),
        Event::DataQualityNoted { note } => case.data_quality.push(note.clone()),
        Event::HistoryImported { history, .. } => {
            case.imported = Some(*history);
            // The episodes opened so far (the period's first) came from the return.
            case.episodes_from_history = case.episodes.len();
        }
        Event::AgencyDecisionRecorded {
            purpose,
            agrees,
            on,
        } => {
            let Some(plan) = case
                .plans
                .iter_mut()
                .find(|p| p.is_active() && p.route == purpose.route())
            else {
                return Some(case);
            };
            let plan_started_on = plan.started_on;
            if !*agrees && plan.current_step() == purpose.recommendation_step() {
                plan.steps.pop();
            }
            // A recommendation recorded as a plain route step has no entry to complete.
            if let Some(entry) = case.panel.iter_mut().rev().find(|e| {
                e.purpose == *purpose
                    && e.on >= plan_started_on
                    && e.outcome == PanelOutcome::Recommended
                    && e.decision.is_none()
            }) {
                entry.decision = Some((*on, *agrees));
            }
        }
    }
    Some(case)
}

/// Rebuilds a case's state from its history.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<CaseState> {
    events.into_iter().fold(None, evolve)
}
