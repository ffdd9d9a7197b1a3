//! The dashboard's tables, as its downloads hold them: the tiles (each figure for the period,
//! the period before, the change and the national figure), each trend by quarter, each
//! breakdown of the figure chosen, and the national figures with their sources. The same
//! figures as the page, kept as numbers and dates (the page's words are made from them) for
//! `dashboard_download` to write as CSV and as a workbook.
//!
//! Only counts, days, percentages, dates of periods and the groups' names (a team, a route,
//! an age band, a sex, an ethnicity category) are here: no case, no child, nothing typed.

use crate::dashboard::View;
use crate::dashboard_charts::{TRENDS, quarter_long};
use crate::dashboard_data::Values;
use crate::dashboard_tiles::TILES;
use crate::figures::{Figure, Kind, group_label};
use crate::reference_figures::{NationalReference, ReferenceFigure};
use crate::report_window::Window;

/// One figure for one period (and one group of a breakdown): a row of every table but the
/// national figures'.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FigureRow {
    pub figure: Figure,
    pub period: Window,
    /// A quarter as the page's table names it ("Jan to Mar 2026"), in a trend.
    pub quarter: Option<String>,
    /// The group as the page names it ("No team", "WBRI: White British"), in a breakdown.
    pub group: Option<String>,
    pub values: Values,
    /// A tile's comparisons.
    pub compared: Option<Compared>,
}

/// What a tile sets its figure beside.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Compared {
    pub previous: Window,
    pub values: Values,
    /// The figure less the period before's (days, percentage points or children), rounded
    /// to one place as the page compares them; none when either is missing.
    pub change: Option<f64>,
    pub median_change: Option<f64>,
    pub national: Option<ReferenceFigure>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Rows {
    Figures(Vec<FigureRow>),
    National(Vec<ReferenceFigure>),
}

/// What a table is, which decides its columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    Tiles,
    /// A trend by quarter of one figure.
    Trend(Figure),
    /// A breakdown of one figure: the breakdown's key (`team`) and its column's heading.
    Breakdown(Figure, &'static str, &'static str),
    National,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Table {
    /// As the page names its section (`tiles`, `trend-a1`, `by-team`, `national-figures`):
    /// the CSV's `table` column.
    pub key: String,
    /// The workbook's sheet (at most 31 characters).
    pub sheet: String,
    /// The page's heading for it.
    pub title: String,
    pub shape: Shape,
    pub rows: Rows,
}

/// Everything the downloads hold.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Pack {
    pub window: Window,
    pub authorities: Vec<String>,
    pub breakdown_figure: Figure,
    pub tables: Vec<Table>,
}

/// The unit a figure's values are in, as the CSV and the reference file write it.
pub(crate) fn unit(figure: Figure) -> &'static str {
    match figure.kind() {
        Kind::Days => "days",
        Kind::Share => "percent",
        Kind::Count => "children",
    }
}

/// A short name for a sheet: "A1", "Waiting", "Reviews".
fn short(figure: Figure) -> &'static str {
    match figure {
        Figure::A1 => "A1",
        Figure::A2 => "A2",
        Figure::A10 => "A10",
        Figure::A3 => "A3",
        Figure::Waiting => "Waiting",
        Figure::Reviews => "Reviews",
        Figure::HealthAssessments => "Health assessments",
        Figure::Visits => "Visits",
    }
}

/// `now - before`, rounded to one place.
fn difference(now: Option<f64>, before: Option<f64>) -> Option<f64> {
    let (now, before) = (now?, before?);
    Some(((now - before) * 10.0).round() / 10.0)
}

pub(crate) fn pack(view: &View, reference: &NationalReference) -> Pack {
    let figures = &view.figures;
    let window = view.window;
    let mut tables = Vec::new();

    let tiles = TILES
        .into_iter()
        .map(|figure| {
            let (now, before) = (figures.current.get(figure), figures.previous.get(figure));
            FigureRow {
                figure,
                period: window,
                quarter: None,
                group: None,
                values: now,
                compared: Some(Compared {
                    previous: window.previous(),
                    values: before,
                    change: difference(now.value, before.value),
                    median_change: difference(now.median, before.median),
                    national: figure
                        .scorecard()
                        .and_then(|m| reference.first_for(m))
                        .cloned(),
                }),
            }
        })
        .collect();
    tables.push(Table {
        key: "tiles".into(),
        sheet: "Tiles".into(),
        title: "Adoption scorecard".into(),
        shape: Shape::Tiles,
        rows: Rows::Figures(tiles),
    });

    for figure in TRENDS {
        let rows = figures
            .quarters
            .iter()
            .map(|(quarter, snapshot)| FigureRow {
                figure,
                period: *quarter,
                quarter: Some(quarter_long(*quarter)),
                group: None,
                values: snapshot.get(figure),
                compared: None,
            })
            .collect();
        tables.push(Table {
            key: format!("trend-{}", figure.key()),
            sheet: format!("{} by quarter", short(figure)),
            title: format!("{} by quarter", figure.name()),
            shape: Shape::Trend(figure),
            rows: Rows::Figures(rows),
        });
    }

    let figure = view.breakdown_figure;
    for breakdown in &figures.breakdowns {
        let mut rows: Vec<FigureRow> = breakdown
            .groups
            .iter()
            .map(|(name, values)| FigureRow {
                figure,
                period: window,
                quarter: None,
                group: Some(group_label(breakdown.by, name)),
                values: *values,
                compared: None,
            })
            .collect();
        // The order of the page's bars: largest first, nothing counted last.
        rows.sort_by(|x, y| {
            let key = |r: &FigureRow| r.values.value.unwrap_or(f64::NEG_INFINITY);
            key(y)
                .total_cmp(&key(x))
                .then_with(|| x.group.cmp(&y.group))
        });
        let heading = crate::dashboard_charts::first_column(breakdown.key);
        tables.push(Table {
            key: format!("by-{}", breakdown.key),
            sheet: format!("{} by {}", short(figure), sheet_word(breakdown.key)),
            title: format!("{} by {}", figure.name(), breakdown.label),
            shape: Shape::Breakdown(figure, breakdown.key, heading),
            rows: Rows::Figures(rows),
        });
    }

    tables.push(Table {
        key: "national-figures".into(),
        sheet: "National figures".into(),
        title: "Published figures the tiles are compared with".into(),
        shape: Shape::National,
        rows: Rows::National(reference.all().to_vec()),
    });

    Pack {
        window,
        authorities: view.authorities.clone(),
        breakdown_figure: figure,
        tables,
    }
}

/// A breakdown in a sheet's name: "team", "age band".
fn sheet_word(key: &str) -> &str {
    match key {
        "age-band" => "age band",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sheet_name_is_one_excel_takes() {
        // At most 31 characters, none of []:*?/\, and no two the same whatever is broken down.
        for figure in crate::dashboard::BREAKDOWN_FIGURES {
            let mut names: Vec<String> = vec!["About".into(), "Tiles".into()];
            names.extend(TRENDS.iter().map(|f| format!("{} by quarter", short(*f))));
            names.extend(
                crate::figures::BREAKDOWNS
                    .iter()
                    .map(|(key, _, _)| format!("{} by {}", short(figure), sheet_word(key))),
            );
            names.push("National figures".into());
            for name in &names {
                assert!(name.chars().count() <= 31, "{name}");
                assert!(
                    !name.contains(['[', ']', ':', '*', '?', '/', '\\']),
                    "{name}"
                );
            }
            let mut unique = names.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), names.len(), "{names:?}");
        }
    }

    #[test]
    fn a_change_is_rounded_as_the_page_compares() {
        assert_eq!(difference(Some(374.5), Some(259.0)), Some(115.5));
        assert_eq!(difference(Some(0.3), Some(0.1)), Some(0.2));
        assert_eq!(difference(Some(50.0), None), None);
    }
}
