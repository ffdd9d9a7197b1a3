//! The deadlines that run from the plan itself on long-term fostering and reunification,
//! so that drift before panel shows (issue 19, item 4). Due dates worked out by hand.

use crate::common;

use chrono::NaiveDate;
use common::{Case, catalog, d};
use permanence_domain::deadlines::DeadlineCategory;
use permanence_domain::timescales::{Basis, Period};
use permanence_domain::{Deadline, DriftStatus, Route, Timescales, derive_deadlines};

fn today() -> NaiveDate {
    d(2026, 6, 30)
}

fn deadlines_with(case: &Case, settings: &Timescales) -> Vec<Deadline> {
    derive_deadlines(case.state(), catalog(), settings)
}

fn find(case: &Case, key: &str) -> Option<Deadline> {
    deadlines_with(case, &Timescales::default())
        .into_iter()
        .find(|x| x.key == key)
}

fn due(case: &Case, key: &str) -> Deadline {
    find(case, key).unwrap_or_else(|| {
        let keys: Vec<_> = deadlines_with(case, &Timescales::default())
            .into_iter()
            .map(|x| x.key)
            .collect();
        panic!("no deadline {key}; there are {keys:?}")
    })
}

fn long_term_plan() -> Case {
    let mut case = Case::opened(d(2024, 1, 8), today());
    case.plan(Route::LongTermFostering, d(2024, 2, 1));
    case
}

fn reunification_plan() -> Case {
    let mut case = Case::opened(d(2024, 1, 8), today());
    case.plan(Route::Reunification, d(2024, 2, 1));
    case
}

mod long_term_fostering {
    use super::*;

    #[test]
    fn given_a_long_term_fostering_plan_then_the_match_is_due_six_months_on() {
        let case = long_term_plan();
        let matched = due(&case, "plan1:long_term_match_after_plan");
        assert_eq!(matched.started_on, d(2024, 2, 1));
        assert_eq!(matched.due_on, d(2024, 8, 1));
        assert_eq!(matched.period, Period::Months(6));
        assert_eq!(matched.category, DeadlineCategory::Route);
        assert_eq!(matched.route, Some(Route::LongTermFostering));
        assert!(!matched.after_panel, "it runs before any panel");
        assert_eq!(matched.basis, Basis::LocalSetting);
        assert!(matched.reference.starts_with("local practice"));
    }

    #[test]
    fn given_no_panel_yet_when_the_match_is_late_then_it_is_overdue() {
        let mut case = long_term_plan();
        case.step(Route::LongTermFostering, "carer_identified", d(2024, 5, 1));
        let matched = due(&case, "plan1:long_term_match_after_plan");
        assert_eq!(
            matched.drift(d(2024, 8, 5), 7).status,
            DriftStatus::Overdue,
            "a carer identified is not a match"
        );
        assert_eq!(matched.drift(d(2024, 8, 5), 7).days_overdue, 4);
    }

    #[test]
    fn when_the_match_is_approved_then_the_deadline_ends_and_confirmation_remains() {
        let mut case = long_term_plan();
        case.step(Route::LongTermFostering, "carer_identified", d(2024, 2, 12))
            .step(
                Route::LongTermFostering,
                "panel_recommendation",
                d(2024, 3, 4),
            );
        assert!(
            find(&case, "plan1:long_term_match_after_plan").is_some(),
            "panel is not the match"
        );
        case.step(Route::LongTermFostering, "match_approved", d(2024, 3, 11));
        assert!(find(&case, "plan1:long_term_match_after_plan").is_none());
        assert!(find(&case, "plan1:long_term_match_confirmed").is_some());
    }

    #[test]
    fn when_the_setting_changes_then_the_due_date_moves() {
        let case = long_term_plan();
        let settings =
            Timescales::from_toml("long_term_match_after_plan_months = 4\n").expect("valid");
        let all = deadlines_with(&case, &settings);
        let matched = all
            .iter()
            .find(|x| x.key == "plan1:long_term_match_after_plan")
            .expect("the deadline");
        assert_eq!(matched.due_on, d(2024, 6, 1));
        assert_eq!(matched.period, Period::Months(4));
    }
}

mod reunification {
    use super::*;

    #[test]
    fn given_a_reunification_plan_then_the_assessment_and_the_return_are_due() {
        let case = reunification_plan();
        let assessment = due(&case, "plan1:parent_assessment_after_plan");
        // Thursday 1 February 2024 + 12 weeks.
        assert_eq!(assessment.due_on, d(2024, 4, 25));
        assert_eq!(assessment.period, Period::Weeks(12));
        assert_eq!(assessment.basis, Basis::LocalSetting);
        assert!(assessment.reference.starts_with("local practice"));
        assert!(!assessment.after_panel);
        let home = due(&case, "plan1:return_home_after_plan");
        assert_eq!(home.due_on, d(2024, 8, 1));
        assert_eq!(home.period, Period::Months(6));
        assert_eq!(home.route, Some(Route::Reunification));
    }

    #[test]
    fn when_the_parent_is_assessed_then_only_the_return_remains() {
        let mut case = reunification_plan();
        case.step(Route::Reunification, "parent_assessment", d(2024, 4, 30));
        assert!(find(&case, "plan1:parent_assessment_after_plan").is_none());
        let home = due(&case, "plan1:return_home_after_plan");
        assert_eq!(home.due_on, d(2024, 8, 1), "the clock runs from the plan");
        case.step(Route::Reunification, "return_home_approved", d(2024, 5, 6));
        assert!(find(&case, "plan1:return_home_after_plan").is_some());
        case.step(Route::Reunification, "placed_with_parents", d(2024, 5, 13));
        assert!(find(&case, "plan1:return_home_after_plan").is_none());
    }

    #[test]
    fn when_the_settings_change_then_both_due_dates_move() {
        let case = reunification_plan();
        let settings = Timescales::from_toml(
            "parent_assessment_after_plan_weeks = 8\nreturn_home_after_plan_months = 9\n",
        )
        .expect("valid");
        let all = deadlines_with(&case, &settings);
        let due_on = |key: &str| {
            all.iter()
                .find(|x| x.key == key)
                .map(|x| x.due_on)
                .expect("the deadline")
        };
        assert_eq!(due_on("plan1:parent_assessment_after_plan"), d(2024, 3, 28));
        assert_eq!(due_on("plan1:return_home_after_plan"), d(2024, 11, 1));
    }

    #[test]
    fn when_the_plan_moves_to_another_route_then_its_deadlines_go() {
        let mut case = reunification_plan();
        case.plan(Route::LongTermFostering, d(2024, 3, 1));
        assert!(find(&case, "plan1:return_home_after_plan").is_none());
        assert!(find(&case, "plan1:parent_assessment_after_plan").is_none());
        assert_eq!(
            due(&case, "plan2:long_term_match_after_plan").due_on,
            d(2024, 9, 1)
        );
    }
}
