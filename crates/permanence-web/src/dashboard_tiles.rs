//! The dashboard's tiles: a figure for the window, the same figure for the period before,
//! the change between them in words, and the national reference figure. Each figure links
//! to the cases behind it.

use crate::dashboard_data::{Snapshot, Values};
use crate::figures::{Figure, Kind};
use crate::format::number;
use crate::reference_figures::NationalReference;
use crate::report_window::Window;

/// The figures that have a tile, in order.
pub(crate) const TILES: [Figure; 5] = [
    Figure::A1,
    Figure::A2,
    Figure::A10,
    Figure::A3,
    Figure::Waiting,
];

/// A figure as a tile shows it, and where it leads.
pub(crate) struct Shown {
    pub text: String,
    /// The cases behind the figure; none where nothing was counted.
    pub href: Option<String>,
    /// "2 children", "1 of 2 children".
    pub counted: String,
    pub median: Option<String>,
}

pub(crate) struct Tile {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub current: Shown,
    pub previous: Shown,
    pub change: String,
    pub median_change: Option<String>,
    pub reference: Option<String>,
}

pub(crate) fn tiles(
    current: &Snapshot,
    previous: &Snapshot,
    window: Window,
    reference: &NationalReference,
) -> Vec<Tile> {
    TILES
        .into_iter()
        .map(|figure| {
            let (now, before) = (current.get(figure), previous.get(figure));
            Tile {
                key: figure.key(),
                name: figure.name(),
                description: figure.description(),
                current: shown(figure, now, window),
                previous: shown(figure, before, window.previous()),
                change: change(figure, now.value, before.value),
                median_change: (figure.kind() == Kind::Days)
                    .then(|| change(figure, now.median, before.median)),
                reference: figure
                    .scorecard()
                    .and_then(|m| reference.first_for(m))
                    .map(|r| format!("{}, {}: {}", r.what, r.period, figure_text(figure, r.value))),
            }
        })
        .collect()
}

/// Where a figure's cases are listed.
pub(crate) fn cases_href(figure: Figure, window: Window) -> String {
    format!(
        "/dashboard/cases?measure={}&{}",
        figure.key(),
        window.query()
    )
}

/// A value in its unit: "258 days", "50%", "3".
pub(crate) fn figure_text(figure: Figure, value: f64) -> String {
    match figure.kind() {
        Kind::Days => format!("{} days", number(value)),
        Kind::Share => format!("{}%", number(value)),
        Kind::Count => number(value),
    }
}

/// A figure's value as shown, or why there is none.
pub(crate) fn value_text(figure: Figure, values: Values) -> String {
    match values.value {
        Some(v) => figure_text(figure, v),
        None => "None counted".to_owned(),
    }
}

/// "2 children", "1 of 2 children", "4 of 5 reviews".
pub(crate) fn counted_text(figure: Figure, values: Values) -> String {
    let (one, many) = figure.counted_noun();
    let noun = |n: usize| if n == 1 { one } else { many };
    match values.met {
        Some(met) => format!("{met} of {} {}", values.counted, noun(values.counted)),
        None => format!("{} {}", values.counted, noun(values.counted)),
    }
}

fn shown(figure: Figure, values: Values, window: Window) -> Shown {
    Shown {
        text: value_text(figure, values),
        href: (values.counted > 0).then(|| cases_href(figure, window)),
        counted: counted_text(figure, values),
        median: (figure.kind() == Kind::Days).then(|| match values.median {
            Some(m) => format!("{} days", number(m)),
            None => "none".to_owned(),
        }),
    }
}

/// The change from the previous period in words: "42 days shorter", "5 percentage points
/// higher", "2 more children", "No change".
fn change(figure: Figure, now: Option<f64>, before: Option<f64>) -> String {
    let (Some(now), Some(before)) = (now, before) else {
        return "No comparison: none counted in one of the periods".to_owned();
    };
    // Figures are rounded to one place: compare what the page shows.
    let difference = ((now - before) * 10.0).round() / 10.0;
    if difference == 0.0 {
        return "No change".to_owned();
    }
    let size = number(difference.abs());
    let up = difference > 0.0;
    match figure.kind() {
        Kind::Days => {
            let unit = if size == "1" { "day" } else { "days" };
            format!("{size} {unit} {}", if up { "longer" } else { "shorter" })
        }
        Kind::Share => format!(
            "{size} percentage point{} {}",
            if size == "1" { "" } else { "s" },
            if up { "higher" } else { "lower" }
        ),
        Kind::Count => {
            let noun = if size == "1" { "child" } else { "children" };
            format!("{size} {} {noun}", if up { "more" } else { "fewer" })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reads_in_the_figures_unit_and_direction() {
        assert_eq!(
            change(Figure::A1, Some(258.0), Some(300.0)),
            "42 days shorter"
        );
        assert_eq!(change(Figure::A2, Some(64.0), Some(63.0)), "1 day longer");
        assert_eq!(change(Figure::A10, Some(143.5), Some(143.5)), "No change");
        assert_eq!(
            change(Figure::A3, Some(50.0), Some(100.0)),
            "50 percentage points lower"
        );
        assert_eq!(
            change(Figure::Waiting, Some(3.0), Some(1.0)),
            "2 more children"
        );
        assert_eq!(
            change(Figure::Waiting, Some(0.0), Some(1.0)),
            "1 fewer child"
        );
        assert!(change(Figure::A1, None, Some(1.0)).starts_with("No comparison"));
    }

    #[test]
    fn counts_read_with_their_noun() {
        let values = |counted, met| Values {
            value: None,
            median: None,
            counted,
            met,
        };
        assert_eq!(counted_text(Figure::A1, values(1, None)), "1 child");
        assert_eq!(
            counted_text(Figure::A3, values(2, Some(1))),
            "1 of 2 children"
        );
        assert_eq!(
            counted_text(Figure::Reviews, values(5, Some(4))),
            "4 of 5 reviews"
        );
        assert_eq!(value_text(Figure::A2, values(0, None)), "None counted");
    }
}
