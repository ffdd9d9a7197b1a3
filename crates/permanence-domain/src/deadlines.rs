//! Deadlines derived from a case's state, and drift: how a deadline stands on a given date.
//!
//! Deadlines are recomputed from the whole state after every command rather than scheduled
//! as timers, so they are always consistent with the history, and drift (a comparison of
//! `due_on` with a date) is right on any day without a background job.
//!
//! Deadlines only come from facts the engine holds. A period of care brought in by an
//! import holds what its return carried: a care-planning chain the return did not carry (no
//! Reviews table, no dated health assessments, a period that began before the return's
//! history) has a deadline *not known from the return* until a worker records its next
//! link. Such a deadline is never overdue or due soon (`DriftStatus::NotKnownFromReturn`).

use crate::case::{CaseState, RoutePlan};
use crate::legal::LegalTrack;
use crate::panel::{PanelOutcome, PanelPurpose};
use crate::route::{Route, RouteCatalog, RouteDefinition};
use crate::timescales::{self, Basis, Period, Timescales};
use crate::visits;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Which part of the case a deadline belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeadlineCategory {
    /// Reviews, permanence plan, health assessments, statutory visits.
    CarePlanning,
    /// Pre-proceedings and care proceedings.
    Legal,
    /// A step of a route to permanence.
    Route,
}

/// Something due on a case, the rule that set it, and where the rule comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// Unique within the case ("review", "plan2:adm_match_decision").
    pub key: String,
    /// The rule's key ("adm_match_decision").
    pub rule: String,
    /// What is due, in words.
    pub label: String,
    pub category: DeadlineCategory,
    pub route: Option<Route>,
    pub plan_id: Option<u32>,
    /// The date of the event that started the clock.
    pub started_on: NaiveDate,
    pub due_on: NaiveDate,
    pub period: Period,
    pub basis: Basis,
    pub reference: String,
    /// Follows a panel recommendation or decision (the follow-through inspections check).
    pub after_panel: bool,
    /// The engine holds no fact the due date follows from: an imported period whose return
    /// did not carry the chain (see the module's documentation). `due_on` is then only where
    /// the chain would fall due had it started on `started_on`: no due date, and nothing
    /// shows or counts it as one. Defaulted so that deadlines stored before it still read.
    #[serde(default)]
    pub not_known_from_return: bool,
}

impl Deadline {
    /// The due date, when the engine holds the facts it follows from.
    pub fn known_due_on(&self) -> Option<NaiveDate> {
        (!self.not_known_from_return).then_some(self.due_on)
    }

    /// How the deadline stands on `as_of`: a deadline not known from the return is neither
    /// overdue nor due soon, whatever the day.
    pub fn drift(&self, as_of: NaiveDate, due_soon_days: u32) -> Drift {
        if self.not_known_from_return {
            Drift::not_known_from_return()
        } else {
            drift(self.due_on, as_of, due_soon_days)
        }
    }

    fn not_known_from_return(mut self) -> Self {
        self.not_known_from_return = true;
        self
    }
}

/// The rule of the deadline a panel deferral sets: back to panel by the date the panel gave.
pub const RETURN_TO_PANEL: &str = "return_to_panel";

/// Open deadlines of a case, soonest first, those not known from the return last. A closed
/// case has none.
pub fn derive_deadlines(
    case: &CaseState,
    catalog: &RouteCatalog,
    settings: &Timescales,
) -> Vec<Deadline> {
    if !case.is_open() {
        return vec![];
    }
    let mut out = Vec::new();
    care_planning(case, settings, &mut out);
    out.extend(legal_deadlines(&case.legal, settings));
    for plan in case.plans.iter().filter(|p| p.is_active() && !p.achieved) {
        route_deadlines(plan, catalog, settings, &mut out);
        if let Some(def) = catalog.get(plan.route, plan.version) {
            return_to_panel(case, plan, def, &mut out);
        }
    }
    // Soonest first; those not known from the return, which have no due date, last.
    out.sort_by(|a, b| {
        (a.not_known_from_return, a.due_on, &a.key).cmp(&(
            b.not_known_from_return,
            b.due_on,
            &b.key,
        ))
    });
    out
}

fn spine(
    key: &str,
    label: &str,
    started_on: NaiveDate,
    period: Period,
    basis: Basis,
    reference: &str,
) -> Deadline {
    Deadline {
        key: key.to_owned(),
        rule: key.to_owned(),
        label: label.to_owned(),
        category: DeadlineCategory::CarePlanning,
        route: None,
        plan_id: None,
        started_on,
        due_on: period.after(started_on),
        period,
        basis,
        reference: reference.to_owned(),
        after_panel: false,
        not_known_from_return: false,
    }
}

/// The date the second review falls due (held, or due if not yet held). Only meaningful
/// when the case holds its reviews from the period's start.
fn second_review_due(case: &CaseState) -> NaiveDate {
    match case.reviews.as_slice() {
        [] => timescales::SECOND_REVIEW.after(timescales::FIRST_REVIEW.after(case.entered_care_on)),
        [first] => timescales::SECOND_REVIEW.after(*first),
        [_, second, ..] => *second,
    }
}

fn care_planning(case: &CaseState, settings: &Timescales, out: &mut Vec<Deadline>) {
    const REVIEW_REF: &str = "CPPCR 2010 reg 33";
    let from_start = case.holds_reviews_from_start();
    let review = match (case.reviews.as_slice(), from_start) {
        ([], true) => spine(
            "review",
            "first statutory review",
            case.entered_care_on,
            timescales::FIRST_REVIEW,
            Basis::Law,
            REVIEW_REF,
        ),
        // An imported period with no review held, whose return either had no Reviews table
        // or began after the period did: its last review (if any) is not held, so when the
        // next is due is not known. The interval stated is the longest the law allows.
        ([], false) => spine(
            "review",
            "statutory review",
            case.entered_care_on,
            timescales::LATER_REVIEW,
            Basis::Law,
            REVIEW_REF,
        )
        .not_known_from_return(),
        ([first], true) => spine(
            "review",
            "second statutory review",
            *first,
            timescales::SECOND_REVIEW,
            Basis::Law,
            REVIEW_REF,
        ),
        // Later reviews: within 6 months of the previous one. So too after a single review
        // held that is not known to be the period's first (the period began before the
        // return's history, or the return held none of its reviews): the next is not a
        // second review within 3 months, but one within 6, the interval that follows any
        // review but the first.
        ([.., last], _) => spine(
            "review",
            "statutory review",
            *last,
            timescales::LATER_REVIEW,
            Basis::Law,
            REVIEW_REF,
        ),
    };
    out.push(review);

    if case.permanence_plan_on().is_none() {
        let due_on = second_review_due(case);
        let mut d = spine(
            "permanence_plan",
            "permanence plan recorded by the second review",
            case.entered_care_on,
            timescales::FIRST_REVIEW,
            Basis::Guidance,
            "statutory guidance: permanence plan by the second review",
        );
        // The due date is the second review's, which chains from the first review when held;
        // the period is stated in days so that it agrees with the due date.
        d.due_on = due_on.max(case.entered_care_on);
        d.period = Period::Days(u32::try_from((d.due_on - d.started_on).num_days()).unwrap_or(0));
        // An imported period with no plan recorded: not known from the return, whether or
        // not the engine holds the second review's date. Without the period's reviews from
        // its start, that date is not known (the second review held is not the period's
        // second). With them, it is, but the national return carries no plan for
        // permanence (only an adoption decision or an order, which the import records as a
        // plan), so whether a plan was made by that review is no fact the engine holds:
        // showing every imported child without one as overdue is what the import must not
        // do. Recording the plan, with the day it was made, ends the deadline.
        if case.imported.is_some() {
            d = d.not_known_from_return();
        }
        out.push(d);
    }

    let health = match case.health_assessments.last() {
        None if case.holds_health_assessments_from_start() => spine(
            "health_assessment",
            "initial health assessment before the first review",
            case.entered_care_on,
            timescales::FIRST_REVIEW,
            Basis::Law,
            "CPPCR 2010 reg 7 and statutory guidance",
        ),
        // An imported period whose return dated no health assessments (the national return
        // never does): the last assessment is not held, so the next one's date is not known
        // until a worker records one.
        None => {
            let mut d = health_review(case, settings, case.entered_care_on);
            d.label = "health assessment".to_owned();
            d.not_known_from_return()
        }
        Some(last) => health_review(case, settings, last.on),
    };
    out.push(health);
    out.extend(visit(case));
}

/// The next statutory visit in the child's current placement (see `crate::visits` for the
/// rule and what it decides). None during a placement for adoption, whose visits the
/// Adoption Agencies Regulations set.
fn visit(case: &CaseState) -> Option<Deadline> {
    let placement = visits::current_placement(case)?;
    let episode = case.current_episode()?;
    if !visits::under_reg_28(episode) {
        return None;
    }
    let last = visits::visits_in(case, &placement).last().copied();
    let long_term = visits::long_term(episode);
    let spine_visit = |label, started_on, period| {
        spine(
            "visit",
            label,
            started_on,
            period,
            Basis::Law,
            visits::VISITS_REFERENCE,
        )
    };
    if last.is_none() && placement.from_history {
        // A placement from an import with no visit recorded since: the return holds no
        // visits, so the last one is not known, nor when the next is due. The interval
        // stated is the longest the law allows after a placement's first year.
        let period = if long_term {
            timescales::LONG_TERM_VISIT_INTERVAL
        } else {
            timescales::VISIT_INTERVAL
        };
        let d = spine_visit(
            "statutory visit by the social worker",
            placement.began_on,
            period,
        );
        return Some(d.not_known_from_return());
    }
    let (started_on, period) = visits::next_visit(placement.began_on, long_term, last);
    let label = match last {
        Some(_) => "statutory visit by the social worker",
        None => "first visit within a week of the placement starting",
    };
    Some(spine_visit(label, started_on, period))
}

/// The review health assessment due after one held on `last`: 6-monthly under five, yearly
/// from five (the child's age on the day of the last one).
fn health_review(case: &CaseState, settings: &Timescales, last: NaiveDate) -> Deadline {
    spine(
        "health_assessment",
        "review health assessment",
        last,
        health_review_period(settings, case.child_birth_date, last),
        Basis::Guidance,
        "statutory guidance: 6-monthly under five, yearly from five",
    )
}

/// How long after a health assessment held on `last` the next is due: the settings' months
/// for a child under five on that day, or from five.
pub fn health_review_period(settings: &Timescales, birth: NaiveDate, last: NaiveDate) -> Period {
    Period::Months(if age_in_years(birth, last) < 5 {
        settings.health_review_months_under_five
    } else {
        settings.health_review_months_from_five
    })
}

/// Whole years of age on a date.
pub fn age_in_years(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// The open deadlines of a legal track's current round: on a period of care's case, or for a
/// child at home (`crate::legal_at_home`).
pub fn legal_deadlines(track: &LegalTrack, settings: &Timescales) -> Vec<Deadline> {
    let mut out = Vec::new();
    let legal_deadline =
        |key: &str, label: &str, started_on, period: Period, basis, reference: &str| {
            let mut d = spine(key, label, started_on, period, basis, reference);
            d.category = DeadlineCategory::Legal;
            d
        };
    if let Some(pre) = &track.pre_proceedings
        && pre.ended.is_none()
        && let Some(started_on) = pre.started_on
    {
        out.push(legal_deadline(
            "pre_proceedings",
            "pre-proceedings ended: step down or issue",
            started_on,
            Period::Weeks(settings.pre_proceedings_weeks),
            Basis::Guidance,
            "Public Law Outline pre-proceedings guidance",
        ));
    }
    if let Some(p) = &track.proceedings
        && p.concluded.is_none()
    {
        if p.case_management_hearing_on.is_none() {
            out.push(legal_deadline(
                "case_management_hearing",
                "case management hearing",
                p.issued_on,
                Period::Days(settings.case_management_hearing_days),
                Basis::Guidance,
                "Practice Direction 12A",
            ));
        }
        let extended: u32 = p.extensions.iter().map(|(_, weeks)| weeks).sum();
        out.push(legal_deadline(
            "care_proceedings",
            "care proceedings concluded within 26 weeks and any extensions",
            p.issued_on,
            Period::WeeksBeginningWith(26 + extended),
            Basis::Law,
            "Children Act 1989 s32",
        ));
    }
    out
}

fn route_deadlines(
    plan: &RoutePlan,
    catalog: &RouteCatalog,
    settings: &Timescales,
    out: &mut Vec<Deadline>,
) {
    let Some(def) = catalog.get(plan.route, plan.version) else {
        return;
    };
    for rule in &def.deadline_rules {
        let started_on = if rule.starts_at == crate::route::PLAN_ENDORSED {
            Some(plan.started_on)
        } else {
            plan.taken(rule.starts_at)
        };
        let Some(started_on) = started_on else {
            continue;
        };
        if rule.met_by.iter().any(|k| plan.taken(k).is_some()) {
            continue;
        }
        // After a placement broke down the route starts afresh (family finding again on
        // adoption, DOMAIN.md §3.1): a deadline still open runs from the breakdown, not from
        // a step taken before the placement that failed.
        let restarted = plan.last_breakdown_on().filter(|b| *b > started_on);
        let started_on = restarted.unwrap_or(started_on);
        let label = match restarted {
            Some(_) => format!("{}, again after the placement broke down", rule.label),
            None => rule.label.to_owned(),
        };
        let period = settings.period(rule.setting);
        out.push(Deadline {
            key: format!("plan{}:{}", plan.id, rule.key),
            rule: rule.key.to_owned(),
            label,
            category: DeadlineCategory::Route,
            route: Some(plan.route),
            plan_id: Some(plan.id),
            started_on,
            due_on: period.after(started_on),
            period,
            basis: rule.basis,
            reference: rule.reference.to_owned(),
            after_panel: rule.after_panel,
            not_known_from_return: false,
        });
    }
}

/// A deferral open on a plan: the latest outcome for a purpose was a deferral, and the case
/// still waits at the point where the panel hears it. Once the case has moved on (it went
/// to the decision maker without panel, or to another route), there is nothing to return.
pub fn open_deferral(
    case: &CaseState,
    plan: &RoutePlan,
    def: &RouteDefinition,
    purpose: PanelPurpose,
) -> Option<(NaiveDate, NaiveDate)> {
    let entry = case.latest_panel_outcome(plan, purpose)?;
    let PanelOutcome::Deferred { return_by, .. } = &entry.outcome else {
        return None;
    };
    let waiting_for_panel = def
        .next_steps(plan.current_step())
        .iter()
        .any(|s| s.key == purpose.recommendation_step());
    waiting_for_panel.then_some((entry.on, *return_by))
}

fn return_to_panel(
    case: &CaseState,
    plan: &RoutePlan,
    def: &RouteDefinition,
    out: &mut Vec<Deadline>,
) {
    for purpose in PanelPurpose::ALL.iter().filter(|p| p.route() == plan.route) {
        let Some((deferred_on, return_by)) = open_deferral(case, plan, def, *purpose) else {
            continue;
        };
        let days = u32::try_from((return_by - deferred_on).num_days()).unwrap_or(0);
        out.push(Deadline {
            key: format!(
                "plan{}:{RETURN_TO_PANEL}:{}",
                plan.id,
                purpose.key().to_ascii_lowercase()
            ),
            rule: RETURN_TO_PANEL.to_owned(),
            label: format!("back to panel after a deferral: {}", purpose.label()),
            category: DeadlineCategory::Route,
            route: Some(plan.route),
            plan_id: Some(plan.id),
            started_on: deferred_on,
            due_on: return_by,
            period: Period::Days(days),
            basis: Basis::LocalSetting,
            reference: "the date the panel set when it deferred".to_owned(),
            after_panel: true,
            not_known_from_return: false,
        });
    }
}

/// How a deadline stands on a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DriftStatus {
    OnTrack,
    DueSoon,
    Overdue,
    /// The engine holds no fact the due date follows from (an imported period whose return
    /// did not carry the chain): never overdue or due soon.
    NotKnownFromReturn,
}

/// A deadline's standing on a date, with the figures a worker acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drift {
    pub status: DriftStatus,
    /// Calendar days past the due date (0 unless overdue).
    pub days_overdue: i64,
    /// Working days past the due date (0 unless overdue).
    pub working_days_overdue: i64,
    /// Calendar days left until the due date (0 once due).
    pub days_until_due: i64,
}

impl Drift {
    /// The standing of a deadline not known from the return: no days either way.
    pub fn not_known_from_return() -> Self {
        Drift {
            status: DriftStatus::NotKnownFromReturn,
            days_overdue: 0,
            working_days_overdue: 0,
            days_until_due: 0,
        }
    }
}

/// The drift of a deadline due on `due_on`, seen on `as_of` (a known due date: see
/// [`Deadline::drift`]).
pub fn drift(due_on: NaiveDate, as_of: NaiveDate, due_soon_days: u32) -> Drift {
    let days = (as_of - due_on).num_days();
    if days > 0 {
        Drift {
            status: DriftStatus::Overdue,
            days_overdue: days,
            working_days_overdue: crate::calendar::working_days_between(due_on, as_of),
            days_until_due: 0,
        }
    } else {
        let until = -days;
        Drift {
            status: if until <= i64::from(due_soon_days) {
                DriftStatus::DueSoon
            } else {
                DriftStatus::OnTrack
            },
            days_overdue: 0,
            working_days_overdue: 0,
            days_until_due: until,
        }
    }
}
