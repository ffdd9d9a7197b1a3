//! The national return's facts as a social worker records them: postcodes, URN, category
//! of need, the reason a placement ended, review participation, the adopters; and that
//! states and events stored before these existed still decode.

use crate::common;

use common::{Case, d, invalid, not_allowed};
use permanence_domain::codes::{
    AdopterLegalStatus, AdopterSex, CategoryOfNeed, PlacementChangeReason, PlacementType,
    ReasonNewEpisode, ReviewParticipation,
};
use permanence_domain::return_facts::{Adopters, PlacementDetails};
use permanence_domain::{CaseState, Command, Event, Route};

fn case() -> Case {
    Case::opened(d(2024, 1, 10), d(2026, 1, 1))
}

fn moved(postcode: &str, why: Option<PlacementChangeReason>) -> Command {
    Command::RecordEpisode {
        on: d(2024, 3, 1),
        legal_status: None,
        placement: None,
        provider: None,
        carer: Some("carer-2".into()),
        details: PlacementDetails {
            placement_postcode: Some(postcode.into()),
            previous_placement_ended: why,
            ..PlacementDetails::default()
        },
    }
}

#[test]
fn a_move_records_the_new_postcode_and_why_the_placement_ended() {
    let mut case = case();
    case.given(Command::RecordEpisode {
        on: d(2024, 2, 1),
        legal_status: None,
        placement: None,
        provider: None,
        carer: None,
        details: PlacementDetails {
            home_postcode: Some("pe13 2hh".into()),
            placement_postcode: Some("CB7 9BR".into()),
            urn: Some("sc100001".into()),
            need: Some(CategoryOfNeed::N4),
            ..PlacementDetails::default()
        },
    });
    case.given(moved("CB2 1TN", Some(PlacementChangeReason::Creqb)));
    let episode = case.state().episodes.last().expect("an episode").clone();
    assert_eq!(
        episode.details.placement_postcode.as_deref(),
        Some("CB2 1TN")
    );
    // A new carer is somewhere else: the old URN does not carry over; the home and the
    // category of need do.
    assert_eq!(episode.details.urn, None);
    assert_eq!(episode.details.home_postcode.as_deref(), Some("PE13 2HH"));
    assert_eq!(episode.details.need, Some(CategoryOfNeed::N4));
    assert_eq!(
        episode.details.previous_placement_ended,
        Some(PlacementChangeReason::Creqb)
    );
}

#[test]
fn bad_return_facts_are_refused_with_the_field_and_the_reason() {
    let case = case();
    let (field, reason) = invalid(case.when(&moved("not a postcode", None)));
    assert_eq!(field, "placementPostcode");
    assert!(reason.contains("postcode"), "{reason}");
    // The placement is not the child's home unless the child is placed with parents.
    let mut at_home = case.state().clone();
    at_home.episodes[0].details.home_postcode = Some("CB2 1TN".into());
    let home = Case {
        today: case.today,
        state: Some(at_home),
        events: vec![],
    };
    let (field, _) = invalid(home.when(&moved("CB2 1TN", None)));
    assert_eq!(field, "placementPostcode");
    // A change of legal status only ends no placement.
    let (field, _) = invalid(case.when(&Command::RecordEpisode {
        on: d(2024, 3, 1),
        legal_status: Some(permanence_domain::codes::LegalStatus::C2),
        placement: None,
        provider: None,
        carer: None,
        details: PlacementDetails {
            previous_placement_ended: Some(PlacementChangeReason::Carpl),
            ..PlacementDetails::default()
        },
    }));
    assert_eq!(field, "placementChangeReason");
    let (field, _) = invalid(case.when(&Command::RecordEpisode {
        on: d(2024, 3, 1),
        legal_status: None,
        placement: Some(PlacementType::U4),
        provider: None,
        carer: None,
        details: PlacementDetails {
            urn: Some("12".into()),
            ..PlacementDetails::default()
        },
    }));
    assert_eq!(field, "urn");
}

#[test]
fn a_new_period_does_not_begin_with_reason_s_given_as_part_way() {
    let mut open = common::open_case(d(2024, 1, 10));
    open.details.reason_new_episode = Some(ReasonNewEpisode::S);
    let (field, _) = invalid(Case::empty(d(2026, 1, 1)).when(&Command::OpenCase(open.clone())));
    assert_eq!(field, "reasonNewEpisode");
    // A period imported part-way (its first episode followed others) may hold facts dated
    // before its first known episode, such as an earlier decision to place for adoption.
    open.details.reason_new_episode = Some(ReasonNewEpisode::L);
    let mut case = Case::empty(d(2026, 1, 1));
    case.given(Command::OpenCase(open));
    case.given(Command::SetRoutePlan {
        route: Route::Adoption,
        role: permanence_domain::case::PlanRole::Primary,
        on: d(2023, 6, 1),
    });
    assert_eq!(
        case.state().care_known_from(),
        case.state().child_birth_date
    );
    let (field, _) = invalid(Case::opened(d(2024, 1, 10), d(2026, 1, 1)).when(
        &Command::SetRoutePlan {
            route: Route::Adoption,
            role: permanence_domain::case::PlanRole::Primary,
            on: d(2023, 6, 1),
        },
    ));
    assert_eq!(field, "occurredOn");
}

#[test]
fn review_participation_is_kept_by_the_review_s_date() {
    let mut case = case();
    case.given(Command::RecordReview {
        on: d(2024, 2, 5),
        participation: Some(ReviewParticipation::Pn0),
    });
    case.given(Command::RecordReview {
        on: d(2024, 5, 5),
        participation: None,
    });
    assert_eq!(case.state().reviews, [d(2024, 2, 5), d(2024, 5, 5)]);
    assert_eq!(
        case.state().review_participation.get(&d(2024, 2, 5)),
        Some(&ReviewParticipation::Pn0)
    );
    assert_eq!(case.state().review_participation.len(), 1);
}

#[test]
fn the_adopters_are_recorded_once_the_match_is_decided() {
    let adopters = Adopters {
        sex: AdopterSex::Mf,
        legal_status: AdopterLegalStatus::L11,
    };
    let mut case = case();
    case.plan(Route::Adoption, d(2024, 2, 1));
    case.steps(
        Route::Adoption,
        &[
            "shobpa_decision",
            "placement_order",
            "family_finding",
            "matching_panel_recommendation",
        ],
        d(2024, 3, 1),
    );
    let refusal = not_allowed(case.when(&Command::RecordAdopters {
        on: d(2024, 6, 1),
        adopters,
    }));
    assert!(refusal.contains("match"), "{refusal}");
    case.step(Route::Adoption, "match_decision", d(2024, 7, 1));
    let (field, _) = invalid(case.when(&Command::RecordAdopters {
        on: d(2024, 7, 1),
        adopters: Adopters {
            sex: AdopterSex::F1,
            legal_status: AdopterLegalStatus::L11,
        },
    }));
    assert_eq!(field, "adopterLegalStatus");
    case.given(Command::RecordAdopters {
        on: d(2024, 7, 1),
        adopters,
    });
    assert_eq!(case.state().adopters, Some(adopters));
}

#[test]
fn states_and_events_stored_before_the_return_facts_still_decode() {
    let case = case();
    let mut json = serde_json::to_value(case.state()).expect("serialises");
    let object = json.as_object_mut().expect("an object");
    object.remove("review_participation");
    object.remove("adopters");
    for episode in object["episodes"].as_array_mut().expect("episodes") {
        episode
            .as_object_mut()
            .expect("an episode")
            .remove("details");
    }
    let old: CaseState = serde_json::from_value(json).expect("decodes");
    assert!(old.review_participation.is_empty());
    assert_eq!(old.episodes[0].details, PlacementDetails::default());
    let event: Event = serde_json::from_str(
        r#"{"type":"EpisodeStarted","on":"2024-02-01","legal_status":"C2","placement":"U6","provider":"PR1","carer":"c"}"#,
    )
    .expect("an event stored before decodes");
    assert!(matches!(event, Event::EpisodeStarted { details, .. } if details.is_empty()));
    let review: Event =
        serde_json::from_str(r#"{"type":"ReviewHeld","on":"2024-02-01"}"#).expect("decodes");
    assert_eq!(
        review,
        Event::ReviewHeld {
            on: d(2024, 2, 1),
            participation: None
        }
    );
}
