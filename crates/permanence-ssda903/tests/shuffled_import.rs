//! Property: any return the cohort generator writes, its rows shuffled into any order (the
//! order of a table's rows means nothing to the national validator), is read, planned and
//! decided as recorded history (`decide_recorded`, as an import does) into periods of care
//! that export the same return again, row for row.
//!
//! This is the import's whole path short of the database (which `tests/tests/e2e/ssda903.rs`
//! covers on SQLite and PostgreSQL with one cohort).

use crate::common;

use chrono::NaiveDate;
use common::{catalog, cohort};
use permanence_domain::case::{CaseState, Command, DecisionContext, OpenCase};
use permanence_domain::history::{ImportedHistory, decide_recorded};
use permanence_domain::{CaseId, ChildId, evolve};
use permanence_ssda903::import::{SourceFile, plan_child, read_return};
use permanence_ssda903::{CollectionYear, ReturnChild, build_return};
use proptest::prelude::*;
use uuid::Uuid;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).expect("date")
}

/// The return's files, as CSV text.
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

/// The files with each table's rows (not its header) in an order drawn from `seed`, and the
/// files themselves in reverse order.
fn shuffled(files: &[SourceFile], seed: u64) -> Vec<SourceFile> {
    let mut state = seed | 1;
    let mut next = move || {
        // xorshift64*: enough to draw a permutation in a test.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    files
        .iter()
        .rev()
        .map(|file| {
            let mut lines: Vec<&str> = file.text.lines().collect();
            let rows = &mut lines[1..];
            for i in (1..rows.len()).rev() {
                let j = usize::try_from(next() % (i as u64 + 1)).expect("index");
                rows.swap(i, j);
            }
            SourceFile {
                name: file.name.clone(),
                text: lines.iter().map(|l| format!("{l}\n")).collect(),
            }
        })
        .collect()
}

/// Reads and decides `files` as an import does, without a database.
fn imported(files: &[SourceFile]) -> Vec<ReturnChild> {
    let data = read_return(files).unwrap_or_else(|e| panic!("refused: {e:?}"));
    let ctx = DecisionContext {
        today: today(),
        catalog: catalog(),
    };
    let history = ImportedHistory {
        reviews_in_return: true,
        health_assessments_in_return: false,
    };
    data.children
        .iter()
        .enumerate()
        .map(|(n, rows)| {
            let child =
                plan_child(rows, "E10000003", history).unwrap_or_else(|e| panic!("refused: {e:?}"));
            let periods = child
                .periods
                .iter()
                .enumerate()
                .map(|(p, period)| {
                    let open = Command::OpenCase(OpenCase {
                        case_id: CaseId(Uuid::from_u128(((n as u128) << 8) | (p as u128 + 1))),
                        child_id: ChildId(Uuid::from_u128((n as u128) << 8)),
                        local_authority: "E10000003".into(),
                        child_birth_date: child.child.birth_date,
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
                    let commands = [open, recorded]
                        .into_iter()
                        .chain(period.commands.iter().map(|c| c.command.clone()));
                    let mut state: Option<CaseState> = None;
                    for command in commands {
                        let events = decide_recorded(state.as_ref(), &command, &ctx, None)
                            .unwrap_or_else(|e| panic!("{command:?} refused: {e}"));
                        state = events.iter().fold(state, evolve);
                    }
                    state.expect("a state")
                })
                .collect();
            ReturnChild {
                reference: child.child.reference.clone(),
                birth_date: child.child.birth_date,
                sex: child.child.sex,
                ethnicity: child.child.ethnicity.clone(),
                facts: child.child.facts.clone(),
                periods,
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_shuffled_return_imports_and_exports_the_same(cohort_seed in 1u64..10_000, order in any::<u64>()) {
        let year = CollectionYear::ending(2026).expect("year");
        let written = files(&cohort(cohort_seed, 120, today()), year);
        let again = files(&imported(&shuffled(&written, order)), year);
        for (before, after) in written.iter().zip(&again) {
            prop_assert_eq!(&before.name, &after.name);
            prop_assert_eq!(&before.text, &after.text, "{}", before.name);
        }
    }
}
