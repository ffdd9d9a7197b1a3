//! After panel (`/dashboard/after-panel`): for each route with a panel, where the cases that
//! have been to it stand now, stage by stage from the recommendation through the agency
//! decision, the match and the placement to the order, with how many sit at each stage, for
//! how long (median and longest days since the stage was recorded), and how many are past a
//! deadline of their plan. Each route is a small chart (the same scale for all) with the same
//! figures in a table, and every figure opens the cases behind it
//! (`/dashboard/after-panel/cases?route=ADOPTION&stage=match_decision`, and
//! `&past-deadline=yes` for those past the deadline).
//!
//! It is part of the dashboard: the same readers (leaders, agency decision makers and team
//! managers, over their authorities), the engine's cases as its reports hold them, and the
//! deadlines the engine derives (`derive_deadlines`, the rows the drift board lists) with the
//! domain's own `Deadline::drift`, so a deadline not known from the return is never past.
//! The page names no case and writes no audit row; the lists do, for every case they show,
//! and open a case only where the reader's role may read it.

use crate::charts::{self, Stages};
use crate::chrome::Chrome;
use crate::error::{PageError, html};
use crate::session::SignedIn;
use crate::{WebState, dashboard_data, format};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use permanence_auth::{Action, CaseScope, Principal, Target, authorize};
use permanence_domain::measures::Summary;
use permanence_domain::route::RouteCatalog;
use permanence_domain::route::steps;
use permanence_domain::{CaseId, CaseState, DriftStatus, Route, Timescales, derive_deadlines};

/// A panel and the stages a case passes through after it, in order. A case counts at a stage
/// while its primary plan stands there, and only once that plan has been to this panel.
pub(crate) struct Chain {
    pub route: Route,
    pub panel: &'static str,
    pub stages: &'static [&'static str],
}

/// The routes' stages after panel (DOMAIN.md §3), the order reached last of each: a plan
/// there has reached permanence (or left care) and waits for nothing. The child arrangements
/// order route has no panel.
pub(crate) const CHAINS: [Chain; 5] = [
    // Consent cases: the adoption panel recommends, the agency decides (SHOBPA).
    Chain {
        route: Route::Adoption,
        panel: steps::ADOPTION_PANEL_RECOMMENDATION,
        stages: &[steps::ADOPTION_PANEL_RECOMMENDATION],
    },
    // The matching panel recommends, the agency decides the match, the child moves in, the
    // adopters apply, the court makes the adoption order.
    Chain {
        route: Route::Adoption,
        panel: steps::MATCHING_PANEL_RECOMMENDATION,
        stages: &[
            steps::MATCHING_PANEL_RECOMMENDATION,
            steps::MATCH_DECISION,
            steps::PLACED_FOR_ADOPTION,
            steps::ADOPTION_APPLICATION,
        ],
    },
    // Recommendation, the agency decision maker's decision, then the order.
    Chain {
        route: Route::SpecialGuardianship,
        panel: steps::PANEL_RECOMMENDATION,
        stages: &[steps::PANEL_RECOMMENDATION, steps::ADM_DECISION],
    },
    // Recommendation, approval of the return home, placement with parents, then home. A
    // return home can be approved without a panel: those cases are not counted here.
    Chain {
        route: Route::Reunification,
        panel: steps::PANEL_RECOMMENDATION,
        stages: &[
            steps::PANEL_RECOMMENDATION,
            steps::RETURN_HOME_APPROVED,
            steps::PLACED_WITH_PARENTS,
        ],
    },
    // Recommendation, the match approved, then confirmed (permanence without an order).
    Chain {
        route: Route::LongTermFostering,
        panel: steps::PANEL_RECOMMENDATION,
        stages: &[steps::PANEL_RECOMMENDATION, steps::MATCH_APPROVED],
    },
];

/// The routes with a panel, in the order of `Route::ALL`.
fn routes() -> Vec<Route> {
    Route::ALL
        .iter()
        .copied()
        .filter(|r| CHAINS.iter().any(|c| c.route == *r))
        .collect()
}

/// A route's stages after panel, in order.
fn stages_of(route: Route) -> impl Iterator<Item = &'static str> {
    CHAINS
        .iter()
        .filter(move |c| c.route == route)
        .flat_map(|c| c.stages.iter().copied())
}

/// A case at a stage after panel now.
#[derive(Clone, Debug)]
pub(crate) struct AtStage {
    pub case_id: CaseId,
    pub reference: String,
    pub route: Route,
    pub stage: &'static str,
    pub since: NaiveDate,
    pub days: i64,
    /// The plan's deadlines past their due date: (what is due, days overdue).
    pub overdue: Vec<(String, i64)>,
    pub scope: CaseScope,
}

impl AtStage {
    /// Where the case stands after panel, when it does: open, its primary plan at one of
    /// the stages of a chain whose panel the plan has been to.
    fn of(
        case: &CaseState,
        reference: &str,
        today: NaiveDate,
        catalog: &RouteCatalog,
        timescales: &Timescales,
    ) -> Option<AtStage> {
        if !case.is_open() {
            return None;
        }
        let plan = case.primary_plan().filter(|p| !p.achieved)?;
        let current = plan.current_step();
        let stage = CHAINS
            .iter()
            .filter(|c| c.route == plan.route && plan.taken(c.panel).is_some())
            .find_map(|c| c.stages.iter().copied().find(|s| *s == current))?;
        let overdue = derive_deadlines(case, catalog, timescales)
            .into_iter()
            .filter(|d| d.plan_id == Some(plan.id))
            .filter_map(|d| {
                let standing = d.drift(today, timescales.due_soon_days);
                (standing.status == DriftStatus::Overdue)
                    .then(|| (format::capitalised(&d.label), standing.days_overdue))
            })
            .collect();
        let since = plan.current_step_on();
        Some(AtStage {
            case_id: case.id,
            reference: reference.to_owned(),
            route: plan.route,
            stage,
            since,
            days: (today - since).num_days(),
            overdue,
            scope: CaseScope {
                local_authority: case.local_authority.clone(),
                team: case.team.clone(),
                allocated_worker: case.allocated_worker.clone(),
                // The dashboard's readers sit on no panel, so no agenda widens their reach.
                on_principals_panel_agenda: false,
            },
        })
    }
}

/// Every case of these authorities at a stage after panel now.
async fn cases_at_stages(
    state: &WebState,
    authorities: &[String],
) -> Result<Vec<AtStage>, PageError> {
    // Only the open cases whose plan stands at a stage after panel are read whole.
    let steps: Vec<(Route, &str)> = CHAINS
        .iter()
        .flat_map(|c| c.stages.iter().map(|s| (c.route, *s)))
        .collect();
    let cases = state
        .engine
        .store()
        .open_cases_at_steps(authorities, &steps)
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?;
    let today = state.engine.today();
    let catalog = state.engine.catalog();
    let timescales = state.engine.timescales();
    Ok(cases
        .iter()
        .filter_map(|(case, child)| {
            AtStage::of(&case.state, &child.reference, today, catalog, timescales)
        })
        .collect())
}

/// One stage's figures, as a row of its route's table.
pub(crate) struct StageRow {
    pub id: String,
    pub label: String,
    pub next: String,
    pub cases: usize,
    pub median: String,
    pub longest: String,
    pub past: usize,
    pub href: String,
    pub past_href: String,
}

/// One route: its chart and its table.
pub(crate) struct RouteSection {
    pub id: String,
    pub heading: String,
    pub svg: String,
    pub rows: Vec<StageRow>,
    pub cases: usize,
    pub past: usize,
}

#[derive(Template)]
#[template(path = "after_panel.html")]
struct AfterPanelPage {
    chrome: Chrome,
    today: String,
    authorities: String,
    sections: Vec<RouteSection>,
}

/// An id for a page element from keys (`adoption-match-decision`).
fn element_id(route: Route, stage: &str) -> String {
    format!("{}-{stage}", route.key())
        .to_lowercase()
        .replace('_', "-")
}

fn stage_label(catalog: &RouteCatalog, route: Route, stage: &str) -> String {
    format::capitalised(catalog.current(route).label_of(stage))
}

/// What should come next after a stage: the steps the route allows after it.
fn next_label(catalog: &RouteCatalog, route: Route, stage: &str) -> String {
    let next: Vec<&str> = catalog
        .current(route)
        .next_steps(stage)
        .into_iter()
        .map(|s| s.label)
        .collect();
    format::capitalised(&next.join(" or "))
}

pub(crate) fn cases_href(route: Route, stage: &str, past_deadline: bool) -> String {
    let mut href = format!(
        "/dashboard/after-panel/cases?route={}&stage={stage}",
        route.key()
    );
    if past_deadline {
        href.push_str("&past-deadline=yes");
    }
    href
}

pub(crate) async fn show(
    State(state): State<WebState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    let authorities = dashboard_data::authorities(&signed_in.principal)?;
    let at_stages = cases_at_stages(&state, &authorities).await?;
    let catalog = state.engine.catalog();
    let top = at_stages_top(&at_stages);
    let sections = routes()
        .into_iter()
        .map(|route| section(route, &at_stages, catalog, top))
        .collect::<Result<Vec<_>, PageError>>()?;
    let page = AfterPanelPage {
        chrome: Chrome::new(&signed_in, "dashboard"),
        today: format::date(state.engine.today()),
        authorities: authorities.join(", "),
        sections,
    };
    Ok(html(&page))
}

/// The most cases at any one stage: the end of every chart's scale.
fn at_stages_top(at_stages: &[AtStage]) -> usize {
    let mut counts: std::collections::HashMap<(Route, &str), usize> =
        std::collections::HashMap::new();
    for c in at_stages {
        *counts.entry((c.route, c.stage)).or_default() += 1;
    }
    counts.into_values().max().unwrap_or(0)
}

fn section(
    route: Route,
    at_stages: &[AtStage],
    catalog: &RouteCatalog,
    top: usize,
) -> Result<RouteSection, PageError> {
    let rows: Vec<StageRow> = stages_of(route)
        .map(|stage| {
            let here: Vec<&AtStage> = at_stages
                .iter()
                .filter(|c| c.route == route && c.stage == stage)
                .collect();
            let summary = Summary::from_days(&here.iter().map(|c| c.days).collect::<Vec<_>>());
            StageRow {
                id: element_id(route, stage),
                label: stage_label(catalog, route, stage),
                next: next_label(catalog, route, stage),
                cases: here.len(),
                median: summary
                    .median_days
                    .map_or_else(|| "–".to_owned(), format::number),
                longest: summary
                    .max_days
                    .map_or_else(|| "–".to_owned(), |d| format::number(d as f64)),
                past: here.iter().filter(|c| !c.overdue.is_empty()).count(),
                href: cases_href(route, stage, false),
                past_href: cases_href(route, stage, true),
            }
        })
        .collect();
    let heading = format::capitalised(route.label());
    let id = format!(
        "after-panel-{}",
        route.key().to_lowercase().replace('_', "-")
    );
    let bars: Vec<(String, usize, usize)> = rows
        .iter()
        .map(|r| (r.label.clone(), r.cases, r.past))
        .collect();
    let title = format!("{heading}: cases at each stage after panel");
    let svg = charts::stages_svg(&Stages {
        id: &id,
        title: &title,
        value_label: "Cases at the stage now",
        stages: &bars,
        top,
    })?;
    Ok(RouteSection {
        cases: rows.iter().map(|r| r.cases).sum(),
        past: rows.iter().map(|r| r.past).sum(),
        id,
        heading,
        svg,
        rows,
    })
}

/// Cases on one page of a list.
const PAGE_SIZE: usize = 50;

#[derive(serde::Deserialize)]
pub(crate) struct CasesQuery {
    route: String,
    stage: String,
    #[serde(rename = "past-deadline")]
    past_deadline: Option<String>,
    page: Option<String>,
}

pub(crate) struct CaseRow {
    pub reference: String,
    pub href: Option<String>,
    pub team: String,
    pub since: String,
    pub days: String,
    pub overdue: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "after_panel_cases.html")]
struct CasesPage {
    chrome: Chrome,
    route: String,
    stage: String,
    next: String,
    past_only: bool,
    summary: String,
    rows: Vec<CaseRow>,
    drift_href: String,
    page_number: usize,
    pages: usize,
    previous_page: Option<String>,
    next_page: Option<String>,
}

/// The cases at a stage after panel (only those past a deadline, when asked), the longest
/// at the stage first.
pub(crate) async fn cases(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(query): Query<CasesQuery>,
) -> Result<Response, PageError> {
    let authorities = dashboard_data::authorities(&signed_in.principal)?;
    let route = Route::from_key(&query.route).ok_or(PageError::NotFound)?;
    let stage = stages_of(route)
        .find(|s| *s == query.stage)
        .ok_or(PageError::NotFound)?;
    let past_only = match query.past_deadline.as_deref() {
        None => false,
        Some("yes") => true,
        Some(_) => return Err(PageError::NotFound),
    };
    let page_number =
        crate::paging::page_number(query.page.as_deref()).ok_or(PageError::NotFound)?;
    let mut here: Vec<AtStage> = cases_at_stages(&state, &authorities)
        .await?
        .into_iter()
        .filter(|c| c.route == route && c.stage == stage)
        .collect();
    let at_stage = here.len();
    let past = here.iter().filter(|c| !c.overdue.is_empty()).count();
    if past_only {
        here.retain(|c| !c.overdue.is_empty());
    }
    here.sort_by(|a, b| {
        b.days
            .cmp(&a.days)
            .then_with(|| a.reference.cmp(&b.reference))
    });
    let (shown, pages) = crate::paging::one_page(here, page_number, PAGE_SIZE)?;
    let mut listed: Vec<CaseId> = shown.iter().map(|c| c.case_id).collect();
    listed.sort_unstable_by_key(|id| id.0);
    crate::audit::record_reads(
        &state,
        &signed_in,
        Action::ReadTimeliness,
        listed,
        "/dashboard/after-panel/cases",
    )
    .await?;
    let catalog = state.engine.catalog();
    let link = |page: usize| format!("{}&page={page}", cases_href(route, stage, past_only));
    let (previous_page, next_page) = crate::paging::neighbours(page_number, pages, link);
    let page = CasesPage {
        chrome: Chrome::new(&signed_in, "dashboard"),
        route: format::capitalised(route.label()),
        stage: stage_label(catalog, route, stage),
        next: next_label(catalog, route, stage),
        past_only,
        summary: cases_summary(at_stage, past),
        rows: shown
            .iter()
            .map(|c| case_row(c, &signed_in.principal))
            .collect(),
        drift_href: crate::drift_board::link_to_stage(route, stage, past_only.then_some("OVERDUE")),
        page_number,
        pages,
        previous_page,
        next_page,
    };
    Ok(html(&page))
}

/// "3 cases at this stage now, 1 of them past the deadline."
fn cases_summary(at_stage: usize, past: usize) -> String {
    let cases = if at_stage == 1 {
        "1 case".to_owned()
    } else {
        format!("{at_stage} cases")
    };
    format!("{cases} at this stage now, {past} of them past the deadline.")
}

fn case_row(case: &AtStage, principal: &Principal) -> CaseRow {
    let may_open = authorize(principal, Action::ReadCase, Target::Case(Some(&case.scope))).is_ok();
    CaseRow {
        reference: case.reference.clone(),
        href: may_open.then(|| format!("/cases/{}", case.case_id)),
        team: case
            .scope
            .team
            .clone()
            .unwrap_or_else(|| "No team".to_owned()),
        since: format::date(case.since),
        days: format::number(case.days as f64),
        overdue: case
            .overdue
            .iter()
            .map(|(what, days)| (what.clone(), format!("Overdue by {}", format::days(*days))))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use permanence_domain::route::StepKind;

    #[test]
    fn every_chain_follows_its_route_from_a_panel_recommendation() {
        let catalog = RouteCatalog::standard().expect("standard routes");
        for chain in &CHAINS {
            let route = catalog.current(chain.route);
            let panel = route.step(chain.panel).expect("the panel is a step");
            assert_eq!(panel.kind, StepKind::PanelRecommendation, "{}", chain.panel);
            assert_eq!(chain.stages.first(), Some(&chain.panel));
            for pair in chain.stages.windows(2) {
                assert!(
                    route.next_steps(pair[0]).iter().any(|s| s.key == pair[1]),
                    "{:?}: {} then {}",
                    chain.route,
                    pair[0],
                    pair[1]
                );
            }
            // The last stage waits for the route's final step (or, for the adoption panel,
            // the agency's decision).
            let last = chain.stages.last().copied().unwrap_or_default();
            let next = route.next_steps(last);
            assert!(!next.is_empty(), "{last}");
            for stage in chain.stages {
                assert!(!route.step(stage).is_some_and(|s| s.is_final), "{stage}");
            }
        }
        // Every route with a panel recommendation has its chain; the others have none.
        for route in Route::ALL {
            let has_panel = catalog
                .current(*route)
                .steps
                .iter()
                .any(|s| s.kind == StepKind::PanelRecommendation);
            assert_eq!(routes().contains(route), has_panel, "{route}");
        }
    }

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

    fn filled(svg: &str, colour: &str) -> usize {
        svg.split("<rect ")
            .skip(1)
            .filter(|tag| {
                tag.split('>')
                    .next()
                    .is_some_and(|attrs| attrs.contains(&format!("fill=\"{colour}\"")))
            })
            .count()
    }

    #[test]
    fn stages_keep_the_route_order_and_draw_the_cases_past_the_deadline_apart() {
        let stages = vec![
            ("Matching panel recommendation".to_owned(), 2, 1),
            ("Match decision".to_owned(), 5, 0),
            ("Placement for adoption".to_owned(), 0, 0),
            ("Adoption application".to_owned(), 3, 3),
        ];
        let svg = charts::stages_svg(&Stages {
            id: "after-panel-adoption",
            title: "Adoption: cases at each stage after panel",
            value_label: "Cases at the stage now",
            stages: &stages,
            top: 5,
        })
        .expect("draws");
        assert!(
            svg.starts_with("<svg role=\"img\" aria-labelledby=\"after-panel-adoption-title\"")
        );
        let texts = texts(&svg);
        for expected in [
            "Adoption: cases at each stage after panel",
            "Cases at the stage now",
            "Within the deadline",
            "Past the deadline",
            "2: 1 past the deadline",
            "5",
            "0",
            "3: 3 past the deadline",
        ] {
            assert!(
                texts.iter().any(|t| t == expected),
                "{expected} in {texts:?}"
            );
        }
        // One blue bar for each stage with cases within the deadline (2, 5), and one
        // vermillion for each with cases past it (1, 3), beside the legend's two squares.
        assert_eq!(filled(&svg, "#0072B2"), 2 + 1);
        assert_eq!(filled(&svg, "#D55E00"), 2 + 1);
        // The route's order, top to bottom: never sorted by size.
        let y = |label: &str| {
            svg.split("<text")
                .find(|t| t.contains(&format!(">{label}<")) || t.contains(&format!(">\n{label}")))
                .and_then(|t| t.split("y=\"").nth(1))
                .and_then(|rest| rest.split('"').next())
                .and_then(|y| y.parse::<i64>().ok())
                .unwrap_or(i64::MAX)
        };
        let ys: Vec<i64> = stages.iter().map(|(l, _, _)| y(l)).collect();
        assert!(ys.windows(2).all(|w| w[0] < w[1]), "{ys:?}");
        assert!(!svg.contains("style="), "{svg}");
        // Whole cases on the axis, never a fraction.
        assert!(!texts.iter().any(|t| t.contains('.')), "{texts:?}");
    }
}
