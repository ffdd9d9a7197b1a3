//! Recorded history (`decide_recorded`): given a case, when an imported fact breaks a rule
//! of live work, then it is recorded with a data-quality note; when it cannot be true, it is
//! refused as live work would be.

use crate::common;

use common::{Case, d, record_step};
use permanence_domain::case::{CaseState, Command};
use permanence_domain::codes::ReasonCeased;
use permanence_domain::history::{DataQualityKind, ImportedHistory, decide_recorded};
use permanence_domain::{DomainError, Event, Route, evolve};

const SOURCE: &str = "imported from ad1.csv row 3";

/// Decides `command` as recorded history and applies what it answers.
fn recorded(case: &mut Case, command: Command) -> Result<Vec<Event>, DomainError> {
    let events = decide_recorded(case.state.as_ref(), &command, &case.ctx(), Some(SOURCE))?;
    for event in &events {
        case.state = evolve(case.state.take(), event);
    }
    Ok(events)
}

fn notes(state: &CaseState) -> Vec<DataQualityKind> {
    state.data_quality.iter().map(|n| n.kind).collect()
}

fn steps(state: &CaseState) -> Vec<(String, chrono::NaiveDate)> {
    state.plans[0]
        .steps
        .iter()
        .map(|s| (s.step.clone(), s.on))
        .collect()
}

/// An adoption plan at the decision to place, made on 10 June 2025.
fn decided() -> Case {
    let mut case = Case::opened(d(2025, 4, 1), d(2026, 12, 5));
    case.plan(Route::Adoption, d(2025, 6, 10)).step(
        Route::Adoption,
        "shobpa_decision",
        d(2025, 6, 10),
    );
    case
}

#[test]
fn a_match_before_the_placement_order_is_recorded_with_a_note_and_the_order_goes_behind_it() {
    let mut case = decided();
    for step in ["family_finding", "matching_panel_recommendation"] {
        recorded(&mut case, record_step(Route::Adoption, step, d(2025, 8, 1))).expect("recorded");
    }
    // Live, the match decision needs the placement order first.
    let decision = record_step(Route::Adoption, "match_decision", d(2025, 8, 1));
    assert!(matches!(
        case.when(&decision),
        Err(DomainError::TransitionNotAllowed(_))
    ));
    let events = recorded(&mut case, decision).expect("recorded as history");
    assert!(matches!(
        events.last(),
        Some(Event::DataQualityNoted { note }) if note.kind == DataQualityKind::PrerequisiteMissing
            && note.source.as_deref() == Some(SOURCE)
            && note.reason.contains("needs the placement order")
    ));
    // The order made a fortnight later takes its place before the family finding; the plan
    // stays at the match decision.
    let events = recorded(
        &mut case,
        record_step(Route::Adoption, "placement_order", d(2025, 8, 15)),
    )
    .expect("recorded as history");
    assert!(matches!(
        &events[0],
        Event::RouteStepRecorded {
            position: Some(1),
            achieves_permanence: false,
            ..
        }
    ));
    let state = case.state();
    assert_eq!(state.plans[0].current_step(), "match_decision");
    assert_eq!(
        steps(state),
        [
            ("shobpa_decision".to_owned(), d(2025, 6, 10)),
            ("placement_order".to_owned(), d(2025, 8, 15)),
            ("family_finding".to_owned(), d(2025, 8, 1)),
            ("matching_panel_recommendation".to_owned(), d(2025, 8, 1)),
            ("match_decision".to_owned(), d(2025, 8, 1)),
        ]
    );
    assert_eq!(
        notes(state),
        [
            DataQualityKind::PrerequisiteMissing,
            DataQualityKind::StepOutOfOrder
        ]
    );
}

#[test]
fn a_step_that_may_follow_the_current_one_is_the_next_even_when_the_table_lists_it_earlier() {
    // Family finding, then the placement order: both orders are routes the table allows.
    let mut case = decided();
    for (step, on) in [
        ("family_finding", d(2025, 7, 1)),
        ("placement_order", d(2025, 7, 20)),
    ] {
        let events = recorded(&mut case, record_step(Route::Adoption, step, on)).expect("recorded");
        assert!(matches!(
            &events[..],
            [Event::RouteStepRecorded { position: None, .. }]
        ));
    }
    assert_eq!(case.state().plans[0].current_step(), "placement_order");
    assert!(case.state().data_quality.is_empty());
}

#[test]
fn history_that_keeps_the_rules_has_no_note() {
    let mut case = decided();
    let events = recorded(
        &mut case,
        record_step(Route::Adoption, "placement_order", d(2025, 8, 15)),
    )
    .expect("recorded");
    assert_eq!(
        events,
        [Event::RouteStepRecorded {
            plan_id: 1,
            step: "placement_order".into(),
            on: d(2025, 8, 15),
            achieves_permanence: false,
            position: None,
        }]
    );
    assert!(case.state().data_quality.is_empty());
}

#[test]
fn what_cannot_be_true_is_refused_as_history_too() {
    let mut case = decided();
    // A date after today.
    let future = record_step(Route::Adoption, "placement_order", d(2027, 1, 1));
    assert!(matches!(
        recorded(&mut case, future),
        Err(DomainError::Validation { .. })
    ));
    // A step the route does not have.
    let unknown = record_step(Route::Adoption, "no_such_step", d(2025, 8, 1));
    assert!(recorded(&mut case, unknown).is_err());
    // A step twice.
    let again = record_step(Route::Adoption, "shobpa_decision", d(2025, 8, 1));
    assert!(recorded(&mut case, again).is_err());
    // A fact after the child left care.
    case.given(Command::ReverseAdoptionDecision {
        on: d(2025, 9, 1),
        reason: permanence_domain::codes::ReversalReason::RD1,
    })
    .given(Command::CloseCase {
        on: d(2025, 10, 1),
        reason: ReasonCeased::E8,
    });
    let closed = record_step(Route::Adoption, "placement_order", d(2025, 10, 2));
    assert!(recorded(&mut case, closed).is_err());
    assert!(case.state().data_quality.is_empty());
}

#[test]
fn leaving_care_with_the_adoption_decision_standing_is_noted() {
    let mut case = decided();
    let leaving = Command::CloseCase {
        on: d(2025, 12, 1),
        reason: ReasonCeased::E4A,
    };
    assert!(case.when(&leaving).is_err());
    recorded(&mut case, leaving).expect("recorded as history");
    assert!(!case.state().is_open());
    assert_eq!(
        notes(case.state()),
        [DataQualityKind::AdoptionDecisionLeftOpen]
    );
}

#[test]
fn what_the_return_held_is_recorded_once_and_only_by_an_import() {
    let mut case = decided();
    let history = Command::RecordImportedHistory {
        on: d(2025, 4, 1),
        history: ImportedHistory {
            reviews_in_return: true,
            health_assessments_in_return: false,
        },
    };
    assert!(matches!(
        case.when(&history),
        Err(DomainError::TransitionNotAllowed(_))
    ));
    recorded(&mut case, history.clone()).expect("recorded by the import");
    assert_eq!(
        case.state().imported,
        Some(ImportedHistory {
            reviews_in_return: true,
            health_assessments_in_return: false,
        })
    );
    assert!(recorded(&mut case, history).is_err());
}
