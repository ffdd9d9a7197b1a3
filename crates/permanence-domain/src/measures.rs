//! Timeliness measures for leaders (DOMAIN.md §4): the adoption scorecard (A1, A2, A3, A5,
//! A10, children waiting), days to permanence on the other routes, days in each step, panel
//! follow-through and the care-planning shares, with distributions, breakdowns and trends.
//!
//! Everything here is a pure function of the cases it is given and the dates asked about.
//! Each [`CaseState`] is one period of care: a child who re-entered care has several, and
//! the adoption measures use the period that ended in adoption, from its own start.
//!
//! Every figure keeps the cases behind it (case id, the child's reference and the value in
//! days), so that a leader can list them. References, never names.
//!
//! A report is one pass over the cases: each case's dated observations are worked out once
//! and routed to the report (or the group, or the quarter) whose window holds their date.
//! Only the distributions sort.

use crate::case::{CaseState, PlanEndReason, PlanRole};
use crate::codes::{LegalStatus, PlacementType, Sex};
use crate::deadlines::age_in_years;
use crate::ids::CaseId;
use crate::route::steps;
use crate::route::{Route, RouteCatalog};
use crate::timescales::Period;
use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

mod facts;

pub use facts::{CaseFacts, FACTS_FORMAT};
use facts::{Kind, Observation};

/// The A3 threshold: moved in less than 14 months (calendar months, strictly less) after
/// entering care.
pub const A3_THRESHOLD: Period = Period::Months(14);

/// The facts of the child that the breakdowns need, from the child's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildFacts {
    pub birth_date: NaiveDate,
    pub sex: Sex,
    /// SSDA903 ETHNIC code.
    pub ethnicity: String,
    pub local_authority: String,
    /// The authority's reference for the child (SSDA903 CHILD), shown in case lists. Shared,
    /// not copied, by every figure that lists the child: a national report lists hundreds of
    /// thousands of cases.
    pub reference: Arc<str>,
}

/// One period of care, as the measures read it, with the facts of its child.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CaseView<'a> {
    pub facts: &'a CaseFacts,
    pub child: &'a ChildFacts,
}

/// One case behind a figure, and its value in days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CaseValue {
    pub case_id: CaseId,
    pub child_reference: Arc<str>,
    pub days: i64,
}

/// A distribution of day counts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// How many values (children, or plans, or reversals: whatever the measure counts).
    pub children: usize,
    /// The mean, rounded to one decimal place (half away from zero).
    pub mean_days: Option<f64>,
    /// The middle value; for an even count, the average of the two middle values.
    pub median_days: Option<f64>,
    /// The 90th percentile by linear interpolation between closest ranks: with the `n`
    /// values sorted as `x[0] <= ... <= x[n-1]`, the rank is `r = 0.9 * (n - 1)` and the
    /// percentile `x[floor(r)] + (r - floor(r)) * (x[floor(r) + 1] - x[floor(r)])`. This is
    /// numpy's default `percentile(values, 90)` (method "linear"); it is not rounded.
    pub p90_days: Option<f64>,
    pub min_days: Option<i64>,
    pub max_days: Option<i64>,
}

impl Summary {
    /// The distribution of `days` (in any order). Empty: no children and no figures.
    pub fn from_days(days: &[i64]) -> Summary {
        let mut sorted = days.to_vec();
        sorted.sort_unstable();
        Self::from_sorted(&sorted)
    }

    fn from_sorted(x: &[i64]) -> Summary {
        let n = x.len();
        let (Some(&min), Some(&max)) = (x.first(), x.last()) else {
            return Summary {
                children: 0,
                mean_days: None,
                median_days: None,
                p90_days: None,
                min_days: None,
                max_days: None,
            };
        };
        let sum: i128 = x.iter().map(|&v| i128::from(v)).sum();
        let count = n as i128;
        let mean = round_div(sum * 10, count) as f64 / 10.0;
        let median = if n % 2 == 1 {
            x[n / 2] as f64
        } else {
            (i128::from(x[n / 2 - 1]) + i128::from(x[n / 2])) as f64 / 2.0
        };
        // r = 0.9 (n - 1) = (9 (n - 1)) / 10, kept in tenths so that the result is the
        // nearest double to the exact decimal.
        let tenths = 9 * (n - 1);
        let lo = tenths / 10;
        let frac = (tenths % 10) as i128;
        let hi = (lo + 1).min(n - 1);
        let p90 = (i128::from(x[lo]) * (10 - frac) + i128::from(x[hi]) * frac) as f64 / 10.0;
        Summary {
            children: n,
            mean_days: Some(mean),
            median_days: Some(median),
            p90_days: Some(p90),
            min_days: Some(min),
            max_days: Some(max),
        }
    }
}

/// A figure in days: its distribution and the cases behind it (in the order the cases were
/// given, and within a case in date order).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measure {
    pub summary: Summary,
    pub cases: Vec<CaseValue>,
}

impl Measure {
    fn from_cases(cases: Vec<CaseValue>) -> Measure {
        let days: Vec<i64> = cases.iter().map(|c| c.days).collect();
        Measure {
            summary: Summary::from_days(&days),
            cases,
        }
    }
}

/// One case (or one review) counted in a share, with whether it met the standard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShareCase {
    pub case_id: CaseId,
    pub child_reference: Arc<str>,
    /// The value in days the standard was judged on; each share says what it is. `None`
    /// when there is nothing to measure (no permanence plan at all).
    pub days: Option<i64>,
    pub met: bool,
}

/// How many of a set met a standard.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Share {
    pub numerator: usize,
    pub denominator: usize,
    /// `100 * numerator / denominator`, rounded to one decimal place; `None` when nothing
    /// was counted.
    pub percent: Option<f64>,
    pub cases: Vec<ShareCase>,
}

impl Share {
    fn from_cases(cases: Vec<ShareCase>) -> Share {
        let numerator = cases.iter().filter(|c| c.met).count();
        let denominator = cases.len();
        Share {
            numerator,
            denominator,
            percent: percent(numerator, denominator),
            cases,
        }
    }
}

/// Days from entering care to permanence on the routes other than adoption.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RouteTimeliness {
    /// To the special guardianship order (`sgo_granted`).
    pub special_guardianship_order: Measure,
    /// To the return home: the placement with parents on a reunification plan that was not
    /// abandoned, or failing that the day the child left care home (E4A, E4B, E13).
    pub return_home: Measure,
    /// To the child arrangements order (`cao_granted`).
    pub child_arrangements_order: Measure,
    /// To the confirmed long-term foster match (`match_confirmed`).
    pub long_term_foster_match: Measure,
}

/// Days between two consecutive steps of route plans.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepDuration {
    pub route: Route,
    pub from_step: String,
    pub to_step: String,
    /// One value per plan that took the pair of steps, dated by `to_step`.
    pub measure: Measure,
}

/// Days from a panel recommendation to what should follow it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FollowThrough {
    pub label: String,
    pub route: Route,
    pub from_step: String,
    pub to_step: String,
    pub measure: Measure,
}

/// Placement breakdowns (disruptions) on one route, or at one stage of it, in a window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Disruption {
    pub route: Route,
    /// The step the plan was at when the placement broke down (`placed_for_adoption`,
    /// `adoption_application`); `None` for the route's total.
    pub stage: Option<String>,
    /// The breakdowns dated in the window: days from the start of the placement (the
    /// route's placement step) to the breakdown.
    pub breakdowns: Measure,
    /// Placements begun on the route in the window (its placement step, counting those that
    /// later broke down): the rate's denominator, the same for every stage of a route.
    pub placements: usize,
    /// `100 * breakdowns / placements`, rounded to one decimal place; `None` when no
    /// placement began in the window.
    pub percent: Option<f64>,
}

/// Children counted as waiting, with the days each has waited so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Waiting {
    pub count: usize,
    pub cases: Vec<CaseValue>,
}

/// Children waiting on a date (A9 and the placement-order figures).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChildrenWaiting {
    pub on: NaiveDate,
    /// With a standing decision that they should be placed for adoption but not yet placed;
    /// days since the decision.
    pub with_decision: Waiting,
    /// With a placement order but not yet placed; days since the order.
    pub with_placement_order: Waiting,
    /// Of those with a placement order: more than 12 calendar months since the order.
    pub placement_order_over_12_months: Waiting,
    /// Of those with a placement order: more than 18 calendar months since the order.
    pub placement_order_over_18_months: Waiting,
    /// Of those with a placement order: more than 18 calendar months since entering care;
    /// days since entering care.
    pub in_care_over_18_months: Waiting,
}

/// The timeliness of a service over a window `[from, to]` (both days included).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimelinessReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Children adopted (E11, E12) in the window: days from entering care to adoption.
    pub adoptions: Measure,
    /// A1: days from entering care to moving in with the adoptive family.
    pub a1: Measure,
    /// A10: as A1, but to moving in with the foster carers who adopted the child.
    pub a10: Measure,
    /// A2: days from the placement order to the match decision, never below 0.
    pub a2: Measure,
    /// A3: A1's children who moved in less than 14 months after entering care (days are A1's).
    pub a3: Share,
    /// A5: decisions that the child should be placed for adoption reversed in the window.
    pub a5_reversals: usize,
    /// The reversals behind A5: days from the decision to its reversal.
    pub a5_cases: Vec<CaseValue>,
    pub route_timeliness: RouteTimeliness,
    /// Ordered by route, then by the steps' order in the standard route definitions.
    pub step_durations: Vec<StepDuration>,
    /// The six panel follow-throughs, always in the same order, empty or not.
    pub panel_follow_through: Vec<FollowThrough>,
    /// Reviews held in the window on or before their due date; days are held minus due
    /// (0 or less is on time). One entry per review whose due date the engine holds: not the
    /// first review held in an imported period that began before the return's history or
    /// whose return had no Reviews table.
    pub reviews_on_time: Share,
    /// Health assessments held in the window on or before their due date, by the national
    /// timescales (the initial one by the first review, then 6-monthly under five and yearly
    /// from five); days are held minus due. Not the first one held in an imported period,
    /// whose return dates none.
    pub health_assessments_on_time: Share,
    /// Statutory visits by the social worker (CPPCR 2010 reg 28) due in the window and made
    /// on or before their due date: each visit held in the window, against the due date the
    /// chain of visits gave it (days are held minus due), and each visit missed (a due date
    /// in the window passed with no visit before the placement ended or the child left
    /// care; no days). Not visits during a placement for adoption (the Adoption Agencies
    /// Regulations set those), nor the first visit recorded in a placement brought in by an
    /// import (the return holds no visits). See `crate::visits`.
    pub visits_on_time: Share,
    /// Cases whose second review was held in the window and whose first plan for
    /// permanence was recorded on or before it; days are plan minus second review. Periods
    /// of care brought in by an import are not counted (the return carries no plans).
    pub permanence_plan_by_second_review: Share,
    /// Care proceedings concluded in the window within 26 weeks (182 days) of issue,
    /// extensions not counted; days are from issue to the final hearing.
    pub proceedings_within_26_weeks: Share,
    /// Mean length of those proceedings in weeks, rounded to one decimal place.
    pub proceedings_mean_weeks: Option<f64>,
    /// Children waiting on the window's last day.
    pub waiting_at_end: ChildrenWaiting,
    /// Placement breakdowns in the window: for each route that has a placement that can
    /// break down (in route order), its total, then each stage at which one broke down.
    pub disruptions: Vec<Disruption>,
}

/// The breakdowns leaders ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GroupBy {
    LocalAuthority,
    Team,
    /// The route of the case's primary plan at the end (when it closed, or now); "none".
    Route,
    Sex,
    /// DfE age bands at entering care: under 1, 1 to 4, 5 to 9, 10 to 15, 16 and over.
    AgeBandAtEntry,
    Ethnicity,
}

/// The name of the "all cases" group in [`grouped_report`].
pub const ALL_GROUP: &str = "all";
/// The group of cases without a team or a route plan.
pub const NO_GROUP: &str = "none";

/// A report for one group of cases.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupReport {
    pub group: String,
    pub report: TimelinessReport,
}

/// The DfE age bands, in order.
pub const AGE_BANDS: [&str; 5] = ["under 1", "1 to 4", "5 to 9", "10 to 15", "16 and over"];

/// The DfE age band of a child of `age` whole years.
pub fn age_band(age: i32) -> &'static str {
    AGE_BANDS[age_band_index(age)]
}

fn age_band_index(age: i32) -> usize {
    match age {
        i32::MIN..=0 => 0,
        1..=4 => 1,
        5..=9 => 2,
        10..=15 => 3,
        _ => 4,
    }
}

/// The route of the case's primary plan at the end: the active primary plan, or the one
/// that was primary when the case closed. `None` when there is neither (no plan, or the
/// last plan was abandoned without a new one).
pub fn route_at_end(case: &CaseState) -> Option<Route> {
    case.plans
        .iter()
        .filter(|p| {
            p.role == PlanRole::Primary
                && p.ended
                    .is_none_or(|end| end.reason == PlanEndReason::CaseClosed)
        })
        .max_by_key(|p| p.id)
        .map(|p| p.route)
}

/// The value of a case for a breakdown.
pub fn group_of<'a>(view: &CaseView<'a>, by: GroupBy) -> &'a str {
    match by {
        GroupBy::LocalAuthority => &view.child.local_authority,
        GroupBy::Team => view.facts.team.as_deref().unwrap_or(NO_GROUP),
        GroupBy::Route => view.facts.route_at_end.map_or(NO_GROUP, Route::label),
        GroupBy::Sex => view.child.sex.label(),
        GroupBy::AgeBandAtEntry => age_band(age_in_years(
            view.child.birth_date,
            view.facts.entered_care_on,
        )),
        GroupBy::Ethnicity => &view.child.ethnicity,
    }
}

/// The day the child moved in with the adoptive family: the earliest of the placement for
/// adoption on any adoption plan and the start of the first A3–A6 episode. After an
/// adoptive placement broke down, the move-in that counts is with the family who adopted
/// (DOMAIN.md §4, A1): the first after the latest breakdown (see [`moved_in_as_of`]).
pub fn moved_in_on(case: &CaseState) -> Option<NaiveDate> {
    moved_in_as_of(case, NaiveDate::MAX)
}

/// The move-in with adopters that stands on `on`: as [`moved_in_on`], counting only the
/// move-ins on or after the latest adoptive placement breakdown dated on or before `on`. A
/// child whose placement broke down is waiting again from the breakdown until they move in
/// with new adopters. (It may be later than `on`: callers compare.)
pub fn moved_in_as_of(case: &CaseState, on: NaiveDate) -> Option<NaiveDate> {
    let since = adoptive_breakdown_by(case, on);
    // A placement that broke down after `on` still stood on `on`: its step went back off
    // the route into the plan's breakdowns.
    let stood_on = case
        .plans
        .iter()
        .filter(|p| p.route == Route::Adoption)
        .flat_map(|p| &p.breakdowns)
        .filter(|b| b.on > on)
        .flat_map(|b| &b.undone)
        .filter(|s| s.step == steps::PLACED_FOR_ADOPTION)
        .map(|s| s.on)
        .min();
    let step = min_opt(
        earliest_step(case, Route::Adoption, steps::PLACED_FOR_ADOPTION),
        stood_on,
    )
    .filter(|placed| since.is_none_or(|b| *placed >= b));
    let episode = adoptive_episode(case, since).map(|k| case.episodes[k].starts_on);
    min_opt(step, episode)
}

/// The latest breakdown of an adoptive placement on or before `on`, on any adoption plan.
fn adoptive_breakdown_by(case: &CaseState, on: NaiveDate) -> Option<NaiveDate> {
    case.plans
        .iter()
        .filter(|p| p.route == Route::Adoption)
        .flat_map(|p| &p.breakdowns)
        .map(|b| b.on)
        .filter(|b| *b <= on)
        .max()
}

/// The episode in which the child moved in with the adoptive family: the first A3–A6
/// episode beginning on or after `since` (a breakdown) that is a move, not the placement
/// that broke down carrying on in a new episode (a change of legal status alone).
fn adoptive_episode(case: &CaseState, since: Option<NaiveDate>) -> Option<usize> {
    let episodes = &case.episodes;
    let before_since = |e: &crate::case::Episode| since.is_some_and(|b| e.starts_on < b);
    (0..episodes.len()).find(|&k| {
        let e = &episodes[k];
        e.placement.is_placed_for_adoption()
            && !before_since(e)
            && (k == 0
                || !(episodes[k - 1].placement.is_placed_for_adoption()
                    && before_since(&episodes[k - 1])))
    })
}

/// The A10 date: the day the child moved in with the carers who adopted them, when they were
/// their foster carers first; otherwise the A1 date.
///
/// The child was adopted by their own foster carers as [`adopted_by_foster_carers`] says
/// (the rule the return's AD1 FOSTER_CARE flag uses too). The clock then stops at the start of the earliest of the consecutive episodes,
/// ending just before the adoptive placement, with that carer reference (the previous
/// episode's reference: for A3 and A5 that episode's carers are, by the code, the adopters);
/// with no carer reference recorded, the consecutive episodes with the same placement type
/// and provider.
pub fn moved_in_with_adopters_on(case: &CaseState) -> Option<NaiveDate> {
    let a1 = moved_in_on(case)?;
    let episodes = &case.episodes;
    // The adopters' episode: after a breakdown, the placement with the family who adopted.
    let Some(k) = adopters_episode(case) else {
        return Some(a1);
    };
    // A child whose first episode is the adoptive placement has no earlier foster placement
    // on record to walk back over.
    if k == 0 || !adopted_by_foster_carers(case) {
        return Some(a1);
    }
    let before = &episodes[k - 1];
    let mut first = k - 1;
    // The same carers, as far back as the record can tell: the same carer reference, or,
    // where none was recorded, the same placement type with the same provider (a change of
    // legal status alone starts a new episode with the same carers).
    let same_carers = |e: &crate::case::Episode| match &before.carer {
        Some(_) => e.carer == before.carer,
        None => {
            e.carer.is_none() && e.placement == before.placement && e.provider == before.provider
        }
    };
    while first > 0 && same_carers(&episodes[first - 1]) {
        first -= 1;
    }
    Some(episodes[first].starts_on.min(a1))
}

/// The episode in which the child moved in with the family who adopted (after a breakdown,
/// the placement that followed it).
fn adopters_episode(case: &CaseState) -> Option<usize> {
    adoptive_episode(case, adoptive_breakdown_by(case, NaiveDate::MAX))
}

/// Whether the child was placed for adoption with their own foster carers: the adopters'
/// placement (see [`moved_in_with_adopters_on`]) is A3 or A5 ("with current foster carer"),
/// or has the same carer reference as the episode before it. One rule for the national
/// return's adopted-by-foster-carer flag (AD1 FOSTER_CARE) and for A10's foster-carer
/// adjustment, so that the two never tell a different story about one child.
pub fn adopted_by_foster_carers(case: &CaseState) -> bool {
    let Some(k) = adopters_episode(case) else {
        return false;
    };
    let adoptive = &case.episodes[k];
    let with_current_carer = matches!(adoptive.placement, PlacementType::A3 | PlacementType::A5);
    let same_carer =
        k > 0 && adoptive.carer.is_some() && adoptive.carer == case.episodes[k - 1].carer;
    with_current_carer || same_carer
}

/// The court's authority to place: the earliest of the placement order step on any
/// adoption plan and the first episode with legal status E1 (or D1, a freeing order).
pub fn placement_order_on(case: &CaseState) -> Option<NaiveDate> {
    let step = earliest_step(case, Route::Adoption, steps::PLACEMENT_ORDER);
    let episode = case
        .episodes
        .iter()
        .find(|e| matches!(e.legal_status, LegalStatus::E1 | LegalStatus::D1))
        .map(|e| e.starts_on);
    min_opt(step, episode)
}

/// The match decision behind the adoption: the adopting plan's (the one with the adoption
/// order); failing that, the latest match decision on any adoption plan.
fn match_decision_on(case: &CaseState) -> Option<NaiveDate> {
    let adoption_plans = || case.plans.iter().filter(|p| p.route == Route::Adoption);
    adoption_plans()
        .filter(|p| p.taken(steps::ADOPTION_ORDER).is_some())
        .find_map(|p| p.taken(steps::MATCH_DECISION))
        .or_else(|| {
            adoption_plans()
                .filter_map(|p| p.taken(steps::MATCH_DECISION))
                .max()
        })
}

/// The adoption date (the day the period of care ended in adoption), if it did.
pub fn adopted_on(case: &CaseState) -> Option<NaiveDate> {
    case.closed.filter(|c| c.reason.is_adoption()).map(|c| c.on)
}

fn earliest_step(case: &CaseState, route: Route, step: &str) -> Option<NaiveDate> {
    case.plans
        .iter()
        .filter(|p| p.route == route)
        .filter_map(|p| p.taken(step))
        .min()
}

fn min_opt(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<NaiveDate> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

/// Round `num / den` to the nearest integer, halves away from zero (`den > 0`).
fn round_div(num: i128, den: i128) -> i128 {
    if num >= 0 {
        (2 * num + den) / (2 * den)
    } else {
        -((-2 * num + den) / (2 * den))
    }
}

fn percent(numerator: usize, denominator: usize) -> Option<f64> {
    (denominator > 0)
        .then(|| round_div(numerator as i128 * 1000, denominator as i128) as f64 / 10.0)
}

/// The panel follow-throughs: (label, route, panel step, the step that should follow).
const FOLLOW_THROUGHS: [(&str, Route, &str, &str); 6] = [
    (
        "adoption panel recommendation to the decision that the child should be placed for adoption",
        Route::Adoption,
        steps::ADOPTION_PANEL_RECOMMENDATION,
        steps::SHOBPA_DECISION,
    ),
    (
        "matching panel recommendation to the match decision",
        Route::Adoption,
        steps::MATCHING_PANEL_RECOMMENDATION,
        steps::MATCH_DECISION,
    ),
    (
        "matching panel recommendation to the placement for adoption",
        Route::Adoption,
        steps::MATCHING_PANEL_RECOMMENDATION,
        steps::PLACED_FOR_ADOPTION,
    ),
    (
        "special guardianship panel recommendation to the agency decision maker's decision",
        Route::SpecialGuardianship,
        steps::PANEL_RECOMMENDATION,
        steps::ADM_DECISION,
    ),
    (
        "long-term fostering panel recommendation to the match approval",
        Route::LongTermFostering,
        steps::PANEL_RECOMMENDATION,
        steps::MATCH_APPROVED,
    ),
    (
        "long-term fostering panel recommendation to the match confirmation",
        Route::LongTermFostering,
        steps::PANEL_RECOMMENDATION,
        steps::MATCH_CONFIRMED,
    ),
];

/// A route's breakdown rule in the standard definitions.
fn breakdown_rule(route: Route) -> Option<&'static crate::route::BreakdownRule> {
    standard_catalog()?.current(route).breakdown.as_ref()
}

fn standard_catalog() -> Option<&'static RouteCatalog> {
    static CATALOG: OnceLock<Option<RouteCatalog>> = OnceLock::new();
    CATALOG
        .get_or_init(|| RouteCatalog::standard().ok())
        .as_ref()
}

/// Collects the observations that fall in one report's window.
#[derive(Default)]
struct Accumulator {
    adoptions: Vec<CaseValue>,
    a1: Vec<CaseValue>,
    a3: Vec<ShareCase>,
    a10: Vec<CaseValue>,
    a2: Vec<CaseValue>,
    reversals: Vec<CaseValue>,
    sgo: Vec<CaseValue>,
    home: Vec<CaseValue>,
    cao: Vec<CaseValue>,
    ltf: Vec<CaseValue>,
    steps: HashMap<(Route, &'static str, &'static str), Vec<CaseValue>>,
    panel: [Vec<CaseValue>; FOLLOW_THROUGHS.len()],
    reviews: Vec<ShareCase>,
    health_assessments: Vec<ShareCase>,
    visits: Vec<ShareCase>,
    plan_by_second_review: Vec<ShareCase>,
    proceedings: Vec<ShareCase>,
    placements_begun: HashMap<Route, usize>,
    breakdowns: Vec<(Route, &'static str, CaseValue)>,
}

impl Accumulator {
    fn add(&mut self, view: &CaseView<'_>, o: &Observation) {
        let value = || CaseValue {
            case_id: view.facts.case_id,
            child_reference: view.child.reference.clone(),
            days: o.days.unwrap_or(0),
        };
        let share = || ShareCase {
            case_id: view.facts.case_id,
            child_reference: view.child.reference.clone(),
            days: o.days,
            met: o.met,
        };
        match o.kind {
            Kind::Adoption => self.adoptions.push(value()),
            Kind::A1 => self.a1.push(value()),
            Kind::A3 => self.a3.push(share()),
            Kind::A10 => self.a10.push(value()),
            Kind::A2 => self.a2.push(value()),
            Kind::Reversal => self.reversals.push(value()),
            Kind::SpecialGuardianshipOrder => self.sgo.push(value()),
            Kind::ReturnHome => self.home.push(value()),
            Kind::ChildArrangementsOrder => self.cao.push(value()),
            Kind::LongTermFosterMatch => self.ltf.push(value()),
            Kind::Step(route, from, to) => self
                .steps
                .entry((route, from.0, to.0))
                .or_default()
                .push(value()),
            Kind::Panel(i) => {
                if let Some(list) = self.panel.get_mut(i) {
                    list.push(value());
                }
            }
            Kind::Review => self.reviews.push(share()),
            Kind::HealthAssessment => self.health_assessments.push(share()),
            Kind::Visit => self.visits.push(share()),
            Kind::PlanBySecondReview => self.plan_by_second_review.push(share()),
            Kind::Proceedings => self.proceedings.push(share()),
            Kind::PlacementBegun(route) => *self.placements_begun.entry(route).or_default() += 1,
            Kind::Breakdown(route, stage) => self.breakdowns.push((route, stage.0, value())),
        }
    }

    fn finish(self, from: NaiveDate, to: NaiveDate, waiting: ChildrenWaiting) -> TimelinessReport {
        let a3 = Share::from_cases(self.a3);
        let mut steps: Vec<_> = self.steps.into_iter().collect();
        steps.sort_by(|((ra, fa, ta), _), ((rb, fb, tb), _)| {
            (ra, step_rank(*ra, fa), step_rank(*ra, ta), fa, ta).cmp(&(
                rb,
                step_rank(*rb, fb),
                step_rank(*rb, tb),
                fb,
                tb,
            ))
        });
        let step_durations = steps
            .into_iter()
            .map(|((route, from_step, to_step), cases)| StepDuration {
                route,
                from_step: from_step.to_owned(),
                to_step: to_step.to_owned(),
                measure: Measure::from_cases(cases),
            })
            .collect();
        let panel_follow_through = FOLLOW_THROUGHS
            .iter()
            .zip(self.panel)
            .map(|((label, route, panel, next), cases)| FollowThrough {
                label: (*label).to_owned(),
                route: *route,
                from_step: (*panel).to_owned(),
                to_step: (*next).to_owned(),
                measure: Measure::from_cases(cases),
            })
            .collect();
        let proceedings_mean_weeks = {
            let n = self.proceedings.len() as i128;
            let total: i128 = self
                .proceedings
                .iter()
                .map(|c| i128::from(c.days.unwrap_or(0)))
                .sum();
            (n > 0).then(|| round_div(total * 10, 7 * n) as f64 / 10.0)
        };
        let disruptions = disruptions(&self.placements_begun, self.breakdowns);
        TimelinessReport {
            from,
            to,
            adoptions: Measure::from_cases(self.adoptions),
            a1: Measure::from_cases(self.a1),
            a10: Measure::from_cases(self.a10),
            a2: Measure::from_cases(self.a2),
            a3,
            a5_reversals: self.reversals.len(),
            a5_cases: self.reversals,
            route_timeliness: RouteTimeliness {
                special_guardianship_order: Measure::from_cases(self.sgo),
                return_home: Measure::from_cases(self.home),
                child_arrangements_order: Measure::from_cases(self.cao),
                long_term_foster_match: Measure::from_cases(self.ltf),
            },
            step_durations,
            panel_follow_through,
            reviews_on_time: Share::from_cases(self.reviews),
            health_assessments_on_time: Share::from_cases(self.health_assessments),
            visits_on_time: Share::from_cases(self.visits),
            permanence_plan_by_second_review: Share::from_cases(self.plan_by_second_review),
            proceedings_within_26_weeks: Share::from_cases(self.proceedings),
            proceedings_mean_weeks,
            waiting_at_end: waiting,
            disruptions,
        }
    }
}

/// Each route's total of breakdowns, then its stages with one, in the order of the route's
/// breakdown rule; every route that has a rule, with or without breakdowns.
fn disruptions(
    placements_begun: &HashMap<Route, usize>,
    breakdowns: Vec<(Route, &str, CaseValue)>,
) -> Vec<Disruption> {
    let mut out = Vec::new();
    for route in Route::ALL {
        let Some(rule) = breakdown_rule(*route) else {
            continue;
        };
        let placements = placements_begun.get(route).copied().unwrap_or(0);
        let row = |stage: Option<&str>| {
            let cases: Vec<CaseValue> = breakdowns
                .iter()
                .filter(|(r, s, _)| r == route && stage.is_none_or(|stage| stage == *s))
                .map(|(_, _, v)| v.clone())
                .collect();
            Disruption {
                route: *route,
                stage: stage.map(str::to_owned),
                percent: percent(cases.len(), placements),
                breakdowns: Measure::from_cases(cases),
                placements,
            }
        };
        out.push(row(None));
        for stage in rule.at {
            if breakdowns.iter().any(|(r, s, _)| r == route && s == stage) {
                out.push(row(Some(stage)));
            }
        }
    }
    out
}

/// A step's position in the standard definition of its route (unknown steps last), so that
/// step durations read in the order of the route.
fn step_rank(route: Route, step: &str) -> usize {
    standard_catalog()
        .and_then(|c| c.current(route).steps.iter().position(|s| s.key == step))
        .unwrap_or(usize::MAX)
}

fn in_window(on: NaiveDate, from: NaiveDate, to: NaiveDate) -> bool {
    from <= on && on <= to
}

/// The timeliness of the service over `[from, to]`, over the given periods of care.
///
/// Children adopted are selected by their adoption date, route and step figures by the
/// later date, reviews by the date held, proceedings by the final hearing; children waiting
/// are those waiting on `to`.
pub fn timeliness_report(
    cases: &[CaseView<'_>],
    from: NaiveDate,
    to: NaiveDate,
) -> TimelinessReport {
    let mut acc = Accumulator::default();
    let mut waiting = WaitingAcc::default();
    for view in cases {
        for o in view.facts.observations_in(from, to) {
            acc.add(view, o);
        }
        waiting.add(view, to);
    }
    acc.finish(from, to, waiting.finish(to))
}

/// The report for all cases (group [`ALL_GROUP`], first) and for each value of the
/// breakdown that the cases have. Age bands come in band order, other groups by name.
pub fn grouped_report(
    cases: &[CaseView<'_>],
    from: NaiveDate,
    to: NaiveDate,
    group_by: GroupBy,
) -> Vec<GroupReport> {
    let mut out = vec![GroupReport {
        group: ALL_GROUP.to_owned(),
        report: timeliness_report(cases, from, to),
    }];
    out.extend(
        breakdowns(cases, from, to, &[group_by])
            .into_iter()
            .flatten(),
    );
    out
}

/// For each breakdown, the report for each of its groups that the cases have (no
/// [`ALL_GROUP`]), as [`grouped_report`] gives them: worked out in one pass over the cases,
/// so that a page with several breakdowns reads each case's observations once.
pub fn breakdowns(
    cases: &[CaseView<'_>],
    from: NaiveDate,
    to: NaiveDate,
    by: &[GroupBy],
) -> Vec<Vec<GroupReport>> {
    let mut tables: Vec<Groups<'_>> = by.iter().map(|_| Groups::default()).collect();
    let mut slots: Vec<usize> = Vec::with_capacity(by.len());
    for view in cases {
        slots.clear();
        slots.extend(
            by.iter()
                .zip(&mut tables)
                .map(|(by, table)| table.slot(group_of(view, *by))),
        );
        for o in view.facts.observations_in(from, to) {
            for (table, &slot) in tables.iter_mut().zip(&slots) {
                table.groups[slot].1.add(view, o);
            }
        }
        for (table, &slot) in tables.iter_mut().zip(&slots) {
            table.groups[slot].2.add(view, to);
        }
    }
    tables
        .into_iter()
        .zip(by)
        .map(|(table, by)| table.finish(from, to, *by))
        .collect()
}

/// The groups of one breakdown as a pass collects them, in the order first seen.
#[derive(Default)]
struct Groups<'a> {
    index: HashMap<&'a str, usize>,
    groups: Vec<(&'a str, Accumulator, WaitingAcc)>,
}

impl<'a> Groups<'a> {
    fn slot(&mut self, name: &'a str) -> usize {
        *self.index.entry(name).or_insert_with(|| {
            self.groups
                .push((name, Accumulator::default(), WaitingAcc::default()));
            self.groups.len() - 1
        })
    }

    /// Age bands in band order, other groups by name.
    fn finish(self, from: NaiveDate, to: NaiveDate, by: GroupBy) -> Vec<GroupReport> {
        let order = |name: &str| match by {
            GroupBy::AgeBandAtEntry => AGE_BANDS
                .iter()
                .position(|b| *b == name)
                .unwrap_or(AGE_BANDS.len()),
            _ => 0,
        };
        let mut groups = self.groups;
        groups.sort_by(|(a, ..), (b, ..)| (order(a), a).cmp(&(order(b), b)));
        groups
            .into_iter()
            .map(|(group, acc, waiting)| GroupReport {
                report: acc.finish(from, to, waiting.finish(to)),
                group: group.to_owned(),
            })
            .collect()
    }
}

/// The calendar quarters (January to March, April to June, ...) that intersect `[from, to]`,
/// each clipped to the window. Empty when `from > to`.
pub fn quarters(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let end = quarter_end(start).min(to);
        out.push((start, end));
        match end.checked_add_days(Days::new(1)) {
            Some(next) => start = next,
            None => break,
        }
    }
    out
}

fn quarter_index(on: NaiveDate) -> i64 {
    i64::from(on.year()) * 4 + i64::from(on.month0() / 3)
}

fn quarter_end(on: NaiveDate) -> NaiveDate {
    let last_month = on.month0() / 3 * 3 + 3;
    let (year, month) = if last_month == 12 {
        (on.year() + 1, 1)
    } else {
        (on.year(), last_month + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

/// One period of a trend.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub report: TimelinessReport,
}

/// The report for each calendar quarter that intersects `[from, to]`, clipped to the window
/// (see [`quarters`]). Each quarter's children waiting are those waiting on its last day.
pub fn quarterly_report(
    cases: &[CaseView<'_>],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<PeriodReport> {
    let periods = quarters(from, to);
    let Some(&(first, _)) = periods.first() else {
        return vec![];
    };
    let base = quarter_index(first);
    let mut accs: Vec<Accumulator> = periods.iter().map(|_| Accumulator::default()).collect();
    let mut waiting: Vec<WaitingAcc> = periods.iter().map(|_| WaitingAcc::default()).collect();
    for view in cases {
        for o in view.facts.observations_in(from, to) {
            if let Ok(i) = usize::try_from(quarter_index(o.on) - base)
                && let Some(acc) = accs.get_mut(i)
            {
                acc.add(view, o);
            }
        }
        for (w, (_, end)) in waiting.iter_mut().zip(&periods) {
            w.add(view, *end);
        }
    }
    periods
        .into_iter()
        .zip(accs.into_iter().zip(waiting))
        .map(|((from, to), (acc, w))| PeriodReport {
            from,
            to,
            report: acc.finish(from, to, w.finish(to)),
        })
        .collect()
}

/// The children waiting on `on`, over the periods of care open that day (entered on or
/// before it, and not closed or closed after it).
///
/// - With a decision: a decision that the child should be placed for adoption on or before
///   `on`, on a plan whose decision was not reversed on or before `on`, and not moved in
///   with adopters (see [`moved_in_on`]) on or before `on`.
/// - With a placement order: an order (see [`placement_order_on`]) on or before `on`, not
///   moved in, and the adoption decision not reversed by then (a child whose plan moved
///   away from adoption is not waiting for adopters, although the order may still stand).
/// - Over 12 (18) months: the order plus 12 (18) calendar months is before `on`; over 18
///   months in care: entering care plus 18 calendar months is before `on`.
pub fn children_waiting(cases: &[CaseView<'_>], on: NaiveDate) -> ChildrenWaiting {
    let mut acc = WaitingAcc::default();
    for view in cases {
        acc.add(view, on);
    }
    acc.finish(on)
}

#[derive(Default)]
struct WaitingAcc {
    with_decision: Vec<CaseValue>,
    with_order: Vec<CaseValue>,
    order_12: Vec<CaseValue>,
    order_18: Vec<CaseValue>,
    care_18: Vec<CaseValue>,
}

impl WaitingAcc {
    fn add(&mut self, view: &CaseView<'_>, on: NaiveDate) {
        let case = view.facts;
        let facts = &case.waiting;
        let open = case.entered_care_on <= on && case.closed_on.is_none_or(|c| c > on);
        if !open || facts.moved_in_as_of(on).is_some_and(|m| m <= on) {
            return;
        }
        let value = |since: NaiveDate| CaseValue {
            case_id: case.case_id,
            child_reference: view.child.reference.clone(),
            days: days_between(since, on),
        };
        let mut standing: Option<NaiveDate> = None;
        let mut reversed = false;
        for decision in facts.decisions.iter().filter(|d| d.decided <= on) {
            if decision.reversed.is_some_and(|r| r <= on) {
                reversed = true;
            } else {
                standing = min_opt(standing, Some(decision.decided));
            }
        }
        if let Some(decided) = standing {
            self.with_decision.push(value(decided));
        }
        if standing.is_none() && reversed {
            return;
        }
        let Some(order) = facts.placement_order.filter(|o| *o <= on) else {
            return;
        };
        self.with_order.push(value(order));
        if Period::Months(12).after(order) < on {
            self.order_12.push(value(order));
        }
        if Period::Months(18).after(order) < on {
            self.order_18.push(value(order));
        }
        if Period::Months(18).after(case.entered_care_on) < on {
            self.care_18.push(value(case.entered_care_on));
        }
    }

    fn finish(self, on: NaiveDate) -> ChildrenWaiting {
        let waiting = |cases: Vec<CaseValue>| Waiting {
            count: cases.len(),
            cases,
        };
        ChildrenWaiting {
            on,
            with_decision: waiting(self.with_decision),
            with_placement_order: waiting(self.with_order),
            placement_order_over_12_months: waiting(self.order_12),
            placement_order_over_18_months: waiting(self.order_18),
            in_care_over_18_months: waiting(self.care_18),
        }
    }
}
