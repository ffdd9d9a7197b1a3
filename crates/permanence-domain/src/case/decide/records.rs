//! Deciding the statutory records of a child in care: reviews, health assessments and the
//! social worker's visits.

use super::Decision;
use super::checks::{check_date, check_not_before};
use crate::DomainError;
use crate::case::{CaseState, DecisionContext, Event, HealthAssessmentKind};
use crate::codes::ReviewParticipation;
use chrono::NaiveDate;

pub(super) fn decide_review(
    case: &CaseState,
    on: NaiveDate,
    participation: Option<ReviewParticipation>,
    ctx: &DecisionContext<'_>,
) -> Decision {
    check_date(case, on, ctx, "occurredOn")?;
    if case.reviews.last().is_some_and(|last| on <= *last) {
        return Err(DomainError::validation(
            "occurredOn",
            "a review must be dated after the previous review",
        ));
    }
    Ok(vec![Event::ReviewHeld { on, participation }])
}

pub(super) fn decide_health_assessment(
    case: &CaseState,
    on: NaiveDate,
    ctx: &DecisionContext<'_>,
) -> Decision {
    check_date(case, on, ctx, "occurredOn")?;
    if case
        .health_assessments
        .last()
        .is_some_and(|last| on <= last.on)
    {
        return Err(DomainError::validation(
            "occurredOn",
            "a health assessment must be dated after the previous one",
        ));
    }
    let kind = if case.health_assessments.is_empty() {
        HealthAssessmentKind::Initial
    } else {
        HealthAssessmentKind::Review
    };
    Ok(vec![Event::HealthAssessmentRecorded { on, kind }])
}

pub(super) fn decide_visit(
    case: &CaseState,
    on: NaiveDate,
    seen_alone: Option<bool>,
    ctx: &DecisionContext<'_>,
) -> Decision {
    check_date(case, on, ctx, "occurredOn")?;
    // A visit belongs to the placement the child is in that day: the chain of visits
    // restarts with each placement (CPPCR 2010 reg 28), so one dated before the
    // current placement began would belong to a placement whose chain has closed.
    if let Some(began) = crate::case::placement::current_placement(case).map(|p| p.began_on) {
        check_not_before(on, began, "occurredOn", "the current placement began")?;
    }
    if case.visits.last().is_some_and(|last| on <= last.on) {
        return Err(DomainError::validation(
            "occurredOn",
            "a visit must be dated after the previous visit",
        ));
    }
    Ok(vec![Event::VisitHeld { on, seen_alone }])
}
