//! `/notifications`: the escalations addressed to the signed-in person, newest first, each
//! naming the child's reference and what is due, with a button to acknowledge it.
//!
//! The list is the API's `notifications`: the same audience (`NotificationAudience::
//! for_principal`) decides whose they are, and acknowledging one is the API's
//! `acknowledgeNotification`, so someone else's notification reads as a missing one. A
//! notification names a case; its child's reference is shown only while the person may read
//! the case (a case reallocated since is no longer theirs to read), and each case named is in
//! the audit log before the page is sent.

use crate::chrome::Chrome;
use crate::error::{PageError, html};
use crate::session::{self, SignedIn};
use crate::{WebState, case_access, format};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use permanence_auth::{Action, Target, authorize, csrf_matches};
use permanence_domain::CaseId;
use permanence_domain::escalation::EscalationLevel;
use permanence_engine::store::{NotificationAudience, NotificationRecord, StoreError};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

/// Notifications on one page.
const PAGE_SIZE: u64 = 25;

pub(crate) struct NotificationRow {
    pub id: String,
    /// The child's reference and their case's page, while the person may read the case.
    pub case: Option<(String, String)>,
    pub what: String,
    pub due_on: String,
    pub level: &'static str,
    pub tag_class: &'static str,
    pub raised_on: String,
    pub acknowledged: Option<String>,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    rows: Vec<NotificationRow>,
    older: Option<String>,
    acknowledged: bool,
}

#[derive(Deserialize, Default)]
pub(crate) struct NotificationsQuery {
    /// Show those recorded before this one (its sequence): the next page.
    before: Option<String>,
    /// One was just acknowledged, for the success banner.
    acknowledged: Option<String>,
}

/// The reader's audience, once the policy lets them `action` notifications at all.
fn audience(signed_in: &SignedIn, action: Action) -> Result<NotificationAudience, PageError> {
    let principal = &signed_in.principal;
    authorize(principal, action, Target::None).map_err(|_| PageError::NotFound)?;
    Ok(NotificationAudience::for_principal(principal))
}

pub(crate) async fn list(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(query): Query<NotificationsQuery>,
) -> Result<Response, PageError> {
    let audience = audience(&signed_in, Action::ReadNotifications)?;
    let before = query.before.as_deref().and_then(|b| b.parse::<i64>().ok());
    let store = state.engine.store();
    let mut notifications = store
        .notifications_for(&audience, false, before, PAGE_SIZE + 1)
        .await?;
    let has_more = notifications.len() as u64 > PAGE_SIZE;
    notifications.truncate(PAGE_SIZE as usize);

    let mut case_ids: Vec<CaseId> = notifications.iter().map(|n| n.case_id).collect();
    case_ids.sort();
    case_ids.dedup();
    let mut readable = HashMap::new();
    for (id, case) in store.cases_by_ids(&case_ids).await? {
        if case_access::may(&state, &signed_in.principal, &case, Action::ReadCase).await? {
            readable.insert(id, case);
        }
    }
    let children = crate::panel_common::children_of(&state, readable.values()).await?;
    crate::audit::record_reads(
        &state,
        &signed_in,
        Action::ListCases,
        readable.keys().copied(),
        "/notifications",
    )
    .await?;
    let rows = notifications
        .iter()
        .map(|n| {
            let case = readable.get(&n.case_id).map(|case| {
                (
                    children
                        .get(&case.child_id)
                        .map_or_else(String::new, |c| c.reference.clone()),
                    format!("/cases/{}", case.id),
                )
            });
            row(n, case)
        })
        .collect();
    let page = NotificationsPage {
        chrome: Chrome::new(&signed_in, "notifications"),
        rows,
        older: has_more
            .then(|| {
                notifications
                    .last()
                    .map(|n| format!("/notifications?before={}", n.sequence))
            })
            .flatten(),
        acknowledged: query.acknowledged.is_some(),
    };
    Ok(html(&page))
}

fn row(n: &NotificationRecord, case: Option<(String, String)>) -> NotificationRow {
    let (level, tag_class) = match n.level {
        EscalationLevel::DueSoon => ("Due soon", "govuk-tag--yellow"),
        EscalationLevel::Overdue => ("Overdue", "govuk-tag--red"),
        EscalationLevel::LongOverdue => ("Long overdue", "govuk-tag--red"),
    };
    NotificationRow {
        id: n.id.to_string(),
        case,
        what: format::capitalised(&n.label),
        due_on: format::date(n.due_on),
        level,
        tag_class,
        raised_on: format::date(n.raised_on),
        acknowledged: n.acknowledged_at.map(|at| {
            let by = n.acknowledged_by.as_deref().unwrap_or("someone");
            format!("Acknowledged by {by} on {}", format::date(at.date_naive()))
        }),
    }
}

#[derive(Deserialize)]
pub(crate) struct AcknowledgeForm {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /notifications/{id}/acknowledge`: marks one as seen (acknowledging it again keeps
/// the first acknowledgement).
pub(crate) async fn acknowledge(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<AcknowledgeForm>,
) -> Result<Response, PageError> {
    let Some(signed_in) = session::current(&state, &headers).await? else {
        // Nothing was typed: after signing in again, the list is where to carry on.
        return Ok(session::to_sign_in("/notifications"));
    };
    if !csrf_matches(&form.csrf_token, &signed_in.session.csrf_token) {
        return Err(PageError::Forbidden);
    }
    let audience = audience(&signed_in, Action::AcknowledgeNotification)?;
    let Ok(id) = Uuid::parse_str(&id) else {
        return Err(PageError::NotFound);
    };
    match state
        .engine
        .store()
        .acknowledge_notification(
            id,
            &audience,
            &signed_in.principal.user_id,
            state.engine.now(),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/notifications?acknowledged=1").into_response()),
        // Someone else's notification reads as a missing one.
        Err(StoreError::NotFound) => Err(PageError::NotFound),
        Err(other) => Err(other.into()),
    }
}
