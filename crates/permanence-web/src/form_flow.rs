//! What every form of the pages does around its own fields, in one place: a form sent after
//! the session ended is kept through signing in again, a form without its session's CSRF
//! token is refused, a form shown again after signing in comes back as it was typed, and the
//! engine's refusals are put beside the field they are about.

use crate::error::PageError;
use crate::form::{Field, FieldError, Values};
use crate::session::{self, SignedIn};
use crate::{WebState, sign_in};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use permanence_auth::csrf_matches;
use permanence_domain::DomainError;
use permanence_engine::EngineError;

/// A form's values, once its session and CSRF token are checked.
pub(crate) struct Received {
    pub signed_in: SignedIn,
    pub values: Values,
}

/// Checks a form sent to `form_path` (the path its page is shown at). `Err` of the outer
/// result is a refusal (a missing or wrong CSRF token); `Err` of the inner one is the answer
/// to send instead of handling the form: the sign-in page, when the session had ended,
/// carrying what was typed back to the form.
pub(crate) async fn receive(
    state: &WebState,
    headers: &HeaderMap,
    pairs: Vec<(String, String)>,
    form_path: &str,
) -> Result<Result<Received, Response>, PageError> {
    let csrf_token = pairs
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let values = Values::new(pairs);
    let Some(signed_in) = session::current(state, headers).await? else {
        // The session ended while the form was being filled in: keep what was typed through
        // signing in again. Only the same browser's next session gets it back.
        return sign_in::sign_in_again_keeping(state, headers, form_path, &values).map(Err);
    };
    if !csrf_matches(&csrf_token, &signed_in.session.csrf_token) {
        return Err(PageError::Forbidden);
    }
    Ok(Ok(Received { signed_in, values }))
}

/// The values to show in a form: what the person had typed before their session ended (and
/// `true`), else `fresh()`.
pub(crate) async fn draft_or(
    state: &WebState,
    signed_in: &SignedIn,
    form_path: &str,
    fresh: impl FnOnce() -> Values,
) -> Result<(Values, bool), PageError> {
    let draft = state
        .engine
        .store()
        .take_form_draft(signed_in.session.id, form_path)
        .await?
        .and_then(|text| serde_json::from_str::<Values>(&text).ok());
    Ok(match draft {
        Some(values) => (values, true),
        None => (fresh(), false),
    })
}

/// A form page shown again with its problems: 422, not a success.
pub(crate) fn refused(page: &crate::form_page::FormPage) -> Response {
    with_status(crate::error::html(page), StatusCode::UNPROCESSABLE_ENTITY)
}

/// What a new form starts with: a command id of its own, so that sending it twice records
/// once.
pub(crate) fn new_command_values() -> Values {
    let mut values = Values::default();
    values.set("command_id", uuid::Uuid::now_v7().to_string());
    values
}

/// The page with another status (a form shown again with its problems is not a success).
pub(crate) fn with_status(mut response: Response, status: StatusCode) -> Response {
    if response.status().is_success() {
        *response.status_mut() = status;
    }
    response
}

/// Where a field of the form is linked to from the error summary: the field named, else the
/// form's main field.
pub(crate) fn anchor_of(fields: &[Field], main_field: &str, name: &str) -> String {
    fields
        .iter()
        .find(|f| f.name == name)
        .or_else(|| fields.iter().find(|f| f.name == main_field))
        .map_or_else(|| name.to_owned(), Field::anchor)
}

/// The engine's refusal, beside the field it is about: the API names fields in camelCase
/// (`occurredOn`, `deferralReason`), the forms in snake_case (`on`, `deferral_reason`). A
/// refusal of the step itself goes beside the form's main field.
pub(crate) fn field_error(fields: &[Field], main_field: &str, refusal: DomainError) -> FieldError {
    match refusal {
        DomainError::Validation { field, reason } => {
            let name = match field.as_str() {
                "occurredOn" => "on".to_owned(),
                other => snake_case(other),
            };
            FieldError::new(
                anchor_of(fields, main_field, &name),
                crate::format::capitalised(&reason),
            )
        }
        DomainError::TransitionNotAllowed(message) | DomainError::InvalidDefinition(message) => {
            FieldError::new(
                anchor_of(fields, main_field, main_field),
                crate::format::capitalised(&message),
            )
        }
    }
}

/// The engine's refusal of a form's command, beside the field it is about (see
/// [`field_error`]); a uniqueness rule's message beside the main field. What cannot be shown
/// as a field's problem is the page's.
pub(crate) fn engine_refusal(
    fields: &[Field],
    main_field: &str,
    refusal: EngineError,
) -> Result<FieldError, PageError> {
    let beside_main = |message: &str| {
        FieldError::new(
            anchor_of(fields, main_field, main_field),
            crate::format::capitalised(message),
        )
    };
    Ok(match refusal {
        EngineError::Domain(refusal) => field_error(fields, main_field, refusal),
        EngineError::Conflict(message) => beside_main(&message),
        EngineError::VersionConflict => {
            beside_main("the record was changed at the same moment: send the form again")
        }
        EngineError::NotFound(_) => return Err(PageError::NotFound),
        EngineError::Internal(cause) => return Err(PageError::Internal(cause)),
    })
}

fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::Control;

    #[test]
    fn api_field_names_become_form_field_names() {
        assert_eq!(snake_case("legalStatus"), "legal_status");
        assert_eq!(
            snake_case("placementChangeReason"),
            "placement_change_reason"
        );
        assert_eq!(snake_case("step"), "step");
    }

    #[test]
    fn a_refusal_goes_beside_its_field_or_else_the_main_one() {
        let fields = vec![
            Field::new(
                "recommendation",
                "Recommendation",
                Control::Radios { choices: vec![] },
            ),
            Field::date("return_by", "Return by"),
        ];
        let dated = field_error(
            &fields,
            "recommendation",
            DomainError::validation("returnBy", "must be after the panel"),
        );
        assert_eq!(
            dated,
            FieldError::new("return_by-day", "Must be after the panel")
        );
        let elsewhere = field_error(
            &fields,
            "recommendation",
            DomainError::validation("commandId", "already used"),
        );
        assert_eq!(elsewhere.field, "recommendation");
        let step = field_error(
            &fields,
            "recommendation",
            DomainError::not_allowed("the panel has not sat yet"),
        );
        assert_eq!(
            step,
            FieldError::new("recommendation", "The panel has not sat yet")
        );
    }
}
