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

/// Any header and rows as CSV text, quoted as RFC 4180 says (only the values holding a comma,
/// a quote or a line break), lines ending in `\n` as the validator's own files do.
pub fn write_rows(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        // Rows are written as they are given, whatever their length, as they always were.
        .flexible(true)
        .from_writer(Vec::new());
    // Writing into memory cannot fail, and every value is a string, so the text is UTF-8.
    writer.write_record(header).expect("writing to memory");
    for row in rows {
        writer.write_record(row).expect("writing to memory");
    }
    let bytes = writer.into_inner().expect("writing to memory");
    String::from_utf8(bytes).expect("CSV written from strings is UTF-8")
}

/// A record after the text, which a reader sees as its own only if every quoted value in the
/// text was closed (`csv` ends a value left open at the end of the input without a word).
const END_MARK: &str = "\n\u{0}end of text";

/// Splits CSV text into records of fields (RFC 4180: quoted fields may hold commas, quotes
/// and line breaks; a byte order mark is skipped, lines may end in `\r\n`, blank lines are
/// skipped, records may differ in length). Answers the line each record starts on with it.
pub fn read(text: &str) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let input = format!("{}{END_MARK}", text.trim_start_matches('\u{feff}'));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input.as_bytes());
    let mut lines = Lines::new(input.as_bytes());
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|err| CsvError::Unreadable {
            line: err.position().map_or(0, |p| lines.at(p)),
        })?;
        let line = record.position().map_or(0, |p| lines.at(p));
        records.push((line, record.iter().map(str::to_owned).collect::<Vec<_>>()));
    }
    let (line, last) = records.pop().expect("the end mark is read as a record");
    if last != [&END_MARK[1..]] {
        return Err(CsvError::UnclosedQuote { line });
    }
    Ok(records)
}

/// The line a record starts on, counted from its byte offset. `csv`'s own line numbers fall
/// behind after a `\r\n` or a blank line (a record's position is taken before the line break
/// that precedes it is read past), and an error must name the row a spreadsheet shows.
struct Lines<'a> {
    text: &'a [u8],
    counted_to: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a [u8]) -> Self {
        Self {
            text,
            counted_to: 0,
            line: 1,
        }
    }

    /// Positions are asked for in order, so each byte is counted once.
    fn at(&mut self, position: &csv::Position) -> usize {
        let byte = usize::try_from(position.byte())
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        let breaks = self.text[byte..]
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        let start = (byte + breaks).max(self.counted_to);
        self.line += self.text[self.counted_to..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.counted_to = start;
        self.line
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("line {line}: a quoted value is not closed")]
    UnclosedQuote { line: usize },
    #[error("line {line}: not readable as CSV")]
    Unreadable { line: usize },
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

    #[test]
    fn a_byte_order_mark_and_crlf_line_ends_are_read_past() {
        let records = read("\u{feff}CHILD,DOB\r\nC1,\"01/01/2020\"\r\n").expect("reads");
        assert_eq!(
            records,
            vec![
                (1, vec!["CHILD".to_owned(), "DOB".to_owned()]),
                (2, vec!["C1".to_owned(), "01/01/2020".to_owned()]),
            ]
        );
    }

    #[test]
    fn quoted_line_breaks_stay_in_their_value_and_lines_are_counted_past_them() {
        let records = read("A,B\n\"one\r\ntwo\",x\n\nC,D\nE").expect("reads");
        assert_eq!(
            records,
            vec![
                (1, vec!["A".to_owned(), "B".to_owned()]),
                (2, vec!["one\r\ntwo".to_owned(), "x".to_owned()]),
                (5, vec!["C".to_owned(), "D".to_owned()]),
                (6, vec!["E".to_owned()]),
            ]
        );
    }

    #[test]
    fn a_quote_left_open_is_refused_at_the_line_its_record_starts() {
        assert_eq!(
            read("A,B\nC,D\nE,\"F\nG,H\n"),
            Err(CsvError::UnclosedQuote { line: 3 })
        );
        assert_eq!(
            read("A,\"B\""),
            Ok(vec![(1, vec!["A".to_owned(), "B".to_owned()])])
        );
        assert_eq!(read(""), Ok(Vec::new()));
    }

    #[test]
    fn values_are_quoted_only_when_they_need_it_and_lines_end_in_lf() {
        let text = write_rows(
            &["A", "B"],
            &[
                vec!["plain".into(), "a,b".into()],
                vec!["say \"hi\"".into(), "one\ntwo".into()],
                vec!["cr\r".into(), String::new()],
            ],
        );
        assert_eq!(
            text,
            "A,B\nplain,\"a,b\"\n\"say \"\"hi\"\"\",\"one\ntwo\"\n\"cr\r\",\n"
        );
    }
}
