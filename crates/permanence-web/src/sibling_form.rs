//! Recording a child's sibling group from their case's page: `GET /cases/{id}/sibling-group`
//! shows the form (filled with the group as it stands, when there is one), `POST` sends it as
//! the engine's `record_sibling_group`, under the same policy as the API's
//! `recordSiblingGroup`.
//!
//! The brothers and sisters are named by their references in the authority, as a worker
//! knows them. It behaves as the case's other forms do (`record`): what was typed comes back
//! with the problems beside the fields; a form sent twice records once (a command id made
//! when it was shown); a form filled in against a group that someone else changed meanwhile
//! comes back saying so; a form sent after the session ended is kept through signing in
//! again. A reference that is not of a child the person may link reads the same whether or
//! not such a child exists.

use crate::case_access::{self, OpenedCase};
use crate::chrome::Chrome;
use crate::error::{PageError, html};
use crate::form::{Choice, Control, Field, FieldError, FormView, Values, take};
use crate::form_flow::{self, Received, with_status};
use crate::form_page::FormPage;
use crate::session::SignedIn;
use crate::{WebState, format};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use permanence_auth::Action;
use permanence_domain::CaseId;
use permanence_domain::siblings::{ApartReason, PlacementDecision, Placing};
use permanence_engine::store::SiblingGroupRecord;
use permanence_engine::{Actor, CommandMeta, EngineError};
use std::collections::HashMap;
use uuid::Uuid;

const TITLE: &str = "Record the sibling group";
/// The slug the case page's success banner is named by.
pub(crate) const SLUG: &str = "sibling-group";
/// What the banner says.
pub(crate) const DONE: &str = "Sibling group recorded";
const UNKNOWN_REFERENCE: &str =
    "A reference is not of a child in care whose case you may record on: check the references";

pub(crate) fn path_of(case_id: &str) -> String {
    format!("/cases/{case_id}/{SLUG}")
}

/// Whether the form is offered on this case to this person.
pub(crate) fn offered(opened: &OpenedCase, principal: &permanence_auth::Principal) -> bool {
    opened.case.state.is_open() && opened.may(principal, Action::RecordSiblingGroup)
}

fn fields() -> Vec<Field> {
    let placings = Placing::ALL
        .iter()
        .map(|p| Choice::new(p.key(), format::capitalised(p.label())))
        .collect();
    let reasons = ApartReason::ALL
        .iter()
        .map(|r| Choice::new(r.key(), format::capitalised(r.label())))
        .collect();
    vec![
        Field::new(
            "members",
            "The child's brothers and sisters",
            Control::Text {
                width: "govuk-!-width-two-thirds",
            },
        )
        .hint("Their references in this authority, separated by commas: for example, AB124, AB125"),
        Field::new("placing", "How are they placed?", Control::Radios { choices: placings }),
        Field::new(
            "placed_together",
            "Who is placed together (only when some of them are)",
            Control::Textarea,
        )
        .hint("One line for each set of children placed together, their references separated by commas, this child's included where they are in a set"),
        Field::new(
            "reason",
            "Why are they not all placed together?",
            Control::Select { choices: reasons },
        )
        .hint("Leave empty when they are all placed together"),
        Field::date("decided_on", "When was this decided?"),
    ]
}

/// References typed in a list: separated by commas, semicolons or spaces, without repeats.
fn references(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for reference in text
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        if !out.iter().any(|r| r == reference) {
            out.push(reference.to_owned());
        }
    }
    out
}

/// The group the case is in, if any.
async fn group_of(
    state: &WebState,
    case_id: CaseId,
) -> Result<Option<SiblingGroupRecord>, PageError> {
    let store = state.engine.store();
    let Some(id) = store
        .sibling_groups_of_cases(&[case_id])
        .await?
        .remove(&case_id)
    else {
        return Ok(None);
    };
    Ok(store.sibling_group(id).await?)
}

/// The references of the children of these cases, by case.
async fn references_of(
    state: &WebState,
    cases: &[CaseId],
) -> Result<HashMap<CaseId, String>, PageError> {
    let store = state.engine.store();
    let found = store.cases_by_ids(cases).await?;
    let children = store
        .children_by_ids(&found.values().map(|c| c.child_id).collect::<Vec<_>>())
        .await?;
    Ok(found
        .values()
        .filter_map(|case| {
            children
                .get(&case.child_id)
                .map(|child| (case.id, child.reference.clone()))
        })
        .collect())
}

/// The form's values for the group as it stands (or empty), with a new command id.
async fn fresh(
    state: &WebState,
    opened: &OpenedCase,
    group: Option<&SiblingGroupRecord>,
) -> Result<Values, PageError> {
    let mut values = Values::default();
    values.set("command_id", Uuid::now_v7().to_string());
    values.set(
        "expected_version",
        group.map_or(0, |g| g.version).to_string(),
    );
    if let Some(group) = group {
        let names = references_of(state, &group.state.members).await?;
        let name = |id: &CaseId| names.get(id).cloned().unwrap_or_default();
        // In the order of their references, as a worker lists them (ids carry no order).
        let mut others: Vec<String> = group
            .state
            .members
            .iter()
            .filter(|m| **m != opened.case.id)
            .map(name)
            .collect();
        others.sort();
        values.set("members", others.join(", "));
        values.set("placing", group.state.decision.placing.key().to_owned());
        if let Some(reason) = group.state.decision.reason {
            values.set("reason", reason.key().to_owned());
        }
        let sets: Vec<String> = group
            .state
            .decision
            .placed_together
            .iter()
            .map(|set| {
                let mut set: Vec<String> = set.iter().map(name).collect();
                set.sort();
                set.join(", ")
            })
            .collect();
        values.set("placed_together", sets.join("\n"));
    }
    Ok(values)
}

async fn page(
    state: &WebState,
    signed_in: &SignedIn,
    opened: &OpenedCase,
    values: Values,
    errors: Vec<FieldError>,
) -> Result<FormPage, PageError> {
    if !offered(opened, &signed_in.principal) {
        return Err(PageError::NotFound);
    }
    let page_path = path_of(&opened.case.id.to_string());
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
    let mut page = FormPage::new(
        Chrome::new(signed_in, "cases"),
        TITLE,
        page_path,
        FormView::new(fields(), values, errors),
    );
    page.back_href = format!("/cases/{}", opened.case.id);
    page.back_text = "Back to the case";
    page.caption = format!("Case {reference}");
    page.hidden = &["expected_version", "command_id"];
    page.button = "Record";
    Ok(page)
}

pub(crate) async fn show(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let opened = case_access::open(&state, &signed_in.principal, &id).await?;
    let group = group_of(&state, opened.case.id).await?;
    let path = path_of(&id);
    let fresh_values = fresh(&state, &opened, group.as_ref()).await?;
    let (values, restored) =
        form_flow::draft_or(&state, &signed_in, &path, || fresh_values).await?;
    let mut page = page(&state, &signed_in, &opened, values, Vec::new()).await?;
    page.restored = restored;
    Ok(html(&page))
}

/// The cases named by references, each one the person may record a sibling group on: the
/// child's open case, or the case already in `group`.
async fn cases_named(
    state: &WebState,
    signed_in: &SignedIn,
    authority: &str,
    typed: &[String],
    group: Option<&SiblingGroupRecord>,
) -> Result<Result<HashMap<String, CaseId>, FieldError>, PageError> {
    let store = state.engine.store();
    let children = store.children_by_references(authority, typed).await?;
    let child_ids: Vec<_> = children.values().map(|c| c.id).collect();
    let cases = store.cases_of_children(&child_ids).await?;
    let mut out = HashMap::new();
    for reference in typed {
        let case = children
            .get(reference)
            .and_then(|child| cases.get(&child.id))
            .and_then(|cases| {
                cases
                    .iter()
                    .find(|c| group.is_some_and(|g| g.state.members.contains(&c.id)))
                    .or_else(|| cases.iter().find(|c| c.state.is_open()))
            });
        let Some(case) = case else {
            return Ok(Err(FieldError::new("members", UNKNOWN_REFERENCE)));
        };
        if !case_access::may(
            state,
            &signed_in.principal,
            case,
            Action::RecordSiblingGroup,
        )
        .await?
        {
            return Ok(Err(FieldError::new("members", UNKNOWN_REFERENCE)));
        }
        out.insert(reference.clone(), case.id);
    }
    Ok(Ok(out))
}

pub(crate) async fn submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let Received { signed_in, values } =
        match form_flow::receive(&state, &headers, pairs, &path_of(&id)).await? {
            Ok(received) => received,
            Err(answer) => return Ok(answer),
        };
    let opened = case_access::open(&state, &signed_in.principal, &id).await?;
    if !offered(&opened, &signed_in.principal) {
        return Err(PageError::NotFound);
    }
    let group = group_of(&state, opened.case.id).await?;
    let own = state
        .engine
        .store()
        .child(opened.case.child_id)
        .await?
        .map(|c| c.reference)
        .unwrap_or_default();

    let mut errors = Vec::new();
    let others = references(values.get("members"));
    if others.is_empty() {
        errors.push(FieldError::new(
            "members",
            "Enter the references of the child's brothers and sisters",
        ));
    }
    let placing = take(
        &mut errors,
        values.choice("placing", "Choose how they are placed", Placing::from_key),
    );
    let reason = take(
        &mut errors,
        values.optional_choice("reason", ApartReason::from_key),
    );
    let decided_on = take(&mut errors, values.date("decided_on", "the decision"));
    let sets: Vec<Vec<String>> = values
        .get("placed_together")
        .lines()
        .map(references)
        .filter(|set| !set.is_empty())
        .collect();
    let mut typed: Vec<String> = others.clone();
    for reference in sets.iter().flatten() {
        if *reference != own && !typed.contains(reference) {
            typed.push(reference.clone());
        }
    }
    typed.retain(|r| *r != own);
    let named = if errors.is_empty() && !typed.is_empty() {
        match cases_named(
            &state,
            &signed_in,
            &opened.case.state.local_authority,
            &typed,
            group.as_ref(),
        )
        .await?
        {
            Ok(named) => Some(named),
            Err(error) => {
                errors.push(error);
                None
            }
        }
    } else {
        None
    };
    let (Some(placing), Some(reason), Some(decided_on), Some(named)) =
        (placing, reason, decided_on, named)
    else {
        return refused(&state, &signed_in, &opened, values, errors).await;
    };
    if sets
        .iter()
        .flatten()
        .any(|r| *r != own && !others.contains(r))
    {
        return refused(
            &state,
            &signed_in,
            &opened,
            values,
            vec![FieldError::new(
                "placed_together",
                "Names only the child and the brothers and sisters listed above",
            )],
        )
        .await;
    }
    let case_of = |reference: &String| {
        if *reference == own {
            Some(opened.case.id)
        } else {
            named.get(reference).copied()
        }
    };
    let mut members: Vec<CaseId> = vec![opened.case.id];
    members.extend(others.iter().filter_map(case_of));
    let decision = PlacementDecision {
        placing,
        reason,
        placed_together: sets
            .iter()
            .map(|set| set.iter().filter_map(case_of).collect())
            .collect(),
        decided_on,
    };
    // Every member of the group as it stands must be within reach too, as the API asks.
    if let Some(group) = &group {
        let current = state
            .engine
            .store()
            .cases_by_ids(&group.state.members)
            .await?;
        for case in current.values() {
            if !case_access::may(
                &state,
                &signed_in.principal,
                case,
                Action::RecordSiblingGroup,
            )
            .await?
            {
                return Err(PageError::Forbidden);
            }
        }
    }
    let expected_version = values
        .get("expected_version")
        .parse::<i64>()
        .ok()
        .filter(|v| *v > 0);
    let meta = CommandMeta {
        actor: Actor(signed_in.principal.user_id.clone()),
        command_id: values.get("command_id").parse::<Uuid>().ok(),
        expected_version,
        note: None,
    };
    let outcome = state
        .engine
        .record_sibling_group(&meta, group.as_ref().map(|g| g.id), members, decision)
        .await;
    match outcome {
        Ok(_) => {
            Ok(Redirect::to(&format!("/cases/{}?recorded={SLUG}", opened.case.id)).into_response())
        }
        Err(EngineError::VersionConflict) => {
            let mut values = values;
            let now = group_of(&state, opened.case.id).await?;
            values.set("expected_version", now.map_or(0, |g| g.version).to_string());
            let error = FieldError::new(
                "members",
                "Someone else changed this sibling group after you opened this form. Check it on the case, then send the form again.",
            );
            let page = page(&state, &signed_in, &opened, values, vec![error]).await?;
            Ok(with_status(html(&page), StatusCode::CONFLICT))
        }
        Err(other) => {
            let error = form_flow::engine_refusal(&fields(), "members", other)?;
            refused(&state, &signed_in, &opened, values, vec![error]).await
        }
    }
}

/// The form again, as typed, with what is wrong.
async fn refused(
    state: &WebState,
    signed_in: &SignedIn,
    opened: &OpenedCase,
    values: Values,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let page = page(state, signed_in, opened, values, errors).await?;
    Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_read_however_they_are_separated_and_once_each() {
        assert_eq!(
            references(" AB124, AB125;AB126  AB124\n"),
            vec!["AB124", "AB125", "AB126"]
        );
        assert!(references(" , ").is_empty());
    }
}
