//! A collection year: 1 April to 31 March, named by the year it ends in, and the codes
//! that changed between years.

use chrono::NaiveDate;
use permanence_domain::codes::{PlacementType, Sex};
use std::fmt;

/// The collection year ending on 31 March of `ending` (2026: 1 April 2025 to 31 March 2026).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CollectionYear {
    ending: i32,
}

/// The first year whose return codes sex as M, F or U (2024-25); before it, 1 and 2.
const SEX_LETTERS_FROM: i32 = 2025;
/// The first year with placement K3 (supported accommodation): 2024-25.
const K3_FROM: i32 = 2025;
/// The first year without H5, P2 and Z1 (split into Z11 to Z14): 2025-26.
const H5_P2_Z1_UNTIL: i32 = 2025;

impl CollectionYear {
    /// The year ending 31 March `ending`; `None` outside the years the return has existed
    /// in this form (from 1992 to 9999).
    pub fn ending(ending: i32) -> Option<Self> {
        (1992..=9999).contains(&ending).then_some(Self { ending })
    }

    /// The latest year that has ended on or before `today`.
    pub fn latest_ended(today: NaiveDate) -> Self {
        use chrono::Datelike;
        let ending = if (today.month(), today.day()) >= (3, 31) {
            today.year()
        } else {
            today.year() - 1
        };
        Self { ending }
    }

    pub fn ending_year(self) -> i32 {
        self.ending
    }

    /// 1 April of the year before.
    pub fn start(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.ending - 1, 4, 1).unwrap_or(NaiveDate::MIN)
    }

    /// 31 March.
    pub fn end(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.ending, 3, 31).unwrap_or(NaiveDate::MAX)
    }

    pub fn contains(self, day: NaiveDate) -> bool {
        self.start() <= day && day <= self.end()
    }

    /// SEX as this year's return writes it: 1 and 2 up to 2023-24 (which had no code for
    /// unknown: left blank), M, F and U from 2024-25.
    pub fn sex_code(self, sex: Sex) -> &'static str {
        if self.ending >= SEX_LETTERS_FROM {
            sex.code()
        } else {
            match sex {
                Sex::Male => "1",
                Sex::Female => "2",
                Sex::Unknown => "",
            }
        }
    }

    /// Reads SEX as this year's return writes it.
    pub fn parse_sex(self, code: &str) -> Option<Sex> {
        if self.ending >= SEX_LETTERS_FROM {
            Sex::parse(code)
        } else {
            match code {
                "1" => Some(Sex::Male),
                "2" => Some(Sex::Female),
                _ => None,
            }
        }
    }

    /// Whether this year's return has the placement code.
    pub fn has_placement(self, placement: PlacementType) -> bool {
        match placement {
            PlacementType::K3 => self.ending >= K3_FROM,
            PlacementType::H5 | PlacementType::P2 | PlacementType::Z1 => {
                self.ending <= H5_P2_Z1_UNTIL
            }
            _ => true,
        }
    }
}

impl fmt::Display for CollectionYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.ending - 1, self.ending.rem_euclid(100))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn a_year_runs_from_april_to_march() {
        let year = CollectionYear::ending(2026).expect("year");
        assert_eq!((year.start(), year.end()), (d(2025, 4, 1), d(2026, 3, 31)));
        assert!(year.contains(d(2025, 4, 1)) && year.contains(d(2026, 3, 31)));
        assert!(!year.contains(d(2025, 3, 31)) && !year.contains(d(2026, 4, 1)));
        assert_eq!(year.to_string(), "2025-26");
        assert_eq!(CollectionYear::latest_ended(d(2026, 11, 26)), year);
        assert_eq!(
            CollectionYear::latest_ended(d(2026, 3, 30)).ending_year(),
            2025
        );
    }

    #[test]
    fn sex_is_numeric_up_to_2023_24_and_letters_after() {
        let old = CollectionYear::ending(2024).expect("year");
        let new = CollectionYear::ending(2025).expect("year");
        assert_eq!(old.sex_code(Sex::Male), "1");
        assert_eq!(old.sex_code(Sex::Female), "2");
        assert_eq!(new.sex_code(Sex::Male), "M");
        assert_eq!(new.sex_code(Sex::Female), "F");
        assert_eq!(new.sex_code(Sex::Unknown), "U");
        assert_eq!(old.parse_sex("2"), Some(Sex::Female));
        assert_eq!(old.parse_sex("F"), None);
        assert_eq!(new.parse_sex("1"), None);
    }

    #[test]
    fn placement_codes_follow_the_year() {
        let y2324 = CollectionYear::ending(2024).expect("year");
        let y2526 = CollectionYear::ending(2026).expect("year");
        assert!(!y2324.has_placement(PlacementType::K3));
        assert!(y2526.has_placement(PlacementType::K3));
        assert!(y2324.has_placement(PlacementType::H5));
        assert!(!y2526.has_placement(PlacementType::H5));
        assert!(y2526.has_placement(PlacementType::U6));
    }
}
