//! Given/when/then tests of the panel on a case: what a panel's recommendation and an agency
//! decision record on the route, what they refuse, and the deadlines they leave behind.

use crate::common;

use chrono::NaiveDate;
use common::{Case, catalog, d, invalid, not_allowed};
use permanence_domain::case::CaseState;
use permanence_domain::deadlines::{DeadlineCategory, RETURN_TO_PANEL};
use permanence_domain::panel::{PanelOutcome, PanelOutcomeEntry, PanelPurpose};
use permanence_domain::timescales::{Basis, Period};
use permanence_domain::{Command, Deadline, Event, Route, Timescales, derive_deadlines, replay};

fn today() -> NaiveDate {
    d(2026, 6, 30)
}

fn entered() -> NaiveDate {
    d(2025, 1, 6)
}

fn panel(purpose: PanelPurpose, outcome: PanelOutcome, on: NaiveDate) -> Command {
    Command::RecordPanelOutcome {
        purpose,
        outcome,
        on,
    }
}

fn decision(purpose: PanelPurpose, agrees: bool, on: NaiveDate) -> Command {
    Command::RecordAgencyDecision {
        purpose,
        agrees,
        on,
    }
}

fn deferred(reason: &str, return_by: NaiveDate) -> PanelOutcome {
    PanelOutcome::Deferred {
        reason: reason.to_owned(),
        return_by,
    }
}

fn deadlines(case: &Case) -> Vec<Deadline> {
    derive_deadlines(case.state(), catalog(), &Timescales::default())
}

fn deadline(case: &Case, key: &str) -> Option<Deadline> {
    deadlines(case).into_iter().find(|x| x.key == key)
}

fn current_step(case: &Case, route: Route) -> String {
    case.state()
        .active_plan(route)
        .expect("an active plan")
        .current_step()
        .to_owned()
}

/// Given a long-term fostering plan with the carer identified on 3 March 2025.
fn long_term_case() -> Case {
    let mut case = Case::opened(entered(), today());
    case.plan(Route::LongTermFostering, d(2025, 2, 3)).step(
        Route::LongTermFostering,
        "carer_identified",
        d(2025, 3, 3),
    );
    case
}

/// Given an adoption plan with a placement order and family finding, ready for matching panel.
fn adoption_case_ready_for_matching() -> Case {
    let mut case = Case::opened(entered(), today());
    case.plan(Route::Adoption, d(2025, 2, 3))
        .step(Route::Adoption, "shobpa_decision", d(2025, 3, 3))
        .step(Route::Adoption, "placement_order", d(2025, 4, 7))
        .step(Route::Adoption, "family_finding", d(2025, 4, 14));
    case
}

mod recommendation {
    use super::*;

    #[test]
    fn a_recommendation_records_the_outcome_and_the_route_step_together() {
        let mut case = long_term_case();
        let events = case
            .try_apply(panel(
                PanelPurpose::LongTermFosterMatch,
                PanelOutcome::Recommended,
                d(2025, 4, 2),
            ))
            .expect("recommended");
        assert_eq!(
            events,
            vec![
                Event::PanelOutcomeRecorded {
                    purpose: PanelPurpose::LongTermFosterMatch,
                    outcome: PanelOutcome::Recommended,
                    on: d(2025, 4, 2),
                },
                Event::RouteStepRecorded {
                    plan_id: 1,
                    step: "panel_recommendation".to_owned(),
                    on: d(2025, 4, 2),
                    achieves_permanence: false,
                    position: None,
                },
            ]
        );
        assert_eq!(
            current_step(&case, Route::LongTermFostering),
            "panel_recommendation"
        );
        assert_eq!(
            case.state().panel,
            vec![PanelOutcomeEntry {
                purpose: PanelPurpose::LongTermFosterMatch,
                on: d(2025, 4, 2),
                outcome: PanelOutcome::Recommended,
                decision: None,
            }]
        );
        // What must follow: the approval within 7 working days, the confirmation within 56 days.
        let approval = deadline(&case, "plan1:adm_long_term_match_approval").expect("approval due");
        assert_eq!(approval.due_on, d(2025, 4, 11));
        assert!(approval.after_panel);
        let confirmed = deadline(&case, "plan1:long_term_match_confirmed").expect("confirmation");
        assert_eq!(confirmed.due_on, d(2025, 5, 28));
        assert!(confirmed.after_panel);
    }

    #[test]
    fn a_matching_panel_before_family_finding_is_refused_naming_what_is_missing() {
        let mut case = Case::opened(entered(), today());
        case.plan(Route::Adoption, d(2025, 2, 3)).step(
            Route::Adoption,
            "shobpa_decision",
            d(2025, 3, 3),
        );
        let message = not_allowed(case.when(&panel(
            PanelPurpose::AdoptionMatch,
            PanelOutcome::Recommended,
            d(2025, 4, 1),
        )));
        assert!(
            message.contains("matching panel recommendation needs the family finding"),
            "{message}"
        );
    }

    #[test]
    fn a_panel_for_a_route_the_case_is_not_on_is_refused() {
        let case = long_term_case();
        let message = not_allowed(case.when(&panel(
            PanelPurpose::AdoptionMatch,
            PanelOutcome::Recommended,
            d(2025, 4, 1),
        )));
        assert!(message.contains("no adoption plan"), "{message}");
    }

    #[test]
    fn the_panel_cannot_sit_in_the_future_or_before_the_latest_step() {
        let case = long_term_case();
        let (field, _) = invalid(case.when(&panel(
            PanelPurpose::LongTermFosterMatch,
            PanelOutcome::Recommended,
            d(2026, 7, 1),
        )));
        assert_eq!(field, "occurredOn");
        let (field, reason) = invalid(case.when(&panel(
            PanelPurpose::LongTermFosterMatch,
            PanelOutcome::NotRecommended,
            d(2025, 3, 1),
        )));
        assert_eq!(field, "occurredOn");
        assert!(
            reason.contains("before the long-term carer identified"),
            "{reason}"
        );
    }

    #[test]
    fn a_recommendation_already_recorded_is_refused() {
        let mut case = long_term_case();
        case.given(panel(
            PanelPurpose::LongTermFosterMatch,
            PanelOutcome::Recommended,
            d(2025, 4, 2),
        ));
        let message = not_allowed(case.when(&panel(
            PanelPurpose::LongTermFosterMatch,
            PanelOutcome::NotRecommended,
            d(2025, 4, 9),
        )));
        assert!(message.contains("already recorded"), "{message}");
    }

    #[test]
    fn a_closed_case_cannot_go_to_panel() {
        let mut case = long_term_case();
        case.given(Command::CloseCase {
            on: d(2025, 5, 1),
            reason: permanence_domain::codes::ReasonCeased::E8,
        });
        let message = not_allowed(case.when(&panel(
            PanelPurpose::LongTermFosterMatch,
            PanelOutcome::Recommended,
            d(2025, 5, 2),
        )));
        assert!(message.contains("closed"), "{message}");
    }
}

mod not_recommended_and_deferred {
    use super::*;

    #[test]
    fn not_recommended_leaves_the_route_where_it_was() {
        let mut case = long_term_case();
        let events = case
            .try_apply(panel(
                PanelPurpose::LongTermFosterMatch,
                PanelOutcome::NotRecommended,
                d(2025, 4, 2),
            ))
            .expect("recorded");
        assert_eq!(events.len(), 1);
        assert!(matches!(events[0], Event::PanelOutcomeRecorded { .. }));
        assert_eq!(
            current_step(&case, Route::LongTermFostering),
            "carer_identified"
        );
        assert!(deadline(&case, "plan1:long_term_match_confirmed").is_none());
        // The case can go to panel again.
        case.given(panel(
            PanelPurpose::LongTermFosterMatch,
            PanelOutcome::Recommended,
            d(2025, 6, 4),
        ));
        assert_eq!(
            current_step(&case, Route::LongTermFostering),
            "panel_recommendation"
        );
    }

    #[test]
    fn not_recommended_is_refused_where_a_recommendation_would_be() {
        let mut case = Case::opened(entered(), today());
        case.plan(Route::LongTermFostering, d(2025, 2, 3));
        let message = not_allowed(case.when(&panel(
            PanelPurpose::LongTermFosterMatch,
            PanelOutcome::NotRecommended,
            d(2025, 3, 3),
        )));
        assert!(
            message.contains("needs the long-term carer identified first"),
            "{message}"
        );
    }

    #[test]
    fn a_deferral_sets_the_return_to_panel_deadline_on_the_date_the_panel_gave() {
        let mut case = adoption_case_ready_for_matching();
        case.given(panel(
            PanelPurpose::AdoptionMatch,
            deferred("medical report missing", d(2025, 6, 30)),
            d(2025, 6, 2),
        ));
        assert_eq!(current_step(&case, Route::Adoption), "family_finding");
        let key = format!("plan1:{RETURN_TO_PANEL}:adoption_match");
        let back = deadline(&case, &key).expect("return to panel due");
        assert_eq!(back.rule, RETURN_TO_PANEL);
        assert_eq!(back.started_on, d(2025, 6, 2));
        assert_eq!(back.due_on, d(2025, 6, 30));
        assert_eq!(back.period, Period::Days(28));
        assert_eq!(back.category, DeadlineCategory::Route);
        assert_eq!(back.basis, Basis::LocalSetting);
        assert_eq!(back.route, Some(Route::Adoption));
        assert_eq!(back.plan_id, Some(1));
        assert!(back.after_panel);

        // Deferred again: the new date replaces the old one.
        case.given(panel(
            PanelPurpose::AdoptionMatch,
            deferred("adopters' report not ready", d(2025, 8, 4)),
            d(2025, 6, 30),
        ));
        let back = deadline(&case, &key).expect("still due");
        assert_eq!(
            (back.started_on, back.due_on),
            (d(2025, 6, 30), d(2025, 8, 4))
        );

        // Heard and recommended: nothing left to return for.
        case.given(panel(
            PanelPurpose::AdoptionMatch,
            PanelOutcome::Recommended,
            d(2025, 7, 28),
        ));
        assert!(deadline(&case, &key).is_none());
        assert!(deadline(&case, "plan1:adm_match_decision").is_some());
    }

    #[test]
    fn a_deferral_closes_when_the_case_moves_on_without_panel() {
        let mut case = Case::opened(entered(), today());
        case.plan(Route::Adoption, d(2025, 2, 3));
        case.given(panel(
            PanelPurpose::ShobpaConsent,
            deferred("consent to be confirmed", d(2025, 4, 7)),
            d(2025, 3, 3),
        ));
        let key = format!("plan1:{RETURN_TO_PANEL}:shobpa_consent");
        assert!(deadline(&case, &key).is_some());
        // Consent was not given after all: the decision maker decides without panel.
        case.step(Route::Adoption, "shobpa_decision", d(2025, 3, 20));
        assert!(deadline(&case, &key).is_none());
    }

    #[test]
    fn a_deferral_needs_a_reason_and_a_later_date() {
        let case = long_term_case();
        let (field, _) = invalid(case.when(&panel(
            PanelPurpose::LongTermFosterMatch,
            deferred("  ", d(2025, 5, 1)),
            d(2025, 4, 2),
        )));
        assert_eq!(field, "deferralReason");
        let (field, _) = invalid(case.when(&panel(
            PanelPurpose::LongTermFosterMatch,
            deferred("carer's assessment to update", d(2025, 4, 2)),
            d(2025, 4, 2),
        )));
        assert_eq!(field, "returnBy");
    }

    #[test]
    fn an_outcome_cannot_be_dated_before_the_previous_one_for_the_purpose() {
        let mut case = long_term_case();
        case.given(panel(
            PanelPurpose::LongTermFosterMatch,
            deferred("support plan to agree", d(2025, 5, 7)),
            d(2025, 4, 2),
        ));
        let (field, reason) = invalid(case.when(&panel(
            PanelPurpose::LongTermFosterMatch,
            PanelOutcome::Recommended,
            d(2025, 3, 20),
        )));
        assert_eq!(field, "occurredOn");
        assert!(reason.contains("previous panel outcome"), "{reason}");
    }
}

mod agency_decision {
    use super::*;

    fn matched_at_panel() -> Case {
        let mut case = adoption_case_ready_for_matching();
        case.given(panel(
            PanelPurpose::AdoptionMatch,
            PanelOutcome::Recommended,
            d(2025, 6, 2),
        ));
        case
    }

    #[test]
    fn agreement_records_the_decision_step_and_what_must_follow_it() {
        let mut case = matched_at_panel();
        let events = case
            .try_apply(decision(PanelPurpose::AdoptionMatch, true, d(2025, 6, 5)))
            .expect("decided");
        assert_eq!(
            events,
            vec![
                Event::AgencyDecisionRecorded {
                    purpose: PanelPurpose::AdoptionMatch,
                    agrees: true,
                    on: d(2025, 6, 5),
                },
                Event::RouteStepRecorded {
                    plan_id: 1,
                    step: "match_decision".to_owned(),
                    on: d(2025, 6, 5),
                    achieves_permanence: false,
                    position: None,
                },
            ]
        );
        assert_eq!(current_step(&case, Route::Adoption), "match_decision");
        assert_eq!(case.state().panel[0].decision, Some((d(2025, 6, 5), true)));
        assert!(deadline(&case, "plan1:adm_match_decision").is_none());
        let placement = deadline(&case, "plan1:placement_after_match").expect("placement due");
        assert_eq!(placement.due_on, d(2025, 7, 3));
        assert!(placement.after_panel);
    }

    #[test]
    fn a_decision_without_the_recommendation_is_refused_naming_it() {
        let case = adoption_case_ready_for_matching();
        let message =
            not_allowed(case.when(&decision(PanelPurpose::AdoptionMatch, true, d(2025, 6, 5))));
        assert!(
            message.contains("match decision needs the matching panel recommendation first"),
            "{message}"
        );
        let message =
            not_allowed(case.when(&decision(PanelPurpose::AdoptionMatch, false, d(2025, 6, 5))));
        assert!(
            message.contains("matching panel recommendation first"),
            "{message}"
        );
    }

    #[test]
    fn a_shobpa_decision_on_a_panel_needs_the_panel_even_though_the_route_allows_it_without() {
        let mut case = Case::opened(entered(), today());
        case.plan(Route::Adoption, d(2025, 2, 3));
        let message =
            not_allowed(case.when(&decision(PanelPurpose::ShobpaConsent, true, d(2025, 3, 3))));
        assert!(
            message.contains("adoption panel recommendation first"),
            "{message}"
        );
    }

    #[test]
    fn a_decision_cannot_precede_the_recommendation() {
        let case = matched_at_panel();
        let (field, _) =
            invalid(case.when(&decision(PanelPurpose::AdoptionMatch, true, d(2025, 6, 1))));
        assert_eq!(field, "occurredOn");
        let (field, _) =
            invalid(case.when(&decision(PanelPurpose::AdoptionMatch, false, d(2025, 6, 1))));
        assert_eq!(field, "occurredOn");
    }

    #[test]
    fn disagreement_takes_the_case_back_to_before_panel_and_the_history_keeps_both() {
        let mut case = matched_at_panel();
        let events = case
            .try_apply(decision(PanelPurpose::AdoptionMatch, false, d(2025, 6, 6)))
            .expect("recorded");
        assert_eq!(
            events,
            vec![Event::AgencyDecisionRecorded {
                purpose: PanelPurpose::AdoptionMatch,
                agrees: false,
                on: d(2025, 6, 6),
            }]
        );
        assert_eq!(current_step(&case, Route::Adoption), "family_finding");
        assert_eq!(case.state().panel[0].decision, Some((d(2025, 6, 6), false)));
        assert!(deadline(&case, "plan1:adm_match_decision").is_none());
        assert!(
            case.events
                .iter()
                .any(|e| matches!(e, Event::RouteStepRecorded { step, .. } if step == "matching_panel_recommendation"))
        );
        // Back to panel with other adopters, and this time agreed.
        case.given(panel(
            PanelPurpose::AdoptionMatch,
            PanelOutcome::Recommended,
            d(2025, 7, 7),
        ))
        .given(decision(PanelPurpose::AdoptionMatch, true, d(2025, 7, 10)));
        assert_eq!(current_step(&case, Route::Adoption), "match_decision");
        assert_eq!(case.state().panel.len(), 2);
        assert_eq!(case.state().panel[1].decision, Some((d(2025, 7, 10), true)));
    }

    #[test]
    fn a_decision_on_a_recommendation_recorded_as_a_plain_step_is_accepted() {
        let mut case = long_term_case();
        case.step(
            Route::LongTermFostering,
            "panel_recommendation",
            d(2025, 4, 2),
        );
        case.given(decision(
            PanelPurpose::LongTermFosterMatch,
            true,
            d(2025, 4, 4),
        ));
        assert_eq!(
            current_step(&case, Route::LongTermFostering),
            "match_approved"
        );
        assert!(case.state().panel.is_empty());
    }
}

mod history {
    use super::*;

    #[test]
    fn replay_of_a_panel_history_equals_the_live_state_and_survives_json() {
        let mut case = adoption_case_ready_for_matching();
        case.given(panel(
            PanelPurpose::AdoptionMatch,
            deferred("medical report missing", d(2025, 6, 30)),
            d(2025, 6, 2),
        ))
        .given(panel(
            PanelPurpose::AdoptionMatch,
            PanelOutcome::Recommended,
            d(2025, 6, 30),
        ))
        .given(decision(PanelPurpose::AdoptionMatch, false, d(2025, 7, 2)))
        .given(panel(
            PanelPurpose::AdoptionMatch,
            PanelOutcome::Recommended,
            d(2025, 8, 4),
        ))
        .given(decision(PanelPurpose::AdoptionMatch, true, d(2025, 8, 6)));
        assert_eq!(replay(&case.events).as_ref(), case.state.as_ref());
        let json = serde_json::to_string(&case.events).expect("serialise");
        let back: Vec<Event> = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, case.events);
        for event in &case.events {
            let value = serde_json::to_value(event).expect("serialise");
            assert_eq!(value["type"].as_str(), Some(event.kind()));
        }
    }

    #[test]
    fn a_state_stored_before_the_panel_existed_still_reads() {
        let case = long_term_case();
        let mut value = serde_json::to_value(case.state()).expect("serialise");
        value
            .as_object_mut()
            .expect("an object")
            .remove("panel")
            .expect("the panel field is stored");
        let read: CaseState = serde_json::from_value(value).expect("reads without the field");
        assert_eq!(&read, case.state());
    }
}
