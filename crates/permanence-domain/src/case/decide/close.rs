//! Deciding the close of a case: the child leaving care.

use super::Decision;
use super::checks::{check_date, check_not_before, open_adoption_decision};
use crate::DomainError;
use crate::case::recorded::{DataQualityKind, LiveRules};
use crate::case::{CaseState, DecisionContext, Event, PlanEndReason, RoutePlan};
use crate::codes::ReasonCeased;
use crate::route::{Route, steps};
use chrono::NaiveDate;

pub(super) fn decide_close(
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
