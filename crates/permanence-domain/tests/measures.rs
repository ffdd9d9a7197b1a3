//! Timeliness measures (DOMAIN.md §4), checked against figures worked out by hand to the day.
//!
//! Every case is built the way the engine builds one: commands through `decide`, events
//! through `evolve` (the `common::Case` helper). The arithmetic behind each expected figure
//! is written beside it.

use crate::common;

use chrono::NaiveDate;
use common::{Case, d, open_case};
use permanence_domain::case::{FinalOrder, LegalStep};
use permanence_domain::codes::{
    LegalStatus, PlacementProvider, PlacementType, ReasonCeased, ReversalReason, Sex,
};
use permanence_domain::measures::{
    ALL_GROUP, CaseFacts, CaseValue, CaseView, ChildFacts, FACTS_FORMAT, GroupBy, Measure, Share,
    Summary, TimelinessReport, Waiting, children_waiting, grouped_report, quarterly_report,
    quarters, timeliness_report,
};
use permanence_domain::{CaseId, CaseState, ChildId, Command, Route};
use std::cell::OnceCell;
use uuid::Uuid;

fn today() -> NaiveDate {
    d(2026, 6, 30)
}

/// The window of the examples: the year ending 31 March 2025.
fn from() -> NaiveDate {
    d(2024, 4, 1)
}

fn to() -> NaiveDate {
    d(2025, 3, 31)
}

struct Fixture {
    state: CaseState,
    child: ChildFacts,
    /// What the measures read of `state`, worked out when first read: some examples change
    /// the state (history no live command would record) before they measure.
    facts: OnceCell<CaseFacts>,
}

fn child(reference: &str, birth_date: NaiveDate, sex: Sex) -> ChildFacts {
    ChildFacts {
        birth_date,
        sex,
        ethnicity: "WBRI".to_owned(),
        local_authority: common::LA.to_owned(),
        reference: reference.into(),
    }
}

/// Opens case `case_no` of child `child_no`, born on `birth`, who entered care on `entered`
/// in a foster placement with carer-1.
fn open(case_no: u128, child_no: u128, birth: NaiveDate, entered: NaiveDate) -> Case {
    let mut open = open_case(entered);
    open.case_id = CaseId(Uuid::from_u128(case_no));
    open.child_id = ChildId(Uuid::from_u128(child_no));
    open.child_birth_date = birth;
    let mut case = Case::empty(today());
    case.given(Command::OpenCase(open));
    case
}

fn fixture(case: &Case, child: ChildFacts) -> Fixture {
    Fixture {
        state: case.state().clone(),
        child,
        facts: OnceCell::new(),
    }
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

/// A new placement (and carer) from `on`; the legal status carries over.
fn placement(on: NaiveDate, placement: PlacementType, carer: Option<&str>) -> Command {
    Command::RecordEpisode {
        on,
        legal_status: None,
        placement: Some(placement),
        provider: (placement == PlacementType::P1).then_some(PlacementProvider::PR0),
        carer: carer.map(str::to_owned),
        details: Default::default(),
    }
}

/// A change of legal status only: placement and carer carry over.
fn legal_status(on: NaiveDate, status: LegalStatus) -> Command {
    Command::RecordEpisode {
        on,
        legal_status: Some(status),
        placement: None,
        provider: None,
        carer: None,
        details: Default::default(),
    }
}

fn close(on: NaiveDate, reason: ReasonCeased) -> Command {
    Command::CloseCase { on, reason }
}

fn legal(on: NaiveDate, step: LegalStep) -> Command {
    Command::RecordLegalStep { on, step }
}

fn review(on: NaiveDate) -> Command {
    Command::RecordReview {
        on,
        participation: None,
    }
}

const A: Route = Route::Adoption;

/// (child reference, days) of each case behind a measure.
type Listed<'a> = Vec<(&'a str, i64)>;

/// (child reference, days) of each case behind a measure, in the order given.
fn listed(cases: &[CaseValue]) -> Listed<'_> {
    cases
        .iter()
        .map(|c| (&*c.child_reference, c.days))
        .collect()
}

fn refs(waiting: &Waiting) -> Vec<(&str, i64)> {
    assert_eq!(waiting.count, waiting.cases.len());
    listed(&waiting.cases)
}

fn share_of(share: &Share) -> (usize, usize, Option<f64>) {
    (share.numerator, share.denominator, share.percent)
}

fn summary(children: usize, mean: f64, median: f64, p90: f64, min: i64, max: i64) -> Summary {
    Summary {
        children,
        mean_days: Some(mean),
        median_days: Some(median),
        p90_days: Some(p90),
        min_days: Some(min),
        max_days: Some(max),
    }
}

fn empty() -> Summary {
    Summary::from_days(&[])
}

/// The adoption cohort. Adopted in the window (1 April 2024 to 31 March 2025): C001 to
/// C006. C007 was adopted the day after the window, C008 the day before it.
fn adoption_cohort() -> Vec<Fixture> {
    let mut out = Vec::new();

    // C001: an ordinary adoption with a placement order, adopted by strangers.
    let mut c = open(101, 1, d(2021, 6, 1), d(2022, 1, 10));
    c.plan(A, d(2022, 2, 14))
        .step(A, "shobpa_decision", d(2022, 4, 1))
        .step(A, "placement_order", d(2022, 6, 1))
        .step(A, "family_finding", d(2022, 6, 2))
        .step(A, "matching_panel_recommendation", d(2022, 9, 15))
        .step(A, "match_decision", d(2022, 9, 20))
        .given(placement(
            d(2022, 10, 3),
            PlacementType::A6,
            Some("adopters-1"),
        ))
        .step(A, "placed_for_adoption", d(2022, 10, 3))
        .step(A, "adoption_application", d(2023, 1, 9))
        .step(A, "adoption_order", d(2024, 5, 1))
        .given(close(d(2024, 5, 1), ReasonCeased::E11));
    out.push(fixture(&c, child("C001", d(2021, 6, 1), Sex::Female)));

    // C002: went home in 2020 (first period of care), came back in 2023 and was adopted
    // from the second period. The placement order is the E1 episode of 10 May, two days
    // before the step was recorded.
    let mut c = open(201, 2, d(2018, 2, 10), d(2019, 5, 1));
    c.given(close(d(2020, 2, 1), ReasonCeased::E4A));
    out.push(fixture(&c, child("C002", d(2018, 2, 10), Sex::Male)));
    let mut c = open(202, 2, d(2018, 2, 10), d(2023, 1, 16));
    c.plan(A, d(2023, 3, 1))
        .step(A, "shobpa_decision", d(2023, 4, 3))
        .given(legal_status(d(2023, 5, 10), LegalStatus::E1))
        .step(A, "placement_order", d(2023, 5, 12))
        .step(A, "family_finding", d(2023, 5, 15))
        .step(A, "matching_panel_recommendation", d(2023, 8, 25))
        .step(A, "match_decision", d(2023, 9, 1))
        .given(placement(
            d(2024, 4, 2),
            PlacementType::A6,
            Some("adopters-2"),
        ))
        .step(A, "placed_for_adoption", d(2024, 4, 2))
        .step(A, "adoption_application", d(2024, 6, 17))
        .step(A, "adoption_order", d(2024, 9, 30))
        .given(close(d(2024, 9, 30), ReasonCeased::E11));
    out.push(fixture(&c, child("C002", d(2018, 2, 10), Sex::Male)));

    // C003: adopted by her foster carers (fc-3). She moved in with them on 14 June 2021;
    // then her legal status changed (C2, 1 Sep 2021) and the placement became early
    // permanence (U5, 10 Jan 2022), both with fc-3; A5 from 1 Aug 2022.
    let mut c = open(301, 3, d(2020, 11, 20), d(2021, 3, 1));
    c.given(placement(d(2021, 6, 14), PlacementType::U6, Some("fc-3")))
        .given(legal_status(d(2021, 9, 1), LegalStatus::C2))
        .plan(A, d(2021, 10, 1))
        .step(A, "shobpa_decision", d(2021, 11, 1))
        .given(placement(d(2022, 1, 10), PlacementType::U5, None))
        .step(A, "placement_order", d(2022, 3, 1))
        .step(A, "family_finding", d(2022, 3, 2))
        .step(A, "matching_panel_recommendation", d(2022, 6, 20))
        .step(A, "match_decision", d(2022, 6, 27))
        .given(placement(d(2022, 8, 1), PlacementType::A5, None))
        .step(A, "placed_for_adoption", d(2022, 8, 1))
        .step(A, "adoption_application", d(2022, 11, 1))
        .step(A, "adoption_order", d(2025, 1, 15))
        .given(close(d(2025, 1, 15), ReasonCeased::E11));
    out.push(fixture(&c, child("C003", d(2020, 11, 20), Sex::Female)));

    // C004: a consent case matched (8 June 2023) before the placement order (E1 on 3 July).
    let mut c = open(401, 4, d(2016, 5, 5), d(2023, 2, 1));
    c.plan(A, d(2023, 3, 1))
        .step(A, "adoption_panel_recommendation", d(2023, 4, 3))
        .step(A, "shobpa_decision", d(2023, 4, 10))
        .step(A, "family_finding", d(2023, 4, 11))
        .step(A, "matching_panel_recommendation", d(2023, 6, 1))
        .step(A, "match_decision", d(2023, 6, 8))
        .given(legal_status(d(2023, 7, 3), LegalStatus::E1))
        .given(placement(
            d(2023, 7, 10),
            PlacementType::A6,
            Some("adopters-4"),
        ))
        .step(A, "placed_for_adoption", d(2023, 7, 10))
        .step(A, "adoption_application", d(2023, 10, 2))
        .step(A, "adoption_order", d(2024, 12, 2))
        .given(close(d(2024, 12, 2), ReasonCeased::E12));
    out.push(fixture(&c, child("C004", d(2016, 5, 5), Sex::Male)));

    // C005: a consent case that never had a placement order.
    let mut c = open(501, 5, d(2022, 12, 1), d(2023, 4, 3));
    c.plan(A, d(2023, 5, 2))
        .step(A, "adoption_panel_recommendation", d(2023, 6, 5))
        .step(A, "shobpa_decision", d(2023, 6, 12))
        .step(A, "family_finding", d(2023, 6, 13))
        .step(A, "matching_panel_recommendation", d(2023, 8, 14))
        .step(A, "match_decision", d(2023, 8, 21))
        .given(placement(
            d(2023, 9, 4),
            PlacementType::A4,
            Some("adopters-5"),
        ))
        .step(A, "placed_for_adoption", d(2023, 9, 4))
        .step(A, "adoption_application", d(2023, 11, 20))
        .step(A, "adoption_order", d(2024, 7, 1))
        .given(close(d(2024, 7, 1), ReasonCeased::E11));
    out.push(fixture(&c, child("C005", d(2022, 12, 1), Sex::Male)));

    // C006: moved in exactly 426 days after entering care; adopted on the window's last day.
    let mut c = open(601, 6, d(2012, 1, 1), d(2022, 6, 1));
    c.plan(A, d(2022, 7, 1))
        .step(A, "shobpa_decision", d(2022, 8, 1))
        .step(A, "placement_order", d(2022, 11, 1))
        .step(A, "family_finding", d(2022, 11, 2))
        .step(A, "matching_panel_recommendation", d(2023, 6, 1))
        .step(A, "match_decision", d(2023, 6, 9))
        .given(placement(
            d(2023, 8, 1),
            PlacementType::A6,
            Some("adopters-6"),
        ))
        .step(A, "placed_for_adoption", d(2023, 8, 1))
        .step(A, "adoption_application", d(2023, 10, 16))
        .step(A, "adoption_order", d(2025, 3, 31))
        .given(close(d(2025, 3, 31), ReasonCeased::E11));
    out.push(fixture(&c, child("C006", d(2012, 1, 1), Sex::Male)));

    // C007: adopted on 1 April 2025, the day after the window.
    let mut c = open(701, 7, d(2007, 1, 1), d(2023, 1, 9));
    c.plan(A, d(2023, 2, 1))
        .step(A, "shobpa_decision", d(2023, 3, 1))
        .step(A, "placement_order", d(2023, 5, 1))
        .step(A, "family_finding", d(2023, 5, 2))
        .step(A, "matching_panel_recommendation", d(2023, 8, 1))
        .step(A, "match_decision", d(2023, 8, 8))
        .given(placement(
            d(2023, 10, 2),
            PlacementType::A6,
            Some("adopters-7"),
        ))
        .step(A, "placed_for_adoption", d(2023, 10, 2))
        .step(A, "adoption_application", d(2023, 12, 11))
        .step(A, "adoption_order", d(2025, 4, 1))
        .given(close(d(2025, 4, 1), ReasonCeased::E11));
    out.push(fixture(&c, child("C007", d(2007, 1, 1), Sex::Female)));

    // C008: adopted on 31 March 2024, the day before the window.
    let mut c = open(801, 8, d(2019, 1, 1), d(2022, 2, 1));
    c.plan(A, d(2022, 3, 1))
        .step(A, "shobpa_decision", d(2022, 4, 4))
        .step(A, "placement_order", d(2022, 7, 1))
        .step(A, "family_finding", d(2022, 7, 4))
        .step(A, "matching_panel_recommendation", d(2022, 10, 3))
        .step(A, "match_decision", d(2022, 10, 10))
        .given(placement(
            d(2022, 11, 7),
            PlacementType::A6,
            Some("adopters-8"),
        ))
        .step(A, "placed_for_adoption", d(2022, 11, 7))
        .step(A, "adoption_application", d(2023, 1, 16))
        .step(A, "adoption_order", d(2024, 3, 31))
        .given(close(d(2024, 3, 31), ReasonCeased::E11));
    out.push(fixture(&c, child("C008", d(2019, 1, 1), Sex::Male)));

    out
}

fn cohort_report() -> TimelinessReport {
    let cohort = adoption_cohort();
    timeliness_report(&views(&cohort), from(), to())
}

mod adoption_scorecard {
    use super::*;

    #[test]
    fn a1_counts_from_the_period_of_care_that_ended_in_adoption() {
        let report = cohort_report();
        // C001: 10 Jan 2022 -> 3 Oct 2022 = 21 (rest of Jan) + 28 + 31 + 30 + 31 + 30 + 31
        //       + 31 + 30 (Feb..Sep) + 3 = 266
        // C002: the second period, from 16 Jan 2023 (not 1 May 2019) -> 2 Apr 2024
        //       = 350 (to 1 Jan 2024) + 92 (to 2 Apr 2024, 2024 a leap year) = 442
        // C003: 1 Mar 2021 -> 1 Aug 2022 = 365 + 153 (Mar..Jul 2022) = 518
        // C004: 1 Feb 2023 -> 10 Jul 2023 = 28 + 31 + 30 + 31 + 30 + 9 = 159
        // C005: 3 Apr 2023 -> 4 Sep 2023 = 28 + 31 + 30 + 31 + 31 + 3 = 154
        // C006: 1 Jun 2022 -> 1 Aug 2023 = 365 + 61 = 426
        // C007 (adopted 1 Apr 2025) and C008 (31 Mar 2024) are outside the window.
        assert_eq!(
            listed(&report.a1.cases),
            vec![
                ("C001", 266),
                ("C002", 442),
                ("C003", 518),
                ("C004", 159),
                ("C005", 154),
                ("C006", 426)
            ]
        );
        // Sorted: 154 159 266 426 442 518; sum 1965; mean 1965 / 6 = 327.5;
        // median (266 + 426) / 2 = 346; p90 rank 0.9 x 5 = 4.5: 442 + 0.5 x (518 - 442) = 480.
        assert_eq!(report.a1.summary, summary(6, 327.5, 346.0, 480.0, 154, 518));
        // The adopting period of C002 is case 202, not case 201.
        assert_eq!(report.a1.cases[1].case_id, CaseId(Uuid::from_u128(202)));
        // Six children adopted, with their days in care to adoption; C006: 1 Jun 2022 ->
        // 1 Jun 2024 = 365 + 366 = 731, + 303 to 31 Mar 2025 = 1034.
        assert_eq!(report.adoptions.summary.children, 6);
        assert_eq!(report.adoptions.cases[5].days, 1034);
    }

    #[test]
    fn a10_stops_the_clock_when_the_child_moved_in_with_the_foster_carers_who_adopted() {
        let report = cohort_report();
        // C003: the A5 episode (1 Aug 2022) follows U5 (10 Jan 2022), C2 (1 Sep 2021) and
        // U6 (14 Jun 2021), all with fc-3; the episode before those is carer-1. The clock
        // stops on 14 Jun 2021: 1 Mar 2021 -> 14 Jun 2021 = 31 + 30 + 31 + 13 = 105 < 518.
        // Everyone else was adopted by new carers: A10 = A1.
        assert_eq!(
            listed(&report.a10.cases),
            vec![
                ("C001", 266),
                ("C002", 442),
                ("C003", 105),
                ("C004", 159),
                ("C005", 154),
                ("C006", 426)
            ]
        );
        // Sorted: 105 154 159 266 426 442; sum 1552; mean 258.67 -> 258.7;
        // median (159 + 266) / 2 = 212.5; p90 rank 4.5: 426 + 0.5 x 16 = 434.
        assert_eq!(
            report.a10.summary,
            summary(6, 258.7, 212.5, 434.0, 105, 442)
        );
    }

    #[test]
    fn a10_recognises_the_same_carer_without_an_a3_or_a5_code() {
        // Placed A6 ("not with current foster carer") but recorded with the same carer
        // reference as the foster placement before it: the carers adopted, so walk back.
        let mut c = open(901, 9, d(2022, 1, 1), d(2023, 1, 2));
        c.given(placement(d(2023, 3, 1), PlacementType::U6, Some("fc-9")))
            .plan(A, d(2023, 4, 3))
            .step(A, "shobpa_decision", d(2023, 5, 2))
            .step(A, "placement_order", d(2023, 7, 3))
            .step(A, "family_finding", d(2023, 7, 4))
            .step(A, "matching_panel_recommendation", d(2023, 9, 4))
            .step(A, "match_decision", d(2023, 9, 11))
            .given(placement(d(2023, 10, 2), PlacementType::A6, Some("fc-9")))
            .step(A, "placed_for_adoption", d(2023, 10, 2))
            .step(A, "adoption_application", d(2023, 12, 11))
            .step(A, "adoption_order", d(2024, 6, 3))
            .given(close(d(2024, 6, 3), ReasonCeased::E11));
        let cases = [fixture(&c, child("C009", d(2022, 1, 1), Sex::Female))];
        let report = timeliness_report(&views(&cases), from(), to());
        // A1: 2 Jan 2023 -> 2 Oct 2023 = 29 + 28 + 31 + 30 + 31 + 30 + 31 + 31 + 30 + 1 = 273
        // A10: 2 Jan 2023 -> 1 Mar 2023 = 29 + 28 = 58
        assert_eq!(listed(&report.a1.cases), vec![("C009", 273)]);
        assert_eq!(listed(&report.a10.cases), vec![("C009", 58)]);
    }

    #[test]
    fn a10_without_carer_references_walks_back_over_the_same_placement_and_provider() {
        // No carer reference anywhere: the child entered care in U6 on 2 Jan 2023, moved to
        // fostering-for-adoption carers (U5) on 1 Mar, whose placement became E1 on 1 Jun
        // (a new episode, the same carers), and was placed for adoption with them (A5) on
        // 2 Oct. The clock stops on 1 Mar, not on 1 Jun.
        let mut open = open_case(d(2023, 1, 2));
        open.case_id = CaseId(Uuid::from_u128(902));
        open.child_id = ChildId(Uuid::from_u128(10));
        open.child_birth_date = d(2022, 1, 1);
        open.carer = None;
        let mut c = Case::empty(today());
        c.given(Command::OpenCase(open))
            .given(placement(d(2023, 3, 1), PlacementType::U5, None))
            .plan(A, d(2023, 4, 3))
            .step(A, "shobpa_decision", d(2023, 5, 2))
            .given(legal_status(d(2023, 6, 1), LegalStatus::E1))
            .step(A, "placement_order", d(2023, 6, 1))
            .step(A, "family_finding", d(2023, 7, 4))
            .step(A, "matching_panel_recommendation", d(2023, 9, 4))
            .step(A, "match_decision", d(2023, 9, 11))
            .given(placement(d(2023, 10, 2), PlacementType::A5, None))
            .step(A, "placed_for_adoption", d(2023, 10, 2))
            .step(A, "adoption_application", d(2023, 12, 11))
            .step(A, "adoption_order", d(2024, 6, 3))
            .given(close(d(2024, 6, 3), ReasonCeased::E11));
        assert!(c.state().episodes.iter().all(|e| e.carer.is_none()));
        let cases = [fixture(&c, child("C010", d(2022, 1, 1), Sex::Male))];
        let report = timeliness_report(&views(&cases), from(), to());
        // A1: 2 Jan 2023 -> 2 Oct 2023 = 273; A10: 2 Jan -> 1 Mar 2023 = 29 + 28 = 58 (one
        // episode back, 1 Jun, would be 150).
        assert_eq!(listed(&report.a1.cases), vec![("C010", 273)]);
        assert_eq!(listed(&report.a10.cases), vec![("C010", 58)]);
    }

    #[test]
    fn a2_is_days_from_the_placement_order_to_the_match_never_below_zero() {
        let report = cohort_report();
        // C001: order 1 Jun 2022 -> match 20 Sep 2022 = 29 + 31 + 31 + 20 = 111
        // C002: the E1 episode (10 May 2023) is earlier than the step (12 May):
        //       10 May -> 1 Sep 2023 = 21 + 30 + 31 + 31 + 1 = 114
        // C003: 1 Mar 2022 -> 27 Jun 2022 = 30 + 30 + 31 + 27 = 118
        // C004: matched 8 Jun 2023 before the order (3 Jul 2023): -25 counts 0
        // C005: no placement order: left out
        // C006: 1 Nov 2022 -> 9 Jun 2023 = 29 + 31 + 31 + 28 + 31 + 30 + 31 + 9 = 220
        assert_eq!(
            listed(&report.a2.cases),
            vec![
                ("C001", 111),
                ("C002", 114),
                ("C003", 118),
                ("C004", 0),
                ("C006", 220)
            ]
        );
        // Sorted: 0 111 114 118 220; sum 563; mean 112.6; median 114;
        // p90 rank 0.9 x 4 = 3.6: 118 + 0.6 x (220 - 118) = 118 + 61.2 = 179.2.
        assert_eq!(report.a2.summary, summary(5, 112.6, 114.0, 179.2, 0, 220));
    }

    #[test]
    fn a2_leaves_out_a_child_not_placed_before_the_adoption_order() {
        // History imported from an old system, which `decide` would not accept today: the
        // only adoptive placement starts on the day of the adoption order, with no
        // placement step. The child counts in A1 (moved in on 1 May 2024: 10 Jan 2022 ->
        // 1 May 2024 = 356 + 366 + 120 = 842), not in A2.
        let mut cohort = adoption_cohort();
        let c001 = &mut cohort[0].state;
        c001.plans[0]
            .steps
            .retain(|s| s.step != "placed_for_adoption");
        let adoptive = c001
            .episodes
            .iter_mut()
            .find(|e| e.placement == PlacementType::A6)
            .expect("the adoptive placement");
        adoptive.starts_on = d(2024, 5, 1);
        let report = timeliness_report(&views(&cohort[..1]), from(), to());
        assert_eq!(listed(&report.a1.cases), vec![("C001", 842)]);
        assert_eq!(report.a2.summary, empty());
        assert!(report.a2.cases.is_empty());
    }

    #[test]
    fn a3_is_the_share_of_a1_less_than_14_months() {
        let report = cohort_report();
        // Less than 14 months: C001 266 days, C004 159, C005 154. Not: C002 442, C003 518,
        // and C006, who moved in on 1 Aug 2023, 14 months to the day after entering care on
        // 1 Jun 2022 (426 days): "less than" leaves the boundary out. 3 / 6 = 50%.
        assert_eq!(share_of(&report.a3), (3, 6, Some(50.0)));
        let over: Vec<&str> = report
            .a3
            .cases
            .iter()
            .filter(|c| !c.met)
            .map(|c| &*c.child_reference)
            .collect();
        assert_eq!(over, vec!["C002", "C003", "C006"]);
    }

    #[test]
    fn the_window_selects_by_adoption_date_to_the_day() {
        let cohort = adoption_cohort();
        let cases = views(&cohort);
        // Widened by a day at each end, the window takes in C008 (31 Mar 2024) and C007
        // (1 Apr 2025): 8 children.
        let wide = timeliness_report(&cases, d(2024, 3, 31), d(2025, 4, 1));
        assert_eq!(wide.a1.summary.children, 8);
        // C008: 1 Feb 2022 -> 7 Nov 2022 = 27 + 31 + 30 + 31 + 30 + 31 + 31 + 31 + 30 + 7
        //       = 279; C007: 9 Jan 2023 -> 2 Oct 2023 = 266.
        let a1 = listed(&wide.a1.cases);
        assert!(a1.contains(&("C008", 279)), "{a1:?}");
        assert!(a1.contains(&("C007", 266)), "{a1:?}");
        // A window with nothing in it.
        let none = timeliness_report(&cases, d(2030, 1, 1), d(2030, 12, 31));
        assert_eq!(none.a1.summary, empty());
        assert_eq!(share_of(&none.a3), (0, 0, None));
        // A window the wrong way round selects nothing.
        let backwards = timeliness_report(&cases, to(), from());
        assert_eq!(backwards.a1.summary.children, 0);
    }

    #[test]
    fn panel_follow_through_is_selected_by_the_later_date() {
        let report = cohort_report();
        let placed = report
            .panel_follow_through
            .iter()
            .find(|f| {
                f.from_step == "matching_panel_recommendation" && f.to_step == "placed_for_adoption"
            })
            .expect("listed");
        // C002: matching panel 25 Aug 2023 -> placed 2 Apr 2024 = 6 + 30 + 31 + 30 + 31 + 31
        //       + 29 + 31 + 2 = 221, dated 2 Apr 2024 (in the window). Every other adoption
        //       in the cohort was placed before the window.
        assert_eq!(listed(&placed.measure.cases), vec![("C002", 221)]);
        // The list has all six follow-throughs, empty or not.
        assert_eq!(report.panel_follow_through.len(), 6);
        let matched = &report.panel_follow_through[1];
        assert_eq!(matched.to_step, "match_decision");
        assert_eq!(matched.measure.summary, empty());
    }
}

/// Children waiting, and A5. Seen on 31 March 2025 (the window's last day).
fn waiting_cohort() -> Vec<Fixture> {
    let mut out = Vec::new();
    let who = |r: &str| child(r, d(2021, 1, 1), Sex::Unknown);

    // W001: decision 15 Jan 2024, no placement order.
    let mut c = open(1001, 11, d(2021, 1, 1), d(2023, 10, 2));
    c.plan(A, d(2023, 11, 1))
        .step(A, "shobpa_decision", d(2024, 1, 15));
    out.push(fixture(&c, who("W001")));

    // W002: placement order 30 Mar 2024; 12 months later is 30 Mar 2025 < 31 Mar.
    let mut c = open(1002, 12, d(2021, 1, 1), d(2022, 9, 1));
    c.plan(A, d(2022, 10, 3))
        .step(A, "shobpa_decision", d(2023, 6, 1))
        .step(A, "placement_order", d(2024, 3, 30));
    out.push(fixture(&c, who("W002")));

    // W003: placement order 31 Mar 2024; 12 months later is 31 Mar 2025, not before it.
    let mut c = open(1003, 13, d(2021, 1, 1), d(2024, 1, 2));
    c.plan(A, d(2024, 2, 1))
        .step(A, "shobpa_decision", d(2024, 3, 1))
        .step(A, "placement_order", d(2024, 3, 31));
    out.push(fixture(&c, who("W003")));

    // W004: placement order by legal status only (E1 on 29 Sep 2023): 18 months later is
    // 29 Mar 2025 < 31 Mar.
    let mut c = open(1004, 14, d(2021, 1, 1), d(2022, 3, 1));
    c.plan(A, d(2022, 4, 1))
        .step(A, "shobpa_decision", d(2022, 5, 3))
        .given(legal_status(d(2023, 9, 29), LegalStatus::E1));
    out.push(fixture(&c, who("W004")));

    // W005: moved in with adopters on 31 March 2025 itself: placed, not waiting.
    let mut c = open(1005, 15, d(2021, 1, 1), d(2023, 6, 1));
    c.plan(A, d(2023, 7, 3))
        .step(A, "shobpa_decision", d(2023, 8, 1))
        .step(A, "placement_order", d(2023, 11, 1))
        .step(A, "family_finding", d(2023, 11, 2))
        .step(A, "matching_panel_recommendation", d(2025, 3, 13))
        .step(A, "match_decision", d(2025, 3, 20))
        .given(placement(
            d(2025, 3, 31),
            PlacementType::A6,
            Some("adopters-w5"),
        ))
        .step(A, "placed_for_adoption", d(2025, 3, 31));
    out.push(fixture(&c, who("W005")));

    // W006: decision 2 May 2023 and a placement order, reversed on 1 Feb 2025 (RD3):
    // not waiting on 31 March; one reversal in the window (A5).
    let mut c = open(1006, 16, d(2021, 1, 1), d(2023, 1, 3));
    c.plan(A, d(2023, 2, 1))
        .step(A, "shobpa_decision", d(2023, 5, 2))
        .step(A, "placement_order", d(2023, 8, 1))
        .given(Command::ReverseAdoptionDecision {
            on: d(2025, 2, 1),
            reason: ReversalReason::RD3,
        });
    out.push(fixture(&c, who("W006")));

    // W007: decision on 1 April 2025, after the day looked at.
    let mut c = open(1007, 17, d(2021, 1, 1), d(2024, 6, 3));
    c.plan(A, d(2024, 7, 1))
        .step(A, "shobpa_decision", d(2025, 4, 1));
    out.push(fixture(&c, who("W007")));

    // W008: a decision reversed on 15 Mar 2024 (before the window), then a new adoption
    // plan and decision on 2 Sep 2024, which stands.
    let mut c = open(1008, 18, d(2021, 1, 1), d(2022, 1, 4));
    c.plan(A, d(2022, 2, 1))
        .step(A, "shobpa_decision", d(2023, 1, 10))
        .given(Command::ReverseAdoptionDecision {
            on: d(2024, 3, 15),
            reason: ReversalReason::RD1,
        })
        .plan(A, d(2024, 6, 3))
        .step(A, "shobpa_decision", d(2024, 9, 2));
    out.push(fixture(&c, who("W008")));

    out
}

mod waiting {
    use super::*;

    #[test]
    fn children_waiting_with_a_decision_or_a_placement_order_on_a_date() {
        let mut cohort = waiting_cohort();
        // The adoption cohort too: C007 (adopted 1 Apr 2025) is still in care on 31 March
        // with a decision, but was placed in 2023; the others have left care.
        cohort.extend(adoption_cohort());
        let w = children_waiting(&views(&cohort), to());
        assert_eq!(w.on, d(2025, 3, 31));
        // Days since the decision, to 31 Mar 2025:
        // W001 15 Jan 2024: 366 (to 15 Jan 2025, over 29 Feb 2024) + 16 + 28 + 31 = 441
        // W002 1 Jun 2023: 366 (to 1 Jun 2024) + 303 (29 + 31 + 31 + 30 + 31 + 30 + 31 + 31
        //      + 28 + 31) = 669
        // W003 1 Mar 2024: 365 (to 1 Mar 2025) + 30 = 395
        // W004 3 May 2022: 365 + 366 (to 3 May 2024) + 365 - 33 (31 Mar is 33 days before
        //      3 May 2025) = 1063
        // W008 2 Sep 2024: 28 + 31 + 30 + 31 + 31 + 28 + 31 = 210 (the new decision).
        assert_eq!(
            refs(&w.with_decision),
            vec![
                ("W001", 441),
                ("W002", 669),
                ("W003", 395),
                ("W004", 1063),
                ("W008", 210)
            ]
        );
        // Placement orders, days to 31 Mar 2025: W002 30 Mar 2024: 1 + 365 = 366;
        // W003 31 Mar 2024: 365; W004 29 Sep 2023: 366 (to 29 Sep 2024, over 29 Feb) + 1 + 31
        // + 30 + 31 + 31 + 28 + 31 = 549.
        // W006 has an order too, but its decision was reversed.
        assert_eq!(
            refs(&w.with_placement_order),
            vec![("W002", 366), ("W003", 365), ("W004", 549)]
        );
        // Over 12 months: W002 (30 Mar 2025 < 31 Mar), W004 (29 Sep 2024 < 31 Mar);
        // W003's 12 months end on 31 Mar 2025 itself: not over.
        assert_eq!(
            refs(&w.placement_order_over_12_months),
            vec![("W002", 366), ("W004", 549)]
        );
        // Over 18 months: W004 only (29 Mar 2025 < 31 Mar; W002's end 30 Sep 2025).
        assert_eq!(refs(&w.placement_order_over_18_months), vec![("W004", 549)]);
        // Over 18 months in care (of those with an order): W002 entered 1 Sep 2022 (+18
        // months = 1 Mar 2024): 273 (to 1 Jun 2023) + 669 = 942 days; W004 entered 1 Mar
        // 2022 (+18 months = 1 Sep 2023): 63 (to 3 May 2022) + 1063 = 1126 days. W003 entered
        // 2 Jan 2024 (+18 months = 2 Jul 2025): not.
        assert_eq!(
            refs(&w.in_care_over_18_months),
            vec![("W002", 942), ("W004", 1126)]
        );
    }

    #[test]
    fn the_thresholds_move_with_the_date() {
        let cohort = waiting_cohort();
        let cases = views(&cohort);
        // On 1 April 2025 W003's 12 months have passed (31 Mar 2025 < 1 Apr) and W007's
        // decision of that day counts. W005 is still placed.
        let w = children_waiting(&cases, d(2025, 4, 1));
        let who: Vec<&str> = w
            .placement_order_over_12_months
            .cases
            .iter()
            .map(|c| &*c.child_reference)
            .collect();
        assert_eq!(who, vec!["W002", "W003", "W004"]);
        assert!(
            w.with_decision
                .cases
                .iter()
                .any(|c| &*c.child_reference == "W007" && c.days == 0)
        );
        // Before W008's first decision was reversed (on 14 Mar 2024) it was waiting on
        // that decision: 10 Jan 2023 -> 14 Mar 2024 = 21 + 28 + 31 + 30 + 31 + 30 + 31 + 31
        // + 30 + 31 + 30 + 31 + 31 + 29 + 14 = 429. On the day of the reversal it is not.
        let before = children_waiting(&cases, d(2024, 3, 14));
        assert!(
            before
                .with_decision
                .cases
                .iter()
                .any(|c| &*c.child_reference == "W008" && c.days == 429)
        );
        let on = children_waiting(&cases, d(2024, 3, 15));
        assert!(
            !on.with_decision
                .cases
                .iter()
                .any(|c| &*c.child_reference == "W008")
        );
        // Before anyone entered care: nobody.
        let early = children_waiting(&cases, d(2020, 1, 1));
        assert_eq!(early.with_decision.count, 0);
        assert_eq!(early.with_placement_order.count, 0);
    }

    #[test]
    fn a5_counts_reversals_dated_in_the_window() {
        let cohort = waiting_cohort();
        let report = timeliness_report(&views(&cohort), from(), to());
        // W006 reversed on 1 Feb 2025 (in the window), 2 May 2023 -> 1 Feb 2025 = 641 days
        // after the decision; W008's reversal (15 Mar 2024) is before the window.
        assert_eq!(report.a5_reversals, 1);
        assert_eq!(listed(&report.a5_cases), vec![("W006", 641)]);
        // The report carries the children waiting on its last day.
        assert_eq!(report.waiting_at_end.on, to());
        assert_eq!(report.waiting_at_end.with_placement_order.count, 3);
        // Over both reversals' dates: 2.
        let wide = timeliness_report(&views(&cohort), d(2024, 3, 15), to());
        assert_eq!(wide.a5_reversals, 2);
    }
}

mod statistics {
    use super::*;

    #[test]
    fn empty_has_no_figures() {
        assert_eq!(
            Summary::from_days(&[]),
            Summary {
                children: 0,
                mean_days: None,
                median_days: None,
                p90_days: None,
                min_days: None,
                max_days: None,
            }
        );
    }

    #[test]
    fn median_of_an_odd_count_is_the_middle_value() {
        // Sorted 1 3 5: median 3; mean 9 / 3 = 3; p90 rank 0.9 x 2 = 1.8: 3 + 0.8 x 2 = 4.6.
        assert_eq!(
            Summary::from_days(&[5, 1, 3]),
            summary(3, 3.0, 3.0, 4.6, 1, 5)
        );
        // One value is every figure.
        assert_eq!(Summary::from_days(&[7]), summary(1, 7.0, 7.0, 7.0, 7, 7));
    }

    #[test]
    fn median_of_an_even_count_averages_the_two_middle_values() {
        // Sorted 1 2 3 10: median (2 + 3) / 2 = 2.5; mean 16 / 4 = 4;
        // p90 rank 0.9 x 3 = 2.7: 3 + 0.7 x 7 = 7.9.
        assert_eq!(
            Summary::from_days(&[10, 2, 1, 3]),
            summary(4, 4.0, 2.5, 7.9, 1, 10)
        );
    }

    #[test]
    fn p90_interpolates_between_closest_ranks_as_numpy_does() {
        // numpy.percentile(range(1, 11), 90): rank 0.9 x 9 = 8.1: 9 + 0.1 x 1 = 9.1.
        let one_to_ten: Vec<i64> = (1..=10).collect();
        assert_eq!(Summary::from_days(&one_to_ten).p90_days, Some(9.1));
        // Two values: rank 0.9: 10 + 0.9 x 10 = 19.
        assert_eq!(Summary::from_days(&[20, 10]).p90_days, Some(19.0));
        // Eleven values 0, 10, .., 100: rank 9 exactly: 90.
        let tens: Vec<i64> = (0..=10).map(|i| i * 10).collect();
        assert_eq!(Summary::from_days(&tens).p90_days, Some(90.0));
        // Ties: 5 5 5 5 100: rank 3.6: 5 + 0.6 x 95 = 62.
        assert_eq!(Summary::from_days(&[5, 5, 100, 5, 5]).p90_days, Some(62.0));
    }

    #[test]
    fn the_mean_is_rounded_to_one_decimal_place() {
        // 4 / 3 = 1.333 -> 1.3; 5 / 3 = 1.667 -> 1.7; 5 / 4 = 1.25 -> 1.3 (half away from 0).
        assert_eq!(Summary::from_days(&[1, 1, 2]).mean_days, Some(1.3));
        assert_eq!(Summary::from_days(&[1, 2, 2]).mean_days, Some(1.7));
        assert_eq!(Summary::from_days(&[1, 1, 1, 2]).mean_days, Some(1.3));
        assert_eq!(Summary::from_days(&[0, 0, 0, 0]).mean_days, Some(0.0));
    }
}

mod breakdowns {
    use super::*;

    fn a1_of(groups: &[permanence_domain::measures::GroupReport], name: &str) -> Measure {
        groups
            .iter()
            .find(|g| g.group == name)
            .unwrap_or_else(|| panic!("no group {name}"))
            .report
            .a1
            .clone()
    }

    #[test]
    fn by_sex() {
        let cohort = adoption_cohort();
        let groups = grouped_report(&views(&cohort), from(), to(), GroupBy::Sex);
        let names: Vec<&str> = groups.iter().map(|g| g.group.as_str()).collect();
        assert_eq!(names, vec![ALL_GROUP, "female", "male"]);
        assert_eq!(groups[0].report, cohort_report());
        // Female: C001 266, C003 518: mean 392, median 392, p90 rank 0.9: 266 + 0.9 x 252
        //         = 492.8.
        assert_eq!(
            a1_of(&groups, "female").summary,
            summary(2, 392.0, 392.0, 492.8, 266, 518)
        );
        // Male: C002 442, C004 159, C005 154, C006 426: sum 1181, mean 295.25 -> 295.3;
        //       sorted 154 159 426 442: median (159 + 426) / 2 = 292.5;
        //       p90 rank 2.7: 426 + 0.7 x 16 = 437.2.
        assert_eq!(
            a1_of(&groups, "male").summary,
            summary(4, 295.3, 292.5, 437.2, 154, 442)
        );
    }

    #[test]
    fn by_age_band_at_entering_care() {
        let cohort = adoption_cohort();
        let groups = grouped_report(&views(&cohort), from(), to(), GroupBy::AgeBandAtEntry);
        let names: Vec<&str> = groups.iter().map(|g| g.group.as_str()).collect();
        // In band order. C001 (born 1 Jun 2021, in care 10 Jan 2022: 0), C003 (0), C005 (0):
        // under 1; C002 (born 10 Feb 2018: 1 in 2019, 4 in Jan 2023) and C008 (3): 1 to 4;
        // C004 (born 5 May 2016, in care 1 Feb 2023: 6): 5 to 9; C006 (born 1 Jan 2012, in
        // care 1 Jun 2022: 10): 10 to 15; C007 (born 1 Jan 2007, in care 9 Jan 2023: 16).
        assert_eq!(
            names,
            vec![
                ALL_GROUP,
                "under 1",
                "1 to 4",
                "5 to 9",
                "10 to 15",
                "16 and over"
            ]
        );
        // Under 1: 266 518 154: sum 938, mean 312.67 -> 312.7; median 266;
        //          p90 rank 1.8: 266 + 0.8 x 252 = 467.6.
        assert_eq!(
            a1_of(&groups, "under 1").summary,
            summary(3, 312.7, 266.0, 467.6, 154, 518)
        );
        assert_eq!(listed(&a1_of(&groups, "1 to 4").cases), vec![("C002", 442)]);
        assert_eq!(listed(&a1_of(&groups, "5 to 9").cases), vec![("C004", 159)]);
        assert_eq!(
            listed(&a1_of(&groups, "10 to 15").cases),
            vec![("C006", 426)]
        );
        // C007 was adopted after the window: the band is there, empty.
        assert_eq!(a1_of(&groups, "16 and over").summary, empty());
    }

    #[test]
    fn quarters_are_calendar_quarters_clipped_to_the_window() {
        assert_eq!(
            quarters(d(2024, 2, 15), d(2024, 11, 10)),
            vec![
                (d(2024, 2, 15), d(2024, 3, 31)),
                (d(2024, 4, 1), d(2024, 6, 30)),
                (d(2024, 7, 1), d(2024, 9, 30)),
                (d(2024, 10, 1), d(2024, 11, 10)),
            ]
        );
        assert_eq!(
            quarters(d(2024, 12, 31), d(2025, 1, 1)),
            vec![
                (d(2024, 12, 31), d(2024, 12, 31)),
                (d(2025, 1, 1), d(2025, 1, 1))
            ]
        );
        assert!(quarters(d(2025, 1, 2), d(2025, 1, 1)).is_empty());
    }

    #[test]
    fn quarterly_trend() {
        let cohort = adoption_cohort();
        let trend = quarterly_report(&views(&cohort), d(2024, 2, 15), d(2024, 11, 10));
        let a1: Vec<(NaiveDate, NaiveDate, Listed)> = trend
            .iter()
            .map(|q| (q.from, q.to, listed(&q.report.a1.cases)))
            .collect();
        // Adopted: C008 31 Mar 2024 (first, clipped quarter), C001 1 May 2024, C005 1 Jul
        // and C002 30 Sep 2024 (listed in the order the cases were given); C004 (2 Dec
        // 2024) falls after the clipped last quarter.
        assert_eq!(
            a1,
            vec![
                (d(2024, 2, 15), d(2024, 3, 31), vec![("C008", 279)]),
                (d(2024, 4, 1), d(2024, 6, 30), vec![("C001", 266)]),
                (
                    d(2024, 7, 1),
                    d(2024, 9, 30),
                    vec![("C002", 442), ("C005", 154)]
                ),
                (d(2024, 10, 1), d(2024, 11, 10), vec![]),
            ]
        );
        // Each quarter is the report of its own clipped window.
        for q in &trend {
            assert_eq!(q.report, timeliness_report(&views(&cohort), q.from, q.to));
        }
    }
}

mod other_routes {
    use super::*;

    const SG: Route = Route::SpecialGuardianship;
    const HOME: Route = Route::Reunification;
    const LTF: Route = Route::LongTermFostering;

    pub(super) fn cohort() -> Vec<Fixture> {
        let who = |r: &str| child(r, d(2020, 1, 1), Sex::Female);
        let mut out = Vec::new();

        let mut c = open(2001, 21, d(2020, 1, 1), d(2024, 1, 8));
        c.plan(SG, d(2024, 2, 1))
            .step(SG, "assessment_started", d(2024, 2, 5))
            .step(SG, "sgo_report_completed", d(2024, 5, 1))
            .step(SG, "support_plan_agreed", d(2024, 5, 15))
            .step(SG, "panel_recommendation", d(2024, 6, 3))
            .step(SG, "adm_decision", d(2024, 6, 10))
            .step(SG, "sgo_granted", d(2024, 7, 15))
            .given(close(d(2024, 7, 15), ReasonCeased::E46));
        out.push(fixture(&c, who("S001")));

        // H001: home to parents (P1) on 10 June 2024, as planned.
        let mut c = open(2002, 22, d(2020, 1, 1), d(2024, 3, 4));
        c.plan(HOME, d(2024, 4, 1))
            .step(HOME, "parent_assessment", d(2024, 5, 1))
            .step(HOME, "return_home_approved", d(2024, 6, 3))
            .given(placement(d(2024, 6, 10), PlacementType::P1, None))
            .step(HOME, "placed_with_parents", d(2024, 6, 10))
            .step(HOME, "returned_home", d(2024, 9, 2))
            .given(close(d(2024, 9, 2), ReasonCeased::E4A));
        out.push(fixture(&c, who("H001")));

        // H002: went home on 15 April 2024, it broke down and the plan became long-term
        // fostering: not a return home.
        let mut c = open(2003, 23, d(2020, 1, 1), d(2024, 1, 15));
        c.plan(HOME, d(2024, 2, 1))
            .step(HOME, "parent_assessment", d(2024, 3, 1))
            .step(HOME, "return_home_approved", d(2024, 4, 8))
            .step(HOME, "placed_with_parents", d(2024, 4, 15))
            .plan(LTF, d(2024, 7, 1));
        out.push(fixture(&c, who("H002")));

        // H003: left care home (E4B) without a plan.
        let mut c = open(2004, 24, d(2020, 1, 1), d(2024, 8, 1));
        c.given(close(d(2024, 10, 1), ReasonCeased::E4B));
        out.push(fixture(&c, who("H003")));

        let mut c = open(2005, 25, d(2020, 1, 1), d(2023, 9, 4));
        c.plan(LTF, d(2024, 1, 8))
            .step(LTF, "carer_identified", d(2024, 2, 5))
            .step(LTF, "panel_recommendation", d(2024, 4, 8))
            .step(LTF, "match_approved", d(2024, 4, 15))
            .placed(PlacementType::U4, d(2024, 6, 3))
            .step(LTF, "match_confirmed", d(2024, 6, 3));
        out.push(fixture(&c, who("L001")));

        let mut c = open(2006, 26, d(2020, 1, 1), d(2024, 5, 1));
        c.plan(Route::ChildArrangementsOrder, d(2024, 6, 3))
            .step(Route::ChildArrangementsOrder, "cao_granted", d(2024, 8, 1))
            .given(close(d(2024, 8, 1), ReasonCeased::E41));
        out.push(fixture(&c, who("O001")));

        out
    }

    #[test]
    fn days_from_entering_care_to_permanence() {
        let cohort = cohort();
        let report = timeliness_report(&views(&cohort), from(), to());
        let r = &report.route_timeliness;
        // 8 Jan 2024 -> 15 Jul 2024 = 23 + 29 + 31 + 30 + 31 + 30 + 15 = 189
        assert_eq!(
            listed(&r.special_guardianship_order.cases),
            vec![("S001", 189)]
        );
        // H001: 4 Mar 2024 -> 10 Jun 2024 = 27 + 30 + 31 + 10 = 98;
        // H002's return home broke down (plan changed): left out;
        // H003: left care home, 1 Aug 2024 -> 1 Oct 2024 = 31 + 30 = 61.
        assert_eq!(
            listed(&r.return_home.cases),
            vec![("H001", 98), ("H003", 61)]
        );
        // 4 Sep 2023 -> 3 Jun 2024 = 26 + 31 + 30 + 31 + 31 + 29 + 31 + 30 + 31 + 3 = 273
        assert_eq!(listed(&r.long_term_foster_match.cases), vec![("L001", 273)]);
        // 1 May 2024 -> 1 Aug 2024 = 31 + 30 + 31 = 92
        assert_eq!(
            listed(&r.child_arrangements_order.cases),
            vec![("O001", 92)]
        );
        // No adoptions here.
        assert_eq!(report.a1.summary, empty());
    }

    #[test]
    fn days_in_each_step_selected_by_the_later_step() {
        let cohort = cohort();
        let report = timeliness_report(&views(&cohort), from(), to());
        let sg: Vec<(&str, &str, Listed)> = report
            .step_durations
            .iter()
            .filter(|s| s.route == SG)
            .map(|s| {
                (
                    s.from_step.as_str(),
                    s.to_step.as_str(),
                    listed(&s.measure.cases),
                )
            })
            .collect();
        // plan_endorsed (1 Feb) -> assessment_started (5 Feb 2024) is before the window.
        assert_eq!(
            sg,
            vec![
                // 5 Feb -> 1 May 2024 = 24 + 31 + 30 + 1 = 86
                (
                    "assessment_started",
                    "sgo_report_completed",
                    vec![("S001", 86)]
                ),
                (
                    "sgo_report_completed",
                    "support_plan_agreed",
                    vec![("S001", 14)]
                ),
                // 15 May -> 3 Jun = 16 + 3 = 19
                (
                    "support_plan_agreed",
                    "panel_recommendation",
                    vec![("S001", 19)]
                ),
                ("panel_recommendation", "adm_decision", vec![("S001", 7)]),
                // 10 Jun -> 15 Jul = 20 + 15 = 35
                ("adm_decision", "sgo_granted", vec![("S001", 35)]),
            ]
        );
        // H002's reunification plan counts in the step durations even though it was
        // abandoned: approved 8 Apr -> placed 15 Apr 2024 = 7, alongside H001's 7 days
        // (3 Jun -> 10 Jun).
        let placed = report
            .step_durations
            .iter()
            .find(|s| s.route == HOME && s.to_step == "placed_with_parents")
            .expect("listed");
        assert_eq!(
            listed(&placed.measure.cases),
            vec![("H001", 7), ("H002", 7)]
        );
    }

    #[test]
    fn panel_follow_through_on_the_other_routes() {
        let cohort = cohort();
        let report = timeliness_report(&views(&cohort), from(), to());
        let follow: Vec<(&str, &str, Listed)> = report
            .panel_follow_through
            .iter()
            .filter(|f| f.route != Route::Adoption)
            .map(|f| {
                (
                    f.from_step.as_str(),
                    f.to_step.as_str(),
                    listed(&f.measure.cases),
                )
            })
            .collect();
        assert_eq!(
            follow,
            vec![
                // 3 Jun -> 10 Jun 2024
                ("panel_recommendation", "adm_decision", vec![("S001", 7)]),
                // 8 Apr -> 15 Apr 2024
                ("panel_recommendation", "match_approved", vec![("L001", 7)]),
                // 8 Apr -> 3 Jun 2024 = 22 + 31 + 3 = 56
                (
                    "panel_recommendation",
                    "match_confirmed",
                    vec![("L001", 56)]
                ),
            ]
        );
    }

    #[test]
    fn grouped_by_the_route_at_the_end() {
        let cohort = cohort();
        let groups = grouped_report(&views(&cohort), from(), to(), GroupBy::Route);
        let names: Vec<(&str, usize)> = groups
            .iter()
            .map(|g| {
                let n = g.report.route_timeliness.return_home.summary.children
                    + g.report
                        .route_timeliness
                        .special_guardianship_order
                        .summary
                        .children
                    + g.report
                        .route_timeliness
                        .long_term_foster_match
                        .summary
                        .children
                    + g.report
                        .route_timeliness
                        .child_arrangements_order
                        .summary
                        .children;
                (g.group.as_str(), n)
            })
            .collect();
        // S001 closed on its SG plan; H001 on its reunification plan; H002 moved to
        // long-term fostering, as did L001; H003 never had a plan; O001 a CAO.
        assert_eq!(
            names,
            vec![
                (ALL_GROUP, 5),
                ("child arrangements order", 1),
                ("long-term fostering", 1),
                ("none", 1),
                ("reunification", 1),
                ("special guardianship", 1),
            ]
        );
    }
}

mod care_planning {
    use super::*;

    pub(super) fn cohort() -> Vec<Fixture> {
        let who = |r: &str| child(r, d(2020, 1, 1), Sex::Male);
        let mut out = Vec::new();

        // R001, R002 entered on Monday 16 Dec 2024: the first review is due 20 working days
        // later, on Thursday 16 Jan 2025 (Christmas, Boxing Day and New Year's Day skipped).
        let mut c = open(3001, 31, d(2020, 1, 1), d(2024, 12, 16));
        c.given(review(d(2025, 1, 16))) // due 16 Jan: on time (0)
            .plan(Route::LongTermFostering, d(2025, 3, 3))
            .given(review(d(2025, 4, 17))) // due 16 Apr (3 months after 16 Jan): 1 day late
            .given(review(d(2025, 10, 17))); // due 17 Oct (6 months after 17 Apr): on time
        out.push(fixture(&c, who("R001")));

        let mut c = open(3002, 32, d(2020, 1, 1), d(2024, 12, 16));
        c.given(review(d(2025, 1, 17))) // due 16 Jan: 1 day late
            .given(review(d(2025, 4, 10))) // due 17 Apr (3 months after 17 Jan): 7 days early
            .plan(Route::Reunification, d(2025, 5, 1)); // plan 21 days after the 2nd review
        out.push(fixture(&c, who("R002")));

        // R003 entered on Monday 6 Jan 2025: 20 working days (no bank holidays) end on
        // Monday 3 Feb 2025. No plan at all.
        let mut c = open(3003, 33, d(2020, 1, 1), d(2025, 1, 6));
        c.given(review(d(2025, 1, 31))) // due 3 Feb: 3 days early
            .given(review(d(2025, 4, 30))); // due 30 Apr: on time (0)
        out.push(fixture(&c, who("R003")));

        // Care proceedings. P001: issued Mon 8 Jan 2024, an 8-week extension, final hearing
        // Fri 5 Jul 2024 = 179 days: within the 26 weeks beginning with the day of issue,
        // which end on Sun 7 Jul (8 Jul would be a day late). P002: issued 5 Feb 2024, final
        // hearing 4 Sep 2024 = 24 + 31 + 30 + 31 + 30 + 31 + 31 + 4 = 212 days: not within,
        // even with its extension (the 26-week standard does not move).
        let mut c = open(3004, 34, d(2020, 1, 1), d(2023, 12, 1));
        c.given(legal(d(2024, 1, 8), LegalStep::ProceedingsIssued))
            .given(legal(
                d(2024, 5, 1),
                LegalStep::ExtensionGranted { weeks: 8 },
            ))
            .given(legal(
                d(2024, 7, 5),
                LegalStep::FinalHearingHeld {
                    order: FinalOrder::CareOrder,
                },
            ));
        out.push(fixture(&c, who("P001")));
        let mut c = open(3005, 35, d(2020, 1, 1), d(2024, 1, 15));
        c.given(legal(d(2024, 2, 5), LegalStep::ProceedingsIssued))
            .given(legal(
                d(2024, 7, 1),
                LegalStep::ExtensionGranted { weeks: 8 },
            ))
            .given(legal(
                d(2024, 9, 4),
                LegalStep::FinalHearingHeld {
                    order: FinalOrder::SupervisionOrder,
                },
            ));
        out.push(fixture(&c, who("P002")));
        out
    }

    fn listed_share(share: &Share) -> Vec<(&str, Option<i64>, bool)> {
        share
            .cases
            .iter()
            .map(|c| (&*c.child_reference, c.days, c.met))
            .collect()
    }

    #[test]
    fn reviews_held_on_or_before_their_due_date() {
        let cohort = cohort();
        let report = timeliness_report(&views(&cohort), d(2025, 1, 1), d(2025, 12, 31));
        // Days are held minus due.
        assert_eq!(
            listed_share(&report.reviews_on_time),
            vec![
                ("R001", Some(0), true),
                ("R001", Some(1), false),
                ("R001", Some(0), true),
                ("R002", Some(1), false),
                ("R002", Some(-7), true),
                ("R003", Some(-3), true),
                ("R003", Some(0), true),
            ]
        );
        // 5 of 7: 71.43% -> 71.4.
        assert_eq!(share_of(&report.reviews_on_time), (5, 7, Some(71.4)));
    }

    pub(super) fn health_cohort() -> Vec<Fixture> {
        let health = |on| Command::RecordHealthAssessment { on };
        // H001, under five: entered on Monday 16 Dec 2024, so the initial assessment is due
        // with the first review, on Thursday 16 Jan 2025; each later one 6 months after the
        // last. H002, nine: entered on Monday 6 Jan 2025, initial due Monday 3 Feb 2025, then
        // yearly.
        let mut c = open(3101, 41, d(2022, 3, 1), d(2024, 12, 16));
        c.given(health(d(2025, 1, 10))) // due 16 Jan: 6 days early
            .given(health(d(2025, 7, 11))) // due 10 Jul (6 months after 10 Jan): 1 day late
            .given(health(d(2026, 1, 9))); // due 11 Jan 2026: 2 days early
        let under_five = fixture(&c, child("H001", d(2022, 3, 1), Sex::Female));
        let mut c = open(3102, 42, d(2015, 6, 1), d(2025, 1, 6));
        c.given(health(d(2025, 2, 4))) // due 3 Feb: 1 day late
            .given(health(d(2026, 2, 4))); // due 4 Feb 2026 (12 months): on the day
        let from_five = fixture(&c, child("H002", d(2015, 6, 1), Sex::Male));
        vec![under_five, from_five]
    }

    pub(super) fn visits_cohort() -> Vec<Fixture> {
        let visit = |on| Command::RecordVisit {
            on,
            seen_alone: None,
        };
        // V001 entered care on Monday 6 Jan 2025 with carer-1: the first visit is due a
        // week later, on 13 Jan; each later one 6 weeks after the last held.
        let mut c = open(3201, 51, d(2015, 6, 1), d(2025, 1, 6));
        c.given(visit(d(2025, 1, 10))) // due 13 Jan: 3 days early
            .given(visit(d(2025, 2, 24))) // due 21 Feb (10 Jan + 42 days): 3 days late
            // Moves on 10 Mar, before the next visit fell due (7 Apr): nothing missed.
            .placed(PlacementType::K1, d(2025, 3, 10))
            // Moves again on 1 Apr with no visit in the K1 placement, whose first was
            // due on 17 Mar: one visit missed, dated the day it was due.
            .placed(PlacementType::R1, d(2025, 4, 1))
            .given(visit(d(2025, 4, 8))); // due 8 Apr: on the day
        let moved = fixture(&c, child("V001", d(2015, 6, 1), Sex::Female));
        // V002 is placed for adoption on 3 Feb 2025: the visit before it counts, the one
        // during the adoptive placement does not (the Adoption Agencies Regulations).
        let mut c = open(3202, 52, d(2023, 6, 1), d(2025, 1, 6));
        c.given(visit(d(2025, 1, 9))) // due 13 Jan: 4 days early
            .plan(Route::Adoption, d(2025, 1, 13))
            .step(Route::Adoption, "shobpa_decision", d(2025, 1, 20))
            .placed(PlacementType::A4, d(2025, 2, 3))
            .given(visit(d(2025, 2, 5)));
        let adopted = fixture(&c, child("V002", d(2023, 6, 1), Sex::Male));
        // V003 came in by an import: the return holds no visits, so the first one recorded
        // (3 Mar) has no known due date. The next was due 14 Apr (3 Mar + 42 days); after
        // the one on 10 Apr, the next was due 22 May and the child left care on 30 Jun
        // without it: missed.
        let mut c = Case::empty(today());
        let mut opening = open_case(d(2024, 5, 6));
        opening.case_id = CaseId(Uuid::from_u128(3203));
        opening.child_id = ChildId(Uuid::from_u128(53));
        opening.child_birth_date = d(2012, 2, 1);
        c.recorded(Command::OpenCase(opening))
            .recorded(Command::RecordImportedHistory {
                on: d(2024, 5, 6),
                history: permanence_domain::history::ImportedHistory {
                    reviews_in_return: true,
                    health_assessments_in_return: false,
                },
            })
            .given(visit(d(2025, 3, 3)))
            .given(visit(d(2025, 4, 10))) // due 14 Apr: 4 days early
            .given(Command::CloseCase {
                on: d(2025, 6, 30),
                reason: ReasonCeased::E8,
            });
        let imported = fixture(&c, child("V003", d(2012, 2, 1), Sex::Female));
        vec![moved, adopted, imported]
    }

    #[test]
    fn visits_made_on_or_before_their_due_date_and_those_missed() {
        let cohort = visits_cohort();
        let report = timeliness_report(&views(&cohort), d(2025, 1, 1), d(2025, 12, 31));
        assert_eq!(
            listed_share(&report.visits_on_time),
            vec![
                ("V001", Some(-3), true),
                ("V001", Some(3), false),
                ("V001", None, false),
                ("V001", Some(0), true),
                ("V002", Some(-4), true),
                ("V003", Some(-4), true),
                ("V003", None, false),
            ]
        );
        // 4 of 7: 57.14% -> 57.1.
        assert_eq!(share_of(&report.visits_on_time), (4, 7, Some(57.1)));
        // A visit is selected by the day held, a missed one by the day it was due: the
        // window to 31 Mar has V001's first two and its miss on 17 Mar, and V002's visit.
        let quarter = timeliness_report(&views(&cohort), d(2025, 1, 1), d(2025, 3, 31));
        assert_eq!(share_of(&quarter.visits_on_time), (2, 4, Some(50.0)));
    }

    #[test]
    fn health_assessments_held_on_or_before_their_due_date() {
        let cohort = health_cohort();
        let report = timeliness_report(&views(&cohort), d(2025, 1, 1), d(2026, 12, 31));
        assert_eq!(
            listed_share(&report.health_assessments_on_time),
            vec![
                ("H001", Some(-6), true),
                ("H001", Some(1), false),
                ("H001", Some(-2), true),
                ("H002", Some(1), false),
                ("H002", Some(0), true),
            ]
        );
        assert_eq!(
            share_of(&report.health_assessments_on_time),
            (3, 5, Some(60.0))
        );
        // Selected by the day held: 2025 alone has the first two of H001 and the first of H002.
        let year = timeliness_report(&views(&cohort), d(2025, 1, 1), d(2025, 12, 31));
        assert_eq!(
            share_of(&year.health_assessments_on_time),
            (1, 3, Some(33.3))
        );
    }

    #[test]
    fn permanence_plan_by_the_second_review() {
        let cohort = cohort();
        let report = timeliness_report(&views(&cohort), d(2025, 1, 1), d(2025, 12, 31));
        // R001: plan 3 Mar, second review 17 Apr: 45 days before (-45), met.
        // R002: plan 1 May, 21 days after the second review (10 Apr): not met.
        // R003: no plan at all: not met.
        assert_eq!(
            listed_share(&report.permanence_plan_by_second_review),
            vec![
                ("R001", Some(-45), true),
                ("R002", Some(21), false),
                ("R003", None, false),
            ]
        );
        // 1 of 3: 33.3%.
        assert_eq!(
            share_of(&report.permanence_plan_by_second_review),
            (1, 3, Some(33.3))
        );
        // A window that ends before any second review: nothing counted.
        let early = timeliness_report(&views(&cohort), d(2025, 1, 1), d(2025, 4, 9));
        assert_eq!(
            share_of(&early.permanence_plan_by_second_review),
            (0, 0, None)
        );
    }

    /// A period an import brought in, opened on Monday 16 December 2024 (`part_way`: the
    /// return's first episode of it followed others), from a return with or without a
    /// Reviews table.
    fn imported(case_no: u128, part_way: bool, reviews_in_return: bool) -> Case {
        let mut open = open_case(d(2024, 12, 16));
        open.case_id = CaseId(Uuid::from_u128(case_no));
        open.child_id = ChildId(Uuid::from_u128(case_no));
        open.child_birth_date = d(2020, 1, 1);
        if part_way {
            open.details.reason_new_episode = Some(permanence_domain::codes::ReasonNewEpisode::L);
        }
        let mut case = Case::empty(today());
        case.recorded(Command::OpenCase(open))
            .recorded(Command::RecordImportedHistory {
                on: d(2024, 12, 16),
                history: permanence_domain::history::ImportedHistory {
                    reviews_in_return,
                    health_assessments_in_return: false,
                },
            });
        case
    }

    #[test]
    fn an_imported_period_counts_only_the_reviews_whose_due_date_it_holds() {
        let who = |r: &str| child(r, d(2020, 1, 1), Sex::Male);
        // I001 began before the return's history: its first review held (10 Jan 2025)
        // followed others the engine does not hold, so it is neither late nor on time; the
        // next is due 6 months after it (10 Jul 2025), not 3.
        let mut c = imported(4001, true, true);
        c.recorded(review(d(2025, 1, 10)))
            .recorded(review(d(2025, 7, 1))) // due 10 Jul: 9 days early
            .recorded(review(d(2026, 2, 1))); // due 1 Jan 2026: 31 days late
        let mut cohort = vec![fixture(&c, who("I001"))];
        // I002 began inside the return's history, which had the Reviews table: as live,
        // the first review is due 16 Jan and the second 3 months after the first.
        let mut c = imported(4002, false, true);
        c.recorded(review(d(2025, 1, 16))) // on time (0)
            .recorded(review(d(2025, 4, 17))); // due 16 Apr: 1 day late
        cohort.push(fixture(&c, who("I002")));
        // I003's return had no Reviews table: the review a worker recorded (1 Mar 2025) is
        // not known to be the first; the next is due 6 months after it.
        let mut c = imported(4003, false, false);
        c.given(review(d(2025, 3, 1))).given(review(d(2025, 8, 1))); // due 1 Sep: 31 days early
        cohort.push(fixture(&c, who("I003")));

        let report = timeliness_report(&views(&cohort), d(2025, 1, 1), d(2026, 12, 31));
        assert_eq!(
            listed_share(&report.reviews_on_time),
            vec![
                ("I001", Some(-9), true),
                ("I001", Some(31), false),
                ("I002", Some(0), true),
                ("I002", Some(1), false),
                ("I003", Some(-31), true),
            ]
        );
        // The return carries no plans: no imported period is measured for one.
        assert_eq!(
            share_of(&report.permanence_plan_by_second_review),
            (0, 0, None)
        );
    }

    #[test]
    fn care_proceedings_within_26_weeks_and_their_mean_length() {
        let cohort = cohort();
        // Neither final hearing (5 Jul, 4 Sep 2024) is in 2025.
        let report = timeliness_report(&views(&cohort), d(2025, 1, 1), d(2025, 12, 31));
        assert_eq!(share_of(&report.proceedings_within_26_weeks), (0, 0, None));
        assert_eq!(report.proceedings_mean_weeks, None);
        // Both are in the year ending 31 March 2025.
        let report = timeliness_report(&views(&cohort), from(), to());
        assert_eq!(
            listed_share(&report.proceedings_within_26_weeks),
            vec![("P001", Some(179), true), ("P002", Some(212), false)]
        );
        assert_eq!(
            share_of(&report.proceedings_within_26_weeks),
            (1, 2, Some(50.0))
        );
        // Mean (179 + 212) / 2 = 195.5 days = 27.93 weeks -> 27.9.
        assert_eq!(report.proceedings_mean_weeks, Some(27.9));
    }
}

/// The store keeps what `CaseFacts::of` works out, under `FACTS_FORMAT`, and never reads rows
/// of another format. So a change to what it works out (a field, or what an observation
/// means) must come with a new format, or stores would go on reading facts the new rules
/// would not give. This pins the facts of every example above to the format: when it fails,
/// bump `FACTS_FORMAT` and pin the new digest beside it (a change to the examples alone
/// fails it too; then only the digest changes).
#[test]
fn a_change_to_the_facts_comes_with_a_new_format() {
    let mut examples = adoption_cohort();
    examples.extend(waiting_cohort());
    examples.extend(other_routes::cohort());
    examples.extend(care_planning::cohort());
    examples.extend(care_planning::health_cohort());
    examples.extend(care_planning::visits_cohort());
    let mut digest: u64 = 0xcbf2_9ce4_8422_2325;
    for example in &examples {
        // As the store encodes them: a new variant of an enum moves the ones after it.
        let facts = postcard::to_allocvec(&CaseFacts::of(&example.state)).expect("facts");
        // FNV-1a: stable across Rust versions, unlike the standard library's hasher.
        for byte in facts.into_iter().chain([b'\n']) {
            digest = (digest ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    assert_eq!(
        (FACTS_FORMAT, format!("{digest:016x}")),
        (3, "92b18b9c0371caec".to_owned()),
        "what CaseFacts::of works out has changed: bump FACTS_FORMAT and pin the new digest"
    );
}
