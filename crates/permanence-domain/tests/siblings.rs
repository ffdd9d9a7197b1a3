//! Brothers and sisters: recording a sibling group and its decision to place them together,
//! apart or some together, revising it, and the rules of membership, given what is known of
//! each member's case, when a decision is asked for, then what is recorded or refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use permanence_domain::DomainError;
use permanence_domain::ids::{CaseId, SiblingGroupId};
use permanence_domain::siblings::{
    ApartReason, MemberFacts, PlacementDecision, Placing, RecordSiblingGroup, SiblingEvent,
    SiblingGroupState, decide, evolve, replay,
};
use uuid::Uuid;

const LA: &str = "E10000003";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn today() -> NaiveDate {
    d(2026, 6, 30)
}

fn case(n: u128) -> CaseId {
    CaseId(Uuid::from_u128(n))
}

fn group_id() -> SiblingGroupId {
    SiblingGroupId(Uuid::from_u128(900))
}

/// An open case of the authority in no group.
fn open(n: u128) -> MemberFacts {
    MemberFacts {
        case_id: case(n),
        local_authority: LA.to_owned(),
        open: true,
        group: None,
    }
}

fn in_group(mut facts: MemberFacts, group: SiblingGroupId) -> MemberFacts {
    facts.group = Some(group);
    facts
}

fn left_care(mut facts: MemberFacts) -> MemberFacts {
    facts.open = false;
    facts
}

fn decision(placing: Placing, reason: Option<ApartReason>, on: NaiveDate) -> PlacementDecision {
    PlacementDecision {
        placing,
        reason,
        placed_together: vec![],
        decided_on: on,
    }
}

fn together(on: NaiveDate) -> PlacementDecision {
    decision(Placing::Together, None, on)
}

fn record(members: &[u128], decision: PlacementDecision) -> RecordSiblingGroup {
    RecordSiblingGroup {
        new_group_id: group_id(),
        members: members.iter().map(|n| case(*n)).collect(),
        decision,
    }
}

/// The group after a first decision that the children (1, 2, 3) are placed together.
fn given_three_together() -> SiblingGroupState {
    let facts = [open(1), open(2), open(3)];
    let events = decide(
        None,
        &record(&[3, 1, 2], together(d(2026, 3, 2))),
        &facts,
        today(),
    )
    .expect("recorded");
    replay(&events).expect("a group")
}

fn field_of(err: DomainError) -> (String, String) {
    match err {
        DomainError::Validation { field, reason } => (field, reason),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn a_group_of_two_or_more_open_cases_is_recorded_with_its_decision() {
    let state = given_three_together();
    assert_eq!(state.id, group_id());
    assert_eq!(state.local_authority, LA);
    // Members are kept in one order whatever order they were named in.
    assert_eq!(state.members, vec![case(1), case(2), case(3)]);
    assert_eq!(state.decision, together(d(2026, 3, 2)));
    assert_eq!(state.history.len(), 1);
    assert_eq!(state.placed_with(case(2)), vec![case(1), case(3)]);
}

#[test]
fn a_group_needs_at_least_two_distinct_cases() {
    let facts = [open(1), open(2)];
    let (field, reason) =
        field_of(decide(None, &record(&[1], together(today())), &facts, today()).unwrap_err());
    assert_eq!(field, "members");
    assert!(reason.contains("at least two"), "{reason}");
    let (field, reason) =
        field_of(decide(None, &record(&[1, 1], together(today())), &facts, today()).unwrap_err());
    assert_eq!(field, "members");
    assert!(reason.contains("listed twice"), "{reason}");
}

#[test]
fn every_member_is_of_the_same_authority() {
    let mut other = open(2);
    other.local_authority = "E10000002".to_owned();
    let (field, reason) = field_of(
        decide(
            None,
            &record(&[1, 2], together(today())),
            &[open(1), other],
            today(),
        )
        .unwrap_err(),
    );
    assert_eq!(field, "members");
    assert!(reason.contains("same local authority"), "{reason}");
}

#[test]
fn a_case_is_in_one_group_at_a_time() {
    let elsewhere = SiblingGroupId(Uuid::from_u128(901));
    let facts = [open(1), in_group(open(2), elsewhere)];
    let (field, reason) =
        field_of(decide(None, &record(&[1, 2], together(today())), &facts, today()).unwrap_err());
    assert_eq!(field, "members");
    assert!(reason.contains("another sibling group"), "{reason}");
}

#[test]
fn a_child_who_has_left_care_cannot_join_a_group() {
    let facts = [open(1), left_care(open(2))];
    let (field, reason) =
        field_of(decide(None, &record(&[1, 2], together(today())), &facts, today()).unwrap_err());
    assert_eq!(field, "members");
    assert!(reason.contains("left care"), "{reason}");
}

#[test]
fn apart_needs_a_coded_reason_and_together_needs_none() {
    let facts = [open(1), open(2)];
    let (field, _) = field_of(
        decide(
            None,
            &record(&[1, 2], decision(Placing::Apart, None, today())),
            &facts,
            today(),
        )
        .unwrap_err(),
    );
    assert_eq!(field, "reason");
    let (field, _) = field_of(
        decide(
            None,
            &record(
                &[1, 2],
                decision(Placing::Together, Some(ApartReason::CourtDecision), today()),
            ),
            &facts,
            today(),
        )
        .unwrap_err(),
    );
    assert_eq!(field, "reason");
    let events = decide(
        None,
        &record(
            &[1, 2],
            decision(Placing::Apart, Some(ApartReason::SafetyOfAChild), today()),
        ),
        &facts,
        today(),
    )
    .unwrap();
    let state = replay(&events).unwrap();
    assert_eq!(state.decision.reason, Some(ApartReason::SafetyOfAChild));
    assert!(state.placed_with(case(1)).is_empty());
}

#[test]
fn some_together_names_the_sets_placed_together() {
    let facts = [open(1), open(2), open(3), open(4)];
    let mut asked = decision(
        Placing::SomeTogether,
        Some(ApartReason::NoCarersForGroup),
        today(),
    );
    asked.placed_together = vec![vec![case(4), case(3)], vec![case(2), case(1)]];
    let state =
        replay(&decide(None, &record(&[1, 2, 3, 4], asked.clone()), &facts, today()).unwrap())
            .unwrap();
    assert_eq!(
        state.decision.placed_together,
        vec![vec![case(1), case(2)], vec![case(3), case(4)]]
    );
    assert_eq!(state.placed_with(case(3)), vec![case(4)]);

    let refusals: Vec<(Vec<Vec<CaseId>>, &str)> = vec![
        (vec![], "name the children"),
        (vec![vec![case(1)]], "two or more"),
        (
            vec![vec![case(1), case(9)]],
            "only children of the sibling group",
        ),
        (
            vec![vec![case(1), case(2)], vec![case(2), case(3)]],
            "one set",
        ),
        (
            vec![vec![case(1), case(2), case(3), case(4)]],
            "decision to place them together",
        ),
    ];
    for (sets, expected) in refusals {
        asked.placed_together = sets;
        let (field, reason) = field_of(
            decide(None, &record(&[1, 2, 3, 4], asked.clone()), &facts, today()).unwrap_err(),
        );
        assert_eq!(field, "placedTogether");
        assert!(reason.contains(expected), "{reason}");
    }
    // Sets belong to "some together" only.
    let mut apart = decision(Placing::Apart, Some(ApartReason::AssessedNeeds), today());
    apart.placed_together = vec![vec![case(1), case(2)]];
    let (field, _) =
        field_of(decide(None, &record(&[1, 2, 3, 4], apart), &facts, today()).unwrap_err());
    assert_eq!(field, "placedTogether");
}

#[test]
fn a_decision_is_not_dated_in_the_future() {
    let facts = [open(1), open(2)];
    let (field, _) = field_of(
        decide(
            None,
            &record(&[1, 2], together(d(2026, 7, 1))),
            &facts,
            today(),
        )
        .unwrap_err(),
    );
    assert_eq!(field, "decidedOn");
}

#[test]
fn a_revision_records_a_new_decision_and_keeps_the_old_one() {
    let state = given_three_together();
    let facts = [
        in_group(open(1), group_id()),
        in_group(open(2), group_id()),
        in_group(open(3), group_id()),
    ];
    let revised = decision(
        Placing::Apart,
        Some(ApartReason::WishesAndFeelings),
        d(2026, 5, 4),
    );
    let events = decide(
        Some(&state),
        &RecordSiblingGroup {
            // A revision keeps the group's id, whatever id a new group would have taken.
            new_group_id: SiblingGroupId(Uuid::from_u128(999)),
            members: vec![case(1), case(2), case(3)],
            decision: revised.clone(),
        },
        &facts,
        today(),
    )
    .unwrap();
    let after = events.iter().fold(Some(state.clone()), evolve).unwrap();
    assert_eq!(after.id, group_id());
    assert_eq!(after.decision, revised);
    assert_eq!(after.history.len(), 2);
    assert_eq!(after.history[0].decision, state.decision);
    // Replaying every event gives the same group as evolving live.
    let mut all: Vec<SiblingEvent> = Vec::new();
    all.extend(
        decide(
            None,
            &record(&[1, 2, 3], together(d(2026, 3, 2))),
            &[open(1), open(2), open(3)],
            today(),
        )
        .unwrap(),
    );
    all.extend(events);
    assert_eq!(replay(&all), Some(after));
}

#[test]
fn a_revision_is_not_dated_before_the_decision_it_revises() {
    let state = given_three_together();
    let facts = [
        in_group(open(1), group_id()),
        in_group(open(2), group_id()),
        in_group(open(3), group_id()),
    ];
    let (field, _) = field_of(
        decide(
            Some(&state),
            &record(
                &[1, 2, 3],
                decision(
                    Placing::Apart,
                    Some(ApartReason::CourtDecision),
                    d(2026, 3, 1),
                ),
            ),
            &facts,
            today(),
        )
        .unwrap_err(),
    );
    assert_eq!(field, "decidedOn");
}

#[test]
fn the_same_decision_twice_is_refused_as_already_recorded() {
    let state = given_three_together();
    let facts = [
        in_group(open(1), group_id()),
        in_group(open(2), group_id()),
        in_group(open(3), group_id()),
    ];
    let err = decide(
        Some(&state),
        &record(&[2, 3, 1], together(d(2026, 3, 2))),
        &facts,
        today(),
    )
    .unwrap_err();
    assert!(
        matches!(err, DomainError::TransitionNotAllowed(_)),
        "{err:?}"
    );
}

#[test]
fn a_brother_or_sister_who_comes_into_care_later_joins_the_group() {
    let state = given_three_together();
    let facts = [
        in_group(open(1), group_id()),
        in_group(open(2), group_id()),
        in_group(open(3), group_id()),
        open(4),
    ];
    let events = decide(
        Some(&state),
        &record(&[1, 2, 3, 4], together(d(2026, 6, 1))),
        &facts,
        today(),
    )
    .unwrap();
    let after = events.iter().fold(Some(state), evolve).unwrap();
    assert_eq!(after.members.len(), 4);
}

#[test]
fn a_member_who_has_left_care_stays_listed() {
    let state = given_three_together();
    let facts = [
        in_group(open(1), group_id()),
        in_group(open(2), group_id()),
        in_group(left_care(open(3)), group_id()),
    ];
    // Taking them out is refused...
    let (field, reason) = field_of(
        decide(
            Some(&state),
            &record(
                &[1, 2],
                decision(Placing::Apart, Some(ApartReason::AssessedNeeds), today()),
            ),
            &facts,
            today(),
        )
        .unwrap_err(),
    );
    assert_eq!(field, "members");
    assert!(reason.contains("stays listed"), "{reason}");
    // ...but a revision that keeps them listed is recorded.
    let events = decide(
        Some(&state),
        &record(
            &[1, 2, 3],
            decision(Placing::Apart, Some(ApartReason::AssessedNeeds), today()),
        ),
        &facts,
        today(),
    )
    .unwrap();
    assert_eq!(replay(&events).unwrap().members.len(), 3);
    // A child still in care may be taken out, when the group keeps two members.
    let facts = [
        in_group(open(1), group_id()),
        in_group(open(2), group_id()),
        in_group(open(3), group_id()),
    ];
    assert!(
        decide(
            Some(&state),
            &record(&[1, 2], together(today())),
            &facts,
            today()
        )
        .is_ok()
    );
}

#[test]
fn a_group_whose_children_have_all_left_care_no_longer_changes() {
    let state = given_three_together();
    let facts = [
        in_group(left_care(open(1)), group_id()),
        in_group(left_care(open(2)), group_id()),
        in_group(left_care(open(3)), group_id()),
    ];
    let err = decide(
        Some(&state),
        &record(
            &[1, 2, 3],
            decision(Placing::Apart, Some(ApartReason::CourtDecision), today()),
        ),
        &facts,
        today(),
    )
    .unwrap_err();
    assert!(
        matches!(err, DomainError::TransitionNotAllowed(_)),
        "{err:?}"
    );
}

#[test]
fn codes_round_trip() {
    for placing in Placing::ALL {
        assert_eq!(Placing::from_key(placing.key()), Some(*placing));
    }
    for reason in ApartReason::ALL {
        assert_eq!(ApartReason::from_key(reason.key()), Some(*reason));
        assert!(!reason.label().is_empty());
    }
}
