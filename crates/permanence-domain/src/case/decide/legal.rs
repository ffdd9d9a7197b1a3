//! Deciding a step of the legal track, and what an order made at a final hearing records
//! on the rest of the case.

use super::{Decision, decide_with};
use crate::DomainError;
use crate::case::recorded::LiveRules;
use crate::case::{CaseState, Command, DecisionContext, Event, FinalOrder, LegalStep, evolve};
use crate::codes::LegalStatus;
use crate::return_facts::PlacementDetails;
use crate::route::{CAO_GRANTED, PLACEMENT_ORDER, Route, SGO_GRANTED};
use chrono::NaiveDate;

pub(super) fn decide_legal(
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
