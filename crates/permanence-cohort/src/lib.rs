//! Synthetic cohorts of children in care, for demonstrations, tests and benchmarks.
//!
//! `generate` turns a seed into children and, for each period of care, the facts of entering
//! care and the dated commands that a social worker, a panel and an agency decision maker
//! would have recorded: reviews and health assessments on their statutory timescales (mostly
//! on time), the Public Law Outline, route plans (twin-track for some), panels, decisions,
//! placements and legal statuses that keep the national return's validation rules, and
//! outcomes in roughly national proportions (DOMAIN.md §3–§6). Some cases drift after a
//! panel, some adoption decisions are reversed, some children come back into care.
//!
//! The scripts are made of `permanence_domain` commands only: a caller records them through
//! the engine (`permanence demo-data`) or applies them with `decide`/`evolve`, and the
//! domain, not this crate, is the judge of whether they are acceptable. Generation is pure
//! and deterministic: the same configuration gives the same scripts on every platform (the
//! generator has its own pseudo-random numbers, see [`rng`]), and child *n*'s history does
//! not depend on how many children are generated. This crate must not depend on storage,
//! the engine, HTTP or any clock: `today` is part of the configuration.

mod age;
mod at_home;
mod generate;
pub mod return_facts;
pub mod rng;
mod siblings;
mod stats;

use chrono::{Months, NaiveDate};
use permanence_domain::case::{Command, OpenCase};
use permanence_domain::child::NewChild;
use permanence_domain::codes::{LegalStatus, PlacementProvider, PlacementType};
use permanence_domain::{CaseId, ChildId, Route};
use uuid::Uuid;

pub use at_home::{AtHomeScript, children_at_home};
pub use generate::generate;
pub use siblings::{SiblingGroupScript, sibling_groups};
pub use stats::{CohortStats, DurationSummary};

/// The local authority used when none is given (an ONS code, as SSDA903 expects).
pub const DEFAULT_LOCAL_AUTHORITY: &str = "E10000003";
/// The teams cases are allocated to when none are given.
pub const DEFAULT_TEAMS: &[&str] = &["North", "South", "East", "West"];
/// How many years of history a cohort covers by default.
pub const DEFAULT_YEARS: u32 = 10;

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CohortConfig {
    /// How many children (a re-entry is a second period of the same child).
    pub children: usize,
    pub seed: u64,
    /// ONS codes of the authorities the children belong to, chosen evenly.
    pub local_authorities: Vec<String>,
    /// Team names cases are allocated to.
    pub teams: Vec<String>,
    /// Nothing is dated after this day: a history that runs past it stops where it reached.
    pub today: NaiveDate,
    /// The earliest day a child enters care. Entries are spread evenly from here to `today`.
    pub start: NaiveDate,
}

impl CohortConfig {
    /// `children` children with entries over the ten years before `today`, in the default
    /// authority and teams.
    pub fn new(children: usize, seed: u64, today: NaiveDate) -> Self {
        Self {
            children,
            seed,
            local_authorities: vec![DEFAULT_LOCAL_AUTHORITY.to_owned()],
            teams: DEFAULT_TEAMS.iter().map(|t| (*t).to_owned()).collect(),
            today,
            start: years_before(today, DEFAULT_YEARS),
        }
    }
}

/// The same day `years` years earlier (29 February becomes 28 February).
pub fn years_before(day: NaiveDate, years: u32) -> NaiveDate {
    day.checked_sub_months(Months::new(years.saturating_mul(12)))
        .unwrap_or(NaiveDate::MIN)
}

/// The facts a social worker enters when a child becomes looked after (the engine's
/// `EnterCare`, without the child's id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnterCareFacts {
    pub entered_care_on: NaiveDate,
    pub legal_status: LegalStatus,
    pub placement: PlacementType,
    pub provider: Option<PlacementProvider>,
    pub carer: Option<String>,
    pub team: Option<String>,
    pub allocated_worker: Option<String>,
    /// Postcodes, URN and category of need.
    pub details: permanence_domain::return_facts::PlacementDetails,
}

impl EnterCareFacts {
    /// The domain's command opening this period of care, with ids the caller chose.
    pub fn open_case(&self, child: &NewChild, case_id: CaseId, child_id: ChildId) -> OpenCase {
        OpenCase {
            case_id,
            child_id,
            local_authority: child.local_authority.clone(),
            child_birth_date: child.birth_date,
            entered_care_on: self.entered_care_on,
            legal_status: self.legal_status,
            placement: self.placement,
            provider: self.provider,
            carer: self.carer.clone(),
            team: self.team.clone(),
            allocated_worker: self.allocated_worker.clone(),
            details: self.details.clone(),
            legal_round_from_home: None,
        }
    }
}

/// A case the generator left stalled after a panel or a decision: it is still open today
/// with the follow-through overdue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drift {
    pub route: Route,
    /// The last step recorded (`matching_panel_recommendation`, `match_decision`, ...).
    pub step: &'static str,
    pub since: NaiveDate,
}

/// One period of care: how it began and what was recorded in it, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodScript {
    pub enter: EnterCareFacts,
    /// Dated commands in the order they are to be recorded; none is dated after `today`.
    pub commands: Vec<Command>,
    /// Set when the case was deliberately left drifting.
    pub drift: Option<Drift>,
}

impl PeriodScript {
    /// The day the period ended and why, when it ended on or before `today`.
    pub fn closed(&self) -> Option<(NaiveDate, permanence_domain::codes::ReasonCeased)> {
        self.commands.iter().rev().find_map(|c| match c {
            Command::CloseCase { on, reason } => Some((*on, *reason)),
            _ => None,
        })
    }
}

/// A child and their periods of care, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildScript {
    pub child: NewChild,
    pub periods: Vec<PeriodScript>,
}

impl ChildScript {
    /// Commands to record for this child, counting each period's opening.
    pub fn command_count(&self) -> usize {
        self.periods.iter().map(|p| p.commands.len() + 1).sum()
    }
}

/// A command's name, for progress and refusal messages.
pub fn command_name(command: &Command) -> &'static str {
    match command {
        Command::OpenCase(_) => "OpenCase",
        Command::AllocateCase { .. } => "AllocateCase",
        Command::RecordEpisode { .. } => "RecordEpisode",
        Command::RecordReview { .. } => "RecordReview",
        Command::RecordHealthAssessment { .. } => "RecordHealthAssessment",
        Command::RecordVisit { .. } => "RecordVisit",
        Command::SetRoutePlan { .. } => "SetRoutePlan",
        Command::EndParallelPlan { .. } => "EndParallelPlan",
        Command::RecordRouteStep { .. } => "RecordRouteStep",
        Command::ReverseAdoptionDecision { .. } => "ReverseAdoptionDecision",
        Command::RecordPlacementBreakdown { .. } => "RecordPlacementBreakdown",
        Command::RecordLegalStep { .. } => "RecordLegalStep",
        Command::CloseCase { .. } => "CloseCase",
        Command::RecordPanelOutcome { .. } => "RecordPanelOutcome",
        Command::RecordAgencyDecision { .. } => "RecordAgencyDecision",
        Command::RecordAdopters { .. } => "RecordAdopters",
        Command::RecordImportedHistory { .. } => "RecordImportedHistory",
    }
}

/// A stable command id for command `index` of period `period` of child `child` in the
/// cohort of `seed` generated on `today` (index 0 is the opening; the child's registration
/// uses period `u32::MAX`). Recording a cohort twice with these ids records it once: the
/// engine treats a repeated command id as already processed.
pub fn command_id(seed: u64, today: NaiveDate, child: usize, period: u32, index: u32) -> Uuid {
    let day = u64::from(today.to_epoch_days().cast_unsigned());
    let base = rng::mix64(seed ^ rng::mix64(day ^ 0x636f_686f_7274)); // "cohort"
    let who = rng::mix64(base ^ rng::mix64(child as u64));
    let what = (u64::from(period) << 32) | u64::from(index);
    let high = rng::mix64(who ^ rng::mix64(what));
    let low = rng::mix64(high ^ what.rotate_left(17) ^ base);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&high.to_be_bytes());
    bytes[8..].copy_from_slice(&low.to_be_bytes());
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests;
