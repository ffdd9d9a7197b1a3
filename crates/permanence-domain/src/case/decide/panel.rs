//! Deciding a panel's recommendation and the agency decision on it.

use super::Decision;
use super::checks::{check_date, check_not_before};
use super::plan::definition_of;
use super::step::decide_step;
use crate::DomainError;
use crate::case::recorded::LiveRules;
use crate::case::{CaseState, DecisionContext, Event, RoutePlan};
use crate::panel::{PanelOutcome, PanelPurpose};
use chrono::NaiveDate;

fn plan_for_panel(case: &CaseState, purpose: PanelPurpose) -> Result<&RoutePlan, DomainError> {
    let route = purpose.route();
    case.active_plan(route).ok_or_else(|| {
        DomainError::not_allowed(format!(
            "the case has no {} plan: a panel for the {} needs that route plan first",
            route.label(),
            purpose.label()
        ))
    })
}

pub(super) fn decide_panel_outcome(
    case: &CaseState,
    purpose: PanelPurpose,
    outcome: &PanelOutcome,
    on: NaiveDate,
    ctx: &DecisionContext<'_>,
) -> Decision {
    let plan = plan_for_panel(case, purpose)?;
    outcome.validate(on)?;
    // The recommendation step must be one the route allows now, whatever the panel said:
    // a deferral or a negative recommendation is still a panel sitting at that point.
    let step_events = decide_step(
        case,
        purpose.route(),
        purpose.recommendation_step(),
        on,
        ctx,
        &mut LiveRules::live(),
    )?;
    if let Some(previous) = case.latest_panel_outcome(plan, purpose) {
        check_not_before(on, previous.on, "occurredOn", "the previous panel outcome")?;
    }
    let mut events = vec![Event::PanelOutcomeRecorded {
        purpose,
        outcome: outcome.clone(),
        on,
    }];
    if *outcome == PanelOutcome::Recommended {
        events.extend(step_events);
    }
    Ok(events)
}

pub(super) fn decide_agency_decision(
    case: &CaseState,
    purpose: PanelPurpose,
    agrees: bool,
    on: NaiveDate,
    ctx: &DecisionContext<'_>,
) -> Decision {
    check_date(case, on, ctx, "occurredOn")?;
    let plan = plan_for_panel(case, purpose)?;
    let def = definition_of(plan, ctx)?;
    let recommendation = purpose.recommendation_step();
    let decision = purpose.decision_step();
    // Some decisions may also follow an earlier step without panel (a SHOBPA decision in a
    // non-consent case); a decision on a recommendation needs the recommendation itself.
    if plan.current_step() != recommendation {
        return Err(DomainError::not_allowed(format!(
            "the {} needs the {} first; the case is at: {}",
            def.label_of(decision),
            def.label_of(recommendation),
            def.label_of(plan.current_step())
        )));
    }
    let recorded = Event::AgencyDecisionRecorded {
        purpose,
        agrees,
        on,
    };
    if agrees {
        let mut events = vec![recorded];
        events.extend(decide_step(
            case,
            purpose.route(),
            decision,
            on,
            ctx,
            &mut LiveRules::live(),
        )?);
        Ok(events)
    } else {
        check_not_before(
            on,
            plan.last_date(),
            "occurredOn",
            "the panel recommendation",
        )?;
        Ok(vec![recorded])
    }
}
