//! A case's state as its events have built it: its episodes, route plans and records.

use crate::case::recorded::{DataQualityNote, ImportedHistory};
use crate::codes::{
    LegalStatus, PlacementChangeReason, PlacementProvider, PlacementType, ReasonCeased,
    ReversalReason, ReviewParticipation,
};
use crate::ids::{CaseId, ChildId};
use crate::legal::LegalTrack;
use crate::panel::{PanelOutcomeEntry, PanelPurpose};
use crate::return_facts::{Adopters, PlacementDetails};
use crate::route::{PLAN_ENDORSED, Route, steps};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Maximum length of free-text references (team, worker, carer) kept on a case.
pub const MAX_REFERENCE_LEN: usize = 100;

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

    pub(super) fn last_date(&self) -> NaiveDate {
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

    pub(super) fn plan_mut(&mut self, id: u32) -> Option<&mut RoutePlan> {
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
