//! `/children/{id}/legal-at-home`: the Public Law Outline for a child who lives at home.
//!
//! The page shows where the child's legal track at home stands (the team, the round under
//! way, its deadlines) and records the next step. A child in care has their legal steps
//! recorded on their case, so the page then says so and links to it. The form survives a
//! refusal and an expired session like every form here (`form_flow`).

use crate::WebState;
use crate::audit::record_child_read;
use crate::chrome::Chrome;
use crate::commands::{legal_step, legal_step_fields};
use crate::error::{PageError, html};
use crate::form::{Control, Field, FieldError, FormView, Values, take};
use crate::form_flow::{self, Received, engine_refusal, new_command_values, refused};
use crate::form_page::FormPage;
use crate::format;
use crate::session::SignedIn;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use permanence_auth::view::{self, Personal};
use permanence_auth::{Access, Action, Principal, Target, authorize};
use permanence_domain::ChildId;
use permanence_domain::deadlines::legal_deadlines;
use permanence_domain::legal::LegalRound;
use permanence_domain::legal_at_home::RecordAtHome;
use permanence_engine::store::{CaseRecord, ChildRecord, LegalAtHomeRecord};
use permanence_engine::{Actor, CommandMeta};
use uuid::Uuid;

pub(crate) fn path(child: ChildId) -> String {
    format!("/children/{}/legal-at-home", child.0)
}

/// What the page is about: the child, their record at home, and their open case if any.
struct Standing {
    child: ChildRecord,
    access: Access,
    record: Option<LegalAtHomeRecord>,
    open_case: Option<CaseRecord>,
}

/// The child, if this person may record their legal track at home (the API's rule for
/// `recordLegalStepAtHome`: casework within the child's authority).
async fn standing(
    state: &WebState,
    principal: &Principal,
    id: &str,
) -> Result<Standing, PageError> {
    let id = ChildId(Uuid::parse_str(id).map_err(|_| PageError::NotFound)?);
    let store = state.engine.store();
    let child = store.child(id).await?.ok_or(PageError::NotFound)?;
    let access = authorize(
        principal,
        Action::RecordLegalStepAtHome,
        Target::Authority(&child.local_authority),
    )
    .map_err(|_| PageError::NotFound)?;
    let record = store.legal_at_home(id).await?;
    let open_case = store
        .cases_of_children(&[id])
        .await?
        .remove(&id)
        .unwrap_or_default()
        .into_iter()
        .find(|case| case.state.is_open());
    Ok(Standing {
        child,
        access,
        record,
        open_case,
    })
}

fn fields() -> Vec<Field> {
    let mut fields = legal_step_fields();
    fields.push(
        Field::new(
            "team",
            "Team",
            Control::Text {
                width: "govuk-input--width-20",
            },
        )
        .hint("The team that holds the child's case; needed with the first step"),
    );
    fields.push(Field::note());
    fields
}

/// The round under way, in words ("Pre-proceedings since 1 June 2026; letter sent 3 June
/// 2026").
pub(crate) fn round_in_words(round: &LegalRound) -> String {
    let mut parts = Vec::new();
    if let Some(pre) = &round.pre_proceedings {
        if let Some(on) = pre.started_on {
            parts.push(format!("Pre-proceedings since {}", format::date(on)));
        }
        if let Some(on) = pre.letter_on {
            parts.push(format!(
                "letter before proceedings sent {}",
                format::date(on)
            ));
        }
        if let Some(on) = pre.meeting_on {
            parts.push(format!("meeting held {}", format::date(on)));
        }
    }
    if let Some(p) = &round.proceedings {
        parts.push(format!(
            "care proceedings issued {}",
            format::date(p.issued_on)
        ));
    }
    format::capitalised(&parts.join("; "))
}

fn facts(
    standing: &Standing,
    today: chrono::NaiveDate,
    state: &WebState,
) -> Vec<(&'static str, String)> {
    let mut facts = Vec::new();
    let Some(record) = &standing.record else {
        facts.push(("Now", "Nothing recorded at home yet".to_owned()));
        return facts;
    };
    if let Some(team) = &record.state.team {
        facts.push(("Team", team.clone()));
    }
    let track = &record.state.track;
    facts.push((
        "Now",
        if track.is_under_way() {
            round_in_words(&track.current_round())
        } else {
            "No round under way at home".to_owned()
        },
    ));
    let timescales = state.engine.timescales();
    for deadline in legal_deadlines(track, timescales) {
        let (status, _) = format::deadline_status(deadline.drift(today, timescales.due_soon_days));
        facts.push((
            "Due",
            format!(
                "{} by {} ({})",
                format::capitalised(&deadline.label),
                format::date(deadline.due_on),
                status.to_lowercase()
            ),
        ));
    }
    let earlier = track.earlier.len();
    if earlier > 0 {
        facts.push(("Earlier rounds", earlier.to_string()));
    }
    facts
}

fn page(
    signed_in: &SignedIn,
    standing: &Standing,
    state: &WebState,
    values: Values,
    errors: Vec<FieldError>,
) -> FormPage {
    let mut page = FormPage::new(
        Chrome::new(signed_in, "cases"),
        "Public Law Outline while the child lives at home",
        path(standing.child.id),
        FormView::new(fields(), values, errors),
    );
    page.caption =
        match view::personal(standing.access, Personal::Name, standing.child.name.clone()) {
            Some(name) => format!("{} ({name})", standing.child.reference),
            None => standing.child.reference.clone(),
        };
    page.facts = facts(standing, state.engine.today(), state);
    page.button = "Record the step";
    page.back_text = "Back to cases";
    if let Some(case) = &standing.open_case {
        page.back_href = format!("/cases/{}", case.id);
        page.back_text = "Go to the child's case";
        page.nothing_to_do = Some("The child is in care: record legal steps on their case.");
    }
    page
}

fn new_values(principal: &Principal, record: Option<&LegalAtHomeRecord>) -> Values {
    let mut values = new_command_values();
    // A record begins with its team: offer the person's own.
    if record.and_then(|r| r.state.team.as_ref()).is_none()
        && let Some(team) = principal.teams.first()
    {
        values.set("team", team.clone());
    }
    values
}

pub(crate) async fn show(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let standing = standing(&state, &signed_in.principal, &id).await?;
    record_child_read(
        &state,
        &signed_in,
        &standing.child,
        &path(standing.child.id),
    )
    .await?;
    let (values, restored) =
        form_flow::draft_or(&state, &signed_in, &path(standing.child.id), || {
            new_values(&signed_in.principal, standing.record.as_ref())
        })
        .await?;
    let mut page = page(&signed_in, &standing, &state, values, Vec::new());
    page.restored = restored;
    Ok(html(&page))
}

pub(crate) async fn submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form_path = format!("/children/{id}/legal-at-home");
    let Received { signed_in, values } =
        match form_flow::receive(&state, &headers, pairs, &form_path).await? {
            Ok(received) => received,
            Err(answer) => return Ok(answer),
        };
    let standing = standing(&state, &signed_in.principal, &id).await?;
    record_child_read(
        &state,
        &signed_in,
        &standing.child,
        &path(standing.child.id),
    )
    .await?;
    let mut errors = Vec::new();
    let step = take(&mut errors, legal_step(&values));
    let on = take(&mut errors, values.date("on", "the date"));
    let (Some(step), Some(on)) = (step, on) else {
        return Ok(refused(&page(
            &signed_in, &standing, &state, values, errors,
        )));
    };
    let meta = CommandMeta {
        actor: Actor(signed_in.principal.user_id.clone()),
        command_id: values.get("command_id").parse().ok(),
        expected_version: None,
        note: values.text("note"),
    };
    let command = RecordAtHome {
        on,
        step,
        team: values.text("team"),
    };
    match state
        .engine
        .record_legal_step_at_home(&meta, standing.child.id, command)
        .await
    {
        // Back to the page, which shows the step taken and a fresh form for the next.
        Ok(_) => Ok(Redirect::to(&path(standing.child.id)).into_response()),
        Err(refusal) => {
            let error = engine_refusal(&fields(), "legal_step", refusal)?;
            Ok(refused(&page(
                &signed_in,
                &standing,
                &state,
                values,
                vec![error],
            )))
        }
    }
}
