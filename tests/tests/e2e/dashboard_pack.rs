//! End-to-end: the dashboard's monthly pack, on SQLite and PostgreSQL, over HTTP and in
//! headless Chromium: its figures to download (`/dashboard.csv`, `/dashboard.xlsx`) and its
//! print stylesheet.
//!
//! The dashboard's cohort (`permanence_e2e::dashboard_cohort`) is recorded through the API. A
//! leader downloads the figures of the view on the screen by the page's own links; the
//! workbook is read back with calamine (its sheets, headers and cell types: numbers are
//! numbers, dates are dates), and every figure of every table, in the workbook and in the CSV,
//! must be the API's `timeliness` query's for the same period, quarter and group. The test
//! clock stands at 2 November 2026.

use anyhow::{Context, bail, ensure};
use calamine::{Data, DataType, Range, Reader, Xlsx};
use chrono::NaiveDate;
use permanence_auth::Role;
use permanence_e2e::browser::Browser;
use permanence_e2e::dashboard_cohort::{assert_nothing_identifying, cohort};
use permanence_e2e::pages::{http_sign_in, no_redirects, sign_in};
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{TEST_PASSWORD, TestServer, give_password, on_both_backends};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE};
use std::io::Cursor;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The breakdowns, as the files name them and as the API's `groupBy` does.
const BREAKDOWNS: [(&str, &str); 5] = [
    ("team", "TEAM"),
    ("route", "ROUTE"),
    ("age-band", "AGE_BAND_AT_ENTRY"),
    ("sex", "SEX"),
    ("ethnicity", "ETHNICITY"),
];

/// One figure for one period (and group), as a file gives it or as the API does.
#[derive(Clone, Debug, PartialEq)]
struct Figure {
    /// `tiles` (the period), `tiles-before` (the period before), `trend-a1`, `by-team`.
    table: String,
    figure: String,
    from: NaiveDate,
    to: NaiveDate,
    /// As the file names the group ("No team"), or as the API does ("none").
    group: Option<String>,
    value: Option<f64>,
    median: Option<f64>,
    counted: Option<f64>,
    met: Option<f64>,
}

/// A view of the dashboard: its query, and what it shows.
struct View {
    query: &'static str,
    from: NaiveDate,
    to: NaiveDate,
    breakdown: &'static str,
}

fn day(text: &str) -> anyhow::Result<NaiveDate> {
    Ok(NaiveDate::parse_from_str(text, "%Y-%m-%d")?)
}

// ---------------------------------------------------------------------------------------
// What the API says.

const REPORT: &str = "fragment F on TimelinessReport { \
    a1 { children meanDays medianDays } a2 { children meanDays medianDays } \
    a10 { children meanDays medianDays } a3 { met of percent } \
    reviewsOnTime { met of percent } healthAssessmentsOnTime { met of percent } \
    visitsOnTime { met of percent } \
    childrenWaiting { withDecision { count } } }";

async fn timeliness(
    server: &TestServer,
    from: NaiveDate,
    to: NaiveDate,
    by: Option<&str>,
) -> anyhow::Result<Value> {
    let query = format!(
        "query($from: Date!, $to: Date!, $by: TimelinessGroupBy) {{ \
           timeliness(from: $from, to: $to, groupBy: $by) {{ \
             report {{ ...F }} quarters {{ from to report {{ ...F }} }} \
             groups {{ group report {{ ...F }} }} }} }} {REPORT}"
    );
    let data = server
        .ok_as(
            Role::Leader,
            &query,
            json!({ "from": from.to_string(), "to": to.to_string(), "by": by }),
        )
        .await?;
    Ok(data["timeliness"].clone())
}

/// (value, median, counted, met) of a figure of a report, as the API gives it.
type Values = (Option<f64>, Option<f64>, Option<f64>, Option<f64>);

fn api_values(report: &Value, figure: &str) -> anyhow::Result<Values> {
    let at = |pointer: &str| report.pointer(pointer).and_then(Value::as_f64);
    let must = |pointer: &str| {
        at(pointer)
            .with_context(|| format!("{pointer} in {report}"))
            .map(Some)
    };
    Ok(match figure {
        "a1" | "a2" | "a10" => (
            at(&format!("/{figure}/meanDays")),
            at(&format!("/{figure}/medianDays")),
            must(&format!("/{figure}/children"))?,
            None,
        ),
        "a3" | "reviews" | "health-assessments" | "visits" => {
            let key = match figure {
                "a3" => "a3",
                "reviews" => "reviewsOnTime",
                "visits" => "visitsOnTime",
                _ => "healthAssessmentsOnTime",
            };
            (
                at(&format!("/{key}/percent")),
                None,
                must(&format!("/{key}/of"))?,
                must(&format!("/{key}/met"))?,
            )
        }
        "waiting" => {
            let count = must("/childrenWaiting/withDecision/count")?;
            (count, None, count, None)
        }
        other => bail!("no figure {other}"),
    })
}

fn figure_of(
    table: &str,
    figure: &str,
    from: NaiveDate,
    to: NaiveDate,
    group: Option<String>,
    (value, median, counted, met): Values,
) -> Figure {
    Figure {
        table: table.to_owned(),
        figure: figure.to_owned(),
        from,
        to,
        group,
        value,
        median,
        counted,
        met,
    }
}

/// Every figure the view's tables should hold, from the API: the tiles for the period and
/// the period of the same length before it, the trends by quarter, and the breakdowns.
async fn from_the_api(server: &TestServer, view: &View) -> anyhow::Result<Vec<Figure>> {
    let mut out = Vec::new();
    let now = timeliness(server, view.from, view.to, None).await?;
    let days = (view.to - view.from).num_days() + 1;
    let before_to = view.from.pred_opt().context("the day before")?;
    let before_from = view.from - chrono::Days::new(days.unsigned_abs());
    let before = timeliness(server, before_from, before_to, None).await?;
    for figure in ["a1", "a2", "a10", "a3", "waiting"] {
        out.push(figure_of(
            "tiles",
            figure,
            view.from,
            view.to,
            None,
            api_values(&now["report"], figure)?,
        ));
        out.push(figure_of(
            "tiles-before",
            figure,
            before_from,
            before_to,
            None,
            api_values(&before["report"], figure)?,
        ));
    }
    let quarters = now["quarters"].as_array().context("quarters")?;
    ensure!(!quarters.is_empty(), "no quarter in {now}");
    for figure in ["a1", "a2", "a10", "reviews", "health-assessments", "visits"] {
        for q in quarters {
            out.push(figure_of(
                &format!("trend-{figure}"),
                figure,
                day(q["from"].as_str().context("from")?)?,
                day(q["to"].as_str().context("to")?)?,
                None,
                api_values(&q["report"], figure)?,
            ));
        }
    }
    for (key, by) in BREAKDOWNS {
        let grouped = timeliness(server, view.from, view.to, Some(by)).await?;
        for g in grouped["groups"].as_array().context("groups")? {
            let group = g["group"].as_str().context("group")?;
            if group == "all" {
                continue;
            }
            out.push(figure_of(
                &format!("by-{key}"),
                view.breakdown,
                view.from,
                view.to,
                Some(group.to_owned()),
                api_values(&g["report"], view.breakdown)?,
            ));
        }
    }
    Ok(out)
}

/// Whether a group as a file names it ("No team", "WBRI: White British", "Under 1") is the
/// API's group ("none", "WBRI", "under 1").
fn same_group(named: &str, api: &str) -> bool {
    if api == "none" {
        return named.starts_with("No ");
    }
    named.eq_ignore_ascii_case(api) || named.starts_with(&format!("{api}:"))
}

/// Every figure the API gives is in the file, with the same values, and the file has no
/// other.
fn assert_same(what: &str, file: &[Figure], api: &[Figure]) -> anyhow::Result<()> {
    for expected in api {
        let found = file.iter().find(|f| {
            f.table == expected.table
                && f.figure == expected.figure
                && f.from == expected.from
                && f.to == expected.to
                && match (&f.group, &expected.group) {
                    (Some(named), Some(api)) => same_group(named, api),
                    (None, None) => true,
                    _ => false,
                }
        });
        let found = found.with_context(|| format!("{what}: no row for {expected:?}"))?;
        ensure!(
            (found.value, found.median, found.counted, found.met)
                == (
                    expected.value,
                    expected.median,
                    expected.counted,
                    expected.met
                ),
            "{what}: {found:?} is not the API's {expected:?}"
        );
    }
    ensure!(
        file.len() == api.len(),
        "{what}: {} figures, the API {}",
        file.len(),
        api.len()
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The workbook, read back.

fn number(cell: &Data) -> anyhow::Result<Option<f64>> {
    match cell {
        Data::Float(f) => Ok(Some(*f)),
        Data::Int(i) => Ok(Some(*i as f64)),
        Data::Empty => Ok(None),
        other => bail!("not a number: {other:?}"),
    }
}

fn date(cell: &Data) -> anyhow::Result<NaiveDate> {
    match cell {
        Data::DateTime(d) => Ok(d.as_datetime().with_context(|| format!("{d:?}"))?.date()),
        other => bail!("not a date: {other:?}"),
    }
}

fn string(cell: &Data) -> anyhow::Result<String> {
    match cell {
        Data::String(s) => Ok(s.clone()),
        other => bail!("not text: {other:?}"),
    }
}

/// A sheet's header row and its other rows.
fn table(range: &Range<Data>) -> anyhow::Result<(Vec<String>, Vec<Vec<Data>>)> {
    let mut rows = range.rows();
    let headers = rows
        .next()
        .context("no header row")?
        .iter()
        .map(string)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let rows: Vec<Vec<Data>> = rows
        .map(|r| {
            let mut r = r.to_vec();
            r.resize(headers.len(), Data::Empty);
            r
        })
        .collect();
    Ok((headers, rows))
}

fn column(headers: &[String], name: &str) -> Option<usize> {
    headers.iter().position(|h| h == name)
}

/// The key of a figure from its name on a tile ("A1: entering care to moving in").
fn key_of_name(name: &str) -> anyhow::Result<&'static str> {
    Ok(match name.split(':').next() {
        Some("A1") => "a1",
        Some("A2") => "a2",
        Some("A10") => "a10",
        Some("A3") => "a3",
        _ if name == "Children waiting for adoption" => "waiting",
        _ => bail!("no figure is named {name}"),
    })
}

/// The figures of a trend's or a breakdown's sheet: its first column the quarter or the
/// group, then From, To and the figure's value, with the median, how many met the standard
/// and how many were counted where the figure has them.
fn figures_of_sheet(
    table_key: &str,
    figure: &str,
    headers: &[String],
    rows: &[Vec<Data>],
    grouped: bool,
) -> anyhow::Result<Vec<Figure>> {
    ensure!(
        headers.get(1..3) == Some(&["From".to_owned(), "To".to_owned()][..]),
        "{table_key}: {headers:?}"
    );
    let median = column(headers, "Median days");
    let counted = column(headers, "Children")
        .or_else(|| column(headers, "Reviews"))
        .or_else(|| column(headers, "Health assessments"))
        .or_else(|| column(headers, "Visits"));
    let met = column(headers, "On time").or_else(|| column(headers, "In less than 14 months"));
    let at = |row: &[Data], col: Option<usize>| match col {
        Some(c) => number(&row[c]),
        None => Ok(None),
    };
    rows.iter()
        .map(|row| {
            let value = number(&row[3])?;
            Ok(Figure {
                table: table_key.to_owned(),
                figure: figure.to_owned(),
                from: date(&row[1])?,
                to: date(&row[2])?,
                group: if grouped {
                    Some(string(&row[0])?)
                } else {
                    // A quarter is named in words ("Jan to Mar 2026").
                    string(&row[0])?;
                    None
                },
                value,
                median: at(row, median)?,
                // The children waiting are their own count.
                counted: if counted.is_some() {
                    at(row, counted)?
                } else {
                    value
                },
                met: at(row, met)?,
            })
        })
        .collect()
}

/// Reads the workbook: checks its sheets, headers and cell types, and gives its figures and
/// every cell as text.
fn read_workbook(bytes: &[u8], view: &View) -> anyhow::Result<(Vec<Figure>, String)> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec()))?;
    let short = match view.breakdown {
        "a1" => "A1",
        "a3" => "A3",
        "waiting" => "Waiting",
        other => bail!("no breakdown {other} in this test"),
    };
    let mut expected_sheets: Vec<String> = [
        "About",
        "Tiles",
        "A1 by quarter",
        "A2 by quarter",
        "A10 by quarter",
        "Reviews by quarter",
        "Health assessments by quarter",
        "Visits by quarter",
    ]
    .map(str::to_owned)
    .to_vec();
    for word in ["team", "route", "age band", "sex", "ethnicity"] {
        expected_sheets.push(format!("{short} by {word}"));
    }
    expected_sheets.push("National figures".into());
    ensure!(
        book.sheet_names() == expected_sheets,
        "{:?}",
        book.sheet_names()
    );

    let mut all_text = String::new();
    let mut figures = Vec::new();
    for name in expected_sheets {
        let range = book.worksheet_range(&name)?;
        for cell in range.used_cells() {
            let text = match cell.2 {
                Data::DateTime(d) => d
                    .as_datetime()
                    .map(|t| t.date().to_string())
                    .unwrap_or_default(),
                other => other.to_string(),
            };
            all_text.push_str(&text);
            all_text.push('\n');
        }
        if name == "About" {
            let row_of = |label: &str| {
                range
                    .rows()
                    .find(|r| r.first().and_then(|c| c.get_string()) == Some(label))
                    .map(<[Data]>::to_vec)
                    .with_context(|| format!("About: no {label}"))
            };
            ensure!(date(&row_of("Period from")?[1])? == view.from, "About");
            ensure!(date(&row_of("Period to")?[1])? == view.to, "About");
            ensure!(string(&row_of("Figures for")?[1])? == "E10000003", "About");
            continue;
        }
        let (headers, rows) = table(&range)?;
        ensure!(!rows.is_empty(), "{name}: no rows");
        if name == "Tiles" {
            ensure!(
                headers
                    == [
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
                    ],
                "{headers:?}"
            );
            for row in &rows {
                let key = key_of_name(&string(&row[0])?)?;
                let now = figure_of(
                    "tiles",
                    key,
                    date(&row[2])?,
                    date(&row[3])?,
                    None,
                    (
                        number(&row[4])?,
                        number(&row[5])?,
                        number(&row[6])?,
                        number(&row[7])?,
                    ),
                );
                let before = figure_of(
                    "tiles-before",
                    key,
                    date(&row[8])?,
                    date(&row[9])?,
                    None,
                    (
                        number(&row[10])?,
                        number(&row[11])?,
                        number(&row[12])?,
                        number(&row[13])?,
                    ),
                );
                // The change is the figure less the period before's, to one place.
                let change = match (now.value, before.value) {
                    (Some(a), Some(b)) => Some(((a - b) * 10.0).round() / 10.0),
                    _ => None,
                };
                ensure!(number(&row[14])? == change, "{key}'s change: {row:?}");
                number(&row[16])?;
                figures.push(now);
                figures.push(before);
            }
        } else if let Some(short_figure) = name.strip_suffix(" by quarter") {
            let figure = short_figure.to_lowercase().replace(' ', "-");
            let expected: Vec<&str> =
                if ["reviews", "health-assessments", "visits"].contains(&figure.as_str()) {
                    vec![
                        "Quarter",
                        "From",
                        "To",
                        "Percent on time",
                        "On time",
                        short_figure,
                    ]
                } else {
                    vec![
                        "Quarter",
                        "From",
                        "To",
                        "Mean days",
                        "Median days",
                        "Children",
                    ]
                };
            ensure!(headers == expected, "{name}: {headers:?}");
            figures.extend(figures_of_sheet(
                &format!("trend-{figure}"),
                &figure,
                &headers,
                &rows,
                false,
            )?);
        } else if name == "National figures" {
            ensure!(
                headers == ["Measure", "What", "Period", "Value", "Unit", "Source"],
                "{headers:?}"
            );
            let first = &rows[0];
            ensure!(string(&first[0])? == "A1" && string(&first[4])? == "days");
            ensure!(number(&first[3])? == Some(486.0), "{first:?}");
        } else {
            let word = name
                .strip_prefix(&format!("{short} by "))
                .with_context(|| format!("sheet {name}"))?;
            let (key, heading) = match word {
                "team" => ("team", "Team"),
                "route" => ("route", "Route"),
                "age band" => ("age-band", "Age at entering care"),
                "sex" => ("sex", "Sex"),
                _ => ("ethnicity", "Ethnicity"),
            };
            let value_headings: Vec<&str> = match view.breakdown {
                "a1" => vec!["Mean days", "Median days", "Children"],
                "a3" => vec![
                    "Percent in less than 14 months",
                    "In less than 14 months",
                    "Children",
                ],
                _ => vec!["Children waiting"],
            };
            let mut expected = vec![heading, "From", "To"];
            expected.extend(value_headings);
            ensure!(headers == expected, "{name}: {headers:?}");
            figures.extend(figures_of_sheet(
                &format!("by-{key}"),
                view.breakdown,
                &headers,
                &rows,
                true,
            )?);
        }
    }
    Ok((figures, all_text))
}

// ---------------------------------------------------------------------------------------
// The CSV, read back.

/// The records of a CSV file (RFC 4180 quoting).
fn csv_records(text: &str) -> anyhow::Result<Vec<Vec<String>>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    ensure!(
        !quoted && field.is_empty() && record.is_empty(),
        "the CSV ends mid-record"
    );
    Ok(records)
}

fn read_csv(text: &str) -> anyhow::Result<Vec<Figure>> {
    let records = csv_records(text)?;
    let (header, rows) = records.split_first().context("no header")?;
    let header_line = header.join(",");
    ensure!(
        header_line
            == "table,figure,unit,from,to,group_by,group,value,median_days,counted,met,\
                previous_from,previous_to,previous_value,previous_median_days,previous_counted,\
                previous_met,change,median_change,national_value,national_what,national_period,\
                national_source",
        "{header_line}"
    );
    let col = |name: &str| header.iter().position(|h| h == name);
    let field = |row: &[String], name: &str| -> anyhow::Result<String> {
        let at = col(name).with_context(|| format!("no column {name}"))?;
        Ok(row.get(at).cloned().unwrap_or_default())
    };
    let num = |row: &[String], name: &str| -> anyhow::Result<Option<f64>> {
        let text = field(row, name)?;
        if text.is_empty() {
            Ok(None)
        } else {
            Ok(Some(
                text.parse().with_context(|| format!("{name}: {text}"))?,
            ))
        }
    };
    let mut out = Vec::new();
    let mut national = 0;
    for row in rows {
        ensure!(row.len() == header.len(), "{row:?}");
        let table = field(row, "table")?;
        if table == "national-figures" {
            national += 1;
            ensure!(num(row, "national_value")?.is_some(), "{row:?}");
            continue;
        }
        let figure = field(row, "figure")?;
        let group = Some(field(row, "group")?).filter(|g| !g.is_empty());
        out.push(Figure {
            table: table.clone(),
            figure: figure.clone(),
            from: day(&field(row, "from")?)?,
            to: day(&field(row, "to")?)?,
            group,
            value: num(row, "value")?,
            median: num(row, "median_days")?,
            counted: num(row, "counted")?,
            met: num(row, "met")?,
        });
        if table == "tiles" {
            out.push(Figure {
                table: "tiles-before".into(),
                figure,
                from: day(&field(row, "previous_from")?)?,
                to: day(&field(row, "previous_to")?)?,
                group: None,
                value: num(row, "previous_value")?,
                median: num(row, "previous_median_days")?,
                counted: num(row, "previous_counted")?,
                met: num(row, "previous_met")?,
            });
        }
    }
    ensure!(national > 0, "no national figure in the CSV");
    Ok(out)
}

// ---------------------------------------------------------------------------------------

async fn get(
    server: &TestServer,
    client: &reqwest::Client,
    session: &str,
    path: &str,
) -> anyhow::Result<reqwest::Response> {
    Ok(client
        .get(server.server.url(path))
        .header(COOKIE, session)
        .send()
        .await?)
}

/// The href of the page's link whose path is `path`, its `&` unescaped.
fn link(page: &str, path: &str) -> anyhow::Result<String> {
    let marker = format!("href=\"{path}?");
    let at = page
        .find(&marker)
        .with_context(|| format!("no link to {path}"))?
        + 6;
    let end = page[at..].find('"').context("href")? + at;
    Ok(page[at..end].replace("&#38;", "&").replace("&amp;", "&"))
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A leader downloads the figures of two views by the dashboard's own links; both files
/// hold the API's figures for the same period, quarters and groups, and nothing that names a
/// child. The downloads write no audit row, as the page writes none: they name no case.
async fn the_downloads_hold_the_apis_figures(server: &TestServer) -> anyhow::Result<()> {
    cohort(server).await?;
    give_password(server.engine(), Role::Leader).await?;
    let client = no_redirects()?;
    let (session, _) = http_sign_in(server, &client, "leader.tester").await?;
    let views = [
        View {
            query: "",
            from: day("2025-11-03")?,
            to: day("2026-11-02")?,
            breakdown: "a1",
        },
        View {
            query: "?period=3-years&breakdown=a3",
            from: day("2023-11-03")?,
            to: day("2026-11-02")?,
            breakdown: "a3",
        },
        View {
            query: "?from=2024-11-03&to=2025-11-02&breakdown=waiting",
            from: day("2024-11-03")?,
            to: day("2025-11-02")?,
            breakdown: "waiting",
        },
    ];
    for view in &views {
        let expected = from_the_api(server, view).await?;
        let audit_before = server.engine().store().audit_head().await?.0;

        let page = get(
            server,
            &client,
            &session,
            &format!("/dashboard{}", view.query),
        )
        .await?
        .text()
        .await?;
        let window = format!(
            "from={}&to={}&breakdown={}",
            view.from, view.to, view.breakdown
        );
        let xlsx_link = link(&page, "/dashboard.xlsx")?;
        let csv_link = link(&page, "/dashboard.csv")?;
        assert_eq!(xlsx_link, format!("/dashboard.xlsx?{window}"));
        assert_eq!(csv_link, format!("/dashboard.csv?{window}"));
        let stem = format!("permanence-dashboard-{}-to-{}", view.from, view.to);

        let response = get(server, &client, &session, &xlsx_link).await?;
        assert_eq!(response.status(), StatusCode::OK, "{xlsx_link}");
        assert_eq!(header(&response, CONTENT_TYPE), XLSX);
        assert_eq!(
            header(&response, CONTENT_DISPOSITION),
            format!("attachment; filename=\"{stem}.xlsx\"")
        );
        let bytes = response.bytes().await?;
        let (figures, text) = read_workbook(&bytes, view)?;
        assert_same(&format!("the workbook of {xlsx_link}"), &figures, &expected)?;
        assert_nothing_identifying("the workbook", &text)?;

        let response = get(server, &client, &session, &csv_link).await?;
        assert_eq!(response.status(), StatusCode::OK, "{csv_link}");
        assert_eq!(header(&response, CONTENT_TYPE), "text/csv; charset=utf-8");
        assert_eq!(
            header(&response, CONTENT_DISPOSITION),
            format!("attachment; filename=\"{stem}.csv\"")
        );
        let text = response.text().await?;
        assert_same(
            &format!("the CSV of {csv_link}"),
            &read_csv(&text)?,
            &expected,
        )?;
        assert_nothing_identifying("the CSV", &text)?;

        assert_eq!(
            server.engine().store().audit_head().await?.0,
            audit_before,
            "the dashboard and its downloads name no case and write no audit row"
        );
    }

    // The hand-worked figures, as a spreadsheet holds them: A1 of the last 12 months.
    let response = get(server, &client, &session, "/dashboard.csv").await?;
    let text = response.text().await?;
    assert!(
        text.contains(
            "\ntiles,a1,days,2025-11-03,2026-11-02,,,374.5,374.5,2,,2024-11-03,2025-11-02,259,259,1,,115.5,115.5,486,England average,"
        ),
        "{text}"
    );

    // Dates that make no period: the dashboard's own answer, with the problem.
    let response = get(
        server,
        &client,
        &session,
        "/dashboard.xlsx?from=2026-01-01&to=2026-12-31",
    )
    .await?;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await?
            .contains("The end date must be today or in the past")
    );
    Ok(())
}

on_both_backends!(
    the_dashboards_downloads_hold_the_apis_figures,
    the_downloads_hold_the_apis_figures
);

/// The dashboard's `Server-Timing` (read by the benchmark): the whole first, as every page
/// gives it, then the steps it took: reading the cases, working out the figures (of the
/// periods, the quarters, the breakdowns), and making the page or the file, which the whole
/// includes.
fn assert_steps(response: &reqwest::Response, made: &str) -> anyhow::Result<()> {
    let timing = header(response, "server-timing".parse()?);
    let metrics: Vec<(&str, f64)> = timing
        .split(", ")
        .map(|m| {
            let (name, millis) = m.split_once(";dur=").context("a metric")?;
            Ok((name, millis.parse()?))
        })
        .collect::<anyhow::Result<_>>()
        .with_context(|| timing.clone())?;
    let names: Vec<&str> = metrics.iter().map(|(n, _)| *n).collect();
    ensure!(
        names == ["app", "cases", "periods", "quarters", "breakdowns", made],
        "{timing}"
    );
    let steps: f64 = metrics[1..].iter().map(|(_, ms)| ms).sum();
    ensure!(
        metrics[0].1 + 0.01 >= steps,
        "the whole is less than its steps: {timing}"
    );
    Ok(())
}

/// The downloads are for those who open the dashboard: the others get the same "page not
/// found" as for `/dashboard`, and someone not signed in is sent to sign in.
async fn who_downloads(server: &TestServer) -> anyhow::Result<()> {
    cohort(server).await?;
    let client = no_redirects()?;
    for (role, username, allowed) in [
        (Role::Leader, "leader.tester", true),
        (Role::AgencyDecisionMaker, "adm.tester", true),
        (Role::TeamManager, "tm.tester", true),
        (Role::SocialWorker, "sw.tester", false),
        (Role::PanelChair, "chair.tester", false),
        (Role::Administrator, "admin.tester", false),
    ] {
        give_password(server.engine(), role).await?;
        let (session, _) = http_sign_in(server, &client, username).await?;
        let page = get(server, &client, &session, "/dashboard").await?;
        let page_status = page.status();
        if allowed {
            assert_steps(&page, "page")?;
        }
        let page_body = page.text().await?;
        for path in ["/dashboard.csv", "/dashboard.xlsx"] {
            let response = get(server, &client, &session, path).await?;
            let status = response.status();
            if allowed {
                assert_eq!(status, StatusCode::OK, "{username} {path}");
                assert!(header(&response, CONTENT_DISPOSITION).starts_with("attachment;"));
                assert_steps(&response, "file")?;
            } else {
                assert_eq!(page_status, StatusCode::NOT_FOUND, "{username}");
                assert_eq!(status, StatusCode::NOT_FOUND, "{username} {path}");
                assert!(header(&response, CONTENT_TYPE).starts_with("text/html"));
                assert_eq!(response.text().await?, page_body, "{username} {path}");
            }
        }
    }
    let response = client
        .get(server.server.url("/dashboard.xlsx"))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(header(&response, reqwest::header::LOCATION).starts_with("/sign-in"));
    Ok(())
}

on_both_backends!(
    the_downloads_are_for_those_who_see_the_dashboard,
    who_downloads
);

/// The computed style of an element (or of its `::after`) under the media emulated.
async fn style(
    browser: &Browser,
    css: &str,
    pseudo: Option<&str>,
    property: &str,
) -> anyhow::Result<String> {
    let value = browser
        .client
        .execute(
            "const e = document.querySelector(arguments[0]);
             return e ? getComputedStyle(e, arguments[1]).getPropertyValue(arguments[2]) : 'missing';",
            vec![json!(css), json!(pseudo), json!(property)],
        )
        .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

/// In the browser: the dashboard's Excel link downloads the workbook in the leader's session,
/// axe-core still finds nothing serious, and printing leaves off the menu, the choices and
/// the links' addresses, keeps each chart whole, and prints the period at the top.
async fn the_pack_in_the_browser(server: &TestServer) -> anyhow::Result<()> {
    cohort(server).await?;
    give_password(server.engine(), Role::Leader).await?;
    let browser = Browser::start(&server.server.url("")).await?;
    browser.goto("/sign-in").await?;
    sign_in(&browser, "leader.tester", TEST_PASSWORD).await?;
    browser
        .click_and_load("#navigation a[href='/dashboard']")
        .await?;
    let downloads = browser.text("#downloads").await?;
    assert!(
        downloads.starts_with("Download the figures: CSV") && downloads.contains(", Excel"),
        "{downloads}"
    );
    browser
        .assert_accessible("the dashboard with its downloads")
        .await?;
    browser.screenshot("dashboard-downloads").await?;

    // The Excel link, followed in the page's own session.
    let fetched = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const a = document.getElementById('download-xlsx');
             fetch(a.href).then(r => r.arrayBuffer().then(b => done({
                 status: r.status, type: r.headers.get('content-type'),
                 disposition: r.headers.get('content-disposition'),
                 start: String.fromCharCode(...new Uint8Array(b.slice(0, 2))) })))
               .catch(e => done({ error: String(e) }));",
            vec![],
        )
        .await?;
    assert_eq!(
        fetched,
        json!({
            "status": 200, "type": XLSX,
            "disposition": "attachment; filename=\"permanence-dashboard-2025-11-03-to-2026-11-02.xlsx\"",
            "start": "PK",
        })
    );

    // On the screen: the menu, the downloads and the choices; "as recorded on" is for paper.
    for css in [
        "#downloads",
        "#choose-period",
        ".govuk-service-navigation__wrapper",
    ] {
        assert_ne!(
            style(&browser, css, None, "display").await?,
            "none",
            "{css}"
        );
    }
    assert_eq!(style(&browser, "#printed", None, "display").await?, "none");

    browser.emulate_media("print").await?;
    for css in [
        ".govuk-service-navigation__wrapper",
        ".govuk-footer",
        "#quick-periods",
        "#choose-period",
        "#downloads",
        "#breakdown-choices",
    ] {
        assert_eq!(
            style(&browser, css, None, "display").await?,
            "none",
            "{css} is printed"
        );
    }
    assert_eq!(style(&browser, "#period", None, "display").await?, "block");
    assert_eq!(style(&browser, "#printed", None, "display").await?, "block");
    assert_eq!(
        browser.text("#printed").await?,
        "Figures for E10000003 as recorded on 2 November 2026."
    );
    for css in ["#trend-a1", "#by-team", "#tile-a1"] {
        assert_eq!(
            style(&browser, css, None, "break-inside").await?,
            "avoid",
            "{css}"
        );
    }
    // GOV.UK Frontend prints a link's address after it; the pack does not.
    assert_eq!(
        style(
            &browser,
            "#tile-a1 .app-tile__figure a",
            Some("::after"),
            "content"
        )
        .await?,
        "none"
    );
    assert_eq!(
        style(&browser, "#by-team-table a", Some("::after"), "content").await?,
        "none"
    );
    let (path, pdf) = browser.print_pdf("dashboard-pack").await?;
    eprintln!("printed: {}", path.display());
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    browser.screenshot("dashboard-pack-print-media").await?;
    browser.emulate_media("").await?;
    assert_eq!(
        style(&browser, "#downloads", None, "display").await?,
        "block"
    );
    browser.close().await
}

on_both_backends!(the_dashboard_prints_as_a_pack, the_pack_in_the_browser);
