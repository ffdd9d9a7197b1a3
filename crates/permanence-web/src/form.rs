//! Forms the GOV.UK way: each field with its label and hint, what was typed kept when the form
//! comes back, an error summary at the top linking to each field with a problem, and the
//! message beside the field.
//!
//! A form is described as data ([`Field`]s) and drawn by one template, so that every form
//! reads, behaves and fails the same way. Values come back as text; each form turns them into
//! an engine command and says, field by field, what is wrong.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A message for the error summary and, where it belongs to a field, beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldError {
    /// The id of the element the summary links to (for a date, its day box).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The values of a form, as sent (or as to be shown again), by field name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Values(Vec<(String, String)>);

/// Names a form sends that are not what the person typed.
const ENVELOPE: &[&str] = &["csrf_token"];

impl Values {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Self(
            pairs
                .into_iter()
                .filter(|(k, _)| !ENVELOPE.contains(&k.as_str()))
                .collect(),
        )
    }

    /// The value sent for a name ("" when none was).
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value sent for a name, in order (the ticked boxes of a list of checkboxes).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Adds one more value for a name (a name may have several, as checkboxes send them).
    pub fn add(&mut self, name: &str, value: String) {
        self.0.push((name.to_owned(), value));
    }

    pub fn set(&mut self, name: &str, value: String) {
        match self.0.iter_mut().find(|(k, _)| k == name) {
            Some(pair) => pair.1 = value,
            None => self.0.push((name.to_owned(), value)),
        }
    }

    /// The trimmed value, or `None` when the field was left empty.
    pub fn text(&self, name: &str) -> Option<String> {
        let value = self.get(name).trim();
        (!value.is_empty()).then(|| value.to_owned())
    }

    /// A GOV.UK date input's three boxes (`{name}-day`, `-month`, `-year`) as a date, with the
    /// Design System's messages: "Enter the date ...", "... must include a month", "... must
    /// be a real date".
    pub fn date(&self, name: &str, what: &str) -> Result<NaiveDate, FieldError> {
        let part = |p: &str| self.get(&format!("{name}-{p}")).trim().to_owned();
        let (day, month, year) = (part("day"), part("month"), part("year"));
        let first_box = |p: &str| format!("{name}-{p}");
        let missing: Vec<&str> = [("day", &day), ("month", &month), ("year", &year)]
            .iter()
            .filter(|(_, v)| v.is_empty())
            .map(|(p, _)| *p)
            .collect();
        match missing.as_slice() {
            [] => {}
            [one] => {
                return Err(FieldError::new(
                    first_box(one),
                    format!("{} must include a {one}", crate::format::capitalised(what)),
                ));
            }
            [one, two] => {
                return Err(FieldError::new(
                    first_box(one),
                    format!(
                        "{} must include a {one} and {two}",
                        crate::format::capitalised(what)
                    ),
                ));
            }
            _ => return Err(FieldError::new(first_box("day"), format!("Enter {what}"))),
        }
        let real = || {
            FieldError::new(
                first_box("day"),
                format!("{} must be a real date", crate::format::capitalised(what)),
            )
        };
        let (Ok(d), Ok(m), Ok(y)) = (
            day.parse::<u32>(),
            month.parse::<u32>(),
            year.parse::<i32>(),
        ) else {
            return Err(real());
        };
        if year.len() != 4 {
            return Err(FieldError::new(
                first_box("year"),
                format!("Year must include 4 numbers (for {what})"),
            ));
        }
        NaiveDate::from_ymd_opt(y, m, d).ok_or_else(real)
    }

    /// A date that may be left out: all three boxes empty is `None`; anything typed must make
    /// a date, with the same messages as [`Values::date`].
    pub fn optional_date(&self, name: &str, what: &str) -> Result<Option<NaiveDate>, FieldError> {
        let typed = ["day", "month", "year"]
            .iter()
            .any(|p| !self.get(&format!("{name}-{p}")).trim().is_empty());
        if typed {
            self.date(name, what).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A choice from a list: `parse` turns the sent value into the thing chosen.
    pub fn choice<T>(
        &self,
        name: &str,
        unchosen: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, FieldError> {
        let value = self.get(name).trim();
        if value.is_empty() {
            return Err(FieldError::new(name, unchosen));
        }
        // Only a tampered form sends a value the list did not offer.
        parse(value).ok_or_else(|| FieldError::new(name, "Choose one of the options listed"))
    }

    /// An optional choice: empty is `None`.
    pub fn optional_choice<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, FieldError> {
        let value = self.get(name).trim();
        if value.is_empty() {
            return Ok(None);
        }
        parse(value)
            .map(Some)
            .ok_or_else(|| FieldError::new(name, "Choose one of the options listed"))
    }
}

/// The value, or `None` with its problem noted: so that every field's problem is found at once.
pub(crate) fn take<T>(errors: &mut Vec<FieldError>, result: Result<T, FieldError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

/// One option of a list.
#[derive(Clone, Debug)]
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            label: label.into(),
        }
    }

    /// The options of an SSDA903 code list: "E1: placement order granted".
    pub fn codes<T: Copy>(
        all: &[T],
        code: impl Fn(T) -> &'static str,
        label: impl Fn(T) -> &'static str,
    ) -> Vec<Choice> {
        all.iter()
            .map(|&c| Choice::new(code(c), format!("{}: {}", code(c), label(c))))
            .collect()
    }
}

/// How a field is entered.
#[derive(Clone, Debug)]
pub(crate) enum Control {
    /// Day, month and year boxes.
    Date,
    /// One line of text; the class sets its width (`govuk-input--width-10`).
    Text { width: &'static str },
    /// A drop-down list, with an empty first option when the field is optional or has no
    /// sensible default.
    Select { choices: Vec<Choice> },
    /// Radio buttons: for a few options that should all be seen.
    Radios { choices: Vec<Choice> },
    /// Several lines of text.
    Textarea,
    /// A list of checkboxes, any number ticked: each ticked box sends its value under the
    /// field's name.
    Checkboxes { choices: Vec<Choice> },
}

/// One field of a form.
#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub name: &'static str,
    pub label: String,
    pub hint: Option<String>,
    pub control: Control,
}

impl Field {
    pub fn new(name: &'static str, label: impl Into<String>, control: Control) -> Self {
        Self {
            name,
            label: label.into(),
            hint: None,
            control,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A date field, with the GOV.UK hint.
    pub fn date(name: &'static str, label: impl Into<String>) -> Self {
        Self::new(name, label, Control::Date).hint("For example, 27 3 2026")
    }

    /// The note every command may carry.
    pub fn note() -> Self {
        Self::new("note", "Note (optional)", Control::Textarea)
            .hint("What someone reading the case later should know. Do not repeat what the form already records.")
    }

    /// What the template draws: "date", "text", "select", "radios", "checkboxes" or
    /// "textarea".
    pub fn kind(&self) -> &'static str {
        match self.control {
            Control::Date => "date",
            Control::Text { .. } => "text",
            Control::Select { .. } => "select",
            Control::Radios { .. } => "radios",
            Control::Textarea => "textarea",
            Control::Checkboxes { .. } => "checkboxes",
        }
    }

    /// The options of a list, of radio buttons or of checkboxes.
    pub fn choices(&self) -> &[Choice] {
        match &self.control {
            Control::Select { choices }
            | Control::Radios { choices }
            | Control::Checkboxes { choices } => choices,
            _ => &[],
        }
    }

    /// The width class of a text input.
    pub fn width(&self) -> &'static str {
        match self.control {
            Control::Text { width } => width,
            _ => "",
        }
    }

    /// The ids of the hint and error that describe the field, for `aria-describedby`.
    pub fn described_by(&self, has_error: bool) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("{}-hint", self.name));
        }
        if has_error {
            ids.push(format!("{}-error", self.name));
        }
        ids.join(" ")
    }

    /// Whether it is a date.
    pub fn is_date(&self) -> bool {
        matches!(self.control, Control::Date)
    }

    /// The id the error summary links to: the first box of a date, else the field itself.
    pub fn anchor(&self) -> String {
        if self.is_date() {
            format!("{}-day", self.name)
        } else {
            self.name.to_owned()
        }
    }
}

/// A form as shown: its fields, the values to show in them, and what is wrong.
pub(crate) struct FormView {
    pub fields: Vec<Field>,
    pub values: Values,
    pub errors: Vec<FieldError>,
}

impl FormView {
    pub fn new(fields: Vec<Field>, values: Values, errors: Vec<FieldError>) -> Self {
        Self {
            fields,
            values,
            errors,
        }
    }

    /// The message beside a field (for a date, any of its boxes').
    pub fn error_for(&self, field: &Field) -> Option<&str> {
        let prefix = format!("{}-", field.name);
        self.errors
            .iter()
            .find(|e| e.field == field.name || (field.is_date() && e.field.starts_with(&prefix)))
            .map(|e| e.message.as_str())
    }

    /// Whether this box of a date is the one in error (it gets the red border).
    pub fn date_box_in_error(&self, field: &Field, part: &str) -> bool {
        let name = format!("{}-{part}", field.name);
        self.errors.iter().any(|e| e.field == name)
            || (part == "day" && self.errors.iter().any(|e| e.field == field.name))
    }

    pub fn value(&self, name: &str) -> &str {
        self.values.get(name)
    }

    pub fn date_part(&self, field: &Field, part: &str) -> &str {
        self.values.get(&format!("{}-{part}", field.name))
    }

    pub fn is_chosen(&self, field: &Field, choice: &Choice) -> bool {
        self.values.all(field.name).any(|v| v == choice.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Values {
        Values::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn a_date_is_read_from_its_three_boxes() {
        let v = values(&[("on-day", "1"), ("on-month", "3"), ("on-year", "2023")]);
        assert_eq!(
            v.date("on", "the date"),
            NaiveDate::from_ymd_opt(2023, 3, 1).ok_or(FieldError::new("", ""))
        );
    }

    #[test]
    fn a_date_says_what_is_missing_and_points_at_that_box() {
        let none = values(&[]);
        assert_eq!(
            none.date("on", "the date of the review"),
            Err(FieldError::new("on-day", "Enter the date of the review"))
        );
        let no_month = values(&[("on-day", "1"), ("on-year", "2023")]);
        assert_eq!(
            no_month.date("on", "the date of the review"),
            Err(FieldError::new(
                "on-month",
                "The date of the review must include a month"
            ))
        );
        let not_real = values(&[("on-day", "30"), ("on-month", "2"), ("on-year", "2023")]);
        assert_eq!(
            not_real.date("on", "the date of the review"),
            Err(FieldError::new(
                "on-day",
                "The date of the review must be a real date"
            ))
        );
        let short_year = values(&[("on-day", "3"), ("on-month", "2"), ("on-year", "23")]);
        assert_eq!(
            short_year.date("on", "the date").map_err(|e| e.field),
            Err("on-year".to_owned())
        );
    }

    #[test]
    fn the_csrf_token_is_not_kept_as_a_value() {
        let v = values(&[("csrf_token", "secret"), ("note", "typed")]);
        assert_eq!(v.get("csrf_token"), "");
        assert_eq!(v.get("note"), "typed");
    }

    #[test]
    fn an_optional_date_left_empty_is_none_and_a_half_typed_one_is_refused() {
        let empty = values(&[("by-day", ""), ("by-month", " "), ("by-year", "")]);
        assert_eq!(empty.optional_date("by", "the date"), Ok(None));
        let half = values(&[("by-day", "1"), ("by-year", "2026")]);
        assert_eq!(
            half.optional_date("by", "the date").map_err(|e| e.field),
            Err("by-month".to_owned())
        );
        let whole = values(&[("by-day", "1"), ("by-month", "10"), ("by-year", "2026")]);
        assert_eq!(
            whole.optional_date("by", "the date"),
            Ok(NaiveDate::from_ymd_opt(2026, 10, 1))
        );
    }

    #[test]
    fn every_ticked_box_is_kept_and_shown_ticked() {
        let v = values(&[("ready", "medical_report"), ("ready", "legal_advice")]);
        assert_eq!(
            v.all("ready").collect::<Vec<_>>(),
            ["medical_report", "legal_advice"]
        );
        let field = Field::new(
            "ready",
            "Documents received",
            Control::Checkboxes {
                choices: vec![
                    Choice::new("child_permanence_report", "Child's permanence report"),
                    Choice::new("medical_report", "Medical report"),
                ],
            },
        );
        let form = FormView::new(vec![field.clone()], v, Vec::new());
        let ticked: Vec<bool> = field
            .choices()
            .iter()
            .map(|c| form.is_chosen(&field, c))
            .collect();
        assert_eq!(ticked, [false, true]);
    }

    #[test]
    fn a_choice_that_was_not_offered_is_refused() {
        let v = values(&[("reason", "Amelia, 14/03/2019")]);
        let err = v
            .choice("reason", "Choose a reason", |s| (s == "E11").then_some(()))
            .expect_err("not offered");
        assert_eq!(err.message, "Choose one of the options listed");
    }
}
