//! The permanence panel's pages: the queue (`/panel`, and the home page of the panel's chair,
//! members and the agency decision maker) and a meeting with its agenda
//! (`/panel/meetings/{id}`).
//!
//! The queue is the API's `panelQueue`: cases waiting for panel (the longest wait first) with
//! their documents, the agendas still to be heard or recorded, and the recommendations
//! waiting for the agency decision. A meeting is the API's `panelMeeting`: anyone who may
//! list the meetings of its authority opens it, and a meeting of another authority reads
//! exactly as one that does not exist. On both, a case is listed only when the person may
//! read it, and every case listed is in the audit log before the page is sent. The forms are
//! in `panel_forms`.

use crate::chrome::Chrome;
use crate::error::{PageError, html};
use crate::panel_common::{
    ChildCell, FormLink, children_of, document_label, documents_summary, engine_error, item_status,
    kind_label, may_in_authority, meeting_heading, meeting_path, missing_documents, open_meeting,
    purpose_label,
};
use crate::panel_forms::PanelForm;
use crate::session::SignedIn;
use crate::{WebState, case_access, format};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use permanence_auth::view::{self, Personal};
use permanence_auth::{Access, Action, Principal, list_scope};
use permanence_domain::CaseId;
use permanence_domain::panel::{PanelItemStatus, PanelMeetingStatus};
use permanence_engine::panel::DocumentChecklist;
use permanence_engine::store::{CaseRecord, ChildRecord, PanelItemRecord, PanelMeetingRecord};
use serde::Deserialize;
use std::collections::HashMap;

/// How many cases waiting, agendas and recommendations awaiting decision the queue shows.
const QUEUE_PAGE: u64 = 50;

pub(crate) struct WaitingRow {
    pub child: ChildCell,
    pub purpose: String,
    pub step: String,
    pub since: String,
    pub days: String,
    pub documents: String,
    pub all_ready: bool,
    pub return_by: Option<String>,
    pub panel_optional: bool,
    /// The references of the brothers and sisters waiting for panel for the same purpose
    /// that the reader may see: the panel hears them as one item.
    pub siblings: Vec<String>,
    /// The case is in such a sibling group (some of whom the reader may not see).
    pub in_sibling_group: bool,
}

pub(crate) struct MeetingRow {
    /// The meeting's page, for those who may open it.
    pub href: Option<String>,
    pub sits_on: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub tag_class: &'static str,
    /// The cases on its agenda the reader may see, in agenda order.
    pub cases: Vec<ChildCell>,
}

pub(crate) struct AwaitingRow {
    pub child: ChildCell,
    pub purpose: String,
    pub recommended_on: String,
    pub elapsed: String,
    pub due_on: String,
    pub overdue: bool,
    pub meeting_href: Option<String>,
}

#[derive(Template)]
#[template(path = "panel.html")]
struct QueuePage {
    chrome: Chrome,
    authorities: Vec<String>,
    authority: String,
    today: String,
    may_schedule: bool,
    waiting: Vec<WaitingRow>,
    waiting_cut: bool,
    meetings: Vec<MeetingRow>,
    awaiting: Vec<AwaitingRow>,
    awaiting_cut: bool,
}

#[derive(Deserialize, Default)]
pub(crate) struct QueueQuery {
    authority: Option<String>,
}

pub(crate) async fn queue(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(query): Query<QueueQuery>,
) -> Result<Response, PageError> {
    queue_page(&state, &signed_in, query.authority.as_deref()).await
}

/// The queue, for `/panel` and for the home page of those who work from it.
pub(crate) async fn queue_page(
    state: &WebState,
    signed_in: &SignedIn,
    asked_authority: Option<&str>,
) -> Result<Response, PageError> {
    let principal = &signed_in.principal;
    // The API's panelQueue: a role that may not read the queue gets nothing of it.
    list_scope(principal, Action::ReadPanelQueue).map_err(|_| PageError::NotFound)?;
    let authority = asked_authority
        .filter(|la| principal.serves(la))
        .or_else(|| principal.local_authorities.first().map(String::as_str))
        .ok_or(PageError::NotFound)?
        .to_owned();
    let engine = &state.engine;
    let today = engine.today();
    let queue = engine
        .panel_queue(&authority, today, QUEUE_PAGE)
        .await
        .map_err(engine_error)?;
    let may_open_meetings = may_in_authority(principal, Action::ListPanelMeetings, &authority);

    let mut case_ids: Vec<CaseId> = queue
        .agendas
        .iter()
        .flat_map(|a| a.items.iter().map(|i| i.item.case_id))
        .chain(queue.awaiting_decision.iter().map(|a| a.item.case_id))
        .collect();
    case_ids.sort();
    case_ids.dedup();
    let siblings_waiting: Vec<CaseId> = queue
        .waiting
        .iter()
        .flat_map(|q| q.siblings_waiting.iter().copied())
        .filter(|id| !case_ids.contains(id))
        .collect();
    let mut cases = engine.store().cases_by_ids(&case_ids).await?;
    let sibling_cases = engine.store().cases_by_ids(&siblings_waiting).await?;
    let readable_siblings = readable_cases(state, principal, sibling_cases).await?;
    let sibling_children = children_of(state, readable_siblings.values()).await?;
    for entry in &queue.waiting {
        cases.insert(entry.case.id, entry.case.clone());
    }
    let readable = readable_cases(state, principal, cases).await?;
    let children = children_of(state, readable.values()).await?;
    let access = Access::for_role(principal.role);
    let cell = |case_id: CaseId| {
        readable
            .get(&case_id)
            .map(|case| ChildCell::new(case, children.get(&case.child_id), access))
    };
    let sibling_reference = |case_id: CaseId| {
        readable
            .get(&case_id)
            .and_then(|case| children.get(&case.child_id))
            .or_else(|| {
                readable_siblings
                    .get(&case_id)
                    .and_then(|case| sibling_children.get(&case.child_id))
            })
            .map(|child| child.reference.clone())
    };

    let waiting_cut = queue.waiting.len() as u64 >= QUEUE_PAGE;
    let waiting: Vec<WaitingRow> = queue
        .waiting
        .iter()
        .filter_map(|q| {
            let child = cell(q.case.id)?;
            let step = q
                .case
                .state
                .primary_plan()
                .and_then(|p| engine.catalog().get(p.route, p.version))
                .map_or(q.step.as_str(), |d| d.label_of(&q.step));
            Some(WaitingRow {
                child,
                purpose: purpose_label(q.purpose),
                step: format::capitalised(step),
                since: format::date(q.waiting_since),
                days: format::days(q.days_waited),
                documents: documents_summary(&q.documents),
                all_ready: q.documents.all_ready(),
                return_by: q.return_by.map(format::date),
                panel_optional: q.panel_optional,
                siblings: q
                    .siblings_waiting
                    .iter()
                    .filter_map(|s| sibling_reference(*s))
                    .collect(),
                in_sibling_group: q.sibling_group.is_some(),
            })
        })
        .collect();
    let meetings = queue
        .agendas
        .iter()
        .map(|agenda| {
            let (status, tag_class) = meeting_status(agenda.meeting.status);
            MeetingRow {
                href: may_open_meetings.then(|| meeting_path(agenda.meeting.id)),
                sits_on: format::date(agenda.meeting.sits_on),
                kind: kind_label(agenda.meeting.kind),
                status,
                tag_class,
                cases: agenda
                    .items
                    .iter()
                    .filter_map(|i| cell(i.item.case_id))
                    .collect(),
            }
        })
        .collect();
    let awaiting_cut = queue.awaiting_decision.len() as u64 >= QUEUE_PAGE;
    let awaiting = queue
        .awaiting_decision
        .iter()
        .filter_map(|a| {
            Some(AwaitingRow {
                child: cell(a.item.case_id)?,
                purpose: purpose_label(a.item.purpose),
                recommended_on: format::date(a.recommended_on),
                elapsed: format!(
                    "{} of {} working days",
                    a.working_days_elapsed, a.working_days_allowed
                ),
                due_on: format::date(a.decision_due_on),
                overdue: a.overdue,
                meeting_href: may_open_meetings.then(|| meeting_path(a.item.meeting_id)),
            })
        })
        .collect();

    // Every case the page names is in the audit log before the page leaves.
    crate::audit::record_reads(
        state,
        signed_in,
        Action::ReadPanelQueue,
        readable.keys().chain(readable_siblings.keys()).copied(),
        "/panel",
    )
    .await?;
    let page = QueuePage {
        chrome: Chrome::new(signed_in, "panel"),
        authorities: principal.local_authorities.clone(),
        authority: authority.clone(),
        today: format::date(today),
        may_schedule: may_in_authority(principal, Action::SchedulePanelMeeting, &authority),
        waiting,
        waiting_cut,
        meetings,
        awaiting,
        awaiting_cut,
    };
    Ok(html(&page))
}

/// One item of an agenda, as the meeting page shows it.
pub(crate) struct ItemView {
    pub position: i32,
    pub child: ChildCell,
    pub purpose: String,
    pub status: String,
    pub tag_class: &'static str,
    pub heard_on: Option<String>,
    /// Why the panel deferred it (free text: not for pseudonymised readers).
    pub deferral_reason: Option<String>,
    pub return_by: Option<String>,
    pub documents: Vec<(String, bool)>,
    pub documents_summary: String,
    /// The documents still missing for an item not yet heard: the page warns of them.
    pub missing: Vec<String>,
    pub forms: Vec<FormLink>,
    /// For an item heard with its sibling group: the references of the brothers and sisters
    /// on the agenda with it that the reader may see.
    pub sibling_group: Option<Vec<String>>,
}

#[derive(Template)]
#[template(path = "panel_meeting.html")]
struct MeetingPage {
    chrome: Chrome,
    heading: String,
    facts: Vec<(&'static str, String)>,
    members: Vec<String>,
    items: Vec<ItemView>,
    forms: Vec<FormLink>,
    done: Option<&'static str>,
}

#[derive(Deserialize)]
pub(crate) struct MeetingQuery {
    /// The form just sent (its slug), for the success banner.
    done: Option<String>,
}

pub(crate) async fn meeting(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<MeetingQuery>,
) -> Result<Response, PageError> {
    let principal = &signed_in.principal;
    let meeting = open_meeting(&state, principal, &id, Action::ListPanelMeetings).await?;
    let engine = &state.engine;
    let agenda = engine
        .panel_agenda(meeting.id)
        .await
        .map_err(engine_error)?;
    let members = engine
        .store()
        .panel_members_of_meetings(&[meeting.id])
        .await?
        .remove(&meeting.id)
        .unwrap_or_default();
    let case_ids: Vec<CaseId> = agenda.items.iter().map(|i| i.item.case_id).collect();
    let cases = engine.store().cases_by_ids(&case_ids).await?;
    let readable = readable_cases(&state, principal, cases).await?;
    let children = children_of(&state, readable.values()).await?;
    let access = Access::for_role(principal.role);
    let mut items = Vec::new();
    for entry in &agenda.items {
        let Some(case) = readable.get(&entry.item.case_id) else {
            continue;
        };
        let mut forms = Vec::new();
        for form in PanelForm::ITEM_FORMS {
            if form
                .offered_on_item(&state, principal, &entry.item, case)
                .await?
            {
                forms.push(FormLink {
                    href: form.path(&entry.item.id.0.to_string()),
                    title: form.title().to_owned(),
                });
            }
        }
        let mut view = item_view(
            &entry.item,
            case,
            children.get(&case.child_id),
            &entry.documents,
            access,
            forms,
        );
        view.sibling_group = entry.sibling_group.map(|group| {
            agenda
                .items
                .iter()
                .filter(|other| {
                    other.sibling_group == Some(group)
                        && other.item.purpose == entry.item.purpose
                        && other.item.id != entry.item.id
                })
                .filter_map(|other| readable.get(&other.item.case_id))
                .filter_map(|case| children.get(&case.child_id))
                .map(|child| child.reference.clone())
                .collect()
        });
        items.push(view);
    }
    let mut forms: Vec<FormLink> = PanelForm::MEETING_FORMS
        .iter()
        .copied()
        .filter(|form| form.offered_on_meeting(principal, &meeting))
        .map(|form| FormLink {
            href: form.path(&meeting.id.0.to_string()),
            title: form.title().to_owned(),
        })
        .collect();
    forms.extend(crate::sibling_panel_form::links(&state, principal, &agenda).await?);
    let path = meeting_path(meeting.id);
    crate::audit::record_reads(
        &state,
        &signed_in,
        Action::ReadCase,
        readable.keys().copied(),
        &path,
    )
    .await?;
    let page = MeetingPage {
        chrome: Chrome::new(&signed_in, "panel"),
        heading: meeting_heading(&meeting),
        facts: meeting_facts(&meeting, access),
        members,
        items,
        forms,
        done: query
            .done
            .as_deref()
            .and_then(PanelForm::from_slug)
            .map(PanelForm::done),
    };
    Ok(html(&page))
}

fn item_view(
    item: &PanelItemRecord,
    case: &CaseRecord,
    child: Option<&ChildRecord>,
    documents: &DocumentChecklist,
    access: Access,
    forms: Vec<FormLink>,
) -> ItemView {
    let (status, tag_class) = item_status(item);
    ItemView {
        position: item.position,
        child: ChildCell::new(case, child, access),
        purpose: purpose_label(item.purpose),
        status,
        tag_class,
        heard_on: item.recommendation_on.map(format::date),
        deferral_reason: view::personal(access, Personal::FreeText, item.deferral_reason.clone()),
        return_by: item.return_by.map(format::date),
        documents: documents
            .documents
            .iter()
            .map(|d| (document_label(d.document), d.ready))
            .collect(),
        documents_summary: documents_summary(documents),
        missing: if item.status == PanelItemStatus::Scheduled {
            missing_documents(documents)
        } else {
            Vec::new()
        },
        forms,
        sibling_group: None,
    }
}

/// The cases the person may read, of those given.
async fn readable_cases(
    state: &WebState,
    principal: &Principal,
    cases: HashMap<CaseId, CaseRecord>,
) -> Result<HashMap<CaseId, CaseRecord>, PageError> {
    let mut readable = HashMap::with_capacity(cases.len());
    for (id, case) in cases {
        if case_access::may(state, principal, &case, Action::ReadCase).await? {
            readable.insert(id, case);
        }
    }
    Ok(readable)
}

pub(crate) fn meeting_facts(
    meeting: &PanelMeetingRecord,
    access: Access,
) -> Vec<(&'static str, String)> {
    let mut facts = vec![
        ("Panel", kind_label(meeting.kind).to_owned()),
        ("Sits on", format::date(meeting.sits_on)),
        ("Status", meeting_status(meeting.status).0.to_owned()),
        ("Chair", meeting.chair.clone()),
    ];
    if let Some(notes) = view::personal(access, Personal::FreeText, meeting.quorum_notes.clone()) {
        facts.push(("Quorum notes", notes));
    }
    facts
}

fn meeting_status(status: PanelMeetingStatus) -> (&'static str, &'static str) {
    match status {
        PanelMeetingStatus::Planned => ("Planned", "govuk-tag--blue"),
        PanelMeetingStatus::Held => ("Held", "govuk-tag--green"),
        PanelMeetingStatus::Cancelled => ("Cancelled", "govuk-tag--grey"),
    }
}
