//! Statutory visits by the social worker (CPPCR 2010 reg 28): recording one, the visit
//! deadline it chains, and drift against it, with due dates worked out by hand.

use crate::common;

use chrono::NaiveDate;
use common::{Case, catalog, d, invalid, move_to, not_allowed};
use permanence_domain::case::Visit;
use permanence_domain::codes::{LegalStatus, PlacementType, ReasonCeased};
use permanence_domain::deadlines::DeadlineCategory;
use permanence_domain::deadlines_as_of::deadlines_as_of;
use permanence_domain::history::ImportedHistory;
use permanence_domain::timescales::{Basis, Period};
use permanence_domain::{Command, Deadline, DriftStatus, Event, Timescales, derive_deadlines};

fn today() -> NaiveDate {
    d(2026, 6, 30)
}

fn visit(on: NaiveDate) -> Command {
    Command::RecordVisit {
        on,
        seen_alone: None,
    }
}

fn visit_deadline(case: &Case) -> Option<Deadline> {
    derive_deadlines(case.state(), catalog(), &Timescales::default())
        .into_iter()
        .find(|x| x.key == "visit")
}

fn due(case: &Case) -> Deadline {
    visit_deadline(case).expect("a visit deadline")
}

/// A change of legal status only: the child stays with the same carer.
fn legal_status(status: LegalStatus, on: NaiveDate) -> Command {
    Command::RecordEpisode {
        on,
        legal_status: Some(status),
        placement: None,
        provider: None,
        carer: None,
        details: Default::default(),
    }
}

/// The same carer, a new placement code (a long-term match confirmed: U6 to U4).
fn recoded(placement: PlacementType, on: NaiveDate) -> Command {
    Command::RecordEpisode {
        on,
        legal_status: None,
        placement: Some(placement),
        provider: None,
        carer: None,
        details: Default::default(),
    }
}

mod recording {
    use super::*;

    #[test]
    fn a_visit_is_recorded_with_whether_the_child_was_seen_alone() {
        let mut case = Case::opened(d(2025, 1, 6), today());
        let events = case
            .try_apply(Command::RecordVisit {
                on: d(2025, 1, 10),
                seen_alone: Some(true),
            })
            .expect("recorded");
        assert_eq!(
            events,
            vec![Event::VisitHeld {
                on: d(2025, 1, 10),
                seen_alone: Some(true),
            }]
        );
        assert_eq!(
            case.state().visits,
            vec![Visit {
                on: d(2025, 1, 10),
                seen_alone: Some(true),
            }]
        );
    }

    #[test]
    fn a_visit_cannot_be_in_the_future() {
        let case = Case::opened(d(2025, 1, 6), today());
        let (field, reason) = invalid(case.when(&visit(d(2026, 7, 1))));
        assert_eq!(field, "occurredOn");
        assert_eq!(reason, "cannot be in the future");
    }

    #[test]
    fn a_visit_cannot_be_before_the_child_entered_care() {
        let case = Case::opened(d(2025, 1, 6), today());
        let (field, reason) = invalid(case.when(&visit(d(2025, 1, 5))));
        assert_eq!(field, "occurredOn");
        assert_eq!(reason, "cannot be before the child entered care");
    }

    #[test]
    fn a_visit_cannot_be_before_the_current_placement_began() {
        let mut case = Case::opened(d(2025, 1, 6), today());
        case.given(move_to(PlacementType::K1, d(2025, 3, 1)));
        let (field, reason) = invalid(case.when(&visit(d(2025, 2, 28))));
        assert_eq!(field, "occurredOn");
        assert_eq!(reason, "cannot be dated before the current placement began");
        // A change of legal status with the same carer does not begin a placement.
        case.given(legal_status(LegalStatus::C2, d(2025, 4, 1)));
        case.given(visit(d(2025, 3, 20)));
    }

    #[test]
    fn a_visit_must_follow_the_previous_one() {
        let mut case = Case::opened(d(2025, 1, 6), today());
        case.given(visit(d(2025, 1, 10)));
        for on in [d(2025, 1, 10), d(2025, 1, 9)] {
            let (field, reason) = invalid(case.when(&visit(on)));
            assert_eq!(field, "occurredOn");
            assert_eq!(reason, "a visit must be dated after the previous visit");
        }
    }

    #[test]
    fn no_visit_is_recorded_after_the_child_left_care_nor_a_closure_before_the_last_visit() {
        let mut case = Case::opened(d(2025, 1, 6), today());
        case.given(visit(d(2025, 2, 10)));
        let (field, reason) = invalid(case.when(&Command::CloseCase {
            on: d(2025, 2, 9),
            reason: ReasonCeased::E8,
        }));
        assert_eq!(field, "occurredOn");
        assert_eq!(reason, "cannot be dated before the latest visit");
        case.given(Command::CloseCase {
            on: d(2025, 2, 10),
            reason: ReasonCeased::E8,
        });
        let message = not_allowed(case.when(&visit(d(2025, 2, 11))));
        assert!(message.contains("closed"), "{message}");
    }
}

mod the_deadline {
    use super::*;

    #[test]
    fn the_first_visit_is_due_a_week_after_the_child_is_placed() {
        let case = Case::opened(d(2025, 1, 6), today());
        let first = due(&case);
        assert_eq!(first.due_on, d(2025, 1, 13));
        assert_eq!(first.started_on, d(2025, 1, 6));
        assert_eq!(first.period, Period::Weeks(1));
        assert_eq!(
            first.label,
            "first visit within a week of the placement starting"
        );
        assert_eq!(first.basis, Basis::Law);
        assert_eq!(first.reference, "CPPCR 2010 reg 28");
        assert_eq!(first.category, DeadlineCategory::CarePlanning);
        assert!(!first.not_known_from_return);
    }

    #[test]
    fn in_the_first_year_each_visit_is_due_six_weeks_after_the_last_one_held() {
        let mut case = Case::opened(d(2025, 1, 6), today());
        case.given(visit(d(2025, 1, 9)));
        let next = due(&case);
        assert_eq!(next.started_on, d(2025, 1, 9));
        assert_eq!(next.due_on, d(2025, 2, 20));
        assert_eq!(next.period, Period::Weeks(6));
        assert_eq!(next.label, "statutory visit by the social worker");
        // Held late: the chain runs from the day it was held, not the day it was due.
        case.given(visit(d(2025, 3, 3)));
        assert_eq!(due(&case).due_on, d(2025, 4, 14));
    }

    #[test]
    fn after_the_first_year_a_long_term_placement_is_visited_three_monthly() {
        let mut case = Case::opened(d(2024, 1, 8), today());
        // The long-term match is confirmed with the same carers (U6 to U4).
        case.given(recoded(PlacementType::U4, d(2024, 6, 3)));
        // The last visit of the placement's first year: six weeks still.
        case.given(visit(d(2025, 1, 6)));
        assert_eq!(due(&case).due_on, d(2025, 2, 17));
        assert_eq!(due(&case).period, Period::Weeks(6));
        // The first year ended on 8 January 2025: three months from a visit after it.
        case.given(visit(d(2025, 2, 10)));
        let next = due(&case);
        assert_eq!(next.period, Period::Months(3));
        assert_eq!(next.due_on, d(2025, 5, 10));
    }

    #[test]
    fn after_the_first_year_any_other_placement_is_still_visited_six_weekly() {
        let mut case = Case::opened(d(2024, 1, 8), today());
        case.given(visit(d(2025, 2, 10)));
        let next = due(&case);
        assert_eq!(next.period, Period::Weeks(6));
        assert_eq!(next.due_on, d(2025, 3, 24));
    }

    #[test]
    fn a_move_to_a_new_placement_starts_the_chain_again() {
        let mut case = Case::opened(d(2025, 1, 6), today());
        case.given(visit(d(2025, 1, 9)));
        case.given(move_to(PlacementType::K1, d(2025, 2, 3)));
        let first = due(&case);
        assert_eq!(first.started_on, d(2025, 2, 3));
        assert_eq!(first.due_on, d(2025, 2, 10));
        assert_eq!(
            first.label,
            "first visit within a week of the placement starting"
        );
    }

    #[test]
    fn a_change_of_legal_status_with_the_same_carer_does_not() {
        let mut case = Case::opened(d(2025, 1, 6), today());
        case.given(visit(d(2025, 1, 9)));
        case.given(legal_status(LegalStatus::C2, d(2025, 2, 3)));
        assert_eq!(due(&case).due_on, d(2025, 2, 20));
    }

    #[test]
    fn no_reg_28_visit_falls_due_during_a_placement_for_adoption() {
        let mut case = Case::opened(d(2024, 1, 8), today());
        case.plan(permanence_domain::Route::Adoption, d(2024, 2, 1))
            .step(
                permanence_domain::Route::Adoption,
                "shobpa_decision",
                d(2024, 3, 1),
            )
            .placed(PlacementType::A4, d(2024, 9, 2));
        assert_eq!(visit_deadline(&case), None);
        // Visits may still be recorded (the Adoption Agencies Regulations set them).
        case.given(visit(d(2024, 9, 5)));
        assert_eq!(visit_deadline(&case), None);
    }

    #[test]
    fn a_closed_case_has_no_visit_due() {
        let mut case = Case::opened(d(2025, 1, 6), today());
        case.given(Command::CloseCase {
            on: d(2025, 1, 20),
            reason: ReasonCeased::E8,
        });
        assert_eq!(visit_deadline(&case), None);
    }
}

mod drift {
    use super::*;

    #[test]
    fn a_late_visit_shows_as_overdue_and_then_on_track_once_held() {
        let mut case = Case::opened(d(2025, 1, 6), today());
        case.given(visit(d(2025, 1, 9)));
        // Due 20 February 2025: on the 24th it is 4 days overdue.
        let standing = due(&case).drift(d(2025, 2, 24), 7);
        assert_eq!(standing.status, DriftStatus::Overdue);
        assert_eq!(standing.days_overdue, 4);
        assert_eq!(
            due(&case).drift(d(2025, 2, 15), 7).status,
            DriftStatus::DueSoon
        );
        case.given(visit(d(2025, 2, 24)));
        assert_eq!(
            due(&case).drift(d(2025, 2, 24), 7).status,
            DriftStatus::OnTrack
        );
    }

    #[test]
    fn drift_on_a_past_date_gives_the_visit_deadline_as_it_stood() {
        let mut case = Case::opened(d(2025, 1, 6), today());
        case.given(visit(d(2025, 1, 9)))
            .given(visit(d(2025, 3, 3)))
            .given(move_to(PlacementType::K1, d(2025, 4, 1)));
        let as_of = |on| {
            deadlines_as_of(&case.events, on, catalog(), &Timescales::default())
                .expect("open by then")
                .into_iter()
                .find(|x| x.key == "visit")
                .expect("a visit deadline")
        };
        // On 24 February the visit due on 20 February was 4 days overdue.
        let then = as_of(d(2025, 2, 24));
        assert_eq!(then.due_on, d(2025, 2, 20));
        assert_eq!(then.drift(d(2025, 2, 24), 7).status, DriftStatus::Overdue);
        // On 2 April the new placement's first visit was due on the 8th.
        assert_eq!(as_of(d(2025, 4, 2)).due_on, d(2025, 4, 8));
        // Today the same first visit is long overdue.
        assert_eq!(due(&case).due_on, d(2025, 4, 8));
    }
}

mod imported_periods {
    use super::*;

    fn imported() -> Case {
        let mut case = Case::empty(today());
        case.recorded(Command::OpenCase(common::open_case(d(2024, 5, 6))))
            .recorded(Command::RecordImportedHistory {
                on: d(2024, 5, 6),
                history: ImportedHistory {
                    reviews_in_return: true,
                    health_assessments_in_return: false,
                },
            })
            .recorded(move_to(PlacementType::K1, d(2025, 1, 6)));
        case
    }

    #[test]
    fn a_placement_from_the_return_has_no_visit_due_known_until_one_is_recorded() {
        let mut case = imported();
        let next = due(&case);
        assert!(next.not_known_from_return);
        assert_eq!(next.known_due_on(), None);
        assert_eq!(
            next.drift(today(), 7).status,
            DriftStatus::NotKnownFromReturn
        );
        case.given(visit(d(2026, 6, 1)));
        let next = due(&case);
        assert!(!next.not_known_from_return);
        assert_eq!(next.due_on, d(2026, 7, 13));
    }

    #[test]
    fn facts_decided_as_history_without_an_import_are_live_for_visits() {
        // A cohort recorded in batches goes through the import's path with no return
        // behind it: its placements' visits fall due as for live work.
        let mut case = Case::empty(today());
        case.recorded(Command::OpenCase(common::open_case(d(2026, 5, 4))))
            .recorded(move_to(PlacementType::K1, d(2026, 6, 1)));
        assert!(matches!(
            case.events.last(),
            Some(Event::EpisodeStarted {
                from_history: false,
                ..
            })
        ));
        let first = due(&case);
        assert!(!first.not_known_from_return);
        assert_eq!(first.due_on, d(2026, 6, 8));
    }

    #[test]
    fn a_placement_begun_live_after_the_import_starts_its_chain_as_any_other() {
        let mut case = imported();
        case.given(move_to(PlacementType::R1, d(2026, 6, 1)));
        let first = due(&case);
        assert!(!first.not_known_from_return);
        assert_eq!(first.due_on, d(2026, 6, 8));
    }
}

/// Over random sequences of moves, re-coded placements, changes of legal status and visits:
/// the next visit is never due later than the law allows nor on or before the last visit
/// held (or before the placement began), and the visits-on-time measure holds each visit
/// against the very due date the deadline showed before it was held.
mod property {
    use super::*;
    use permanence_domain::codes::Sex;
    use permanence_domain::measures::{CaseFacts, CaseView, ChildFacts, timeliness_report};
    use permanence_domain::visits;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Step {
        Visit,
        Move(PlacementType),
        Recode(PlacementType),
        LegalStatus(LegalStatus),
    }

    fn step() -> impl Strategy<Value = (i64, Step)> {
        let placement = prop::sample::select(vec![
            PlacementType::U1,
            PlacementType::U3,
            PlacementType::U4,
            PlacementType::U6,
            PlacementType::K1,
            PlacementType::R1,
        ]);
        let status = prop::sample::select(vec![LegalStatus::C1, LegalStatus::C2]);
        let kind = prop_oneof![
            8 => Just(Step::Visit),
            1 => placement.clone().prop_map(Step::Move),
            1 => placement.prop_map(Step::Recode),
            1 => status.prop_map(Step::LegalStatus),
        ];
        // Each step on a later day than the one before: the same day would leave which of
        // two facts came first to the order they were typed in.
        (prop_oneof![3 => 1i64..60, 1 => 60i64..200], kind)
    }

    fn later(on: NaiveDate, days: i64) -> NaiveDate {
        on + chrono::Days::new(u64::try_from(days).expect("positive"))
    }

    /// The latest day the law allows for the next visit.
    fn law_allows(began: NaiveDate, long_term: bool, last: Option<NaiveDate>) -> NaiveDate {
        match last {
            None => later(began, 7),
            Some(last)
                if last
                    < began
                        .checked_add_months(chrono::Months::new(12))
                        .expect("a date") =>
            {
                later(last, 42)
            }
            Some(last) if long_term => last
                .checked_add_months(chrono::Months::new(3))
                .expect("a date"),
            Some(last) => later(last, 42),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn the_next_visit_is_never_due_later_than_the_law_allows(
            steps in prop::collection::vec(step(), 1..60),
        ) {
            let entered = d(2021, 1, 4);
            let mut case = Case::opened(entered, d(2040, 1, 1));
            let mut on = entered;
            let mut expected_days = Vec::new();
            for (gap, step) in steps {
                on = later(on, gap);
                let command = match &step {
                    Step::Visit => visit(on),
                    Step::Move(p) => move_to(*p, on),
                    Step::Recode(p) => recoded(*p, on),
                    Step::LegalStatus(s) => legal_status(*s, on),
                };
                let before = due(&case);
                let accepted = case.try_apply(command).is_ok();
                if accepted && matches!(step, Step::Visit) {
                    expected_days.push((on - before.due_on).num_days());
                }
                let state = case.state();
                let placement = visits::current_placement(state).expect("placed");
                let episode = state.current_episode().expect("placed");
                let last = visits::visits_in(state, &placement).last().copied();
                let next = due(&case);
                prop_assert!(next.due_on > next.started_on);
                prop_assert!(next.started_on >= placement.began_on);
                prop_assert_eq!(next.started_on, last.unwrap_or(placement.began_on));
                prop_assert!(
                    next.due_on <= law_allows(placement.began_on, visits::long_term(episode), last),
                    "{:?} due later than the law allows", next
                );
            }
            // The measure, over the whole history: every visit held, against the due date
            // the deadline gave before it (the misses, with no days, aside).
            let facts = CaseFacts::of(case.state());
            let child = ChildFacts {
                birth_date: d(2020, 3, 14),
                sex: Sex::Female,
                ethnicity: "WBRI".to_owned(),
                local_authority: common::LA.to_owned(),
                reference: "P001".into(),
            };
            let report = timeliness_report(
                &[CaseView { facts: &facts, child: &child }],
                entered,
                d(2040, 1, 1),
            );
            let measured: Vec<i64> =
                report.visits_on_time.cases.iter().filter_map(|c| c.days).collect();
            prop_assert_eq!(measured, expected_days);
            prop_assert!(report.visits_on_time.cases.iter().all(|c| c.met == c.days.is_some_and(|d| d <= 0)));
        }
    }
}
