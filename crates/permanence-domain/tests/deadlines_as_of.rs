//! Deadlines as they stood on a past date: replayed from the events that had happened by
//! then (issue 19, item 7).

use crate::common;

use common::{Case, catalog, d};
use permanence_domain::deadlines_as_of::deadlines_as_of;
use permanence_domain::{Command, DriftStatus, Route, Timescales};

fn keys_on(case: &Case, on: chrono::NaiveDate) -> Option<Vec<String>> {
    deadlines_as_of(&case.events, on, catalog(), &Timescales::default())
        .map(|all| all.into_iter().map(|x| x.key).collect())
}

#[test]
fn given_a_step_recorded_after_the_date_then_the_deadline_it_met_was_open_and_overdue() {
    let mut case = Case::opened(d(2024, 1, 8), d(2026, 6, 30));
    case.plan(Route::LongTermFostering, d(2024, 2, 1))
        .step(Route::LongTermFostering, "carer_identified", d(2024, 5, 1))
        .step(
            Route::LongTermFostering,
            "panel_recommendation",
            d(2024, 9, 2),
        )
        .step(Route::LongTermFostering, "match_approved", d(2024, 9, 10));
    let then = deadlines_as_of(
        &case.events,
        d(2024, 8, 31),
        catalog(),
        &Timescales::default(),
    )
    .expect("open on 31 August");
    let matched = then
        .iter()
        .find(|x| x.key == "plan1:long_term_match_after_plan")
        .expect("the match was due then");
    assert_eq!(matched.due_on, d(2024, 8, 1));
    assert_eq!(
        matched.drift(d(2024, 8, 31), 7).status,
        DriftStatus::Overdue
    );
    // The panel had not sat on 31 August: no deadline after it yet.
    assert!(!then.iter().any(|x| x.after_panel));
    // On the day of the approval the deadline had ended.
    let on_approval = keys_on(&case, d(2024, 9, 10)).expect("open");
    assert!(
        !on_approval.contains(&"plan1:long_term_match_after_plan".to_owned()),
        "{on_approval:?}"
    );
}

#[test]
fn given_a_case_closed_since_then_it_was_open_on_the_date_and_not_before_it_opened() {
    let mut case = Case::opened(d(2024, 1, 8), d(2026, 6, 30));
    case.plan(Route::Reunification, d(2024, 2, 1))
        .given(Command::CloseCase {
            on: d(2024, 6, 3),
            reason: permanence_domain::codes::ReasonCeased::E4A,
        });
    assert_eq!(
        keys_on(&case, d(2024, 7, 1)),
        Some(vec![]),
        "closed by then"
    );
    let open = keys_on(&case, d(2024, 5, 1)).expect("open on 1 May");
    assert!(
        open.contains(&"plan1:return_home_after_plan".to_owned()),
        "{open:?}"
    );
    assert_eq!(keys_on(&case, d(2024, 1, 7)), None, "not yet in care");
}
