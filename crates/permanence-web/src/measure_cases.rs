//! The cases behind a figure of the dashboard (`/dashboard/cases?measure=a2&from=…&to=…`,
//! with `&by=team&group=North` for a group of a breakdown): each child's reference, team,
//! route, stage and days, the longest first, a page at a time.
//!
//! The list is the figure's own: the engine's report for the same period (and group) lists
//! the cases it counted, as the API's `cases` of a measure does. References only, never a
//! name, for every reader. A row opens the case where the reader's role lets them read it
//! (a team manager: their teams' cases and those with no team); every case listed is in the
//! audit log before the page is sent. A link that is not one of the dashboard's own is
//! "page not found".

use crate::chrome::Chrome;
use crate::dashboard_data::{self, report};
use crate::error::{PageError, html};
use crate::figures::{self, CaseBehind, Figure};
use crate::report_window::Window;
use crate::session::SignedIn;
use crate::{WebState, format};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use permanence_auth::{Action, CaseScope, Principal, Target, authorize};
use permanence_domain::measures::{self, GroupBy};
use permanence_domain::route::RouteCatalog;
use permanence_domain::{CaseId, CaseState};
use std::collections::HashMap;

/// Rows on one page.
const PAGE_SIZE: usize = 50;

#[derive(serde::Deserialize)]
pub(crate) struct CasesQuery {
    measure: String,
    from: String,
    to: String,
    by: Option<String>,
    group: Option<String>,
    page: Option<String>,
}

pub(crate) struct CaseRow {
    pub reference: String,
    /// The case page, where the reader may open it.
    pub href: Option<String>,
    pub team: String,
    pub route: String,
    pub stage: String,
    pub days: String,
    /// For a share: whether the case met the standard.
    pub met: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "measure_cases.html")]
struct CasesPage {
    chrome: Chrome,
    heading: &'static str,
    description: &'static str,
    period: String,
    group: Option<String>,
    summary: String,
    days_heading: &'static str,
    is_share: bool,
    rows: Vec<CaseRow>,
    back: String,
    previous_page: Option<String>,
    next_page: Option<String>,
    page_number: usize,
    pages: usize,
}

/// What a case of the list shows beside its figure, read from the case.
struct Facts {
    scope: CaseScope,
    team: Option<String>,
    route: Option<permanence_domain::Route>,
    stage: Stage,
}

enum Stage {
    LeftCare(permanence_domain::codes::ReasonCeased),
    Step {
        route: permanence_domain::Route,
        version: u32,
        step: String,
    },
    NoPlan,
}

impl Facts {
    fn of(case: &CaseState) -> Self {
        let stage = match (case.closed, case.primary_plan()) {
            (Some(closed), _) => Stage::LeftCare(closed.reason),
            (None, Some(plan)) => Stage::Step {
                route: plan.route,
                version: plan.version,
                step: plan.current_step().to_owned(),
            },
            (None, None) => Stage::NoPlan,
        };
        Facts {
            // The dashboard's readers sit on no panel, so no agenda widens their reach.
            scope: CaseScope {
                local_authority: case.local_authority.clone(),
                team: case.team.clone(),
                allocated_worker: case.allocated_worker.clone(),
                on_principals_panel_agenda: false,
            },
            team: case.team.clone(),
            route: measures::route_at_end(case),
            stage,
        }
    }
}

/// The list asked for, once its link is known to be the dashboard's own.
struct Asked {
    figure: Figure,
    window: Window,
    group: Option<(&'static str, GroupBy, String)>,
    page: usize,
}

fn asked(query: &CasesQuery, today: chrono::NaiveDate) -> Option<Asked> {
    let figure = Figure::from_key(&query.measure)?;
    let date = |text: &str| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    let window = Window {
        from: date(&query.from)?,
        to: date(&query.to)?,
    };
    let in_range = window.from <= window.to
        && window.to <= today
        && permanence_engine::reports::check_window(window.from, window.to).is_ok();
    if !in_range {
        return None;
    }
    let group = match (&query.by, &query.group) {
        (Some(by), Some(group)) => {
            let (key, _, by) = figures::breakdown(by)?;
            Some((key, by, group.clone()))
        }
        (None, None) => None,
        _ => return None,
    };
    let page = crate::paging::page_number(query.page.as_deref())?;
    Some(Asked {
        figure,
        window,
        group,
        page,
    })
}

pub(crate) async fn list(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(query): Query<CasesQuery>,
) -> Result<Response, PageError> {
    let authorities = dashboard_data::authorities(&signed_in.principal)?;
    let asked = asked(&query, state.engine.today()).ok_or(PageError::NotFound)?;
    let data = dashboard_data::report_data(&state, &authorities).await?;
    let (figure, window, group) = (asked.figure, asked.window, asked.group.clone());
    let (summary, mut behind) = data
        .compute(move |data| {
            let report = match &group {
                Some((_, by, name)) => data
                    .report(window.from, window.to, Some(*by))
                    .into_iter()
                    .find(|g| g.group == *name)
                    .map(|g| g.report),
                None => report(data, window),
            }?;
            let behind = figure.cases(&report);
            let values = crate::dashboard_data::Snapshot::of(&report).get(figure);
            Some((values, behind))
        })
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?
        // A group the breakdown does not have.
        .ok_or(PageError::NotFound)?;
    // The longest first: what a leader asks about first.
    behind.sort_by(|a, b| {
        b.days
            .cmp(&a.days)
            .then_with(|| a.reference.cmp(&b.reference))
    });
    let (shown, pages) = crate::paging::one_page(behind, asked.page, PAGE_SIZE)?;
    let mut listed: Vec<CaseId> = shown.iter().map(|c| c.case_id).collect();
    listed.sort_unstable_by_key(|id| id.0);
    listed.dedup();
    crate::audit::record_reads(
        &state,
        &signed_in,
        figure.action(),
        listed.clone(),
        "/dashboard/cases",
    )
    .await?;
    // Only the page's cases are read whole, for their stage and who may open them.
    let facts: HashMap<CaseId, Facts> = state
        .engine
        .store()
        .cases_by_ids(&listed)
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?
        .into_iter()
        .map(|(id, case)| (id, Facts::of(&case.state)))
        .collect();
    let catalog = state.engine.catalog();
    let rows = shown
        .iter()
        .map(|c| row(c, facts.get(&c.case_id), &signed_in.principal, catalog))
        .collect();
    let link = |page: usize| {
        let mut href = format!(
            "/dashboard/cases?measure={}&{}",
            figure.key(),
            window.query()
        );
        if let Some((key, _, name)) = &asked.group {
            href.push_str(&format!("&by={key}&group={}", format::query_value(name)));
        }
        format!("{href}&page={page}")
    };
    let (previous_page, next_page) = crate::paging::neighbours(asked.page, pages, link);
    let page = CasesPage {
        chrome: Chrome::new(&signed_in, "dashboard"),
        heading: figure.name(),
        description: figure.description(),
        period: crate::dashboard::period_text(window),
        group: asked.group.as_ref().map(|(key, by, name)| {
            format!(
                "{}: {}",
                capitalised_key(key),
                figures::group_label(*by, name)
            )
        }),
        summary: summary_text(figure, summary),
        days_heading: figure.days_heading(),
        is_share: figure.kind() == figures::Kind::Share,
        rows,
        back: format!("/dashboard?{}", window.query()),
        previous_page,
        next_page,
        page_number: asked.page,
        pages,
    };
    Ok(html(&page))
}

fn capitalised_key(key: &str) -> String {
    match key {
        "age-band" => "Age at entering care".to_owned(),
        other => format::capitalised(other),
    }
}

/// "Mean 65 days, median 65 days, from 2 children."
fn summary_text(figure: Figure, values: crate::dashboard_data::Values) -> String {
    let counted = crate::dashboard_tiles::counted_text(figure, values);
    let value = crate::dashboard_tiles::value_text(figure, values);
    match (figure.kind(), values.median) {
        (figures::Kind::Days, Some(median)) => format!(
            "Mean {value}, median {} days: {counted}.",
            format::number(median)
        ),
        (figures::Kind::Count, _) => format!("{counted} waiting."),
        _ => format!("{value}: {counted}."),
    }
}

fn row(
    case: &CaseBehind,
    facts: Option<&Facts>,
    principal: &Principal,
    catalog: &RouteCatalog,
) -> CaseRow {
    let may_open = facts.is_some_and(|f| {
        authorize(principal, Action::ReadCase, Target::Case(Some(&f.scope))).is_ok()
    });
    CaseRow {
        reference: case.reference.clone(),
        href: may_open.then(|| format!("/cases/{}", case.case_id)),
        team: facts
            .and_then(|f| f.team.clone())
            .unwrap_or_else(|| "No team".to_owned()),
        route: facts
            .and_then(|f| f.route)
            .map_or_else(|| "No plan".to_owned(), |r| format::capitalised(r.label())),
        stage: facts.map_or_else(String::new, |f| match &f.stage {
            Stage::LeftCare(reason) => format!("Left care: {}", reason.label()),
            Stage::Step {
                route,
                version,
                step,
            } => format::capitalised(
                catalog
                    .get(*route, *version)
                    .map_or(step.as_str(), |d| d.label_of(step)),
            ),
            Stage::NoPlan => "No plan for permanence yet".to_owned(),
        }),
        days: case
            .days
            .map_or_else(|| "–".to_owned(), |d| format::number(d as f64)),
        met: case.met.map(|m| if m { "Yes" } else { "No" }),
    }
}
