//! What the measures read of one period of care, worked out once from its state.
//!
//! A report is a pass over every case's dated observations (each step's date, the days
//! between, whether a review was on time). Working those out from a case's state is most of
//! a report's cost, and they change only when the case does. So they are worked out once per
//! version of a case, into [`CaseFacts`], and every report, whatever its window or breakdown,
//! reads them: the engine keeps them in memory between reports, and the store keeps them
//! beside each case (written with the case, in the same transaction), so that a server's
//! first report reads these instead of decoding every case's whole state.
//!
//! Stored facts are a projection: [`FACTS_FORMAT`] names their shape and the rules that made
//! them. Change either (a field here, or what an observation means) and bump it: stored facts
//! of another format are worked out again from the case's state, never read.

use super::{
    A3_THRESHOLD, FOLLOW_THROUGHS, adopted_on, breakdown_rule, days_between, earliest_step,
    in_window, match_decision_on, moved_in_as_of, moved_in_on, moved_in_with_adopters_on,
    placement_order_on, route_at_end,
};
use crate::case::{CaseState, PlanEndReason, RoutePlan};
use crate::deadlines::health_review_period;
use crate::ids::CaseId;
use crate::route::steps;
use crate::route::{PLAN_ENDORSED, Route};
use crate::timescales::{FIRST_REVIEW, LATER_REVIEW, PROCEEDINGS, SECOND_REVIEW, Timescales};
use crate::visits;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The shape of [`CaseFacts`] and the rules that made them, as stored. See the module's
/// documentation: bump it with any change to what `CaseFacts::of` works out.
pub const FACTS_FORMAT: i32 = 3;

/// Everything the measures read of one period of care.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFacts {
    pub case_id: CaseId,
    pub team: Option<String>,
    #[serde(with = "day")]
    pub entered_care_on: NaiveDate,
    /// The day the period of care ended, if it has.
    #[serde(with = "optional_day")]
    pub closed_on: Option<NaiveDate>,
    /// See [`route_at_end`].
    pub route_at_end: Option<Route>,
    /// Every dated observation of the case, whatever the window.
    pub(super) observations: Vec<Observation>,
    pub(super) waiting: WaitingFacts,
}

impl CaseFacts {
    /// The observations dated in `[from, to]`.
    pub(super) fn observations_in(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Iterator<Item = &Observation> {
        self.observations
            .iter()
            .filter(move |o| in_window(o.on, from, to))
    }

    /// The facts of a case as its state stands.
    pub fn of(case: &CaseState) -> Self {
        let mut observations = Vec::new();
        observe(case, &mut |o| observations.push(o));
        CaseFacts {
            case_id: case.id,
            team: case.team.clone(),
            entered_care_on: case.entered_care_on,
            closed_on: case.closed.map(|c| c.on),
            route_at_end: route_at_end(case),
            observations,
            waiting: WaitingFacts::of(case),
        }
    }
}

/// The dates the children-waiting count reads (see `children_waiting`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct WaitingFacts {
    /// The move-in with adopters that stands on each day (see [`moved_in_as_of`]). It
    /// changes only at an adoptive placement's breakdown: one value up to the first, then one
    /// from each breakdown on.
    pub moved_in: Vec<MovedIn>,
    /// See [`placement_order_on`].
    #[serde(with = "optional_day")]
    pub placement_order: Option<NaiveDate>,
    /// Each adoption plan's decision that the child should be placed for adoption, with the
    /// day it was reversed, if it was.
    pub decisions: Vec<Decision>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct MovedIn {
    /// The breakdown from which this move-in stands; none for the days before any.
    #[serde(with = "optional_day")]
    pub from: Option<NaiveDate>,
    #[serde(with = "optional_day")]
    pub on: Option<NaiveDate>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Decision {
    #[serde(with = "day")]
    pub decided: NaiveDate,
    #[serde(with = "optional_day")]
    pub reversed: Option<NaiveDate>,
}

impl WaitingFacts {
    /// The move-in with adopters that stands on `on`, as [`moved_in_as_of`] gives it.
    pub fn moved_in_as_of(&self, on: NaiveDate) -> Option<NaiveDate> {
        self.moved_in
            .iter()
            .rev()
            .find(|m| m.from.is_none_or(|from| from <= on))
            .and_then(|m| m.on)
    }

    fn of(case: &CaseState) -> Self {
        let mut breakdowns: Vec<NaiveDate> = case
            .plans
            .iter()
            .filter(|p| p.route == Route::Adoption)
            .flat_map(|p| &p.breakdowns)
            .map(|b| b.on)
            .collect();
        breakdowns.sort_unstable();
        breakdowns.dedup();
        // Before the first breakdown, any day gives the same move-in: its eve does.
        let before = breakdowns
            .first()
            .and_then(|b| b.pred_opt())
            .unwrap_or(NaiveDate::MAX);
        let mut moved_in = vec![MovedIn {
            from: None,
            on: moved_in_as_of(case, before),
        }];
        moved_in.extend(breakdowns.into_iter().map(|b| MovedIn {
            from: Some(b),
            on: moved_in_as_of(case, b),
        }));
        WaitingFacts {
            moved_in,
            placement_order: placement_order_on(case),
            decisions: case
                .plans
                .iter()
                .filter(|p| p.route == Route::Adoption)
                .filter_map(|p| {
                    Some(Decision {
                        decided: p.taken(steps::SHOBPA_DECISION)?,
                        reversed: p.reversal.map(|r| r.on),
                    })
                })
                .collect(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Kind {
    Adoption,
    A1,
    /// A1's child, met when they moved in less than 14 months after entering care.
    A3,
    A10,
    A2,
    Reversal,
    SpecialGuardianshipOrder,
    ReturnHome,
    ChildArrangementsOrder,
    LongTermFosterMatch,
    /// Days between two steps of a plan: the route, the step before and the step taken.
    Step(Route, StepName, StepName),
    Panel(usize),
    Review,
    HealthAssessment,
    /// A statutory visit held (dated the day held), or one missed (dated the day it was due).
    Visit,
    PlanBySecondReview,
    Proceedings,
    /// A placement began on a route (the disruption rate's denominator).
    PlacementBegun(Route),
    /// A placement broke down, at a stage of its route.
    Breakdown(Route, StepName),
}

/// One fact of a case, dated by the date that selects it for a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Observation {
    #[serde(with = "day")]
    pub on: NaiveDate,
    pub kind: Kind,
    pub days: Option<i64>,
    pub met: bool,
}

impl Observation {
    fn days(on: NaiveDate, kind: Kind, days: i64) -> Self {
        Observation {
            on,
            kind,
            days: Some(days),
            met: false,
        }
    }
}

/// Every dated observation of one case, whatever the window.
fn observe(case: &CaseState, emit: &mut impl FnMut(Observation)) {
    // A period imported part-way began on a day no file held: what is measured from entering
    // care (A1, A10, the time to each permanence) is left out rather than measured from the
    // first day the return happened to hold.
    let start_known = !case.began_before_its_history();
    let entered = case.entered_care_on;
    if let Some(adopted) = adopted_on(case) {
        if start_known {
            emit(Observation::days(
                adopted,
                Kind::Adoption,
                days_between(entered, adopted),
            ));
        }
        if let Some(moved_in) = moved_in_on(case) {
            if start_known {
                emit(Observation::days(
                    adopted,
                    Kind::A1,
                    days_between(entered, moved_in),
                ));
                emit(Observation {
                    met: moved_in < A3_THRESHOLD.after(entered),
                    ..Observation::days(adopted, Kind::A3, days_between(entered, moved_in))
                });
            }
            if start_known && let Some(a10) = moved_in_with_adopters_on(case) {
                emit(Observation::days(
                    adopted,
                    Kind::A10,
                    days_between(entered, a10),
                ));
            }
            // In a period imported part-way, an order the first held placement already had
            // was made on a day no file holds: A2 cannot be measured from it.
            let order_known = |order: NaiveDate| {
                start_known || case.episodes.first().is_none_or(|e| order > e.starts_on)
            };
            if moved_in < adopted
                && let (Some(order), Some(matched)) =
                    (placement_order_on(case), match_decision_on(case))
                && order_known(order)
            {
                emit(Observation::days(
                    adopted,
                    Kind::A2,
                    days_between(order, matched).max(0),
                ));
            }
        }
    }
    if start_known {
        observe_routes(case, emit);
    }
    for plan in &case.plans {
        observe_plan(plan, emit);
    }
    observe_care_planning(case, emit);
    observe_health_assessments(case, emit);
    observe_visits(case, emit);
}

fn observe_routes(case: &CaseState, emit: &mut impl FnMut(Observation)) {
    let entered = case.entered_care_on;
    let mut to = |on: Option<NaiveDate>, kind: Kind| {
        if let Some(on) = on {
            emit(Observation::days(on, kind, days_between(entered, on)));
        }
    };
    to(
        earliest_step(case, Route::SpecialGuardianship, steps::SGO_GRANTED),
        Kind::SpecialGuardianshipOrder,
    );
    let placed_home = case
        .plans
        .iter()
        .filter(|p| {
            p.route == Route::Reunification
                && p.ended
                    .is_none_or(|end| end.reason == PlanEndReason::CaseClosed)
        })
        .filter_map(|p| p.taken(steps::PLACED_WITH_PARENTS))
        .min();
    let left_home = case
        .closed
        .filter(|c| c.reason.is_return_home())
        .map(|c| c.on);
    to(placed_home.or(left_home), Kind::ReturnHome);
    to(
        earliest_step(case, Route::ChildArrangementsOrder, steps::CAO_GRANTED),
        Kind::ChildArrangementsOrder,
    );
    to(
        earliest_step(case, Route::LongTermFostering, steps::MATCH_CONFIRMED),
        Kind::LongTermFosterMatch,
    );
}

fn observe_plan(plan: &RoutePlan, emit: &mut impl FnMut(Observation)) {
    let mut previous: (&'static str, NaiveDate) = (PLAN_ENDORSED, plan.started_on);
    for step in &plan.steps {
        // A step taken again after a placement broke down is timed from the breakdown, not
        // across the placement that failed.
        let since = plan
            .breakdowns
            .iter()
            .map(|b| b.on)
            .filter(|b| *b > previous.1 && *b <= step.on)
            .max()
            .unwrap_or(previous.1);
        emit(Observation::days(
            step.on,
            Kind::Step(
                plan.route,
                StepName(previous.0),
                step_name::intern(&step.step),
            ),
            days_between(since, step.on),
        ));
        previous = (step_name::intern(&step.step).0, step.on);
    }
    for (i, (_, route, panel, next)) in FOLLOW_THROUGHS.iter().enumerate() {
        if plan.route == *route
            && let (Some(from), Some(to)) = (plan.taken(panel), plan.taken(next))
        {
            emit(Observation::days(
                to,
                Kind::Panel(i),
                days_between(from, to),
            ));
        }
    }
    observe_breakdowns(plan, emit);
    if plan.route == Route::Adoption
        && let Some(reversal) = plan.reversal
    {
        let decided = plan
            .taken(steps::SHOBPA_DECISION)
            .unwrap_or(plan.started_on);
        emit(Observation::days(
            reversal.on,
            Kind::Reversal,
            days_between(decided, reversal.on),
        ));
    }
}

/// The placements begun on a plan (those standing and those that broke down) and each
/// breakdown, with how long its placement had lasted.
fn observe_breakdowns(plan: &RoutePlan, emit: &mut impl FnMut(Observation)) {
    let Some(rule) = breakdown_rule(plan.route) else {
        return;
    };
    let placed = |steps: &[crate::case::TakenStep]| {
        steps
            .iter()
            .filter(|s| s.step == rule.placement_step)
            .map(|s| s.on)
            .next()
    };
    let begun = placed(&plan.steps)
        .into_iter()
        .chain(plan.breakdowns.iter().filter_map(|b| placed(&b.undone)));
    for on in begun {
        emit(Observation::days(on, Kind::PlacementBegun(plan.route), 0));
    }
    for b in &plan.breakdowns {
        let from = placed(&b.undone).unwrap_or(plan.started_on);
        emit(Observation::days(
            b.on,
            Kind::Breakdown(plan.route, step_name::intern(&b.stage)),
            days_between(from, b.on),
        ));
    }
}

fn observe_care_planning(case: &CaseState, emit: &mut impl FnMut(Observation)) {
    // The first review is due 20 working days after entering care, the second 3 months
    // after the first was held, and each later one 6 months after the previous one held.
    // When the case does not hold the period's reviews from its start (an imported period
    // that began before the return's history, or whose return had no Reviews table), the
    // first review held is not the period's first: its due date follows from a review the
    // engine does not hold, so it is neither late nor on time, and each one after it is a
    // later review. Nor is the second review held the period's second.
    let from_start = case.holds_reviews_from_start();
    let mut previous = case.entered_care_on;
    for (i, &held) in case.reviews.iter().enumerate() {
        let period = match (i, from_start) {
            (0, true) => FIRST_REVIEW,
            (0, false) => {
                previous = held;
                continue;
            }
            (1, true) => SECOND_REVIEW,
            _ => LATER_REVIEW,
        };
        let due = period.after(previous);
        emit(Observation {
            on: held,
            kind: Kind::Review,
            days: Some(days_between(due, held)),
            met: held <= due,
        });
        previous = held;
    }
    // Nor is the plan by the second review measured for an imported period: the national
    // return carries no plan for permanence, and a plan the import records is dated by the
    // decision or order that implied it, not by the day the plan was made.
    if from_start
        && case.imported.is_none()
        && let Some(&second) = case.reviews.get(1)
    {
        let plan = case.permanence_plan_on();
        emit(Observation {
            on: second,
            kind: Kind::PlanBySecondReview,
            days: plan.map(|p| days_between(second, p)),
            met: plan.is_some_and(|p| p <= second),
        });
    }
    // Every set of proceedings the period has seen: a child may go through them more than
    // once (`crate::legal`).
    for p in case.legal.all_proceedings() {
        let Some((concluded, _)) = p.concluded else {
            continue;
        };
        emit(Observation {
            on: concluded,
            kind: Kind::Proceedings,
            days: Some(days_between(p.issued_on, concluded)),
            met: concluded <= PROCEEDINGS.after(p.issued_on),
        });
    }
}

fn observe_health_assessments(case: &CaseState, emit: &mut impl FnMut(Observation)) {
    // The initial assessment is due by the first review (20 working days after entering
    // care), each later one 6 months after the last for a child under five that day and 12
    // from five (CPPCR 2010 reg 7 and statutory guidance). Measured against those national
    // timescales, not a council's own settings, so that the figure compares across councils.
    // When the case does not hold the period's assessments from its start (an imported
    // period: the national return dates none), the first one held is not the period's
    // first: its due date is not known, so it is neither late nor on time.
    let national = Timescales::default();
    let from_start = case.holds_health_assessments_from_start();
    let mut last: Option<NaiveDate> = None;
    for held in case.health_assessments.iter().map(|a| a.on) {
        let due = match last {
            None if from_start => FIRST_REVIEW.after(case.entered_care_on),
            None => {
                last = Some(held);
                continue;
            }
            Some(last) => health_review_period(&national, case.child_birth_date, last).after(last),
        };
        emit(Observation {
            on: held,
            kind: Kind::HealthAssessment,
            days: Some(days_between(due, held)),
            met: held <= due,
        });
        last = Some(held);
    }
}

fn observe_visits(case: &CaseState, emit: &mut impl FnMut(Observation)) {
    // Each visit held in a placement against the due date the chain gave it (CPPCR 2010
    // reg 28, by `crate::visits`): within a week of the placement starting, then six-weekly
    // in its first year, then three-monthly for a long-term placement and six-weekly
    // otherwise. Whether the placement is long-term is read from the episode in force the
    // day the visit was held, as the deadline shown that day read it. A visit held during
    // a placement for adoption is not measured (the Adoption Agencies Regulations set
    // those), and the first visit recorded in a placement from an import is not either:
    // the return holds no visits, so its due date is not known.
    //
    // A placement that ended (a move, or leaving care) with its next visit's due date
    // passed and no visit held is a visit missed, dated on the day it was due. One still
    // overdue in the current placement is not counted here: it shows in drift, and counts
    // once a visit is held or the placement ends.
    for placement in visits::placements(case) {
        let held = visits::visits_in(case, &placement);
        let mut last: Option<NaiveDate> = None;
        for &on in &held {
            let Some(episode) = visits::episode_on(case, &placement, on) else {
                continue;
            };
            let unknown = last.is_none() && placement.from_history;
            if visits::under_reg_28(episode) && !unknown {
                let (from, period) =
                    visits::next_visit(placement.began_on, visits::long_term(episode), last);
                let due = period.after(from);
                emit(Observation {
                    on,
                    kind: Kind::Visit,
                    days: Some(days_between(due, on)),
                    met: on <= due,
                });
            }
            last = Some(on);
        }
        let Some(ended) = placement.ended_on else {
            continue;
        };
        let Some(episode) = case
            .episodes
            .get(placement.episodes.clone())
            .and_then(<[_]>::last)
        else {
            continue;
        };
        if !visits::under_reg_28(episode) || (last.is_none() && placement.from_history) {
            continue;
        }
        let (from, period) =
            visits::next_visit(placement.began_on, visits::long_term(episode), last);
        let due = period.after(from);
        if due < ended {
            emit(Observation {
                on: due,
                kind: Kind::Visit,
                days: None,
                met: false,
            });
        }
    }
}

/// Dates as days from the common era: four bytes or fewer where a date's text is ten.
mod day {
    use chrono::{Datelike, NaiveDate};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(on: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(on.num_days_from_ce())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let days = i32::deserialize(d)?;
        NaiveDate::from_num_days_from_ce_opt(days)
            .ok_or_else(|| D::Error::custom("a day out of the calendar's range"))
    }
}

mod optional_day {
    use chrono::{Datelike, NaiveDate};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(on: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        match on {
            Some(on) => s.serialize_some(&on.num_days_from_ce()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        Option::<i32>::deserialize(d)?
            .map(|days| {
                NaiveDate::from_num_days_from_ce_opt(days)
                    .ok_or_else(|| D::Error::custom("a day out of the calendar's range"))
            })
            .transpose()
    }
}

/// A step's name, shared: a report groups step durations by name, and the names come from
/// the route definitions, a vocabulary of some dozens. Each distinct name is kept once for
/// the life of the process, so what is kept is bounded by that vocabulary, not by the cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct StepName(pub &'static str);

impl Serialize for StepName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for StepName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(step_name::Name)
    }
}

mod step_name {
    use super::StepName;
    use serde::de::{self, Visitor};
    use std::collections::HashSet;
    use std::fmt;
    use std::sync::{Mutex, OnceLock, PoisonError};

    pub fn intern(name: &str) -> StepName {
        StepName(kept(name))
    }

    fn kept(name: &str) -> &'static str {
        static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
        let mut names = NAMES
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(kept) = names.get(name) {
            return kept;
        }
        let kept: &'static str = Box::leak(name.into());
        names.insert(kept);
        kept
    }

    /// Reads a name without a copy of its own: it is looked up, and kept only when new.
    pub(super) struct Name;

    impl Visitor<'_> for Name {
        type Value = StepName;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a step name")
        }

        fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
            Ok(intern(name))
        }
    }
}
