//! Records that agree with each other (DOMAIN.md §3.1 and the national validator's rule
//! 551): given a case, when an episode places the child for adoption or records a placement
//! order without a standing decision to place for adoption, or a long-term match is
//! confirmed outside a long-term foster placement, then live work is refused naming the
//! field, and recorded history is kept with a data-quality note.

use crate::common;

use common::{Case, d, invalid, move_to, open_case, record_step, set_plan};
use permanence_domain::case::{CaseState, PlanRole};
use permanence_domain::codes::{LegalStatus, PlacementType, ReasonNewEpisode, ReversalReason};
use permanence_domain::history::{DataQualityKind, decide_recorded};
use permanence_domain::{Command, DomainError, Event, Route, evolve};

fn today() -> chrono::NaiveDate {
    d(2026, 12, 5)
}

fn legal_status(status: LegalStatus, on: chrono::NaiveDate) -> Command {
    Command::RecordEpisode {
        on,
        legal_status: Some(status),
        placement: None,
        provider: None,
        carer: None,
        details: Default::default(),
    }
}

/// An adoption plan from 1 February 2025, no decision yet; in care since 6 January 2025.
fn adoption_plan() -> Case {
    let mut case = Case::opened(d(2025, 1, 6), today());
    case.plan(Route::Adoption, d(2025, 2, 1));
    case
}

/// Decides `command` as recorded history and applies what it answers.
fn recorded(case: &mut Case, command: Command) -> Result<Vec<Event>, DomainError> {
    let events = decide_recorded(
        case.state.as_ref(),
        &command,
        &case.ctx(),
        Some("imported from episodes.csv row 4"),
    )?;
    for event in &events {
        case.state = evolve(case.state.take(), event);
    }
    Ok(events)
}

fn notes(state: &CaseState) -> Vec<DataQualityKind> {
    state.data_quality.iter().map(|n| n.kind).collect()
}

mod adoption_decision {
    use super::*;

    #[test]
    fn a_placement_order_without_the_decision_to_place_is_refused() {
        let case = adoption_plan();
        let (field, reason) = invalid(case.when(&legal_status(LegalStatus::E1, d(2025, 5, 1))));
        assert_eq!(field, "legalStatus");
        assert!(reason.contains("placement order (E1)"), "{reason}");
        assert!(reason.contains("decision"), "{reason}");
    }

    #[test]
    fn a_placement_for_adoption_without_the_decision_to_place_is_refused() {
        let case = adoption_plan();
        for placement in [
            PlacementType::A3,
            PlacementType::A4,
            PlacementType::A5,
            PlacementType::A6,
        ] {
            let (field, reason) = invalid(case.when(&move_to(placement, d(2025, 5, 1))));
            assert_eq!(field, "placement", "{placement}");
            assert!(reason.contains(placement.code()), "{reason}");
        }
    }

    #[test]
    fn with_the_decision_made_the_order_and_the_placement_are_recorded() {
        let mut case = adoption_plan();
        case.step(Route::Adoption, "shobpa_decision", d(2025, 4, 1))
            .step(Route::Adoption, "placement_order", d(2025, 5, 1))
            .given(legal_status(LegalStatus::E1, d(2025, 5, 1)))
            .placed(PlacementType::A6, d(2025, 9, 1));
        let current = case.state().current_episode().expect("episode");
        assert_eq!(
            (current.legal_status, current.placement),
            (LegalStatus::E1, PlacementType::A6)
        );
    }

    #[test]
    fn a_decision_dated_after_the_placement_order_does_not_stand_for_it() {
        let mut case = adoption_plan();
        case.given(move_to(PlacementType::U6, d(2025, 3, 1))).step(
            Route::Adoption,
            "shobpa_decision",
            d(2025, 4, 1),
        );
        let (field, _) = invalid(case.when(&legal_status(LegalStatus::E1, d(2025, 3, 20))));
        assert_eq!(field, "legalStatus");
    }

    #[test]
    fn a_reversed_decision_no_longer_stands_for_a_new_placement_for_adoption() {
        let mut case = adoption_plan();
        case.step(Route::Adoption, "shobpa_decision", d(2025, 4, 1))
            .given(Command::ReverseAdoptionDecision {
                on: d(2025, 6, 1),
                reason: ReversalReason::RD1,
            });
        let (field, _) = invalid(case.when(&move_to(PlacementType::A4, d(2025, 7, 1))));
        assert_eq!(field, "placement");
    }

    #[test]
    fn a_placement_order_carried_to_a_move_after_a_reversal_stands_until_revoked() {
        let mut case = adoption_plan();
        case.step(Route::Adoption, "shobpa_decision", d(2025, 4, 1))
            .step(Route::Adoption, "placement_order", d(2025, 5, 1))
            .given(legal_status(LegalStatus::E1, d(2025, 5, 1)))
            .given(Command::ReverseAdoptionDecision {
                on: d(2025, 9, 1),
                reason: ReversalReason::RD3,
            })
            // The child moves while the order is still in force: recorded.
            .placed(PlacementType::U4, d(2025, 10, 1))
            .given(legal_status(LegalStatus::C2, d(2025, 11, 1)));
        // Recording the order again, with no decision standing, is refused.
        let (field, _) = invalid(case.when(&legal_status(LegalStatus::E1, d(2025, 12, 1))));
        assert_eq!(field, "legalStatus");
    }

    #[test]
    fn a_child_does_not_enter_care_placed_for_adoption_or_under_a_placement_order() {
        let mut placed = open_case(d(2025, 1, 6));
        placed.placement = PlacementType::A5;
        let (field, _) = invalid(Case::empty(today()).when(&Command::OpenCase(placed)));
        assert_eq!(field, "placement");
        let mut ordered = open_case(d(2025, 1, 6));
        ordered.legal_status = LegalStatus::E1;
        let (field, _) = invalid(Case::empty(today()).when(&Command::OpenCase(ordered)));
        assert_eq!(field, "legalStatus");
    }

    #[test]
    fn recorded_history_keeps_the_episode_with_a_note() {
        let mut case = adoption_plan();
        let events = recorded(&mut case, move_to(PlacementType::A6, d(2025, 5, 1)))
            .expect("recorded as history");
        assert!(matches!(
            events[0],
            Event::EpisodeStarted {
                placement: PlacementType::A6,
                ..
            }
        ));
        assert!(matches!(
            events.last(),
            Some(Event::DataQualityNoted { note })
                if note.kind == DataQualityKind::AdoptionPlacementWithoutDecision
                    && note.on == d(2025, 5, 1)
                    && note.source.as_deref() == Some("imported from episodes.csv row 4")
        ));
        assert_eq!(
            notes(case.state()),
            [DataQualityKind::AdoptionPlacementWithoutDecision]
        );
    }

    #[test]
    fn recorded_history_opens_a_period_under_a_placement_order_with_a_note() {
        let mut ordered = open_case(d(2025, 1, 6));
        ordered.legal_status = LegalStatus::E1;
        let mut case = Case::empty(today());
        recorded(&mut case, Command::OpenCase(ordered)).expect("recorded as history");
        assert_eq!(
            notes(case.state()),
            [DataQualityKind::AdoptionPlacementWithoutDecision]
        );
    }

    #[test]
    fn recorded_history_of_a_period_imported_part_way_opens_under_its_order_without_a_note() {
        // Its decision was made in a year the import does not hold and comes after the
        // opening.
        let mut ordered = open_case(d(2025, 1, 6));
        ordered.legal_status = LegalStatus::E1;
        ordered.details.reason_new_episode = Some(ReasonNewEpisode::P);
        let mut case = Case::empty(today());
        recorded(&mut case, Command::OpenCase(ordered)).expect("recorded as history");
        assert!(notes(case.state()).is_empty());
    }

    #[test]
    fn recorded_history_with_the_decision_has_no_note() {
        let mut case = adoption_plan();
        case.step(Route::Adoption, "shobpa_decision", d(2025, 4, 1));
        recorded(&mut case, legal_status(LegalStatus::E1, d(2025, 5, 1))).expect("recorded");
        assert!(notes(case.state()).is_empty());
    }
}

mod long_term_match {
    use super::*;

    /// A long-term fostering plan at the match approval, the child in a short-term foster
    /// placement (U6).
    fn approved() -> Case {
        let mut case = Case::opened(d(2025, 1, 6), today());
        case.given(set_plan(
            Route::LongTermFostering,
            PlanRole::Primary,
            d(2025, 2, 1),
        ))
        .steps(
            Route::LongTermFostering,
            &["carer_identified", "panel_recommendation", "match_approved"],
            d(2025, 3, 3),
        );
        case
    }

    #[test]
    fn a_match_is_not_confirmed_outside_a_long_term_foster_placement() {
        let case = approved();
        let (field, reason) = invalid(case.when(&record_step(
            Route::LongTermFostering,
            "match_confirmed",
            d(2025, 4, 1),
        )));
        assert_eq!(field, "step");
        assert!(reason.contains("U1 or U4"), "{reason}");
    }

    #[test]
    fn a_match_is_confirmed_in_a_long_term_foster_placement() {
        for placement in [PlacementType::U1, PlacementType::U4] {
            let mut case = approved();
            case.placed(placement, d(2025, 4, 1)).step(
                Route::LongTermFostering,
                "match_confirmed",
                d(2025, 4, 1),
            );
            assert!(case.state().plans[0].achieved, "{placement}");
        }
    }

    #[test]
    fn the_placement_is_the_one_in_force_on_the_day_of_the_confirmation() {
        let mut case = approved();
        case.placed(PlacementType::U4, d(2025, 4, 10));
        // Dated before the child moved to the long-term carers: refused.
        let (field, _) = invalid(case.when(&record_step(
            Route::LongTermFostering,
            "match_confirmed",
            d(2025, 4, 7),
        )));
        assert_eq!(field, "step");
    }

    #[test]
    fn recorded_history_keeps_the_confirmation_with_a_note() {
        let mut case = approved();
        let events = recorded(
            &mut case,
            record_step(Route::LongTermFostering, "match_confirmed", d(2025, 4, 1)),
        )
        .expect("recorded as history");
        assert!(matches!(
            events[0],
            Event::RouteStepRecorded {
                achieves_permanence: true,
                ..
            }
        ));
        assert_eq!(
            notes(case.state()),
            [DataQualityKind::LongTermMatchWithoutPlacement]
        );
    }
}
