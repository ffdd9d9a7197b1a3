//! Deciding a step on a route plan, and where recorded history puts a step the route had
//! already passed.

use super::Decision;
use super::checks::check_date;
use super::plan::definition_of;
use crate::DomainError;
use crate::case::recorded::{DataQualityKind, LiveRules};
use crate::case::{CaseState, DecisionContext, Event, RoutePlan};
use crate::route::{PLAN_ENDORSED, Route, RouteDefinition, steps};
use crate::timescales::ADOPTION_APPLICATION_RESIDENCE;
use chrono::NaiveDate;

/// Joins step labels as a social worker would say them: "the x or the y".
pub(super) fn either(def: &RouteDefinition, keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("the {}", def.label_of(k)))
        .collect::<Vec<_>>()
        .join(" or ")
}

pub(super) fn decide_step(
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
