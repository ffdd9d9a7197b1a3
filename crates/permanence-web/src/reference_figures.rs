//! Published figures the dashboard's tiles are compared with: the England averages and the
//! national thresholds of the adoption scorecard, each with its period and source.
//!
//! They come from a small CSV file (`measure,what,period,value,unit,source`). The file in
//! `reference/national-reference.csv` is compiled in as the default; a council that uses
//! newer scorecards, or its statistical neighbours' figures, gives its own file at start-up
//! (`--national-reference`), which is read once and refused with the line and the reason
//! when it cannot be used, so that a mistake shows at start-up rather than as a wrong tile.
//!
//! The first line for a measure is the one its tile shows and its trend chart draws; every
//! line is listed, with its source, under the tiles.

use std::fmt;

/// The file compiled in: published England figures, the latest for 2015-18.
const EMBEDDED: &str = include_str!("../reference/national-reference.csv");

const HEADER: [&str; 6] = ["measure", "what", "period", "value", "unit", "source"];

/// A measure a reference figure may be given for, and the unit its figures are in.
const MEASURES: &[(&str, &str)] = &[
    ("A1", "days"),
    ("A2", "days"),
    ("A3", "percent"),
    ("A10", "days"),
    // Children waiting with a decision that they should be placed for adoption (A9).
    ("A9", "children"),
];

/// One published figure.
#[derive(Clone, Debug, PartialEq)]
pub struct ReferenceFigure {
    /// `A1`, `A2`, `A3`, `A10` or `A9`.
    pub measure: String,
    /// What the figure is ("England average", "national threshold").
    pub what: String,
    /// The period it covers, as the source gives it ("2015-04-01/2018-03-31", "2016-17").
    pub period: String,
    pub value: f64,
    pub unit: String,
    pub source: String,
}

/// The reference figures in force.
#[derive(Clone, Debug, PartialEq)]
pub struct NationalReference {
    figures: Vec<ReferenceFigure>,
}

/// Why a reference file cannot be used: the line (from 1, the header being line 1) and the
/// reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferenceError {
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

impl std::error::Error for ReferenceError {}

impl Default for NationalReference {
    /// The compiled-in figures. The file is checked by a test, so this cannot fail in a
    /// release; should it, the dashboard shows no reference rather than no dashboard.
    fn default() -> Self {
        Self::parse(EMBEDDED).unwrap_or(Self {
            figures: Vec::new(),
        })
    }
}

impl NationalReference {
    /// Reads a reference file: the header, then one figure a line (blank lines are skipped).
    pub fn parse(text: &str) -> Result<Self, ReferenceError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // Records are read with the csv crate (quotes, doubled quotes, CRLF); blank lines
        // are skipped by it, and each record keeps the line it began on for the refusal.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        let header = match records.next() {
            Some(record) => {
                fields(text, record)
                    .map_err(|(line, reason)| ReferenceError { line, reason })?
                    .1
            }
            None => Vec::new(),
        };
        if header.iter().map(|h| h.trim()).ne(HEADER) {
            return Err(ReferenceError {
                line: 1,
                reason: format!("the header must be {}", HEADER.join(",")),
            });
        }
        let mut figures = Vec::new();
        for record in records {
            let (line, cells) =
                fields(text, record).map_err(|(line, reason)| ReferenceError { line, reason })?;
            let figure = figure(cells).map_err(|reason| ReferenceError { line, reason })?;
            figures.push(figure);
        }
        Ok(Self { figures })
    }

    /// Every figure, in the file's order.
    pub fn all(&self) -> &[ReferenceFigure] {
        &self.figures
    }

    /// The figure a measure's tile shows: the file's first for it.
    pub fn first_for(&self, measure: &str) -> Option<&ReferenceFigure> {
        self.figures.iter().find(|f| f.measure == measure)
    }
}

fn figure(cells: Vec<String>) -> Result<ReferenceFigure, String> {
    let [measure, what, period, value, unit, source]: [String; 6] = cells
        .try_into()
        .map_err(|cells: Vec<String>| format!("expected 6 fields, found {}", cells.len()))?;
    let measure = measure.trim().to_owned();
    let Some((_, expected_unit)) = MEASURES.iter().find(|(m, _)| *m == measure) else {
        let known: Vec<&str> = MEASURES.iter().map(|(m, _)| *m).collect();
        return Err(format!(
            "the measure must be one of {}, not \"{measure}\"",
            known.join(", ")
        ));
    };
    let unit = unit.trim().to_owned();
    if unit != *expected_unit {
        return Err(format!(
            "the unit of {measure} must be {expected_unit}, not \"{unit}\""
        ));
    }
    let value: f64 = value
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| {
            format!("the value must be a number of {unit}, 0 or more, not \"{value}\"")
        })?;
    if unit == "percent" && value > 100.0 {
        return Err(format!("a percentage cannot be more than 100, not {value}"));
    }
    for (name, text) in [("what", &what), ("period", &period), ("source", &source)] {
        if text.trim().is_empty() {
            return Err(format!("the {name} field is empty"));
        }
    }
    Ok(ReferenceFigure {
        measure,
        what: what.trim().to_owned(),
        period: period.trim().to_owned(),
        value,
        unit,
        source: source.trim().to_owned(),
    })
}

/// A record's line (from 1) and its fields. A record never spans lines in this file: a
/// field that does had its quote left open.
fn fields(
    text: &str,
    record: Result<csv::StringRecord, csv::Error>,
) -> Result<(usize, Vec<String>), (usize, String)> {
    let record = record.map_err(|e| {
        (
            line_at(text, e.position()),
            format!("not a CSV record: {e}"),
        )
    })?;
    let line = line_at(text, record.position());
    if record.iter().any(|field| field.contains('\n')) {
        return Err((line, "a quoted field is not closed on its line".into()));
    }
    Ok((line, record.iter().map(str::to_owned).collect()))
}

/// The line (from 1) a record's first field is on. The reader's position is where it began
/// looking for the record, before any blank lines it skipped, and its own line count leaves
/// them out.
fn line_at(text: &str, position: Option<&csv::Position>) -> usize {
    let bytes = text.as_bytes();
    let mut start = position.map_or(0, |p| p.byte() as usize).min(bytes.len());
    while bytes.get(start).is_some_and(|b| matches!(b, b'\n' | b'\r')) {
        start += 1;
    }
    bytes[..start].iter().filter(|b| **b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "measure,what,period,value,unit,source\n";

    fn error_of(text: &str) -> ReferenceError {
        match NationalReference::parse(text) {
            Ok(parsed) => panic!("expected a refusal, read {parsed:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn the_compiled_in_file_reads_whole() {
        let reference = NationalReference::parse(EMBEDDED).expect("the embedded file reads");
        assert_eq!(reference.all().len(), 9);
        let a1 = reference.first_for("A1").expect("an A1 figure");
        assert_eq!(
            (
                a1.what.as_str(),
                a1.period.as_str(),
                a1.value,
                a1.unit.as_str()
            ),
            ("England average", "2015-04-01/2018-03-31", 486.0, "days")
        );
        assert!(a1.source.starts_with("DfE adoption scorecards"));
        assert_eq!(reference.first_for("A2").map(|f| f.value), Some(234.0));
        assert_eq!(reference.first_for("A10"), None);
        assert_eq!(NationalReference::default(), reference);
    }

    #[test]
    fn quoted_fields_keep_their_commas_and_quotes() {
        let text = format!(
            "{HEAD}A3,\"Statistical neighbours, mean\",2024-25,61.5,percent,\"Our \"\"LAIT\"\" extract, 2025\"\n"
        );
        let reference = NationalReference::parse(&text).expect("reads");
        let a3 = &reference.all()[0];
        assert_eq!(a3.what, "Statistical neighbours, mean");
        assert_eq!(a3.source, "Our \"LAIT\" extract, 2025");
        assert_eq!(a3.value, 61.5);
    }

    #[test]
    fn each_refusal_names_its_line_and_reason() {
        let bad_header = error_of("measure,what,value\nA1,x,2020,1,days,y\n");
        assert_eq!(bad_header.line, 1);
        assert!(bad_header.reason.contains("header"), "{bad_header}");

        // Line 2 is fine, line 3 is blank (skipped), line 4 has the problem.
        let good = "A1,England average,2015-18,486,days,DfE\n";
        let cases = [
            (
                "A7,England average,2015-18,486,days,DfE",
                "measure must be one of",
            ),
            (
                "A1,England average,2015-18,486,weeks,DfE",
                "unit of A1 must be days",
            ),
            (
                "A1,England average,2015-18,about 486,days,DfE",
                "value must be a number",
            ),
            ("A1,England average,2015-18,-3,days,DfE", "0 or more"),
            (
                "A3,England average,2015-18,120,percent,DfE",
                "more than 100",
            ),
            (
                "A1,England average,2015-18,486,days",
                "expected 6 fields, found 5",
            ),
            ("A1,,2015-18,486,days,DfE", "the what field is empty"),
            ("A1,\"England average,2015-18,486,days,DfE", "not closed"),
        ];
        for (line, reason) in cases {
            let e = error_of(&format!("{HEAD}{good}\n{line}\n"));
            assert_eq!(e.line, 4, "{line}: {e}");
            assert!(e.reason.contains(reason), "{line}: {e}");
            assert!(e.to_string().starts_with("line 4: "), "{e}");
        }
    }

    #[test]
    fn a_windows_file_with_a_byte_order_mark_and_crlf_reads() {
        let text = "\u{feff}measure,what,period,value,unit,source\r\nA2,England estimate,2016-17,190,days,ALB\r\n";
        let reference = NationalReference::parse(text).expect("reads");
        assert_eq!(reference.first_for("A2").map(|f| f.value), Some(190.0));
        assert_eq!(reference.all()[0].source, "ALB");
    }
}
