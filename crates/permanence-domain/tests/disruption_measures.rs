//! The measures after a placement breakdown, worked out by hand to the day: A1 and A10 count
//! the move-in with the family who adopted (DOMAIN.md §4), a child whose adoptive placement
//! broke down is waiting again from the breakdown, and the disruptions are counted by route
//! and stage with their rate.

use crate::common;

use chrono::NaiveDate;
use common::{Case, d, open_case};
use permanence_domain::codes::{PlacementChangeReason, PlacementType, ReasonCeased, Sex};
use permanence_domain::measures::{
    CaseFacts, CaseView, ChildFacts, Disruption, children_waiting, timeliness_report,
};
use permanence_domain::return_facts::PlacementDetails;
use permanence_domain::{CaseId, CaseState, ChildId, Command, Route};
use std::cell::OnceCell;
use uuid::Uuid;

const A: Route = Route::Adoption;

fn today() -> NaiveDate {
    d(2026, 6, 30)
}

fn child(reference: &str) -> ChildFacts {
    ChildFacts {
        birth_date: d(2022, 1, 1),
        sex: Sex::Female,
        ethnicity: "WBRI".to_owned(),
        local_authority: common::LA.to_owned(),
        reference: reference.into(),
    }
}

/// Case `n` of a child who entered care on 9 January 2023 with carer-1 (U6).
fn open(n: u128) -> Case {
    let mut open = open_case(d(2023, 1, 9));
    open.case_id = CaseId(Uuid::from_u128(n));
    open.child_id = ChildId(Uuid::from_u128(100 + n));
    open.child_birth_date = d(2022, 1, 1);
    let mut case = Case::empty(today());
    case.given(Command::OpenCase(open));
    case
}

fn move_to(
    on: NaiveDate,
    placement: PlacementType,
    carer: &str,
    ended: Option<PlacementChangeReason>,
) -> Command {
    Command::RecordEpisode {
        on,
        legal_status: None,
        placement: Some(placement),
        provider: None,
        carer: Some(carer.to_owned()),
        details: PlacementDetails {
            previous_placement_ended: ended,
            ..PlacementDetails::default()
        },
    }
}

/// Placed for adoption with adopter-1 (A4) on 1 August 2023; the placement broke down on
/// 2 October 2023 and the child moved to `then` (carer, placement) that day.
fn broke_down(n: u128, then: (&str, PlacementType)) -> Case {
    let mut case = open(n);
    case.plan(A, d(2023, 2, 1))
        .step(A, "shobpa_decision", d(2023, 3, 1))
        .step(A, "placement_order", d(2023, 5, 1))
        .step(A, "family_finding", d(2023, 5, 2))
        .step(A, "matching_panel_recommendation", d(2023, 7, 3))
        .step(A, "match_decision", d(2023, 7, 7))
        .step(A, "placed_for_adoption", d(2023, 8, 1))
        .given(move_to(d(2023, 8, 1), PlacementType::A4, "adopter-1", None))
        .given(Command::RecordPlacementBreakdown {
            route: A,
            on: d(2023, 10, 2),
            reason: PlacementChangeReason::Creqb,
        })
        .given(move_to(
            d(2023, 10, 2),
            then.1,
            then.0,
            Some(PlacementChangeReason::Creqb),
        ));
    case
}

/// Then matched again, placed on 5 February 2024 in `adoptive` with `carer`, and adopted
/// on 3 June 2024.
fn adopted_after(mut case: Case, adoptive: PlacementType, carer: &str) -> Case {
    case.step(A, "matching_panel_recommendation", d(2024, 1, 8))
        .step(A, "match_decision", d(2024, 1, 12))
        .step(A, "placed_for_adoption", d(2024, 2, 5))
        .given(move_to(d(2024, 2, 5), adoptive, carer, None))
        .step(A, "adoption_application", d(2024, 5, 1))
        .step(A, "adoption_order", d(2024, 6, 3))
        .given(Command::CloseCase {
            on: d(2024, 6, 3),
            reason: ReasonCeased::E11,
        });
    case
}

struct Fixture {
    state: CaseState,
    child: ChildFacts,
    /// What the measures read of `state`, worked out when first read.
    facts: OnceCell<CaseFacts>,
}

fn views(fixtures: &[Fixture]) -> Vec<CaseView<'_>> {
    fixtures
        .iter()
        .map(|f| CaseView {
            facts: f.facts.get_or_init(|| CaseFacts::of(&f.state)),
            child: &f.child,
        })
        .collect()
}

/// D1: adopted by new adopters (A4, adopter-2) after the breakdown. D2: adopted by the
/// foster carers (carer-3) the child went to after the breakdown (A3 with them).
fn adopted_cohort() -> Vec<Fixture> {
    let d1 = adopted_after(
        broke_down(1, ("carer-2", PlacementType::U6)),
        PlacementType::A4,
        "adopter-2",
    );
    let d2 = adopted_after(
        broke_down(2, ("carer-3", PlacementType::U6)),
        PlacementType::A3,
        "carer-3",
    );
    vec![
        Fixture {
            state: d1.state().clone(),
            facts: OnceCell::new(),
            child: child("D1"),
        },
        Fixture {
            state: d2.state().clone(),
            facts: OnceCell::new(),
            child: child("D2"),
        },
    ]
}

#[test]
fn a1_counts_the_move_in_with_the_family_who_adopted() {
    let cohort = adopted_cohort();
    let report = timeliness_report(&views(&cohort), d(2024, 4, 1), d(2025, 3, 31));
    // Entered 9 January 2023, moved in with the adopters on 5 February 2024: 365 days to
    // 9 January 2024 and 27 more = 392 (not the 204 days to the placement that broke down).
    let a1: Vec<_> = report.a1.cases.iter().map(|c| c.days).collect();
    assert_eq!(a1, [392, 392]);
    // A10: D1's adopters were not the child's foster carers (392). D2 moved in with
    // carer-3 as foster carers on 2 October 2023, the day the placement broke down: 266
    // days (the walk back stops there, at the adopters of the placement that failed).
    let a10: Vec<_> = report.a10.cases.iter().map(|c| c.days).collect();
    assert_eq!(a10, [392, 266]);
    // A3: 392 days is less than 14 months (9 March 2024): both met.
    assert_eq!((report.a3.numerator, report.a3.denominator), (2, 2));
}

#[test]
fn a_child_whose_adoptive_placement_broke_down_is_waiting_again_from_that_date() {
    let case = broke_down(1, ("carer-2", PlacementType::U6));
    let cohort = [Fixture {
        state: case.state().clone(),
        facts: OnceCell::new(),
        child: child("D1"),
    }];
    let waiting = |on| children_waiting(&views(&cohort), on);
    // Placed on 1 August 2023: not waiting on 1 September.
    assert_eq!(waiting(d(2023, 9, 1)).with_decision.count, 0);
    assert_eq!(waiting(d(2023, 9, 1)).with_placement_order.count, 0);
    // Broken down on 2 October: waiting that day, and on 1 November 245 days since the
    // decision (1 March) and 184 since the order (1 May).
    assert_eq!(waiting(d(2023, 10, 2)).with_decision.count, 1);
    let november = waiting(d(2023, 11, 1));
    assert_eq!(november.with_decision.cases[0].days, 245);
    assert_eq!(november.with_placement_order.cases[0].days, 184);
    // Moved in with new adopters on 5 February 2024: not waiting after that.
    let adopted = adopted_after(case, PlacementType::A4, "adopter-2");
    let cohort = [Fixture {
        state: adopted.state().clone(),
        facts: OnceCell::new(),
        child: child("D1"),
    }];
    let waiting = |on| children_waiting(&views(&cohort), on);
    assert_eq!(waiting(d(2024, 2, 4)).with_decision.count, 1);
    assert_eq!(waiting(d(2024, 2, 5)).with_decision.count, 0);
    // Before the breakdown the first placement still stood, as it did then.
    assert_eq!(waiting(d(2023, 9, 1)).with_decision.count, 0);
}

#[test]
fn disruptions_are_counted_by_route_and_stage_with_their_rate() {
    let mut cohort = adopted_cohort();
    // D3: a long-term match confirmed on 1 June 2023 that ended on 1 December 2023.
    let mut d3 = open(3);
    d3.plan(Route::LongTermFostering, d(2023, 2, 1))
        .step(Route::LongTermFostering, "carer_identified", d(2023, 3, 1))
        .step(
            Route::LongTermFostering,
            "panel_recommendation",
            d(2023, 4, 3),
        )
        .step(Route::LongTermFostering, "match_approved", d(2023, 4, 10))
        .placed(PlacementType::U4, d(2023, 6, 1))
        .step(Route::LongTermFostering, "match_confirmed", d(2023, 6, 1))
        .given(Command::RecordPlacementBreakdown {
            route: Route::LongTermFostering,
            on: d(2023, 12, 1),
            reason: PlacementChangeReason::Child,
        });
    cohort.push(Fixture {
        state: d3.state().clone(),
        facts: OnceCell::new(),
        child: child("D3"),
    });
    let report = timeliness_report(&views(&cohort), d(2023, 4, 1), d(2024, 3, 31));
    let rows: Vec<_> = report
        .disruptions
        .iter()
        .map(|x: &Disruption| {
            (
                x.route,
                x.stage.as_deref(),
                x.breakdowns.summary.children,
                x.placements,
                x.percent,
            )
        })
        .collect();
    // Adoption: 4 placements began in the window (D1 and D2 on 1 August 2023 and again on
    // 5 February 2024), 2 broke down (both at the placement, 62 days after it): 50%. Long-
    // term fostering: 1 confirmed match, which ended: 100%. No placement on the others.
    assert_eq!(
        rows,
        [
            (Route::Adoption, None, 2, 4, Some(50.0)),
            (
                Route::Adoption,
                Some("placed_for_adoption"),
                2,
                4,
                Some(50.0)
            ),
            (Route::SpecialGuardianship, None, 0, 0, None),
            (Route::Reunification, None, 0, 0, None),
            (Route::LongTermFostering, None, 1, 1, Some(100.0)),
            (
                Route::LongTermFostering,
                Some("match_confirmed"),
                1,
                1,
                Some(100.0)
            ),
        ]
    );
    let adoption = &report.disruptions[0].breakdowns;
    assert_eq!(
        adoption.cases.iter().map(|c| c.days).collect::<Vec<_>>(),
        [62, 62]
    );
    // 1 June to 1 December 2023: 183 days.
    assert_eq!(report.disruptions[4].breakdowns.cases[0].days, 183);
    // A window after them holds none of them.
    let later = timeliness_report(&views(&cohort), d(2024, 4, 1), d(2025, 3, 31));
    assert_eq!(later.disruptions[0].breakdowns.summary.children, 0);
    assert_eq!(later.disruptions.len(), 4);
}

#[test]
fn a_step_taken_again_after_a_breakdown_is_timed_from_the_breakdown() {
    let cohort = adopted_cohort();
    let report = timeliness_report(&views(&cohort), d(2023, 4, 1), d(2024, 3, 31));
    let days = |from: &str, to: &str| {
        report
            .step_durations
            .iter()
            .find(|s| s.route == A && s.from_step == from && s.to_step == to)
            .map(|s| s.measure.cases.iter().map(|c| c.days).collect::<Vec<_>>())
    };
    // Family finding (2 May 2023) to the matching panel: the first panel's 62 days (3 July
    // 2023) went back off the route with the placement; the panel after the breakdown
    // (8 January 2024) counts from the breakdown (2 October 2023): 98 days, not 251.
    assert_eq!(
        days("family_finding", "matching_panel_recommendation"),
        Some(vec![98, 98])
    );
}
