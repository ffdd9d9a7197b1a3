//! The dashboard's charts with their tables: a trend by quarter for each figure that has
//! one, and the breakdowns of one figure by team, route, age band, sex and ethnicity as
//! sorted bars. Every figure of a table links to the cases behind it.

use crate::charts::{self, Bars, Trend};
use crate::dashboard_data::{Breakdown, Figures, Values};
use crate::dashboard_tiles::{cases_href, value_text};
use crate::error::PageError;
use crate::figures::{Figure, group_label};
use crate::reference_figures::NationalReference;
use crate::report_window::Window;
use chrono::{Datelike, NaiveDate};

/// The figures with a trend chart, in order.
pub(crate) const TRENDS: [Figure; 6] = [
    Figure::A1,
    Figure::A2,
    Figure::A10,
    Figure::Reviews,
    Figure::HealthAssessments,
    Figure::Visits,
];

/// A chart, and its figures as a table.
pub(crate) struct ChartSection {
    pub id: String,
    pub heading: String,
    pub svg: String,
    /// The table's first column ("Quarter", "Team").
    pub row_heading: &'static str,
    pub value_heading: &'static str,
    /// What the last column counts ("Children", "Reviews").
    pub counted_heading: &'static str,
    pub rows: Vec<TableRow>,
}

pub(crate) struct TableRow {
    pub label: String,
    pub value: String,
    /// The cases behind the figure; none where nothing was counted.
    pub href: Option<String>,
    pub counted: String,
}

/// One trend chart a figure.
pub(crate) fn trends(
    figures: &Figures,
    reference: &NationalReference,
) -> Result<Vec<ChartSection>, PageError> {
    TRENDS
        .into_iter()
        .map(|figure| trend(figure, figures, reference))
        .collect()
}

fn trend(
    figure: Figure,
    figures: &Figures,
    reference: &NationalReference,
) -> Result<ChartSection, PageError> {
    let id = format!("trend-{}", figure.key());
    let heading = format!("{} by quarter", figure.name());
    let points: Vec<(String, Option<f64>)> = figures
        .quarters
        .iter()
        .map(|(q, s)| (quarter_short(*q), s.get(figure).value))
        .collect();
    let reference = figure
        .scorecard()
        .and_then(|m| reference.first_for(m))
        .map(|r| (format!("{}, {}", r.what, r.period), r.value));
    let svg = charts::trend_svg(&Trend {
        id: &id,
        title: &heading,
        x_label: "Quarter",
        y_label: figure.axis(),
        scale: figure.scale(),
        points: &points,
        reference,
    })?;
    let rows = figures
        .quarters
        .iter()
        .map(|(q, s)| {
            row(
                figure,
                quarter_long(*q),
                s.get(figure),
                cases_href(figure, *q),
            )
        })
        .collect();
    Ok(ChartSection {
        id,
        heading,
        svg,
        row_heading: "Quarter",
        value_heading: figure.axis(),
        counted_heading: figure.counted_heading(),
        rows,
    })
}

/// The breakdowns of `figure`, one chart each.
pub(crate) fn breakdowns(
    figure: Figure,
    figures: &Figures,
    window: Window,
) -> Result<Vec<ChartSection>, PageError> {
    figures
        .breakdowns
        .iter()
        .map(|b| breakdown(figure, b, window))
        .collect()
}

fn breakdown(figure: Figure, b: &Breakdown, window: Window) -> Result<ChartSection, PageError> {
    let id = format!("by-{}", b.key);
    let heading = format!("{} by {}", figure.name(), b.label);
    let mut groups: Vec<(String, &String, Values)> = b
        .groups
        .iter()
        .map(|(name, values)| (group_label(b.by, name), name, *values))
        .collect();
    // Largest first, groups with nothing counted last: the order of the bars.
    groups.sort_by(|x, y| {
        let key = |v: &Values| v.value.unwrap_or(f64::NEG_INFINITY);
        key(&y.2).total_cmp(&key(&x.2)).then_with(|| x.0.cmp(&y.0))
    });
    let bars: Vec<(String, f64)> = groups
        .iter()
        .filter_map(|(label, _, v)| v.value.map(|value| (label.clone(), value)))
        .collect();
    let svg = charts::bars_svg(&Bars {
        id: &id,
        title: &heading,
        value_label: figure.axis(),
        scale: figure.scale(),
        bars: &bars,
    })?;
    let rows = groups
        .into_iter()
        .map(|(label, name, values)| {
            let href = format!(
                "{}&by={}&group={}",
                cases_href(figure, window),
                b.key,
                crate::format::query_value(name)
            );
            row(figure, label, values, href)
        })
        .collect();
    Ok(ChartSection {
        id,
        heading,
        svg,
        row_heading: first_column(b.key),
        value_heading: figure.axis(),
        counted_heading: figure.counted_heading(),
        rows,
    })
}

pub(crate) fn first_column(key: &str) -> &'static str {
    match key {
        "team" => "Team",
        "route" => "Route",
        "age-band" => "Age at entering care",
        "sex" => "Sex",
        _ => "Ethnicity",
    }
}

fn row(figure: Figure, label: String, values: Values, href: String) -> TableRow {
    TableRow {
        label,
        value: value_text(figure, values),
        href: (values.counted > 0).then_some(href),
        counted: match values.met {
            Some(met) => format!("{met} of {}", values.counted),
            None => values.counted.to_string(),
        },
    }
}

/// A quarter on a chart's axis: "Jan–Mar 26".
fn quarter_short(q: Window) -> String {
    let end = quarter_end_month(q.from);
    format!(
        "{}–{} {:02}",
        month_abbreviation(end - 2),
        month_abbreviation(end),
        q.from.year() % 100
    )
}

/// A quarter in a table, its months shortened as a narrow table may: "Jan to Mar 2026", or
/// the days of a part of one at either end of the window ("3 Nov to 31 Dec 2025").
pub(crate) fn quarter_long(q: Window) -> String {
    let whole = q.from.day() == 1
        && q.from.month0().is_multiple_of(3)
        && q.to
            .succ_opt()
            .is_some_and(|next| next.day() == 1 && next.month0().is_multiple_of(3))
        && q.to.month() == quarter_end_month(q.from);
    if whole {
        format!("{} to {}", q.from.format("%b"), q.to.format("%b %Y"))
    } else {
        format!(
            "{} to {}",
            q.from.format("%-d %b"),
            q.to.format("%-d %b %Y")
        )
    }
}

fn quarter_end_month(d: NaiveDate) -> u32 {
    d.month0() / 3 * 3 + 3
}

fn month_abbreviation(month: u32) -> &'static str {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    MONTHS
        .get(month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn quarters_are_named_whole_or_by_their_days() {
        let whole = Window {
            from: on(2026, 1, 1),
            to: on(2026, 3, 31),
        };
        assert_eq!(quarter_long(whole), "Jan to Mar 2026");
        assert_eq!(quarter_short(whole), "Jan–Mar 26");
        let part = Window {
            from: on(2025, 11, 3),
            to: on(2025, 12, 31),
        };
        assert_eq!(quarter_long(part), "3 Nov to 31 Dec 2025");
        assert_eq!(quarter_short(part), "Oct–Dec 25");
        let to_today = Window {
            from: on(2026, 10, 1),
            to: on(2026, 11, 2),
        };
        assert_eq!(quarter_long(to_today), "1 Oct to 2 Nov 2026");
    }
}
