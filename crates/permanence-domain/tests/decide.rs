//! Given/when/then tests of `decide`: what a social worker may record on a case, and what
//! they are told when they may not.

use crate::common;

use common::{Case, LA, d, full_path, invalid, not_allowed, open_case, record_step, set_plan};
use permanence_domain::case::{
    FinalOrder, LegalStep, PlanEndReason, PlanRole, PreProceedingsOutcome,
};
use permanence_domain::codes::{
    LegalStatus, PlacementProvider, PlacementType, ReasonCeased, ReversalReason,
};
use permanence_domain::{Command, DomainError, Event, Route};

use chrono::{Days, NaiveDate};

/// The date `decide` sees as today in these tests.
fn today() -> NaiveDate {
    d(2026, 6, 30)
}

fn entered() -> NaiveDate {
    d(2024, 1, 8)
}

/// Given a child who entered care on 8 January 2024.
fn case() -> Case {
    Case::opened(entered(), today())
}

fn close(reason: ReasonCeased, on: NaiveDate) -> Command {
    Command::CloseCase { on, reason }
}

fn legal(step: LegalStep, on: NaiveDate) -> Command {
    Command::RecordLegalStep { on, step }
}

fn reverse(reason: ReversalReason, on: NaiveDate) -> Command {
    Command::ReverseAdoptionDecision { on, reason }
}

/// Given an adoption plan whose SHOBPA decision was made on 1 March 2024.
fn case_with_adoption_decision() -> Case {
    let mut case = case();
    case.plan(Route::Adoption, d(2024, 2, 1)).step(
        Route::Adoption,
        "shobpa_decision",
        d(2024, 3, 1),
    );
    case
}

/// Given an adoption plan up to the child moving in with the adopters on 20 July 2024.
fn case_placed_for_adoption() -> Case {
    let mut case = case_with_adoption_decision();
    case.step(Route::Adoption, "placement_order", d(2024, 5, 1))
        .step(Route::Adoption, "family_finding", d(2024, 5, 2))
        .step(
            Route::Adoption,
            "matching_panel_recommendation",
            d(2024, 7, 1),
        )
        .step(Route::Adoption, "match_decision", d(2024, 7, 5))
        .step(Route::Adoption, "placed_for_adoption", d(2024, 7, 20));
    case
}

/// Given an adoption plan that reached the adoption order on 15 January 2025.
fn case_adopted_not_closed() -> Case {
    let mut case = case_placed_for_adoption();
    case.step(Route::Adoption, "adoption_application", d(2024, 9, 28))
        .step(Route::Adoption, "adoption_order", d(2025, 1, 15));
    case
}

mod opening {
    use super::*;

    #[test]
    fn a_valid_case_opens_with_its_first_episode() {
        let mut case = Case::empty(today());
        let events = case
            .try_apply(Command::OpenCase(open_case(entered())))
            .expect("opens");
        assert_eq!(events.len(), 1);
        assert!(matches!(events[0], Event::CaseOpened { .. }));
        let state = case.state();
        assert_eq!(state.local_authority, LA);
        assert_eq!(state.entered_care_on, entered());
        assert!(state.is_open());
        assert_eq!(state.episodes.len(), 1);
        assert_eq!(state.episodes[0].starts_on, entered());
        assert_eq!(state.episodes[0].placement, PlacementType::U6);
        assert_eq!(state.episodes[0].provider, Some(PlacementProvider::PR1));
        assert!(state.plans.is_empty() && state.reviews.is_empty());
    }

    #[test]
    fn the_local_authority_must_be_e_and_eight_digits() {
        for code in ["E10000003", "E06000001", "E09000033", "E00000000"] {
            let mut open = open_case(entered());
            open.local_authority = code.to_owned();
            assert!(
                Case::empty(today()).when(&Command::OpenCase(open)).is_ok(),
                "{code} should be accepted"
            );
        }
        for code in [
            "",
            "E",
            "E1000000",
            "E100000033",
            "e10000003",
            "W06000001",
            "S12000033",
            "E1000000X",
            "E1000 0003",
            " E10000003",
            "E10000003 ",
            "EE0000003",
            "É1000000",
            "E１0000003",
            "E-10000003",
        ] {
            let mut open = open_case(entered());
            open.local_authority = code.to_owned();
            let (field, _) = invalid(Case::empty(today()).when(&Command::OpenCase(open)));
            assert_eq!(field, "localAuthority", "{code:?}");
        }
    }

    #[test]
    fn entering_care_today_is_accepted_but_tomorrow_is_refused() {
        let on_today = Case::empty(today()).when(&Command::OpenCase(open_case(today())));
        assert!(on_today.is_ok(), "{on_today:?}");

        let tomorrow = today().succ_opt().expect("date");
        let (field, reason) =
            invalid(Case::empty(today()).when(&Command::OpenCase(open_case(tomorrow))));
        assert_eq!(field, "enteredCareOn");
        assert!(reason.contains("future"), "{reason}");
    }

    #[test]
    fn entering_care_before_birth_is_refused_on_the_birth_date_accepted() {
        let mut open = open_case(d(2024, 5, 1));
        open.child_birth_date = d(2024, 5, 1);
        assert!(
            Case::empty(today())
                .when(&Command::OpenCase(open.clone()))
                .is_ok()
        );

        open.child_birth_date = d(2024, 5, 2);
        let (field, reason) = invalid(Case::empty(today()).when(&Command::OpenCase(open)));
        assert_eq!(field, "enteredCareOn");
        assert!(reason.contains("birth"), "{reason}");
    }

    #[test]
    fn provider_pr0_goes_only_with_placement_p1() {
        let with = |placement, provider| {
            let mut open = open_case(entered());
            open.placement = placement;
            open.provider = provider;
            Case::empty(today()).when(&Command::OpenCase(open))
        };
        assert!(with(PlacementType::P1, Some(PlacementProvider::PR0)).is_ok());
        assert!(with(PlacementType::U6, Some(PlacementProvider::PR4)).is_ok());
        assert!(with(PlacementType::U6, None).is_ok());
        for placement in [PlacementType::U6, PlacementType::A3, PlacementType::K2] {
            let (field, _) = invalid(with(placement, Some(PlacementProvider::PR0)));
            assert_eq!(field, "provider", "{placement:?}");
        }
        let (field, _) = invalid(with(PlacementType::P1, Some(PlacementProvider::PR4)));
        assert_eq!(field, "provider");
    }

    #[test]
    fn blank_or_overlong_references_are_refused() {
        let mut open = open_case(entered());
        open.team = Some("   ".to_owned());
        assert_eq!(
            invalid(Case::empty(today()).when(&Command::OpenCase(open))).0,
            "team"
        );
        let mut open = open_case(entered());
        open.carer = Some("x".repeat(101));
        assert_eq!(
            invalid(Case::empty(today()).when(&Command::OpenCase(open))).0,
            "carer"
        );
        let mut open = open_case(entered());
        open.allocated_worker = Some("é".repeat(100));
        assert!(Case::empty(today()).when(&Command::OpenCase(open)).is_ok());
    }

    #[test]
    fn nothing_can_be_recorded_before_the_case_is_opened() {
        let message = not_allowed(Case::empty(today()).when(&Command::RecordReview {
            on: d(2024, 2, 1),
            participation: None,
        }));
        assert!(message.contains("not been opened"), "{message}");
    }

    #[test]
    fn a_case_cannot_be_opened_twice() {
        let message = not_allowed(case().when(&Command::OpenCase(open_case(entered()))));
        assert!(message.contains("already open"), "{message}");
    }
}

mod routes {
    use super::*;

    /// Records the route's steps one by one, checking that only the final one achieves
    /// permanence, and returns the case at the end of the route.
    fn walk(route: Route, steps: &[(&str, NaiveDate)]) -> Case {
        let mut case = case();
        let events = case
            .try_apply(set_plan(route, PlanRole::Primary, d(2024, 2, 1)))
            .expect("plan set");
        assert!(matches!(
            events.as_slice(),
            [Event::RoutePlanStarted { plan_id: 1, route: r, version: 1, role: PlanRole::Primary, .. }] if *r == route
        ));
        assert_eq!(
            case.state().primary_plan().expect("plan").current_step(),
            "plan_endorsed"
        );
        for (i, (step, on)) in steps.iter().enumerate() {
            let last = i + 1 == steps.len();
            if route == Route::LongTermFostering && *step == "match_confirmed" {
                // The match is confirmed for the long-term foster placement the child is in.
                case.placed(PlacementType::U4, *on);
            }
            let events = case
                .try_apply(record_step(route, step, *on))
                .unwrap_or_else(|e| panic!("{step} refused: {e}"));
            assert_eq!(
                events,
                vec![Event::RouteStepRecorded {
                    plan_id: 1,
                    step: (*step).to_owned(),
                    on: *on,
                    achieves_permanence: last,
                    position: None,
                }]
            );
            let plan = case.state().primary_plan().expect("plan");
            assert_eq!(plan.current_step(), *step);
            assert_eq!(plan.achieved, last, "after {step}");
        }
        case
    }

    fn adopted() -> Case {
        walk(
            Route::Adoption,
            &[
                ("shobpa_decision", d(2024, 3, 1)),
                ("placement_order", d(2024, 5, 1)),
                ("family_finding", d(2024, 5, 2)),
                ("matching_panel_recommendation", d(2024, 7, 1)),
                ("match_decision", d(2024, 7, 5)),
                ("placed_for_adoption", d(2024, 7, 20)),
                ("adoption_application", d(2024, 9, 28)),
                ("adoption_order", d(2025, 1, 15)),
            ],
        )
    }

    #[test]
    fn adoption_with_a_placement_order_ends_in_adoption_and_closes_with_e11() {
        let mut case = adopted();
        let plan = case.state().primary_plan().expect("plan");
        assert_eq!(plan.taken("placement_order"), Some(d(2024, 5, 1)));
        assert!(!plan.has_open_adoption_decision());

        let events = case
            .try_apply(close(ReasonCeased::E11, d(2025, 1, 15)))
            .expect("closes");
        assert_eq!(
            events,
            vec![
                Event::RoutePlanEnded {
                    plan_id: 1,
                    on: d(2025, 1, 15),
                    reason: PlanEndReason::CaseClosed,
                },
                Event::CaseClosed {
                    on: d(2025, 1, 15),
                    reason: ReasonCeased::E11,
                },
            ]
        );
        let state = case.state();
        assert!(!state.is_open());
        assert!(state.plans[0].achieved);
        assert_eq!(state.closed.expect("closed").reason, ReasonCeased::E11);
    }

    #[test]
    fn adoption_with_consent_goes_through_the_adoption_panel_and_closes_with_e12() {
        let mut case = walk(
            Route::Adoption,
            &[
                ("adoption_panel_recommendation", d(2024, 2, 20)),
                ("shobpa_decision", d(2024, 2, 27)),
                ("family_finding", d(2024, 3, 1)),
                ("matching_panel_recommendation", d(2024, 6, 3)),
                ("match_decision", d(2024, 6, 10)),
                ("placed_for_adoption", d(2024, 6, 24)),
                ("adoption_application", d(2024, 9, 2)),
                ("adoption_order", d(2024, 12, 2)),
            ],
        );
        assert!(
            case.try_apply(close(ReasonCeased::E12, d(2024, 12, 3)))
                .is_ok()
        );
    }

    #[test]
    fn adoption_may_find_a_family_before_the_placement_order() {
        // Family finding starts once the decision is made; the order follows it, and the
        // matching panel follows the order (family finding is already recorded).
        let mut case = walk(
            Route::Adoption,
            &[
                ("shobpa_decision", d(2024, 3, 1)),
                ("family_finding", d(2024, 3, 4)),
                ("placement_order", d(2024, 5, 1)),
                ("matching_panel_recommendation", d(2024, 6, 3)),
                ("match_decision", d(2024, 6, 10)),
                ("placed_for_adoption", d(2024, 6, 24)),
                ("adoption_application", d(2024, 9, 2)),
                ("adoption_order", d(2024, 12, 2)),
            ],
        );
        let events = case
            .try_apply(close(ReasonCeased::E11, d(2024, 12, 2)))
            .expect("closes");
        assert_eq!(
            events.last(),
            Some(&Event::CaseClosed {
                on: d(2024, 12, 2),
                reason: ReasonCeased::E11,
            })
        );
    }

    #[test]
    fn special_guardianship_through_panel_closes_with_any_of_e45_to_e48() {
        let case = walk(
            Route::SpecialGuardianship,
            &[
                ("assessment_started", d(2024, 2, 5)),
                ("sgo_report_completed", d(2024, 4, 1)),
                ("support_plan_agreed", d(2024, 4, 15)),
                ("panel_recommendation", d(2024, 5, 1)),
                ("adm_decision", d(2024, 5, 8)),
                ("sgo_granted", d(2024, 6, 1)),
            ],
        );
        for reason in [
            ReasonCeased::E45,
            ReasonCeased::E46,
            ReasonCeased::E47,
            ReasonCeased::E48,
        ] {
            let events = case.when(&close(reason, d(2024, 6, 1))).expect("closes");
            assert_eq!(
                events.last(),
                Some(&Event::CaseClosed {
                    on: d(2024, 6, 1),
                    reason
                })
            );
        }
        // An SGO is not an adoption or a child arrangements order.
        let message = not_allowed(case.when(&close(ReasonCeased::E11, d(2024, 6, 1))));
        assert!(message.contains("adoption order"), "{message}");
        let message = not_allowed(case.when(&close(ReasonCeased::E41, d(2024, 6, 1))));
        assert!(message.contains("child arrangements order"), "{message}");
    }

    #[test]
    fn special_guardianship_may_go_to_court_without_a_panel() {
        walk(
            Route::SpecialGuardianship,
            &[
                ("assessment_started", d(2024, 2, 5)),
                ("sgo_report_completed", d(2024, 4, 1)),
                ("support_plan_agreed", d(2024, 4, 15)),
                ("sgo_granted", d(2024, 6, 1)),
            ],
        );
    }

    #[test]
    fn reunification_ends_with_the_return_home_and_closes_with_e4a() {
        let mut case = walk(
            Route::Reunification,
            &[
                ("parent_assessment", d(2024, 2, 12)),
                ("return_home_approved", d(2024, 3, 4)),
                ("placed_with_parents", d(2024, 3, 11)),
                ("returned_home", d(2024, 9, 11)),
            ],
        );
        assert!(
            case.try_apply(close(ReasonCeased::E4A, d(2024, 9, 11)))
                .is_ok()
        );
    }

    #[test]
    fn long_term_fostering_achieves_permanence_and_the_child_stays_in_care() {
        let mut case = walk(
            Route::LongTermFostering,
            &[
                ("carer_identified", d(2024, 2, 12)),
                ("panel_recommendation", d(2024, 3, 4)),
                ("match_approved", d(2024, 3, 11)),
                ("match_confirmed", d(2024, 4, 1)),
            ],
        );
        assert!(case.state().is_open());
        // Care planning goes on after permanence is achieved.
        assert!(
            case.try_apply(Command::RecordReview {
                on: d(2024, 5, 1),
                participation: None
            })
            .is_ok()
        );
    }

    #[test]
    fn child_arrangements_order_is_one_step_and_closes_with_e41() {
        let mut case = walk(
            Route::ChildArrangementsOrder,
            &[("cao_granted", d(2024, 4, 2))],
        );
        assert!(
            case.try_apply(close(ReasonCeased::E41, d(2024, 4, 2)))
                .is_ok()
        );
    }

    #[test]
    fn every_route_walks_its_documented_path_to_the_final_step() {
        for route in Route::ALL {
            let mut case = case();
            case.plan(*route, d(2024, 2, 1));
            let mut on = d(2024, 2, 2);
            for step in full_path(*route) {
                if *step == "adoption_application" {
                    // Ten weeks' residence with the adopters first (ACA s42).
                    on = on.checked_add_days(Days::new(70)).expect("date");
                }
                if *route == Route::LongTermFostering && *step == "match_confirmed" {
                    case.placed(PlacementType::U4, on);
                }
                case.step(*route, step, on);
                on = on.succ_opt().expect("date");
            }
            assert!(
                case.state().primary_plan().expect("plan").achieved,
                "{route}"
            );
        }
    }

    #[test]
    fn nothing_is_recorded_on_a_route_after_permanence_is_achieved() {
        let case = walk(
            Route::ChildArrangementsOrder,
            &[("cao_granted", d(2024, 4, 2))],
        );
        let message = not_allowed(case.when(&record_step(
            Route::ChildArrangementsOrder,
            "cao_granted",
            d(2024, 4, 3),
        )));
        assert!(message.contains("already achieved permanence"), "{message}");
    }

    #[test]
    fn leaving_care_with_an_order_needs_the_order_on_the_route() {
        let case = case_placed_for_adoption();
        for reason in [ReasonCeased::E11, ReasonCeased::E12] {
            let message = not_allowed(case.when(&close(reason, d(2024, 8, 1))));
            assert!(message.contains(reason.code()), "{message}");
            assert!(message.contains("the adoption order"), "{message}");
            assert!(message.contains("adoption route"), "{message}");
        }

        let mut sgo = super::case();
        sgo.plan(Route::SpecialGuardianship, d(2024, 2, 1)).steps(
            Route::SpecialGuardianship,
            &[
                "assessment_started",
                "sgo_report_completed",
                "support_plan_agreed",
            ],
            d(2024, 2, 2),
        );
        for reason in [
            ReasonCeased::E45,
            ReasonCeased::E46,
            ReasonCeased::E47,
            ReasonCeased::E48,
        ] {
            let message = not_allowed(sgo.when(&close(reason, d(2024, 3, 1))));
            assert!(message.contains("special guardianship order"), "{message}");
        }

        let mut cao = super::case();
        cao.plan(Route::ChildArrangementsOrder, d(2024, 2, 1));
        let message = not_allowed(cao.when(&close(ReasonCeased::E41, d(2024, 3, 1))));
        assert!(message.contains("child arrangements order"), "{message}");
    }

    #[test]
    fn an_order_on_a_plan_that_has_ended_does_not_count() {
        let mut case = walk(
            Route::ChildArrangementsOrder,
            &[("cao_granted", d(2024, 4, 2))],
        );
        case.plan(Route::Reunification, d(2024, 4, 3));
        let message = not_allowed(case.when(&close(ReasonCeased::E41, d(2024, 4, 4))));
        assert!(message.contains("child arrangements order"), "{message}");
    }

    #[test]
    fn nothing_can_be_recorded_on_a_closed_case() {
        let mut case = adopted();
        case.given(close(ReasonCeased::E11, d(2025, 1, 15)));
        for command in [
            Command::RecordReview {
                on: d(2025, 2, 1),
                participation: None,
            },
            set_plan(Route::Reunification, PlanRole::Primary, d(2025, 2, 1)),
            close(ReasonCeased::E8, d(2025, 2, 1)),
            Command::AllocateCase {
                on: d(2025, 2, 1),
                team: None,
                allocated_worker: None,
            },
        ] {
            let message = not_allowed(case.when(&command));
            assert!(message.contains("closed"), "{message}");
        }
    }

    #[test]
    fn an_ordinary_closure_needs_no_route() {
        let mut case = case();
        assert!(
            case.try_apply(close(ReasonCeased::E8, d(2024, 3, 1)))
                .is_ok()
        );
        assert!(!case.state().is_open());
    }
}

mod refusals {
    use super::*;

    #[test]
    fn the_match_decision_needs_the_matching_panel_first() {
        let mut case = case_with_adoption_decision();
        case.step(Route::Adoption, "placement_order", d(2024, 5, 1))
            .step(Route::Adoption, "family_finding", d(2024, 5, 2));
        let message = not_allowed(case.when(&record_step(
            Route::Adoption,
            "match_decision",
            d(2024, 6, 1),
        )));
        assert_eq!(
            message,
            "the match decision needs the matching panel recommendation first; the case is at: family finding"
        );
    }

    #[test]
    fn the_match_decision_needs_the_placement_order_or_the_adoption_panel_recommendation() {
        // A SHOBPA decision straight from the plan, then family finding before any order.
        let mut case = case_with_adoption_decision();
        case.step(Route::Adoption, "family_finding", d(2024, 3, 5))
            .step(
                Route::Adoption,
                "matching_panel_recommendation",
                d(2024, 6, 3),
            );
        let message = not_allowed(case.when(&record_step(
            Route::Adoption,
            "match_decision",
            d(2024, 6, 10),
        )));
        assert!(
            message.contains("the placement order or the adoption panel recommendation"),
            "{message}"
        );
        assert!(message.starts_with("the match decision needs"), "{message}");
    }

    #[test]
    fn the_matching_panel_needs_family_finding_even_after_the_placement_order() {
        let mut case = case_with_adoption_decision();
        case.step(Route::Adoption, "placement_order", d(2024, 5, 1));
        let message = not_allowed(case.when(&record_step(
            Route::Adoption,
            "matching_panel_recommendation",
            d(2024, 6, 3),
        )));
        assert_eq!(
            message,
            "the matching panel recommendation needs the family finding first"
        );
        case.step(Route::Adoption, "family_finding", d(2024, 5, 2));
        assert!(
            case.when(&record_step(
                Route::Adoption,
                "matching_panel_recommendation",
                d(2024, 6, 3)
            ))
            .is_ok()
        );
    }

    #[test]
    fn a_step_out_of_order_names_what_it_needs_and_where_the_case_is() {
        let mut case = case();
        case.plan(Route::Adoption, d(2024, 2, 1));
        let message = not_allowed(case.when(&record_step(
            Route::Adoption,
            "placed_for_adoption",
            d(2024, 3, 1),
        )));
        assert_eq!(
            message,
            "the placement for adoption needs the match decision first; the case is at: adoption plan endorsed"
        );
        let message = not_allowed(case.when(&record_step(
            Route::Adoption,
            "family_finding",
            d(2024, 3, 1),
        )));
        assert!(
            message.contains(
                "needs the decision that the child should be placed for adoption or the placement order first"
            ),
            "{message}"
        );
    }

    #[test]
    fn a_step_dated_before_the_previous_step_is_refused() {
        let case = case_with_adoption_decision();
        let (field, reason) = invalid(case.when(&record_step(
            Route::Adoption,
            "placement_order",
            d(2024, 2, 29),
        )));
        assert_eq!(field, "occurredOn");
        assert!(reason.contains("before"), "{reason}");
        // The same day as the previous step is fine.
        assert!(
            case.when(&record_step(
                Route::Adoption,
                "placement_order",
                d(2024, 3, 1)
            ))
            .is_ok()
        );
    }

    #[test]
    fn the_first_step_cannot_be_dated_before_the_plan() {
        let mut case = case();
        case.plan(Route::Reunification, d(2024, 2, 1));
        let (field, _) = invalid(case.when(&record_step(
            Route::Reunification,
            "parent_assessment",
            d(2024, 1, 31),
        )));
        assert_eq!(field, "occurredOn");
    }

    #[test]
    fn a_step_in_the_future_is_refused_and_today_is_accepted() {
        let mut case = case();
        case.plan(Route::Reunification, d(2024, 2, 1));
        let tomorrow = today().succ_opt().expect("date");
        let (field, reason) = invalid(case.when(&record_step(
            Route::Reunification,
            "parent_assessment",
            tomorrow,
        )));
        assert_eq!(field, "occurredOn");
        assert!(reason.contains("future"), "{reason}");
        assert!(
            case.when(&record_step(
                Route::Reunification,
                "parent_assessment",
                today()
            ))
            .is_ok()
        );
    }

    #[test]
    fn nothing_is_dated_in_the_future() {
        let case = case_with_adoption_decision();
        let tomorrow = today().succ_opt().expect("date");
        for command in [
            set_plan(Route::Reunification, PlanRole::Parallel, tomorrow),
            record_step(Route::Adoption, "placement_order", tomorrow),
            reverse(ReversalReason::RD1, tomorrow),
            Command::RecordReview {
                on: tomorrow,
                participation: None,
            },
            Command::RecordHealthAssessment { on: tomorrow },
            Command::AllocateCase {
                on: tomorrow,
                team: None,
                allocated_worker: None,
            },
            Command::RecordEpisode {
                on: tomorrow,
                legal_status: Some(LegalStatus::E1),
                placement: None,
                provider: None,
                carer: None,
                details: Default::default(),
            },
            legal(LegalStep::ProceedingsIssued, tomorrow),
            close(ReasonCeased::E8, tomorrow),
        ] {
            let (field, reason) = invalid(case.when(&command));
            assert_eq!(field, "occurredOn", "{command:?}");
            assert!(reason.contains("future"), "{command:?}: {reason}");
        }
    }

    #[test]
    fn nothing_is_dated_before_the_child_entered_care() {
        let case = case();
        let before = d(2024, 1, 7);
        for command in [
            set_plan(Route::Adoption, PlanRole::Primary, before),
            Command::RecordReview {
                on: before,
                participation: None,
            },
            Command::RecordHealthAssessment { on: before },
            close(ReasonCeased::E8, before),
        ] {
            let (field, reason) = invalid(case.when(&command));
            assert_eq!(field, "occurredOn", "{command:?}");
            assert!(reason.contains("entered care"), "{reason}");
        }
    }

    #[test]
    fn the_adoption_application_waits_ten_weeks_from_the_placement() {
        let case = case_placed_for_adoption();
        // Placed on 20 July 2024: ten weeks later is 28 September 2024.
        let (field, reason) = invalid(case.when(&record_step(
            Route::Adoption,
            "adoption_application",
            d(2024, 9, 27),
        )));
        assert_eq!(field, "occurredOn");
        assert!(reason.contains("10 weeks"), "{reason}");
        assert!(
            case.when(&record_step(
                Route::Adoption,
                "adoption_application",
                d(2024, 9, 28)
            ))
            .is_ok()
        );
    }

    #[test]
    fn a_step_cannot_be_recorded_twice() {
        let case = case_with_adoption_decision();
        let message = not_allowed(case.when(&record_step(
            Route::Adoption,
            "shobpa_decision",
            d(2024, 3, 2),
        )));
        assert_eq!(
            message,
            "the decision that the child should be placed for adoption is already recorded"
        );
    }

    #[test]
    fn an_unknown_step_is_a_validation_error_on_the_step_field() {
        let case = case_with_adoption_decision();
        for step in [
            "shobpa",
            "",
            "SHOBPA_DECISION",
            "cao_granted",
            "sgo_granted",
        ] {
            let (field, _) = invalid(case.when(&record_step(Route::Adoption, step, d(2024, 3, 2))));
            assert_eq!(field, "step", "{step:?}");
        }
    }

    #[test]
    fn a_step_needs_a_plan_on_its_route() {
        let case = case_with_adoption_decision();
        let message = not_allowed(case.when(&record_step(
            Route::SpecialGuardianship,
            "assessment_started",
            d(2024, 3, 2),
        )));
        assert!(
            message.contains("no special guardianship plan"),
            "{message}"
        );
    }

    #[test]
    fn the_plan_is_endorsed_by_setting_it_not_as_a_step() {
        let case = case_with_adoption_decision();
        let message = not_allowed(case.when(&record_step(
            Route::Adoption,
            "plan_endorsed",
            d(2024, 3, 2),
        )));
        assert!(message.contains("route plan is set"), "{message}");
    }
}

mod adoption_invariants {
    use super::*;

    fn open_decisions(case: &Case) -> usize {
        case.state()
            .plans
            .iter()
            .filter(|p| p.has_open_adoption_decision())
            .count()
    }

    #[test]
    fn only_one_decision_to_place_for_adoption_is_open_at_a_time() {
        let mut case = case_with_adoption_decision();
        assert_eq!(open_decisions(&case), 1);
        // No second adoption plan beside the first.
        let message = not_allowed(case.when(&set_plan(
            Route::Adoption,
            PlanRole::Parallel,
            d(2024, 3, 2),
        )));
        assert!(message.contains("already adoption"), "{message}");
        // After a reversal, a new adoption plan may reach a new decision.
        case.given(reverse(ReversalReason::RD1, d(2024, 4, 1)));
        assert_eq!(open_decisions(&case), 0);
        case.plan(Route::Adoption, d(2024, 6, 1)).step(
            Route::Adoption,
            "shobpa_decision",
            d(2024, 6, 10),
        );
        assert_eq!(open_decisions(&case), 1);
        assert_eq!(case.state().plans.len(), 2);
    }

    #[test]
    fn the_route_cannot_move_away_from_adoption_until_the_decision_is_reversed() {
        let mut case = case_with_adoption_decision();
        let message = not_allowed(case.when(&set_plan(
            Route::SpecialGuardianship,
            PlanRole::Primary,
            d(2024, 4, 1),
        )));
        assert!(message.contains("still stands"), "{message}");
        assert!(message.contains("RD1 to RD4"), "{message}");

        let events = case
            .try_apply(reverse(ReversalReason::RD2, d(2024, 4, 1)))
            .expect("reversed");
        assert_eq!(
            events,
            vec![
                Event::AdoptionDecisionReversed {
                    plan_id: 1,
                    on: d(2024, 4, 1),
                    reason: ReversalReason::RD2,
                },
                Event::RoutePlanEnded {
                    plan_id: 1,
                    on: d(2024, 4, 1),
                    reason: PlanEndReason::DecisionReversed,
                },
            ]
        );
        let plan = &case.state().plans[0];
        assert_eq!(plan.reversal.map(|r| r.reason), Some(ReversalReason::RD2));
        assert!(!plan.is_active());
        assert!(case.state().primary_plan().is_none());

        let events = case
            .try_apply(set_plan(
                Route::SpecialGuardianship,
                PlanRole::Primary,
                d(2024, 4, 2),
            ))
            .expect("new plan");
        assert!(matches!(
            events.as_slice(),
            [Event::RoutePlanStarted {
                plan_id: 2,
                route: Route::SpecialGuardianship,
                role: PlanRole::Primary,
                ..
            }]
        ));
    }

    #[test]
    fn before_the_decision_the_route_may_move_away_from_adoption() {
        let mut case = case();
        case.plan(Route::Adoption, d(2024, 2, 1));
        let events = case
            .try_apply(set_plan(
                Route::Reunification,
                PlanRole::Primary,
                d(2024, 2, 5),
            ))
            .expect("route changed");
        assert_eq!(
            events[0],
            Event::RoutePlanEnded {
                plan_id: 1,
                on: d(2024, 2, 5),
                reason: PlanEndReason::RouteChanged,
            }
        );
        assert_eq!(
            case.state().primary_plan().expect("plan").route,
            Route::Reunification
        );
    }

    #[test]
    fn leaving_care_unadopted_with_the_decision_open_is_refused() {
        let mut case = case_placed_for_adoption();
        for reason in [ReasonCeased::E4A, ReasonCeased::E8, ReasonCeased::E3] {
            let message = not_allowed(case.when(&close(reason, d(2024, 8, 1))));
            assert!(message.contains("reverse it first"), "{message}");
        }
        case.given(reverse(ReversalReason::RD4, d(2024, 8, 1)));
        assert!(
            case.try_apply(close(ReasonCeased::E8, d(2024, 8, 2)))
                .is_ok()
        );
        assert!(case.state().plans[0].reversal.is_some());
    }

    #[test]
    fn an_adoption_order_cannot_be_reversed() {
        let case = case_adopted_not_closed();
        let message = not_allowed(case.when(&reverse(ReversalReason::RD1, d(2025, 2, 1))));
        assert!(
            message.contains("adoption order has been made"),
            "{message}"
        );
    }

    #[test]
    fn a_reversal_needs_a_decision_and_follows_it() {
        let mut case = case();
        let message = not_allowed(case.when(&reverse(ReversalReason::RD1, d(2024, 3, 1))));
        assert!(message.contains("no adoption plan"), "{message}");

        case.plan(Route::Adoption, d(2024, 2, 1));
        let message = not_allowed(case.when(&reverse(ReversalReason::RD1, d(2024, 3, 1))));
        assert!(message.contains("no decision"), "{message}");

        case.step(Route::Adoption, "shobpa_decision", d(2024, 3, 1));
        let (field, _) = invalid(case.when(&reverse(ReversalReason::RD1, d(2024, 2, 29))));
        assert_eq!(field, "occurredOn");
        assert!(
            case.when(&reverse(ReversalReason::RD1, d(2024, 3, 1)))
                .is_ok()
        );
    }

    #[test]
    fn a_parallel_adoption_plan_with_a_decision_cannot_simply_be_ended() {
        let mut case = case();
        case.plan(Route::Reunification, d(2024, 2, 1))
            .parallel(Route::Adoption, d(2024, 2, 1))
            .step(Route::Adoption, "shobpa_decision", d(2024, 3, 1));
        let message = not_allowed(case.when(&Command::EndParallelPlan { on: d(2024, 4, 1) }));
        assert!(message.contains("reverse it first"), "{message}");
        // Reversing ends the parallel plan and leaves the primary in place.
        case.given(reverse(ReversalReason::RD3, d(2024, 4, 1)));
        assert!(case.state().parallel_plan().is_none());
        assert_eq!(
            case.state().primary_plan().expect("plan").route,
            Route::Reunification
        );
    }

    /// DOMAIN.md §3.1: the reversal ends the adoption plan, so it cannot come before steps
    /// already recorded on that plan (the placement order, the match, the placement).
    #[test]
    fn a_reversal_cannot_be_dated_before_later_steps_of_the_plan() {
        let case = case_placed_for_adoption();
        // The child moved in with the adopters on 20 July 2024; the SHOBPA was 1 March.
        let (field, reason) = invalid(case.when(&reverse(ReversalReason::RD1, d(2024, 4, 1))));
        assert_eq!(field, "occurredOn");
        assert!(reason.contains("latest step"), "{reason}");
        let (field, _) = invalid(case.when(&reverse(ReversalReason::RD1, d(2024, 7, 19))));
        assert_eq!(field, "occurredOn");
        // On or after the placement, the reversal is accepted.
        assert!(
            case.when(&reverse(ReversalReason::RD1, d(2024, 7, 20)))
                .is_ok()
        );
    }
}

mod parallel_planning {
    use super::*;

    #[test]
    fn a_parallel_plan_needs_a_primary_plan() {
        let case = case();
        let message = not_allowed(case.when(&set_plan(
            Route::Adoption,
            PlanRole::Parallel,
            d(2024, 2, 1),
        )));
        assert_eq!(message, "a parallel plan needs a primary plan first");
    }

    #[test]
    fn a_parallel_plan_is_on_another_route_and_there_is_only_one() {
        let mut case = case();
        case.plan(Route::Reunification, d(2024, 2, 1));
        let message = not_allowed(case.when(&set_plan(
            Route::Reunification,
            PlanRole::Parallel,
            d(2024, 2, 1),
        )));
        assert!(message.contains("already reunification"), "{message}");

        case.parallel(Route::Adoption, d(2024, 2, 1));
        let message = not_allowed(case.when(&set_plan(
            Route::SpecialGuardianship,
            PlanRole::Parallel,
            d(2024, 2, 2),
        )));
        assert!(message.contains("already has a parallel plan"), "{message}");
    }

    #[test]
    fn a_parallel_plan_cannot_start_before_the_primary() {
        let mut case = case();
        case.plan(Route::Reunification, d(2024, 2, 1));
        let (field, _) = invalid(case.when(&set_plan(
            Route::Adoption,
            PlanRole::Parallel,
            d(2024, 1, 31),
        )));
        assert_eq!(field, "occurredOn");
    }

    #[test]
    fn making_the_parallel_route_primary_promotes_it_with_its_steps() {
        let mut case = case();
        case.plan(Route::Reunification, d(2024, 2, 1))
            .step(Route::Reunification, "parent_assessment", d(2024, 2, 20))
            .parallel(Route::Adoption, d(2024, 2, 1))
            .step(Route::Adoption, "shobpa_decision", d(2024, 3, 1))
            .step(Route::Adoption, "placement_order", d(2024, 5, 1));

        let events = case
            .try_apply(set_plan(Route::Adoption, PlanRole::Primary, d(2024, 5, 2)))
            .expect("promoted");
        assert_eq!(
            events,
            vec![
                Event::RoutePlanEnded {
                    plan_id: 1,
                    on: d(2024, 5, 2),
                    reason: PlanEndReason::RouteChanged,
                },
                Event::RoutePlanPromoted {
                    plan_id: 2,
                    on: d(2024, 5, 2),
                },
            ]
        );
        let state = case.state();
        assert_eq!(state.plans.len(), 2, "no new plan is started");
        assert!(state.parallel_plan().is_none());
        let primary = state.primary_plan().expect("primary");
        assert_eq!(primary.id, 2);
        assert_eq!(primary.route, Route::Adoption);
        assert_eq!(primary.started_on, d(2024, 2, 1));
        assert_eq!(primary.current_step(), "placement_order");
        assert_eq!(primary.taken("shobpa_decision"), Some(d(2024, 3, 1)));
        // The first plan for permanence is still the one recorded on 1 February.
        assert_eq!(state.permanence_plan_on(), Some(d(2024, 2, 1)));
        // And the promoted plan carries on from where it was.
        case.step(Route::Adoption, "family_finding", d(2024, 5, 3));
    }

    #[test]
    fn promotion_cannot_be_dated_before_the_parallel_plan_s_latest_step() {
        let mut case = case();
        case.plan(Route::Reunification, d(2024, 2, 1))
            .parallel(Route::Adoption, d(2024, 2, 1))
            .step(Route::Adoption, "shobpa_decision", d(2024, 3, 1))
            .step(Route::Adoption, "placement_order", d(2024, 5, 1));
        // After the primary plan's last date, but before the parallel plan's placement order.
        let (field, reason) = invalid(case.when(&set_plan(
            Route::Adoption,
            PlanRole::Primary,
            d(2024, 4, 30),
        )));
        assert_eq!(field, "occurredOn");
        assert!(reason.contains("parallel plan"), "{reason}");
        // On the day of its latest step it is promoted.
        let events = case
            .when(&set_plan(Route::Adoption, PlanRole::Primary, d(2024, 5, 1)))
            .expect("promoted");
        assert_eq!(
            events.last(),
            Some(&Event::RoutePlanPromoted {
                plan_id: 2,
                on: d(2024, 5, 1),
            })
        );
    }

    #[test]
    fn a_new_primary_route_keeps_the_parallel_plan() {
        let mut case = case();
        case.plan(Route::Reunification, d(2024, 2, 1))
            .parallel(Route::Adoption, d(2024, 2, 1));
        let events = case
            .try_apply(set_plan(
                Route::SpecialGuardianship,
                PlanRole::Primary,
                d(2024, 3, 1),
            ))
            .expect("changed");
        assert!(matches!(
            events.as_slice(),
            [
                Event::RoutePlanEnded {
                    plan_id: 1,
                    reason: PlanEndReason::RouteChanged,
                    ..
                },
                Event::RoutePlanStarted {
                    plan_id: 3,
                    route: Route::SpecialGuardianship,
                    role: PlanRole::Primary,
                    ..
                },
            ]
        ));
        assert_eq!(
            case.state().parallel_plan().expect("parallel").route,
            Route::Adoption
        );
    }

    #[test]
    fn setting_the_same_primary_route_again_is_refused() {
        let mut case = case();
        case.plan(Route::LongTermFostering, d(2024, 2, 1));
        let message = not_allowed(case.when(&set_plan(
            Route::LongTermFostering,
            PlanRole::Primary,
            d(2024, 2, 2),
        )));
        assert!(message.contains("already long-term fostering"), "{message}");
    }

    #[test]
    fn a_route_change_cannot_be_dated_before_the_current_plan_s_latest_step() {
        let mut case = case();
        case.plan(Route::Reunification, d(2024, 2, 1)).step(
            Route::Reunification,
            "parent_assessment",
            d(2024, 3, 1),
        );
        let (field, _) = invalid(case.when(&set_plan(
            Route::Adoption,
            PlanRole::Primary,
            d(2024, 2, 29),
        )));
        assert_eq!(field, "occurredOn");
    }

    #[test]
    fn ending_the_parallel_plan() {
        let mut case = case();
        case.plan(Route::Reunification, d(2024, 2, 1));
        let message = not_allowed(case.when(&Command::EndParallelPlan { on: d(2024, 3, 1) }));
        assert!(message.contains("no parallel plan"), "{message}");

        case.parallel(Route::LongTermFostering, d(2024, 2, 1)).step(
            Route::LongTermFostering,
            "carer_identified",
            d(2024, 3, 1),
        );
        let (field, _) = invalid(case.when(&Command::EndParallelPlan { on: d(2024, 2, 29) }));
        assert_eq!(field, "occurredOn");

        let events = case
            .try_apply(Command::EndParallelPlan { on: d(2024, 3, 1) })
            .expect("ended");
        assert_eq!(
            events,
            vec![Event::RoutePlanEnded {
                plan_id: 2,
                on: d(2024, 3, 1),
                reason: PlanEndReason::ParallelEnded,
            }]
        );
        assert!(case.state().parallel_plan().is_none());
        assert!(case.state().primary_plan().is_some());
        // Its steps can no longer be recorded.
        let message = not_allowed(case.when(&record_step(
            Route::LongTermFostering,
            "panel_recommendation",
            d(2024, 3, 2),
        )));
        assert!(message.contains("no long-term fostering plan"), "{message}");
    }

    #[test]
    fn closing_the_case_ends_every_active_plan() {
        let mut case = case();
        case.plan(Route::Reunification, d(2024, 2, 1))
            .parallel(Route::LongTermFostering, d(2024, 2, 1));
        let events = case
            .try_apply(close(ReasonCeased::E4B, d(2024, 3, 1)))
            .expect("closed");
        assert_eq!(events.len(), 3);
        assert!(
            case.state()
                .plans
                .iter()
                .all(|p| p.ended.map(|e| e.reason) == Some(PlanEndReason::CaseClosed))
        );
    }
}

mod legal_track {
    use super::*;

    #[test]
    fn the_meeting_needs_the_letter_first() {
        let mut case = case();
        case.given(legal(LegalStep::PreProceedingsStarted, d(2024, 2, 1)));
        let message =
            not_allowed(case.when(&legal(LegalStep::PreProceedingsMeetingHeld, d(2024, 2, 10))));
        assert!(
            message.contains("needs the letter before proceedings first"),
            "{message}"
        );

        case.given(legal(LegalStep::LetterBeforeProceedingsSent, d(2024, 2, 5)));
        let (field, _) =
            invalid(case.when(&legal(LegalStep::PreProceedingsMeetingHeld, d(2024, 2, 4))));
        assert_eq!(field, "occurredOn");
        case.given(legal(LegalStep::PreProceedingsMeetingHeld, d(2024, 2, 12)));
        let message =
            not_allowed(case.when(&legal(LegalStep::PreProceedingsMeetingHeld, d(2024, 2, 13))));
        assert!(message.contains("already recorded"), "{message}");
    }

    #[test]
    fn the_letter_needs_pre_proceedings() {
        let message = not_allowed(case().when(&legal(
            LegalStep::LetterBeforeProceedingsSent,
            d(2024, 2, 5),
        )));
        assert!(message.contains("not in pre-proceedings"), "{message}");
    }

    #[test]
    fn pre_proceedings_start_again_only_after_the_last_round_ended() {
        let mut case = case();
        case.given(legal(LegalStep::PreProceedingsStarted, d(2024, 2, 1)));
        let message =
            not_allowed(case.when(&legal(LegalStep::PreProceedingsStarted, d(2024, 2, 2))));
        assert!(message.contains("already started"), "{message}");
        case.given(legal(LegalStep::PreProceedingsSteppedDown, d(2024, 3, 1)));
        // Concerns return: a second round, not before the first ended.
        let (field, reason) =
            invalid(case.when(&legal(LegalStep::PreProceedingsStarted, d(2024, 2, 20))));
        assert_eq!(field, "occurredOn");
        assert!(reason.contains("end of the earlier"), "{reason}");
        case.given(legal(LegalStep::PreProceedingsStarted, d(2024, 9, 2)));
        let track = &case.state().legal;
        assert_eq!(track.earlier.len(), 1);
        assert_eq!(
            track.earlier[0]
                .pre_proceedings
                .as_ref()
                .expect("first")
                .ended,
            Some((d(2024, 3, 1), PreProceedingsOutcome::SteppedDown))
        );
        assert_eq!(
            track.pre_proceedings.as_ref().expect("second").started_on,
            Some(d(2024, 9, 2))
        );
        // The second round's letter is its own: the first round's is not carried over.
        assert_eq!(
            track.pre_proceedings.as_ref().expect("second").letter_on,
            None
        );
        assert_eq!(track.rounds().count(), 2);
    }

    #[test]
    fn proceedings_can_follow_concluded_proceedings_as_a_new_round() {
        let mut case = case();
        case.given(legal(LegalStep::ProceedingsIssued, d(2024, 2, 1)));
        let message =
            not_allowed(case.when(&legal(LegalStep::PreProceedingsStarted, d(2024, 3, 1))));
        assert!(message.contains("under way"), "{message}");
        case.given(legal(
            LegalStep::FinalHearingHeld {
                order: FinalOrder::SupervisionOrder,
            },
            d(2024, 7, 1),
        ));
        let (field, _) = invalid(case.when(&legal(LegalStep::ProceedingsIssued, d(2024, 6, 30))));
        assert_eq!(field, "occurredOn");
        case.given(legal(LegalStep::PreProceedingsStarted, d(2025, 1, 6)))
            .given(legal(LegalStep::LetterBeforeProceedingsSent, d(2025, 1, 7)))
            .given(legal(LegalStep::ProceedingsIssued, d(2025, 3, 3)));
        let track = &case.state().legal;
        let rounds: Vec<_> = track.rounds().collect();
        assert_eq!(rounds.len(), 2);
        assert_eq!(rounds[0].ended_on(), Some(d(2024, 7, 1)));
        assert!(rounds[0].pre_proceedings.is_none());
        assert_eq!(rounds[1].ended_on(), None);
        assert_eq!(
            rounds[1].pre_proceedings.as_ref().expect("pre").ended,
            Some((d(2025, 3, 3), PreProceedingsOutcome::ProceedingsIssued))
        );
        let issued: Vec<_> = track.all_proceedings().map(|p| p.issued_on).collect();
        assert_eq!(issued, vec![d(2024, 2, 1), d(2025, 3, 3)]);
        // The new round's hearings are its own: its final hearing follows its issue.
        let (field, reason) = invalid(case.when(&legal(
            LegalStep::FinalHearingHeld {
                order: FinalOrder::CareOrder,
            },
            d(2025, 3, 2),
        )));
        assert_eq!(field, "occurredOn");
        assert!(reason.contains("earlier hearings"), "{reason}");
    }

    #[test]
    fn issuing_proceedings_ends_pre_proceedings() {
        let mut case = case();
        case.given(legal(LegalStep::PreProceedingsStarted, d(2024, 2, 1)))
            .given(legal(LegalStep::LetterBeforeProceedingsSent, d(2024, 2, 2)))
            .given(legal(LegalStep::PreProceedingsMeetingHeld, d(2024, 2, 9)));
        let (field, _) = invalid(case.when(&legal(LegalStep::ProceedingsIssued, d(2024, 2, 8))));
        assert_eq!(field, "occurredOn");
        case.given(legal(LegalStep::ProceedingsIssued, d(2024, 4, 1)));
        let legal_track = &case.state().legal;
        assert_eq!(
            legal_track.pre_proceedings.as_ref().expect("pre").ended,
            Some((d(2024, 4, 1), PreProceedingsOutcome::ProceedingsIssued))
        );
        assert_eq!(
            legal_track.proceedings.as_ref().expect("issued").issued_on,
            d(2024, 4, 1)
        );
        let message = not_allowed(case.when(&legal(LegalStep::ProceedingsIssued, d(2024, 4, 2))));
        assert!(message.contains("already under way"), "{message}");
    }

    #[test]
    fn extensions_are_one_to_eight_weeks() {
        let mut case = case();
        let message = not_allowed(case.when(&legal(
            LegalStep::ExtensionGranted { weeks: 4 },
            d(2024, 2, 1),
        )));
        assert!(message.contains("have not been issued"), "{message}");

        case.given(legal(LegalStep::ProceedingsIssued, d(2024, 2, 1)));
        for weeks in [0, 9, 26, u32::MAX] {
            let (field, _) =
                invalid(case.when(&legal(LegalStep::ExtensionGranted { weeks }, d(2024, 8, 1))));
            assert_eq!(field, "extensionWeeks", "{weeks}");
        }
        for weeks in 1..=8 {
            assert!(
                case.when(&legal(LegalStep::ExtensionGranted { weeks }, d(2024, 8, 1)))
                    .is_ok(),
                "{weeks}"
            );
        }
        case.given(legal(
            LegalStep::ExtensionGranted { weeks: 8 },
            d(2024, 8, 1),
        ))
        .given(legal(
            LegalStep::ExtensionGranted { weeks: 1 },
            d(2024, 9, 20),
        ));
        assert_eq!(
            case.state()
                .legal
                .proceedings
                .as_ref()
                .expect("issued")
                .extensions,
            vec![(d(2024, 8, 1), 8), (d(2024, 9, 20), 1)]
        );
    }

    #[test]
    fn the_final_hearing_needs_issued_proceedings_and_concludes_them() {
        let mut case = case();
        let order = FinalOrder::SupervisionOrder;
        let message =
            not_allowed(case.when(&legal(LegalStep::FinalHearingHeld { order }, d(2024, 6, 1))));
        assert!(message.contains("have not been issued"), "{message}");

        case.given(legal(LegalStep::ProceedingsIssued, d(2024, 2, 1)))
            .given(legal(LegalStep::CaseManagementHearingHeld, d(2024, 2, 15)))
            .given(legal(LegalStep::IssuesResolutionHearingHeld, d(2024, 6, 3)));
        let (field, _) =
            invalid(case.when(&legal(LegalStep::FinalHearingHeld { order }, d(2024, 6, 2))));
        assert_eq!(field, "occurredOn");
        case.given(legal(LegalStep::FinalHearingHeld { order }, d(2024, 7, 1)));
        assert_eq!(
            case.state()
                .legal
                .proceedings
                .as_ref()
                .expect("issued")
                .concluded,
            Some((d(2024, 7, 1), order))
        );
        // A supervision order leaves the placement and legal status as they were.
        assert_eq!(case.state().episodes.len(), 1);
        // Concluded proceedings take no extension and no second final hearing.
        for step in [
            LegalStep::ExtensionGranted { weeks: 2 },
            LegalStep::FinalHearingHeld {
                order: FinalOrder::CareOrder,
            },
        ] {
            let message = not_allowed(case.when(&legal(step, d(2024, 7, 2))));
            assert!(message.contains("have already concluded"), "{message}");
        }
    }

    #[test]
    fn a_care_order_makes_the_legal_status_c2_from_its_day() {
        let mut case = case();
        case.given(legal(LegalStep::ProceedingsIssued, d(2024, 1, 10)));
        let events = case
            .try_apply(legal(
                LegalStep::FinalHearingHeld {
                    order: FinalOrder::CareOrder,
                },
                d(2024, 7, 1),
            ))
            .expect("recorded");
        assert_eq!(events.len(), 2, "{events:?}");
        let state = case.state();
        let last = state.episodes.last().expect("episode");
        assert_eq!(
            (last.starts_on, last.legal_status),
            (d(2024, 7, 1), LegalStatus::C2)
        );
        // The placement itself carries over: only the legal status changed.
        assert_eq!(last.placement, state.episodes[0].placement);
        assert_eq!(last.carer, state.episodes[0].carer);
    }

    #[test]
    fn a_care_order_on_a_child_already_under_one_adds_no_episode() {
        let mut case = case();
        case.given(Command::RecordEpisode {
            on: d(2024, 3, 1),
            legal_status: Some(LegalStatus::C2),
            placement: None,
            provider: None,
            carer: None,
            details: Default::default(),
        })
        .given(legal(LegalStep::ProceedingsIssued, d(2024, 4, 1)));
        let events = case
            .try_apply(legal(
                LegalStep::FinalHearingHeld {
                    order: FinalOrder::CareOrder,
                },
                d(2024, 9, 1),
            ))
            .expect("recorded");
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(case.state().episodes.len(), 2);
    }

    #[test]
    fn an_order_dated_before_a_later_placement_is_refused_with_what_to_do() {
        let mut case = case();
        case.given(legal(LegalStep::ProceedingsIssued, d(2024, 1, 10)))
            .placed(PlacementType::U4, d(2024, 8, 1));
        let message = not_allowed(case.when(&legal(
            LegalStep::FinalHearingHeld {
                order: FinalOrder::CareOrder,
            },
            d(2024, 7, 1),
        )));
        assert!(message.contains("(C2)"), "{message}");
        assert!(message.contains("before the placements"), "{message}");
    }

    #[test]
    fn a_placement_order_is_the_adoption_plans_step_and_legal_status_e1() {
        let mut case = case();
        case.given(legal(LegalStep::ProceedingsIssued, d(2024, 1, 10)));
        let placement_order = legal(
            LegalStep::FinalHearingHeld {
                order: FinalOrder::PlacementOrder,
            },
            d(2024, 7, 1),
        );
        let message = not_allowed(case.when(&placement_order));
        assert!(message.contains("no adoption plan"), "{message}");

        // With a plan but no decision that the child should be placed for adoption, the
        // route refuses the step, and says so inside the final hearing's refusal.
        case.plan(Route::Adoption, d(2024, 2, 1));
        let message = not_allowed(case.when(&placement_order));
        assert!(
            message.starts_with("a placement order is the adoption plan's placement order step: "),
            "{message}"
        );

        case.step(Route::Adoption, "shobpa_decision", d(2024, 3, 1));
        let events = case.try_apply(placement_order).expect("recorded");
        assert_eq!(events.len(), 3, "{events:?}");
        let state = case.state();
        let plan = state.active_plan(Route::Adoption).expect("plan");
        assert_eq!(plan.taken("placement_order"), Some(d(2024, 7, 1)));
        let last = state.episodes.last().expect("episode");
        assert_eq!(
            (last.starts_on, last.legal_status),
            (d(2024, 7, 1), LegalStatus::E1)
        );
    }

    #[test]
    fn a_special_guardianship_order_is_the_plans_order_step_when_there_is_a_plan() {
        let sgo = legal(
            LegalStep::FinalHearingHeld {
                order: FinalOrder::SpecialGuardianshipOrder,
            },
            d(2024, 9, 2),
        );
        // Made whatever the authority's plan: with none, only the hearing is recorded.
        let mut without = case();
        without.given(legal(LegalStep::ProceedingsIssued, d(2024, 3, 1)));
        assert_eq!(without.when(&sgo).expect("recorded").len(), 1);

        let mut case = case();
        let path = full_path(Route::SpecialGuardianship);
        case.given(legal(LegalStep::ProceedingsIssued, d(2024, 3, 1)))
            .plan(Route::SpecialGuardianship, d(2024, 3, 4))
            .steps(
                Route::SpecialGuardianship,
                &path[..path.len() - 1],
                d(2024, 4, 1),
            );
        let events = case.try_apply(sgo).expect("recorded");
        assert_eq!(events.len(), 2, "{events:?}");
        let plan = case
            .state()
            .active_plan(Route::SpecialGuardianship)
            .expect("plan");
        assert_eq!(plan.taken("sgo_granted"), Some(d(2024, 9, 2)));
        assert!(plan.achieved);
    }

    #[test]
    fn a_placement_order_step_recorded_before_the_hearing_is_not_recorded_twice() {
        let mut case = case_with_adoption_decision();
        case.given(legal(LegalStep::ProceedingsIssued, d(2024, 1, 10)))
            .step(Route::Adoption, "placement_order", d(2024, 5, 1))
            .given(Command::RecordEpisode {
                on: d(2024, 5, 1),
                legal_status: Some(LegalStatus::E1),
                placement: None,
                provider: None,
                carer: None,
                details: Default::default(),
            });
        let events = case
            .try_apply(legal(
                LegalStep::FinalHearingHeld {
                    order: FinalOrder::PlacementOrder,
                },
                d(2024, 5, 1),
            ))
            .expect("recorded");
        assert_eq!(events.len(), 1, "{events:?}");
    }

    #[test]
    fn the_legal_track_may_begin_before_care_but_not_before_birth_or_in_the_future() {
        let mut case = case();
        // Pre-proceedings usually come before the child enters care.
        case.given(legal(LegalStep::PreProceedingsStarted, d(2023, 10, 2)));
        let (field, reason) = invalid(case.when(&legal(
            LegalStep::LetterBeforeProceedingsSent,
            d(2020, 3, 13),
        )));
        assert_eq!(field, "occurredOn");
        assert!(reason.contains("birth"), "{reason}");
        let tomorrow = today().succ_opt().expect("date");
        let (field, reason) =
            invalid(case.when(&legal(LegalStep::LetterBeforeProceedingsSent, tomorrow)));
        assert_eq!(field, "occurredOn");
        assert!(reason.contains("future"), "{reason}");
    }
}

mod episodes {
    use super::*;

    /// The fields of `Command::RecordEpisode`, so that a test can name only those it changes
    /// with functional-update syntax (`Change { carer: .., ..episode(on) }`).
    #[derive(Clone, Debug)]
    struct Change {
        on: NaiveDate,
        legal_status: Option<LegalStatus>,
        placement: Option<PlacementType>,
        provider: Option<PlacementProvider>,
        carer: Option<String>,
    }

    /// An episode on `on` that changes nothing yet.
    fn episode(on: NaiveDate) -> Change {
        Change {
            on,
            legal_status: None,
            placement: None,
            provider: None,
            carer: None,
        }
    }

    fn record(change: Change) -> Command {
        let Change {
            on,
            legal_status,
            placement,
            provider,
            carer,
        } = change;
        Command::RecordEpisode {
            on,
            legal_status,
            placement,
            provider,
            carer,
            details: Default::default(),
        }
    }

    #[test]
    fn a_legal_status_change_carries_the_placement_provider_and_carer_over() {
        let mut case = case();
        let events = case
            .try_apply(record(Change {
                legal_status: Some(LegalStatus::C2),
                ..episode(d(2024, 6, 1))
            }))
            .expect("recorded");
        assert_eq!(
            events,
            vec![Event::EpisodeStarted {
                on: d(2024, 6, 1),
                legal_status: LegalStatus::C2,
                placement: PlacementType::U6,
                provider: Some(PlacementProvider::PR1),
                carer: Some("carer-1".to_owned()),
                details: Default::default(),
                from_history: false,
            }]
        );
        assert_eq!(case.state().episodes.len(), 2);
        assert_eq!(
            case.state()
                .current_episode()
                .expect("episode")
                .legal_status,
            LegalStatus::C2
        );
    }

    #[test]
    fn a_new_carer_alone_carries_the_rest_over() {
        let case = case();
        let events = case
            .when(&record(Change {
                carer: Some("carer-2".to_owned()),
                ..episode(d(2024, 6, 1))
            }))
            .expect("recorded");
        assert_eq!(
            events,
            vec![Event::EpisodeStarted {
                on: d(2024, 6, 1),
                legal_status: LegalStatus::C1,
                placement: PlacementType::U6,
                provider: Some(PlacementProvider::PR1),
                carer: Some("carer-2".to_owned()),
                details: Default::default(),
                from_history: false,
            }]
        );
    }

    #[test]
    fn a_new_placement_type_does_not_carry_the_old_provider() {
        let mut case = case();
        case.given(record(Change {
            placement: Some(PlacementType::P1),
            provider: Some(PlacementProvider::PR0),
            ..episode(d(2024, 6, 1))
        }));
        let events = case
            .try_apply(record(Change {
                placement: Some(PlacementType::U4),
                ..episode(d(2024, 7, 1))
            }))
            .expect("PR0 is not carried to a foster placement");
        assert_eq!(
            events,
            vec![Event::EpisodeStarted {
                on: d(2024, 7, 1),
                legal_status: LegalStatus::C1,
                placement: PlacementType::U4,
                provider: None,
                carer: Some("carer-1".to_owned()),
                details: Default::default(),
                from_history: false,
            }]
        );
    }

    #[test]
    fn pr0_is_refused_for_a_placement_other_than_p1() {
        let case = case();
        let (field, _) = invalid(case.when(&record(Change {
            provider: Some(PlacementProvider::PR0),
            ..episode(d(2024, 6, 1))
        })));
        assert_eq!(field, "provider");
        let (field, _) = invalid(case.when(&record(Change {
            placement: Some(PlacementType::P1),
            provider: Some(PlacementProvider::PR4),
            ..episode(d(2024, 6, 1))
        })));
        assert_eq!(field, "provider");
    }

    #[test]
    fn nothing_changed_is_refused() {
        let case = case();
        let (field, reason) = invalid(case.when(&record(episode(d(2024, 6, 1)))));
        assert_eq!(field, "legalStatus");
        assert!(reason.contains("at least one"), "{reason}");

        let (field, reason) = invalid(case.when(&Command::RecordEpisode {
            on: d(2024, 6, 1),
            legal_status: Some(LegalStatus::C1),
            placement: Some(PlacementType::U6),
            provider: Some(PlacementProvider::PR1),
            carer: Some("carer-1".to_owned()),
            details: Default::default(),
        }));
        assert_eq!(field, "legalStatus");
        assert!(reason.contains("nothing changed"), "{reason}");

        let (_, reason) = invalid(case.when(&record(Change {
            placement: Some(PlacementType::U6),
            ..episode(d(2024, 6, 1))
        })));
        assert!(reason.contains("nothing changed"), "{reason}");
    }

    #[test]
    fn an_episode_cannot_start_before_the_current_one() {
        let mut case = case();
        case.given(record(Change {
            legal_status: Some(LegalStatus::C2),
            ..episode(d(2024, 6, 1))
        }));
        let (field, _) = invalid(case.when(&record(Change {
            legal_status: Some(LegalStatus::E1),
            ..episode(d(2024, 5, 31))
        })));
        assert_eq!(field, "occurredOn");
        // Nor can the case close before it.
        let (field, _) = invalid(case.when(&close(ReasonCeased::E8, d(2024, 5, 31))));
        assert_eq!(field, "occurredOn");
    }

    #[test]
    fn a_blank_carer_is_refused() {
        let (field, _) = invalid(case().when(&record(Change {
            carer: Some(" ".to_owned()),
            ..episode(d(2024, 6, 1))
        })));
        assert_eq!(field, "carer");
    }
}

mod care_planning {
    use super::*;

    #[test]
    fn reviews_are_dated_after_the_previous_one() {
        let mut case = case();
        case.given(Command::RecordReview {
            on: d(2024, 2, 1),
            participation: None,
        });
        let (field, _) = invalid(case.when(&Command::RecordReview {
            on: d(2024, 2, 1),
            participation: None,
        }));
        assert_eq!(field, "occurredOn");
        let (field, _) = invalid(case.when(&Command::RecordReview {
            on: d(2024, 1, 31),
            participation: None,
        }));
        assert_eq!(field, "occurredOn");
        case.given(Command::RecordReview {
            on: d(2024, 2, 2),
            participation: None,
        });
        assert_eq!(case.state().reviews, vec![d(2024, 2, 1), d(2024, 2, 2)]);
    }

    #[test]
    fn health_assessments_are_initial_then_review() {
        use permanence_domain::case::HealthAssessmentKind;
        let mut case = case();
        case.given(Command::RecordHealthAssessment { on: d(2024, 1, 20) })
            .given(Command::RecordHealthAssessment { on: d(2024, 7, 20) });
        let kinds: Vec<_> = case
            .state()
            .health_assessments
            .iter()
            .map(|h| h.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![HealthAssessmentKind::Initial, HealthAssessmentKind::Review]
        );
        let (field, _) =
            invalid(case.when(&Command::RecordHealthAssessment { on: d(2024, 7, 20) }));
        assert_eq!(field, "occurredOn");
    }

    #[test]
    fn allocation_changes_team_and_worker() {
        let mut case = case();
        case.given(Command::AllocateCase {
            on: d(2024, 2, 1),
            team: Some("team-b".to_owned()),
            allocated_worker: None,
        });
        assert_eq!(case.state().team.as_deref(), Some("team-b"));
        assert_eq!(case.state().allocated_worker, None);
        let (field, _) = invalid(case.when(&Command::AllocateCase {
            on: d(2024, 2, 1),
            team: None,
            allocated_worker: Some(String::new()),
        }));
        assert_eq!(field, "allocatedWorker");
    }
}

mod closing {
    use super::*;

    /// The child cannot leave care by adoption before the adoption order was made, nor
    /// leave care before steps already recorded on the case.
    #[test]
    fn leaving_care_cannot_be_dated_before_the_order_that_ends_it() {
        let case = case_adopted_not_closed();
        // The adoption order was made on 15 January 2025.
        let (field, _) = invalid(case.when(&close(ReasonCeased::E11, d(2024, 12, 1))));
        assert_eq!(field, "occurredOn");
    }

    #[test]
    fn leaving_care_cannot_be_dated_before_the_latest_step_of_an_active_plan() {
        let mut case = case();
        case.plan(Route::Reunification, d(2024, 2, 1))
            .step(Route::Reunification, "parent_assessment", d(2024, 3, 1))
            .parallel(Route::LongTermFostering, d(2024, 2, 1))
            .step(Route::LongTermFostering, "carer_identified", d(2024, 4, 1));
        // Before the primary plan's latest step.
        let (field, reason) = invalid(case.when(&close(ReasonCeased::E8, d(2024, 2, 29))));
        assert_eq!(field, "occurredOn");
        assert!(reason.contains("latest step of a route plan"), "{reason}");
        // After the primary's latest step but before the parallel plan's.
        let (field, reason) = invalid(case.when(&close(ReasonCeased::E8, d(2024, 3, 31))));
        assert_eq!(field, "occurredOn");
        assert!(reason.contains("latest step of a route plan"), "{reason}");
        assert!(case.when(&close(ReasonCeased::E8, d(2024, 4, 1))).is_ok());
    }

    #[test]
    fn leaving_care_cannot_be_dated_before_the_latest_review() {
        let mut case = case();
        case.given(Command::RecordReview {
            on: d(2024, 2, 1),
            participation: None,
        })
        .given(Command::RecordReview {
            on: d(2024, 5, 1),
            participation: None,
        });
        let (field, reason) = invalid(case.when(&close(ReasonCeased::E8, d(2024, 4, 30))));
        assert_eq!(field, "occurredOn");
        assert!(reason.contains("latest review"), "{reason}");
        assert!(case.when(&close(ReasonCeased::E8, d(2024, 5, 1))).is_ok());
    }

    #[test]
    fn leaving_care_cannot_be_dated_before_the_latest_health_assessment() {
        let mut case = case();
        case.given(Command::RecordHealthAssessment { on: d(2024, 1, 20) })
            .given(Command::RecordHealthAssessment { on: d(2024, 7, 20) });
        let (field, reason) = invalid(case.when(&close(ReasonCeased::E8, d(2024, 7, 19))));
        assert_eq!(field, "occurredOn");
        assert!(reason.contains("latest health assessment"), "{reason}");
        assert!(case.when(&close(ReasonCeased::E8, d(2024, 7, 20))).is_ok());
    }

    /// DOMAIN.md §5: the national validator (rule 117) refuses a decision that the child
    /// should no longer be placed for adoption dated after the child ceased to be looked
    /// after. A reversal already recorded ends the adoption plan, so the check on active
    /// plans does not see it.
    #[test]
    fn leaving_care_cannot_be_dated_before_a_recorded_reversal() {
        let mut case = case_with_adoption_decision();
        case.given(reverse(ReversalReason::RD1, d(2024, 4, 1)));
        assert!(case.state().primary_plan().is_none());
        let (field, _) = invalid(case.when(&close(ReasonCeased::E8, d(2024, 3, 15))));
        assert_eq!(field, "occurredOn");
        assert!(case.when(&close(ReasonCeased::E8, d(2024, 4, 1))).is_ok());
    }

    #[test]
    fn refusals_are_the_domain_error_kinds_the_api_maps() {
        // A sanity check of the error shapes the helpers rely on.
        let err = case()
            .when(&record_step(
                Route::Adoption,
                "shobpa_decision",
                d(2024, 3, 1),
            ))
            .expect_err("no plan");
        assert!(matches!(err, DomainError::TransitionNotAllowed(_)));
        assert_eq!(
            DomainError::validation("step", "unknown").to_string(),
            "step: unknown"
        );
    }
}
