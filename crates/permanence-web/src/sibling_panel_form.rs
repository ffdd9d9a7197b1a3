//! The panel's recommendation for a sibling group heard as one agenda item:
//! `/panel/meetings/{meeting}/sibling-groups/{group}/{purpose}`, offered on the meeting's page
//! when two or more of the group's children wait on its agenda for the same purpose.
//!
//! It sends the engine's `record_sibling_group_panel_outcome` (the API's
//! `recordSiblingGroupPanelRecommendation`): one outcome on each of their items and cases, all
//! or none. The person must be allowed to record the panel's recommendation on every child of
//! the group, as the API asks. It behaves as the panel's other forms do: what was typed comes
//! back with the problems beside the fields, a form sent twice records once, and a form sent
//! after the session ended is kept through signing in again.

use crate::chrome::Chrome;
use crate::error::{PageError, html};
use crate::form::{FieldError, FormView, Values};
use crate::form_flow::{self, Received, with_status};
use crate::form_page::FormPage;
use crate::panel_common::{self, FormLink, meeting_heading, meeting_path, purpose_label};
use crate::panel_forms::{recommendation_fields, typed_outcome};
use crate::session::SignedIn;
use crate::{WebState, case_access};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use permanence_auth::{Action, Principal};
use permanence_domain::ids::SiblingGroupId;
use permanence_domain::panel::{PanelItemStatus, PanelPurpose};
use permanence_engine::panel::PanelAgenda;
use permanence_engine::store::{PanelMeetingRecord, SiblingGroupRecord};
use permanence_engine::{Actor, CommandMeta};
use uuid::Uuid;

const TITLE: &str = "Record the panel's recommendation for the sibling group";

fn path_of(meeting: &str, group: &str, purpose: PanelPurpose) -> String {
    format!(
        "/panel/meetings/{meeting}/sibling-groups/{group}/{}",
        purpose.key()
    )
}

/// The links to the form on a meeting's page: one for each sibling group with two or more
/// children to be heard for one purpose, when the person may record on every child of it.
pub(crate) async fn links(
    state: &WebState,
    principal: &Principal,
    agenda: &PanelAgenda,
) -> Result<Vec<FormLink>, PageError> {
    let mut seen: Vec<(SiblingGroupId, PanelPurpose)> = Vec::new();
    let mut out = Vec::new();
    for entry in &agenda.items {
        let Some(group) = entry.sibling_group else {
            continue;
        };
        let key = (group, entry.item.purpose);
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let scheduled = agenda
            .items
            .iter()
            .filter(|i| {
                i.sibling_group == Some(group)
                    && i.item.purpose == entry.item.purpose
                    && i.item.status == PanelItemStatus::Scheduled
            })
            .count();
        if scheduled < 2 {
            continue;
        }
        let Some(record) = state.engine.store().sibling_group(group).await? else {
            continue;
        };
        if may_record(state, principal, &record).await? {
            out.push(FormLink {
                href: path_of(
                    &agenda.meeting.id.0.to_string(),
                    &group.0.to_string(),
                    entry.item.purpose,
                ),
                title: format!(
                    "Record the panel's recommendation for the sibling group ({})",
                    purpose_label(entry.item.purpose).to_lowercase()
                ),
            });
        }
    }
    Ok(out)
}

/// Whether the person may record the panel's recommendation on every child of the group.
async fn may_record(
    state: &WebState,
    principal: &Principal,
    group: &SiblingGroupRecord,
) -> Result<bool, PageError> {
    let cases = state
        .engine
        .store()
        .cases_by_ids(&group.state.members)
        .await?;
    for case in cases.values() {
        if !case_access::may(state, principal, case, Action::RecordPanelRecommendation).await? {
            return Ok(false);
        }
    }
    Ok(!cases.is_empty())
}

/// The meeting, group and purpose named in the path, if the person may use the form on them.
async fn subject(
    state: &WebState,
    principal: &Principal,
    (meeting, group, purpose): (&str, &str, &str),
) -> Result<(PanelMeetingRecord, SiblingGroupRecord, PanelPurpose), PageError> {
    let meeting =
        panel_common::open_meeting(state, principal, meeting, Action::ListPanelMeetings).await?;
    let purpose = PanelPurpose::from_key(purpose).ok_or(PageError::NotFound)?;
    let group = Uuid::parse_str(group)
        .map(SiblingGroupId)
        .map_err(|_| PageError::NotFound)?;
    let group = state
        .engine
        .store()
        .sibling_group(group)
        .await?
        .ok_or(PageError::NotFound)?;
    if !may_record(state, principal, &group).await? {
        return Err(PageError::NotFound);
    }
    Ok((meeting, group, purpose))
}

async fn page(
    state: &WebState,
    signed_in: &SignedIn,
    (meeting, group, purpose): (&PanelMeetingRecord, &SiblingGroupRecord, PanelPurpose),
    values: Values,
    errors: Vec<FieldError>,
) -> Result<FormPage, PageError> {
    let store = state.engine.store();
    let cases = store.cases_by_ids(&group.state.members).await?;
    let children = panel_common::children_of(state, cases.values()).await?;
    let mut references: Vec<String> = children.values().map(|c| c.reference.clone()).collect();
    references.sort();
    let path = path_of(&meeting.id.0.to_string(), &group.id.0.to_string(), purpose);
    crate::audit::record_reads(
        state,
        signed_in,
        Action::ReadCase,
        cases.keys().copied(),
        &path,
    )
    .await?;
    let mut page = FormPage::new(
        Chrome::new(signed_in, "panel"),
        TITLE,
        path,
        FormView::new(recommendation_fields(), values, errors),
    );
    page.back_href = meeting_path(meeting.id);
    page.back_text = "Back to the meeting";
    page.caption = meeting_heading(meeting);
    page.button = "Record the recommendation";
    page.facts = vec![
        ("Heard for", purpose_label(purpose)),
        ("The children", references.join(", ")),
    ];
    Ok(page)
}

pub(crate) async fn show(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path((meeting, group, purpose)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let (meeting, group, purpose) =
        subject(&state, &signed_in.principal, (&meeting, &group, &purpose)).await?;
    let path = path_of(&meeting.id.0.to_string(), &group.id.0.to_string(), purpose);
    let (values, restored) = form_flow::draft_or(&state, &signed_in, &path, || {
        let mut fresh = Values::default();
        fresh.set("command_id", Uuid::now_v7().to_string());
        fresh
    })
    .await?;
    let mut page = page(
        &state,
        &signed_in,
        (&meeting, &group, purpose),
        values,
        Vec::new(),
    )
    .await?;
    page.restored = restored;
    Ok(html(&page))
}

pub(crate) async fn submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path((meeting_id, group_id, purpose_key)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form_path = format!("/panel/meetings/{meeting_id}/sibling-groups/{group_id}/{purpose_key}");
    let Received { signed_in, values } =
        match form_flow::receive(&state, &headers, pairs, &form_path).await? {
            Ok(received) => received,
            Err(answer) => return Ok(answer),
        };
    let (meeting, group, purpose) = subject(
        &state,
        &signed_in.principal,
        (&meeting_id, &group_id, &purpose_key),
    )
    .await?;
    let subject = (&meeting, &group, purpose);
    let outcome = match typed_outcome(&values) {
        Ok(outcome) => outcome,
        Err(errors) => return refused(&state, &signed_in, subject, values, errors).await,
    };
    let meta = CommandMeta {
        actor: Actor(signed_in.principal.user_id.clone()),
        command_id: values.get("command_id").parse::<Uuid>().ok(),
        expected_version: None,
        note: values.text("note"),
    };
    match state
        .engine
        .record_sibling_group_panel_outcome(&meta, meeting.id, group.id, purpose, outcome)
        .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("{}?done=recommendation", meeting_path(meeting.id)))
                .into_response(),
        ),
        Err(refusal) => {
            let error =
                form_flow::engine_refusal(&recommendation_fields(), "recommendation", refusal)?;
            refused(&state, &signed_in, subject, values, vec![error]).await
        }
    }
}

/// The form again, as typed, with what is wrong.
async fn refused(
    state: &WebState,
    signed_in: &SignedIn,
    subject: (&PanelMeetingRecord, &SiblingGroupRecord, PanelPurpose),
    values: Values,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let page = page(state, signed_in, subject, values, errors).await?;
    Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
}
