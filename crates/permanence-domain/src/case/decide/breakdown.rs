//! Deciding a placement breakdown on a route plan (a disruption).

use super::Decision;
use super::checks::{check_date, check_not_before};
use super::plan::definition_of;
use super::step::either;
use crate::DomainError;
use crate::case::recorded::{DataQualityKind, LiveRules};
use crate::case::{CaseState, DecisionContext, Event};
use crate::codes::PlacementChangeReason;
use crate::route::Route;
use chrono::NaiveDate;

/// A placement breakdown (DOMAIN.md §3.1, a disruption): allowed at the steps the route's
/// breakdown rule names, on the route's active plan. The plan stays (on adoption the decision
/// to place for adoption stays open: no reversal, no RD reason); the steps of the placement
/// that failed go back off the route, kept in the plan's history.
pub(super) fn decide_breakdown(
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
