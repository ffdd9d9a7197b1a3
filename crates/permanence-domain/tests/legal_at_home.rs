//! Given/when/then tests of a child's legal track at home, and of a round under way at home
//! going on on the case when the child enters care.

use crate::common;

use common::{Case, d, open_case};
use permanence_domain::case::{FinalOrder, LegalStep};
use permanence_domain::legal_at_home::{
    AtHomeEvent, ChildNow, LegalAtHome, RecordAtHome, decide, evolve, replay,
};
use permanence_domain::{CaseId, Command, DomainError, Event};
use uuid::Uuid;

fn at_home() -> ChildNow {
    ChildNow {
        born_on: d(2021, 4, 1),
        in_care: false,
        today: d(2026, 6, 30),
    }
}

fn step(step: LegalStep, on: chrono::NaiveDate) -> RecordAtHome {
    RecordAtHome {
        on,
        step,
        team: None,
    }
}

/// Given the events so far, when the command is decided, the state after it (or the refusal).
fn given(events: &[AtHomeEvent]) -> Option<LegalAtHome> {
    replay(events)
}

fn started() -> Vec<AtHomeEvent> {
    vec![AtHomeEvent::LegalStepRecorded {
        on: d(2026, 1, 5),
        step: LegalStep::PreProceedingsStarted,
        team: Some("Team A".to_owned()),
    }]
}

#[test]
fn the_record_begins_with_the_team_that_holds_the_case() {
    let first = step(LegalStep::PreProceedingsStarted, d(2026, 1, 5));
    match decide(None, &first, at_home()) {
        Err(DomainError::Validation { field, .. }) => assert_eq!(field, "team"),
        other => panic!("expected a refusal naming the team, got {other:?}"),
    }
    for team in ["", "   ", &"x".repeat(101)] {
        let command = RecordAtHome {
            team: Some(team.to_owned()),
            ..first.clone()
        };
        assert!(
            matches!(decide(None, &command, at_home()), Err(DomainError::Validation { ref field, .. }) if field == "team"),
            "{team:?}"
        );
    }
    let command = RecordAtHome {
        team: Some("Team A".to_owned()),
        ..first
    };
    let events = decide(None, &command, at_home()).expect("recorded");
    let state = given(&events).expect("state");
    assert_eq!(state.team.as_deref(), Some("Team A"));
    assert!(state.track.is_under_way());
    // Later steps need no team: the record has one.
    let letter = step(LegalStep::LetterBeforeProceedingsSent, d(2026, 1, 6));
    assert!(decide(Some(&state), &letter, at_home()).is_ok());
}

#[test]
fn a_child_in_care_has_legal_steps_recorded_on_their_case() {
    let state = given(&started()).expect("state");
    let in_care = ChildNow {
        in_care: true,
        ..at_home()
    };
    let letter = step(LegalStep::LetterBeforeProceedingsSent, d(2026, 1, 6));
    match decide(Some(&state), &letter, in_care) {
        Err(DomainError::TransitionNotAllowed(message)) => {
            assert!(message.contains("on their case"), "{message}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn care_and_placement_orders_are_made_for_a_child_in_care() {
    let mut events = started();
    events.push(AtHomeEvent::LegalStepRecorded {
        on: d(2026, 3, 2),
        step: LegalStep::ProceedingsIssued,
        team: None,
    });
    let state = given(&events).expect("state");
    for order in [FinalOrder::CareOrder, FinalOrder::PlacementOrder] {
        let hearing = step(LegalStep::FinalHearingHeld { order }, d(2026, 6, 1));
        match decide(Some(&state), &hearing, at_home()) {
            Err(DomainError::TransitionNotAllowed(message)) => {
                assert!(message.contains("looked after"), "{message}")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    // A supervision order ends the round with the child at home; a new one may follow.
    let hearing = step(
        LegalStep::FinalHearingHeld {
            order: FinalOrder::SupervisionOrder,
        },
        d(2026, 6, 1),
    );
    let recorded = decide(Some(&state), &hearing, at_home()).expect("recorded");
    let state = recorded.iter().fold(state, |s, e| evolve(Some(s), e));
    assert!(!state.track.is_under_way());
    assert_eq!(state.round_to_continue_in_care(), None);
    let again = step(LegalStep::PreProceedingsStarted, d(2026, 6, 20));
    assert!(decide(Some(&state), &again, at_home()).is_ok());
}

#[test]
fn a_round_under_way_goes_on_in_care_and_leaves_the_record_at_home() {
    let mut events = started();
    events.push(AtHomeEvent::LegalStepRecorded {
        on: d(2026, 1, 7),
        step: LegalStep::LetterBeforeProceedingsSent,
        team: None,
    });
    let state = given(&events).expect("state");
    let round = state.round_to_continue_in_care().expect("under way");
    assert_eq!(
        round.steps(),
        vec![
            (d(2026, 1, 5), LegalStep::PreProceedingsStarted),
            (d(2026, 1, 7), LegalStep::LetterBeforeProceedingsSent),
        ]
    );

    // The case opens with the round's steps.
    let mut open = open_case(d(2026, 2, 2));
    open.legal_round_from_home = Some(Box::new(round));
    let mut case = Case::empty(d(2026, 6, 30));
    let opened = case.try_apply(Command::OpenCase(open)).expect("opens");
    assert!(matches!(opened[0], Event::CaseOpened { .. }));
    assert_eq!(opened.len(), 3);
    let legal = &case.state().legal;
    let pre = legal.pre_proceedings.as_ref().expect("pre-proceedings");
    assert_eq!(
        (pre.started_on, pre.letter_on),
        (Some(d(2026, 1, 5)), Some(d(2026, 1, 7)))
    );
    // And go on there: the meeting follows the letter.
    case.given(Command::RecordLegalStep {
        on: d(2026, 2, 9),
        step: LegalStep::PreProceedingsMeetingHeld,
    });

    // The record at home notes where the round went on, and has none under way.
    let case_id = CaseId(Uuid::from_u128(1));
    events.push(AtHomeEvent::ContinuedInCare {
        on: d(2026, 2, 2),
        case_id,
    });
    let state = given(&events).expect("state");
    assert!(!state.track.is_under_way());
    assert_eq!(state.track.earlier.len(), 1);
    assert_eq!(
        state.track.earlier[0].continued_in_care,
        Some((d(2026, 2, 2), case_id))
    );
    // Home again, a new round may begin, not before the child entered care.
    let early = step(LegalStep::PreProceedingsStarted, d(2026, 2, 1));
    assert!(matches!(
        decide(Some(&state), &early, at_home()),
        Err(DomainError::Validation { .. })
    ));
    let later = step(LegalStep::PreProceedingsStarted, d(2026, 5, 1));
    assert!(decide(Some(&state), &later, at_home()).is_ok());
}

#[test]
fn events_round_trip_through_json() {
    let mut events = started();
    events.push(AtHomeEvent::ContinuedInCare {
        on: d(2026, 2, 2),
        case_id: CaseId(Uuid::from_u128(9)),
    });
    let json = serde_json::to_string(&events).expect("json");
    let back: Vec<AtHomeEvent> = serde_json::from_str(&json).expect("read");
    assert_eq!(back, events);
    assert_eq!(replay(&back), replay(&events));
}
