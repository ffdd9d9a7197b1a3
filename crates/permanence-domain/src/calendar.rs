//! England and Wales bank holidays and working-day arithmetic.
//!
//! Many statutory timescales in children's social care are expressed in
//! working days ("first review within 20 working days", "initial child
//! protection conference within 15 working days of the strategy
//! discussion"). A working day is any day that is not a Saturday, a Sunday or
//! a bank holiday in England and Wales, so deadlines cannot be computed
//! without knowing the bank holidays of the year.
//!
//! The calendar is computed by rule rather than loaded from a file, so that it
//! works for any year without I/O and without a network fetch, and so that
//! this crate stays pure. The rules are those of the Banking and Financial
//! Dealings Act 1971 as amended (including the 1978 Early May bank holiday),
//! with the usual weekend substitution. One-off changes made by royal
//! proclamation cannot be derived from a rule, so they are kept as data in
//! [`ADJUSTMENTS`]; that table is complete from 2015 to at least 2035 as far
//! as announcements are known, and must be extended whenever a new one-off
//! bank holiday is proclaimed. Earlier one-offs (1995, 1999, 2002, 2011,
//! 2012) are not recorded, and the rules are applied unchanged to years
//! before they were enacted, so results for years before 2015 are
//! approximate.
//!
//! Names follow the GOV.UK bank holidays feed exactly, including its
//! inconsistent capitalisation, so that values can be compared with that
//! feed and shown to users in the form they already recognise.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// The statutory rules that each produce one bank holiday per year.
///
/// Adjustments refer to a rule rather than to a date so that a one-off move
/// states what it replaces; that keeps the table readable and means a move
/// cannot accidentally leave the original day in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    NewYear,
    GoodFriday,
    EasterMonday,
    EarlyMay,
    Spring,
    Summer,
    Christmas,
    Boxing,
}

/// A one-off departure from the rules, made by proclamation.
#[derive(Debug, Clone, Copy)]
enum Adjustment {
    /// The rule date for `rule` in `year` is replaced by `with`, or cancelled
    /// outright when `with` is `None`.
    Replace {
        year: i32,
        rule: Rule,
        with: Option<(NaiveDate, &'static str)>,
    },
    /// An additional bank holiday.
    Extra { date: NaiveDate, name: &'static str },
}

/// Builds a table date at compile time; an impossible date is a build error,
/// not a runtime panic, because this is only used in constant context.
const fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("invalid date in bank holiday adjustment table"),
    }
}

/// Known one-off changes, in date order.
const ADJUSTMENTS: &[Adjustment] = &[
    // 75th anniversary of VE Day: the Monday holiday moved to the Friday.
    Adjustment::Replace {
        year: 2020,
        rule: Rule::EarlyMay,
        with: Some((ymd(2020, 5, 8), "Early May bank holiday (VE Day)")),
    },
    // Platinum Jubilee: the late May holiday moved to make a four-day weekend.
    Adjustment::Replace {
        year: 2022,
        rule: Rule::Spring,
        with: Some((ymd(2022, 6, 2), "Spring bank holiday")),
    },
    Adjustment::Extra {
        date: ymd(2022, 6, 3),
        name: "Platinum Jubilee bank holiday",
    },
    Adjustment::Extra {
        date: ymd(2022, 9, 19),
        name: "Bank Holiday for the State Funeral of Queen Elizabeth II",
    },
    Adjustment::Extra {
        date: ymd(2023, 5, 8),
        name: "Bank holiday for the coronation of King Charles III",
    },
];

/// How many holidays a single year can hold: one per rule plus every extra
/// day in the table (a generous bound, since extras are spread over years).
/// Sizing it from the table keeps the per-year computation allocation-free
/// without a limit that a future table entry could silently exceed.
const CAPACITY: usize = 8 + count_extras(ADJUSTMENTS);

const fn count_extras(table: &[Adjustment]) -> usize {
    let mut count = 0;
    let mut i = 0;
    while i < table.len() {
        if let Adjustment::Extra { .. } = table[i] {
            count += 1;
        }
        i += 1;
    }
    count
}

/// One year's bank holidays on the stack, so that the hot paths
/// ([`is_working_day`], [`add_working_days`]) never allocate.
struct YearHolidays {
    items: [(NaiveDate, &'static str); CAPACITY],
    len: usize,
}

impl YearHolidays {
    fn push(&mut self, date: NaiveDate, name: &'static str) {
        // CAPACITY counts every rule and every extra, so this cannot be
        // exceeded; the guard keeps a future mistake from panicking.
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = (date, name);
            self.len += 1;
        }
    }

    fn as_slice(&self) -> &[(NaiveDate, &'static str)] {
        &self.items[..self.len]
    }

    fn contains(&self, date: NaiveDate) -> bool {
        self.as_slice().iter().any(|&(d, _)| d == date)
    }
}

/// Easter Sunday in the Gregorian calendar (anonymous Gregorian algorithm,
/// as given by Meeus). Euclidean division keeps it well defined for the
/// proleptic negative years chrono can represent.
fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let y = i64::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

fn first_monday(year: i32, month: u32) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let offset = (7 - first.weekday().num_days_from_monday()) % 7;
    first.checked_add_days(Days::new(u64::from(offset)))
}

fn last_monday(year: i32, month: u32, last_day: u32) -> Option<NaiveDate> {
    let last = NaiveDate::from_ymd_opt(year, month, last_day)?;
    last.checked_sub_days(Days::new(u64::from(last.weekday().num_days_from_monday())))
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The date and name each rule gives for `year`, before adjustments.
/// Substitute days carry a distinct name because that is how they are
/// published, and users check deadlines against the published list.
fn rule_dates(year: i32) -> [(Rule, Option<(NaiveDate, &'static str)>); 8] {
    let on = |month, day| NaiveDate::from_ymd_opt(year, month, day);

    let new_year = on(1, 1).and_then(|d| match d.weekday() {
        Weekday::Sat => Some((on(1, 3)?, "New Year's Day (substitute day)")),
        Weekday::Sun => Some((on(1, 2)?, "New Year's Day (substitute day)")),
        _ => Some((d, "New Year's Day")),
    });

    let easter = easter_sunday(year);
    let good_friday = easter
        .and_then(|e| e.checked_sub_days(Days::new(2)))
        .map(|d| (d, "Good Friday"));
    let easter_monday = easter
        .and_then(|e| e.checked_add_days(Days::new(1)))
        .map(|d| (d, "Easter Monday"));

    // Christmas and Boxing Day are substituted as a pair: when Christmas falls
    // on a Sunday, Boxing Day keeps its own Monday and Christmas moves past it
    // to the Tuesday, so the two days cannot be substituted independently.
    const XMAS: &str = "Christmas Day";
    const XMAS_SUB: &str = "Christmas Day (substitute day)";
    const BOXING: &str = "Boxing Day";
    const BOXING_SUB: &str = "Boxing Day (substitute day)";
    let (christmas, boxing) = match on(12, 25).map(|d| d.weekday()) {
        Some(Weekday::Fri) => (
            on(12, 25).map(|d| (d, XMAS)),
            on(12, 28).map(|d| (d, BOXING_SUB)),
        ),
        Some(Weekday::Sat) => (
            on(12, 27).map(|d| (d, XMAS_SUB)),
            on(12, 28).map(|d| (d, BOXING_SUB)),
        ),
        Some(Weekday::Sun) => (
            on(12, 27).map(|d| (d, XMAS_SUB)),
            on(12, 26).map(|d| (d, BOXING)),
        ),
        Some(_) => (
            on(12, 25).map(|d| (d, XMAS)),
            on(12, 26).map(|d| (d, BOXING)),
        ),
        None => (None, None),
    };

    [
        (Rule::NewYear, new_year),
        (Rule::GoodFriday, good_friday),
        (Rule::EasterMonday, easter_monday),
        (
            Rule::EarlyMay,
            first_monday(year, 5).map(|d| (d, "Early May bank holiday")),
        ),
        (
            Rule::Spring,
            last_monday(year, 5, 31).map(|d| (d, "Spring bank holiday")),
        ),
        (
            Rule::Summer,
            last_monday(year, 8, 31).map(|d| (d, "Summer bank holiday")),
        ),
        (Rule::Christmas, christmas),
        (Rule::Boxing, boxing),
    ]
}

/// All bank holidays of `year`, sorted by date, without allocating.
fn year_holidays(year: i32) -> YearHolidays {
    let mut out = YearHolidays {
        items: [(NaiveDate::MIN, ""); CAPACITY],
        len: 0,
    };
    for (rule, computed) in rule_dates(year) {
        let replacement = ADJUSTMENTS.iter().find_map(|adj| match *adj {
            Adjustment::Replace {
                year: y,
                rule: r,
                with,
            } if y == year && r == rule => Some(with),
            _ => None,
        });
        if let Some((date, name)) = replacement.unwrap_or(computed) {
            out.push(date, name);
        }
    }
    for adj in ADJUSTMENTS {
        if let Adjustment::Extra { date, name } = *adj
            && date.year() == year
        {
            out.push(date, name);
        }
    }
    // Substitution and moved days can reorder the rule sequence (Boxing Day
    // before the Christmas substitute; a moved Spring holiday after an extra).
    out.items[..out.len].sort_unstable_by_key(|&(date, _)| date);
    out
}

/// The bank holidays of England and Wales in `year`, sorted by date, with
/// the names used by GOV.UK. Years outside chrono's range give an empty list.
pub fn bank_holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    year_holidays(year).as_slice().to_vec()
}

/// Whether `date` is a bank holiday in England and Wales.
pub fn is_bank_holiday(date: NaiveDate) -> bool {
    year_holidays(date.year()).contains(date)
}

/// Whether `date` is a working day: neither a weekend day nor a bank holiday.
pub fn is_working_day(date: NaiveDate) -> bool {
    // The weekend test is far cheaper than computing the year's holidays, and
    // settles two days in seven.
    !is_weekend(date) && !is_bank_holiday(date)
}

/// Day index with 0 = Monday 1 January 1 CE, so that weekday arithmetic is
/// plain modular arithmetic on integers.
fn day_index(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - 1
}

fn from_day_index(index: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(index.checked_add(1)?).ok()?)
}

/// A running count of Monday-to-Friday days up to and including day `index`.
/// Only differences are meaningful; using Euclidean division keeps the count
/// consistent across the year-zero boundary.
fn weekday_count(index: i64) -> i64 {
    5 * index.div_euclid(7) + (index.rem_euclid(7) + 1).min(5)
}

/// The earliest day whose running weekday count is `count`: the inverse of
/// [`weekday_count`], landing on a weekday whenever a weekday is reachable.
fn index_for_weekday_count(count: i64) -> i64 {
    7 * (count - 1).div_euclid(5) + (count - 1).rem_euclid(5)
}

/// Bank holidays falling on weekdays in `(from, to]`, with `from <= to`.
/// Weekend dates are excluded so that this can be subtracted from a weekday
/// count without double-counting.
fn weekday_holidays_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut count = 0;
    for year in from.year()..=to.year() {
        let holidays = year_holidays(year);
        count += holidays
            .as_slice()
            .iter()
            .filter(|&&(d, _)| from < d && d <= to && !is_weekend(d))
            .count();
    }
    // A year holds at most CAPACITY holidays and chrono spans well under
    // a million years, so the count is far below i64::MAX.
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// The number of working days `d` with `from < d <= to`; negative (and
/// symmetric) when `to` is before `from`.
///
/// This is the inverse of [`add_working_days`]:
/// `working_days_between(s, add_working_days(s, n)) == n`.
pub fn working_days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    if to < from {
        return -working_days_between(to, from);
    }
    let weekdays = weekday_count(day_index(to)) - weekday_count(day_index(from));
    weekdays - weekday_holidays_between(from, to)
}

/// The date `n` working days after `start`, or `None` if that is beyond
/// [`NaiveDate::MAX`].
pub fn checked_add_working_days(start: NaiveDate, n: u32) -> Option<NaiveDate> {
    // Jump over `remaining` weekdays in O(1), then count the bank holidays
    // that were jumped over and jump again by that many. Each round covers a
    // far shorter span than the last (a year has ~253 weekdays and 8
    // holidays), so this settles in two or three rounds even for n in the
    // millions, instead of walking day by day.
    let mut cursor = start;
    let mut remaining = i64::from(n);
    while remaining > 0 {
        let target = weekday_count(day_index(cursor)) + remaining;
        let next = from_day_index(index_for_weekday_count(target))?;
        remaining = weekday_holidays_between(cursor, next);
        cursor = next;
    }
    Some(cursor)
}

/// The date `n` working days after `start`. `start` itself is not counted,
/// whether or not it is a working day, so `n = 0` returns `start` and any
/// `n > 0` returns a working day.
///
/// A result beyond [`NaiveDate::MAX`] (tens of millions of working days
/// away, far beyond any real timescale) saturates to [`NaiveDate::MAX`];
/// use [`checked_add_working_days`] to detect that instead.
pub fn add_working_days(start: NaiveDate, n: u32) -> NaiveDate {
    checked_add_working_days(start, n).unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// The obvious day-by-day definition, used as an oracle for the
    /// week-skipping implementation.
    fn naive_add(start: NaiveDate, n: u32) -> NaiveDate {
        let mut date = start;
        let mut left = n;
        while left > 0 {
            date = date.succ_opt().unwrap();
            if is_working_day(date) {
                left -= 1;
            }
        }
        date
    }

    fn naive_between(from: NaiveDate, to: NaiveDate) -> i64 {
        let (lo, hi, sign) = if from <= to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut count = 0;
        let mut date = lo;
        while date < hi {
            date = date.succ_opt().unwrap();
            if is_working_day(date) {
                count += 1;
            }
        }
        sign * count
    }

    #[test]
    fn easter_sunday_matches_published_dates() {
        let cases = [
            (2000, d(2000, 4, 23)),
            (2008, d(2008, 3, 23)),
            (2011, d(2011, 4, 24)),
            (2019, d(2019, 4, 21)),
            (2024, d(2024, 3, 31)),
            (2025, d(2025, 4, 20)),
            (2038, d(2038, 4, 25)),
            (1818, d(1818, 3, 22)), // earliest possible
            (1886, d(1886, 4, 25)), // latest possible
            (2285, d(2285, 3, 22)), // earliest possible
            (1943, d(1943, 4, 25)), // latest possible
        ];
        for (year, expected) in cases {
            assert_eq!(easter_sunday(year), Some(expected), "Easter {year}");
        }
    }

    #[test]
    fn easter_is_always_a_sunday_in_range() {
        for year in 1583..=4099 {
            let e = easter_sunday(year).unwrap();
            assert_eq!(e.weekday(), Weekday::Sun, "{year}");
            assert!(e >= d(year, 3, 22) && e <= d(year, 4, 25), "{year}: {e}");
        }
    }

    #[test]
    fn christmas_on_saturday_substitutes_monday_and_tuesday() {
        let h = bank_holidays(2021);
        assert!(h.contains(&(d(2021, 12, 27), "Christmas Day (substitute day)")));
        assert!(h.contains(&(d(2021, 12, 28), "Boxing Day (substitute day)")));
        assert!(!is_bank_holiday(d(2021, 12, 25)));
        assert!(!is_bank_holiday(d(2021, 12, 26)));
    }

    #[test]
    fn christmas_on_sunday_keeps_boxing_day_and_moves_christmas_to_tuesday() {
        let h = bank_holidays(2022);
        let december: Vec<_> = h.iter().filter(|(date, _)| date.month() == 12).collect();
        assert_eq!(
            december,
            [
                &(d(2022, 12, 26), "Boxing Day"),
                &(d(2022, 12, 27), "Christmas Day (substitute day)"),
            ]
        );
    }

    #[test]
    fn christmas_on_friday_moves_boxing_day_to_monday() {
        let h = bank_holidays(2020);
        assert!(h.contains(&(d(2020, 12, 25), "Christmas Day")));
        assert!(h.contains(&(d(2020, 12, 28), "Boxing Day (substitute day)")));
    }

    #[test]
    fn new_year_substitution() {
        // 1 Jan 2022 was a Saturday, 1 Jan 2023 a Sunday.
        assert_eq!(
            bank_holidays(2022)[0],
            (d(2022, 1, 3), "New Year's Day (substitute day)")
        );
        assert_eq!(
            bank_holidays(2023)[0],
            (d(2023, 1, 2), "New Year's Day (substitute day)")
        );
        assert!(!is_bank_holiday(d(2022, 1, 1)));
        assert!(!is_bank_holiday(d(2023, 1, 1)));
        assert_eq!(bank_holidays(2024)[0], (d(2024, 1, 1), "New Year's Day"));
    }

    #[test]
    fn one_off_changes_replace_rather_than_add() {
        assert!(is_bank_holiday(d(2020, 5, 8)));
        assert!(!is_bank_holiday(d(2020, 5, 4)));
        assert!(is_bank_holiday(d(2022, 6, 2)));
        assert!(is_bank_holiday(d(2022, 6, 3)));
        assert!(!is_bank_holiday(d(2022, 5, 30)));
        assert!(is_bank_holiday(d(2022, 9, 19)));
        assert!(is_bank_holiday(d(2023, 5, 8)));
        assert!(is_bank_holiday(d(2023, 5, 1)));
    }

    #[test]
    fn holidays_are_sorted_unique_weekdays() {
        for year in 1900..=2200 {
            let h = bank_holidays(year);
            assert!(h.windows(2).all(|w| w[0].0 < w[1].0), "{year}: {h:?}");
            assert!(h.iter().all(|&(date, _)| !is_weekend(date)), "{year}");
            assert!(h.iter().all(|&(date, _)| date.year() == year), "{year}");
        }
    }

    #[test]
    fn years_outside_chrono_range_are_empty_not_panicking() {
        assert!(bank_holidays(i32::MAX).is_empty());
        assert!(bank_holidays(i32::MIN).is_empty());
        assert_eq!(bank_holidays(NaiveDate::MAX.year()).len(), 8);
        assert_eq!(bank_holidays(NaiveDate::MIN.year()).len(), 8);
    }

    #[test]
    fn working_day_examples() {
        assert!(!is_working_day(d(2023, 1, 2))); // New Year substitute
        assert!(!is_working_day(d(2023, 1, 7))); // Saturday
        assert!(is_working_day(d(2023, 1, 3)));
        assert!(is_working_day(d(2022, 5, 30))); // moved Spring holiday
    }

    #[test]
    fn add_working_days_examples() {
        // The start day is never counted, even when it is itself a holiday.
        assert_eq!(add_working_days(d(2023, 1, 2), 7), d(2023, 1, 11));
        assert_eq!(add_working_days(d(2023, 1, 2), 0), d(2023, 1, 2));
        assert_eq!(add_working_days(d(2023, 1, 7), 0), d(2023, 1, 7));
        // Across Christmas 2022: 23 Dec (Fri) + 1 skips the weekend, Boxing
        // Day and the Christmas substitute.
        assert_eq!(add_working_days(d(2022, 12, 23), 1), d(2022, 12, 28));
        // Across Christmas and New Year 2021/22.
        assert_eq!(add_working_days(d(2021, 12, 24), 1), d(2021, 12, 29));
        assert_eq!(add_working_days(d(2021, 12, 24), 3), d(2021, 12, 31));
        assert_eq!(add_working_days(d(2021, 12, 24), 4), d(2022, 1, 4));
        // Across Easter 2025: Thu 17 Apr + 1 skips Good Friday, the weekend
        // and Easter Monday.
        assert_eq!(add_working_days(d(2025, 4, 17), 1), d(2025, 4, 22));
        // 20 working days from Monday 14 April 2025 (three holidays in span).
        assert_eq!(add_working_days(d(2025, 4, 14), 20), d(2025, 5, 15));
    }

    #[test]
    fn add_working_days_matches_day_by_day_oracle() {
        let mut start = d(2018, 11, 1);
        while start < d(2027, 2, 1) {
            for n in [0, 1, 2, 3, 4, 5, 6, 7, 10, 15, 20, 25, 40, 65, 130, 300] {
                assert_eq!(
                    add_working_days(start, n),
                    naive_add(start, n),
                    "{start} + {n}"
                );
            }
            start = start.succ_opt().unwrap();
        }
    }

    #[test]
    fn round_trip_and_between_properties() {
        // A cheap deterministic generator: no extra dependency needed, and
        // failures reproduce exactly.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let base = d(1990, 1, 1);
        for _ in 0..20_000 {
            let start = base + Days::new(next() % (70 * 366));
            let n = u32::try_from(next() % 2_000).unwrap();
            let end = add_working_days(start, n);
            assert_eq!(
                working_days_between(start, end),
                i64::from(n),
                "{start} + {n}"
            );
            assert_eq!(working_days_between(end, start), -i64::from(n));
            if n > 0 {
                assert!(is_working_day(end), "{start} + {n} = {end}");
                // It is the first such day: the day before has one fewer.
                let before = end.pred_opt().unwrap();
                assert_eq!(working_days_between(start, before), i64::from(n) - 1);
            } else {
                assert_eq!(end, start);
            }
        }
    }

    #[test]
    fn between_matches_day_by_day_oracle() {
        let mut state: u64 = 12345;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state >> 33
        };
        let base = d(2010, 1, 1);
        // Spans of up to two years keep the day-by-day oracle fast while
        // still crossing every holiday and year boundary from 2010 to 2032.
        for _ in 0..5_000 {
            let a = base + Days::new(next() % 8_000);
            let b = a + Days::new(next() % 800) - Days::new(next() % 800);
            assert_eq!(working_days_between(a, b), naive_between(a, b), "{a}..{b}");
        }
    }

    #[test]
    fn between_identities() {
        let a = d(2022, 12, 1);
        let b = d(2023, 6, 30);
        let c = d(2024, 2, 29);
        assert_eq!(working_days_between(a, a), 0);
        assert_eq!(working_days_between(a, b), -working_days_between(b, a));
        assert_eq!(
            working_days_between(a, c),
            working_days_between(a, b) + working_days_between(b, c)
        );
        // A single step onto a working day counts 1, onto a holiday 0.
        assert_eq!(working_days_between(d(2023, 1, 3), d(2023, 1, 4)), 1);
        assert_eq!(working_days_between(d(2023, 1, 1), d(2023, 1, 2)), 0);
        // 2023 had 260 weekdays and 9 bank holidays, all on weekdays.
        assert_eq!(working_days_between(d(2022, 12, 31), d(2023, 12, 31)), 251);
    }

    #[test]
    fn long_spans_and_the_edge_of_the_calendar() {
        let start = d(2000, 1, 1);
        let n = 1_000_000;
        let end = add_working_days(start, n);
        assert_eq!(working_days_between(start, end), i64::from(n));
        assert!(is_working_day(end));
        // Far beyond chrono's range: saturates rather than panicking.
        assert_eq!(checked_add_working_days(start, u32::MAX), None);
        assert_eq!(add_working_days(start, u32::MAX), NaiveDate::MAX);
        let near_max = NaiveDate::MAX - Days::new(10);
        assert_eq!(checked_add_working_days(near_max, 100), None);
        assert!(checked_add_working_days(near_max, 3).is_some());
    }
}
