//! A placement breakdown in the national return (DOMAIN.md §3.1): the A3–A6 episode ends and
//! a new placement begins with its reason for the change of placement, the decision to
//! place for adoption stays open (no DATE_PLACED_CEASED, no RD reason: the validator's rules
//! 557, 558 and 563); and a return that holds such a history imports as a breakdown, and
//! exports the same again.

use crate::common;

use chrono::NaiveDate;
use common::catalog;
use permanence_domain::case::{CaseState, Command, DecisionContext, OpenCase, PlanRole};
use permanence_domain::child::ChildFacts;
use permanence_domain::codes::{
    LegalStatus, PlacementChangeReason, PlacementProvider, PlacementType, Sex,
};
use permanence_domain::history::{ImportedHistory, decide_recorded};
use permanence_domain::return_facts::PlacementDetails;
use permanence_domain::{CaseId, ChildId, Route, decide, evolve};
use permanence_ssda903::import::{SourceFile, plan_child, read_return};
use permanence_ssda903::table::TableKind;
use permanence_ssda903::{CollectionYear, ReturnChild, build_return};
use uuid::Uuid;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

fn today() -> NaiveDate {
    d(2026, 11, 26)
}

fn ctx() -> DecisionContext<'static> {
    DecisionContext {
        today: today(),
        catalog: catalog(),
    }
}

fn details(postcode: &str) -> PlacementDetails {
    PlacementDetails {
        home_postcode: Some("SW1A 1AA".into()),
        placement_postcode: Some(postcode.into()),
        ..PlacementDetails::default()
    }
}

fn move_to(on: NaiveDate, placement: PlacementType, carer: &str, postcode: &str) -> Command {
    Command::RecordEpisode {
        on,
        legal_status: None,
        placement: Some(placement),
        provider: Some(PlacementProvider::PR1),
        carer: Some(carer.into()),
        details: details(postcode),
    }
}

fn step(step: &str, on: NaiveDate) -> Command {
    Command::RecordRouteStep {
        route: Route::Adoption,
        step: step.into(),
        on,
    }
}

/// Placed for adoption (A4, `placed_commands`); the placement broke down on 2 October 2025,
/// recorded with its reason, and the child moved to foster carers that day (the placement
/// change recorded without a reason of its own).
fn live_case() -> CaseState {
    let mut commands = placed_commands();
    commands.extend([
        Command::RecordPlacementBreakdown {
            route: Route::Adoption,
            on: d(2025, 10, 2),
            reason: PlacementChangeReason::Creqb,
        },
        move_to(d(2025, 10, 2), PlacementType::U6, "FC-2", "B1 1BB"),
    ]);
    live(&commands)
}

/// Applies live commands to a new case.
fn live(commands: &[Command]) -> CaseState {
    let mut state = None;
    for command in commands {
        let events =
            decide(state.as_ref(), command, &ctx()).unwrap_or_else(|e| panic!("{command:?}: {e}"));
        state = events.iter().fold(state, evolve);
    }
    state.expect("a case")
}

/// A child in care from 6 January 2025, placed for adoption (A4, AD-1) on 1 August 2025.
fn placed_commands() -> Vec<Command> {
    vec![
        Command::OpenCase(OpenCase {
            case_id: CaseId(Uuid::from_u128(1)),
            child_id: ChildId(Uuid::from_u128(2)),
            local_authority: "E10000003".into(),
            child_birth_date: d(2023, 6, 1),
            entered_care_on: d(2025, 1, 6),
            legal_status: LegalStatus::C2,
            placement: PlacementType::U6,
            provider: Some(PlacementProvider::PR1),
            carer: Some("FC-1".into()),
            team: None,
            allocated_worker: None,
            details: details("LS1 1AA"),
            legal_round_from_home: None,
        }),
        Command::SetRoutePlan {
            route: Route::Adoption,
            role: PlanRole::Primary,
            on: d(2025, 2, 3),
        },
        step("shobpa_decision", d(2025, 3, 3)),
        Command::RecordEpisode {
            on: d(2025, 5, 1),
            legal_status: Some(LegalStatus::E1),
            placement: None,
            provider: None,
            carer: None,
            details: PlacementDetails::default(),
        },
        step("placement_order", d(2025, 5, 1)),
        step("family_finding", d(2025, 5, 2)),
        step("matching_panel_recommendation", d(2025, 7, 1)),
        step("match_decision", d(2025, 7, 4)),
        step("placed_for_adoption", d(2025, 8, 1)),
        move_to(d(2025, 8, 1), PlacementType::A4, "AD-1", "M1 1AE"),
    ]
}

fn child(periods: Vec<CaseState>) -> ReturnChild {
    ReturnChild {
        reference: "BD1".into(),
        birth_date: d(2023, 6, 1),
        sex: Sex::Female,
        ethnicity: "WBRI".into(),
        facts: ChildFacts {
            upn: None,
            mother: Some(false),
            first_child_born_on: None,
        },
        periods,
    }
}

fn files(children: &[ReturnChild], year: CollectionYear) -> Vec<SourceFile> {
    build_return(year, children)
        .tables
        .iter()
        .map(|table| SourceFile {
            name: table.kind.file_name().to_owned(),
            text: permanence_ssda903::csv::write(table),
        })
        .collect()
}

/// Reads, plans and decides a return as an import does (without a database).
fn import(files: &[SourceFile]) -> Vec<CaseState> {
    let data = read_return(files).unwrap_or_else(|e| panic!("refused: {e:?}"));
    let history = ImportedHistory {
        reviews_in_return: true,
        health_assessments_in_return: false,
    };
    let rows = &data.children[0];
    let planned = plan_child(rows, "E10000003", history).unwrap_or_else(|e| panic!("{e:?}"));
    planned
        .periods
        .iter()
        .map(|period| {
            let open = Command::OpenCase(OpenCase {
                case_id: CaseId(Uuid::from_u128(1)),
                child_id: ChildId(Uuid::from_u128(2)),
                local_authority: "E10000003".into(),
                child_birth_date: planned.child.birth_date,
                entered_care_on: period.entered_care_on,
                legal_status: period.legal_status,
                placement: period.placement,
                provider: period.provider,
                carer: period.carer.clone(),
                team: None,
                allocated_worker: None,
                details: period.details.clone(),
                legal_round_from_home: None,
            });
            let recorded = Command::RecordImportedHistory {
                on: period.entered_care_on,
                history,
            };
            let mut state: Option<CaseState> = None;
            for command in [open, recorded]
                .into_iter()
                .chain(period.commands.iter().map(|c| c.command.clone()))
            {
                let events = decide_recorded(state.as_ref(), &command, &ctx(), None)
                    .unwrap_or_else(|e| panic!("{command:?} refused: {e}"));
                state = events.iter().fold(state, evolve);
            }
            state.expect("a state")
        })
        .collect()
}

#[test]
fn the_adoptive_placement_ends_with_its_reason_and_the_decision_stays_open() {
    let year = CollectionYear::ending(2026).expect("year");
    let ret = build_return(year, &[child(vec![live_case()])]);
    let episodes = ret.table(TableKind::Episodes).expect("episodes");
    let column = |name| episodes.column(name);
    assert_eq!(column("PLACE"), ["U6", "U6", "A4", "U6"]);
    assert_eq!(
        column("DEC"),
        ["01/05/2025", "01/08/2025", "02/10/2025", ""]
    );
    assert_eq!(column("REC"), ["X1", "X1", "X1", ""]);
    assert_eq!(column("RNE"), ["S", "L", "P", "P"]);
    // The breakdown's reason, though the new placement was recorded without one.
    assert_eq!(column("REASON_PLACE_CHANGE")[2], "CREQB");
    let placed = ret.table(TableKind::PlacedAdoption).expect("placed");
    assert_eq!(placed.column("DATE_PLACED"), ["03/03/2025"]);
    assert_eq!(placed.column("DATE_PLACED_CEASED"), [""]);
    assert_eq!(placed.column("REASON_PLACED_CEASED"), [""]);
}

#[test]
fn a_return_with_an_adoptive_placement_that_ended_imports_as_a_breakdown() {
    let year = CollectionYear::ending(2026).expect("year");
    let written = files(&[child(vec![live_case()])], year);
    let imported = import(&written);
    let plan = imported[0]
        .active_plan(Route::Adoption)
        .expect("the adoption plan stands");
    assert!(plan.reversal.is_none());
    assert!(plan.has_open_adoption_decision());
    assert_eq!(plan.current_step(), "family_finding");
    let breakdown = &plan.breakdowns[0];
    assert_eq!(
        (breakdown.on, breakdown.reason, breakdown.stage.as_str()),
        (
            d(2025, 10, 2),
            PlacementChangeReason::Creqb,
            "placed_for_adoption"
        )
    );
    // And the import exports the same return again.
    let again = files(&[child(imported)], year);
    for (before, after) in written.iter().zip(&again) {
        assert_eq!(before.text, after.text, "{}", before.name);
    }
}

#[test]
fn a_temporary_move_from_the_adopters_does_not_import_as_a_breakdown() {
    // Placed with the adopters on 1 August 2025, in hospital (T1) from 1 September, back
    // with them on 10 September: a pause, not a breakdown.
    let mut commands = placed_commands();
    commands.extend([
        move_to(d(2025, 9, 1), PlacementType::T1, "HOSP-1", "B2 2BB"),
        move_to(d(2025, 9, 10), PlacementType::A4, "AD-1", "M1 1AE"),
    ]);
    let year = CollectionYear::ending(2026).expect("year");
    let written = files(&[child(vec![live(&commands)])], year);
    let imported = import(&written);
    let plan = imported[0]
        .active_plan(Route::Adoption)
        .expect("the adoption plan stands");
    assert!(plan.breakdowns.is_empty(), "{:?}", plan.breakdowns);
}
