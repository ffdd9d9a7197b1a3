//! Deciding the adoption plan's own records: reversing the decision that the child should
//! be placed for adoption, and who the adopters are.

use super::Decision;
use super::checks::{check_date, check_not_before};
use crate::DomainError;
use crate::case::recorded::{DataQualityKind, LiveRules};
use crate::case::{CaseState, DecisionContext, Event, PlanEndReason};
use crate::codes::ReversalReason;
use crate::return_facts::Adopters;
use crate::route::{Route, steps};
use chrono::NaiveDate;

pub(super) fn decide_reversal(
    case: &CaseState,
    on: NaiveDate,
    reason: ReversalReason,
    ctx: &DecisionContext<'_>,
    rules: &mut LiveRules,
) -> Decision {
    check_date(case, on, ctx, "occurredOn")?;
    let plan = case
        .plans
        .iter()
        .find(|p| p.route == Route::Adoption && p.is_active())
        .ok_or_else(|| DomainError::not_allowed("the case has no adoption plan"))?;
    if plan.taken(steps::ADOPTION_ORDER).is_some() {
        return Err(DomainError::not_allowed(
            "an adoption order has been made: the decision can no longer be reversed",
        ));
    }
    let decided_on = plan.taken(steps::SHOBPA_DECISION).ok_or_else(|| {
        DomainError::not_allowed(
            "there is no decision that the child should be placed for adoption to reverse",
        )
    })?;
    check_not_before(on, decided_on, "occurredOn", "the decision it reverses")?;
    rules.check(
        on,
        DataQualityKind::DatedBeforeEarlierFact,
        check_not_before(
            on,
            plan.last_date(),
            "occurredOn",
            "the adoption plan's latest step",
        ),
    )?;
    Ok(vec![
        Event::AdoptionDecisionReversed {
            plan_id: plan.id,
            on,
            reason,
        },
        Event::RoutePlanEnded {
            plan_id: plan.id,
            on,
            reason: PlanEndReason::DecisionReversed,
        },
    ])
}

pub(super) fn decide_adopters(
    case: &CaseState,
    on: NaiveDate,
    adopters: Adopters,
    ctx: &DecisionContext<'_>,
) -> Decision {
    check_date(case, on, ctx, "occurredOn")?;
    adopters.validate()?;
    let plan = case
        .active_plan(Route::Adoption)
        .ok_or_else(|| DomainError::not_allowed("the case has no adoption plan"))?;
    let matched = plan.taken(steps::MATCH_DECISION).ok_or_else(|| {
        DomainError::not_allowed("the adopters are recorded once the match is decided")
    })?;
    check_not_before(on, matched, "occurredOn", "the match decision")?;
    Ok(vec![Event::AdoptersRecorded { on, adopters }])
}
