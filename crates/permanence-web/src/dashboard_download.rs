//! The dashboard's figures to download, for the view on the screen (the same period and the
//! same figure broken down, from the same query string): `/dashboard.csv` and
//! `/dashboard.xlsx`, a workbook with one sheet per table. Both hold every table the page
//! shows (`dashboard_tables`), with the figures as numbers and the periods as dates.
//!
//! The same people as the page's may have them (others get the same "page not found"), over
//! the same authorities. Like the page, they hold no case, so, like the page, they write no
//! audit row: the cases behind a figure are read, and audited, in `measure_cases`. Nothing
//! in them names a child, gives a date of birth or a postcode, or repeats typed text.

use crate::WebState;
use crate::dashboard;
use crate::dashboard_data::Values;
use crate::dashboard_tables::{self, Compared, FigureRow, Pack, Rows, Shape, Table, unit};
use crate::error::PageError;
use crate::figures::{Figure, Kind};
use crate::report_window::Window;
use crate::session::SignedIn;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use rust_xlsxwriter::{DocProperties, Format, Workbook, Worksheet, XlsxError};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `GET /dashboard.csv`.
pub(crate) async fn csv(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    download(&state, &signed_in, &query, FileType::Csv).await
}

/// `GET /dashboard.xlsx`.
pub(crate) async fn xlsx(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    download(&state, &signed_in, &query, FileType::Xlsx).await
}

#[derive(Clone, Copy)]
enum FileType {
    Csv,
    Xlsx,
}

async fn download(
    state: &WebState,
    signed_in: &SignedIn,
    query: &[(String, String)],
    format: FileType,
) -> Result<Response, PageError> {
    let answer = dashboard::answer(state, signed_in, query).await?;
    // Dates that make no period: the dashboard with their problems, as the page answers.
    let Some(view) = &answer.view else {
        return Ok(answer.refused());
    };
    let started = std::time::Instant::now();
    let pack = dashboard_tables::pack(view, &state.options.national_reference);
    let (content_type, extension, body) = match format {
        FileType::Csv => (
            "text/csv; charset=utf-8",
            "csv",
            csv_text(&pack).into_bytes(),
        ),
        FileType::Xlsx => (
            XLSX,
            "xlsx",
            workbook(&pack, state.engine.now())
                .map_err(|e| PageError::Internal(format!("writing the workbook: {e}")))?,
        ),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}.{extension}\"",
        file_stem(view.window)
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Some(value) = answer
        .timing
        .header("file", dashboard::millis_since(started))
    {
        headers.insert(dashboard::SERVER_TIMING, value);
    }
    Ok(response)
}

/// `permanence-dashboard-2025-11-03-to-2026-11-02`.
fn file_stem(window: Window) -> String {
    format!("permanence-dashboard-{}-to-{}", window.from, window.to)
}

/// A cell of a table.
#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Empty,
}

fn number(value: Option<f64>) -> Cell {
    value.map_or(Cell::Empty, Cell::Number)
}

fn count(value: usize) -> Cell {
    Cell::Number(value as f64)
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

// ---------------------------------------------------------------------------------------
// CSV
//
// One file, one header, a `table` column naming the page's table each row comes from (the
// ids of the page's sections: `tiles`, `trend-a1`, `by-team`, `national-figures`), rather
// than one section per table under its own header: a spreadsheet's filter, R's `read.csv`,
// Power BI and a database's `COPY` all take the whole file as one table, and a table is a
// filter on that column, where sections would need a reader of their own. Each row is one
// figure for one period (and group); columns a table has no use for are empty (the tiles'
// period before, change and national figure). Numbers are plain (`374.5`, no unit), dates
// ISO. For reading table by table, the workbook is the one.

/// The CSV's columns.
const CSV_HEADER: [&str; 23] = [
    "table",
    "figure",
    "unit",
    "from",
    "to",
    "group_by",
    "group",
    "value",
    "median_days",
    "counted",
    "met",
    "previous_from",
    "previous_to",
    "previous_value",
    "previous_median_days",
    "previous_counted",
    "previous_met",
    "change",
    "median_change",
    "national_value",
    "national_what",
    "national_period",
    "national_source",
];

fn csv_text(pack: &Pack) -> String {
    let rows = pack.tables.iter().flat_map(csv_rows);
    csv_document(
        &CSV_HEADER,
        rows.inspect(|row| {
            debug_assert_eq!(row.len(), CSV_HEADER.len());
        }),
    )
}

/// The header and rows as CSV: `csv` quotes a value only when it needs it, lines end in `\n`.
fn csv_document(header: &[&str], rows: impl IntoIterator<Item = Vec<Cell>>) -> String {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing into memory cannot fail, and every value is a string, so the text is UTF-8.
    out.write_record(header).expect("writing to memory");
    for row in rows {
        out.write_record(row.iter().map(csv_value))
            .expect("writing to memory");
    }
    let bytes = out.into_inner().expect("writing to memory");
    String::from_utf8(bytes).expect("CSV written from strings is UTF-8")
}

fn csv_rows(table: &Table) -> Vec<Vec<Cell>> {
    let group_by = match table.shape {
        Shape::Breakdown(_, key, _) => text(key),
        _ => Cell::Empty,
    };
    match &table.rows {
        Rows::Figures(rows) => rows
            .iter()
            .map(|r| {
                let mut cells = vec![
                    text(&table.key),
                    text(r.figure.key()),
                    text(unit(r.figure)),
                    Cell::Date(r.period.from),
                    Cell::Date(r.period.to),
                    group_by.clone(),
                    r.group.clone().map_or(Cell::Empty, Cell::Text),
                ];
                cells.extend(values_cells(r.figure, r.values));
                match &r.compared {
                    Some(c) => {
                        cells.push(Cell::Date(c.previous.from));
                        cells.push(Cell::Date(c.previous.to));
                        cells.extend(values_cells(r.figure, c.values));
                        cells.push(number(c.change));
                        cells.push(median_only(r.figure, c.median_change));
                        match &c.national {
                            Some(n) => cells.extend([
                                Cell::Number(n.value),
                                text(&n.what),
                                text(&n.period),
                                text(&n.source),
                            ]),
                            None => cells.extend(vec![Cell::Empty; 4]),
                        }
                    }
                    None => cells.extend(vec![Cell::Empty; 12]),
                }
                cells
            })
            .collect(),
        Rows::National(figures) => figures
            .iter()
            .map(|n| {
                let mut cells = vec![
                    text(&table.key),
                    text(figure_of_measure(&n.measure)),
                    text(&n.unit),
                ];
                cells.extend(vec![Cell::Empty; 16]);
                cells.extend([
                    Cell::Number(n.value),
                    text(&n.what),
                    text(&n.period),
                    text(&n.source),
                ]);
                cells
            })
            .collect(),
    }
}

/// value, median_days, counted, met.
fn values_cells(figure: Figure, v: Values) -> [Cell; 4] {
    [
        number(v.value),
        median_only(figure, v.median),
        count(v.counted),
        v.met.map_or(Cell::Empty, count),
    ]
}

fn median_only(figure: Figure, value: Option<f64>) -> Cell {
    if figure.kind() == Kind::Days {
        number(value)
    } else {
        Cell::Empty
    }
}

/// The dashboard's key for a measure of the reference file (`A9` is the children waiting).
fn figure_of_measure(measure: &str) -> String {
    Figure::ALL
        .into_iter()
        .find(|f| f.scorecard() == Some(measure))
        .map_or_else(|| measure.to_lowercase(), |f| f.key().to_owned())
}

fn csv_value(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Number(n) => n.to_string(),
        Cell::Date(d) => d.to_string(),
        Cell::Text(t) => {
            // A name a spreadsheet would take for a formula is written as text.
            if t.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                format!("'{t}")
            } else {
                t.clone()
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The workbook: an "About" sheet (whose figures, which period, what each sheet holds), then a
// sheet per table, each a header row in bold over its rows, frozen below the header, with a
// filter on it, numbers as numbers and dates as dates shown "3 Nov 2025".

/// One sheet's table.
struct Sheet {
    name: String,
    headings: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

fn workbook(pack: &Pack, now: chrono::DateTime<chrono::Utc>) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_title("How quickly children reach permanence")
            .set_subject(format!(
                "{} to {}, {}",
                pack.window.from,
                pack.window.to,
                pack.authorities.join(", ")
            ))
            .set_creation_datetime(&now),
    );
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("d mmm yyyy");

    let about = workbook.add_worksheet();
    about.set_name("About")?;
    write_about(about, pack, now.date_naive(), &bold, &date)?;

    for table in &pack.tables {
        let sheet = sheet(table);
        let worksheet = workbook.add_worksheet();
        worksheet.set_name(&sheet.name)?;
        write_sheet(worksheet, &sheet, &bold, &date)?;
    }
    workbook.save_to_buffer()
}

fn write_about(
    sheet: &mut Worksheet,
    pack: &Pack,
    today: NaiveDate,
    bold: &Format,
    date: &Format,
) -> Result<(), XlsxError> {
    let previous = pack.window.previous();
    let mut rows: Vec<(String, Cell)> = vec![
        ("How quickly children reach permanence".into(), Cell::Empty),
        ("Figures for".into(), text(pack.authorities.join(", "))),
        ("Period from".into(), Cell::Date(pack.window.from)),
        ("Period to".into(), Cell::Date(pack.window.to)),
        ("Period before from".into(), Cell::Date(previous.from)),
        ("Period before to".into(), Cell::Date(previous.to)),
        ("Broken down".into(), text(pack.breakdown_figure.name())),
        ("Made on".into(), Cell::Date(today)),
        (String::new(), Cell::Empty),
        ("Sheet".into(), text("What it holds")),
    ];
    rows.extend(
        pack.tables
            .iter()
            .map(|t| (t.sheet.clone(), text(&t.title))),
    );
    rows.push((String::new(), Cell::Empty));
    rows.push((
        "How to read it".into(),
        text(
            "The engine's own measures work out every figure, as on the dashboard and in \
             the API's timeliness query. Days are means unless the column says median; \
             percentages are of the children (or reviews) counted. A quarter cut by the \
             start or end of the period counts only its days within it.",
        ),
    ));
    let mut widths = [0usize; 2];
    for (i, (label, value)) in rows.iter().enumerate() {
        let row = i as u32;
        // The title and the sheets' header in bold.
        let heading = i == 0 || label == "Sheet";
        if !label.is_empty() {
            sheet.write_string_with_format(row, 0, label, bold)?;
            widths[0] = widths[0].max(label.chars().count());
        }
        if heading {
            if let Cell::Text(t) = value {
                sheet.write_string_with_format(row, 1, t, bold)?;
            }
        } else {
            write_cell(sheet, row, 1, value, date)?;
        }
        if i > 0 {
            widths[1] = widths[1].max(shown_width(value));
        }
    }
    sheet.set_column_width(0, width(widths[0]))?;
    sheet.set_column_width(1, width(widths[1]))?;
    Ok(())
}

fn write_sheet(
    worksheet: &mut Worksheet,
    sheet: &Sheet,
    bold: &Format,
    date: &Format,
) -> Result<(), XlsxError> {
    let mut widths: Vec<usize> = sheet.headings.iter().map(|h| h.chars().count()).collect();
    for (col, heading) in sheet.headings.iter().enumerate() {
        worksheet.write_string_with_format(0, col as u16, heading, bold)?;
    }
    for (r, cells) in sheet.rows.iter().enumerate() {
        for (col, cell) in cells.iter().enumerate() {
            write_cell(worksheet, r as u32 + 1, col as u16, cell, date)?;
            if let Some(w) = widths.get_mut(col) {
                *w = (*w).max(shown_width(cell));
            }
        }
    }
    for (col, w) in widths.iter().enumerate() {
        worksheet.set_column_width(col as u16, width(*w))?;
    }
    worksheet.set_freeze_panes(1, 0)?;
    let last_col = sheet.headings.len().saturating_sub(1) as u16;
    worksheet.autofilter(0, 0, sheet.rows.len() as u32, last_col)?;
    Ok(())
}

fn write_cell(
    worksheet: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    date: &Format,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(t) => {
            worksheet.write_string(row, col, t)?;
        }
        Cell::Number(n) => {
            worksheet.write_number(row, col, *n)?;
        }
        Cell::Date(d) => {
            worksheet.write_date_with_format(row, col, d, date)?;
        }
        Cell::Empty => {}
    }
    Ok(())
}

/// About how many characters a cell shows.
fn shown_width(cell: &Cell) -> usize {
    match cell {
        Cell::Text(t) => t.chars().count(),
        Cell::Number(n) => n.to_string().len(),
        // "30 Nov 2025"
        Cell::Date(_) => 11,
        Cell::Empty => 0,
    }
}

/// A column's width in characters: its widest cell and a margin, within reason (a long
/// sentence wraps off the edge rather than making the column a page wide).
fn width(chars: usize) -> f64 {
    (chars + 2).clamp(8, 70) as f64
}

fn sheet(table: &Table) -> Sheet {
    let (headings, rows) = match (&table.shape, &table.rows) {
        (Shape::Tiles, Rows::Figures(rows)) => tiles_sheet(rows),
        (Shape::Trend(figure), Rows::Figures(rows)) => {
            let mut headings = vec!["Quarter".to_owned(), "From".into(), "To".into()];
            headings.extend(value_headings(*figure));
            let rows = rows
                .iter()
                .map(|r| {
                    let mut cells = vec![
                        r.quarter.clone().map_or(Cell::Empty, Cell::Text),
                        Cell::Date(r.period.from),
                        Cell::Date(r.period.to),
                    ];
                    cells.extend(value_cells(*figure, r.values));
                    cells
                })
                .collect();
            (headings, rows)
        }
        (Shape::Breakdown(figure, _, group_heading), Rows::Figures(rows)) => {
            let mut headings = vec![(*group_heading).to_owned(), "From".into(), "To".into()];
            headings.extend(value_headings(*figure));
            let rows = rows
                .iter()
                .map(|r| {
                    let mut cells = vec![
                        r.group.clone().map_or(Cell::Empty, Cell::Text),
                        Cell::Date(r.period.from),
                        Cell::Date(r.period.to),
                    ];
                    cells.extend(value_cells(*figure, r.values));
                    cells
                })
                .collect();
            (headings, rows)
        }
        (_, Rows::National(figures)) => (
            ["Measure", "What", "Period", "Value", "Unit", "Source"]
                .map(str::to_owned)
                .to_vec(),
            figures
                .iter()
                .map(|n| {
                    vec![
                        text(&n.measure),
                        text(&n.what),
                        text(&n.period),
                        Cell::Number(n.value),
                        text(&n.unit),
                        text(&n.source),
                    ]
                })
                .collect(),
        ),
        // A table's rows always match its shape (`dashboard_tables::pack`).
        (_, Rows::Figures(_)) => (Vec::new(), Vec::new()),
    };
    Sheet {
        name: table.sheet.clone(),
        headings,
        rows,
    }
}

/// The columns of one figure's values in a trend or a breakdown, as the page's table heads
/// them: mean and median days and children; a percentage, how many met it and of how many;
/// or a count.
fn value_headings(figure: Figure) -> Vec<String> {
    let counted = figure.counted_heading();
    match figure.kind() {
        Kind::Days => vec![figure.axis().into(), "Median days".into(), counted.into()],
        Kind::Share => vec![
            figure.axis().into(),
            met_heading(figure).into(),
            counted.into(),
        ],
        Kind::Count => vec![figure.axis().into()],
    }
}

fn value_cells(figure: Figure, v: Values) -> Vec<Cell> {
    match figure.kind() {
        Kind::Days => vec![number(v.value), number(v.median), count(v.counted)],
        Kind::Share => vec![
            number(v.value),
            v.met.map_or(Cell::Empty, count),
            count(v.counted),
        ],
        Kind::Count => vec![number(v.value)],
    }
}

fn met_heading(figure: Figure) -> &'static str {
    match figure {
        Figure::A3 => "In less than 14 months",
        _ => "On time",
    }
}

fn tiles_sheet(rows: &[FigureRow]) -> (Vec<String>, Vec<Vec<Cell>>) {
    let headings = [
        "Figure",
        "Unit",
        "From",
        "To",
        "Value",
        "Median days",
        "Counted",
        "Met",
        "Before: from",
        "Before: to",
        "Before: value",
        "Before: median days",
        "Before: counted",
        "Before: met",
        "Change",
        "Median change",
        "National figure",
        "National: what",
        "National: period",
    ]
    .map(str::to_owned)
    .to_vec();
    let rows = rows
        .iter()
        .map(|r| {
            let mut cells = vec![
                text(r.figure.name()),
                text(unit(r.figure)),
                Cell::Date(r.period.from),
                Cell::Date(r.period.to),
            ];
            cells.extend(values_cells(r.figure, r.values));
            let empty = Compared {
                previous: r.period.previous(),
                values: Values {
                    value: None,
                    median: None,
                    counted: 0,
                    met: None,
                },
                change: None,
                median_change: None,
                national: None,
            };
            let c = r.compared.as_ref().unwrap_or(&empty);
            cells.push(Cell::Date(c.previous.from));
            cells.push(Cell::Date(c.previous.to));
            cells.extend(values_cells(r.figure, c.values));
            cells.push(number(c.change));
            cells.push(median_only(r.figure, c.median_change));
            match &c.national {
                Some(n) => cells.extend([Cell::Number(n.value), text(&n.what), text(&n.period)]),
                None => cells.extend(vec![Cell::Empty; 3]),
            }
            cells
        })
        .collect();
    (headings, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_read_as_formulas() {
        let csv = csv_document(
            &["a", "b", "c", "d", "e"],
            [
                vec![
                    text("Team A"),
                    text("North, East"),
                    text("say \"hi\""),
                    text("=1+1"),
                    text("-team"),
                ],
                // A formula's guard comes before the quoting it may then need.
                vec![
                    text("=1,2"),
                    // Numbers are numbers, negative ones too.
                    Cell::Number(-38.5),
                    Cell::Number(189.0),
                    Cell::Date(NaiveDate::from_ymd_opt(2025, 11, 3).unwrap_or_default()),
                    Cell::Empty,
                ],
            ],
        );
        assert_eq!(
            csv,
            "a,b,c,d,e\n\
             Team A,\"North, East\",\"say \"\"hi\"\"\",'=1+1,'-team\n\
             \"'=1,2\",-38.5,189,2025-11-03,\n"
        );
    }

    #[test]
    fn the_reference_files_measures_are_the_dashboards_figures() {
        assert_eq!(figure_of_measure("A9"), "waiting");
        assert_eq!(figure_of_measure("A10"), "a10");
    }

    #[test]
    fn a_file_is_named_by_its_period() {
        let window = Window {
            from: NaiveDate::from_ymd_opt(2025, 11, 3).unwrap_or_default(),
            to: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default(),
        };
        assert_eq!(
            file_stem(window),
            "permanence-dashboard-2025-11-03-to-2026-11-02"
        );
    }
}
