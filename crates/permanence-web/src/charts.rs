//! Charts drawn on the server as SVG (plotters' SVG backend), to be inlined into a page.
//!
//! Each chart has its title, labelled axes with their units and its marks as SVG `<text>` and
//! shapes: nothing is loaded, no font file is read (the browser lays out the text), and no
//! script or style attribute is written, so the pages' Content-Security-Policy holds. The
//! `<svg>` is an image with a name (`role="img"`, `aria-labelledby` its `<title>`); the page
//! puts the same figures in a table beside it, which is what a screen reader reads and what
//! a leader copies into a paper.
//!
//! Colours are from the Okabe–Ito palette, which readers with any common colour-vision
//! deficiency tell apart, and a reference line is dashed as well as coloured.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Okabe–Ito blue: the figures (5.3:1 against white).
pub(crate) const FIGURE_COLOUR: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Okabe–Ito vermillion: a reference figure (3.9:1 against white).
const REFERENCE_COLOUR: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// GOV.UK text colour, for axes and words.
const TEXT_COLOUR: RGBColor = RGBColor(0x0B, 0x0C, 0x0C);
/// GOV.UK's mid grey, for grid lines.
const GRID_COLOUR: RGBColor = RGBColor(0xCE, 0xCE, 0xCE);
const FONT: &str = "arial, sans-serif";
// The SVG backend writes a font's size divided by 1.24: these read as 18, 14 and 15 pixels.
const TITLE_SIZE: f64 = 22.3;
const LABEL_SIZE: f64 = 17.4;
const AXIS_SIZE: f64 = 18.6;

const TREND_SIZE: (u32, u32) = (640, 360);
const LEGEND_HEIGHT: u32 = 26;
/// About how wide a character of the labels is: the layout the library has without fonts
/// reckons so, and so do the pages' Arial at this size.
const CHARACTER_WIDTH: i32 = 8;
const BAR_WIDTH: u32 = 640;
const BAR_ROW: u32 = 30;

/// A chart could not be drawn (a drawing error of the library, never the data's fault).
#[derive(Debug)]
pub(crate) struct ChartError(String);

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "drawing a chart: {}", self.0)
    }
}

impl From<ChartError> for crate::error::PageError {
    fn from(e: ChartError) -> Self {
        crate::error::PageError::Internal(e.to_string())
    }
}

fn drawing<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError(format!("{e:?}"))
}

/// How the values of a chart read: the unit on the axis and beside a figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scale {
    Days,
    Percent,
    Children,
}

impl Scale {
    fn tick(self, value: f64) -> String {
        match self {
            Scale::Percent => format!("{value:.0}%"),
            Scale::Days | Scale::Children => format!("{value:.0}"),
        }
    }

    fn figure(self, value: f64) -> String {
        let number = crate::format::number(value);
        match self {
            Scale::Days => format!("{number} days"),
            Scale::Percent => format!("{number}%"),
            Scale::Children => number,
        }
    }

    /// The top of the value axis: a little above the largest value, whole percentages up to
    /// 100.
    fn top(self, largest: f64) -> f64 {
        match self {
            Scale::Percent => 100.0,
            Scale::Days | Scale::Children => (largest * 1.15).max(1.0),
        }
    }
}

/// A figure over time: one value a period (none where nothing was counted), optionally
/// against a reference line.
pub(crate) struct Trend<'a> {
    /// The SVG title's element id (unique on the page).
    pub id: &'a str,
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub scale: Scale,
    /// Each period's label and value.
    pub points: &'a [(String, Option<f64>)],
    /// A reference figure drawn across the chart, with what it is.
    pub reference: Option<(String, f64)>,
}

/// Groups compared: one bar a group with a value, longest at the top.
pub(crate) struct Bars<'a> {
    pub id: &'a str,
    pub title: &'a str,
    /// What the bars measure, with the unit ("Mean days").
    pub value_label: &'a str,
    pub scale: Scale,
    pub bars: &'a [(String, f64)],
}

/// The area every chart is drawn on.
type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Draws a chart of `size` on a white ground with `draw`, as an inline SVG named by its
/// title for assistive technology.
fn render(
    size: (u32, u32),
    id: &str,
    title: &str,
    draw: impl FnOnce(&Area<'_>) -> Result<(), ChartError>,
) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        draw(&root)?;
        root.present().map_err(drawing)?;
    }
    Ok(accessible(svg, id, title))
}

/// The title at the top, then a line for the legend of its own (so that it never hides a
/// mark): answers the legend's line and the plot below it.
fn titled_with_legend<'a>(
    area: &Area<'a>,
    title: &str,
) -> Result<(Area<'a>, Area<'a>), ChartError> {
    let body = area
        .titled(title, (FONT, TITLE_SIZE).into_font().color(&TEXT_COLOUR))
        .map_err(drawing)?;
    Ok(body.split_vertically(LEGEND_HEIGHT))
}

/// The trend as an inline SVG.
pub(crate) fn trend_svg(trend: &Trend<'_>) -> Result<String, ChartError> {
    render(TREND_SIZE, trend.id, trend.title, |area| {
        draw_trend(area, trend)
    })
}

fn draw_trend(area: &Area<'_>, trend: &Trend<'_>) -> Result<(), ChartError> {
    let (legend, plot) = titled_with_legend(area, trend.title)?;
    let mut entries = vec![(trend.y_label.to_owned(), false)];
    if let Some((what, value)) = &trend.reference {
        entries.push((format!("{what}: {}", trend.scale.figure(*value)), true));
    }
    draw_legend(&legend, &entries)?;
    let n = trend.points.len().max(1);
    let largest = trend
        .points
        .iter()
        .filter_map(|(_, v)| *v)
        .chain(trend.reference.as_ref().map(|(_, v)| *v))
        .fold(0.0_f64, f64::max);
    let top = trend.scale.top(largest);
    let mut chart = ChartBuilder::on(&plot)
        .margin(12)
        .margin_top(4)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(segments(n), 0.0..top)
        .map_err(drawing)?;
    // Labels every so often when there are many periods, so that they never overlap.
    let every = n.div_ceil(8);
    let labels: Vec<&str> = trend.points.iter().map(|(l, _)| l.as_str()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID_COLOUR)
        .axis_style(TEXT_COLOUR)
        .x_labels(n)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => usize::try_from(*i)
                .ok()
                .filter(|i| i.is_multiple_of(every))
                .and_then(|i| labels.get(i))
                .map_or_else(String::new, |l| (*l).to_owned()),
            _ => String::new(),
        })
        .y_label_formatter(&|v| trend.scale.tick(*v))
        .x_desc(trend.x_label)
        .y_desc(trend.y_label)
        .label_style((FONT, LABEL_SIZE).into_font().color(&TEXT_COLOUR))
        .axis_desc_style((FONT, AXIS_SIZE).into_font().color(&TEXT_COLOUR))
        .draw()
        .map_err(drawing)?;
    if let Some((_, value)) = &trend.reference {
        let ends = [
            (SegmentValue::Exact(0), *value),
            (SegmentValue::Last, *value),
        ];
        chart
            .draw_series(DashedLineSeries::new(
                ends,
                10,
                6,
                REFERENCE_COLOUR.stroke_width(2),
            ))
            .map_err(drawing)?;
    }
    let at = |i: usize| SegmentValue::CenterOf(i as i32);
    // A line through consecutive periods with a value; a gap where a period had none.
    let mut run: Vec<(SegmentValue<i32>, f64)> = Vec::new();
    let mut runs = Vec::new();
    for (i, (_, value)) in trend.points.iter().enumerate() {
        match value {
            Some(v) => run.push((at(i), *v)),
            None => runs.push(std::mem::take(&mut run)),
        }
    }
    runs.push(run);
    for run in runs.into_iter().filter(|r| r.len() > 1) {
        chart
            .draw_series(LineSeries::new(run, FIGURE_COLOUR.stroke_width(3)))
            .map_err(drawing)?;
    }
    // One mark per value: a period's figure can be seen even with no line to it.
    chart
        .draw_series(trend.points.iter().enumerate().filter_map(|(i, (_, v))| {
            v.map(|v| Circle::new((at(i), v), 5, FIGURE_COLOUR.filled()))
        }))
        .map_err(drawing)?;
    Ok(())
}

/// A legend on one line: a sample of each line (dashed for a reference) and its words.
fn draw_legend(area: &Area<'_>, entries: &[(String, bool)]) -> Result<(), ChartError> {
    let style = (FONT, LABEL_SIZE)
        .into_font()
        .color(&TEXT_COLOUR)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let y = LEGEND_HEIGHT as i32 / 2;
    let mut x = 76;
    for (words, dashed) in entries {
        if *dashed {
            for start in [x, x + 14] {
                area.draw(&PathElement::new(
                    vec![(start, y), (start + 10, y)],
                    REFERENCE_COLOUR.stroke_width(2),
                ))
                .map_err(drawing)?;
            }
        } else {
            area.draw(&PathElement::new(
                vec![(x, y), (x + 24, y)],
                FIGURE_COLOUR.stroke_width(3),
            ))
            .map_err(drawing)?;
        }
        area.draw(&Text::new(words.clone(), (x + 30, y), style.clone()))
            .map_err(drawing)?;
        x += 30 + CHARACTER_WIDTH * words.chars().count() as i32 + 24;
    }
    Ok(())
}

/// The groups as horizontal bars, sorted longest first, each with its figure at its end.
pub(crate) fn bars_svg(bars: &Bars<'_>) -> Result<String, ChartError> {
    let mut sorted: Vec<&(String, f64)> = bars.bars.iter().collect();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let n = sorted.len().max(1);
    let height = 110 + BAR_ROW * n as u32;
    render((BAR_WIDTH, height), bars.id, bars.title, |area| {
        draw_bars(area, bars, &sorted)
    })
}

fn draw_bars(
    area: &Area<'_>,
    bars: &Bars<'_>,
    sorted: &[&(String, f64)],
) -> Result<(), ChartError> {
    let n = sorted.len().max(1);
    let largest = sorted.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
    // Room for the figure written at the end of the longest bar.
    let top = match bars.scale {
        Scale::Percent => 115.0,
        _ => (largest * 1.25).max(1.0),
    };
    let longest_label = sorted
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(4);
    let label_width = (longest_label as u32 * CHARACTER_WIDTH.unsigned_abs() + 16).clamp(60, 280);
    let mut chart = ChartBuilder::on(area)
        .caption(
            bars.title,
            (FONT, TITLE_SIZE).into_font().color(&TEXT_COLOUR),
        )
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(label_width)
        .build_cartesian_2d(0.0..top, segments(n))
        .map_err(drawing)?;
    // The first group (the longest) is drawn at the top: the axis counts from the bottom.
    let row = |rank: usize| (n - 1 - rank) as i32;
    let names: Vec<&str> = sorted.iter().map(|(l, _)| l.as_str()).collect();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID_COLOUR)
        .axis_style(TEXT_COLOUR)
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => usize::try_from(n as i32 - 1 - *i)
                .ok()
                .and_then(|rank| names.get(rank))
                .map_or_else(String::new, |l| (*l).to_owned()),
            _ => String::new(),
        })
        .x_label_formatter(&|v| {
            if bars.scale == Scale::Percent && *v > 100.0 {
                String::new()
            } else {
                bars.scale.tick(*v)
            }
        })
        .x_desc(bars.value_label)
        .label_style((FONT, LABEL_SIZE).into_font().color(&TEXT_COLOUR))
        .axis_desc_style((FONT, AXIS_SIZE).into_font().color(&TEXT_COLOUR))
        .draw()
        .map_err(drawing)?;
    chart
        .draw_series(sorted.iter().enumerate().map(|(rank, (_, value))| {
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(row(rank))),
                    (*value, SegmentValue::Exact(row(rank) + 1)),
                ],
                FIGURE_COLOUR.filled(),
            );
            bar.set_margin(5, 5, 0, 0);
            bar
        }))
        .map_err(drawing)?;
    let figure_style = (FONT, LABEL_SIZE)
        .into_font()
        .color(&TEXT_COLOUR)
        .pos(Pos::new(HPos::Left, VPos::Center));
    chart
        .draw_series(sorted.iter().enumerate().map(|(rank, (_, value))| {
            Text::new(
                format!(" {}", bars.scale.figure(*value)),
                (*value, SegmentValue::CenterOf(row(rank))),
                figure_style.clone(),
            )
        }))
        .map_err(drawing)?;
    Ok(())
}

/// The stages of one route, in the route's order: a bar a stage, its length the cases at
/// the stage, the part of them past their deadline drawn first in the reference colour.
/// Small multiples share `top`, so that their bars compare.
pub(crate) struct Stages<'a> {
    pub id: &'a str,
    pub title: &'a str,
    /// What the bars count, with the unit ("Cases at the stage now").
    pub value_label: &'a str,
    /// Each stage's name, its cases, and how many of them are past their deadline.
    pub stages: &'a [(String, usize, usize)],
    /// The largest count the bars of every chart of the set reach.
    pub top: usize,
}

const STAGES_WIDTH: u32 = 720;

/// The stages as horizontal bars, top to bottom in the route's order (never sorted: the
/// order is the route's), each with its figures written at its end.
pub(crate) fn stages_svg(stages: &Stages<'_>) -> Result<String, ChartError> {
    let n = stages.stages.len().max(1);
    let height = 110 + LEGEND_HEIGHT + BAR_ROW * n as u32;
    render((STAGES_WIDTH, height), stages.id, stages.title, |area| {
        draw_stages(area, stages)
    })
}

fn draw_stages(area: &Area<'_>, stages: &Stages<'_>) -> Result<(), ChartError> {
    let (legend, plot) = titled_with_legend(area, stages.title)?;
    draw_box_legend(
        &legend,
        &[
            ("Within the deadline", FIGURE_COLOUR),
            ("Past the deadline", REFERENCE_COLOUR),
        ],
    )?;
    let n = stages.stages.len().max(1);
    // Room at the end of the longest bar for its figures.
    let top = i32::try_from(stages.top.max(1)).unwrap_or(i32::MAX / 2);
    let end = top.saturating_mul(2).max(top + 2);
    let longest_label = stages
        .stages
        .iter()
        .map(|(l, _, _)| l.chars().count())
        .max()
        .unwrap_or(4);
    let label_width = (longest_label as u32 * CHARACTER_WIDTH.unsigned_abs() + 16).clamp(60, 300);
    let mut chart = ChartBuilder::on(&plot)
        .margin(12)
        .margin_top(4)
        .x_label_area_size(44)
        .y_label_area_size(label_width)
        .build_cartesian_2d(0..end, segments(n))
        .map_err(drawing)?;
    let row = |rank: usize| (n - 1 - rank) as i32;
    let names: Vec<&str> = stages.stages.iter().map(|(l, _, _)| l.as_str()).collect();
    // Whole cases only: at most ten ticks, never a fraction.
    let ticks = usize::try_from(end).unwrap_or(10).min(10) + 1;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID_COLOUR)
        .axis_style(TEXT_COLOUR)
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => usize::try_from(n as i32 - 1 - *i)
                .ok()
                .and_then(|rank| names.get(rank))
                .map_or_else(String::new, |l| (*l).to_owned()),
            _ => String::new(),
        })
        .x_labels(ticks)
        .x_label_formatter(&|v| {
            if *v <= top {
                v.to_string()
            } else {
                String::new()
            }
        })
        .x_desc(stages.value_label)
        .label_style((FONT, LABEL_SIZE).into_font().color(&TEXT_COLOUR))
        .axis_desc_style((FONT, AXIS_SIZE).into_font().color(&TEXT_COLOUR))
        .draw()
        .map_err(drawing)?;
    let count = |v: usize| i32::try_from(v).unwrap_or(i32::MAX / 2);
    let bar = |rank: usize, from: i32, to: i32, colour: RGBColor| {
        let mut bar = Rectangle::new(
            [
                (from, SegmentValue::Exact(row(rank))),
                (to, SegmentValue::Exact(row(rank) + 1)),
            ],
            colour.filled(),
        );
        bar.set_margin(5, 5, 0, 0);
        bar
    };
    chart
        .draw_series(
            stages
                .stages
                .iter()
                .enumerate()
                .filter(|(_, (_, _, past))| *past > 0)
                .map(|(rank, (_, _, past))| bar(rank, 0, count(*past), REFERENCE_COLOUR)),
        )
        .map_err(drawing)?;
    chart
        .draw_series(
            stages
                .stages
                .iter()
                .enumerate()
                .filter(|(_, (_, cases, past))| cases > past)
                .map(|(rank, (_, cases, past))| {
                    bar(rank, count(*past), count(*cases), FIGURE_COLOUR)
                }),
        )
        .map_err(drawing)?;
    let figure_style = (FONT, LABEL_SIZE)
        .into_font()
        .color(&TEXT_COLOUR)
        .pos(Pos::new(HPos::Left, VPos::Center));
    chart
        .draw_series(
            stages
                .stages
                .iter()
                .enumerate()
                .map(|(rank, (_, cases, past))| {
                    let words = match past {
                        0 => format!(" {cases}"),
                        _ => format!(" {cases}: {past} past the deadline"),
                    };
                    Text::new(
                        words,
                        (count(*cases), SegmentValue::CenterOf(row(rank))),
                        figure_style.clone(),
                    )
                }),
        )
        .map_err(drawing)?;
    Ok(())
}

/// A legend on one line: a filled square of each colour and its words.
fn draw_box_legend(area: &Area<'_>, entries: &[(&str, RGBColor)]) -> Result<(), ChartError> {
    let style = (FONT, LABEL_SIZE)
        .into_font()
        .color(&TEXT_COLOUR)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let y = LEGEND_HEIGHT as i32 / 2;
    let mut x = 76;
    for (words, colour) in entries {
        area.draw(&Rectangle::new(
            [(x, y - 8), (x + 16, y + 8)],
            colour.filled(),
        ))
        .map_err(drawing)?;
        area.draw(&Text::new(words.to_string(), (x + 24, y), style.clone()))
            .map_err(drawing)?;
        x += 24 + CHARACTER_WIDTH * words.chars().count() as i32 + 24;
    }
    Ok(())
}

/// One segment of a discrete axis per period or group. The library's integer range includes
/// its end, so `0..n - 1` has `n` segments; a single one is drawn as the first of two.
fn segments(
    n: usize,
) -> plotters::coord::ranged1d::SegmentedCoord<plotters::coord::types::RangedCoordi32> {
    (0..(n as i32 - 1).max(1)).into_segmented()
}

/// Makes the library's `<svg>` an image with a name: `role="img"`, labelled by a `<title>`
/// (the first child, as SVG wants it), and a class the styles scale to the column.
fn accessible(svg: String, id: &str, title: &str) -> String {
    let title_id = format!("{id}-title");
    let Some(open_end) = svg.find('>') else {
        return svg;
    };
    let (open, rest) = svg.split_at(open_end + 1);
    let open = open.replacen(
        "<svg ",
        &format!(
            "<svg role=\"img\" aria-labelledby=\"{title_id}\" focusable=\"false\" class=\"app-chart__svg\" "
        ),
        1,
    );
    format!(
        "{open}<title id=\"{title_id}\">{}</title>{rest}",
        escape(title)
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of every `<text>` element, in order.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let start = t.find('>')? + 1;
                let end = t.find("</text>")?;
                Some(t[start..end].trim().to_owned())
            })
            .collect()
    }

    /// How many elements of this kind are filled with the figures' colour: the marks.
    fn marks(svg: &str, element: &str) -> usize {
        svg.split(&format!("<{element} "))
            .skip(1)
            .filter(|tag| {
                tag.split('>')
                    .next()
                    .is_some_and(|attrs| attrs.contains("fill=\"#0072B2\""))
            })
            .count()
    }

    fn quarters(values: &[Option<f64>]) -> Vec<(String, Option<f64>)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("Q{} 2025", i + 1), *v))
            .collect()
    }

    #[test]
    fn a_trend_has_its_title_axes_and_one_mark_per_value() {
        let points = quarters(&[Some(287.0), None, Some(229.5), Some(300.0)]);
        let svg = trend_svg(&Trend {
            id: "trend-a1",
            title: "A1 by quarter",
            x_label: "Quarter",
            y_label: "Mean days",
            scale: Scale::Days,
            points: &points,
            reference: Some(("England average 2015-18".into(), 486.0)),
        })
        .expect("draws");
        assert!(
            svg.starts_with("<svg role=\"img\" aria-labelledby=\"trend-a1-title\""),
            "{svg}"
        );
        assert!(svg.contains("<title id=\"trend-a1-title\">A1 by quarter</title>"));
        let texts = texts(&svg);
        for expected in [
            "A1 by quarter",
            "Quarter",
            "Mean days",
            "Q1 2025",
            "Q4 2025",
        ] {
            assert!(
                texts.iter().any(|t| t == expected),
                "{expected} in {texts:?}"
            );
        }
        assert!(
            texts
                .iter()
                .any(|t| t == "England average 2015-18: 486 days"),
            "{texts:?}"
        );
        // Three values, three marks; the quarter without one has none.
        assert_eq!(marks(&svg, "circle"), 3);
        // Nothing a Content-Security-Policy without inline styles would refuse.
        assert!(!svg.contains("style="), "{svg}");
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn a_percent_trend_reads_in_percent_up_to_100() {
        let points = quarters(&[Some(50.0), Some(75.0)]);
        let svg = trend_svg(&Trend {
            id: "trend-reviews",
            title: "Reviews on time",
            x_label: "Quarter",
            y_label: "Percent on time",
            scale: Scale::Percent,
            points: &points,
            reference: None,
        })
        .expect("draws");
        let texts = texts(&svg);
        assert!(texts.iter().any(|t| t == "100%"), "{texts:?}");
        assert!(texts.iter().any(|t| t == "Percent on time"), "{texts:?}");
        assert_eq!(marks(&svg, "circle"), 2);
    }

    #[test]
    fn bars_are_sorted_longest_first_with_one_bar_and_figure_per_group() {
        let groups = vec![
            ("South".to_owned(), 229.0),
            ("Team <A> & co".to_owned(), 287.0),
            ("North".to_owned(), 120.5),
        ];
        let svg = bars_svg(&Bars {
            id: "by-team",
            title: "A1 by team",
            value_label: "Mean days",
            scale: Scale::Days,
            bars: &groups,
        })
        .expect("draws");
        assert!(svg.contains("aria-labelledby=\"by-team-title\""));
        assert_eq!(marks(&svg, "rect"), 3);
        let texts = texts(&svg);
        for expected in ["A1 by team", "Mean days", "287 days", "120.5 days"] {
            assert!(
                texts.iter().any(|t| t == expected),
                "{expected} in {texts:?}"
            );
        }
        // A group's name is text, escaped, never markup.
        assert!(
            texts.iter().any(|t| t == "Team &lt;A&gt; &amp; co"),
            "{texts:?}"
        );
        // Longest first: the bars' labels read from the top down in that order.
        let ys: Vec<i64> = ["Team &lt;A&gt; &amp; co", "South", "North"]
            .iter()
            .map(|name| label_y(&svg, name))
            .collect();
        assert!(ys[0] < ys[1] && ys[1] < ys[2], "top to bottom: {ys:?}");
        // No empty row: one label a group.
        let empty_labels = svg
            .split("<text")
            .skip(1)
            .filter(|t| t.contains("text-anchor=\"end\""))
            .filter(|t| {
                t.split('>')
                    .nth(1)
                    .is_some_and(|c| c.trim().starts_with("</text") || c.trim().is_empty())
            })
            .count();
        assert_eq!(empty_labels, 0, "{svg}");
    }

    /// The `y` of the `<text>` element with this content.
    fn label_y(svg: &str, content: &str) -> i64 {
        svg.split("<text")
            .find(|t| {
                t.split_once('>')
                    .and_then(|(_, rest)| rest.split("</text>").next())
                    .is_some_and(|c| c.trim() == content)
            })
            .and_then(|t| t.split("y=\"").nth(1))
            .and_then(|rest| rest.split('"').next())
            .and_then(|y| y.parse().ok())
            .unwrap_or(i64::MAX)
    }

    #[test]
    fn an_empty_chart_still_draws_its_title_and_axes() {
        let svg = bars_svg(&Bars {
            id: "by-sex",
            title: "A2 by sex",
            value_label: "Mean days",
            scale: Scale::Days,
            bars: &[],
        })
        .expect("draws");
        assert_eq!(marks(&svg, "rect"), 0);
        assert!(texts(&svg).iter().any(|t| t == "A2 by sex"));
    }
}
