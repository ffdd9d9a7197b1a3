//! A generated cohort, applied with the domain's own `decide` and `evolve`, exported: every
//! row has its columns, every child named in a table is in the Header, every episode ends on
//! or after it began, and only the year's episodes are there.
//!
//! With `SSDA903_COHORT_DIR` set, the returns are also written there (one directory per
//! seed and year), to run the national validator over many cohorts without a database:
//! `python .ci/ssda903/validate.py DIR/seed-1/2026 --year 2026 --previous DIR/seed-1/2025`.

use crate::common;

use chrono::NaiveDate;
use common::cohort;
use permanence_ssda903::csv::parse_date;
use permanence_ssda903::{CollectionYear, TableKind, build_return};
use std::collections::BTreeSet;

#[test]
fn a_generated_cohort_exports_well_formed_returns() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
    let out = std::env::var_os("SSDA903_COHORT_DIR").map(std::path::PathBuf::from);
    let seeds: Vec<u64> = std::env::var("SSDA903_COHORT_SEEDS")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2]);
    for seed in seeds {
        let children = cohort(seed, 2000, today);
        for ending in [2025, 2026] {
            let year = CollectionYear::ending(ending).expect("year");
            let ret = build_return(year, &children);
            assert!(ret.warnings.is_empty(), "{:?}", ret.warnings);
            let header = ret.table(TableKind::Header).expect("header");
            let in_header: BTreeSet<&str> = header.column("CHILD").into_iter().collect();
            assert_eq!(
                in_header.len(),
                header.rows.len(),
                "one Header row per child"
            );
            assert!(
                header.rows.len() > 500,
                "{} children in {year}",
                header.rows.len()
            );
            for table in &ret.tables {
                for row in &table.rows {
                    assert_eq!(row.len(), table.kind.columns().len());
                    assert!(
                        in_header.contains(row[0].as_str()),
                        "{} {}",
                        table.kind,
                        row[0]
                    );
                }
            }
            let episodes = ret.table(TableKind::Episodes).expect("episodes");
            for (decom, dec) in episodes.column("DECOM").iter().zip(episodes.column("DEC")) {
                let began = parse_date(decom).expect("DECOM");
                assert!(began <= year.end());
                if let Some(ended) = parse_date(dec) {
                    assert!(began < ended && ended <= year.end() && ended >= year.start());
                }
            }
            if let Some(dir) = &out {
                let dir = dir.join(format!("seed-{seed}")).join(ending.to_string());
                std::fs::create_dir_all(&dir).expect("directory");
                for table in &ret.tables {
                    std::fs::write(
                        dir.join(table.kind.file_name()),
                        permanence_ssda903::csv::write(table),
                    )
                    .expect("written");
                }
            }
        }
    }
}
