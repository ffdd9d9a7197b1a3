//! The period the dashboard covers: chosen with two GOV.UK date inputs or a quick link (the
//! last 12 months, this financial year, the last three years), and the period of the same
//! length just before it, which every tile is compared with.
//!
//! Dates come in the query string (the form is a GET, so a view can be bookmarked and works
//! without JavaScript): `from-day`/`-month`/`-year` and `to-…` from the form, `period=` from a
//! quick link, or `from`/`to` as ISO dates from the dashboard's own links.

use crate::form::{FieldError, Values};
use chrono::{Datelike, Days, Months, NaiveDate};

/// Both days included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A quick choice: its key in the link, and its words.
pub(crate) const PERIODS: [(&str, &str); 3] = [
    ("12-months", "Last 12 months"),
    ("financial-year", "This financial year"),
    ("3-years", "Last 3 years"),
];

impl Window {
    /// The quick choice `key`, ending today (this financial year: from its 1 April to today,
    /// as the year's figures stand so far).
    pub fn period(key: &str, today: NaiveDate) -> Option<Window> {
        let back = |months: u32| {
            today
                .checked_sub_months(Months::new(months))
                .and_then(|d| d.checked_add_days(Days::new(1)))
        };
        let from = match key {
            "12-months" => back(12)?,
            "3-years" => back(36)?,
            "financial-year" => {
                let year = if today.month() >= 4 {
                    today.year()
                } else {
                    today.year() - 1
                };
                NaiveDate::from_ymd_opt(year, 4, 1)?
            }
            _ => return None,
        };
        Some(Window { from, to: today })
    }

    /// The default: the last 12 months.
    pub fn default_for(today: NaiveDate) -> Window {
        Self::period("12-months", today).unwrap_or(Window {
            from: today,
            to: today,
        })
    }

    pub fn days(self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The period of the same length that ends the day before this one starts.
    pub fn previous(self) -> Window {
        let length = Days::new(self.days().unsigned_abs());
        let to = self.from.pred_opt().unwrap_or(self.from);
        let from = self.from.checked_sub_days(length).unwrap_or(self.from);
        Window { from, to }
    }

    /// The window as a link's query: `from=2025-11-03&to=2026-11-02`.
    pub fn query(self) -> String {
        format!("from={}&to={}", self.from, self.to)
    }

    /// Which quick choice this window is, today.
    pub fn quick_choice(self, today: NaiveDate) -> Option<&'static str> {
        PERIODS
            .iter()
            .find(|(key, _)| Self::period(key, today) == Some(self))
            .map(|(key, _)| *key)
    }
}

/// What was asked for: a window, or the problems with the dates typed (and the values to
/// show again in the boxes either way).
pub(crate) struct Asked {
    pub window: Result<Window, Vec<FieldError>>,
    pub values: Values,
}

/// Reads the window from the query.
pub(crate) fn asked(query: &[(String, String)], today: NaiveDate) -> Asked {
    let values = Values::new(query.to_vec());
    let typed = ["from", "to"].iter().any(|name| {
        ["day", "month", "year"]
            .iter()
            .any(|part| values.text(&format!("{name}-{part}")).is_some())
    });
    let window = if typed {
        from_boxes(&values, today)
    } else if let (Some(from), Some(to)) = (values.text("from"), values.text("to")) {
        match (iso(&from), iso(&to)) {
            (Some(from), Some(to)) => check(Window { from, to }, today),
            _ => Err(vec![FieldError::new(
                "from-day",
                "Enter the start and end of the period",
            )]),
        }
    } else if let Some(key) = values.text("period") {
        Window::period(&key, today).ok_or_else(|| {
            vec![FieldError::new(
                "from-day",
                "Choose one of the periods listed",
            )]
        })
    } else {
        Ok(Window::default_for(today))
    };
    let mut values = values;
    if let Ok(w) = &window {
        // The boxes show the window in force, however it was chosen.
        for (name, date) in [("from", w.from), ("to", w.to)] {
            values.set(&format!("{name}-day"), date.day().to_string());
            values.set(&format!("{name}-month"), date.month().to_string());
            values.set(&format!("{name}-year"), date.year().to_string());
        }
    }
    Asked { window, values }
}

fn iso(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn from_boxes(values: &Values, today: NaiveDate) -> Result<Window, Vec<FieldError>> {
    let mut errors = Vec::new();
    let from = crate::form::take(&mut errors, values.date("from", "the start date"));
    let to = crate::form::take(&mut errors, values.date("to", "the end date"));
    match (from, to) {
        (Some(from), Some(to)) => check(Window { from, to }, today),
        _ => Err(errors),
    }
}

/// A window the dashboard can show: it ends by today, not before it starts, and is no
/// longer than the engine's reports allow.
fn check(window: Window, today: NaiveDate) -> Result<Window, Vec<FieldError>> {
    let refuse = |field: &str, message: String| Err(vec![FieldError::new(field, message)]);
    if window.to > today {
        return refuse("to-day", "The end date must be today or in the past".into());
    }
    if window.to < window.from {
        return refuse(
            "to-day",
            "The end date must be the same as or after the start date".into(),
        );
    }
    if permanence_engine::reports::check_window(window.from, window.to).is_err() {
        return refuse(
            "from-day",
            format!(
                "The period can be at most {} years long",
                permanence_engine::reports::MAX_WINDOW_YEARS
            ),
        );
    }
    Ok(window)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
    }

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn window(pairs: &[(&str, &str)], today: NaiveDate) -> Result<Window, Vec<FieldError>> {
        asked(&query(pairs), today).window
    }

    #[test]
    fn the_quick_choices_end_today() {
        let today = on(2026, 11, 2);
        assert_eq!(
            window(&[], today),
            Ok(Window {
                from: on(2025, 11, 3),
                to: today
            })
        );
        assert_eq!(
            window(&[("period", "financial-year")], today),
            Ok(Window {
                from: on(2026, 4, 1),
                to: today
            })
        );
        // Before April, the financial year began the April before.
        assert_eq!(
            Window::period("financial-year", on(2027, 3, 31)).map(|w| w.from),
            Some(on(2026, 4, 1))
        );
        assert_eq!(
            window(&[("period", "3-years")], today),
            Ok(Window {
                from: on(2023, 11, 3),
                to: today
            })
        );
        assert_eq!(
            Window::default_for(today).quick_choice(today),
            Some("12-months")
        );
    }

    #[test]
    fn the_previous_period_has_the_same_length_and_ends_the_day_before() {
        let w = Window {
            from: on(2025, 11, 3),
            to: on(2026, 11, 2),
        };
        assert_eq!(w.days(), 365);
        let p = w.previous();
        assert_eq!(
            p,
            Window {
                from: on(2024, 11, 3),
                to: on(2025, 11, 2)
            }
        );
        assert_eq!(p.days(), 365);
        let one_day = Window {
            from: on(2026, 3, 1),
            to: on(2026, 3, 1),
        };
        assert_eq!(
            one_day.previous(),
            Window {
                from: on(2026, 2, 28),
                to: on(2026, 2, 28)
            }
        );
    }

    #[test]
    fn typed_dates_are_read_from_their_boxes_and_shown_again() {
        let today = on(2026, 11, 2);
        let asked = asked(
            &query(&[
                ("from-day", "1"),
                ("from-month", "4"),
                ("from-year", "2024"),
                ("to-day", "31"),
                ("to-month", "3"),
                ("to-year", "2025"),
            ]),
            today,
        );
        assert_eq!(
            asked.window,
            Ok(Window {
                from: on(2024, 4, 1),
                to: on(2025, 3, 31)
            })
        );
        assert_eq!(asked.values.get("to-day"), "31");
        // A link's ISO dates fill the boxes.
        let linked = super::asked(
            &query(&[("from", "2025-01-01"), ("to", "2025-03-31")]),
            today,
        );
        assert_eq!(linked.values.get("from-month"), "1");
        assert_eq!(linked.values.get("to-day"), "31");
    }

    #[test]
    fn bad_dates_are_refused_by_the_field_with_the_reason() {
        let today = on(2026, 11, 2);
        let messages = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            window(pairs, today)
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| (e.field, e.message))
                .collect()
        };
        assert_eq!(
            messages(&[
                ("from-day", "31"),
                ("from-month", "2"),
                ("from-year", "2026"),
                ("to-month", "3"),
                ("to-year", "2026"),
            ]),
            [
                (
                    "from-day".to_owned(),
                    "The start date must be a real date".to_owned()
                ),
                (
                    "to-day".to_owned(),
                    "The end date must include a day".to_owned()
                ),
            ]
        );
        let reversed = [
            ("from-day", "1"),
            ("from-month", "6"),
            ("from-year", "2026"),
            ("to-day", "1"),
            ("to-month", "5"),
            ("to-year", "2026"),
        ];
        assert_eq!(
            messages(&reversed),
            [(
                "to-day".to_owned(),
                "The end date must be the same as or after the start date".to_owned()
            )]
        );
        let future = [("from", "2026-01-01"), ("to", "2026-12-31")];
        assert_eq!(
            messages(&future),
            [(
                "to-day".to_owned(),
                "The end date must be today or in the past".to_owned()
            )]
        );
        let too_long = [("from", "1990-01-01"), ("to", "2026-01-01")];
        assert_eq!(
            messages(&too_long)[0].1,
            "The period can be at most 20 years long"
        );
        assert_eq!(messages(&[("period", "forever")])[0].0, "from-day");
    }
}
