//! The panel's forms: scheduling a meeting, putting a case from the queue on its agenda,
//! who sits on it, the documents received for an item, the panel's recommendation (the
//! chair) and the agency decision (the decision maker).
//!
//! Each form sends one of the engine's panel commands, asked of the same policy as the API's
//! mutation of the same name (`schedulePanelMeeting`, `addAgendaItem`, `setPanelMembers`,
//! `setDocumentReadiness`, `recordPanelRecommendation`, `recordAgencyDecision`). They behave as
//! the case's forms do (`record`): what was typed comes back with the problems beside the
//! fields; a form sent twice records once (a command id made when it was shown); a form that
//! names the version of the meeting or item it was filled in against comes back, saying so,
//! when someone else changed it meanwhile; a form sent after the session ended is kept
//! through signing in again.

use crate::chrome::Chrome;
use crate::error::{PageError, html};
use crate::form::{Choice, Control, Field, FieldError, FormView, Values, take};
use crate::form_flow::{self, Received, with_status};
use crate::form_page::FormPage;
use crate::panel_common::{
    self, ChildCell, document_label, documents_summary, kind_label, meeting_heading, meeting_path,
    missing_documents, purpose_label,
};
use crate::session::SignedIn;
use crate::{WebState, case_access, format};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use permanence_auth::{Access, Action, Principal, rule};
use permanence_domain::CaseId;
use permanence_domain::ids::{PanelItemId, PanelMeetingId};
use permanence_domain::panel::{
    PanelItemStatus, PanelKind, PanelMeetingStatus, PanelOutcome, PanelPurpose,
};
use permanence_engine::panel::{DocumentChecklist, ScheduleMeeting};
use permanence_engine::store::{CaseRecord, ChildRecord, PanelItemRecord, PanelMeetingRecord};
use permanence_engine::{Actor, CommandMeta, EngineError};
use uuid::Uuid;

/// A form of the panel's; its slug names it in the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PanelForm {
    Schedule,
    Agenda,
    Members,
    Documents,
    Recommendation,
    Decision,
}

/// What a form is sent about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum About {
    /// A new meeting of one of the person's authorities (`/panel/meetings/new`).
    Authority,
    /// A meeting (`/panel/meetings/{id}/{slug}`).
    Meeting,
    /// An item of an agenda (`/panel/items/{id}/{slug}`).
    Item,
}

/// How many cases waiting for panel the agenda form offers (the longest waits).
const AGENDA_CHOICES: u64 = 100;

impl PanelForm {
    pub const ALL: &'static [PanelForm] = &[
        PanelForm::Schedule,
        PanelForm::Agenda,
        PanelForm::Members,
        PanelForm::Documents,
        PanelForm::Recommendation,
        PanelForm::Decision,
    ];
    /// The forms on a meeting, in the order its page offers them.
    pub const MEETING_FORMS: &'static [PanelForm] = &[PanelForm::Agenda, PanelForm::Members];
    /// The forms on an item of an agenda, in the order its page offers them.
    pub const ITEM_FORMS: &'static [PanelForm] = &[
        PanelForm::Documents,
        PanelForm::Recommendation,
        PanelForm::Decision,
    ];

    fn about(self) -> About {
        match self {
            PanelForm::Schedule => About::Authority,
            PanelForm::Agenda | PanelForm::Members => About::Meeting,
            PanelForm::Documents | PanelForm::Recommendation | PanelForm::Decision => About::Item,
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            PanelForm::Schedule => "schedule",
            PanelForm::Agenda => "agenda",
            PanelForm::Members => "members",
            PanelForm::Documents => "documents",
            PanelForm::Recommendation => "recommendation",
            PanelForm::Decision => "decision",
        }
    }

    pub fn from_slug(slug: &str) -> Option<PanelForm> {
        PanelForm::ALL.iter().copied().find(|f| f.slug() == slug)
    }

    /// The form named in a path about `about`, or "page not found".
    fn in_path(slug: &str, about: About) -> Result<PanelForm, PageError> {
        PanelForm::from_slug(slug)
            .filter(|f| f.about() == about)
            .ok_or(PageError::NotFound)
    }

    /// Where the form is shown and sent: `id` is the meeting's or the item's.
    pub fn path(self, id: &str) -> String {
        match self.about() {
            About::Authority => "/panel/meetings/new".to_owned(),
            About::Meeting => format!("/panel/meetings/{id}/{}", self.slug()),
            About::Item => format!("/panel/items/{id}/{}", self.slug()),
        }
    }

    /// The page's heading, and the link's words.
    pub fn title(self) -> &'static str {
        match self {
            PanelForm::Schedule => "Schedule a panel meeting",
            PanelForm::Agenda => "Add a case to the agenda",
            PanelForm::Members => "Change who sits on the panel",
            PanelForm::Documents => "Record the documents received",
            PanelForm::Recommendation => "Record the panel's recommendation",
            PanelForm::Decision => "Record the agency decision",
        }
    }

    /// What the success banner says once it is sent.
    pub fn done(self) -> &'static str {
        match self {
            PanelForm::Schedule => "Panel meeting scheduled",
            PanelForm::Agenda => "Case added to the agenda",
            PanelForm::Members => "Panel members changed",
            PanelForm::Documents => "Documents recorded",
            PanelForm::Recommendation => "The panel's recommendation is recorded",
            PanelForm::Decision => "The agency decision is recorded",
        }
    }

    fn button(self) -> &'static str {
        match self {
            PanelForm::Schedule => "Schedule the meeting",
            PanelForm::Agenda => "Add to the agenda",
            PanelForm::Members => "Save the members",
            PanelForm::Documents => "Save the documents",
            PanelForm::Recommendation => "Record the recommendation",
            PanelForm::Decision => "Record the decision",
        }
    }

    /// The field a refusal without a field of its own is shown beside.
    fn main_field(self) -> &'static str {
        match self {
            PanelForm::Schedule => "kind",
            PanelForm::Agenda => "case",
            PanelForm::Members => "members",
            PanelForm::Documents => "ready",
            PanelForm::Recommendation => "recommendation",
            PanelForm::Decision => "agrees",
        }
    }

    /// The action the access policy is asked about (as the API's mutation asks it).
    fn action(self) -> Action {
        match self {
            PanelForm::Schedule | PanelForm::Members => Action::SchedulePanelMeeting,
            PanelForm::Agenda | PanelForm::Documents => Action::AddAgendaItem,
            PanelForm::Recommendation => Action::RecordPanelRecommendation,
            PanelForm::Decision => Action::RecordAgencyDecision,
        }
    }

    /// The hidden values the form carries: a command id made when it is shown, so that
    /// sending it twice records once, and the version of the record it was filled in against.
    fn hidden(self) -> &'static [&'static str] {
        match self {
            PanelForm::Schedule | PanelForm::Agenda => &["command_id"],
            PanelForm::Members => &["expected_version"],
            PanelForm::Documents => &[],
            PanelForm::Recommendation | PanelForm::Decision => &["command_id", "expected_version"],
        }
    }

    /// Whether the meeting is at a point where the form means something.
    fn meeting_allows(self, meeting: &PanelMeetingRecord) -> bool {
        meeting.status == PanelMeetingStatus::Planned
    }

    /// Whether the item is at a point where the form means something.
    fn item_allows(self, item: &PanelItemRecord) -> bool {
        match self {
            PanelForm::Documents | PanelForm::Recommendation => {
                item.status == PanelItemStatus::Scheduled
            }
            PanelForm::Decision => item.status == PanelItemStatus::Recommended,
            _ => false,
        }
    }

    /// Whether the meeting's page offers the form to this person.
    pub fn offered_on_meeting(self, principal: &Principal, meeting: &PanelMeetingRecord) -> bool {
        self.meeting_allows(meeting) && may_use_on_meeting(self, principal, meeting)
    }

    /// Whether the meeting's page offers the form on this item to this person.
    pub async fn offered_on_item(
        self,
        state: &WebState,
        principal: &Principal,
        item: &PanelItemRecord,
        case: &CaseRecord,
    ) -> Result<bool, PageError> {
        Ok(self.item_allows(item)
            && case_access::may(state, principal, case, self.action()).await?)
    }
}

/// Whether the policy lets the person use a meeting's form: setting its members is
/// scheduling's; adding a case needs the meeting to be one they may open, and the case
/// (checked for each case offered) one they may bring to panel.
fn may_use_on_meeting(
    form: PanelForm,
    principal: &Principal,
    meeting: &PanelMeetingRecord,
) -> bool {
    let authority = &meeting.local_authority;
    match form {
        PanelForm::Members => panel_common::may_in_authority(principal, form.action(), authority),
        PanelForm::Agenda => {
            panel_common::may_in_authority(principal, Action::ListPanelMeetings, authority)
                && rule(principal.role, form.action()).is_some()
        }
        _ => false,
    }
}

/// A case waiting for panel that the agenda form offers.
struct QueuedChoice {
    case_id: CaseId,
    purpose: PanelPurpose,
    label: String,
}

impl QueuedChoice {
    /// How the form names it: the case and the purpose.
    fn value(&self) -> String {
        format!("{}:{}", self.case_id.0, self.purpose.key())
    }
}

struct ItemSubject {
    item: PanelItemRecord,
    case: CaseRecord,
    child: Option<ChildRecord>,
    documents: DocumentChecklist,
}

/// What a form is about, read for the person and checked against the policy.
struct Subject {
    /// The authorities the person may schedule a meeting in.
    authorities: Vec<String>,
    meeting: Option<PanelMeetingRecord>,
    members: Vec<String>,
    item: Option<ItemSubject>,
    queue: Vec<QueuedChoice>,
    access: Access,
}

/// Reads what the form is about, if the person may use the form on it: anything else,
/// missing or out of reach, is "page not found".
async fn load(
    state: &WebState,
    principal: &Principal,
    form: PanelForm,
    id: &str,
) -> Result<Subject, PageError> {
    let store = state.engine.store();
    let mut subject = Subject {
        authorities: Vec::new(),
        meeting: None,
        members: Vec::new(),
        item: None,
        queue: Vec::new(),
        access: Access::for_role(principal.role),
    };
    match form.about() {
        About::Authority => {
            subject.authorities = principal
                .local_authorities
                .iter()
                .filter(|la| panel_common::may_in_authority(principal, form.action(), la))
                .cloned()
                .collect();
            if subject.authorities.is_empty() {
                return Err(PageError::NotFound);
            }
        }
        About::Meeting => {
            let meeting =
                panel_common::open_meeting(state, principal, id, Action::ListPanelMeetings).await?;
            if !may_use_on_meeting(form, principal, &meeting) {
                return Err(PageError::NotFound);
            }
            subject.members = store
                .panel_members_of_meetings(&[meeting.id])
                .await?
                .remove(&meeting.id)
                .unwrap_or_default();
            if form == PanelForm::Agenda {
                subject.queue = queue_choices(state, principal, &meeting, subject.access).await?;
            }
            subject.meeting = Some(meeting);
        }
        About::Item => {
            let Ok(item_id) = Uuid::parse_str(id).map(PanelItemId) else {
                return Err(PageError::NotFound);
            };
            let item = store
                .panel_item(item_id)
                .await?
                .ok_or(PageError::NotFound)?;
            let meeting = panel_common::open_meeting(
                state,
                principal,
                &item.meeting_id.0.to_string(),
                Action::ListPanelMeetings,
            )
            .await?;
            let case = store.case(item.case_id).await?.ok_or(PageError::NotFound)?;
            if !case_access::may(state, principal, &case, form.action()).await? {
                return Err(PageError::NotFound);
            }
            let documents = state
                .engine
                .document_checklist(case.id, item.purpose)
                .await
                .map_err(panel_common::engine_error)?;
            subject.item = Some(ItemSubject {
                child: store.child(case.child_id).await?,
                item,
                case,
                documents,
            });
            subject.meeting = Some(meeting);
        }
    }
    Ok(subject)
}

/// The cases waiting for panel, longest first, that this meeting hears and the person may
/// bring to panel.
async fn queue_choices(
    state: &WebState,
    principal: &Principal,
    meeting: &PanelMeetingRecord,
    access: Access,
) -> Result<Vec<QueuedChoice>, PageError> {
    let waiting = state
        .engine
        .panel_waiting_page(
            &meeting.local_authority,
            state.engine.today(),
            None,
            AGENDA_CHOICES,
        )
        .await
        .map_err(panel_common::engine_error)?;
    let children = panel_common::children_of(state, waiting.iter().map(|q| &q.case)).await?;
    let mut choices = Vec::new();
    for queued in waiting {
        if !meeting.kind.hears(queued.purpose)
            || !case_access::may(state, principal, &queued.case, Action::AddAgendaItem).await?
        {
            continue;
        }
        let child = ChildCell::new(&queued.case, children.get(&queued.case.child_id), access);
        let who = match child.name {
            Some(name) => format!("{} ({name})", child.reference),
            None => child.reference,
        };
        choices.push(QueuedChoice {
            case_id: queued.case.id,
            purpose: queued.purpose,
            label: format!(
                "{who}: {}, waiting {}, documents {}",
                queued.purpose.label(),
                format::days(queued.days_waited),
                documents_summary(&queued.documents)
            ),
        });
    }
    Ok(choices)
}

impl Subject {
    fn meeting(&self) -> Result<&PanelMeetingRecord, PageError> {
        self.meeting
            .as_ref()
            .ok_or_else(|| PageError::Internal("a panel form without its meeting".into()))
    }

    fn item(&self) -> Result<&ItemSubject, PageError> {
        self.item
            .as_ref()
            .ok_or_else(|| PageError::Internal("a panel form without its item".into()))
    }

    /// Whether the meeting or item is at a point where the form means something.
    fn allows(&self, form: PanelForm) -> bool {
        match form.about() {
            About::Authority => true,
            About::Meeting => self
                .meeting
                .as_ref()
                .is_some_and(|m| form.meeting_allows(m)),
            About::Item => self
                .item
                .as_ref()
                .is_some_and(|i| form.item_allows(&i.item)),
        }
    }

    /// The version of the record the form is filled in against.
    fn version(&self, form: PanelForm) -> Option<i64> {
        match form {
            PanelForm::Members => self.meeting.as_ref().map(|m| m.version),
            PanelForm::Recommendation | PanelForm::Decision => {
                self.item.as_ref().map(|i| i.item.version)
            }
            _ => None,
        }
    }
}

fn kind_choices() -> Vec<Choice> {
    [
        (
            PanelKind::Combined,
            "Combined panel: hears every kind of case",
        ),
        (PanelKind::Adoption, "Adoption panel"),
        (PanelKind::Permanence, "Permanence panel"),
        (PanelKind::Fostering, "Fostering panel"),
    ]
    .iter()
    .map(|(kind, label)| Choice::new(kind.key(), *label))
    .collect()
}

fn members_field() -> Field {
    Field::new("members", "Members (optional)", Control::Textarea).hint(
        "The usernames of those who sit on the panel besides its chair, one on each line. \
         Each can read the cases on the meeting's agenda until they are decided.",
    )
}

const RECOMMENDED: &str = "RECOMMENDED";
const NOT_RECOMMENDED: &str = "NOT_RECOMMENDED";
const DEFERRED: &str = "DEFERRED";

impl PanelForm {
    fn fields(self, subject: &Subject) -> Vec<Field> {
        match self {
            PanelForm::Schedule => {
                let mut fields = Vec::new();
                if subject.authorities.len() > 1 {
                    fields.push(Field::new(
                        "local_authority",
                        "Local authority",
                        Control::Select {
                            choices: subject
                                .authorities
                                .iter()
                                .map(|la| Choice::new(la.as_str(), la.as_str()))
                                .collect(),
                        },
                    ));
                }
                fields.extend([
                    Field::new(
                        "kind",
                        "Kind of panel",
                        Control::Radios {
                            choices: kind_choices(),
                        },
                    ),
                    Field::date("sits_on", "Date the panel sits"),
                    Field::new(
                        "chair",
                        "Chair",
                        Control::Text {
                            width: "govuk-input--width-20",
                        },
                    )
                    .hint("The username of the person who chairs the panel and records its recommendations"),
                    members_field(),
                    Field::new("quorum_notes", "Quorum notes (optional)", Control::Textarea),
                ]);
                fields
            }
            PanelForm::Agenda => vec![
                Field::new(
                    "case",
                    "Case waiting for panel",
                    Control::Select {
                        choices: subject
                            .queue
                            .iter()
                            .map(|q| Choice::new(q.value(), q.label.as_str()))
                            .collect(),
                    },
                )
                .hint("Cases this panel hears, the longest wait first"),
            ],
            PanelForm::Members => vec![members_field()],
            PanelForm::Documents => vec![
                Field::new(
                    "ready",
                    "Documents received",
                    Control::Checkboxes {
                        choices: subject
                            .item
                            .as_ref()
                            .map(|i| {
                                i.documents
                                    .documents
                                    .iter()
                                    .map(|d| Choice::new(d.document, document_label(d.document)))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    },
                )
                .hint("Tick each document the panel has received. Untick one that was withdrawn."),
            ],
            PanelForm::Recommendation => recommendation_fields(),
            PanelForm::Decision => vec![
                Field::new(
                    "agrees",
                    "The agency decision",
                    Control::Radios {
                        choices: vec![
                            Choice::new("yes", "Agrees with the panel's recommendation"),
                            Choice::new("no", "Does not agree with the panel's recommendation"),
                        ],
                    },
                ),
                Field::date("on", "Date of the decision"),
                Field::note(),
            ],
        }
    }

    /// What the form shows when it is first opened.
    fn fresh(self, subject: &Subject, principal: &Principal) -> Values {
        let mut values = Values::default();
        if self.hidden().contains(&"command_id") {
            values.set("command_id", Uuid::now_v7().to_string());
        }
        if let Some(version) = subject.version(self) {
            values.set("expected_version", version.to_string());
        }
        match self {
            // A chair usually schedules the panels they chair.
            PanelForm::Schedule if principal.role == permanence_auth::Role::PanelChair => {
                values.set("chair", principal.user_id.clone());
            }
            PanelForm::Members => values.set("members", subject.members.join("\n")),
            PanelForm::Documents => {
                for document in subject.item.iter().flat_map(|i| &i.documents.documents) {
                    if document.ready {
                        values.add("ready", document.document.to_owned());
                    }
                }
            }
            _ => {}
        }
        values
    }

    /// What the page says of the meeting or item, above the form.
    fn facts(self, subject: &Subject) -> Vec<(&'static str, String)> {
        let panel = subject.meeting.as_ref().map(|m| {
            format!(
                "{}, {}",
                kind_label(m.kind),
                format::date(m.sits_on).as_str()
            )
        });
        match (self.about(), &subject.item, panel) {
            (About::Item, Some(i), Some(panel)) => {
                let child = ChildCell::new(&i.case, i.child.as_ref(), subject.access);
                let mut facts = vec![("Child", child.reference)];
                if let Some(name) = child.name {
                    facts.push(("Name", name));
                }
                facts.extend([
                    ("Purpose", purpose_label(i.item.purpose)),
                    ("Panel", panel),
                    ("Status", panel_common::item_status(&i.item).0),
                    ("Documents", documents_summary(&i.documents)),
                ]);
                if let Some(on) = i.item.recommendation_on {
                    facts.push(("Heard on", format::date(on)));
                }
                facts
            }
            (About::Meeting, _, Some(panel)) => vec![("Panel", panel)],
            _ => Vec::new(),
        }
    }

    /// A warning above the form: the panel is about to hear a case without its documents.
    fn warning(self, subject: &Subject) -> Option<String> {
        let item = subject.item.as_ref()?;
        if self != PanelForm::Recommendation || item.documents.all_ready() {
            return None;
        }
        Some(format!(
            "Documents missing: {}. The panel should not hear the case before it has them.",
            missing_documents(&item.documents).join(", ")
        ))
    }

    /// Shown instead of the form when there is nothing to choose.
    fn nothing_to_do(self, subject: &Subject) -> Option<&'static str> {
        (self == PanelForm::Agenda && subject.queue.is_empty()).then_some(
            "No case waiting for panel can go on this agenda: none waits that this panel hears and that you may bring to panel.",
        )
    }
}

/// Why a form was not done.
enum Failure {
    /// Problems to show beside the fields.
    Fields(Vec<FieldError>),
    /// Someone else changed the meeting or item after the form was shown.
    Changed,
    Page(PageError),
}

impl From<PageError> for Failure {
    fn from(e: PageError) -> Self {
        Failure::Page(e)
    }
}

impl PanelForm {
    /// The engine's refusal, for the person.
    fn refused(self, fields: &[Field], e: EngineError) -> Failure {
        let main = self.main_field();
        match e {
            EngineError::Domain(refusal) => {
                Failure::Fields(vec![form_flow::field_error(fields, main, refusal)])
            }
            EngineError::Conflict(message) => Failure::Fields(vec![FieldError::new(
                form_flow::anchor_of(fields, main, main),
                format::capitalised(&message),
            )]),
            EngineError::VersionConflict => Failure::Changed,
            EngineError::NotFound(_) => Failure::Page(PageError::NotFound),
            EngineError::Internal(cause) => Failure::Page(PageError::Internal(cause)),
        }
    }

    /// Sends the form's command; answers with the meeting to go back to.
    async fn execute(
        self,
        state: &WebState,
        principal: &Principal,
        subject: &Subject,
        values: &Values,
        fields: &[Field],
    ) -> Result<PanelMeetingId, Failure> {
        let engine = &state.engine;
        let meta = CommandMeta {
            actor: Actor(principal.user_id.clone()),
            command_id: values.get("command_id").parse::<Uuid>().ok(),
            expected_version: values.get("expected_version").parse::<i64>().ok(),
            note: values.text("note"),
        };
        let mut errors = Vec::new();
        match self {
            PanelForm::Schedule => {
                let authority = if subject.authorities.len() > 1 {
                    take(
                        &mut errors,
                        values.choice("local_authority", "Choose the local authority", |v| {
                            subject.authorities.iter().find(|la| *la == v).cloned()
                        }),
                    )
                } else {
                    subject.authorities.first().cloned()
                };
                let kind = take(
                    &mut errors,
                    values.choice("kind", "Choose the kind of panel", PanelKind::from_key),
                );
                let sits_on = take(
                    &mut errors,
                    values.date("sits_on", "the date the panel sits"),
                );
                let chair = values.text("chair");
                if chair.is_none() {
                    errors.push(FieldError::new(
                        "chair",
                        "Enter the username of the panel's chair",
                    ));
                }
                let (Some(local_authority), Some(kind), Some(sits_on), Some(chair), true) =
                    (authority, kind, sits_on, chair, errors.is_empty())
                else {
                    return Err(Failure::Fields(errors));
                };
                let meeting = engine
                    .schedule_meeting(
                        &meta,
                        ScheduleMeeting {
                            local_authority,
                            kind,
                            sits_on,
                            chair,
                            quorum_notes: values.text("quorum_notes"),
                            members: members(values),
                        },
                    )
                    .await
                    .map_err(|e| self.refused(fields, e))?;
                Ok(meeting.id)
            }
            PanelForm::Agenda => {
                let meeting = subject.meeting()?;
                let chosen = values
                    .choice("case", "Choose the case to add to the agenda", |v| {
                        subject.queue.iter().find(|q| q.value() == v)
                    })
                    .map_err(|e| Failure::Fields(vec![e]))?;
                engine
                    .add_agenda_item(&meta, meeting.id, chosen.case_id, chosen.purpose, None)
                    .await
                    .map_err(|e| self.refused(fields, e))?;
                Ok(meeting.id)
            }
            PanelForm::Members => {
                let meeting = subject.meeting()?;
                engine
                    .set_panel_members(&meta, meeting.id, &members(values))
                    .await
                    .map_err(|e| self.refused(fields, e))?;
                Ok(meeting.id)
            }
            PanelForm::Documents => {
                let item = subject.item()?;
                let ticked: Vec<&str> = values.all("ready").collect();
                if ticked
                    .iter()
                    .any(|t| !item.documents.documents.iter().any(|d| d.document == *t))
                {
                    // Only a tampered form sends a document the list did not offer.
                    return Err(Failure::Fields(vec![FieldError::new(
                        "ready",
                        "Choose from the documents listed",
                    )]));
                }
                for document in &item.documents.documents {
                    let ready = ticked.contains(&document.document);
                    if ready != document.ready {
                        engine
                            .set_document_readiness(
                                item.case.id,
                                item.item.purpose,
                                document.document,
                                ready,
                            )
                            .await
                            .map_err(|e| self.refused(fields, e))?;
                    }
                }
                Ok(item.item.meeting_id)
            }
            PanelForm::Recommendation => {
                let item = subject.item()?;
                let outcome = recommendation(values)?;
                engine
                    .record_panel_outcome(&meta, item.item.id, outcome)
                    .await
                    .map_err(|e| self.refused(fields, e))?;
                Ok(item.item.meeting_id)
            }
            PanelForm::Decision => {
                let item = subject.item()?;
                let agrees = take(
                    &mut errors,
                    values.choice(
                        "agrees",
                        "Choose whether the decision agrees with the panel",
                        |v| match v {
                            "yes" => Some(true),
                            "no" => Some(false),
                            _ => None,
                        },
                    ),
                );
                let on = take(&mut errors, values.date("on", "the date of the decision"));
                let (Some(agrees), Some(on)) = (agrees, on) else {
                    return Err(Failure::Fields(errors));
                };
                engine
                    .record_agency_decision(&meta, item.item.id, agrees, on)
                    .await
                    .map_err(|e| self.refused(fields, e))?;
                Ok(item.item.meeting_id)
            }
        }
    }
}

/// The usernames typed, one on each line (commas also separate them).
fn members(values: &Values) -> Vec<String> {
    values
        .get("members")
        .split(['\n', ','])
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The fields of the panel's recommendation: on an item, and for a sibling group heard as
/// one item (`sibling_panel_form`).
pub(crate) fn recommendation_fields() -> Vec<Field> {
    vec![
        Field::new(
            "recommendation",
            "What the panel recommended",
            Control::Radios {
                choices: vec![
                    Choice::new(RECOMMENDED, "The panel recommends it"),
                    Choice::new(NOT_RECOMMENDED, "The panel does not recommend it"),
                    Choice::new(DEFERRED, "The panel deferred it"),
                ],
            },
        )
        .hint("It is recorded on the day the panel sat."),
        Field::new(
            "deferral_reason",
            "Why the panel deferred it (only for a deferral)",
            Control::Textarea,
        ),
        Field::date(
            "return_by",
            "Date to return to panel by (only for a deferral)",
        ),
        Field::note(),
    ]
}

/// The panel's outcome as typed, or the problems beside their fields.
pub(crate) fn typed_outcome(values: &Values) -> Result<PanelOutcome, Vec<FieldError>> {
    match recommendation(values) {
        Ok(outcome) => Ok(outcome),
        Err(Failure::Fields(errors)) => Err(errors),
        Err(_) => Err(Vec::new()),
    }
}

/// The panel's outcome as typed: a deferral needs its reason and the date to return by, and
/// only a deferral has them (as the API's `recordPanelRecommendation` says).
fn recommendation(values: &Values) -> Result<PanelOutcome, Failure> {
    let mut errors = Vec::new();
    let chosen = take(
        &mut errors,
        values.choice(
            "recommendation",
            "Choose what the panel recommended",
            |v| match v {
                RECOMMENDED | NOT_RECOMMENDED | DEFERRED => Some(v.to_owned()),
                _ => None,
            },
        ),
    );
    let reason = values.text("deferral_reason");
    let return_by = take(
        &mut errors,
        values.optional_date("return_by", "the date to return to panel by"),
    );
    let outcome = match chosen.as_deref() {
        Some(DEFERRED) => {
            if reason.is_none() {
                errors.push(FieldError::new(
                    "deferral_reason",
                    "Enter why the panel deferred the case",
                ));
            }
            if return_by == Some(None) {
                errors.push(FieldError::new(
                    "return_by-day",
                    "Enter the date to return to panel by",
                ));
            }
            reason
                .zip(return_by.flatten())
                .map(|(reason, return_by)| PanelOutcome::Deferred { reason, return_by })
        }
        Some(other) => {
            if reason.is_some() {
                errors.push(FieldError::new(
                    "deferral_reason",
                    "Only a deferral has a reason: clear this box, or choose that the panel deferred the case",
                ));
            }
            if matches!(return_by, Some(Some(_))) {
                errors.push(FieldError::new(
                    "return_by-day",
                    "Only a deferral has a date to return by: clear it, or choose that the panel deferred the case",
                ));
            }
            Some(if other == RECOMMENDED {
                PanelOutcome::Recommended
            } else {
                PanelOutcome::NotRecommended
            })
        }
        None => None,
    };
    match outcome {
        Some(outcome) if errors.is_empty() => Ok(outcome),
        _ => Err(Failure::Fields(errors)),
    }
}

/// The form's page, once the reads it shows are in the audit log.
async fn page(
    state: &WebState,
    signed_in: &SignedIn,
    form: PanelForm,
    id: &str,
    subject: &Subject,
    values: Values,
    errors: Vec<FieldError>,
) -> Result<FormPage, PageError> {
    let path = form.path(id);
    if let Some(item) = &subject.item {
        crate::audit::record_reads(state, signed_in, Action::ReadCase, [item.case.id], &path)
            .await?;
    }
    if !subject.queue.is_empty() {
        crate::audit::record_reads(
            state,
            signed_in,
            Action::ReadPanelQueue,
            subject.queue.iter().map(|q| q.case_id),
            &path,
        )
        .await?;
    }
    let (caption, back_href, back_label) = match (&subject.item, &subject.meeting) {
        (Some(item), Some(meeting)) => (
            format!(
                "Case {}",
                item.child
                    .as_ref()
                    .map_or_else(String::new, |c| c.reference.clone())
            ),
            meeting_path(meeting.id),
            "Back to the agenda",
        ),
        (None, Some(meeting)) => (
            meeting_heading(meeting),
            meeting_path(meeting.id),
            "Back to the agenda",
        ),
        _ => ("Panel".to_owned(), "/panel".to_owned(), "Back to the panel"),
    };
    let mut page = FormPage::new(
        Chrome::new(signed_in, "panel"),
        form.title(),
        path,
        FormView::new(form.fields(subject), values, errors),
    );
    page.caption = caption;
    page.back_href = back_href;
    page.back_text = back_label;
    page.button = form.button();
    page.facts = form.facts(subject);
    page.warning = form.warning(subject);
    page.nothing_to_do = form.nothing_to_do(subject);
    page.hidden = form.hidden();
    Ok(page)
}

async fn show(
    state: &WebState,
    signed_in: &SignedIn,
    form: PanelForm,
    id: &str,
) -> Result<Response, PageError> {
    let principal = &signed_in.principal;
    let subject = load(state, principal, form, id).await?;
    if !subject.allows(form) {
        return Err(PageError::NotFound);
    }
    let (values, restored) = form_flow::draft_or(state, signed_in, &form.path(id), || {
        form.fresh(&subject, principal)
    })
    .await?;
    let mut page = page(state, signed_in, form, id, &subject, values, Vec::new()).await?;
    page.restored = restored;
    Ok(html(&page))
}

async fn submit(
    state: &WebState,
    headers: &HeaderMap,
    form: PanelForm,
    id: &str,
    pairs: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let Received {
        signed_in,
        mut values,
    } = match form_flow::receive(state, headers, pairs, &form.path(id)).await? {
        Ok(received) => received,
        Err(answer) => return Ok(answer),
    };
    let principal = &signed_in.principal;
    // The policy is asked again on what the form is about now; a meeting or item that has
    // moved on is the engine's to refuse, in its own words beside the form.
    let subject = load(state, principal, form, id).await?;
    let fields = form.fields(&subject);
    let failure = match form
        .execute(state, principal, &subject, &values, &fields)
        .await
    {
        Ok(meeting) => {
            return Ok(
                Redirect::to(&format!("{}?done={}", meeting_path(meeting), form.slug()))
                    .into_response(),
            );
        }
        Err(failure) => failure,
    };
    let (subject, errors, status) = match failure {
        Failure::Page(e) => return Err(e),
        Failure::Fields(errors) => (subject, errors, StatusCode::UNPROCESSABLE_ENTITY),
        Failure::Changed => {
            // Shown again against the record as it is now, so that sending it again (after
            // checking) records it.
            let now = load(state, principal, form, id).await?;
            if let Some(version) = now.version(form) {
                values.set("expected_version", version.to_string());
            }
            let what = if form.about() == About::Item {
                "this case's item on the agenda"
            } else {
                "this panel meeting"
            };
            let error = FieldError::new(
                form_flow::anchor_of(&fields, form.main_field(), form.main_field()),
                format!(
                    "Someone else changed {what} after you opened this form. Check what it says now, then send the form again."
                ),
            );
            (now, vec![error], StatusCode::CONFLICT)
        }
    };
    let page = page(state, &signed_in, form, id, &subject, values, errors).await?;
    Ok(with_status(html(&page), status))
}

pub(crate) async fn schedule_form(
    State(state): State<WebState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    show(&state, &signed_in, PanelForm::Schedule, "").await
}

pub(crate) async fn schedule_submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    submit(&state, &headers, PanelForm::Schedule, "", pairs).await
}

pub(crate) async fn meeting_form(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path((id, slug)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let form = PanelForm::in_path(&slug, About::Meeting)?;
    show(&state, &signed_in, form, &id).await
}

pub(crate) async fn meeting_submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path((id, slug)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = PanelForm::in_path(&slug, About::Meeting)?;
    submit(&state, &headers, form, &id, pairs).await
}

pub(crate) async fn item_form(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Path((id, slug)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let form = PanelForm::in_path(&slug, About::Item)?;
    show(&state, &signed_in, form, &id).await
}

pub(crate) async fn item_submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path((id, slug)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = PanelForm::in_path(&slug, About::Item)?;
    submit(&state, &headers, form, &id, pairs).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Values {
        Values::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn problems(result: Result<PanelOutcome, Failure>) -> Vec<String> {
        match result {
            Err(Failure::Fields(errors)) => errors.into_iter().map(|e| e.field).collect(),
            Ok(outcome) => panic!("accepted: {outcome:?}"),
            Err(_) => panic!("not a problem with the fields"),
        }
    }

    #[test]
    fn a_deferral_needs_its_reason_and_date_and_nothing_else_has_them() {
        let deferred = values(&[
            ("recommendation", DEFERRED),
            ("deferral_reason", "  report not ready "),
            ("return_by-day", "1"),
            ("return_by-month", "12"),
            ("return_by-year", "2026"),
        ]);
        assert!(matches!(
            recommendation(&deferred),
            Ok(PanelOutcome::Deferred { reason, .. }) if reason == "report not ready"
        ));
        assert_eq!(
            problems(recommendation(&values(&[("recommendation", DEFERRED)]))),
            ["deferral_reason", "return_by-day"]
        );
        assert_eq!(
            problems(recommendation(&values(&[
                ("recommendation", RECOMMENDED),
                ("deferral_reason", "typed by mistake"),
            ]))),
            ["deferral_reason"]
        );
        assert!(matches!(
            recommendation(&values(&[("recommendation", NOT_RECOMMENDED)])),
            Ok(PanelOutcome::NotRecommended)
        ));
        assert_eq!(problems(recommendation(&values(&[]))), ["recommendation"]);
    }

    #[test]
    fn members_are_read_one_on_each_line_or_separated_by_commas() {
        let typed = values(&[("members", " a.member\r\n\nb.member, c.member ,")]);
        assert_eq!(members(&typed), ["a.member", "b.member", "c.member"]);
    }

    #[test]
    fn each_form_is_found_only_in_its_own_kind_of_path() {
        for form in PanelForm::ALL {
            assert_eq!(PanelForm::from_slug(form.slug()), Some(*form));
            assert!(PanelForm::in_path(form.slug(), form.about()).is_ok());
        }
        assert!(PanelForm::in_path("recommendation", About::Meeting).is_err());
        assert!(PanelForm::in_path("agenda", About::Item).is_err());
        assert!(PanelForm::in_path("schedule", About::Meeting).is_err());
    }
}
