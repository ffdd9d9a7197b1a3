//! How dates, days and links read on a page: the GOV.UK style ("1 March 2023", "3 days
//! overdue").

use chrono::NaiveDate;
use permanence_domain::Deadline;
use permanence_domain::DriftStatus;
use permanence_domain::deadlines::Drift;

/// "1 March 2023".
pub(crate) fn date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// "1 day", "3 days".
pub(crate) fn days(n: i64) -> String {
    if n == 1 {
        "1 day".to_owned()
    } else {
        format!("{n} days")
    }
}

/// A figure as a page shows it: whole numbers without a decimal point ("258"), others to one
/// place ("143.5"), thousands separated ("1,204").
pub(crate) fn number(value: f64) -> String {
    let tenths = (value * 10.0).round() as i64;
    let (whole, tenth) = (tenths / 10, (tenths % 10).abs());
    let sign = if tenths < 0 { "-" } else { "" };
    let digits = whole.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if tenth == 0 {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{tenth}")
    }
}

/// A deadline's standing in words and the GOV.UK tag colour that goes with it: "Overdue by 3
/// days" (red), "Due today" or "Due in 5 days" (yellow), "On track" (green), "Not known from
/// the return" (grey: an imported period's deadline the engine cannot date, never overdue).
pub(crate) fn deadline_status(standing: Drift) -> (String, &'static str) {
    match standing.status {
        DriftStatus::Overdue => (
            format!("Overdue by {}", days(standing.days_overdue)),
            "govuk-tag--red",
        ),
        DriftStatus::DueSoon if standing.days_until_due == 0 => {
            ("Due today".to_owned(), "govuk-tag--yellow")
        }
        DriftStatus::DueSoon => (
            format!("Due in {}", days(standing.days_until_due)),
            "govuk-tag--yellow",
        ),
        DriftStatus::OnTrack => ("On track".to_owned(), "govuk-tag--green"),
        DriftStatus::NotKnownFromReturn => {
            ("Not known from the return".to_owned(), "govuk-tag--grey")
        }
    }
}

/// A deadline's due date, when the engine knows it ("1 March 2023").
pub(crate) fn due_date(deadline: &Deadline) -> Option<String> {
    deadline.known_due_on().map(date)
}

/// The text with its first letter in capitals ("placement order" → "Placement order").
pub(crate) use permanence_domain::words::capitalised;

/// A value made safe to put in a link's query string (percent-encoding everything but
/// unreserved characters).
pub(crate) fn query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The text a `query_value` encoded (any percent-encoding, in fact); `None` when it is not
/// well-formed or not UTF-8.
pub(crate) fn percent_decoded(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Where to go after signing in: only a path on this site, never another host (`//host`,
/// `/\host` or a full URL would make the sign-in page an open redirect). Control characters
/// are refused too: browsers drop tabs and newlines from a URL, so `/<tab>/host` is `//host`.
pub(crate) fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.chars().any(char::is_control) =>
        {
            p
        }
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_days_read_as_gov_uk_writes_them() {
        let d = NaiveDate::from_ymd_opt(2023, 3, 1).expect("date");
        assert_eq!(date(d), "1 March 2023");
        assert_eq!(days(1), "1 day");
        assert_eq!(days(0), "0 days");
        assert_eq!(days(12), "12 days");
    }

    #[test]
    fn figures_read_whole_or_to_one_place_with_thousands_separated() {
        assert_eq!(number(258.0), "258");
        assert_eq!(number(143.5), "143.5");
        assert_eq!(number(1204.0), "1,204");
        assert_eq!(number(1234567.25), "1,234,567.3");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(-42.5), "-42.5");
        assert_eq!(number(-0.04), "0");
    }

    #[test]
    fn a_deadline_reads_as_its_standing() {
        use permanence_domain::deadlines::drift;
        let today = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
        let on = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(
            deadline_status(drift(on(2026, 10, 30), today, 7)),
            ("Overdue by 3 days".to_owned(), "govuk-tag--red")
        );
        assert_eq!(
            deadline_status(drift(today, today, 7)),
            ("Due today".to_owned(), "govuk-tag--yellow")
        );
        assert_eq!(
            deadline_status(drift(on(2026, 11, 3), today, 7)),
            ("Due in 1 day".to_owned(), "govuk-tag--yellow")
        );
        assert_eq!(
            deadline_status(drift(on(2026, 11, 20), today, 7)),
            ("On track".to_owned(), "govuk-tag--green")
        );
        assert_eq!(
            deadline_status(Drift::not_known_from_return()),
            ("Not known from the return".to_owned(), "govuk-tag--grey")
        );
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(local_path(Some("/cases/1?x=2")), "/cases/1?x=2");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "",
            "cases",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn query_values_are_percent_encoded_and_decoded() {
        assert_eq!(query_value("/cases?a=1&b=2"), "%2Fcases%3Fa%3D1%26b%3D2");
        assert_eq!(query_value("plain-text_1.0~"), "plain-text_1.0~");
        for text in ["/cases?a=1&b=2", "Zoë's page", "", "100%"] {
            assert_eq!(percent_decoded(&query_value(text)).as_deref(), Some(text));
        }
        for bad in ["%", "%4", "%zz", "%+1", "%FF"] {
            assert_eq!(percent_decoded(bad), None, "{bad}");
        }
    }
}
