//! Applying events to a case's state: `evolve` one event at a time, `replay` a whole history.

use crate::case::{
    Breakdown, CaseState, Closure, Episode, Event, HealthAssessment, LegalTrack, PlanEnd, PlanRole,
    Reversal, RoutePlan, TakenStep, Visit,
};
use crate::panel::{PanelOutcome, PanelOutcomeEntry};
use crate::route::Route;
use std::collections::BTreeMap;

/// Applies one event. Never fails: an event that does not fit (which `decide` would not
/// have produced) leaves the state as it was.
pub fn evolve(state: Option<CaseState>, event: &Event) -> Option<CaseState> {
    if let Some(opened) = opened(event) {
        return Some(opened);
    }
    let mut case = state?;
    match event {
        Event::CaseOpened { .. } => {}
        Event::CaseAllocated { .. }
        | Event::EpisodeStarted { .. }
        | Event::ReviewHeld { .. }
        | Event::HealthAssessmentRecorded { .. }
        | Event::VisitHeld { .. } => apply_care_record(&mut case, event),
        Event::RoutePlanStarted { .. }
        | Event::RoutePlanPromoted { .. }
        | Event::RoutePlanEnded { .. }
        | Event::RouteStepRecorded { .. }
        | Event::AdoptionDecisionReversed { .. } => apply_plan(&mut case, event),
        Event::PlacementBrokeDown { .. } => apply_breakdown(&mut case, event),
        Event::LegalStepRecorded { .. }
        | Event::CaseClosed { .. }
        | Event::AdoptersRecorded { .. }
        | Event::DataQualityNoted { .. }
        | Event::HistoryImported { .. } => apply_case_fact(&mut case, event),
        Event::PanelOutcomeRecorded { .. } | Event::AgencyDecisionRecorded { .. } => {
            apply_panel(&mut case, event)
        }
    }
    Some(case)
}

/// The state a case opens with, when the event is its opening.
fn opened(event: &Event) -> Option<CaseState> {
    let Event::CaseOpened {
        case_id,
        child_id,
        local_authority,
        child_birth_date,
        entered_care_on,
        legal_status,
        placement,
        provider,
        carer,
        team,
        allocated_worker,
        details,
    } = event
    else {
        return None;
    };
    Some(CaseState {
        id: *case_id,
        child_id: *child_id,
        local_authority: local_authority.clone(),
        child_birth_date: *child_birth_date,
        entered_care_on: *entered_care_on,
        team: team.clone(),
        allocated_worker: allocated_worker.clone(),
        episodes: vec![Episode {
            starts_on: *entered_care_on,
            legal_status: *legal_status,
            placement: *placement,
            provider: *provider,
            carer: carer.clone(),
            details: details.clone(),
        }],
        reviews: vec![],
        health_assessments: vec![],
        plans: vec![],
        legal: LegalTrack::default(),
        closed: None,
        panel: vec![],
        review_participation: BTreeMap::new(),
        adopters: None,
        data_quality: vec![],
        imported: None,
        visits: vec![],
        episodes_from_history: 0,
    })
}

/// The records of the child's care: allocation, episodes, reviews, health assessments and
/// visits.
fn apply_care_record(case: &mut CaseState, event: &Event) {
    match event {
        Event::CaseAllocated {
            team,
            allocated_worker,
            ..
        } => {
            case.team = team.clone();
            case.allocated_worker = allocated_worker.clone();
        }
        Event::EpisodeStarted {
            on,
            legal_status,
            placement,
            provider,
            carer,
            details,
            from_history,
        } => {
            case.episodes.push(Episode {
                starts_on: *on,
                legal_status: *legal_status,
                placement: *placement,
                provider: *provider,
                carer: carer.clone(),
                details: details.clone(),
            });
            if *from_history {
                case.episodes_from_history = case.episodes.len();
            }
        }
        Event::ReviewHeld { on, participation } => {
            case.reviews.push(*on);
            if let Some(participation) = participation {
                case.review_participation.insert(*on, *participation);
            }
        }
        Event::HealthAssessmentRecorded { on, kind } => {
            case.health_assessments.push(HealthAssessment {
                on: *on,
                kind: *kind,
            })
        }
        Event::VisitHeld { on, seen_alone } => case.visits.push(Visit {
            on: *on,
            seen_alone: *seen_alone,
        }),
        _ => {}
    }
}

/// The route plans: started, promoted, ended, a step recorded, an adoption decision reversed.
fn apply_plan(case: &mut CaseState, event: &Event) {
    match event {
        Event::RoutePlanStarted {
            plan_id,
            route,
            version,
            role,
            on,
        } => case.plans.push(RoutePlan {
            id: *plan_id,
            route: *route,
            version: *version,
            role: *role,
            started_on: *on,
            steps: vec![],
            ended: None,
            reversal: None,
            achieved: false,
            breakdowns: vec![],
        }),
        Event::RoutePlanPromoted { plan_id, .. } => {
            if let Some(plan) = case.plan_mut(*plan_id) {
                plan.role = PlanRole::Primary;
            }
        }
        Event::RoutePlanEnded {
            plan_id,
            on,
            reason,
            ..
        } => {
            if let Some(plan) = case.plan_mut(*plan_id) {
                plan.ended = Some(PlanEnd {
                    on: *on,
                    reason: *reason,
                });
            }
        }
        Event::RouteStepRecorded {
            plan_id,
            step,
            on,
            achieves_permanence,
            position,
        } => {
            if let Some(plan) = case.plan_mut(*plan_id) {
                let taken = TakenStep {
                    step: step.clone(),
                    on: *on,
                };
                match position.and_then(|p| usize::try_from(p).ok()) {
                    Some(at) if at < plan.steps.len() => plan.steps.insert(at, taken),
                    _ => plan.steps.push(taken),
                }
                plan.achieved |= *achieves_permanence;
            }
        }
        Event::AdoptionDecisionReversed {
            plan_id,
            on,
            reason,
        } => {
            if let Some(plan) = case.plan_mut(*plan_id) {
                plan.reversal = Some(Reversal {
                    on: *on,
                    reason: *reason,
                });
            }
        }
        _ => {}
    }
}

/// A plan's placement broke down: the steps it names go back off the route.
fn apply_breakdown(case: &mut CaseState, event: &Event) {
    let Event::PlacementBrokeDown {
        plan_id,
        on,
        reason,
        stage,
        undoes,
    } = event
    else {
        return;
    };
    let Some(plan) = case.plan_mut(*plan_id) else {
        return;
    };
    let (undone, kept) = std::mem::take(&mut plan.steps)
        .into_iter()
        .partition(|s| undoes.contains(&s.step));
    plan.steps = kept;
    // A long-term match confirmed is permanence; once it has broken down it is not.
    plan.achieved = false;
    plan.breakdowns.push(Breakdown {
        on: *on,
        reason: *reason,
        stage: stage.clone(),
        undone,
    });
    // The adopters matched were those of the placement that broke down: the next
    // match records its own (SSDA903 AD1).
    if plan.route == Route::Adoption {
        case.adopters = None;
    }
}

/// The other facts of the case: the legal track, its close, the adopters, data quality
/// notes and an import's history.
fn apply_case_fact(case: &mut CaseState, event: &Event) {
    match event {
        Event::LegalStepRecorded { on, step } => case.legal.apply(*on, *step),
        Event::CaseClosed { on, reason } => {
            case.closed = Some(Closure {
                on: *on,
                reason: *reason,
            })
        }
        Event::AdoptersRecorded { adopters, .. } => case.adopters = Some(*adopters),
        Event::DataQualityNoted { note } => case.data_quality.push(note.clone()),
        Event::HistoryImported { history, .. } => {
            case.imported = Some(*history);
            // The episodes opened so far (the period's first) came from the return.
            case.episodes_from_history = case.episodes.len();
        }
        _ => {}
    }
}

/// The panel: an outcome recorded, and the agency decision that completes it.
fn apply_panel(case: &mut CaseState, event: &Event) {
    match event {
        Event::PanelOutcomeRecorded {
            purpose,
            outcome,
            on,
        } => case.panel.push(PanelOutcomeEntry {
            purpose: *purpose,
            on: *on,
            outcome: outcome.clone(),
            decision: None,
        }),
        Event::AgencyDecisionRecorded {
            purpose,
            agrees,
            on,
        } => {
            let Some(plan) = case
                .plans
                .iter_mut()
                .find(|p| p.is_active() && p.route == purpose.route())
            else {
                return;
            };
            let plan_started_on = plan.started_on;
            if !*agrees && plan.current_step() == purpose.recommendation_step() {
                plan.steps.pop();
            }
            // A recommendation recorded as a plain route step has no entry to complete.
            if let Some(entry) = case.panel.iter_mut().rev().find(|e| {
                e.purpose == *purpose
                    && e.on >= plan_started_on
                    && e.outcome == PanelOutcome::Recommended
                    && e.decision.is_none()
            }) {
                entry.decision = Some((*on, *agrees));
            }
        }
        _ => {}
    }
}

/// Rebuilds a case's state from its history.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<CaseState> {
    events.into_iter().fold(None, evolve)
}
