//! The drift board (`/drift`): the open deadlines overdue or due soon, most overdue first,
//! for leaders, agency decision makers and team managers, with each case's stage now, the
//! days it has stood there and the days the deadline is overdue. Filtered by route, team,
//! stage and status, and to the deadlines that follow a panel, a numbered page at a time.
//!
//! It is the API's `drift` query as a page: the store's same filter and order
//! (`Store::drift_rows` is `drift_page` by position), the same policy's reach (a team manager
//! sees their teams' cases and those with no team), and an audit row for every case listed
//! before the page is sent. Who opens it is who opens the dashboard; anyone else gets "page
//! not found", as `/dashboard` answers them. A leader reads references, never names.

use crate::chrome::Chrome;
use crate::error::{PageError, html};
use crate::session::SignedIn;
use crate::{WebState, format, sections};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use permanence_auth::view::{self, Personal};
use permanence_auth::{Access, Action, CaseScope, Principal, Target, authorize};
use permanence_domain::deadlines::legal_deadlines;
use permanence_domain::route::RouteCatalog;
use permanence_domain::{CaseId, DriftStatus, Route};
use permanence_engine::store::{CaseRecord, DriftFilter, DriftRow, Reach};
use serde::Deserialize;
use std::collections::HashMap;

/// Deadlines on one page.
pub(crate) const PAGE_SIZE: u64 = 25;

/// The statuses a reader can narrow to: the key in the link, the words, the status. Without
/// one the board lists what is overdue or due soon (the API's default); a deadline not known
/// from the return is listed only when asked for, and never as overdue.
const STATUSES: &[(&str, &str, DriftStatus)] = &[
    ("OVERDUE", "Overdue", DriftStatus::Overdue),
    ("DUE_SOON", "Due soon", DriftStatus::DueSoon),
    (
        "NOT_KNOWN_FROM_RETURN",
        "Not known from the return",
        DriftStatus::NotKnownFromReturn,
    ),
];

/// The filters as the GET form sends them.
#[derive(Deserialize, Default)]
pub(crate) struct DriftQuery {
    route: Option<String>,
    team: Option<String>,
    /// `ROUTE:step` (`ADOPTION:match_decision`): a step's key alone is not unique.
    stage: Option<String>,
    status: Option<String>,
    #[serde(rename = "after-panel")]
    after_panel: Option<String>,
    page: Option<String>,
}

fn non_empty(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// The filters understood: what was asked that means something, so that the form shows
/// them back and the links to other pages keep them.
#[derive(Default)]
pub(crate) struct Asked {
    pub route: Option<Route>,
    pub team: Option<String>,
    pub stage: Option<(Route, String)>,
    pub status: Option<&'static str>,
    pub after_panel: bool,
    pub page: u64,
}

impl Asked {
    fn from(query: &DriftQuery, catalog: &RouteCatalog) -> Option<Self> {
        let stage = non_empty(query.stage.as_ref())
            .and_then(|s| s.split_once(':'))
            .and_then(|(route, step)| {
                let route = Route::from_key(route)?;
                catalog
                    .all()
                    .any(|d| d.route == route && d.step(step).is_some())
                    .then(|| (route, step.to_owned()))
            });
        let page = match non_empty(query.page.as_ref()) {
            None => 1,
            Some(p) => p.parse::<u64>().ok().filter(|p| *p >= 1)?,
        };
        Some(Asked {
            route: non_empty(query.route.as_ref()).and_then(Route::from_key),
            team: non_empty(query.team.as_ref()).map(str::to_owned),
            stage,
            status: non_empty(query.status.as_ref())
                .and_then(|s| STATUSES.iter().find(|(key, _, _)| *key == s))
                .map(|(key, _, _)| *key),
            after_panel: non_empty(query.after_panel.as_ref()) == Some("yes"),
            page,
        })
    }

    fn status(&self) -> Option<DriftStatus> {
        self.status.and_then(|s| {
            STATUSES
                .iter()
                .find(|(key, _, _)| *key == s)
                .map(|(_, _, status)| *status)
        })
    }

    fn stage_value(&self) -> Option<String> {
        self.stage
            .as_ref()
            .map(|(route, step)| stage_value(*route, step))
    }

    /// The board with these filters, at a page.
    pub fn link(&self, page: u64) -> String {
        let mut parts = Vec::new();
        if let Some(route) = self.route {
            parts.push(format!("route={}", route.key()));
        }
        if let Some(team) = &self.team {
            parts.push(format!("team={}", format::query_value(team)));
        }
        if let Some(stage) = self.stage_value() {
            parts.push(format!("stage={}", format::query_value(&stage)));
        }
        if let Some(status) = self.status {
            parts.push(format!("status={status}"));
        }
        if self.after_panel {
            parts.push("after-panel=yes".to_owned());
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            "/drift".to_owned()
        } else {
            format!("/drift?{}", parts.join("&"))
        }
    }

    fn filtered(&self) -> bool {
        self.route.is_some()
            || self.team.is_some()
            || self.stage.is_some()
            || self.status.is_some()
            || self.after_panel
    }
}

/// A stage as the form's value names it.
pub(crate) fn stage_value(route: Route, step: &str) -> String {
    format!("{}:{step}", route.key())
}

/// The board's link for the cases of a route at a stage (the after-panel view's drill-down
/// into their deadlines).
pub(crate) fn link_to_stage(route: Route, step: &str, status: Option<&'static str>) -> String {
    Asked {
        route: Some(route),
        stage: Some((route, step.to_owned())),
        status,
        ..Asked::default()
    }
    .link(1)
}

pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub(crate) struct StageGroup {
    pub label: String,
    pub stages: Vec<Choice>,
}

pub(crate) struct DriftRowView {
    /// The case and the deadline's key, for a test to match the rows with the API's.
    pub case_id: String,
    pub key: String,
    pub reference: String,
    /// The case page, where the reader may open it.
    pub href: Option<String>,
    pub name: Option<String>,
    pub team: String,
    pub route: String,
    pub step: String,
    pub days_at_stage: String,
    pub deadline: String,
    /// The plan the deadline belongs to, when it is not the primary plan's route.
    pub deadline_route: Option<String>,
    pub due_on: Option<String>,
    pub after_panel: bool,
    pub status: String,
    pub tag_class: &'static str,
    pub days_overdue: String,
}

/// One link of the numbered pages; `None` for a gap.
pub(crate) struct PageLink {
    pub number: Option<u64>,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "drift.html")]
struct DriftPage {
    chrome: Chrome,
    routes: Vec<Choice>,
    teams: Vec<Choice>,
    stages: Vec<StageGroup>,
    statuses: Vec<Choice>,
    after_panel: bool,
    filtered: bool,
    summary: String,
    rows: Vec<DriftRowView>,
    page_number: u64,
    pages: u64,
    page_links: Vec<PageLink>,
    previous_page: Option<String>,
    next_page: Option<String>,
    /// Children at home with a round of the Public Law Outline under way (first page only).
    at_home: Vec<AtHomeRow>,
}

/// A child at home in the Public Law Outline, as the board lists them.
struct AtHomeRow {
    child_id: String,
    reference: String,
    name: Option<String>,
    /// Their page, when the person may record there.
    href: Option<String>,
    team: String,
    now: String,
    deadline: String,
    due_on: String,
    status: String,
    tag_class: &'static str,
}

/// The children at home with a round under way that the person reaches, the most pressing
/// deadline first; each listed child is in the audit log before the page leaves.
async fn at_home_rows(
    state: &WebState,
    signed_in: &SignedIn,
    reach: &Reach,
) -> Result<Vec<AtHomeRow>, PageError> {
    let engine = &state.engine;
    let store = engine.store();
    let records = store.legal_at_home_under_way(reach).await?;
    if records.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<_> = records.iter().map(|r| r.child_id).collect();
    let children = store.children_by_ids(&ids).await?;
    crate::audit::record(
        state,
        signed_in,
        Action::ReadDrift,
        permanence_auth::record_kind::CHILD,
        ids.iter().map(|id| id.0.to_string()),
        "/drift",
    )
    .await?;
    let principal = &signed_in.principal;
    let access = Access::for_role(principal.role);
    let today = engine.today();
    let timescales = engine.timescales();
    let mut rows: Vec<(chrono::NaiveDate, AtHomeRow)> = records
        .iter()
        .filter_map(|record| {
            let child = children.get(&record.child_id)?;
            let track = &record.state.track;
            let deadline = legal_deadlines(track, timescales).into_iter().next()?;
            let (status, tag_class) =
                format::deadline_status(deadline.drift(today, timescales.due_soon_days));
            let may_record = authorize(
                principal,
                Action::RecordLegalStepAtHome,
                Target::Authority(&child.local_authority),
            )
            .is_ok();
            Some((
                deadline.due_on,
                AtHomeRow {
                    child_id: child.id.0.to_string(),
                    reference: child.reference.clone(),
                    name: view::personal(access, Personal::Name, child.name.clone()),
                    href: may_record.then(|| crate::legal_at_home::path(child.id)),
                    team: record.state.team.clone().unwrap_or_default(),
                    now: crate::legal_at_home::round_in_words(&track.current_round()),
                    deadline: format::capitalised(&deadline.label),
                    due_on: format::date(deadline.due_on),
                    status,
                    tag_class,
                },
            ))
        })
        .collect();
    rows.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.reference.cmp(&b.1.reference))
    });
    Ok(rows.into_iter().map(|(_, row)| row).collect())
}

pub(crate) async fn show(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(query): Query<DriftQuery>,
) -> Result<Response, PageError> {
    let principal = &signed_in.principal;
    let reach = sections::drift_reach(principal)?;
    let engine = &state.engine;
    let catalog = engine.catalog();
    let asked = Asked::from(&query, catalog).ok_or(PageError::NotFound)?;
    let store = engine.store();
    let filter = DriftFilter {
        as_of: engine.today(),
        due_soon_days: engine.timescales().due_soon_days,
        route: asked.route,
        team: asked.team.clone(),
        local_authority: None,
        after_panel_only: asked.after_panel,
        step: asked.stage.clone(),
        status: asked.status(),
        reach: reach.clone(),
    };
    let total = store.drift_count(&filter).await?;
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    if asked.page > pages {
        return Err(PageError::NotFound);
    }
    let rows = store
        .drift_rows(&filter, (asked.page - 1) * PAGE_SIZE, PAGE_SIZE)
        .await?;
    let mut listed: Vec<CaseId> = rows.iter().map(|r| r.case_id).collect();
    listed.sort_unstable_by_key(|id| id.0);
    listed.dedup();
    let cases = store.cases_by_ids(&listed).await?;
    let child_ids: Vec<_> = cases.values().map(|c| c.child_id).collect();
    let children = store.children_by_ids(&child_ids).await?;
    // Every case listed is in the audit log before the page leaves, as for the API's drift.
    crate::audit::record_reads(&state, &signed_in, Action::ReadDrift, listed, "/drift").await?;
    let references: HashMap<CaseId, (String, Option<String>)> = cases
        .values()
        .map(|case| {
            let child = children.get(&case.child_id);
            (
                case.id,
                (
                    child.map_or_else(String::new, |c| c.reference.clone()),
                    child.and_then(|c| c.name.clone()),
                ),
            )
        })
        .collect();
    let view_rows = rows
        .iter()
        .map(|row| {
            row_view(
                &state,
                principal,
                row,
                cases.get(&row.case_id),
                references.get(&row.case_id),
            )
        })
        .collect();
    let teams = store.teams_in_reach(&reach).await?;
    let page = DriftPage {
        chrome: Chrome::new(&signed_in, "drift"),
        routes: Route::ALL
            .iter()
            .map(|r| Choice {
                value: r.key().to_owned(),
                label: format::capitalised(r.label()),
                selected: asked.route == Some(*r),
            })
            .collect(),
        teams: teams
            .into_iter()
            .map(|t| Choice {
                selected: asked.team.as_deref() == Some(t.as_str()),
                label: t.clone(),
                value: t,
            })
            .collect(),
        stages: stage_groups(catalog, asked.stage_value().as_deref()),
        statuses: STATUSES
            .iter()
            .map(|(key, label, _)| Choice {
                value: (*key).to_owned(),
                label: (*label).to_owned(),
                selected: asked.status == Some(key),
            })
            .collect(),
        after_panel: asked.after_panel,
        filtered: asked.filtered(),
        summary: summary(total, asked.status()),
        rows: view_rows,
        page_number: asked.page,
        pages,
        page_links: page_links(asked.page, pages, |n| asked.link(n)),
        previous_page: (asked.page > 1).then(|| asked.link(asked.page - 1)),
        next_page: (asked.page < pages).then(|| asked.link(asked.page + 1)),
        // The filters are the cases' (route, stage, panel): the children at home are listed
        // on the board as it first opens.
        at_home: if asked.page == 1 && !asked.filtered() {
            at_home_rows(&state, &signed_in, &reach).await?
        } else {
            Vec::new()
        },
    };
    Ok(html(&page))
}

/// "12 deadlines overdue or due soon, most overdue first."
fn summary(total: u64, status: Option<DriftStatus>) -> String {
    let deadlines = if total == 1 {
        "1 deadline".to_owned()
    } else {
        format!("{} deadlines", format::number(total as f64))
    };
    match status {
        None => format!("{deadlines} overdue or due soon, most overdue first."),
        Some(DriftStatus::Overdue) => format!("{deadlines} overdue, most overdue first."),
        Some(DriftStatus::DueSoon) => format!("{deadlines} due soon, soonest first."),
        Some(DriftStatus::NotKnownFromReturn) => format!(
            "{deadlines} not known from the return: the engine holds no date they follow from, so none is overdue."
        ),
        Some(DriftStatus::OnTrack) => format!("{deadlines} on track."),
    }
}

/// Every step of every route, grouped by route, for the stage filter.
fn stage_groups(catalog: &RouteCatalog, selected: Option<&str>) -> Vec<StageGroup> {
    Route::ALL
        .iter()
        .map(|route| {
            let definition = catalog.current(*route);
            StageGroup {
                label: format::capitalised(route.label()),
                stages: definition
                    .steps
                    .iter()
                    .map(|step| {
                        let value = stage_value(*route, step.key);
                        Choice {
                            selected: selected == Some(value.as_str()),
                            label: format::capitalised(step.label),
                            value,
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

fn row_view(
    state: &WebState,
    principal: &Principal,
    row: &DriftRow,
    case: Option<&CaseRecord>,
    child: Option<&(String, Option<String>)>,
) -> DriftRowView {
    let engine = &state.engine;
    let today = engine.today();
    let catalog = engine.catalog();
    let access = Access::for_role(principal.role);
    let plan = case.and_then(|c| c.state.primary_plan());
    let (route, step, since) = match (case, plan) {
        (_, Some(plan)) => (
            format::capitalised(plan.route.label()),
            format::capitalised(
                catalog
                    .get(plan.route, plan.version)
                    .map_or(plan.current_step(), |d| d.label_of(plan.current_step())),
            ),
            Some(plan.current_step_on()),
        ),
        (Some(case), None) => (
            "No plan for permanence yet".to_owned(),
            "In care".to_owned(),
            Some(case.state.entered_care_on),
        ),
        (None, None) => (String::new(), String::new(), None),
    };
    let may_open = case.is_some_and(|c| {
        let scope = CaseScope {
            local_authority: c.state.local_authority.clone(),
            team: c.state.team.clone(),
            allocated_worker: c.state.allocated_worker.clone(),
            // The board's readers sit on no panel, so no agenda widens their reach.
            on_principals_panel_agenda: false,
        };
        authorize(principal, Action::ReadCase, Target::Case(Some(&scope))).is_ok()
    });
    let deadline = &row.deadline;
    let standing = deadline.drift(today, engine.timescales().due_soon_days);
    let (status, tag_class) = format::deadline_status(standing);
    DriftRowView {
        case_id: row.case_id.to_string(),
        key: deadline.key.clone(),
        reference: child.map_or_else(String::new, |(reference, _)| reference.clone()),
        href: may_open.then(|| format!("/cases/{}", row.case_id)),
        name: view::personal(
            access,
            Personal::Name,
            child.and_then(|(_, name)| name.clone()),
        ),
        team: case
            .and_then(|c| c.state.team.clone())
            .unwrap_or_else(|| "No team".to_owned()),
        route,
        step,
        days_at_stage: since.map_or_else(
            || "–".to_owned(),
            |on| format::number((today - on).num_days() as f64),
        ),
        deadline: format::capitalised(&deadline.label),
        deadline_route: deadline
            .route
            .filter(|r| plan.is_none_or(|p| p.route != *r))
            .map(|r| format::capitalised(r.label())),
        due_on: format::due_date(deadline),
        after_panel: deadline.after_panel,
        status,
        tag_class,
        days_overdue: if standing.status == DriftStatus::Overdue {
            format::number(standing.days_overdue as f64)
        } else {
            "–".to_owned()
        },
    }
}

/// The numbered pages to offer: the first, the last, and those around the current one,
/// with gaps between (the GOV.UK pagination's pattern).
pub(crate) fn page_links(current: u64, pages: u64, link: impl Fn(u64) -> String) -> Vec<PageLink> {
    if pages <= 1 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut last_shown = 0;
    for n in 1..=pages {
        let shown = n == 1 || n == pages || n.abs_diff(current) <= 1;
        if !shown {
            continue;
        }
        if n > last_shown + 1 {
            out.push(PageLink {
                number: None,
                href: String::new(),
                current: false,
            });
        }
        out.push(PageLink {
            number: Some(n),
            href: link(n),
            current: n == current,
        });
        last_shown = n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(current: u64, pages: u64) -> Vec<String> {
        page_links(current, pages, |n| format!("/drift?page={n}"))
            .into_iter()
            .map(|l| l.number.map_or("…".to_owned(), |n| n.to_string()))
            .collect()
    }

    #[test]
    fn numbered_pages_show_the_ends_and_the_neighbours_with_gaps() {
        assert!(shown(1, 1).is_empty());
        assert_eq!(shown(1, 3), ["1", "2", "3"]);
        assert_eq!(shown(1, 9), ["1", "2", "…", "9"]);
        assert_eq!(shown(5, 9), ["1", "…", "4", "5", "6", "…", "9"]);
        assert_eq!(shown(9, 9), ["1", "…", "8", "9"]);
        assert_eq!(shown(3, 9), ["1", "2", "3", "4", "…", "9"]);
    }

    #[test]
    fn the_filters_go_into_the_links_and_come_back() {
        let catalog = RouteCatalog::standard().expect("standard routes");
        let query = DriftQuery {
            route: Some("ADOPTION".into()),
            team: Some("Team A & B".into()),
            stage: Some("ADOPTION:match_decision".into()),
            status: Some("OVERDUE".into()),
            after_panel: Some("yes".into()),
            page: Some("2".into()),
        };
        let asked = Asked::from(&query, &catalog).expect("a good query");
        let link = asked.link(3);
        assert_eq!(
            link,
            "/drift?route=ADOPTION&team=Team%20A%20%26%20B&stage=ADOPTION%3Amatch_decision&status=OVERDUE&after-panel=yes&page=3"
        );
        assert_eq!(asked.status(), Some(DriftStatus::Overdue));
        // What means nothing is left out; a page that is not a number is no page.
        let odd = DriftQuery {
            route: Some("PIRATES".into()),
            stage: Some("ADOPTION:no_such_step".into()),
            status: Some("ON_TRACK".into()),
            after_panel: Some("no".into()),
            ..DriftQuery::default()
        };
        let asked = Asked::from(&odd, &catalog).expect("ignored");
        assert_eq!(asked.link(1), "/drift");
        let bad_page = DriftQuery {
            page: Some("0".into()),
            ..DriftQuery::default()
        };
        assert!(Asked::from(&bad_page, &catalog).is_none());
    }
}
