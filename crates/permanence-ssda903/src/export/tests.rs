//! Hand-worked cases of the return's tables: each history is written as the events the
//! engine would have stored, and the expected rows are worked out by hand from the DfE
//! specification.

use super::*;
use permanence_domain::case::{Event, PlanRole};
use permanence_domain::codes::{
    AdopterLegalStatus, AdopterSex, CategoryOfNeed, LegalStatus as Ls, PlacementChangeReason,
    PlacementProvider as Pr, PlacementType as Pt, ReasonCeased, ReversalReason,
};
use permanence_domain::return_facts::{Adopters, PlacementDetails};
use permanence_domain::route::steps;
use permanence_domain::{CaseId, ChildId, replay};
use uuid::Uuid;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

fn year(ending: i32) -> CollectionYear {
    CollectionYear::ending(ending).expect("year")
}

const HOME: &str = "PE13 2HH";

fn place(
    postcode: &str,
    urn: Option<&str>,
    why: Option<PlacementChangeReason>,
) -> PlacementDetails {
    PlacementDetails {
        home_postcode: None,
        placement_postcode: Some(postcode.to_owned()),
        urn: urn.map(str::to_owned),
        need: None,
        previous_placement_ended: why,
        reason_new_episode: None,
    }
}

fn opened(case: u128, on: NaiveDate, ls: Ls, pt: Pt, carer: &str) -> Event {
    Event::CaseOpened {
        case_id: CaseId(Uuid::from_u128(case)),
        child_id: ChildId(Uuid::from_u128(1)),
        local_authority: "E10000003".into(),
        child_birth_date: d(2015, 6, 1),
        entered_care_on: on,
        legal_status: ls,
        placement: pt,
        provider: Some(Pr::PR1),
        carer: Some(carer.into()),
        team: None,
        allocated_worker: None,
        details: PlacementDetails {
            home_postcode: Some(HOME.into()),
            placement_postcode: Some("CB7 9BR".into()),
            urn: Some("SC100001".into()),
            need: Some(CategoryOfNeed::N1),
            previous_placement_ended: None,
            reason_new_episode: None,
        },
    }
}

/// A new episode as `decide` would have recorded it: what is not given carries over.
fn episode(
    state: &CaseState,
    on: NaiveDate,
    ls: Option<Ls>,
    moved: Option<(Pt, Pr, &str, PlacementDetails)>,
) -> Event {
    let current = state.episodes.last().expect("an episode");
    let (placement, provider, carer, details) = match moved {
        Some((pt, pr, carer, details)) => (pt, Some(pr), Some(carer.to_owned()), details),
        None => (
            current.placement,
            current.provider,
            current.carer.clone(),
            PlacementDetails {
                previous_placement_ended: None,
                reason_new_episode: None,
                ..current.details.clone()
            },
        ),
    };
    Event::EpisodeStarted {
        on,
        legal_status: ls.unwrap_or(current.legal_status),
        placement,
        provider,
        carer,
        details: PlacementDetails {
            home_postcode: current.details.home_postcode.clone(),
            need: current.details.need,
            ..details
        },
        from_history: false,
    }
}

/// Folds events one at a time so that each episode can see the state before it.
struct History {
    events: Vec<Event>,
}

impl History {
    fn new(first: Event) -> Self {
        Self {
            events: vec![first],
        }
    }

    fn state(&self) -> CaseState {
        replay(&self.events).expect("a case")
    }

    fn then(mut self, make: impl FnOnce(&CaseState) -> Event) -> Self {
        let event = make(&self.state());
        self.events.push(event);
        self
    }
}

fn child(sex: Sex, periods: Vec<CaseState>) -> ReturnChild {
    ReturnChild {
        reference: "C001".into(),
        birth_date: d(2015, 6, 1),
        sex,
        ethnicity: "WBRI".into(),
        facts: ChildFacts {
            upn: Some("A873200119001".into()),
            mother: (sex == Sex::Female).then_some(false),
            first_child_born_on: None,
        },
        periods,
    }
}

fn episodes(ret: &Return) -> &Table {
    ret.table(TableKind::Episodes).expect("episodes")
}

/// Entering care, then a change of legal status only (L), a move to new carers (P), the same
/// carers becoming long-term (T), and a placement order with a move to adopters (B).
fn moving_history() -> History {
    History::new(opened(10, d(2025, 5, 1), Ls::C1, Pt::U6, "FC-1"))
        .then(|s| episode(s, d(2025, 6, 1), Some(Ls::C2), None))
        .then(|s| {
            let details = place(
                "CB2 1TN",
                Some("SC100001"),
                Some(PlacementChangeReason::Creqb),
            );
            episode(
                s,
                d(2025, 7, 1),
                None,
                Some((Pt::U6, Pr::PR1, "FC-2", details)),
            )
        })
        .then(|s| {
            let details = place(
                "CB2 1TN",
                Some("SC100001"),
                Some(PlacementChangeReason::Place),
            );
            episode(
                s,
                d(2025, 8, 1),
                None,
                Some((Pt::U4, Pr::PR1, "FC-2", details)),
            )
        })
        .then(|s| {
            let details = place(
                "SG8 7PD",
                Some("SC200002"),
                Some(PlacementChangeReason::Carpl),
            );
            episode(
                s,
                d(2025, 9, 1),
                Some(Ls::E1),
                Some((Pt::A6, Pr::PR2, "AD-1", details)),
            )
        })
}

#[test]
fn each_change_starts_an_episode_with_its_reason_and_ends_the_last_with_x1() {
    let state = moving_history().state();
    let ret = build_return(year(2026), &[child(Sex::Male, vec![state])]);
    let table = episodes(&ret);
    assert_eq!(table.column("RNE"), ["S", "L", "P", "T", "B"]);
    assert_eq!(
        table.column("DECOM"),
        [
            "01/05/2025",
            "01/06/2025",
            "01/07/2025",
            "01/08/2025",
            "01/09/2025"
        ]
    );
    assert_eq!(
        table.column("DEC"),
        ["01/06/2025", "01/07/2025", "01/08/2025", "01/09/2025", ""]
    );
    assert_eq!(table.column("REC"), ["X1", "X1", "X1", "X1", ""]);
    // The reason a placement ended is on the episode that ended, not on the one after it;
    // a change of legal status only ends no placement.
    assert_eq!(
        table.column("REASON_PLACE_CHANGE"),
        ["", "CREQB", "PLACE", "CARPL", ""]
    );
    // An L episode keeps the placement, its postcode and its URN.
    assert_eq!(
        table.column("PL_POST"),
        ["CB7 9BR", "CB7 9BR", "CB2 1TN", "CB2 1TN", "SG8 7PD"]
    );
    assert_eq!(table.column("URN")[1], "SC100001");
    assert_eq!(table.column("HOME_POST"), [HOME; 5]);
    assert_eq!(table.column("CIN"), ["N1"; 5]);
    assert_eq!(table.column("LS"), ["C1", "C2", "C2", "C2", "E1"]);
    assert_eq!(table.column("PLACE_PROVIDER")[4], "PR2");
}

#[test]
fn legal_status_and_placement_with_the_same_carer_is_u() {
    let state = History::new(opened(10, d(2025, 5, 1), Ls::C2, Pt::U5, "FA-1"))
        .then(|s| {
            let details = place(
                "CB7 9BR",
                Some("SC100001"),
                Some(PlacementChangeReason::Place),
            );
            episode(
                s,
                d(2025, 9, 1),
                Some(Ls::E1),
                Some((Pt::A5, Pr::PR1, "FA-1", details)),
            )
        })
        .state();
    let ret = build_return(year(2026), &[child(Sex::Male, vec![state])]);
    assert_eq!(episodes(&ret).column("RNE"), ["S", "U"]);
}

#[test]
fn only_episodes_open_in_the_year_are_written_and_as_they_stood_on_31_march() {
    let state = moving_history()
        .then(|_| Event::CaseClosed {
            on: d(2026, 5, 1),
            reason: ReasonCeased::E8,
        })
        .state();
    let children = [child(Sex::Male, vec![state])];
    // 2024-25 ended before the child entered care: not in that return at all.
    let before = build_return(year(2025), &children);
    assert!(episodes(&before).rows.is_empty());
    assert!(
        before
            .table(TableKind::Header)
            .expect("header")
            .rows
            .is_empty()
    );
    // 2026-27: only the episode still open on 1 April 2026, ending in May.
    let after = build_return(year(2027), &children);
    assert_eq!(episodes(&after).column("DECOM"), ["01/09/2025"]);
    assert_eq!(episodes(&after).column("DEC"), ["01/05/2026"]);
    assert_eq!(episodes(&after).column("REC"), ["E8"]);
    // 2025-26: the leaving in May 2026 was not known on 31 March.
    let during = build_return(year(2026), &children);
    assert_eq!(
        episodes(&during).column("REC"),
        ["X1", "X1", "X1", "X1", ""]
    );
}

#[test]
fn a_child_who_comes_back_into_care_starts_a_new_episode_with_s() {
    let first = History::new(opened(10, d(2024, 1, 10), Ls::V2, Pt::U6, "FC-1"))
        .then(|_| Event::CaseClosed {
            on: d(2024, 6, 1),
            reason: ReasonCeased::E4A,
        })
        .state();
    let second = History::new(opened(11, d(2025, 6, 1), Ls::C1, Pt::U6, "FC-3"))
        .then(|_| Event::CaseClosed {
            on: d(2026, 2, 1),
            reason: ReasonCeased::E13,
        })
        .state();
    let third = History::new(opened(12, d(2026, 3, 1), Ls::V2, Pt::K2, "CH-1")).state();
    // Periods in any order: the return is in date order.
    let ret = build_return(year(2026), &[child(Sex::Male, vec![third, first, second])]);
    let table = episodes(&ret);
    assert_eq!(table.column("DECOM"), ["01/06/2025", "01/03/2026"]);
    assert_eq!(table.column("RNE"), ["S", "S"]);
    assert_eq!(table.column("REC"), ["E13", ""]);
    assert_eq!(ret.table(TableKind::Header).expect("header").rows.len(), 1);
}

#[test]
fn an_episode_replaced_the_day_it_began_is_not_written() {
    let state = History::new(opened(10, d(2025, 5, 1), Ls::L1, Pt::U6, "FC-1"))
        .then(|s| episode(s, d(2025, 5, 3), Some(Ls::V2), None))
        .then(|s| episode(s, d(2025, 5, 3), Some(Ls::C1), None))
        .state();
    let ret = build_return(year(2026), &[child(Sex::Male, vec![state])]);
    let table = episodes(&ret);
    assert_eq!(table.column("LS"), ["L1", "C1"]);
    assert_eq!(table.column("RNE"), ["S", "L"]);
    assert_eq!(table.column("DEC"), ["03/05/2025", ""]);
}

#[test]
fn sex_is_coded_for_the_year_of_the_return() {
    let state = History::new(opened(10, d(2023, 5, 1), Ls::C1, Pt::U6, "FC-1")).state();
    let children = [child(Sex::Female, vec![state])];
    let sex = |ending| {
        build_return(year(ending), &children)
            .table(TableKind::Header)
            .expect("header")
            .column("SEX")
            .concat()
    };
    assert_eq!(sex(2024), "2");
    assert_eq!(sex(2025), "F");
    assert_eq!(sex(2026), "F");
}

#[test]
fn motherhood_is_as_it_stood_at_the_end_of_the_year() {
    let state = History::new(opened(10, d(2024, 5, 1), Ls::C1, Pt::U6, "FC-1")).state();
    let mut girl = child(Sex::Female, vec![state]);
    girl.facts.mother = Some(true);
    girl.facts.first_child_born_on = Some(d(2025, 8, 1));
    let header = |ending| {
        let ret = build_return(year(ending), std::slice::from_ref(&girl));
        let table = ret.table(TableKind::Header).expect("header").clone();
        (
            table.column("MOTHER").concat(),
            table.column("MC_DOB").concat(),
        )
    };
    assert_eq!(header(2025), ("0".to_owned(), String::new()));
    assert_eq!(header(2026), ("1".to_owned(), "01/08/2025".to_owned()));
    let boy = child(Sex::Male, girl.periods.clone());
    let ret = build_return(year(2026), &[boy]);
    assert_eq!(
        ret.table(TableKind::Header)
            .expect("header")
            .column("MOTHER"),
        [""]
    );
}

fn adoption_plan(history: History, decided: NaiveDate) -> History {
    history
        .then(|_| Event::RoutePlanStarted {
            plan_id: 1,
            route: Route::Adoption,
            version: 1,
            role: PlanRole::Primary,
            on: d(2025, 5, 20),
        })
        .then(|_| Event::RouteStepRecorded {
            plan_id: 1,
            step: steps::SHOBPA_DECISION.into(),
            on: decided,
            achieves_permanence: false,
            position: None,
        })
}

#[test]
fn decisions_to_place_for_adoption_and_their_reversal() {
    let state = adoption_plan(
        History::new(opened(10, d(2025, 5, 1), Ls::C1, Pt::U6, "FC-1")),
        d(2025, 7, 1),
    )
    .then(|_| Event::AdoptionDecisionReversed {
        plan_id: 1,
        on: d(2026, 1, 15),
        reason: ReversalReason::RD3,
    })
    .state();
    let children = [child(Sex::Male, vec![state])];
    let ret = build_return(year(2026), &children);
    let table = ret.table(TableKind::PlacedAdoption).expect("table");
    assert_eq!(
        table.rows,
        [["C001", "01/06/2015", "01/07/2025", "15/01/2026", "RD3"]]
    );
    // The next year, the reversed decision no longer stands: not written.
    let next = build_return(year(2027), &children);
    assert!(
        next.table(TableKind::PlacedAdoption)
            .expect("table")
            .rows
            .is_empty()
    );
}

#[test]
fn an_adoption_in_the_year_has_its_ad1_row() {
    let state = adoption_plan(moving_history(), d(2025, 6, 20))
        .then(|_| Event::RouteStepRecorded {
            plan_id: 1,
            step: steps::MATCH_DECISION.into(),
            on: d(2025, 8, 20),
            achieves_permanence: false,
            position: None,
        })
        .then(|_| Event::AdoptersRecorded {
            on: d(2025, 8, 20),
            adopters: Adopters {
                sex: AdopterSex::Ff,
                legal_status: AdopterLegalStatus::L12,
            },
        })
        .then(|_| Event::RouteStepRecorded {
            plan_id: 1,
            step: steps::ADOPTION_ORDER.into(),
            on: d(2026, 2, 1),
            achieves_permanence: true,
            position: None,
        })
        .then(|_| Event::CaseClosed {
            on: d(2026, 2, 1),
            reason: ReasonCeased::E12,
        })
        .state();
    let ret = build_return(year(2026), &[child(Sex::Male, vec![state])]);
    let ad1 = ret.table(TableKind::Ad1).expect("table");
    assert_eq!(
        ad1.rows,
        [[
            "C001",
            "01/06/2015",
            "20/06/2025",
            "20/08/2025",
            "0",
            "2",
            "FF",
            "L12"
        ]]
    );
    assert_eq!(episodes(&ret).column("REC").last(), Some(&"E12"));
    let placed = ret.table(TableKind::PlacedAdoption).expect("table");
    assert_eq!(placed.column("DATE_PLACED_CEASED"), [""]);
}

#[test]
fn reviews_in_the_year_with_pn0_under_four() {
    let state = History::new(opened(10, d(2025, 5, 1), Ls::C1, Pt::U6, "FC-1"))
        .then(|_| Event::ReviewHeld {
            on: d(2025, 3, 1),
            participation: Some(ReviewParticipation::Pn5),
        })
        .then(|_| Event::ReviewHeld {
            on: d(2025, 6, 1),
            participation: Some(ReviewParticipation::Pn1),
        })
        .then(|_| Event::ReviewHeld {
            on: d(2025, 9, 1),
            participation: None,
        })
        .state();
    let ret = build_return(year(2026), &[child(Sex::Male, vec![state.clone()])]);
    let reviews = ret.table(TableKind::Reviews).expect("table");
    assert_eq!(reviews.column("REVIEW"), ["01/06/2025", "01/09/2025"]);
    assert_eq!(reviews.column("REVIEW_CODE"), ["PN1", ""]);
    let mut baby = child(Sex::Male, vec![state]);
    baby.birth_date = d(2024, 1, 1);
    let ret = build_return(year(2026), &[baby]);
    let reviews = ret.table(TableKind::Reviews).expect("table");
    assert_eq!(reviews.column("REVIEW_CODE"), ["PN0", "PN0"]);
    assert_eq!(reviews.column("DOB"), ["01/01/2024", "01/01/2024"]);
}

#[test]
fn a_placement_the_year_does_not_have_is_written_with_a_warning() {
    let state = History::new(opened(10, d(2025, 5, 1), Ls::V2, Pt::H5, "SA-1")).state();
    let ret = build_return(year(2026), &[child(Sex::Male, vec![state])]);
    assert_eq!(episodes(&ret).column("PLACE"), ["H5"]);
    assert_eq!(ret.warnings.len(), 1);
    assert_eq!(ret.warnings[0].child, "C001");
    assert_eq!(ret.warnings[0].column, "PLACE");
}

#[test]
fn a_move_and_a_new_legal_status_on_one_day_are_one_episode_with_the_move_s_reason() {
    let state = History::new(opened(10, d(2025, 5, 1), Ls::C1, Pt::U3, "RC-1"))
        .then(|s| {
            let details = place(HOME, None, Some(PlacementChangeReason::Carpl));
            episode(
                s,
                d(2026, 1, 15),
                None,
                Some((Pt::P1, Pr::PR0, "PA-1", details)),
            )
        })
        .then(|s| episode(s, d(2026, 1, 15), Some(Ls::C2), None))
        .state();
    let ret = build_return(year(2026), &[child(Sex::Male, vec![state])]);
    let table = episodes(&ret);
    assert_eq!(table.column("RNE"), ["S", "B"]);
    assert_eq!(table.column("REASON_PLACE_CHANGE"), ["CARPL", ""]);
    assert_eq!(table.column("PL_POST"), ["CB7 9BR", HOME]);
}

/// Adopted on 1 February 2026 by the carers of the adoptive placement `adoptive` (type and
/// carer reference), who took the child in on 1 September 2025; fostered by FC-1 from
/// 1 May 2025 (short-term, or fostering for adoption).
fn adopted_from(fostered: Pt, adoptive: Pt, carer: &str) -> CaseState {
    let history = History::new(opened(10, d(2025, 5, 1), Ls::C2, fostered, "FC-1")).then(|s| {
        let details = place("SG8 7PD", Some("SC200002"), None);
        episode(
            s,
            d(2025, 9, 1),
            Some(Ls::E1),
            Some((adoptive, Pr::PR1, carer, details)),
        )
    });
    adoption_plan(history, d(2025, 6, 20))
        .then(|_| Event::RouteStepRecorded {
            plan_id: 1,
            step: steps::ADOPTION_ORDER.into(),
            on: d(2026, 2, 1),
            achieves_permanence: true,
            position: None,
        })
        .then(|_| Event::CaseClosed {
            on: d(2026, 2, 1),
            reason: ReasonCeased::E12,
        })
        .state()
}

#[test]
fn the_adopted_by_foster_carer_flag_and_a10_use_the_same_rule() {
    use permanence_domain::measures::{moved_in_on, moved_in_with_adopters_on};
    // (fostered, adoptive placement, its carer, adopted by the foster carers?)
    let cases = [
        // Fostering for adoption: the carers become the adopters, coded A5.
        (Pt::U5, Pt::A5, "FC-1", true),
        // The foster carers adopt, coded A5 ("with current foster carer").
        (Pt::U6, Pt::A5, "FC-1", true),
        // The foster carers adopt but the placement is coded A6: the carer reference says so.
        (Pt::U6, Pt::A6, "FC-1", true),
        // New adopters.
        (Pt::U6, Pt::A6, "AD-1", false),
    ];
    for (fostered, adoptive, carer, by_foster_carers) in cases {
        let state = adopted_from(fostered, adoptive, carer);
        let ret = build_return(year(2026), &[child(Sex::Male, vec![state.clone()])]);
        let ad1 = ret.table(TableKind::Ad1).expect("table");
        let flag = ad1.rows[0][4].as_str();
        let a1 = moved_in_on(&state).expect("A1");
        let a10 = moved_in_with_adopters_on(&state).expect("A10");
        let shown = format!("{fostered} then {adoptive} with {carer}");
        assert_eq!(flag == "1", by_foster_carers, "FOSTER_CARE for {shown}");
        assert_eq!(a1, d(2025, 9, 1), "{shown}");
        // A10 goes back to the foster placement exactly when the return says so.
        let expected = if by_foster_carers { d(2025, 5, 1) } else { a1 };
        assert_eq!(a10, expected, "A10 for {shown}");
    }
}
