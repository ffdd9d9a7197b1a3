//! A child comes into the service: `/children/new` registers them, then
//! `/children/{id}/enter-care` opens their period of care (the case), whose page follows.
//!
//! Two steps, two commands: a registration that went through is never undone by a problem
//! with the care details, and each form comes back as typed when something is wrong.

use crate::WebState;
use crate::chrome::Chrome;
use crate::error::{PageError, html};
use crate::form::{Choice, Control, Field, FieldError, FormView, Values, take};
use crate::form_flow::{self, Received, engine_refusal, new_command_values, refused};
use crate::form_page::FormPage;
use crate::placement_fields;
use crate::session::SignedIn;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use permanence_auth::view::{self, Personal};
use permanence_auth::{Access, Action, Principal, Target, authorize};
use permanence_domain::ChildId;
use permanence_domain::child::{ChildFacts, ETHNICITY_CODES, NewChild};
use permanence_domain::codes::{LegalStatus, PlacementType, Sex};
use permanence_engine::store::ChildRecord;
use permanence_engine::{Actor, CommandMeta, EnterCare};
use uuid::Uuid;

const REGISTER_PATH: &str = "/children/new";

/// The national return's ethnic categories, in its order, in words.
const ETHNICITY_LABELS: &[(&str, &str)] = &[
    ("WBRI", "White: British"),
    ("WIRI", "White: Irish"),
    ("WIRT", "White: Traveller of Irish heritage"),
    ("WOTH", "White: any other White background"),
    ("WROM", "White: Gypsy or Roma"),
    ("MWBC", "Mixed: White and Black Caribbean"),
    ("MWBA", "Mixed: White and Black African"),
    ("MWAS", "Mixed: White and Asian"),
    ("MOTH", "Mixed: any other mixed background"),
    ("AIND", "Asian or Asian British: Indian"),
    ("APKN", "Asian or Asian British: Pakistani"),
    ("ABAN", "Asian or Asian British: Bangladeshi"),
    ("AOTH", "Asian or Asian British: any other Asian background"),
    ("BCRB", "Black or Black British: Caribbean"),
    ("BAFR", "Black or Black British: African"),
    ("BOTH", "Black or Black British: any other Black background"),
    ("CHNE", "Chinese"),
    ("OOTH", "Any other ethnic group"),
    ("REFU", "Refused"),
    ("NOBT", "Information not yet obtained"),
];

fn text(name: &'static str, label: &str, width: &'static str) -> Field {
    Field::new(name, label.to_owned(), Control::Text { width })
}

/// The authorities this person may register a child in.
fn authorities(principal: &Principal) -> Vec<String> {
    principal
        .local_authorities
        .iter()
        .filter(|la| authorize(principal, Action::RegisterChild, Target::Authority(la)).is_ok())
        .cloned()
        .collect()
}

fn register_fields(authorities: &[String]) -> Vec<Field> {
    let mut fields = Vec::new();
    if authorities.len() > 1 {
        fields.push(Field::new(
            "local_authority",
            "Local authority",
            Control::Radios {
                choices: authorities.iter().map(|la| Choice::new(la, la)).collect(),
            },
        ));
    }
    fields.extend([
        text("reference", "Child's reference", "govuk-input--width-10")
            .hint("Your authority's reference for the child: up to 10 letters or numbers"),
        text("name", "Child's name (optional)", "govuk-input--width-20"),
        Field::date("birth_date", "Date of birth"),
        Field::new(
            "sex",
            "Sex",
            Control::Radios {
                choices: Sex::ALL
                    .iter()
                    .map(|s| Choice::new(s.code(), crate::format::capitalised(s.label())))
                    .collect(),
            },
        ),
        Field::new(
            "ethnicity",
            "Ethnicity",
            Control::Select {
                choices: ETHNICITY_LABELS
                    .iter()
                    .filter(|(code, _)| ETHNICITY_CODES.contains(code))
                    .map(|(code, label)| Choice::new(*code, *label))
                    .collect(),
            },
        ),
        text(
            "upn",
            "Unique pupil number (optional)",
            "govuk-input--width-20",
        )
        .hint("13 characters, or UN1 to UN5 when it is not known"),
    ]);
    fields
}

fn register_page(signed_in: &SignedIn, values: Values, errors: Vec<FieldError>) -> FormPage {
    let authorities = authorities(&signed_in.principal);
    let mut page = FormPage::new(
        Chrome::new(signed_in, "cases"),
        "Register a child",
        REGISTER_PATH.to_owned(),
        FormView::new(register_fields(&authorities), values, errors),
    );
    page.back_text = "Back to cases";
    page
}

pub(crate) async fn register_form(
    State(state): State<WebState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    if authorities(&signed_in.principal).is_empty() {
        return Err(PageError::NotFound);
    }
    let (values, restored) =
        form_flow::draft_or(&state, &signed_in, REGISTER_PATH, new_command_values).await?;
    let mut page = register_page(&signed_in, values, Vec::new());
    page.restored = restored;
    Ok(html(&page))
}

pub(crate) async fn register(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let Received { signed_in, values } =
        match form_flow::receive(&state, &headers, pairs, REGISTER_PATH).await? {
            Ok(received) => received,
            Err(answer) => return Ok(answer),
        };
    let authorities = authorities(&signed_in.principal);
    let mut errors = Vec::new();
    let local_authority = match authorities.as_slice() {
        [] => return Err(PageError::NotFound),
        [only] => Some(only.clone()),
        _ => take(
            &mut errors,
            values.choice("local_authority", "Choose the local authority", |v| {
                authorities.iter().find(|la| *la == v).cloned()
            }),
        ),
    };
    let reference = values.text("reference");
    if reference.is_none() {
        errors.push(FieldError::new("reference", "Enter the child's reference"));
    }
    let birth_date = take(
        &mut errors,
        values.date("birth_date", "the child's date of birth"),
    );
    let sex = take(
        &mut errors,
        values.choice("sex", "Choose the child's sex", Sex::parse),
    );
    let ethnicity = take(
        &mut errors,
        values.choice("ethnicity", "Choose the child's ethnicity", |v| {
            ETHNICITY_CODES.contains(&v).then(|| v.to_owned())
        }),
    );
    let (Some(local_authority), Some(reference), Some(birth_date), Some(sex), Some(ethnicity)) =
        (local_authority, reference, birth_date, sex, ethnicity)
    else {
        return Ok(refused(&register_page(&signed_in, values, errors)));
    };
    let child = NewChild {
        local_authority,
        reference,
        birth_date,
        sex,
        ethnicity,
        name: values.text("name"),
        facts: ChildFacts {
            upn: values.text("upn"),
            mother: None,
            first_child_born_on: None,
        },
    };
    let meta = CommandMeta {
        actor: Actor(signed_in.principal.user_id.clone()),
        command_id: values.get("command_id").parse().ok(),
        expected_version: None,
        note: None,
    };
    match state.engine.register_child(&meta, child).await {
        Ok(child) => {
            Ok(Redirect::to(&format!("/children/{}/enter-care", child.id.0)).into_response())
        }
        Err(refusal) => {
            let fields = register_fields(&authorities);
            let error = engine_refusal(&fields, "reference", refusal)?;
            Ok(refused(&register_page(&signed_in, values, vec![error])))
        }
    }
}

/// The child, if this person may open a period of care for them (the same rule as the API's
/// `enterCare`: registering and entering care belong to the child's authority's casework).
async fn child_for_care(
    state: &WebState,
    principal: &Principal,
    id: &str,
) -> Result<(ChildRecord, Access), PageError> {
    let id = Uuid::parse_str(id).map_err(|_| PageError::NotFound)?;
    let child = state
        .engine
        .store()
        .child(ChildId(id))
        .await?
        .ok_or(PageError::NotFound)?;
    let access = authorize(
        principal,
        Action::EnterCare,
        Target::Authority(&child.local_authority),
    )
    .map_err(|_| PageError::NotFound)?;
    Ok((child, access))
}

fn care_fields() -> Vec<Field> {
    let select = |name, label: &str, choices| {
        Field::new(name, label.to_owned(), Control::Select { choices })
    };
    let mut fields = vec![
        Field::date("entered_care_on", "Date the child entered care"),
        select(
            "legal_status",
            "Legal status",
            Choice::codes(LegalStatus::ALL, LegalStatus::code, LegalStatus::label),
        ),
        select(
            "placement",
            "Placement type",
            Choice::codes(
                PlacementType::ALL,
                PlacementType::code,
                PlacementType::label,
            ),
        ),
        text("team", "Team", "govuk-input--width-20"),
        text(
            "allocated_worker",
            "Social worker's username (optional)",
            "govuk-input--width-20",
        ),
    ];
    fields.extend(placement_fields::fields());
    fields.push(Field::note());
    fields
}

fn care_path(child: &ChildRecord) -> String {
    format!("/children/{}/enter-care", child.id.0)
}

fn care_page(
    signed_in: &SignedIn,
    child: &ChildRecord,
    access: Access,
    values: Values,
    errors: Vec<FieldError>,
) -> FormPage {
    let mut page = FormPage::new(
        Chrome::new(signed_in, "cases"),
        "The child enters care",
        care_path(child),
        FormView::new(care_fields(), values, errors),
    );
    page.caption = match view::personal(access, Personal::Name, child.name.clone()) {
        Some(name) => format!("{} ({name})", child.reference),
        None => child.reference.clone(),
    };
    page.back_text = "Back to cases";
    page.button = "Open the case";
    page.aside = Some((
        crate::legal_at_home::path(child.id),
        "The child lives at home: record the Public Law Outline instead",
    ));
    page
}

/// What a new care form starts with: the person's own team and, for a social worker, themself.
fn new_care_values(principal: &Principal) -> Values {
    let mut values = new_command_values();
    if let Some(team) = principal.teams.first() {
        values.set("team", team.clone());
    }
    if principal.role == permanence_auth::Role::SocialWorker {
        values.set("allocated_worker", principal.user_id.clone());
    }
    values
}

pub(crate) async fn care_form(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (child, access) = child_for_care(&state, &signed_in.principal, &id).await?;
    crate::audit::record_child_read(&state, &signed_in, &child, &care_path(&child)).await?;
    let (values, restored) = form_flow::draft_or(&state, &signed_in, &care_path(&child), || {
        new_care_values(&signed_in.principal)
    })
    .await?;
    let mut page = care_page(&signed_in, &child, access, values, Vec::new());
    page.restored = restored;
    Ok(html(&page))
}

pub(crate) async fn enter_care(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let path = format!("/children/{id}/enter-care");
    let Received { signed_in, values } =
        match form_flow::receive(&state, &headers, pairs, &path).await? {
            Ok(received) => received,
            Err(answer) => return Ok(answer),
        };
    let (child, access) = child_for_care(&state, &signed_in.principal, &id).await?;
    crate::audit::record_child_read(&state, &signed_in, &child, &care_path(&child)).await?;
    let mut errors = Vec::new();
    let entered_care_on = take(
        &mut errors,
        values.date("entered_care_on", "the date the child entered care"),
    );
    let legal_status = take(
        &mut errors,
        values.choice(
            "legal_status",
            "Choose the legal status",
            LegalStatus::parse,
        ),
    );
    let placement = take(
        &mut errors,
        values.choice(
            "placement",
            "Choose the placement type",
            PlacementType::parse,
        ),
    );
    let sent = placement_fields::read(&values, &mut errors);
    let (Some(entered_care_on), Some(legal_status), Some(placement), Some(sent)) =
        (entered_care_on, legal_status, placement, sent)
    else {
        return Ok(refused(&care_page(
            &signed_in, &child, access, values, errors,
        )));
    };
    let input = EnterCare {
        child_id: child.id,
        entered_care_on,
        legal_status,
        placement,
        provider: sent.provider,
        carer: sent.carer,
        team: values.text("team"),
        allocated_worker: values.text("allocated_worker"),
        details: sent.details,
    };
    let meta = CommandMeta {
        actor: Actor(signed_in.principal.user_id.clone()),
        command_id: values.get("command_id").parse().ok(),
        expected_version: None,
        note: values.text("note"),
    };
    match state.engine.enter_care(&meta, input).await {
        Ok(outcome) => Ok(Redirect::to(&format!(
            "/cases/{}?recorded=entered-care",
            outcome.case.id
        ))
        .into_response()),
        Err(refusal) => {
            let fields = care_fields();
            let error = engine_refusal(&fields, "entered_care_on", refusal)?;
            Ok(refused(&care_page(
                &signed_in,
                &child,
                access,
                values,
                vec![error],
            )))
        }
    }
}
