//! The signed-in person's home: the open cases within their reach, with each child's route,
//! current step and next deadline, filtered by team, route and deadline status, a page at a
//! time.
//!
//! The list is the API's `cases` list: the same policy narrows it in the query itself
//! (`permanence_auth::list_scope`), each listed case is written to the audit log before the
//! page is sent, and a pseudonymised reader (a leader) sees references, never names.

use crate::chrome::Chrome;
use crate::error::{PageError, html};
use crate::session::SignedIn;
use crate::{WebState, format};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use permanence_auth::view::{self, Personal};
use permanence_auth::{Access, Action, Target, authorize, list_scope};
use permanence_domain::{DriftStatus, Route};
use permanence_engine::store::{CaseFilter, CaseOrder, CaseRecord, Reach};
use serde::Deserialize;

/// Cases on one page.
const PAGE_SIZE: u64 = 25;

/// The last page number a link may ask for (a guard against an absurd offset).
const MAX_PAGE: u64 = 10_000;

const STATUSES: &[(&str, &str)] = &[
    ("OVERDUE", "Overdue"),
    ("DUE_SOON", "Due soon"),
    ("ON_TRACK", "On track"),
    ("NOT_KNOWN_FROM_RETURN", "Not known from the return"),
];

/// The orders a person can sort the list in: the key in the link, the words, the order.
const SORTS: &[(&str, &str, CaseOrder)] = &[
    ("deadline", "Next deadline first", CaseOrder::NextDeadline),
    (
        "unallocated",
        "Unallocated first",
        CaseOrder::UnallocatedFirst,
    ),
    ("in-care", "Longest in care first", CaseOrder::LongestInCare),
];

#[derive(Deserialize, Default)]
pub(crate) struct HomeFilter {
    team: Option<String>,
    route: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    page: Option<String>,
}

impl HomeFilter {
    fn non_empty(value: Option<&String>) -> Option<&str> {
        value.map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// The filter and order as a link to one of their pages.
    fn link_to_page(&self, page: u64) -> String {
        let mut parts = Vec::new();
        for (key, value) in [
            ("team", &self.team),
            ("route", &self.route),
            ("status", &self.status),
            ("sort", &self.sort),
        ] {
            if let Some(v) = Self::non_empty(value.as_ref()) {
                parts.push(format!("{key}={}", format::query_value(v)));
            }
        }
        parts.push(format!("page={page}"));
        format!("/?{}", parts.join("&"))
    }

    /// The page asked for, from 1.
    fn page_number(&self) -> u64 {
        Self::non_empty(self.page.as_ref())
            .and_then(|p| p.parse::<u64>().ok())
            .filter(|p| (1..=MAX_PAGE).contains(p))
            .unwrap_or(1)
    }

    /// The sort asked for, or the role's usual one: a team manager allocates, so unallocated
    /// cases come first for them; everyone else sees what is due soonest first.
    fn sort_key(&self, role: permanence_auth::Role) -> &'static str {
        let asked = Self::non_empty(self.sort.as_ref());
        SORTS.iter().find(|(key, _, _)| Some(*key) == asked).map_or(
            if role == permanence_auth::Role::TeamManager {
                "unallocated"
            } else {
                "deadline"
            },
            |(key, _, _)| key,
        )
    }
}

pub(crate) struct DeadlineCell {
    pub label: String,
    /// None when not known from the return.
    pub due_on: Option<String>,
    pub status: String,
    pub tag_class: &'static str,
}

pub(crate) struct CaseRow {
    pub case_id: String,
    pub reference: String,
    pub name: Option<String>,
    pub team: String,
    pub worker: String,
    pub route: String,
    pub step: String,
    pub deadline: Option<DeadlineCell>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    heading: &'static str,
    no_cases_reason: Option<&'static str>,
    filter: HomeFilter,
    teams: Vec<String>,
    routes: Vec<(&'static str, &'static str)>,
    statuses: &'static [(&'static str, &'static str)],
    sorts: &'static [(&'static str, &'static str, CaseOrder)],
    /// The sort in force (its key).
    sort: &'static str,
    rows: Vec<CaseRow>,
    /// Whether the person may register children (and so open cases).
    may_register: bool,
    has_more: bool,
    next_page: Option<String>,
    previous_page: Option<String>,
    page_number: u64,
}

fn heading_for(role: permanence_auth::Role) -> &'static str {
    use permanence_auth::Role::*;
    match role {
        SocialWorker => "Your cases",
        TeamManager => "Your teams' cases",
        PanelMember | PanelChair => "Cases on your panels' agendas",
        AgencyDecisionMaker | Leader => "Your authority's cases",
        Administrator => "Cases",
    }
}

pub(crate) async fn home(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(filter): Query<HomeFilter>,
) -> Result<Response, PageError> {
    let principal = &signed_in.principal;
    // The panel's chair and members and the agency decision maker work from its queue.
    if crate::sections::home_is_the_panel(principal.role) {
        return crate::panel::queue_page(&state, &signed_in, None).await;
    }
    let mut page = HomePage {
        chrome: Chrome::new(&signed_in, "cases"),
        heading: heading_for(principal.role),
        no_cases_reason: None,
        teams: principal.teams.clone(),
        routes: Route::ALL.iter().map(|r| (r.key(), r.label())).collect(),
        statuses: STATUSES,
        sorts: SORTS,
        sort: filter.sort_key(principal.role),
        rows: Vec::new(),
        may_register: principal
            .local_authorities
            .iter()
            .any(|la| authorize(principal, Action::RegisterChild, Target::Authority(la)).is_ok()),
        has_more: false,
        next_page: None,
        previous_page: None,
        page_number: filter.page_number(),
        filter,
    };
    let Ok(scope) = list_scope(principal, Action::ListCases) else {
        page.no_cases_reason = Some("Your role does not give you access to children's cases.");
        return Ok(html(&page));
    };
    let engine = &state.engine;
    let today = engine.today();
    let due_soon_days = engine.timescales().due_soon_days;
    let store_filter = CaseFilter {
        team: HomeFilter::non_empty(page.filter.team.as_ref()).map(str::to_owned),
        route: HomeFilter::non_empty(page.filter.route.as_ref()).and_then(Route::from_key),
        drift: HomeFilter::non_empty(page.filter.status.as_ref())
            .and_then(drift_status)
            .map(|s| (s, today, due_soon_days)),
        open: Some(true),
        reach: Reach::from(scope),
        ..CaseFilter::default()
    };
    let order = SORTS
        .iter()
        .find(|(key, _, _)| *key == page.sort)
        .map_or(CaseOrder::NextDeadline, |(_, _, order)| *order);
    let offset = (page.page_number - 1) * PAGE_SIZE;
    let mut cases = engine
        .store()
        .cases_sorted(&store_filter, order, offset, PAGE_SIZE + 1)
        .await?;
    page.has_more = cases.len() as u64 > PAGE_SIZE;
    cases.truncate(PAGE_SIZE as usize);
    // Every listed case is in the audit log before the page leaves, as for the API's list.
    crate::audit::record_reads(
        &state,
        &signed_in,
        Action::ListCases,
        cases.iter().map(|c| c.id).collect::<Vec<_>>(),
        "/",
    )
    .await?;
    page.next_page = page
        .has_more
        .then(|| page.filter.link_to_page(page.page_number + 1));
    page.previous_page =
        (page.page_number > 1).then(|| page.filter.link_to_page(page.page_number - 1));
    page.rows = rows(&state, &signed_in, &cases).await?;
    Ok(html(&page))
}

fn drift_status(key: &str) -> Option<DriftStatus> {
    match key {
        "OVERDUE" => Some(DriftStatus::Overdue),
        "DUE_SOON" => Some(DriftStatus::DueSoon),
        "ON_TRACK" => Some(DriftStatus::OnTrack),
        "NOT_KNOWN_FROM_RETURN" => Some(DriftStatus::NotKnownFromReturn),
        _ => None,
    }
}

async fn rows(
    state: &WebState,
    signed_in: &SignedIn,
    cases: &[CaseRecord],
) -> Result<Vec<CaseRow>, PageError> {
    let store = state.engine.store();
    let child_ids: Vec<_> = cases.iter().map(|c| c.child_id).collect();
    let case_ids: Vec<_> = cases.iter().map(|c| c.id).collect();
    let children = store.children_by_ids(&child_ids).await?;
    let mut deadlines = store.deadlines_of_cases(&case_ids).await?;
    let access = Access::for_role(signed_in.principal.role);
    let today = state.engine.today();
    let due_soon_days = state.engine.timescales().due_soon_days;
    let catalog = state.engine.catalog();
    Ok(cases
        .iter()
        .map(|case| {
            let child = children.get(&case.child_id);
            let plan = case.state.primary_plan();
            let (route, step) = match plan {
                Some(plan) => (
                    format::capitalised(plan.route.label()),
                    catalog
                        .get(plan.route, plan.version)
                        .map_or(plan.current_step(), |d| d.label_of(plan.current_step()))
                        .to_owned(),
                ),
                None => ("No plan for permanence yet".to_owned(), String::new()),
            };
            let next = deadlines
                .remove(&case.id)
                .and_then(|list| list.into_iter().next());
            CaseRow {
                case_id: case.id.to_string(),
                reference: child.map_or_else(String::new, |c| c.reference.clone()),
                name: view::personal(access, Personal::Name, child.and_then(|c| c.name.clone())),
                team: case.state.team.clone().unwrap_or_else(|| "No team".into()),
                worker: case
                    .state
                    .allocated_worker
                    .clone()
                    .unwrap_or_else(|| "Not allocated".into()),
                route,
                step,
                deadline: next.map(|d| {
                    let (status, tag_class) =
                        format::deadline_status(d.drift(today, due_soon_days));
                    DeadlineCell {
                        label: format::capitalised(&d.label),
                        due_on: format::due_date(&d),
                        status,
                        tag_class,
                    }
                }),
            }
        })
        .collect())
}
