//! Given/when/then tests of a placement breakdown (a disruption, DOMAIN.md §3.1): on
//! adoption before the order while the plan stays adoption, on long-term fostering after a
//! confirmed match, on special guardianship before the order and on reunification before
//! the child leaves care. The route goes back to family finding (or its equivalent), the
//! decision to place for adoption stays open, and drift restarts from the breakdown.

use crate::common;

use chrono::{Days, NaiveDate};
use common::{Case, catalog, d, invalid, not_allowed, record_step};
use permanence_domain::codes::{
    PlacementChangeReason, PlacementType, ReasonCeased, ReversalReason,
};
use permanence_domain::return_facts::Adopters;
use permanence_domain::{Command, Event, Route, Timescales, derive_deadlines, replay};

fn today() -> NaiveDate {
    d(2026, 6, 30)
}

fn breakdown(route: Route, on: NaiveDate) -> Command {
    Command::RecordPlacementBreakdown {
        route,
        on,
        reason: PlacementChangeReason::Creqb,
    }
}

/// Given a child in care from 8 January 2024, placed for adoption on 20 July 2024.
fn placed_for_adoption() -> Case {
    let mut case = Case::opened(d(2024, 1, 8), today());
    case.plan(Route::Adoption, d(2024, 2, 1))
        .step(Route::Adoption, "shobpa_decision", d(2024, 3, 1))
        .step(Route::Adoption, "placement_order", d(2024, 5, 1))
        .step(Route::Adoption, "family_finding", d(2024, 5, 2))
        .step(
            Route::Adoption,
            "matching_panel_recommendation",
            d(2024, 7, 1),
        )
        .step(Route::Adoption, "match_decision", d(2024, 7, 5));
    case.given(Command::RecordAdopters {
        on: d(2024, 7, 6),
        adopters: Adopters {
            sex: permanence_domain::codes::AdopterSex::Mf,
            legal_status: permanence_domain::codes::AdopterLegalStatus::L11,
        },
    });
    case.step(Route::Adoption, "placed_for_adoption", d(2024, 7, 20));
    case
}

fn deadline_keys(case: &Case) -> Vec<(String, NaiveDate, NaiveDate)> {
    derive_deadlines(case.state(), catalog(), &Timescales::default())
        .into_iter()
        .filter(|x| x.plan_id.is_some())
        .map(|x| (x.rule, x.started_on, x.due_on))
        .collect()
}

mod adoption {
    use super::*;

    #[test]
    fn a_breakdown_after_placement_goes_back_to_family_finding_and_keeps_the_decision_open() {
        let mut case = placed_for_adoption();
        let events = case
            .try_apply(breakdown(Route::Adoption, d(2024, 9, 10)))
            .expect("accepted");
        assert_eq!(
            events,
            vec![Event::PlacementBrokeDown {
                plan_id: 1,
                on: d(2024, 9, 10),
                reason: PlacementChangeReason::Creqb,
                stage: "placed_for_adoption".into(),
                undoes: vec![
                    "matching_panel_recommendation".into(),
                    "match_decision".into(),
                    "placed_for_adoption".into(),
                ],
            }]
        );
        let plan = case
            .state()
            .active_plan(Route::Adoption)
            .expect("still adoption");
        assert!(plan.reversal.is_none(), "no reversal, no RD reason");
        assert!(plan.has_open_adoption_decision());
        assert_eq!(plan.current_step(), "family_finding");
        assert_eq!(plan.current_step_on(), d(2024, 9, 10));
        assert_eq!(plan.taken("match_decision"), None);
        let history = &plan.breakdowns[0];
        assert_eq!(history.stage, "placed_for_adoption");
        assert_eq!(
            history
                .undone
                .iter()
                .map(|s| (s.step.as_str(), s.on))
                .collect::<Vec<_>>(),
            [
                ("matching_panel_recommendation", d(2024, 7, 1)),
                ("match_decision", d(2024, 7, 5)),
                ("placed_for_adoption", d(2024, 7, 20)),
            ]
        );
        assert_eq!(
            case.state().adopters,
            None,
            "the next match records its own"
        );
        assert_eq!(replay(&case.events).as_ref(), case.state.as_ref());
    }

    #[test]
    fn after_a_breakdown_the_child_is_matched_and_placed_again_but_not_before_it() {
        let mut case = placed_for_adoption();
        case.given(breakdown(Route::Adoption, d(2024, 9, 10)));
        let (field, reason) = invalid(case.when(&record_step(
            Route::Adoption,
            "matching_panel_recommendation",
            d(2024, 9, 9),
        )));
        assert_eq!(field, "occurredOn");
        assert!(reason.contains("cannot be dated before"), "{reason}");
        case.step(
            Route::Adoption,
            "matching_panel_recommendation",
            d(2024, 12, 2),
        )
        .step(Route::Adoption, "match_decision", d(2024, 12, 6))
        .step(Route::Adoption, "placed_for_adoption", d(2025, 1, 10))
        .step(Route::Adoption, "adoption_application", d(2025, 4, 1))
        .step(Route::Adoption, "adoption_order", d(2025, 7, 1));
        case.given(Command::CloseCase {
            on: d(2025, 7, 1),
            reason: ReasonCeased::E11,
        });
        let plan = &case.state().plans[0];
        assert_eq!(plan.taken("placed_for_adoption"), Some(d(2025, 1, 10)));
        assert_eq!(plan.breakdowns.len(), 1);
        assert_eq!(replay(&case.events).as_ref(), case.state.as_ref());
    }

    #[test]
    fn a_breakdown_after_the_adoption_application_is_recorded_at_that_stage() {
        let mut case = placed_for_adoption();
        case.step(Route::Adoption, "adoption_application", d(2024, 10, 1));
        let events = case
            .try_apply(breakdown(Route::Adoption, d(2024, 10, 20)))
            .expect("accepted");
        let Event::PlacementBrokeDown { stage, undoes, .. } = &events[0] else {
            panic!("{events:?}");
        };
        assert_eq!(stage, "adoption_application");
        assert!(undoes.contains(&"adoption_application".to_owned()));
        assert_eq!(
            case.state().plans[0].current_step(),
            "family_finding",
            "the application was for the adopters whose placement broke down"
        );
    }

    #[test]
    fn a_breakdown_before_the_child_is_placed_is_refused() {
        let mut case = placed_for_adoption();
        case.state = replay(&case.events[..case.events.len() - 1]);
        let (field, reason) = invalid(case.when(&breakdown(Route::Adoption, d(2024, 9, 10))));
        assert_eq!(field, "route");
        assert!(
            reason.contains("placement for adoption") && reason.contains("match decision"),
            "{reason}"
        );
    }

    #[test]
    fn a_breakdown_after_the_adoption_order_is_refused() {
        let mut case = placed_for_adoption();
        case.step(Route::Adoption, "adoption_application", d(2024, 10, 1))
            .step(Route::Adoption, "adoption_order", d(2025, 1, 15));
        let (field, reason) = invalid(case.when(&breakdown(Route::Adoption, d(2025, 2, 1))));
        assert_eq!(field, "route");
        assert!(reason.contains("already achieved permanence"), "{reason}");
    }

    #[test]
    fn a_breakdown_on_the_day_of_the_placement_or_in_the_future_is_refused() {
        let case = placed_for_adoption();
        let (field, reason) = invalid(case.when(&breakdown(Route::Adoption, d(2024, 7, 20))));
        assert_eq!(field, "occurredOn");
        assert!(
            reason.contains("after the day the adoptive placement began"),
            "{reason}"
        );
        let (field, _) = invalid(case.when(&breakdown(Route::Adoption, today() + Days::new(1))));
        assert_eq!(field, "occurredOn");
    }

    #[test]
    fn a_breakdown_needs_a_reason_that_ends_the_placement() {
        let case = placed_for_adoption();
        let (field, reason) = invalid(case.when(&Command::RecordPlacementBreakdown {
            route: Route::Adoption,
            on: d(2024, 9, 10),
            reason: PlacementChangeReason::Place,
        }));
        assert_eq!(field, "reason");
        assert!(reason.contains("ends the placement"), "{reason}");
    }

    #[test]
    fn a_reversed_decision_leaves_no_adoption_plan_to_break_down() {
        let mut case = placed_for_adoption();
        case.given(Command::ReverseAdoptionDecision {
            on: d(2024, 9, 1),
            reason: ReversalReason::RD1,
        });
        let (field, reason) = invalid(case.when(&breakdown(Route::Adoption, d(2024, 9, 10))));
        assert_eq!(field, "route");
        assert!(reason.contains("no adoption plan"), "{reason}");
    }

    #[test]
    fn leaving_care_after_a_breakdown_still_needs_the_decision_reversed() {
        let mut case = placed_for_adoption();
        case.given(breakdown(Route::Adoption, d(2024, 9, 10)));
        let message = not_allowed(case.when(&Command::CloseCase {
            on: d(2024, 12, 1),
            reason: ReasonCeased::E8,
        }));
        assert!(message.contains("still stands"), "{message}");
    }

    #[test]
    fn family_finding_drift_restarts_from_the_breakdown() {
        let mut case = placed_for_adoption();
        assert!(
            deadline_keys(&case).is_empty(),
            "{:?}",
            deadline_keys(&case)
        );
        case.given(breakdown(Route::Adoption, d(2024, 9, 10)));
        // The match within 121 days of the placement order was met once; after the
        // breakdown it is open again, from the breakdown (not from the order in May).
        assert_eq!(
            deadline_keys(&case),
            [(
                "match_after_placement_order".to_owned(),
                d(2024, 9, 10),
                d(2025, 1, 9)
            )]
        );
        let deadline = derive_deadlines(case.state(), catalog(), &Timescales::default())
            .into_iter()
            .find(|x| x.rule == "match_after_placement_order")
            .expect("open");
        assert!(
            deadline
                .label
                .contains("again after the placement broke down")
        );
    }
}

mod long_term_fostering {
    use super::*;

    fn confirmed() -> Case {
        let mut case = Case::opened(d(2024, 1, 8), today());
        case.plan(Route::LongTermFostering, d(2024, 2, 1))
            .steps(
                Route::LongTermFostering,
                &["carer_identified", "panel_recommendation", "match_approved"],
                d(2024, 3, 1),
            )
            .placed(PlacementType::U4, d(2024, 3, 4))
            .step(Route::LongTermFostering, "match_confirmed", d(2024, 3, 4));
        case
    }

    #[test]
    fn a_confirmed_match_that_ends_is_matched_again() {
        let mut case = confirmed();
        assert!(case.state().plans[0].achieved);
        case.given(breakdown(Route::LongTermFostering, d(2024, 10, 1)));
        let plan = &case.state().plans[0];
        assert!(!plan.achieved, "permanence is no longer achieved");
        assert!(plan.steps.is_empty(), "back to the plan: a new carer");
        assert_eq!(plan.breakdowns[0].stage, "match_confirmed");
        assert_eq!(plan.breakdowns[0].undone.len(), 4);
        case.steps(
            Route::LongTermFostering,
            &["carer_identified", "panel_recommendation", "match_approved"],
            d(2024, 11, 1),
        )
        .placed(PlacementType::U1, d(2024, 11, 4))
        .step(Route::LongTermFostering, "match_confirmed", d(2024, 11, 4));
        assert!(case.state().plans[0].achieved);
        assert_eq!(replay(&case.events).as_ref(), case.state.as_ref());
    }

    #[test]
    fn a_match_not_yet_confirmed_cannot_break_down() {
        let mut case = Case::opened(d(2024, 1, 8), today());
        case.plan(Route::LongTermFostering, d(2024, 2, 1)).step(
            Route::LongTermFostering,
            "carer_identified",
            d(2024, 3, 1),
        );
        let (field, reason) =
            invalid(case.when(&breakdown(Route::LongTermFostering, d(2024, 4, 1))));
        assert_eq!(field, "route");
        assert!(reason.contains("long-term match confirmation"), "{reason}");
    }
}

mod special_guardianship {
    use super::*;

    #[test]
    fn a_placement_with_the_prospective_guardians_breaks_down_before_the_order() {
        let mut case = Case::opened(d(2024, 1, 8), today());
        case.plan(Route::SpecialGuardianship, d(2024, 2, 1)).steps(
            Route::SpecialGuardianship,
            &[
                "assessment_started",
                "sgo_report_completed",
                "support_plan_agreed",
            ],
            d(2024, 3, 1),
        );
        case.given(breakdown(Route::SpecialGuardianship, d(2024, 6, 1)));
        let plan = &case.state().plans[0];
        assert!(plan.steps.is_empty(), "a new carer needs a new assessment");
        assert_eq!(plan.breakdowns[0].stage, "support_plan_agreed");
        // The order's deadline runs again from the breakdown: 182 days.
        assert_eq!(
            deadline_keys(&case),
            [(
                "special_guardianship_order".to_owned(),
                d(2024, 6, 1),
                d(2024, 11, 30)
            )]
        );
        case.step(
            Route::SpecialGuardianship,
            "assessment_started",
            d(2024, 6, 20),
        );
    }

    #[test]
    fn a_plan_not_yet_assessing_anyone_has_nothing_to_break_down() {
        let mut case = Case::opened(d(2024, 1, 8), today());
        case.plan(Route::SpecialGuardianship, d(2024, 2, 1));
        let (field, reason) =
            invalid(case.when(&breakdown(Route::SpecialGuardianship, d(2024, 4, 1))));
        assert_eq!(field, "route");
        assert!(reason.contains("the case is at"), "{reason}");
    }
}

mod reunification {
    use super::*;

    #[test]
    fn a_return_home_that_breaks_down_goes_back_to_the_assessment() {
        let mut case = Case::opened(d(2024, 1, 8), today());
        case.plan(Route::Reunification, d(2024, 2, 1)).steps(
            Route::Reunification,
            &[
                "parent_assessment",
                "return_home_approved",
                "placed_with_parents",
            ],
            d(2024, 3, 1),
        );
        case.given(breakdown(Route::Reunification, d(2024, 5, 1)));
        let plan = &case.state().plans[0];
        assert_eq!(plan.current_step(), "parent_assessment");
        assert_eq!(plan.breakdowns[0].stage, "placed_with_parents");
        case.step(Route::Reunification, "return_home_approved", d(2024, 8, 1));
        assert_eq!(replay(&case.events).as_ref(), case.state.as_ref());
    }
}

#[test]
fn a_child_arrangements_order_plan_has_no_placement_to_break_down() {
    let mut case = Case::opened(d(2024, 1, 8), today());
    case.plan(Route::ChildArrangementsOrder, d(2024, 2, 1));
    let (field, reason) =
        invalid(case.when(&breakdown(Route::ChildArrangementsOrder, d(2024, 4, 1))));
    assert_eq!(field, "route");
    assert!(
        reason.contains("no placement that can break down"),
        "{reason}"
    );
}

#[test]
fn a_breakdown_survives_being_stored_as_json() {
    let mut case = placed_for_adoption();
    case.given(breakdown(Route::Adoption, d(2024, 9, 10)));
    let stored = serde_json::to_string(&case.events).expect("json");
    let read: Vec<Event> = serde_json::from_str(&stored).expect("read back");
    assert_eq!(replay(&read).as_ref(), case.state.as_ref());
}
