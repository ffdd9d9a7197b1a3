//! The permanence panel: meetings and their agendas, the documents each item needs, the
//! panel's outcomes and the agency decisions on them, and the queue a panel adviser works
//! from.
//!
//! An outcome or a decision is a command on the case (`RecordPanelOutcome`,
//! `RecordAgencyDecision`): the domain decides it against the case's route, and the item's
//! new status is written in the same transaction as the case's events, so the panel record
//! and the case never disagree. Meetings, agendas and documents are administration: they
//! change no case, and their refusals are worded for the panel administrator.
//!
//! `CommandMeta::expected_version` on a panel command is the version of the record the
//! administrator saw: the item's for an outcome, a decision or a withdrawal, the meeting's
//! for a cancellation.

use crate::error::command_id_reused;
use crate::{CONFLICT_RETRIES, CommandMeta, Engine, EngineError};
use chrono::{DateTime, NaiveDate, Utc};
use permanence_domain::calendar;
use permanence_domain::case::is_local_authority_code;
use permanence_domain::deadlines::open_deferral;
use permanence_domain::ids::{PanelItemId, PanelMeetingId, SiblingGroupId};
use permanence_domain::panel::{
    PanelItemStatus, PanelKind, PanelMeetingStatus, PanelOutcome, PanelPurpose,
};
use permanence_domain::route::StepKind;
use permanence_domain::timescales::Period;
use permanence_domain::words::with_article;
use permanence_domain::{CaseId, CaseState, Command, DomainError, Route};
use permanence_store::{
    ADD_AGENDA_ITEM_KIND, AwaitingDecisionCursor, CaseRecord, NewPanelItem, NewPanelMeeting,
    PanelDocumentRecord, PanelHearing, PanelItemChange, PanelItemRecord, PanelMeetingRecord,
    PanelPoint, PanelQueueCursor, StoreError, StoredEvent,
};

/// The kinds of the commands an agenda item's outcome is recorded by (as `Command::kind`).
const RECOMMENDATION_KIND: &str = "recordPanelRecommendation";
const DECISION_KIND: &str = "recordAgencyDecision";
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Longest name of a panel chair kept.
pub const MAX_CHAIR_LEN: usize = 100;
/// Longest quorum notes kept.
pub const MAX_QUORUM_NOTES_LEN: usize = 2000;
/// Most members a meeting may list besides its chair.
pub const MAX_PANEL_MEMBERS: usize = 30;
/// Longest user id of a member (as users are created).
pub const MAX_MEMBER_LEN: usize = 100;

/// A meeting to schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleMeeting {
    pub local_authority: String,
    pub kind: PanelKind,
    pub sits_on: NaiveDate,
    pub chair: String,
    pub quorum_notes: Option<String>,
    /// The user ids of those who sit on it besides the chair: they read the cases on its
    /// agenda.
    pub members: Vec<String>,
}

/// Checks a list of members (user ids), trimmed, sorted and without repeats.
fn panel_members(members: &[String]) -> Result<Vec<String>, EngineError> {
    if members.len() > MAX_PANEL_MEMBERS {
        return Err(invalid(
            "members",
            format!("at most {MAX_PANEL_MEMBERS} members may sit on one meeting"),
        ));
    }
    let mut out = Vec::with_capacity(members.len());
    for member in members {
        let member = member.trim();
        if member.is_empty() || member.chars().count() > MAX_MEMBER_LEN {
            return Err(invalid(
                "members",
                format!("each member is a user id of 1 to {MAX_MEMBER_LEN} characters"),
            ));
        }
        if member.chars().any(char::is_control) {
            return Err(invalid("members", "a user id has no control characters"));
        }
        out.push(member.to_owned());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Whether one document an item needs is ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentReadiness {
    /// The document's key (`child_permanence_report`), from `PanelPurpose::documents`.
    pub document: &'static str,
    pub ready: bool,
    /// When readiness was last recorded; `None` when it never was (not ready).
    pub updated_at: Option<DateTime<Utc>>,
}

/// The documents a case needs for a purpose, in the purpose's order, and how many are ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentChecklist {
    pub purpose: PanelPurpose,
    pub documents: Vec<DocumentReadiness>,
    pub required: usize,
    pub ready: usize,
}

impl DocumentChecklist {
    fn of(purpose: PanelPurpose, recorded: &[PanelDocumentRecord]) -> Self {
        let documents: Vec<DocumentReadiness> = purpose
            .documents()
            .iter()
            .map(|document| {
                let record = recorded.iter().find(|r| r.document == *document);
                DocumentReadiness {
                    document,
                    ready: record.is_some_and(|r| r.ready),
                    updated_at: record.map(|r| r.updated_at),
                }
            })
            .collect();
        Self {
            purpose,
            required: documents.len(),
            ready: documents.iter().filter(|d| d.ready).count(),
            documents,
        }
    }

    pub fn all_ready(&self) -> bool {
        self.ready == self.required
    }
}

/// An item after its outcome or decision was recorded, with the case as it now stands.
#[derive(Clone, Debug)]
pub struct PanelItemOutcome {
    pub item: PanelItemRecord,
    pub meeting: PanelMeetingRecord,
    pub case: CaseRecord,
    /// The case events the command recorded (none when it was a repeat).
    pub recorded: Vec<StoredEvent>,
    /// The command id had been processed before: nothing new was recorded.
    pub duplicate: bool,
}

/// A case waiting to go to panel: at a point of its primary route where a panel comes
/// next, and on no agenda.
#[derive(Clone, Debug)]
pub struct QueuedCase {
    pub case: CaseRecord,
    pub purpose: PanelPurpose,
    pub route: Route,
    /// The primary plan's current step.
    pub step: String,
    /// The date the case reached that step.
    pub waiting_since: NaiveDate,
    pub days_waited: i64,
    pub documents: DocumentChecklist,
    /// The date the panel asked the case back by, when it deferred it.
    pub return_by: Option<NaiveDate>,
    /// The route also lets the decision be made without panel from here (a SHOBPA decision
    /// in a case without parental consent, a return home approved without panel): the case
    /// may not need panel at all.
    pub panel_optional: bool,
    /// The sibling group the child is in, when a brother or sister also waits for panel for
    /// the same purpose: the panel hears them as one item.
    pub sibling_group: Option<SiblingGroupId>,
    /// The other members of that group waiting for panel for the same purpose.
    pub siblings_waiting: Vec<CaseId>,
}

impl QueuedCase {
    /// Where the next page starts after this case.
    pub fn cursor(&self) -> PanelQueueCursor {
        PanelQueueCursor {
            waiting_since: self.waiting_since,
            case_id: self.case.id,
        }
    }
}

/// One item of an agenda, with its documents.
#[derive(Clone, Debug)]
pub struct AgendaItem {
    pub item: PanelItemRecord,
    pub documents: DocumentChecklist,
    /// The panel can hear the item today: the case is open and its route allows the
    /// recommendation now. False for an item already heard, and for a scheduled item whose
    /// case has moved on (withdraw it) or is not ready yet.
    pub hearable: bool,
    /// The sibling group the child is in, when the agenda holds a brother or sister for the
    /// same purpose too: the items are one agenda item for the group, listed together, and
    /// the panel may record one outcome for all of them.
    pub sibling_group: Option<SiblingGroupId>,
}

/// A meeting and its agenda in order (withdrawn items left out).
#[derive(Clone, Debug)]
pub struct PanelAgenda {
    pub meeting: PanelMeetingRecord,
    pub items: Vec<AgendaItem>,
}

/// A recommendation waiting for the agency decision, against the decision's timescale.
#[derive(Clone, Debug)]
pub struct AwaitingDecision {
    pub item: PanelItemRecord,
    pub recommended_on: NaiveDate,
    /// Working days from the recommendation to the day asked about.
    pub working_days_elapsed: i64,
    /// The timescale in working days (`adm_decision_working_days`).
    pub working_days_allowed: u32,
    pub decision_due_on: NaiveDate,
    pub overdue: bool,
}

impl AwaitingDecision {
    pub fn cursor(&self) -> AwaitingDecisionCursor {
        AwaitingDecisionCursor {
            recommendation_on: self.recommended_on,
            item_id: self.item.id,
        }
    }
}

/// The panel's work for an authority on a day: the first page of cases waiting, the
/// agendas still to be heard or recorded, and the first page of recommendations awaiting
/// decision.
#[derive(Clone, Debug)]
pub struct PanelQueue {
    pub as_of: NaiveDate,
    pub waiting: Vec<QueuedCase>,
    pub waiting_total: u64,
    pub agendas: Vec<PanelAgenda>,
    pub awaiting_decision: Vec<AwaitingDecision>,
    pub awaiting_decision_total: u64,
}

/// A point of a route where the panel comes next, and what it sits for there.
#[derive(Clone, Debug)]
struct QueuePoint {
    route: Route,
    step: &'static str,
    purpose: PanelPurpose,
    panel_optional: bool,
}

fn not_allowed(message: &str) -> EngineError {
    EngineError::Domain(DomainError::not_allowed(message))
}

fn invalid(field: &str, reason: impl Into<String>) -> EngineError {
    EngineError::Domain(DomainError::validation(field, reason))
}

/// The case command and the item's change that record the panel's outcome on a scheduled
/// item, dated the day the meeting sat.
pub(crate) fn outcome_change(
    item: &PanelItemRecord,
    meeting: &PanelMeetingRecord,
    today: NaiveDate,
    outcome: &PanelOutcome,
) -> Result<(Command, PanelItemChange), EngineError> {
    if item.status != PanelItemStatus::Scheduled {
        return Err(match item.status {
            PanelItemStatus::Withdrawn => not_allowed("the item was withdrawn from the agenda"),
            _ => not_allowed("the panel's outcome on this item is already recorded"),
        });
    }
    if meeting.status == PanelMeetingStatus::Cancelled {
        return Err(not_allowed("the panel meeting was cancelled"));
    }
    if meeting.sits_on > today {
        return Err(not_allowed(
            "the panel has not sat yet: record its outcome on or after the day it sits",
        ));
    }
    let on = meeting.sits_on;
    let deferral = match outcome {
        PanelOutcome::Deferred { reason, return_by } => Some((reason.clone(), *return_by)),
        _ => None,
    };
    Ok((
        Command::RecordPanelOutcome {
            purpose: item.purpose,
            outcome: outcome.clone(),
            on,
        },
        PanelItemChange {
            item_id: item.id,
            expected_version: item.version,
            status: PanelItemStatus::after(outcome),
            hearing: Some(PanelHearing { on, deferral }),
            decision: None,
            hold_meeting: Some(meeting.id),
        },
    ))
}

/// Marks the items of a sibling group heard for the same purpose (two or more on one agenda)
/// and lists them together, at the place of the first.
fn siblings_together(
    items: Vec<AgendaItem>,
    groups: &HashMap<CaseId, SiblingGroupId>,
) -> Vec<AgendaItem> {
    let key = |item: &AgendaItem| {
        groups
            .get(&item.item.case_id)
            .map(|g| (*g, item.item.purpose))
    };
    let mut counts: HashMap<(SiblingGroupId, PanelPurpose), usize> = HashMap::new();
    for item in &items {
        if let Some(k) = key(item) {
            *counts.entry(k).or_default() += 1;
        }
    }
    let mut rest: Vec<AgendaItem> = items
        .into_iter()
        .map(|mut item| {
            item.sibling_group = key(&item)
                .filter(|k| counts.get(k).is_some_and(|n| *n > 1))
                .map(|(g, _)| g);
            item
        })
        .collect();
    let mut out = Vec::with_capacity(rest.len());
    while !rest.is_empty() {
        let first = rest.remove(0);
        let group = first.sibling_group.map(|g| (g, first.item.purpose));
        out.push(first);
        if let Some(group) = group {
            let mut i = 0;
            while i < rest.len() {
                if rest[i].sibling_group.map(|g| (g, rest[i].item.purpose)) == Some(group) {
                    out.push(rest.remove(i));
                } else {
                    i += 1;
                }
            }
        }
    }
    out
}

/// Whether the case's route lets the panel make this recommendation now.
fn at_panel_point(engine: &Engine, state: &CaseState, purpose: PanelPurpose) -> bool {
    if !state.is_open() {
        return false;
    }
    let Some(plan) = state.active_plan(purpose.route()) else {
        return false;
    };
    engine
        .catalog()
        .get(plan.route, plan.version)
        .is_some_and(|def| {
            !plan.achieved
                && def
                    .next_steps(plan.current_step())
                    .iter()
                    .any(|s| s.key == purpose.recommendation_step())
        })
}

impl Engine {
    /// The record an earlier command of this kind with this command id created, if any.
    async fn created_by(
        &self,
        meta: &CommandMeta,
        kind: &str,
    ) -> Result<Option<Uuid>, EngineError> {
        let Some(command_id) = meta.command_id else {
            return Ok(None);
        };
        let done = self
            .store
            .processed_command(command_id)
            .await
            .map_err(EngineError::from_store)?;
        match done {
            None => Ok(None),
            Some(done) => done
                .record_id
                .filter(|_| done.is_kind(kind))
                .map(Some)
                .ok_or_else(command_id_reused),
        }
    }

    async fn meeting(&self, id: PanelMeetingId) -> Result<PanelMeetingRecord, EngineError> {
        self.store
            .panel_meeting(id)
            .await
            .map_err(EngineError::from_store)?
            .ok_or(EngineError::NotFound("panel meeting"))
    }

    async fn item(&self, id: PanelItemId) -> Result<PanelItemRecord, EngineError> {
        self.store
            .panel_item(id)
            .await
            .map_err(EngineError::from_store)?
            .ok_or(EngineError::NotFound("panel item"))
    }

    async fn case_record(&self, id: CaseId) -> Result<CaseRecord, EngineError> {
        self.store
            .case(id)
            .await
            .map_err(EngineError::from_store)?
            .ok_or(EngineError::NotFound("case"))
    }

    /// Schedules a planned meeting. The same command id twice schedules one meeting.
    pub async fn schedule_meeting(
        &self,
        meta: &CommandMeta,
        input: ScheduleMeeting,
    ) -> Result<PanelMeetingRecord, EngineError> {
        if !is_local_authority_code(&input.local_authority) {
            return Err(invalid(
                "localAuthority",
                "must be an ONS code for an English authority: E followed by 8 digits",
            ));
        }
        let chair = input.chair.trim();
        if chair.is_empty() {
            return Err(invalid("chair", "a panel meeting needs its chair"));
        }
        if chair.chars().count() > MAX_CHAIR_LEN {
            return Err(invalid(
                "chair",
                format!("must be at most {MAX_CHAIR_LEN} characters"),
            ));
        }
        let quorum_notes = input
            .quorum_notes
            .as_deref()
            .map(str::trim)
            .filter(|notes| !notes.is_empty());
        if quorum_notes.is_some_and(|notes| notes.chars().count() > MAX_QUORUM_NOTES_LEN) {
            return Err(invalid(
                "quorumNotes",
                format!("must be at most {MAX_QUORUM_NOTES_LEN} characters"),
            ));
        }
        let meeting = NewPanelMeeting {
            id: PanelMeetingId(Uuid::now_v7()),
            local_authority: input.local_authority,
            kind: input.kind,
            sits_on: input.sits_on,
            chair: chair.to_owned(),
            quorum_notes: quorum_notes.map(str::to_owned),
            members: panel_members(&input.members)?,
        };
        let command_id = meta.command_id.unwrap_or_else(Uuid::now_v7);
        let (record, _created) = self
            .store
            .create_panel_meeting(command_id, &meeting, self.clock.now())
            .await
            .map_err(EngineError::from_store)?;
        Ok(record)
    }

    /// Puts a case on a planned meeting's agenda for a purpose, at a 1-based position or
    /// last. The same command id twice adds one item.
    pub async fn add_agenda_item(
        &self,
        meta: &CommandMeta,
        meeting_id: PanelMeetingId,
        case_id: CaseId,
        purpose: PanelPurpose,
        position: Option<u32>,
    ) -> Result<PanelItemRecord, EngineError> {
        if let Some(existing) = self.created_by(meta, ADD_AGENDA_ITEM_KIND).await? {
            let item = self.item(PanelItemId(existing)).await?;
            let asked = NewPanelItem {
                id: item.id,
                meeting_id,
                case_id,
                purpose,
                position,
            };
            if !item.is_addition_of(&asked) {
                return Err(command_id_reused());
            }
            return Ok(item);
        }
        if position == Some(0) {
            return Err(invalid("position", "agenda positions start at 1"));
        }
        let meeting = self.meeting(meeting_id).await?;
        match meeting.status {
            PanelMeetingStatus::Planned => {}
            PanelMeetingStatus::Held => {
                return Err(not_allowed(
                    "the panel meeting has been held: add the case to a planned meeting",
                ));
            }
            PanelMeetingStatus::Cancelled => {
                return Err(not_allowed(
                    "the panel meeting was cancelled: add the case to a planned meeting",
                ));
            }
        }
        if !meeting.kind.hears(purpose) {
            return Err(invalid(
                "purpose",
                format!(
                    "{} does not hear {}: choose a meeting of a panel that does",
                    with_article(&format!(
                        "{} panel",
                        meeting.kind.key().to_ascii_lowercase()
                    )),
                    with_article(purpose.label())
                ),
            ));
        }
        let case = self.case_record(case_id).await?;
        if case.state.local_authority != meeting.local_authority {
            return Err(invalid(
                "caseId",
                "the case belongs to another local authority than the panel meeting",
            ));
        }
        if !case.state.is_open() {
            return Err(not_allowed("the case is closed: the child has left care"));
        }
        let route = purpose.route();
        if case.state.active_plan(route).is_none() {
            return Err(not_allowed(&format!(
                "the case has no active {} plan: {} goes to panel on that route",
                route.label(),
                with_article(purpose.label())
            )));
        }
        let items = self
            .store
            .panel_items_of_cases(&[case_id])
            .await
            .map_err(EngineError::from_store)?
            .remove(&case_id)
            .unwrap_or_default();
        if items
            .iter()
            .any(|i| i.purpose == purpose && i.status.is_open())
        {
            return Err(EngineError::Conflict(format!(
                "the case is already on a panel agenda or waiting for a decision for the {}",
                purpose.label()
            )));
        }
        let command_id = meta.command_id.unwrap_or_else(Uuid::now_v7);
        let new_item = NewPanelItem {
            id: PanelItemId(Uuid::now_v7()),
            meeting_id,
            case_id,
            purpose,
            position,
        };
        let (record, _created) = self
            .store
            .add_panel_item(command_id, &new_item, self.clock.now())
            .await
            .map_err(EngineError::from_store)?;
        Ok(record)
    }

    /// Records whether a document a case needs for a purpose is ready; answers with the
    /// purpose's whole checklist.
    pub async fn set_document_readiness(
        &self,
        case_id: CaseId,
        purpose: PanelPurpose,
        document: &str,
        ready: bool,
    ) -> Result<DocumentChecklist, EngineError> {
        let Some(document) = purpose.documents().iter().find(|d| **d == document) else {
            return Err(invalid(
                "document",
                format!(
                    "{} needs these documents: {}",
                    with_article(purpose.label()),
                    purpose.documents().join(", ")
                ),
            ));
        };
        self.case_record(case_id).await?;
        self.store
            .set_panel_document(case_id, purpose, document, ready, self.clock.now())
            .await
            .map_err(EngineError::from_store)?;
        self.document_checklist(case_id, purpose).await
    }

    /// The documents a case needs for a purpose and whether each is ready.
    pub async fn document_checklist(
        &self,
        case_id: CaseId,
        purpose: PanelPurpose,
    ) -> Result<DocumentChecklist, EngineError> {
        let recorded = self
            .store
            .panel_documents(case_id, purpose)
            .await
            .map_err(EngineError::from_store)?;
        Ok(DocumentChecklist::of(purpose, &recorded))
    }

    /// Records the panel's outcome on an item, dated the day the meeting sat. The case's
    /// route moves on a recommendation; the item takes the outcome's status and the meeting
    /// becomes held, in the same transaction. A deferral puts the case back in the queue
    /// with a "return to panel by" deadline.
    pub async fn record_panel_outcome(
        &self,
        meta: &CommandMeta,
        item_id: PanelItemId,
        outcome: PanelOutcome,
    ) -> Result<PanelItemOutcome, EngineError> {
        // The reason is kept as the panel gave it, without stray spaces, on the case and the item.
        let outcome = match outcome {
            PanelOutcome::Deferred { reason, return_by } => PanelOutcome::Deferred {
                reason: reason.trim().to_owned(),
                return_by,
            },
            other => other,
        };
        outcome.validate_text().map_err(EngineError::Domain)?;
        self.run_item_command(
            meta,
            item_id,
            RECOMMENDATION_KIND,
            |item, meeting, today| outcome_change(item, meeting, today, &outcome),
        )
        .await
    }

    /// Records the agency decision maker's (or nominated officer's) decision on a
    /// recommended item. Agreement records the decision's route step (and with it the
    /// deadline of what must follow); disagreement takes the recommendation back off the
    /// route. The item becomes decided in the same transaction.
    pub async fn record_agency_decision(
        &self,
        meta: &CommandMeta,
        item_id: PanelItemId,
        agrees: bool,
        on: NaiveDate,
    ) -> Result<PanelItemOutcome, EngineError> {
        self.run_item_command(meta, item_id, DECISION_KIND, |item, _meeting, _today| {
            let refusal = match item.status {
                PanelItemStatus::Recommended => None,
                PanelItemStatus::Scheduled => Some(
                    "the agency decision needs the panel's recommendation first: the item has not been heard",
                ),
                PanelItemStatus::NotRecommended => {
                    Some("the panel did not recommend: there is no recommendation to decide on")
                }
                PanelItemStatus::Deferred => Some(
                    "the panel deferred the item: it goes back to panel before a decision",
                ),
                PanelItemStatus::Decided => {
                    Some("the agency decision on this item is already recorded")
                }
                PanelItemStatus::Withdrawn => Some("the item was withdrawn"),
            };
            if let Some(message) = refusal {
                return Err(not_allowed(message));
            }
            Ok((
                Command::RecordAgencyDecision {
                    purpose: item.purpose,
                    agrees,
                    on,
                },
                PanelItemChange {
                    item_id: item.id,
                    expected_version: item.version,
                    status: PanelItemStatus::Decided,
                    hearing: None,
                    decision: Some((on, agrees)),
                    hold_meeting: None,
                },
            ))
        })
        .await
    }

    /// Runs a case command that records something on a panel item, retrying on a lost race
    /// when the administrator did not pin the item's version.
    async fn run_item_command<F>(
        &self,
        meta: &CommandMeta,
        item_id: PanelItemId,
        kind: &'static str,
        prepare: F,
    ) -> Result<PanelItemOutcome, EngineError>
    where
        F: Fn(
            &PanelItemRecord,
            &PanelMeetingRecord,
            NaiveDate,
        ) -> Result<(Command, PanelItemChange), EngineError>,
    {
        crate::check_note(meta)?;
        let command_id = meta.command_id.unwrap_or_else(Uuid::now_v7);
        // The case version is not the administrator's to pin: they saw the item.
        let case_meta = CommandMeta {
            expected_version: None,
            ..meta.clone()
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let item = self.item(item_id).await?;
            let repeat = self
                .store
                .processed_command(command_id)
                .await
                .map_err(EngineError::from_store)?;
            if let Some(done) = repeat {
                if done.case_id != Some(item.case_id) || !done.is_kind(kind) {
                    return Err(command_id_reused());
                }
                let meeting = self.meeting(item.meeting_id).await?;
                let case = self.case_record(item.case_id).await?;
                return Ok(PanelItemOutcome {
                    item,
                    meeting,
                    case,
                    recorded: vec![],
                    duplicate: true,
                });
            }
            if let Some(expected) = meta.expected_version
                && expected != item.version
            {
                return Err(EngineError::VersionConflict);
            }
            let meeting = self.meeting(item.meeting_id).await?;
            let (command, change) = prepare(&item, &meeting, self.today())?;
            let outcome = self
                .run_once(
                    &case_meta,
                    item.case_id,
                    command_id,
                    &command,
                    Some(change),
                    None,
                )
                .await;
            match outcome {
                Err(EngineError::VersionConflict)
                    if meta.expected_version.is_none() && attempt < CONFLICT_RETRIES =>
                {
                    continue;
                }
                Err(err) => return Err(err),
                Ok(done) => {
                    let item = self.item(item_id).await?;
                    let meeting = self.meeting(item.meeting_id).await?;
                    return Ok(PanelItemOutcome {
                        item,
                        meeting,
                        case: done.case,
                        recorded: done.recorded,
                        duplicate: done.duplicate,
                    });
                }
            }
        }
    }

    /// Takes an item off its agenda. A recommended item can be withdrawn only when no
    /// decision will follow (the case has left the route or moved on). Withdrawing a
    /// withdrawn item answers with it unchanged.
    pub async fn withdraw_item(
        &self,
        meta: &CommandMeta,
        item_id: PanelItemId,
    ) -> Result<PanelItemRecord, EngineError> {
        let item = self.item(item_id).await?;
        match item.status {
            PanelItemStatus::Withdrawn => return Ok(item),
            PanelItemStatus::Scheduled => {}
            PanelItemStatus::Recommended => {
                let case = self.case_record(item.case_id).await?;
                let awaiting = case.state.is_open()
                    && case
                        .state
                        .active_plan(item.purpose.route())
                        .is_some_and(|p| p.current_step() == item.purpose.recommendation_step());
                if awaiting {
                    return Err(not_allowed(
                        "the panel has recommended and the case waits for the agency decision: record the decision instead",
                    ));
                }
            }
            PanelItemStatus::NotRecommended
            | PanelItemStatus::Deferred
            | PanelItemStatus::Decided => {
                return Err(not_allowed(
                    "the item has been heard: its outcome stays on record",
                ));
            }
        }
        let expected = meta.expected_version.unwrap_or(item.version);
        if expected != item.version {
            return Err(EngineError::VersionConflict);
        }
        self.store
            .withdraw_panel_item(item_id, expected, self.clock.now())
            .await
            .map_err(EngineError::from_store)
    }

    /// Replaces who sits on a planned meeting besides its chair.
    pub async fn set_panel_members(
        &self,
        meta: &CommandMeta,
        meeting_id: PanelMeetingId,
        members: &[String],
    ) -> Result<PanelMeetingRecord, EngineError> {
        let members = panel_members(members)?;
        self.store
            .set_panel_members(meeting_id, &members, meta.expected_version)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => EngineError::NotFound("panel meeting"),
                other => EngineError::from_store(other),
            })
    }

    /// Cancels a planned meeting; the items not yet heard are withdrawn with it, so their
    /// cases return to the queue. Cancelling a cancelled meeting answers with it unchanged.
    pub async fn cancel_meeting(
        &self,
        meta: &CommandMeta,
        meeting_id: PanelMeetingId,
    ) -> Result<PanelMeetingRecord, EngineError> {
        let meeting = self.meeting(meeting_id).await?;
        match meeting.status {
            PanelMeetingStatus::Cancelled => Ok(meeting),
            PanelMeetingStatus::Held => Err(not_allowed(
                "the panel meeting has been held: it cannot be cancelled",
            )),
            PanelMeetingStatus::Planned => self
                .store
                .set_panel_meeting_status(
                    meeting_id,
                    &[PanelMeetingStatus::Planned],
                    PanelMeetingStatus::Cancelled,
                    meta.expected_version,
                    self.clock.now(),
                )
                .await
                .map_err(EngineError::from_store),
        }
    }

    /// Marks a meeting held that sat without an outcome being recorded (recording an
    /// outcome does this by itself).
    pub async fn hold_meeting(
        &self,
        meta: &CommandMeta,
        meeting_id: PanelMeetingId,
    ) -> Result<PanelMeetingRecord, EngineError> {
        let meeting = self.meeting(meeting_id).await?;
        match meeting.status {
            PanelMeetingStatus::Held => Ok(meeting),
            PanelMeetingStatus::Cancelled => Err(not_allowed("the panel meeting was cancelled")),
            PanelMeetingStatus::Planned if meeting.sits_on > self.today() => Err(not_allowed(
                "the panel has not sat yet: mark it held on or after the day it sits",
            )),
            PanelMeetingStatus::Planned => self
                .store
                .set_panel_meeting_status(
                    meeting_id,
                    &[PanelMeetingStatus::Planned],
                    PanelMeetingStatus::Held,
                    meta.expected_version,
                    self.clock.now(),
                )
                .await
                .map_err(EngineError::from_store),
        }
    }

    /// The points of the routes where the panel comes next, from the route catalog (every
    /// version a case may run on).
    fn queue_points(&self) -> Vec<QueuePoint> {
        let mut points: BTreeMap<(Route, &'static str), QueuePoint> = BTreeMap::new();
        for def in self.catalog().all() {
            for step in &def.steps {
                for next in def.next_steps(step.key) {
                    if next.kind != StepKind::PanelRecommendation {
                        continue;
                    }
                    let Some(purpose) = PanelPurpose::for_step(def.route, next.key) else {
                        continue;
                    };
                    let panel_optional = def
                        .next_steps(step.key)
                        .iter()
                        .any(|s| s.key == purpose.decision_step());
                    points.entry((def.route, step.key)).or_insert(QueuePoint {
                        route: def.route,
                        step: step.key,
                        purpose,
                        panel_optional,
                    });
                }
            }
        }
        points.into_values().collect()
    }

    fn check_authority(local_authority: &str) -> Result<(), EngineError> {
        if is_local_authority_code(local_authority) {
            Ok(())
        } else {
            Err(invalid(
                "localAuthority",
                "must be an ONS code for an English authority: E followed by 8 digits",
            ))
        }
    }

    /// Cases of an authority waiting to go to panel, longest waiting first, after the cursor.
    pub async fn panel_waiting_page(
        &self,
        local_authority: &str,
        as_of: NaiveDate,
        after: Option<&PanelQueueCursor>,
        limit: u64,
    ) -> Result<Vec<QueuedCase>, EngineError> {
        Self::check_authority(local_authority)?;
        let points = self.queue_points();
        let store_points: Vec<PanelPoint> = points
            .iter()
            .map(|p| PanelPoint {
                route: p.route,
                step: p.step.to_owned(),
            })
            .collect();
        let cases = self
            .store
            .panel_queue_page(local_authority, &store_points, after, limit)
            .await
            .map_err(EngineError::from_store)?;
        let ids: Vec<CaseId> = cases.iter().map(|c| c.id).collect();
        let mut documents = self
            .store
            .panel_documents_of_cases(&ids)
            .await
            .map_err(EngineError::from_store)?;
        let mut out = Vec::with_capacity(cases.len());
        for case in cases {
            let Some(plan) = case.state.primary_plan() else {
                continue;
            };
            let Some(point) = points
                .iter()
                .find(|p| p.route == plan.route && p.step == plan.current_step())
            else {
                continue;
            };
            let return_by = self
                .catalog()
                .get(plan.route, plan.version)
                .and_then(|def| open_deferral(&case.state, plan, def, point.purpose))
                .map(|(_, return_by)| return_by);
            let waiting_since = plan.current_step_on();
            let recorded = documents
                .remove(&(case.id, point.purpose))
                .unwrap_or_default();
            out.push(QueuedCase {
                purpose: point.purpose,
                route: plan.route,
                step: plan.current_step().to_owned(),
                waiting_since,
                days_waited: (as_of - waiting_since).num_days(),
                documents: DocumentChecklist::of(point.purpose, &recorded),
                return_by,
                panel_optional: point.panel_optional,
                sibling_group: None,
                siblings_waiting: vec![],
                case,
            });
        }
        self.with_siblings_waiting(&points, out).await
    }

    /// Marks the queued cases whose brothers or sisters also wait for panel for the same
    /// purpose (anywhere in the queue, not only on this page), and lists each such member
    /// after the first of the group on the page.
    async fn with_siblings_waiting(
        &self,
        points: &[QueuePoint],
        queued: Vec<QueuedCase>,
    ) -> Result<Vec<QueuedCase>, EngineError> {
        let ids: Vec<CaseId> = queued.iter().map(|q| q.case.id).collect();
        let groups_of = self
            .store
            .sibling_groups_of_cases(&ids)
            .await
            .map_err(EngineError::from_store)?;
        if groups_of.is_empty() {
            return Ok(queued);
        }
        let mut group_ids: Vec<SiblingGroupId> = groups_of.values().copied().collect();
        group_ids.sort();
        group_ids.dedup();
        let groups = self
            .store
            .sibling_groups_by_ids(&group_ids)
            .await
            .map_err(EngineError::from_store)?;
        let mut members: Vec<CaseId> = groups
            .values()
            .flat_map(|g| g.state.members.iter().copied())
            .collect();
        members.sort();
        members.dedup();
        let member_cases = self
            .store
            .cases_by_ids(&members)
            .await
            .map_err(EngineError::from_store)?;
        let on_agenda = self
            .store
            .panel_items_of_cases(&members)
            .await
            .map_err(EngineError::from_store)?;
        // The purpose each member waits for, if it waits (as the queue's own query selects).
        let waits_for = |case_id: &CaseId| -> Option<PanelPurpose> {
            let case = member_cases.get(case_id)?;
            if !case.state.is_open()
                || on_agenda
                    .get(case_id)
                    .is_some_and(|items| items.iter().any(|i| i.status.is_open()))
            {
                return None;
            }
            let plan = case.state.primary_plan()?;
            points
                .iter()
                .find(|p| p.route == plan.route && p.step == plan.current_step())
                .map(|p| p.purpose)
        };
        let mut marked: Vec<QueuedCase> = queued
            .into_iter()
            .map(|mut q| {
                if let Some(group) = groups_of.get(&q.case.id).and_then(|g| groups.get(g)) {
                    q.siblings_waiting = group
                        .state
                        .members
                        .iter()
                        .filter(|m| **m != q.case.id && waits_for(m) == Some(q.purpose))
                        .copied()
                        .collect();
                    if !q.siblings_waiting.is_empty() {
                        q.sibling_group = Some(group.id);
                    }
                }
                q
            })
            .collect();
        // Keyset paging still follows the longest wait: only the order within the page changes.
        let mut out = Vec::with_capacity(marked.len());
        while !marked.is_empty() {
            let first = marked.remove(0);
            let key = first.sibling_group.map(|g| (g, first.purpose));
            out.push(first);
            if let Some(key) = key {
                let mut i = 0;
                while i < marked.len() {
                    if marked[i].sibling_group.map(|g| (g, marked[i].purpose)) == Some(key) {
                        out.push(marked.remove(i));
                    } else {
                        i += 1;
                    }
                }
            }
        }
        Ok(out)
    }

    /// How many cases of an authority wait to go to panel.
    pub async fn panel_waiting_count(&self, local_authority: &str) -> Result<u64, EngineError> {
        Self::check_authority(local_authority)?;
        let points: Vec<PanelPoint> = self
            .queue_points()
            .iter()
            .map(|p| PanelPoint {
                route: p.route,
                step: p.step.to_owned(),
            })
            .collect();
        self.store
            .panel_queue_count(local_authority, &points)
            .await
            .map_err(EngineError::from_store)
    }

    /// The agendas of an authority's meetings still to be heard or recorded on `as_of`:
    /// sitting that day or later, or sat with items not yet recorded. Soonest first.
    pub async fn panel_agendas(
        &self,
        local_authority: &str,
        as_of: NaiveDate,
        limit: u64,
    ) -> Result<Vec<PanelAgenda>, EngineError> {
        Self::check_authority(local_authority)?;
        let meetings = self
            .store
            .upcoming_panel_meetings(local_authority, as_of, limit)
            .await
            .map_err(EngineError::from_store)?;
        self.agendas_of(meetings).await
    }

    /// One meeting's agenda.
    pub async fn panel_agenda(
        &self,
        meeting_id: PanelMeetingId,
    ) -> Result<PanelAgenda, EngineError> {
        let meeting = self.meeting(meeting_id).await?;
        let mut agendas = self.agendas_of(vec![meeting]).await?;
        agendas
            .pop()
            .ok_or_else(|| EngineError::Internal("agenda of one meeting".into()))
    }

    async fn agendas_of(
        &self,
        meetings: Vec<PanelMeetingRecord>,
    ) -> Result<Vec<PanelAgenda>, EngineError> {
        let meeting_ids: Vec<PanelMeetingId> = meetings.iter().map(|m| m.id).collect();
        let mut items = self
            .store
            .panel_items_of_meetings(&meeting_ids)
            .await
            .map_err(EngineError::from_store)?;
        let mut case_ids: Vec<CaseId> = items.values().flatten().map(|i| i.case_id).collect();
        case_ids.sort();
        case_ids.dedup();
        let cases = self
            .store
            .cases_by_ids(&case_ids)
            .await
            .map_err(EngineError::from_store)?;
        let documents = self
            .store
            .panel_documents_of_cases(&case_ids)
            .await
            .map_err(EngineError::from_store)?;
        let groups = self
            .store
            .sibling_groups_of_cases(&case_ids)
            .await
            .map_err(EngineError::from_store)?;
        Ok(meetings
            .into_iter()
            .map(|meeting| {
                let agenda = items
                    .remove(&meeting.id)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|item| item.status != PanelItemStatus::Withdrawn)
                    .map(|item| self.agenda_item(item, &cases, &documents))
                    .collect();
                PanelAgenda {
                    meeting,
                    items: siblings_together(agenda, &groups),
                }
            })
            .collect())
    }

    fn agenda_item(
        &self,
        item: PanelItemRecord,
        cases: &HashMap<CaseId, CaseRecord>,
        documents: &HashMap<(CaseId, PanelPurpose), Vec<PanelDocumentRecord>>,
    ) -> AgendaItem {
        let recorded = documents
            .get(&(item.case_id, item.purpose))
            .map_or(&[][..], Vec::as_slice);
        let hearable = item.status == PanelItemStatus::Scheduled
            && cases
                .get(&item.case_id)
                .is_some_and(|case| at_panel_point(self, &case.state, item.purpose));
        AgendaItem {
            documents: DocumentChecklist::of(item.purpose, recorded),
            hearable,
            item,
            sibling_group: None,
        }
    }

    /// Recommendations of an authority waiting for the agency decision, longest waiting
    /// first, with the working days elapsed against the decision's timescale.
    pub async fn panel_awaiting_decision_page(
        &self,
        local_authority: &str,
        as_of: NaiveDate,
        after: Option<&AwaitingDecisionCursor>,
        limit: u64,
    ) -> Result<Vec<AwaitingDecision>, EngineError> {
        Self::check_authority(local_authority)?;
        let items = self
            .store
            .panel_items_awaiting_decision(local_authority, after, limit)
            .await
            .map_err(EngineError::from_store)?;
        let allowed = self.timescales().adm_decision_working_days;
        items
            .into_iter()
            .map(|item| {
                let recommended_on = item.recommendation_on.ok_or_else(|| {
                    EngineError::Internal("a recommended item without its date".into())
                })?;
                let decision_due_on = Period::WorkingDays(allowed).after(recommended_on);
                Ok(AwaitingDecision {
                    recommended_on,
                    working_days_elapsed: calendar::working_days_between(recommended_on, as_of),
                    working_days_allowed: allowed,
                    decision_due_on,
                    overdue: as_of > decision_due_on,
                    item,
                })
            })
            .collect()
    }

    /// How many recommendations of an authority wait for their decision.
    pub async fn panel_awaiting_decision_count(
        &self,
        local_authority: &str,
    ) -> Result<u64, EngineError> {
        Self::check_authority(local_authority)?;
        self.store
            .panel_items_awaiting_decision_count(local_authority)
            .await
            .map_err(EngineError::from_store)
    }

    /// The panel's work for an authority on `as_of`: the first `first` cases waiting, the
    /// next `first` agendas, the first `first` recommendations awaiting decision, and the
    /// totals of the two paged lists.
    pub async fn panel_queue(
        &self,
        local_authority: &str,
        as_of: NaiveDate,
        first: u64,
    ) -> Result<PanelQueue, EngineError> {
        Ok(PanelQueue {
            as_of,
            waiting: self
                .panel_waiting_page(local_authority, as_of, None, first)
                .await?,
            waiting_total: self.panel_waiting_count(local_authority).await?,
            agendas: self.panel_agendas(local_authority, as_of, first).await?,
            awaiting_decision: self
                .panel_awaiting_decision_page(local_authority, as_of, None, first)
                .await?,
            awaiting_decision_total: self.panel_awaiting_decision_count(local_authority).await?,
        })
    }
}
