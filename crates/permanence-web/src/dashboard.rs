//! The leaders' dashboard (`/dashboard`): how quickly children reach permanence, for a
//! period the reader chooses. Tiles for the adoption scorecard's A1, A2, A10 and A3 and the
//! children waiting, each against the period before and a published national figure; trend
//! charts by quarter; and breakdowns of one figure by team, route, age band, sex and
//! ethnicity. Every figure links to the cases behind it (`measure_cases`).
//!
//! It is the API's `timeliness` and `childrenWaiting`, drawn: the same policy decides who
//! reads it (leaders, agency decision makers and team managers, over their authorities), and
//! the engine's measures work out every figure. The page names no case, so it writes no
//! audit row; the lists it links to do. Its downloads (`dashboard_download`: the same
//! figures as CSV and as an Excel workbook) name none either, and write none.

use crate::chrome::Chrome;
use crate::dashboard_charts::ChartSection;
use crate::dashboard_tiles::Tile;
use crate::error::{PageError, html};
use crate::figures::Figure;
use crate::form::{Field, FieldError, FormView};
use crate::form_flow::with_status;
use crate::reference_figures::ReferenceFigure;
use crate::report_window::{self, PERIODS, Window};
use crate::session::SignedIn;
use crate::{WebState, dashboard_charts, dashboard_data, dashboard_tiles, format};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use std::time::Instant;

/// A quick choice of period, as a link.
pub(crate) struct QuickLink {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

/// A figure whose breakdowns may be shown, as a link.
pub(crate) struct BreakdownChoice {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    form: FormView,
    quick_links: Vec<QuickLink>,
    /// The dates are shown open when they were typed (or are wrong), and folded away under
    /// the quick choices otherwise.
    dates_open: bool,
    shown: Option<Shown>,
}

/// What the page shows once the period is right.
struct Shown {
    period: String,
    previous_period: String,
    authorities: String,
    tiles: Vec<Tile>,
    references: Vec<ReferenceFigure>,
    trends: Vec<ChartSection>,
    breakdown_figure: &'static str,
    breakdown_choices: Vec<BreakdownChoice>,
    breakdowns: Vec<ChartSection>,
    downloads: Downloads,
    /// Today, printed under the period: the figures move as records are added.
    made_on: String,
}

/// The figures whose breakdowns the page offers.
pub(crate) const BREAKDOWN_FIGURES: [Figure; 5] = [
    Figure::A1,
    Figure::A2,
    Figure::A10,
    Figure::A3,
    Figure::Waiting,
];

/// What the dashboard's query asks for, and everything shown for it: the page (its period
/// form, quick links and any problem with the dates typed) and, when the dates make a period,
/// the figures. The page and its downloads (`dashboard_download`) are both made from it, so
/// they show the same figures for the same link.
pub(crate) struct Answer {
    page: DashboardPage,
    pub view: Option<View>,
    pub timing: Timing,
}

/// How long the steps of an answer took, in milliseconds, sent beside the whole in
/// `Server-Timing` (`timing.rs`): reading the cases (only those changed since the last report
/// are read again); working out the figures of the period and the one before, of the
/// quarters, and of the breakdowns; then the page or the file.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Timing {
    pub cases: f64,
    pub figures: dashboard_data::Took,
}

impl Timing {
    /// `cases;dur=0.412, periods;dur=…, quarters;dur=…, breakdowns;dur=…, page;dur=4.210`,
    /// `made` naming the last step.
    pub fn header(self, made: &str, made_millis: f64) -> Option<HeaderValue> {
        let f = self.figures;
        HeaderValue::from_str(&format!(
            "cases;dur={:.3}, periods;dur={:.3}, quarters;dur={:.3}, breakdowns;dur={:.3}, \
             {made};dur={made_millis:.3}",
            self.cases, f.periods, f.quarters, f.breakdowns
        ))
        .ok()
    }
}

pub(crate) fn millis_since(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// The figures of one period, with the figure broken down.
pub(crate) struct View {
    pub window: Window,
    pub breakdown_figure: Figure,
    pub authorities: Vec<String>,
    pub figures: dashboard_data::Figures,
}

impl Answer {
    /// The page with the problems of the dates typed, and no figures.
    pub fn refused(&self) -> Response {
        with_status(html(&self.page), StatusCode::UNPROCESSABLE_ENTITY)
    }
}

/// Reads the query and works out its figures. Those who may not read every figure of the
/// dashboard get "page not found".
pub(crate) async fn answer(
    state: &WebState,
    signed_in: &SignedIn,
    query: &[(String, String)],
) -> Result<Answer, PageError> {
    let authorities = dashboard_data::authorities(&signed_in.principal)?;
    let today = state.engine.today();
    let asked = report_window::asked(query, today);
    let breakdown_figure = query
        .iter()
        .find(|(k, _)| k == "breakdown")
        .and_then(|(_, v)| Figure::from_key(v))
        .filter(|f| BREAKDOWN_FIGURES.contains(f))
        .unwrap_or(Figure::A1);
    let quick_links: Vec<QuickLink> = PERIODS
        .iter()
        .map(|(key, label)| QuickLink {
            href: format!("/dashboard?period={key}"),
            label,
            current: asked
                .window
                .as_ref()
                .ok()
                .and_then(|w| w.quick_choice(today))
                == Some(*key),
        })
        .collect();
    let fields = vec![
        Field::date("from", "Start date"),
        Field::date("to", "End date"),
    ];
    let (window, errors) = match asked.window {
        Ok(window) => (Some(window), Vec::new()),
        Err(errors) => (None, errors),
    };
    let dates_open = !quick_links.iter().any(|l| l.current);
    let page = DashboardPage {
        chrome: Chrome::new(signed_in, "dashboard"),
        dates_open,
        form: FormView::new(fields, asked.values, errors.clone()),
        errors,
        quick_links,
        shown: None,
    };
    let Some(window) = window else {
        return Ok(Answer {
            page,
            view: None,
            timing: Timing::default(),
        });
    };
    let started = Instant::now();
    let data = dashboard_data::report_data(state, &authorities).await?;
    let cases = millis_since(started);
    let figures = dashboard_data::figures(&data, window, breakdown_figure).await?;
    let timing = Timing {
        cases,
        figures: figures.took,
    };
    Ok(Answer {
        page,
        timing,
        view: Some(View {
            window,
            breakdown_figure,
            authorities,
            figures,
        }),
    })
}

pub(crate) async fn show(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let answer = answer(&state, &signed_in, &query).await?;
    let Some(view) = &answer.view else {
        return Ok(answer.refused());
    };
    let started = Instant::now();
    let (window, breakdown_figure, figures) = (view.window, view.breakdown_figure, &view.figures);
    let reference = &state.options.national_reference;
    let shown = Shown {
        period: period_text(window),
        previous_period: period_text(window.previous()),
        authorities: view.authorities.join(", "),
        tiles: dashboard_tiles::tiles(&figures.current, &figures.previous, window, reference),
        references: reference.all().to_vec(),
        trends: dashboard_charts::trends(figures, reference)?,
        breakdown_figure: breakdown_figure.name(),
        breakdown_choices: BREAKDOWN_FIGURES
            .into_iter()
            .map(|f| BreakdownChoice {
                href: format!(
                    "/dashboard?{}&breakdown={}#breakdowns",
                    window.query(),
                    f.key()
                ),
                label: f.name(),
                current: f == breakdown_figure,
            })
            .collect(),
        breakdowns: dashboard_charts::breakdowns(breakdown_figure, figures, window)?,
        downloads: Downloads {
            csv: download_href("csv", window, breakdown_figure),
            xlsx: download_href("xlsx", window, breakdown_figure),
        },
        made_on: format::date(state.engine.today()),
    };
    let mut page = answer.page;
    page.shown = Some(shown);
    let mut response = html(&page);
    if let Some(value) = answer.timing.header("page", millis_since(started)) {
        response.headers_mut().insert(SERVER_TIMING, value);
    }
    Ok(response)
}

pub(crate) const SERVER_TIMING: &str = "server-timing";

/// The downloads of the view shown: the same period and the same figure broken down.
struct Downloads {
    csv: String,
    xlsx: String,
}

/// `/dashboard.xlsx?from=2025-11-03&to=2026-11-02&breakdown=a1`.
fn download_href(extension: &str, window: Window, breakdown_figure: Figure) -> String {
    format!(
        "/dashboard.{extension}?{}&breakdown={}",
        window.query(),
        breakdown_figure.key()
    )
}

/// "3 November 2025 to 2 November 2026".
pub(crate) fn period_text(window: Window) -> String {
    format!(
        "{} to {}",
        format::date(window.from),
        format::date(window.to)
    )
}
