//! What an event says happened, in the words a social worker uses: which step, which
//! placement, which order, which reason. Every client (the pages, the API's timeline) shows
//! the same sentence, so none has to read an event's raw data to know that a step was "the
//! placement order".
//!
//! A description never carries free text (a deferral's reason, a note) or a carer's
//! reference: those are personal, and what a reader may see of them is decided where they
//! are shown.

use crate::case::PlanRole;
use crate::case::{CaseState, Event, HealthAssessmentKind, LegalStep, PlanEndReason};
use crate::panel::PanelOutcome;
use crate::route::RouteCatalog;
use crate::words::capitalised;

/// The step's label on the plan it was taken on, as the route version the plan runs on names
/// it (the key with spaces when the plan or its route version is unknown).
pub fn step_label(catalog: &RouteCatalog, state: &CaseState, plan_id: u32, step: &str) -> String {
    state
        .plans
        .iter()
        .find(|p| p.id == plan_id)
        .and_then(|p| catalog.get(p.route, p.version))
        .map_or_else(|| step.replace('_', " "), |d| d.label_of(step).to_owned())
}

/// The route of a plan, in words ("adoption"), or "the plan" when it is not known.
fn plan_route(state: &CaseState, plan_id: u32) -> &'static str {
    state
        .plans
        .iter()
        .find(|p| p.id == plan_id)
        .map_or("the plan", |p| p.route.label())
}

/// What broke down on a plan, in words ("adoptive placement"), as its route version says.
fn breakdown_label(catalog: &RouteCatalog, state: &CaseState, plan_id: u32) -> &'static str {
    state
        .plans
        .iter()
        .find(|p| p.id == plan_id)
        .and_then(|p| catalog.get(p.route, p.version))
        .and_then(|d| d.breakdown.as_ref())
        .map_or("placement", |rule| rule.label)
}

fn legal_step(step: LegalStep) -> String {
    match step {
        LegalStep::PreProceedingsStarted => "Pre-proceedings started (Public Law Outline)".into(),
        LegalStep::LetterBeforeProceedingsSent => "Letter before proceedings sent".into(),
        LegalStep::PreProceedingsMeetingHeld => "Pre-proceedings meeting held".into(),
        LegalStep::PreProceedingsSteppedDown => "Pre-proceedings stepped down".into(),
        LegalStep::ProceedingsIssued => "Care proceedings issued".into(),
        LegalStep::CaseManagementHearingHeld => "Case management hearing held".into(),
        LegalStep::IssuesResolutionHearingHeld => "Issues resolution hearing held".into(),
        LegalStep::ExtensionGranted { weeks } => {
            format!("Care proceedings extended by {weeks} weeks")
        }
        LegalStep::FinalHearingHeld { order } => {
            format!("Final hearing held: {}", order.label())
        }
    }
}

/// What `event` says happened on the case whose state (after all its events) is `state`.
pub fn describe(event: &Event, state: &CaseState, catalog: &RouteCatalog) -> String {
    match event {
        Event::CaseOpened {
            placement,
            legal_status,
            ..
        } => format!(
            "Entered care: {} ({}), legal status {} ({})",
            placement.label(),
            placement.code(),
            legal_status.label(),
            legal_status.code()
        ),
        Event::CaseAllocated { .. } => "Case allocated".into(),
        Event::EpisodeStarted {
            placement,
            legal_status,
            ..
        } => format!(
            "Placement or legal status changed: {} ({}), legal status {} ({})",
            placement.label(),
            placement.code(),
            legal_status.label(),
            legal_status.code()
        ),
        Event::ReviewHeld { .. } => "Review held".into(),
        Event::HealthAssessmentRecorded { kind, .. } => match kind {
            HealthAssessmentKind::Initial => "Initial health assessment".into(),
            HealthAssessmentKind::Review => "Review health assessment".into(),
        },
        Event::VisitHeld { seen_alone, .. } => match seen_alone {
            Some(true) => "Visit by social worker: the child was seen alone".into(),
            Some(false) => "Visit by social worker: the child was not seen alone".into(),
            None => "Visit by social worker".into(),
        },
        Event::RoutePlanStarted { route, role, .. } => match role {
            PlanRole::Primary => format!("Plan for permanence: {}", route.label()),
            PlanRole::Parallel => format!("Parallel plan: {}", route.label()),
        },
        Event::RoutePlanPromoted { plan_id, .. } => format!(
            "Parallel plan became the plan for permanence: {}",
            plan_route(state, *plan_id)
        ),
        Event::RoutePlanEnded {
            plan_id, reason, ..
        } => {
            let why = match reason {
                PlanEndReason::RouteChanged => "the plan for permanence changed",
                PlanEndReason::ParallelEnded => "the parallel plan was stopped",
                PlanEndReason::DecisionReversed => {
                    "the decision to place for adoption was reversed"
                }
                PlanEndReason::CaseClosed => "the child left care",
            };
            format!(
                "{} plan ended: {why}",
                capitalised(plan_route(state, *plan_id))
            )
        }
        Event::RouteStepRecorded { plan_id, step, .. } => {
            capitalised(&step_label(catalog, state, *plan_id, step))
        }
        Event::AdoptionDecisionReversed { reason, .. } => format!(
            "Decision that the child should be placed for adoption reversed: {} ({})",
            reason.label(),
            reason.code()
        ),
        Event::PlacementBrokeDown {
            plan_id, reason, ..
        } => format!(
            "{} broke down: {} ({})",
            capitalised(breakdown_label(catalog, state, *plan_id)),
            reason.label(),
            reason.code()
        ),
        Event::LegalStepRecorded { step, .. } => legal_step(*step),
        Event::CaseClosed { reason, .. } => {
            format!("Left care: {} ({})", reason.label(), reason.code())
        }
        Event::PanelOutcomeRecorded {
            purpose, outcome, ..
        } => match outcome {
            PanelOutcome::Recommended => format!("Panel recommended the {}", purpose.label()),
            PanelOutcome::NotRecommended => {
                format!("Panel did not recommend the {}", purpose.label())
            }
            PanelOutcome::Deferred { .. } => format!("Panel deferred the {}", purpose.label()),
        },
        Event::AgencyDecisionRecorded {
            purpose, agrees, ..
        } => {
            if *agrees {
                format!(
                    "Agency decision maker agreed with the panel on the {}",
                    purpose.label()
                )
            } else {
                format!(
                    "Agency decision maker did not agree with the panel on the {}",
                    purpose.label()
                )
            }
        }
        Event::AdoptersRecorded { .. } => "Adopters recorded".into(),
        Event::DataQualityNoted { note } => {
            format!("Data-quality note: {}", note.kind.label())
        }
        Event::HistoryImported { .. } => "History imported from the national return".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Command, DecisionContext, FinalOrder, OpenCase, decide, evolve};
    use crate::codes::{LegalStatus, PlacementType, ReasonCeased};
    use crate::history::{DataQualityKind, DataQualityNote};
    use crate::panel::PanelPurpose;
    use crate::route::steps;
    use crate::{CaseId, ChildId, Route};
    use chrono::NaiveDate;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    /// A case with an adoption plan, and every event that built it.
    fn adoption_case(catalog: &RouteCatalog) -> (CaseState, Vec<Event>) {
        let ctx = DecisionContext {
            today: d(2026, 1, 1),
            catalog,
        };
        let commands = [
            Command::OpenCase(OpenCase {
                case_id: CaseId(uuid::Uuid::from_u128(1)),
                child_id: ChildId(uuid::Uuid::from_u128(2)),
                local_authority: "E10000003".into(),
                child_birth_date: d(2023, 1, 1),
                entered_care_on: d(2025, 1, 6),
                legal_status: LegalStatus::C2,
                placement: PlacementType::U6,
                provider: None,
                carer: Some("carer-7".into()),
                team: None,
                allocated_worker: None,
                details: Default::default(),
                legal_round_from_home: None,
            }),
            Command::SetRoutePlan {
                route: Route::Adoption,
                role: PlanRole::Primary,
                on: d(2025, 2, 1),
            },
            Command::RecordRouteStep {
                route: Route::Adoption,
                step: steps::SHOBPA_DECISION.into(),
                on: d(2025, 3, 1),
            },
        ];
        let mut state = None;
        let mut events = Vec::new();
        for command in &commands {
            let decided = decide(state.as_ref(), command, &ctx).expect("accepted");
            state = decided.iter().fold(state, evolve);
            events.extend(decided);
        }
        (state.expect("a case"), events)
    }

    #[test]
    fn each_event_says_which_step_placement_order_or_reason() {
        let catalog = RouteCatalog::standard().expect("routes");
        let (state, events) = adoption_case(&catalog);
        let said: Vec<String> = events
            .iter()
            .map(|e| describe(e, &state, &catalog))
            .collect();
        assert_eq!(
            said,
            [
                "Entered care: foster placement with other foster carer, not long-term or fostering for adoption (U6), legal status full care order (C2)",
                "Plan for permanence: adoption",
                "Decision that the child should be placed for adoption",
            ]
        );
        let more = [
            (
                Event::LegalStepRecorded {
                    on: d(2025, 4, 1),
                    step: LegalStep::FinalHearingHeld {
                        order: FinalOrder::PlacementOrder,
                    },
                },
                "Final hearing held: placement order",
            ),
            (
                Event::PanelOutcomeRecorded {
                    purpose: PanelPurpose::AdoptionMatch,
                    outcome: PanelOutcome::Deferred {
                        reason: "free text that must not show".into(),
                        return_by: d(2025, 6, 1),
                    },
                    on: d(2025, 5, 1),
                },
                "Panel deferred the adoption match",
            ),
            (
                Event::RoutePlanEnded {
                    plan_id: 1,
                    on: d(2025, 9, 1),
                    reason: PlanEndReason::CaseClosed,
                },
                "Adoption plan ended: the child left care",
            ),
            (
                Event::CaseClosed {
                    on: d(2025, 9, 1),
                    reason: ReasonCeased::E11,
                },
                "Left care: adopted, application for an adoption order unopposed (E11)",
            ),
            (
                Event::PlacementBrokeDown {
                    plan_id: 1,
                    on: d(2025, 8, 1),
                    reason: crate::codes::PlacementChangeReason::Creqo,
                    stage: steps::PLACED_FOR_ADOPTION.into(),
                    undoes: vec![steps::PLACED_FOR_ADOPTION.into()],
                },
                "Adoptive placement broke down: carer requests placement end, other than due to the child's behaviour (CREQO)",
            ),
            (
                Event::DataQualityNoted {
                    note: DataQualityNote {
                        on: d(2025, 5, 1),
                        kind: DataQualityKind::StepOutOfOrder,
                        reason: "free text".into(),
                        source: None,
                    },
                },
                "Data-quality note: step out of the route's order",
            ),
        ];
        for (event, expected) in more {
            assert_eq!(describe(&event, &state, &catalog), expected);
        }
    }

    #[test]
    fn a_step_of_an_unknown_plan_is_its_key_in_words() {
        let catalog = RouteCatalog::standard().expect("routes");
        let (state, _) = adoption_case(&catalog);
        let step = Event::RouteStepRecorded {
            plan_id: 9,
            step: steps::MATCH_DECISION.into(),
            on: d(2025, 5, 1),
            achieves_permanence: false,
            position: None,
        };
        assert_eq!(describe(&step, &state, &catalog), "Match decision");
    }
}
