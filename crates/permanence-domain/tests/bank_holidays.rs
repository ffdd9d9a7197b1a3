//! Checks the rule-based calendar against the bank holidays published on
//! GOV.UK for England and Wales, so that a wrong rule or a missing one-off
//! change shows up as a concrete differing date.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use permanence_domain::calendar::{bank_holidays, is_bank_holiday, is_working_day};

const PUBLISHED: &str = include_str!("data/bank-holidays-england-and-wales.csv");

/// The published holidays, grouped by year.
fn published() -> BTreeMap<i32, BTreeSet<(NaiveDate, String)>> {
    let mut lines = PUBLISHED.lines().map(str::trim).filter(|l| !l.is_empty());
    assert_eq!(lines.next(), Some("date,name"), "unexpected CSV header");
    let mut by_year: BTreeMap<i32, BTreeSet<(NaiveDate, String)>> = BTreeMap::new();
    for line in lines {
        let (date, name) = line.split_once(',').unwrap();
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        // Names may be quoted if they ever contain a comma.
        let name = name.trim_matches('"').to_owned();
        let fresh = by_year.entry(date.year()).or_default().insert((date, name));
        assert!(fresh, "duplicate row for {date}");
    }
    by_year
}

#[test]
fn computed_calendar_reproduces_published_years_exactly() {
    let published = published();
    assert_eq!(
        published.keys().copied().collect::<Vec<_>>(),
        (2019..=2026).collect::<Vec<_>>(),
        "the CSV should cover 2019 to 2026"
    );
    for (year, expected) in &published {
        let computed: BTreeSet<(NaiveDate, String)> = bank_holidays(*year)
            .into_iter()
            .map(|(date, name)| (date, name.to_owned()))
            .collect();
        let missing: Vec<_> = expected.difference(&computed).collect();
        let extra: Vec<_> = computed.difference(expected).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{year}: missing {missing:?}, unexpected {extra:?}"
        );
    }
}

#[test]
fn every_published_holiday_is_a_non_working_day() {
    for (date, name) in published().into_values().flatten() {
        assert!(is_bank_holiday(date), "{date} {name}");
        assert!(!is_working_day(date), "{date} {name}");
    }
}

#[test]
fn bank_holidays_is_sorted() {
    for year in 2015..=2035 {
        let dates: Vec<_> = bank_holidays(year).into_iter().map(|(d, _)| d).collect();
        let mut sorted = dates.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(dates, sorted, "{year}");
    }
}

#[test]
fn eight_holidays_a_year_except_known_one_offs() {
    for year in 2015..=2035 {
        let expected = match year {
            // Platinum Jubilee extra day and the State Funeral.
            2022 => 10,
            // The coronation.
            2023 => 9,
            // 2020 moved a holiday (VE Day) rather than adding one.
            _ => 8,
        };
        assert_eq!(
            bank_holidays(year).len(),
            expected,
            "{year}: {:?}",
            bank_holidays(year)
        );
    }
}
