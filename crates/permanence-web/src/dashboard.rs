//! The leaders' dashboard (`/dashboard`): how quickly children reach permanence, for a
//! period the reader chooses. Tiles for the adoption scorecard's A1, A2, A10 and A3 and the
//! children waiting, each against the period before and a published national figure; trend
//! charts by quarter; and breakdowns of one figure by team, route, age band, sex and
//! ethnicity. Every figure links to the cases behind it (`measure_cases`).
//!
//! It is the API's `timeliness` and `childrenWaiting`, drawn: the same policy decides who
//! reads it (leaders, agency decision makers and team managers, over their authorities), and
//! the engine's measures work out every figure. The page names no case, so it writes no
//! audit row; the lists it links to do.

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
use axum::http::StatusCode;
use axum::response::Response;

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
}

/// The figures whose breakdowns the page offers.
const BREAKDOWN_FIGURES: [Figure; 5] = [
    Figure::A1,
    Figure::A2,
    Figure::A10,
    Figure::A3,
    Figure::Waiting,
];

pub(crate) async fn show(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let authorities = dashboard_data::authorities(&signed_in.principal)?;
    let today = state.engine.today();
    let asked = report_window::asked(&query, today);
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
    let mut page = DashboardPage {
        chrome: Chrome::new(&signed_in, "dashboard"),
        dates_open,
        form: FormView::new(fields, asked.values, errors.clone()),
        errors,
        quick_links,
        shown: None,
    };
    let Some(window) = window else {
        return Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY));
    };
    let data = dashboard_data::report_data(&state, &authorities).await?;
    let figures = dashboard_data::figures(&data, window, breakdown_figure).await?;
    let reference = &state.options.national_reference;
    page.shown = Some(Shown {
        period: period_text(window),
        previous_period: period_text(window.previous()),
        authorities: authorities.join(", "),
        tiles: dashboard_tiles::tiles(&figures.current, &figures.previous, window, reference),
        references: reference.all().to_vec(),
        trends: dashboard_charts::trends(&figures, reference)?,
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
        breakdowns: dashboard_charts::breakdowns(breakdown_figure, &figures, window)?,
    });
    Ok(html(&page))
}

/// "3 November 2025 to 2 November 2026".
pub(crate) fn period_text(window: Window) -> String {
    format!(
        "{} to {}",
        format::date(window.from),
        format::date(window.to)
    )
}
