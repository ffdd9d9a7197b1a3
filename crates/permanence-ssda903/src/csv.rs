//! The return's CSV: a header line of column names, then one line per row; dates as
//! dd/mm/yyyy. Values are quoted only when they need it.

use crate::table::Table;
use chrono::NaiveDate;

/// dd/mm/yyyy, as the return writes dates.
pub fn date(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

/// Reads a dd/mm/yyyy date (one-digit days and months are forgiven).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%d/%m/%Y").ok()
}

/// The table as CSV text, lines ending in `\n`.
pub fn write(table: &Table) -> String {
    write_rows(table.kind.columns(), &table.rows)
}

/// Any header and rows as CSV text, quoted as RFC 4180 says, lines ending in `\n`.
pub fn write_rows(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    push_line(&mut out, header.iter().copied());
    for row in rows {
        push_line(&mut out, row.iter().map(String::as_str));
    }
    out
}

fn push_line<'a>(out: &mut String, values: impl Iterator<Item = &'a str>) {
    for (i, value) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if value.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&value.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(value);
        }
    }
    out.push('\n');
}

/// Splits CSV text into records of fields (RFC 4180: quoted fields may hold commas, quotes
/// and line breaks). Answers the line each record starts on with it.
pub fn read(text: &str) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let mut records = Vec::new();
    let mut field = String::new();
    let mut record: Vec<String> = Vec::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                in_quotes = true;
                any = true;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                any = true;
            }
            '\r' => {}
            '\n' => {
                if any || !field.is_empty() {
                    record.push(std::mem::take(&mut field));
                    records.push((record_line, std::mem::take(&mut record)));
                }
                any = false;
                line += 1;
                record_line = line;
            }
            _ => {
                field.push(c);
                any = true;
            }
        }
    }
    if in_quotes {
        return Err(CsvError::UnclosedQuote { line: record_line });
    }
    if any || !field.is_empty() {
        record.push(field);
        records.push((record_line, record));
    }
    Ok(records)
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("line {line}: a quoted value is not closed")]
    UnclosedQuote { line: usize },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::TableKind;

    #[test]
    fn dates_are_day_month_year() {
        let day = NaiveDate::from_ymd_opt(2025, 4, 1).expect("date");
        assert_eq!(date(day), "01/04/2025");
        assert_eq!(parse_date("01/04/2025"), Some(day));
        assert_eq!(parse_date("1/4/2025"), Some(day));
        assert_eq!(parse_date("2025-04-01"), None);
        assert_eq!(parse_date("31/02/2025"), None);
    }

    #[test]
    fn written_tables_read_back() {
        let mut table = Table::new(TableKind::Reviews);
        table.rows.push(vec![
            "C1".into(),
            "01/01/2020".into(),
            "02/02/2025".into(),
            "PN0".into(),
        ]);
        table.rows.push(vec![
            "C,2".into(),
            "say \"hi\"".into(),
            String::new(),
            String::new(),
        ]);
        let text = write(&table);
        assert!(text.starts_with("CHILD,DOB,REVIEW,REVIEW_CODE\nC1,01/01/2020,02/02/2025,PN0\n"));
        let records = read(&text).expect("reads");
        assert_eq!(records.len(), 3);
        assert_eq!(records[2].0, 3);
        assert_eq!(records[2].1, table.rows[1]);
        assert!(read("a,\"b").is_err());
    }
}
