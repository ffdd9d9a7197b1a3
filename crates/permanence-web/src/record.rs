//! Recording on a case from the browser: `GET /cases/{id}/record/{form}` shows a form,
//! `POST` sends it as one engine command.
//!
//! Nothing typed is lost. A problem with the values brings the form back with the error
//! summary, the message beside each field and everything as typed. Every form carries the
//! case's version as the person saw it: if someone else changed the case meanwhile, the form
//! comes back saying so and showing what changed, ready to send again. A form sent after the
//! session ended is kept through signing in again (see `sign_in::sign_in_again_keeping`). Each
//! form also carries a command id made when it was shown, so a form sent twice (a double
//! click, a resend after a lost answer) records once.

use crate::WebState;
use crate::case_access::{self, OpenedCase};
use crate::chrome::Chrome;
use crate::commands::{CaseContext, CaseForm};
use crate::error::{PageError, html};
use crate::form::{FieldError, FormView, Values};
use crate::form_flow::{self, Received, with_status};
use crate::form_page::FormPage;
use crate::session::SignedIn;
use crate::timeline::timeline_entry;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use permanence_auth::Action;
use permanence_engine::{Actor, CommandMeta, EngineError};
use uuid::Uuid;

fn form_of(slug: &str) -> Result<CaseForm, PageError> {
    CaseForm::from_slug(slug).ok_or(PageError::NotFound)
}

fn path_of(case_id: &str, form: CaseForm) -> String {
    format!("/cases/{case_id}/record/{}", form.slug())
}

pub(crate) async fn show(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path((id, slug)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let form = form_of(&slug)?;
    let opened = case_access::open(&state, &signed_in.principal, &id).await?;
    let path = path_of(&id, form);
    let (values, restored) = form_flow::draft_or(&state, &signed_in, &path, || {
        let mut fresh = Values::default();
        fresh.set("expected_version", opened.case.version.to_string());
        fresh.set("command_id", Uuid::now_v7().to_string());
        fresh
    })
    .await?;
    let mut page = page(&state, &signed_in, &opened, form, values, Vec::new()).await?;
    page.restored = restored;
    Ok(html(&page))
}

async fn page(
    state: &WebState,
    signed_in: &SignedIn,
    opened: &OpenedCase,
    form: CaseForm,
    values: Values,
    errors: Vec<FieldError>,
) -> Result<FormPage, PageError> {
    let principal = &signed_in.principal;
    let may = |action: Action| opened.may(principal, action);
    let ctx = CaseContext {
        state: &opened.case.state,
        catalog: state.engine.catalog(),
        may: &may,
    };
    if !form.offered(&ctx) {
        return Err(PageError::NotFound);
    }
    let page_path = path_of(&opened.case.id.to_string(), form);
    crate::audit::record_reads(
        state,
        signed_in,
        Action::ReadCase,
        [opened.case.id],
        &page_path,
    )
    .await?;
    let reference = state
        .engine
        .store()
        .child(opened.case.child_id)
        .await?
        .map(|c| c.reference)
        .unwrap_or_default();
    let case_path = format!("/cases/{}", opened.case.id);
    let mut page = FormPage::new(
        Chrome::new(signed_in, "cases"),
        form.title(),
        page_path,
        FormView::new(form.fields(&ctx), values, errors),
    );
    page.back_href = case_path;
    page.back_text = "Back to the case";
    page.caption = format!("Case {reference}");
    page.hidden = &["expected_version", "command_id"];
    page.button = form.button();
    Ok(page)
}

pub(crate) async fn submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path((id, slug)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = form_of(&slug)?;
    let Received { signed_in, values } =
        match form_flow::receive(&state, &headers, pairs, &path_of(&id, form)).await? {
            Ok(received) => received,
            Err(answer) => return Ok(answer),
        };
    let opened = case_access::open(&state, &signed_in.principal, &id).await?;
    let principal = &signed_in.principal;
    let may = |action: Action| opened.may(principal, action);
    let ctx = CaseContext {
        state: &opened.case.state,
        catalog: state.engine.catalog(),
        may: &may,
    };
    let fields = form.fields(&ctx);
    let (command, action) = match form.command(&values, &ctx) {
        Ok(made) => made,
        Err(errors) => {
            return refused(&state, &signed_in, &opened, form, values, errors).await;
        }
    };
    if !opened.may(principal, action) {
        return Err(PageError::Forbidden);
    }
    let expected_version = values.get("expected_version").parse::<i64>().ok();
    let meta = CommandMeta {
        actor: Actor(principal.user_id.clone()),
        command_id: values.get("command_id").parse::<Uuid>().ok(),
        expected_version,
        note: values.text("note"),
    };
    match state.engine.execute(&meta, opened.case.id, command).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/cases/{}?recorded={}",
            opened.case.id,
            form.slug()
        ))
        .into_response()),
        Err(EngineError::VersionConflict) => {
            conflict(&state, &signed_in, &opened, form, values, expected_version).await
        }
        Err(other) => {
            let error = form_flow::engine_refusal(&fields, form.main_field(), other)?;
            refused(&state, &signed_in, &opened, form, values, vec![error]).await
        }
    }
}

/// The form again, as typed, with what is wrong.
async fn refused(
    state: &WebState,
    signed_in: &SignedIn,
    opened: &OpenedCase,
    form: CaseForm,
    values: Values,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let page = page(state, signed_in, opened, form, values, errors).await?;
    Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
}

/// Someone else changed the case after the form was shown: the form comes back as typed,
/// with what changed, and now carries the case's current version so that sending it again
/// (after checking) records it.
async fn conflict(
    state: &WebState,
    signed_in: &SignedIn,
    opened: &OpenedCase,
    form: CaseForm,
    mut values: Values,
    seen_version: Option<i64>,
) -> Result<Response, PageError> {
    let store = state.engine.store();
    // The case as it is now (the policy is asked again: the change may have been a
    // reallocation out of this person's reach).
    let now = case_access::open(state, &signed_in.principal, &opened.case.id.to_string()).await?;
    let events = store
        .events_of_cases(&[now.case.id])
        .await?
        .remove(&now.case.id)
        .unwrap_or_default();
    let seen = seen_version.unwrap_or(0);
    let changes = events
        .iter()
        .filter(|e| e.sequence > seen)
        .map(|e| timeline_entry(e, &now.case.state, state.engine.catalog(), now.access))
        .collect();
    values.set("expected_version", now.case.version.to_string());
    let error = FieldError::new(
        "changes",
        "Someone else changed this case after you opened this form. Check what changed, then send the form again.",
    );
    let mut page = page(state, signed_in, &now, form, values, vec![error]).await?;
    page.changes = changes;
    Ok(with_status(html(&page), StatusCode::CONFLICT))
}
