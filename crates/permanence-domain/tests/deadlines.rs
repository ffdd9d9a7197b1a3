//! Deadlines derived from a case and drift against them, checked against dates worked out
//! by hand from the England and Wales bank holidays.

use crate::common;

use chrono::NaiveDate;
use common::{Case, catalog, d, record_step};
use permanence_domain::case::{LegalStep, PlanRole};
use permanence_domain::codes::{PlacementType, ReasonCeased, ReversalReason};
use permanence_domain::deadlines::{DeadlineCategory, drift};
use permanence_domain::timescales::{Basis, Period};
use permanence_domain::{
    CaseState, Command, Deadline, DriftStatus, Route, Timescales, derive_deadlines,
};

fn today() -> NaiveDate {
    d(2026, 6, 30)
}

fn deadlines(case: &Case) -> Vec<Deadline> {
    derive_deadlines(case.state(), catalog(), &Timescales::default())
}

fn deadlines_with(state: &CaseState, settings: &Timescales) -> Vec<Deadline> {
    derive_deadlines(state, catalog(), settings)
}

/// The deadline with this key; panics with the keys there are when it is missing.
fn due(case: &Case, key: &str) -> Deadline {
    find(&deadlines(case), key)
}

fn find(all: &[Deadline], key: &str) -> Deadline {
    all.iter()
        .find(|x| x.key == key)
        .cloned()
        .unwrap_or_else(|| panic!("no deadline {key}; there are {:?}", keys(all)))
}

fn keys(all: &[Deadline]) -> Vec<&str> {
    all.iter().map(|x| x.key.as_str()).collect()
}

fn has(case: &Case, key: &str) -> bool {
    deadlines(case).iter().any(|x| x.key == key)
}

fn review(on: NaiveDate) -> Command {
    Command::RecordReview {
        on,
        participation: None,
    }
}

fn legal(step: LegalStep, on: NaiveDate) -> Command {
    Command::RecordLegalStep { on, step }
}

mod care_planning_spine {
    use super::*;

    /// Monday 16 December 2024: the 20 working days skip Christmas Day (Wed 25), Boxing
    /// Day (Thu 26), New Year's Day 2025 (Wed 1 Jan) and three weekends.
    ///   Dec 17 18 19 20 | 23 24 27 | 30 31 | Jan 2 3 | 6 7 8 9 10 | 13 14 15 16
    ///   1  2  3  4  | 5  6  7  | 8  9  | 10 11 | 12 .. 16    | 17 .. 20
    #[test]
    fn the_first_review_is_due_20_working_days_after_entering_care() {
        let case = Case::opened(d(2024, 12, 16), today());
        let first = due(&case, "review");
        assert_eq!(first.due_on, d(2025, 1, 16));
        assert_eq!(first.started_on, d(2024, 12, 16));
        assert_eq!(first.period, Period::WorkingDays(20));
        assert_eq!(first.basis, Basis::Law);
        assert_eq!(first.category, DeadlineCategory::CarePlanning);
        assert_eq!(first.label, "first statutory review");
        assert!(first.reference.contains("reg 33"), "{}", first.reference);
        assert_eq!(first.route, None);
        assert_eq!(first.plan_id, None);
    }

    #[test]
    fn the_first_review_across_christmas_2022_and_its_substitute_days() {
        // Monday 19 December 2022: Boxing Day (Mon 26), the Christmas substitute (Tue 27)
        // and the New Year substitute (Mon 2 Jan 2023) are not working days.
        let case = Case::opened(d(2022, 12, 19), today());
        assert_eq!(due(&case, "review").due_on, d(2023, 1, 19));
    }

    #[test]
    fn the_second_review_is_due_three_months_after_the_first_was_held() {
        let mut case = Case::opened(d(2024, 12, 16), today());
        case.given(review(d(2025, 1, 10)));
        let second = due(&case, "review");
        assert_eq!(second.due_on, d(2025, 4, 10));
        assert_eq!(second.started_on, d(2025, 1, 10));
        assert_eq!(second.period, Period::Months(3));
        assert_eq!(second.label, "second statutory review");
    }

    #[test]
    fn later_reviews_are_due_six_months_after_the_previous_one_held() {
        let mut case = Case::opened(d(2024, 12, 16), today());
        case.given(review(d(2025, 1, 10)))
            .given(review(d(2025, 4, 1)));
        let third = due(&case, "review");
        assert_eq!(third.due_on, d(2025, 10, 1));
        assert_eq!(third.period, Period::Months(6));
        case.given(review(d(2025, 9, 15)));
        assert_eq!(due(&case, "review").due_on, d(2026, 3, 15));
    }

    #[test]
    fn the_review_deadline_chains_from_the_date_actually_held() {
        // The first review was late (due 16 January, held 20 January): the second is
        // due three months after the 20th, not after the 16th.
        let mut case = Case::opened(d(2024, 12, 16), today());
        case.given(review(d(2025, 1, 20)));
        assert_eq!(due(&case, "review").due_on, d(2025, 4, 20));
        // And early reviews bring the next one forward.
        let mut case = Case::opened(d(2024, 12, 16), today());
        case.given(review(d(2024, 12, 20)));
        assert_eq!(due(&case, "review").due_on, d(2025, 3, 20));
    }

    #[test]
    fn a_month_end_review_clamps_to_the_shorter_month() {
        let mut case = Case::opened(d(2024, 11, 4), today());
        case.given(review(d(2024, 11, 30)));
        assert_eq!(due(&case, "review").due_on, d(2025, 2, 28));
    }

    #[test]
    fn the_permanence_plan_is_due_by_the_second_review() {
        let mut case = Case::opened(d(2024, 12, 16), today());
        // No review yet: 3 months after the first review's due date (16 January 2025).
        let plan = due(&case, "permanence_plan");
        assert_eq!(plan.due_on, d(2025, 4, 16));
        assert_eq!(plan.started_on, d(2024, 12, 16));
        assert_eq!(plan.basis, Basis::Guidance);
        // First review held: the second review's due date moves with it.
        case.given(review(d(2025, 1, 10)));
        assert_eq!(due(&case, "permanence_plan").due_on, d(2025, 4, 10));
        // Second review held without a plan: it was due that day.
        case.given(review(d(2025, 4, 1)));
        assert_eq!(due(&case, "permanence_plan").due_on, d(2025, 4, 1));
        case.given(review(d(2025, 9, 1)));
        assert_eq!(due(&case, "permanence_plan").due_on, d(2025, 4, 1));
    }

    #[test]
    fn the_permanence_plan_deadline_goes_when_a_primary_plan_is_set_and_stays_gone() {
        let mut case = Case::opened(d(2024, 12, 16), today());
        case.plan(Route::Adoption, d(2025, 2, 3));
        assert!(!has(&case, "permanence_plan"));
        // A reversal ends the plan, but a plan for permanence was recorded.
        case.step(Route::Adoption, "shobpa_decision", d(2025, 3, 3))
            .given(Command::ReverseAdoptionDecision {
                on: d(2025, 4, 1),
                reason: ReversalReason::RD1,
            });
        assert!(case.state().primary_plan().is_none());
        assert!(!has(&case, "permanence_plan"));
    }

    #[test]
    fn a_fresh_case_has_exactly_the_spine_sorted_by_due_date() {
        let case = Case::opened(d(2024, 12, 16), today());
        let all = deadlines(&case);
        // The first visit is due a week after the placement began, on 23 December; the
        // review and the initial health assessment are both due on 16 January, and ties are
        // broken by key.
        assert_eq!(
            keys(&all),
            vec!["visit", "health_assessment", "review", "permanence_plan"]
        );
        assert_eq!(all[0].due_on, d(2024, 12, 23));
        assert_eq!(all[1].due_on, d(2025, 1, 16));
    }

    #[test]
    fn review_health_assessments_are_six_monthly_under_five_and_yearly_from_five() {
        // Born 14 March 2020: four on 13 March 2025, five on the 14th.
        let mut case = Case::opened(d(2024, 12, 16), today());
        assert_eq!(due(&case, "health_assessment").due_on, d(2025, 1, 16));
        case.given(Command::RecordHealthAssessment { on: d(2025, 3, 13) });
        let next = due(&case, "health_assessment");
        assert_eq!(next.due_on, d(2025, 9, 13));
        assert_eq!(next.period, Period::Months(6));
        case.given(Command::RecordHealthAssessment { on: d(2025, 3, 14) });
        assert_eq!(due(&case, "health_assessment").due_on, d(2026, 3, 14));
    }
}

mod route_deadlines {
    use super::*;

    fn adoption_case() -> Case {
        let mut case = Case::opened(d(2024, 1, 8), today());
        case.plan(Route::Adoption, d(2024, 2, 1));
        case
    }

    #[test]
    fn the_adoption_plan_reaches_the_adm_within_two_months() {
        let mut case = adoption_case();
        let to_adm = due(&case, "plan1:case_to_adm");
        assert_eq!(to_adm.due_on, d(2024, 4, 1));
        assert_eq!(to_adm.rule, "case_to_adm");
        assert_eq!(to_adm.route, Some(Route::Adoption));
        assert_eq!(to_adm.plan_id, Some(1));
        assert_eq!(to_adm.category, DeadlineCategory::Route);
        assert_eq!(to_adm.basis, Basis::LocalSetting);
        assert!(!to_adm.after_panel);
        case.step(
            Route::Adoption,
            "adoption_panel_recommendation",
            d(2024, 3, 1),
        );
        assert!(!has(&case, "plan1:case_to_adm"), "met by the panel");
    }

    #[test]
    fn the_adm_decision_is_due_7_working_days_after_the_panel_and_drifts_over_a_weekend() {
        // Panel on Wednesday 6 March 2024: 7 working days is Friday 15 March; the 8th
        // working day is Monday 18 March, three calendar days after the due date.
        let mut case = adoption_case();
        case.step(
            Route::Adoption,
            "adoption_panel_recommendation",
            d(2024, 3, 6),
        );
        let decision = due(&case, "plan1:adm_shobpa_decision");
        assert_eq!(decision.started_on, d(2024, 3, 6));
        assert_eq!(decision.due_on, d(2024, 3, 15));
        assert_eq!(decision.period, Period::WorkingDays(7));
        assert!(decision.after_panel);

        let as_of = permanence_domain::calendar::add_working_days(d(2024, 3, 6), 8);
        assert_eq!(as_of, d(2024, 3, 18));
        let standing = drift(decision.due_on, as_of, 7);
        assert_eq!(standing.status, DriftStatus::Overdue);
        assert_eq!(standing.working_days_overdue, 1);
        assert_eq!(standing.days_overdue, 3);
        assert_eq!(standing.days_until_due, 0);
        // On the weekend between, it is overdue by calendar days but not working days.
        let saturday = drift(decision.due_on, d(2024, 3, 16), 7);
        assert_eq!(saturday.status, DriftStatus::Overdue);
        assert_eq!(
            (saturday.days_overdue, saturday.working_days_overdue),
            (1, 0)
        );

        case.step(Route::Adoption, "shobpa_decision", d(2024, 3, 14));
        assert!(
            !has(&case, "plan1:adm_shobpa_decision"),
            "met by the decision"
        );
    }

    #[test]
    fn the_adm_decision_over_easter_skips_good_friday_and_easter_monday() {
        // Thursday 21 March 2024: Good Friday 29 March and Easter Monday 1 April.
        let mut case = Case::opened(d(2024, 1, 8), today());
        case.plan(Route::SpecialGuardianship, d(2024, 1, 10)).steps(
            Route::SpecialGuardianship,
            &[
                "assessment_started",
                "sgo_report_completed",
                "support_plan_agreed",
            ],
            d(2024, 1, 11),
        );
        case.step(
            Route::SpecialGuardianship,
            "panel_recommendation",
            d(2024, 3, 21),
        );
        let decision = due(&case, "plan1:adm_special_guardianship_decision");
        assert_eq!(decision.due_on, d(2024, 4, 3));
        case.step(Route::SpecialGuardianship, "adm_decision", d(2024, 4, 4));
        assert!(!has(&case, "plan1:adm_special_guardianship_decision"));
    }

    #[test]
    fn the_match_is_due_within_121_days_of_the_placement_order() {
        let mut case = adoption_case();
        case.step(Route::Adoption, "shobpa_decision", d(2024, 3, 1))
            .step(Route::Adoption, "placement_order", d(2024, 5, 1));
        let matching = due(&case, "plan1:match_after_placement_order");
        assert_eq!(matching.started_on, d(2024, 5, 1));
        assert_eq!(matching.due_on, d(2024, 8, 30));
        assert_eq!(matching.period, Period::Days(121));
        assert!(!matching.after_panel);

        case.step(Route::Adoption, "family_finding", d(2024, 5, 2))
            .step(
                Route::Adoption,
                "matching_panel_recommendation",
                d(2024, 7, 1),
            );
        // The matching panel opens the ADM's match decision deadline; the A2 clock runs on.
        assert_eq!(
            due(&case, "plan1:adm_match_decision").due_on,
            d(2024, 7, 10)
        );
        assert!(has(&case, "plan1:match_after_placement_order"));

        case.step(Route::Adoption, "match_decision", d(2024, 7, 5));
        assert!(!has(&case, "plan1:match_after_placement_order"));
        assert!(!has(&case, "plan1:adm_match_decision"));
        // The child moves in within 28 days of the match decision.
        let placement = due(&case, "plan1:placement_after_match");
        assert_eq!(placement.due_on, d(2024, 8, 2));
        assert!(placement.after_panel);
        case.step(Route::Adoption, "placed_for_adoption", d(2024, 7, 20));
        let route_keys: Vec<_> = deadlines(&case)
            .into_iter()
            .filter(|x| x.category == DeadlineCategory::Route)
            .collect();
        assert!(route_keys.is_empty(), "{route_keys:?}");
    }

    #[test]
    fn the_long_term_match_is_confirmed_within_56_days_of_the_panel() {
        let mut case = Case::opened(d(2024, 1, 8), today());
        case.plan(Route::LongTermFostering, d(2024, 2, 1))
            .step(Route::LongTermFostering, "carer_identified", d(2024, 2, 12))
            .step(
                Route::LongTermFostering,
                "panel_recommendation",
                d(2024, 3, 4),
            );
        let confirmed = due(&case, "plan1:long_term_match_confirmed");
        assert_eq!(confirmed.due_on, d(2024, 4, 29));
        assert_eq!(confirmed.period, Period::Days(56));
        assert!(confirmed.after_panel);
        // Monday 4 March 2024 + 7 working days.
        assert_eq!(
            due(&case, "plan1:adm_long_term_match_approval").due_on,
            d(2024, 3, 13)
        );

        case.step(Route::LongTermFostering, "match_approved", d(2024, 3, 11));
        assert!(!has(&case, "plan1:adm_long_term_match_approval"));
        assert!(
            has(&case, "plan1:long_term_match_confirmed"),
            "approval is not confirmation"
        );
        case.placed(PlacementType::U4, d(2024, 4, 1)).step(
            Route::LongTermFostering,
            "match_confirmed",
            d(2024, 4, 1),
        );
        assert!(!has(&case, "plan1:long_term_match_confirmed"));
        // The case stays open: only the spine remains.
        assert_eq!(
            keys(&deadlines(&case)),
            vec!["health_assessment", "review", "visit"]
        );
    }

    #[test]
    fn special_guardianship_and_return_home_deadlines() {
        let mut case = Case::opened(d(2024, 1, 8), today());
        case.plan(Route::SpecialGuardianship, d(2024, 2, 1));
        assert_eq!(
            due(&case, "plan1:special_guardianship_order").due_on,
            d(2024, 8, 1)
        );

        let mut case = Case::opened(d(2024, 1, 8), today());
        case.plan(Route::Reunification, d(2024, 2, 1)).step(
            Route::Reunification,
            "parent_assessment",
            d(2024, 2, 12),
        );
        assert!(!has(&case, "plan1:return_home_after_approval"));
        case.step(Route::Reunification, "return_home_approved", d(2024, 3, 4));
        assert_eq!(
            due(&case, "plan1:return_home_after_approval").due_on,
            d(2024, 4, 1)
        );
        case.step(Route::Reunification, "placed_with_parents", d(2024, 3, 11));
        assert!(!has(&case, "plan1:return_home_after_approval"));
    }

    #[test]
    fn a_parallel_plan_has_its_own_deadlines_and_they_go_when_it_ends() {
        let mut case = Case::opened(d(2024, 1, 8), today());
        case.plan(Route::Reunification, d(2024, 2, 1))
            .parallel(Route::Adoption, d(2024, 2, 1));
        let to_adm = due(&case, "plan2:case_to_adm");
        assert_eq!(to_adm.plan_id, Some(2));
        case.given(Command::EndParallelPlan { on: d(2024, 2, 15) });
        assert!(!has(&case, "plan2:case_to_adm"));
    }

    #[test]
    fn a_promoted_plan_keeps_its_clock() {
        let mut case = Case::opened(d(2024, 1, 8), today());
        case.plan(Route::Reunification, d(2024, 2, 1))
            .parallel(Route::Adoption, d(2024, 2, 5))
            .given(common::set_plan(
                Route::Adoption,
                PlanRole::Primary,
                d(2024, 3, 1),
            ));
        assert_eq!(due(&case, "plan2:case_to_adm").due_on, d(2024, 4, 5));
    }

    #[test]
    fn route_deadlines_go_when_the_route_changes_or_the_decision_is_reversed() {
        let mut case = adoption_case();
        case.step(Route::Adoption, "shobpa_decision", d(2024, 3, 1))
            .step(Route::Adoption, "placement_order", d(2024, 5, 1));
        assert!(has(&case, "plan1:match_after_placement_order"));
        case.given(Command::ReverseAdoptionDecision {
            on: d(2024, 6, 1),
            reason: ReversalReason::RD3,
        });
        assert!(deadlines(&case).iter().all(|x| x.plan_id.is_none()));
        case.plan(Route::SpecialGuardianship, d(2024, 6, 2));
        assert!(has(&case, "plan2:special_guardianship_order"));
        case.plan(Route::Reunification, d(2024, 6, 3));
        assert!(!has(&case, "plan2:special_guardianship_order"));
    }
}

mod legal_deadlines {
    use super::*;

    #[test]
    fn pre_proceedings_are_expected_to_end_within_16_weeks() {
        let mut case = Case::opened(d(2024, 1, 8), today());
        case.given(legal(LegalStep::PreProceedingsStarted, d(2024, 2, 1)));
        let pre = due(&case, "pre_proceedings");
        assert_eq!(pre.due_on, d(2024, 5, 23));
        assert_eq!(pre.category, DeadlineCategory::Legal);
        case.given(legal(LegalStep::PreProceedingsSteppedDown, d(2024, 4, 1)));
        assert!(!has(&case, "pre_proceedings"));
    }

    #[test]
    fn care_proceedings_run_26_weeks_moved_by_each_extension() {
        let mut case = Case::opened(d(2024, 1, 8), today());
        case.given(legal(LegalStep::PreProceedingsStarted, d(2024, 1, 10)))
            .given(legal(LegalStep::ProceedingsIssued, d(2024, 2, 1)));
        assert!(
            !has(&case, "pre_proceedings"),
            "issuing ends pre-proceedings"
        );
        let proceedings = due(&case, "care_proceedings");
        assert_eq!(proceedings.started_on, d(2024, 2, 1));
        // 26 weeks beginning with the day of issue: 1 February to 31 July.
        assert_eq!(proceedings.due_on, d(2024, 7, 31));
        assert_eq!(proceedings.period, Period::WeeksBeginningWith(26));
        assert_eq!(proceedings.basis, Basis::Law);
        assert_eq!(due(&case, "case_management_hearing").due_on, d(2024, 2, 19));

        case.given(legal(LegalStep::CaseManagementHearingHeld, d(2024, 2, 15)));
        assert!(!has(&case, "case_management_hearing"));

        case.given(legal(
            LegalStep::ExtensionGranted { weeks: 8 },
            d(2024, 7, 25),
        ));
        let extended = due(&case, "care_proceedings");
        assert_eq!(extended.due_on, d(2024, 9, 25));
        assert_eq!(extended.period, Period::WeeksBeginningWith(34));
        case.given(legal(
            LegalStep::ExtensionGranted { weeks: 1 },
            d(2024, 9, 20),
        ));
        assert_eq!(due(&case, "care_proceedings").due_on, d(2024, 10, 2));

        case.given(legal(
            LegalStep::FinalHearingHeld {
                order: permanence_domain::case::FinalOrder::CareOrder,
            },
            d(2024, 10, 1),
        ));
        assert!(!has(&case, "care_proceedings"));
    }
}

mod closing_and_settings {
    use super::*;

    #[test]
    fn a_closed_case_has_no_deadlines() {
        let mut case = Case::opened(d(2024, 1, 8), today());
        case.plan(Route::ChildArrangementsOrder, d(2024, 2, 1))
            .given(legal(LegalStep::ProceedingsIssued, d(2024, 2, 1)));
        assert!(deadlines(&case).len() >= 4);
        case.step(Route::ChildArrangementsOrder, "cao_granted", d(2024, 5, 1))
            .given(Command::CloseCase {
                on: d(2024, 5, 1),
                reason: ReasonCeased::E41,
            });
        assert!(deadlines(&case).is_empty());
    }

    #[test]
    fn a_settings_file_moves_the_due_dates_it_names_and_not_the_law() {
        let settings = Timescales::from_toml(
            "adm_decision_working_days = 10\n\
             match_after_placement_order_days = 90\n\
             case_management_hearing_days = 12\n",
        )
        .expect("valid settings");
        let mut case = Case::opened(d(2024, 1, 8), today());
        case.plan(Route::Adoption, d(2024, 2, 1))
            .step(
                Route::Adoption,
                "adoption_panel_recommendation",
                d(2024, 3, 6),
            )
            .given(legal(LegalStep::ProceedingsIssued, d(2024, 2, 1)));
        let all = deadlines_with(case.state(), &settings);
        // Wednesday 6 March 2024 + 10 working days = Wednesday 20 March.
        let decision = find(&all, "plan1:adm_shobpa_decision");
        assert_eq!(decision.due_on, d(2024, 3, 20));
        assert_eq!(decision.period, Period::WorkingDays(10));
        assert_eq!(find(&all, "case_management_hearing").due_on, d(2024, 2, 13));
        // The law's timescales are not settings.
        assert_eq!(find(&all, "care_proceedings").due_on, d(2024, 7, 31));
        assert_eq!(
            find(&all, "review").due_on,
            due(&case, "review").due_on,
            "the first review is fixed by law"
        );

        case.step(Route::Adoption, "shobpa_decision", d(2024, 3, 8))
            .step(Route::Adoption, "placement_order", d(2024, 5, 1));
        let all = deadlines_with(case.state(), &settings);
        assert_eq!(
            find(&all, "plan1:match_after_placement_order").due_on,
            d(2024, 7, 30)
        );
        assert_eq!(
            due(&case, "plan1:match_after_placement_order").due_on,
            d(2024, 8, 30)
        );
    }

    #[test]
    fn a_settings_file_with_a_typo_or_a_zero_is_refused() {
        assert!(Timescales::from_toml("adm_decision_days = 10\n").is_err());
        assert!(Timescales::from_toml("placement_after_match_days = 0\n").is_err());
        assert!(Timescales::from_toml("placement_after_match_days = 3651\n").is_err());
        assert!(Timescales::from_toml("placement_after_match_days = \"28\"\n").is_err());
        assert_eq!(
            Timescales::from_toml("").expect("empty is default"),
            Timescales::default()
        );
    }
}

mod drift_status {
    use super::*;

    /// Due on Friday 14 June 2024, with "due soon" seven days ahead.
    fn due_on() -> NaiveDate {
        d(2024, 6, 14)
    }

    #[test]
    fn on_track_until_the_due_soon_window() {
        let standing = drift(due_on(), d(2024, 6, 6), 7);
        assert_eq!(standing.status, DriftStatus::OnTrack);
        assert_eq!(standing.days_until_due, 8);
        assert_eq!(
            (standing.days_overdue, standing.working_days_overdue),
            (0, 0)
        );
        let far = drift(due_on(), d(2023, 6, 14), 7);
        assert_eq!(far.status, DriftStatus::OnTrack);
        assert_eq!(far.days_until_due, 366);
    }

    #[test]
    fn due_soon_from_seven_days_before_to_the_due_date_itself() {
        let week_before = drift(due_on(), d(2024, 6, 7), 7);
        assert_eq!(week_before.status, DriftStatus::DueSoon);
        assert_eq!(week_before.days_until_due, 7);
        let on_the_day = drift(due_on(), due_on(), 7);
        assert_eq!(on_the_day.status, DriftStatus::DueSoon);
        assert_eq!(on_the_day.days_until_due, 0);
        assert_eq!(on_the_day.days_overdue, 0);
    }

    #[test]
    fn overdue_from_the_day_after() {
        let saturday = drift(due_on(), d(2024, 6, 15), 7);
        assert_eq!(saturday.status, DriftStatus::Overdue);
        assert_eq!(saturday.days_overdue, 1);
        assert_eq!(saturday.working_days_overdue, 0);
        assert_eq!(saturday.days_until_due, 0);
        let monday = drift(due_on(), d(2024, 6, 17), 7);
        assert_eq!((monday.days_overdue, monday.working_days_overdue), (3, 1));
        // Over the summer bank holiday (Monday 26 August 2024).
        let late = drift(d(2024, 8, 23), d(2024, 8, 27), 7);
        assert_eq!((late.days_overdue, late.working_days_overdue), (4, 1));
    }

    #[test]
    fn a_zero_window_is_due_soon_only_on_the_day() {
        assert_eq!(
            drift(due_on(), d(2024, 6, 13), 0).status,
            DriftStatus::OnTrack
        );
        assert_eq!(drift(due_on(), due_on(), 0).status, DriftStatus::DueSoon);
        assert_eq!(
            drift(due_on(), d(2024, 6, 15), 0).status,
            DriftStatus::Overdue
        );
    }

    #[test]
    fn deadlines_of_a_case_drift_as_the_days_pass() {
        let case = Case::opened(d(2024, 12, 16), today());
        let first = due(&case, "review");
        let settings = Timescales::default();
        let on = |as_of| drift(first.due_on, as_of, settings.due_soon_days).status;
        assert_eq!(on(d(2025, 1, 8)), DriftStatus::OnTrack);
        assert_eq!(on(d(2025, 1, 9)), DriftStatus::DueSoon);
        assert_eq!(on(d(2025, 1, 16)), DriftStatus::DueSoon);
        assert_eq!(on(d(2025, 1, 17)), DriftStatus::Overdue);
    }
}

mod consistency {
    use super::*;

    /// A deadline says how long the timescale is (`period`) and from when (`started_on`);
    /// the store keeps both and the API shows them, so `due_on` should be the one after
    /// the other.
    #[test]
    fn every_deadline_is_its_period_after_its_start() {
        let case = Case::opened(d(2024, 12, 16), today());
        for deadline in deadlines(&case) {
            assert_eq!(
                deadline.period.after(deadline.started_on),
                deadline.due_on,
                "{}",
                deadline.key
            );
        }
    }

    #[test]
    fn every_deadline_but_the_permanence_plan_is_its_period_after_its_start() {
        let mut case = Case::opened(d(2024, 1, 8), today());
        case.plan(Route::Adoption, d(2024, 2, 1))
            .parallel(Route::LongTermFostering, d(2024, 2, 1))
            .step(
                Route::Adoption,
                "adoption_panel_recommendation",
                d(2024, 3, 6),
            )
            .step(Route::LongTermFostering, "carer_identified", d(2024, 2, 12))
            .step(
                Route::LongTermFostering,
                "panel_recommendation",
                d(2024, 3, 4),
            )
            .given(review(d(2024, 2, 2)))
            .given(Command::RecordHealthAssessment { on: d(2024, 2, 2) })
            .given(legal(LegalStep::ProceedingsIssued, d(2024, 2, 1)));
        let all = deadlines(&case);
        assert!(all.len() >= 7, "{:?}", keys(&all));
        for deadline in all {
            assert_eq!(
                deadline.period.after(deadline.started_on),
                deadline.due_on,
                "{}",
                deadline.key
            );
        }
        // Recording through `decide` is the way in; this keeps the helper honest.
        assert!(
            case.when(&record_step(
                Route::Adoption,
                "shobpa_decision",
                d(2024, 3, 7)
            ))
            .is_ok()
        );
    }
}

/// Deadlines only come from facts the engine holds: a period of care brought in by an import
/// holds what its return carried, and a care-planning chain the return did not carry is
/// "not known from the return" (never overdue) until a worker records its next link.
mod imported_periods {
    use super::*;
    use permanence_domain::codes::ReasonNewEpisode;
    use permanence_domain::deadlines::Drift;
    use permanence_domain::history::ImportedHistory;

    /// The day the child entered care (a Monday): a live case's first review would be due
    /// on 16 January 2025, long before `today()`.
    fn entered() -> NaiveDate {
        d(2024, 12, 16)
    }

    /// Given a period of care an import brought in from a return with (or without) a
    /// Reviews table and no dated health assessments; `part_way`: the return's first
    /// episode of the period followed others, so the period began before its history.
    fn imported(part_way: bool, reviews_in_return: bool) -> Case {
        let mut open = common::open_case(entered());
        if part_way {
            open.details.reason_new_episode = Some(ReasonNewEpisode::L);
        }
        let mut case = Case::empty(today());
        case.recorded(Command::OpenCase(open))
            .recorded(Command::RecordImportedHistory {
                on: entered(),
                history: ImportedHistory {
                    reviews_in_return,
                    health_assessments_in_return: false,
                },
            });
        case
    }

    fn standing_on(case: &Case, key: &str, on: NaiveDate) -> DriftStatus {
        due(case, key).drift(on, 7).status
    }

    fn standing(case: &Case, key: &str) -> DriftStatus {
        standing_on(case, key, today())
    }

    fn not_known(case: &Case, key: &str) -> bool {
        let deadline = due(case, key);
        deadline.not_known_from_return && deadline.known_due_on().is_none()
    }

    #[test]
    fn without_a_reviews_table_the_care_planning_deadlines_are_not_known() {
        let case = imported(false, false);
        for key in ["review", "health_assessment", "permanence_plan"] {
            assert!(not_known(&case, key), "{key}");
            // Never overdue or due soon, whatever the day.
            for on in [entered(), d(2025, 1, 17), today(), d(2030, 1, 1)] {
                assert_eq!(standing_on(&case, key, on), DriftStatus::NotKnownFromReturn);
            }
            assert_eq!(
                due(&case, key).drift(today(), 7),
                Drift::not_known_from_return()
            );
        }
        let review = due(&case, "review");
        assert_eq!(review.label, "statutory review");
        assert_eq!(review.started_on, entered());
        assert_eq!(due(&case, "health_assessment").label, "health assessment");
    }

    #[test]
    fn with_a_reviews_table_and_no_review_of_the_period_the_first_review_is_due_as_usual() {
        // The return had the table and no review of this period in it: that is a fact.
        let case = imported(false, true);
        let first = due(&case, "review");
        assert!(!first.not_known_from_return);
        assert_eq!(first.label, "first statutory review");
        assert_eq!(first.known_due_on(), Some(d(2025, 1, 16)));
        assert_eq!(standing(&case, "review"), DriftStatus::Overdue);
        // The return dates no health assessments.
        assert!(not_known(&case, "health_assessment"));
    }

    #[test]
    fn a_review_the_return_holds_starts_the_chain_as_usual() {
        let mut case = imported(false, true);
        case.recorded(review(d(2025, 1, 10)));
        let second = due(&case, "review");
        assert!(!second.not_known_from_return);
        assert_eq!(second.label, "second statutory review");
        assert_eq!(second.period, Period::Months(3));
        assert_eq!(second.known_due_on(), Some(d(2025, 4, 10)));
        assert_eq!(standing(&case, "review"), DriftStatus::Overdue);
    }

    #[test]
    fn a_part_way_period_with_no_review_held_has_its_next_review_not_known() {
        // The period's reviews before the return are not held, table or not.
        assert!(not_known(&imported(true, true), "review"));
        assert!(not_known(&imported(true, false), "review"));
        assert!(not_known(&imported(true, true), "health_assessment"));
    }

    #[test]
    fn in_a_part_way_period_the_first_review_held_is_not_the_first_review() {
        // The review on 10 January 2025 followed others before the return: the next one is
        // due within 6 months of it (a later review), not within 3 (a second review).
        let mut case = imported(true, true);
        case.recorded(review(d(2025, 1, 10)));
        let next = due(&case, "review");
        assert!(!next.not_known_from_return);
        assert_eq!(next.label, "statutory review");
        assert_eq!(next.period, Period::Months(6));
        assert_eq!(next.started_on, d(2025, 1, 10));
        assert_eq!(next.known_due_on(), Some(d(2025, 7, 10)));
        // On 11 April 2025 a second review would have been a day overdue; this one is not.
        assert_eq!(
            standing_on(&case, "review", d(2025, 4, 11)),
            DriftStatus::OnTrack
        );
        assert_eq!(
            standing_on(&case, "review", d(2025, 7, 11)),
            DriftStatus::Overdue
        );
        case.recorded(review(d(2025, 6, 1)));
        assert_eq!(due(&case, "review").known_due_on(), Some(d(2025, 12, 1)));
    }

    #[test]
    fn a_review_recorded_after_the_import_starts_the_chain() {
        // No Reviews table: a worker records the review held on 1 June 2026. Whether it
        // was the period's first is not known, so the next is due within 6 months.
        let mut case = imported(false, false);
        case.given(review(d(2026, 6, 1)));
        let next = due(&case, "review");
        assert!(!next.not_known_from_return);
        assert_eq!(next.known_due_on(), Some(d(2026, 12, 1)));
        assert_eq!(standing(&case, "review"), DriftStatus::OnTrack);
        assert_eq!(
            standing_on(&case, "review", d(2026, 12, 2)),
            DriftStatus::Overdue
        );
        // The health assessments' chain is still not known.
        assert!(not_known(&case, "health_assessment"));
    }

    #[test]
    fn a_health_assessment_recorded_after_the_import_starts_its_chain() {
        // Born 14 March 2020: six on 1 May 2026, so the next one is due a year later.
        let mut case = imported(false, true);
        case.given(Command::RecordHealthAssessment { on: d(2026, 5, 1) });
        let next = due(&case, "health_assessment");
        assert!(!next.not_known_from_return);
        assert_eq!(next.label, "review health assessment");
        assert_eq!(next.known_due_on(), Some(d(2027, 5, 1)));
        assert_eq!(standing(&case, "health_assessment"), DriftStatus::OnTrack);
    }

    #[test]
    fn the_permanence_plan_of_an_imported_period_is_not_known_until_one_is_recorded() {
        // Even with the period's reviews from its start (the second review's date is known),
        // the return carries no plan: whether one was made by then is not known.
        let mut case = imported(false, true);
        case.recorded(review(d(2025, 1, 10)))
            .recorded(review(d(2025, 4, 1)));
        assert!(not_known(&case, "permanence_plan"));
        assert!(not_known(&imported(true, true), "permanence_plan"));
        case.plan(Route::LongTermFostering, d(2026, 6, 1));
        assert!(!has(&case, "permanence_plan"));
    }

    #[test]
    fn known_deadlines_come_first_and_a_live_case_is_unchanged() {
        let mut case = imported(false, false);
        case.given(legal(LegalStep::ProceedingsIssued, d(2025, 1, 6)));
        let all = deadlines(&case);
        let first_not_known = all
            .iter()
            .position(|x| x.not_known_from_return)
            .expect("some are not known");
        assert_eq!(
            keys(&all[..first_not_known]),
            vec!["case_management_hearing", "care_proceedings"]
        );
        assert!(
            all[first_not_known..]
                .iter()
                .all(|x| x.not_known_from_return)
        );

        let live = Case::opened(entered(), today());
        assert!(deadlines(&live).iter().all(|x| !x.not_known_from_return));
        assert_eq!(standing(&live, "review"), DriftStatus::Overdue);
        assert_eq!(standing(&live, "health_assessment"), DriftStatus::Overdue);
    }

    #[test]
    fn a_deadline_stored_before_the_flag_existed_reads_as_known() {
        let live = Case::opened(entered(), today());
        let mut json = serde_json::to_value(due(&live, "review")).expect("serialises");
        json.as_object_mut()
            .expect("an object")
            .remove("not_known_from_return")
            .expect("the flag is written");
        let read: Deadline = serde_json::from_value(json).expect("reads");
        assert!(!read.not_known_from_return);
        assert_eq!(read, due(&live, "review"));
    }
}
