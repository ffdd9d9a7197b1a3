//! Deciding a case's route plans: setting the plan for permanence or a parallel plan,
//! ending a parallel plan, and the route definition a plan follows.

use super::Decision;
use super::checks::{check_date, check_not_before, open_adoption_decision};
use crate::DomainError;
use crate::case::recorded::{DataQualityKind, LiveRules};
use crate::case::{CaseState, DecisionContext, Event, PlanEndReason, PlanRole, RoutePlan};
use crate::route::{Route, RouteDefinition};
use chrono::NaiveDate;

pub(super) fn decide_set_plan(
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

pub(super) fn decide_end_parallel(
    case: &CaseState,
    on: NaiveDate,
    ctx: &DecisionContext<'_>,
) -> Decision {
    check_date(case, on, ctx, "occurredOn")?;
    let plan = case
        .parallel_plan()
        .ok_or_else(|| DomainError::not_allowed("the case has no parallel plan"))?;
    check_not_before(on, plan.last_date(), "occurredOn", "the plan's latest step")?;
    if plan.has_open_adoption_decision() {
        return Err(open_adoption_decision());
    }
    Ok(vec![Event::RoutePlanEnded {
        plan_id: plan.id,
        on,
        reason: PlanEndReason::ParallelEnded,
    }])
}

pub(super) fn definition_of<'a>(
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
