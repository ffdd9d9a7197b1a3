//! Panel meetings, their agendas and the documents each item needs.
//!
//! A meeting's agenda changes under the meeting's version: adding or withdrawing an item
//! bumps it, which on PostgreSQL also locks the meeting's row, so that two administrators
//! editing one agenda at once never give two items the same position. An item's outcome
//! and decision are written inside the case command's transaction (`Changes::panel_item`),
//! so the item and the case's route never disagree.

use crate::case_rows::{STATUS_OPEN, decode_state, primary_step_on};
use crate::entities::{
    cases, panel_documents, panel_items, panel_meetings, panel_members, processed_commands,
};
use crate::rows::in_chunks;
use crate::{CaseRecord, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use permanence_domain::ids::{PanelItemId, PanelMeetingId};
use permanence_domain::panel::{PanelItemStatus, PanelKind, PanelMeetingStatus, PanelPurpose};
use permanence_domain::{CaseId, Route};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use std::collections::HashMap;
use uuid::Uuid;

// ----- records --------------------------------------------------------------------------------

/// A panel meeting as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanelMeetingRecord {
    pub id: PanelMeetingId,
    pub local_authority: String,
    pub kind: PanelKind,
    pub sits_on: NaiveDate,
    pub chair: String,
    pub quorum_notes: Option<String>,
    pub status: PanelMeetingStatus,
    /// Bumped by every change to the meeting or its agenda.
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

/// A meeting to create; its status starts as planned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPanelMeeting {
    pub id: PanelMeetingId,
    pub local_authority: String,
    pub kind: PanelKind,
    pub sits_on: NaiveDate,
    pub chair: String,
    pub quorum_notes: Option<String>,
    /// The user ids of those who sit on it besides the chair.
    pub members: Vec<String>,
}

/// An item on a meeting's agenda as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanelItemRecord {
    pub id: PanelItemId,
    pub meeting_id: PanelMeetingId,
    pub case_id: CaseId,
    pub purpose: PanelPurpose,
    /// 1-based order on the agenda among the items not withdrawn; a withdrawn item keeps
    /// the position it last had.
    pub position: i32,
    pub status: PanelItemStatus,
    /// The day the panel heard it (whatever it recommended).
    pub recommendation_on: Option<NaiveDate>,
    pub deferral_reason: Option<String>,
    pub return_by: Option<NaiveDate>,
    pub decision_agrees: Option<bool>,
    pub decision_on: Option<NaiveDate>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An item to add to a meeting's agenda.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPanelItem {
    pub id: PanelItemId,
    pub meeting_id: PanelMeetingId,
    pub case_id: CaseId,
    pub purpose: PanelPurpose,
    /// 1-based; `None` or beyond the end puts it last.
    pub position: Option<u32>,
}

/// Whether one document an item needs is ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanelDocumentRecord {
    pub case_id: CaseId,
    pub purpose: PanelPurpose,
    pub document: String,
    pub ready: bool,
    pub updated_at: DateTime<Utc>,
}

/// The panel's outcome as the item keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanelHearing {
    pub on: NaiveDate,
    /// Set when the panel deferred: the reason and the date to return by.
    pub deferral: Option<(String, NaiveDate)>,
}

/// What a case command changes on a panel item, in the command's own transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanelItemChange {
    pub item_id: PanelItemId,
    /// The item's version when the engine read it: a different one refuses the command.
    pub expected_version: i64,
    pub status: PanelItemStatus,
    pub hearing: Option<PanelHearing>,
    /// The agency decision: its date and whether it agreed.
    pub decision: Option<(NaiveDate, bool)>,
    /// The meeting the outcome was recorded at: it becomes held if it was planned.
    pub hold_meeting: Option<PanelMeetingId>,
}

/// Which meetings to list. Unset fields do not filter.
#[derive(Clone, Debug, Default)]
pub struct PanelMeetingFilter {
    pub local_authority: Option<String>,
    pub sits_from: Option<NaiveDate>,
    pub sits_to: Option<NaiveDate>,
    pub statuses: Vec<PanelMeetingStatus>,
}

/// The keyset position of a meeting in date order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanelMeetingCursor {
    pub sits_on: NaiveDate,
    pub id: PanelMeetingId,
}

/// The keyset position of a case in the panel queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanelQueueCursor {
    pub waiting_since: NaiveDate,
    pub case_id: CaseId,
}

/// The keyset position of an item awaiting its decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwaitingDecisionCursor {
    pub recommendation_on: NaiveDate,
    pub item_id: PanelItemId,
}

/// A (route, step) from which a case can go to panel: the queue's selection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanelPoint {
    pub route: Route,
    pub step: String,
}

/// A command id seen before, and what it touched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessedCommand {
    pub case_id: Option<CaseId>,
    pub record_id: Option<Uuid>,
    pub version: i64,
    /// What the command was (`recordPanelRecommendation`); `None` on rows recorded before
    /// kinds were kept.
    pub kind: Option<String>,
}

impl PanelItemRecord {
    /// Whether this item is the one `item` asks to add (same meeting, case and purpose).
    pub fn is_addition_of(&self, item: &NewPanelItem) -> bool {
        self.meeting_id == item.meeting_id
            && self.case_id == item.case_id
            && self.purpose == item.purpose
    }
}

impl ProcessedCommand {
    /// Whether the command was of this kind (rows without a kind are taken to be).
    pub fn is_kind(&self, kind: &str) -> bool {
        self.kind.as_deref().is_none_or(|k| k == kind)
    }
}

/// The kinds recorded for the panel's creations.
pub const SCHEDULE_PANEL_MEETING_KIND: &str = "schedulePanelMeeting";
pub const ADD_AGENDA_ITEM_KIND: &str = "addAgendaItem";

impl TryFrom<panel_meetings::Model> for PanelMeetingRecord {
    type Error = StoreError;
    fn try_from(m: panel_meetings::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: PanelMeetingId(m.id),
            kind: PanelKind::from_key(&m.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown panel kind {}", m.kind)))?,
            status: PanelMeetingStatus::from_key(&m.status).ok_or_else(|| {
                StoreError::Corrupt(format!("unknown meeting status {}", m.status))
            })?,
            local_authority: m.local_authority,
            sits_on: m.sits_on,
            chair: m.chair,
            quorum_notes: m.quorum_notes,
            version: m.version,
            created_at: m.created_at,
        })
    }
}

fn purpose_from_key(key: &str) -> Result<PanelPurpose, StoreError> {
    PanelPurpose::from_key(key)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown panel purpose {key}")))
}

impl TryFrom<panel_items::Model> for PanelItemRecord {
    type Error = StoreError;
    fn try_from(m: panel_items::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: PanelItemId(m.id),
            meeting_id: PanelMeetingId(m.meeting_id),
            case_id: CaseId(m.case_id),
            purpose: purpose_from_key(&m.purpose)?,
            position: m.position,
            status: PanelItemStatus::from_key(&m.status)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown item status {}", m.status)))?,
            recommendation_on: m.recommendation_on,
            deferral_reason: m.deferral_reason,
            return_by: m.return_by,
            decision_agrees: m.decision_agrees,
            decision_on: m.decision_on,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

impl TryFrom<panel_documents::Model> for PanelDocumentRecord {
    type Error = StoreError;
    fn try_from(m: panel_documents::Model) -> Result<Self, StoreError> {
        Ok(Self {
            case_id: CaseId(m.case_id),
            purpose: purpose_from_key(&m.purpose)?,
            document: m.document,
            ready: m.ready,
            updated_at: m.updated_at,
        })
    }
}

const OPEN_ITEM_STATUSES: [PanelItemStatus; 2] =
    [PanelItemStatus::Scheduled, PanelItemStatus::Recommended];

fn open_item_keys() -> impl Iterator<Item = &'static str> {
    OPEN_ITEM_STATUSES.iter().map(|s| s.key())
}

/// Agenda refusals found inside the transaction: the meeting changed after the engine read it.
fn meeting_not_planned() -> StoreError {
    StoreError::Conflict(
        "the panel meeting is no longer planned: reload it and choose a planned meeting".into(),
    )
}

// ----- the store's panel methods ------------------------------------------------------------

impl Store {
    /// What a command id did, if it was processed before.
    pub async fn processed_command(
        &self,
        command_id: Uuid,
    ) -> Result<Option<ProcessedCommand>, StoreError> {
        Ok(self.processed(command_id).await?.map(|m| ProcessedCommand {
            case_id: m.case_id.map(CaseId),
            record_id: m.record_id,
            version: m.version,
            kind: m.command_kind,
        }))
    }

    /// Creates a planned meeting. The same command id twice creates one meeting and returns
    /// it (with `false`).
    pub async fn create_panel_meeting(
        &self,
        command_id: Uuid,
        meeting: &NewPanelMeeting,
        now: DateTime<Utc>,
    ) -> Result<(PanelMeetingRecord, bool), StoreError> {
        let attempt = async {
            let txn = self.begin_write().await?;
            if let Some(existing) = self
                .created_before(&txn, command_id, SCHEDULE_PANEL_MEETING_KIND)
                .await?
            {
                txn.rollback().await.map_err(StoreError::from_db)?;
                return Ok((existing, false));
            }
            let model = panel_meetings::ActiveModel {
                id: Set(meeting.id.0),
                local_authority: Set(meeting.local_authority.clone()),
                kind: Set(meeting.kind.key().to_owned()),
                sits_on: Set(meeting.sits_on),
                chair: Set(meeting.chair.clone()),
                quorum_notes: Set(meeting.quorum_notes.clone()),
                status: Set(PanelMeetingStatus::Planned.key().to_owned()),
                version: Set(1),
                created_at: Set(now),
            };
            panel_meetings::Entity::insert(model)
                .exec_without_returning(&txn)
                .await
                .map_err(StoreError::from_db)?;
            insert_members(&txn, meeting.id, &meeting.members).await?;
            let created = Created {
                command_id,
                kind: SCHEDULE_PANEL_MEETING_KIND,
                case_id: None,
                record_id: meeting.id.0,
            };
            insert_created(&txn, created, now).await?;
            txn.commit().await.map_err(StoreError::from_db)?;
            Ok((meeting.id.0, true))
        };
        let (id, created) = self
            .settle_creation(command_id, SCHEDULE_PANEL_MEETING_KIND, attempt.await)
            .await?;
        let record = self
            .panel_meeting(PanelMeetingId(id))
            .await?
            .ok_or(StoreError::NotFound)?;
        // Only the same meeting, asked for again, is answered with the one it scheduled.
        let same = record.local_authority == meeting.local_authority
            && record.kind == meeting.kind
            && record.sits_on == meeting.sits_on;
        if !created && !same {
            return Err(StoreError::CommandIdReused);
        }
        Ok((record, created))
    }

    /// The record an earlier command with this id created, inside a transaction.
    async fn created_before(
        &self,
        txn: &DatabaseTransaction,
        command_id: Uuid,
        kind: &str,
    ) -> Result<Option<Uuid>, StoreError> {
        match processed_commands::Entity::find_by_id(command_id)
            .one(txn)
            .await
            .map_err(StoreError::from_db)?
        {
            Some(done) => created_record(done, kind).map(Some),
            None => Ok(None),
        }
    }

    /// A creation that lost a race with the same command id answers as the winner did.
    async fn settle_creation(
        &self,
        command_id: Uuid,
        kind: &str,
        outcome: Result<(Uuid, bool), StoreError>,
    ) -> Result<(Uuid, bool), StoreError> {
        match outcome {
            Ok(done) => Ok(done),
            Err(err @ (StoreError::DuplicateCommand | StoreError::Conflict(_))) => {
                match self.processed(command_id).await? {
                    Some(done) => created_record(done, kind).map(|id| (id, false)),
                    None => Err(err),
                }
            }
            Err(other) => Err(other),
        }
    }

    pub async fn panel_meeting(
        &self,
        id: PanelMeetingId,
    ) -> Result<Option<PanelMeetingRecord>, StoreError> {
        panel_meetings::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .map(PanelMeetingRecord::try_from)
            .transpose()
    }

    pub async fn panel_meetings_by_ids(
        &self,
        ids: &[PanelMeetingId],
    ) -> Result<HashMap<PanelMeetingId, PanelMeetingRecord>, StoreError> {
        let models = in_chunks(ids, |chunk| {
            panel_meetings::Entity::find()
                .filter(panel_meetings::Column::Id.is_in(chunk.iter().map(|id| id.0)))
                .all(&self.db)
        })
        .await?;
        models
            .into_iter()
            .map(|m| PanelMeetingRecord::try_from(m).map(|r| (r.id, r)))
            .collect()
    }

    /// A page of meetings in date order (then id), after the cursor.
    pub async fn panel_meetings_page(
        &self,
        filter: &PanelMeetingFilter,
        after: Option<&PanelMeetingCursor>,
        limit: u64,
    ) -> Result<Vec<PanelMeetingRecord>, StoreError> {
        let mut query = panel_meetings::Entity::find()
            .order_by_asc(panel_meetings::Column::SitsOn)
            .order_by_asc(panel_meetings::Column::Id);
        if let Some(la) = &filter.local_authority {
            query = query.filter(panel_meetings::Column::LocalAuthority.eq(la.as_str()));
        }
        if let Some(from) = filter.sits_from {
            query = query.filter(panel_meetings::Column::SitsOn.gte(from));
        }
        if let Some(to) = filter.sits_to {
            query = query.filter(panel_meetings::Column::SitsOn.lte(to));
        }
        if !filter.statuses.is_empty() {
            query = query.filter(
                panel_meetings::Column::Status.is_in(filter.statuses.iter().map(|s| s.key())),
            );
        }
        if let Some(cursor) = after {
            query = query.filter(keyset_after(
                panel_meetings::Column::SitsOn,
                cursor.sits_on,
                panel_meetings::Column::Id,
                cursor.id.0,
            ));
        }
        query
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .into_iter()
            .map(PanelMeetingRecord::try_from)
            .collect()
    }

    /// The meetings whose agendas still matter on `from`: not cancelled, and sitting on or
    /// after that day or with an item not yet heard (a meeting that sat whose outcomes are
    /// still to be recorded). Soonest first.
    pub async fn upcoming_panel_meetings(
        &self,
        local_authority: &str,
        from: NaiveDate,
        limit: u64,
    ) -> Result<Vec<PanelMeetingRecord>, StoreError> {
        let mut unheard = Query::select();
        unheard
            .column(panel_items::Column::MeetingId)
            .from(panel_items::Entity)
            .and_where(Expr::col(panel_items::Column::Status).eq(PanelItemStatus::Scheduled.key()));
        panel_meetings::Entity::find()
            .filter(panel_meetings::Column::LocalAuthority.eq(local_authority))
            .filter(panel_meetings::Column::Status.ne(PanelMeetingStatus::Cancelled.key()))
            .filter(
                Condition::any()
                    .add(panel_meetings::Column::SitsOn.gte(from))
                    .add(panel_meetings::Column::Id.in_subquery(unheard.to_owned())),
            )
            .order_by_asc(panel_meetings::Column::SitsOn)
            .order_by_asc(panel_meetings::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .into_iter()
            .map(PanelMeetingRecord::try_from)
            .collect()
    }

    /// The members of each meeting (besides its chair), in name order.
    pub async fn panel_members_of_meetings(
        &self,
        ids: &[PanelMeetingId],
    ) -> Result<HashMap<PanelMeetingId, Vec<String>>, StoreError> {
        let rows = in_chunks(ids, |chunk| {
            panel_members::Entity::find()
                .filter(panel_members::Column::MeetingId.is_in(chunk.iter().map(|id| id.0)))
                .order_by_asc(panel_members::Column::Member)
                .all(&self.db)
        })
        .await?;
        let mut out: HashMap<PanelMeetingId, Vec<String>> = HashMap::new();
        for row in rows {
            out.entry(PanelMeetingId(row.meeting_id))
                .or_default()
                .push(row.member);
        }
        Ok(out)
    }

    /// Replaces who sits on a meeting (besides its chair), checking its version when given;
    /// a meeting that was held or cancelled keeps the members it had.
    pub async fn set_panel_members(
        &self,
        id: PanelMeetingId,
        members: &[String],
        expected_version: Option<i64>,
    ) -> Result<PanelMeetingRecord, StoreError> {
        let txn = self.begin_write().await?;
        let mut claim = panel_meetings::Entity::update_many()
            .col_expr(
                panel_meetings::Column::Version,
                Expr::col(panel_meetings::Column::Version).add(1),
            )
            .filter(panel_meetings::Column::Id.eq(id.0))
            .filter(panel_meetings::Column::Status.eq(PanelMeetingStatus::Planned.key()));
        if let Some(version) = expected_version {
            claim = claim.filter(panel_meetings::Column::Version.eq(version));
        }
        let claimed = claim.exec(&txn).await.map_err(StoreError::from_db)?;
        if claimed.rows_affected != 1 {
            txn.rollback().await.map_err(StoreError::from_db)?;
            return Err(match self.panel_meeting(id).await? {
                None => StoreError::NotFound,
                Some(m) if m.status == PanelMeetingStatus::Planned => StoreError::VersionConflict,
                Some(_) => meeting_not_planned(),
            });
        }
        panel_members::Entity::delete_many()
            .filter(panel_members::Column::MeetingId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(StoreError::from_db)?;
        insert_members(&txn, id, members).await?;
        txn.commit().await.map_err(StoreError::from_db)?;
        self.panel_meeting(id).await?.ok_or(StoreError::NotFound)
    }

    /// Whether the case is on the agenda of a meeting the user sits on (as chair or member),
    /// not yet decided.
    pub async fn case_on_agenda_of(&self, case_id: CaseId, user: &str) -> Result<bool, StoreError> {
        let found = panel_items::Entity::find()
            .filter(panel_items::Column::CaseId.eq(case_id.0))
            .filter(panel_items::Column::CaseId.in_subquery(cases_on_agenda_of(user)))
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        Ok(found.is_some())
    }

    /// Sets a meeting's status from one of `from`, checking its version when given.
    /// Cancelling withdraws the items not yet heard, in the same transaction, so that their
    /// cases go back to the queue.
    pub async fn set_panel_meeting_status(
        &self,
        id: PanelMeetingId,
        from: &[PanelMeetingStatus],
        to: PanelMeetingStatus,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<PanelMeetingRecord, StoreError> {
        let txn = self.begin_write().await?;
        let mut update = panel_meetings::Entity::update_many()
            .col_expr(panel_meetings::Column::Status, Expr::value(to.key()))
            .col_expr(
                panel_meetings::Column::Version,
                Expr::col(panel_meetings::Column::Version).add(1),
            )
            .filter(panel_meetings::Column::Id.eq(id.0))
            .filter(panel_meetings::Column::Status.is_in(from.iter().map(|s| s.key())));
        if let Some(version) = expected_version {
            update = update.filter(panel_meetings::Column::Version.eq(version));
        }
        let updated = update.exec(&txn).await.map_err(StoreError::from_db)?;
        if updated.rows_affected != 1 {
            txn.rollback().await.map_err(StoreError::from_db)?;
            return Err(StoreError::VersionConflict);
        }
        if to == PanelMeetingStatus::Cancelled {
            panel_items::Entity::update_many()
                .col_expr(
                    panel_items::Column::Status,
                    Expr::value(PanelItemStatus::Withdrawn.key()),
                )
                .col_expr(
                    panel_items::Column::Version,
                    Expr::col(panel_items::Column::Version).add(1),
                )
                .col_expr(panel_items::Column::UpdatedAt, Expr::value(now))
                .filter(panel_items::Column::MeetingId.eq(id.0))
                .filter(panel_items::Column::Status.eq(PanelItemStatus::Scheduled.key()))
                .exec(&txn)
                .await
                .map_err(StoreError::from_db)?;
        }
        txn.commit().await.map_err(StoreError::from_db)?;
        self.panel_meeting(id).await?.ok_or(StoreError::NotFound)
    }

    /// Adds an item to a planned meeting's agenda, at its position or last. The same command
    /// id twice adds one item and returns it (with `false`). A case with an open item for the
    /// same purpose is refused with `Conflict`, by the database as well.
    pub async fn add_panel_item(
        &self,
        command_id: Uuid,
        item: &NewPanelItem,
        now: DateTime<Utc>,
    ) -> Result<(PanelItemRecord, bool), StoreError> {
        let attempt = async {
            let txn = self.begin_write().await?;
            if let Some(existing) = self
                .created_before(&txn, command_id, ADD_AGENDA_ITEM_KIND)
                .await?
            {
                txn.rollback().await.map_err(StoreError::from_db)?;
                return Ok((existing, false));
            }
            // Claims the agenda: on PostgreSQL the row lock queues other editors of it.
            let claimed = panel_meetings::Entity::update_many()
                .col_expr(
                    panel_meetings::Column::Version,
                    Expr::col(panel_meetings::Column::Version).add(1),
                )
                .filter(panel_meetings::Column::Id.eq(item.meeting_id.0))
                .filter(panel_meetings::Column::Status.eq(PanelMeetingStatus::Planned.key()))
                .exec(&txn)
                .await
                .map_err(StoreError::from_db)?;
            if claimed.rows_affected != 1 {
                txn.rollback().await.map_err(StoreError::from_db)?;
                return Err(meeting_not_planned());
            }
            let on_agenda = live_items_of_meeting(&txn, item.meeting_id).await?;
            let last = i32::try_from(on_agenda)
                .unwrap_or(i32::MAX)
                .saturating_add(1);
            let position = item.position.map_or(last, |p| {
                i32::try_from(p).unwrap_or(i32::MAX).clamp(1, last)
            });
            if position < last {
                panel_items::Entity::update_many()
                    .col_expr(
                        panel_items::Column::Position,
                        Expr::col(panel_items::Column::Position).add(1),
                    )
                    .filter(panel_items::Column::MeetingId.eq(item.meeting_id.0))
                    .filter(panel_items::Column::Status.ne(PanelItemStatus::Withdrawn.key()))
                    .filter(panel_items::Column::Position.gte(position))
                    .exec(&txn)
                    .await
                    .map_err(StoreError::from_db)?;
            }
            let model = panel_items::ActiveModel {
                id: Set(item.id.0),
                meeting_id: Set(item.meeting_id.0),
                case_id: Set(item.case_id.0),
                purpose: Set(item.purpose.key().to_owned()),
                position: Set(position),
                status: Set(PanelItemStatus::Scheduled.key().to_owned()),
                recommendation_on: Set(None),
                deferral_reason: Set(None),
                return_by: Set(None),
                decision_agrees: Set(None),
                decision_on: Set(None),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            };
            panel_items::Entity::insert(model)
                .exec_without_returning(&txn)
                .await
                .map_err(StoreError::from_db)?;
            let created = Created {
                command_id,
                kind: ADD_AGENDA_ITEM_KIND,
                case_id: Some(item.case_id.0),
                record_id: item.id.0,
            };
            insert_created(&txn, created, now).await?;
            txn.commit().await.map_err(StoreError::from_db)?;
            Ok((item.id.0, true))
        };
        let (id, created) = self
            .settle_creation(command_id, ADD_AGENDA_ITEM_KIND, attempt.await)
            .await?;
        let record = self
            .panel_item(PanelItemId(id))
            .await?
            .ok_or(StoreError::NotFound)?;
        if !created && !record.is_addition_of(item) {
            return Err(StoreError::CommandIdReused);
        }
        Ok((record, created))
    }

    pub async fn panel_item(&self, id: PanelItemId) -> Result<Option<PanelItemRecord>, StoreError> {
        panel_items::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .map(PanelItemRecord::try_from)
            .transpose()
    }

    pub async fn panel_items_by_ids(
        &self,
        ids: &[PanelItemId],
    ) -> Result<HashMap<PanelItemId, PanelItemRecord>, StoreError> {
        let models = in_chunks(ids, |chunk| {
            panel_items::Entity::find()
                .filter(panel_items::Column::Id.is_in(chunk.iter().map(|id| id.0)))
                .all(&self.db)
        })
        .await?;
        models
            .into_iter()
            .map(|m| PanelItemRecord::try_from(m).map(|r| (r.id, r)))
            .collect()
    }

    /// The items of many meetings, each meeting's in agenda order (withdrawn items last).
    pub async fn panel_items_of_meetings(
        &self,
        ids: &[PanelMeetingId],
    ) -> Result<HashMap<PanelMeetingId, Vec<PanelItemRecord>>, StoreError> {
        let models = in_chunks(ids, |chunk| {
            panel_items::Entity::find()
                .filter(panel_items::Column::MeetingId.is_in(chunk.iter().map(|id| id.0)))
                .order_by_asc(panel_items::Column::Position)
                .order_by_asc(panel_items::Column::Id)
                .all(&self.db)
        })
        .await?;
        let mut out: HashMap<PanelMeetingId, Vec<PanelItemRecord>> = HashMap::new();
        for model in models {
            let record = PanelItemRecord::try_from(model)?;
            out.entry(record.meeting_id).or_default().push(record);
        }
        for items in out.values_mut() {
            items.sort_by_key(|i| (i.status == PanelItemStatus::Withdrawn, i.position, i.id));
        }
        Ok(out)
    }

    /// The items of one meeting, in agenda order (withdrawn items last).
    pub async fn panel_items_of_meeting(
        &self,
        id: PanelMeetingId,
    ) -> Result<Vec<PanelItemRecord>, StoreError> {
        Ok(self
            .panel_items_of_meetings(&[id])
            .await?
            .remove(&id)
            .unwrap_or_default())
    }

    /// Every panel item of many cases, oldest first: a case's panel history.
    pub async fn panel_items_of_cases(
        &self,
        ids: &[CaseId],
    ) -> Result<HashMap<CaseId, Vec<PanelItemRecord>>, StoreError> {
        let models = in_chunks(ids, |chunk| {
            panel_items::Entity::find()
                .filter(panel_items::Column::CaseId.is_in(chunk.iter().map(|id| id.0)))
                .order_by_asc(panel_items::Column::CreatedAt)
                .order_by_asc(panel_items::Column::Id)
                .all(&self.db)
        })
        .await?;
        let mut out: HashMap<CaseId, Vec<PanelItemRecord>> = HashMap::new();
        for model in models {
            let record = PanelItemRecord::try_from(model)?;
            out.entry(record.case_id).or_default().push(record);
        }
        Ok(out)
    }

    /// Withdraws an open item (scheduled, or recommended with no decision to come), checking
    /// its version. A scheduled item leaves the agenda and the items after it move up.
    pub async fn withdraw_panel_item(
        &self,
        id: PanelItemId,
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> Result<PanelItemRecord, StoreError> {
        let txn = self.begin_write().await?;
        let Some(item) = panel_items::Entity::find_by_id(id.0)
            .one(&txn)
            .await
            .map_err(StoreError::from_db)?
        else {
            txn.rollback().await.map_err(StoreError::from_db)?;
            return Err(StoreError::NotFound);
        };
        let was_scheduled = item.status == PanelItemStatus::Scheduled.key();
        if was_scheduled {
            // Claims the agenda before moving positions (see `add_panel_item`).
            panel_meetings::Entity::update_many()
                .col_expr(
                    panel_meetings::Column::Version,
                    Expr::col(panel_meetings::Column::Version).add(1),
                )
                .filter(panel_meetings::Column::Id.eq(item.meeting_id))
                .exec(&txn)
                .await
                .map_err(StoreError::from_db)?;
        }
        let updated = panel_items::Entity::update_many()
            .col_expr(
                panel_items::Column::Status,
                Expr::value(PanelItemStatus::Withdrawn.key()),
            )
            .col_expr(
                panel_items::Column::Version,
                Expr::col(panel_items::Column::Version).add(1),
            )
            .col_expr(panel_items::Column::UpdatedAt, Expr::value(now))
            .filter(panel_items::Column::Id.eq(id.0))
            .filter(panel_items::Column::Version.eq(expected_version))
            .filter(panel_items::Column::Status.is_in(open_item_keys()))
            .exec(&txn)
            .await
            .map_err(StoreError::from_db)?;
        if updated.rows_affected != 1 {
            txn.rollback().await.map_err(StoreError::from_db)?;
            return Err(StoreError::VersionConflict);
        }
        if was_scheduled {
            panel_items::Entity::update_many()
                .col_expr(
                    panel_items::Column::Position,
                    Expr::col(panel_items::Column::Position).sub(1),
                )
                .filter(panel_items::Column::MeetingId.eq(item.meeting_id))
                .filter(panel_items::Column::Status.ne(PanelItemStatus::Withdrawn.key()))
                .filter(panel_items::Column::Position.gt(item.position))
                .exec(&txn)
                .await
                .map_err(StoreError::from_db)?;
        }
        txn.commit().await.map_err(StoreError::from_db)?;
        self.panel_item(id).await?.ok_or(StoreError::NotFound)
    }

    /// Records whether a document an item needs is ready.
    pub async fn set_panel_document(
        &self,
        case_id: CaseId,
        purpose: PanelPurpose,
        document: &str,
        ready: bool,
        now: DateTime<Utc>,
    ) -> Result<PanelDocumentRecord, StoreError> {
        let model = panel_documents::ActiveModel {
            case_id: Set(case_id.0),
            purpose: Set(purpose.key().to_owned()),
            document: Set(document.to_owned()),
            ready: Set(ready),
            updated_at: Set(now),
        };
        panel_documents::Entity::insert(model)
            .on_conflict(
                OnConflict::columns([
                    panel_documents::Column::CaseId,
                    panel_documents::Column::Purpose,
                    panel_documents::Column::Document,
                ])
                .update_columns([
                    panel_documents::Column::Ready,
                    panel_documents::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        Ok(PanelDocumentRecord {
            case_id,
            purpose,
            document: document.to_owned(),
            ready,
            updated_at: now,
        })
    }

    /// The documents recorded for many cases, by case and purpose.
    pub async fn panel_documents_of_cases(
        &self,
        ids: &[CaseId],
    ) -> Result<HashMap<(CaseId, PanelPurpose), Vec<PanelDocumentRecord>>, StoreError> {
        let models = in_chunks(ids, |chunk| {
            panel_documents::Entity::find()
                .filter(panel_documents::Column::CaseId.is_in(chunk.iter().map(|id| id.0)))
                .order_by_asc(panel_documents::Column::Document)
                .all(&self.db)
        })
        .await?;
        let mut out: HashMap<(CaseId, PanelPurpose), Vec<PanelDocumentRecord>> = HashMap::new();
        for model in models {
            let record = PanelDocumentRecord::try_from(model)?;
            out.entry((record.case_id, record.purpose))
                .or_default()
                .push(record);
        }
        Ok(out)
    }

    /// The documents recorded for one case and purpose.
    pub async fn panel_documents(
        &self,
        case_id: CaseId,
        purpose: PanelPurpose,
    ) -> Result<Vec<PanelDocumentRecord>, StoreError> {
        Ok(self
            .panel_documents_of_cases(&[case_id])
            .await?
            .remove(&(case_id, purpose))
            .unwrap_or_default())
    }

    /// Open cases of an authority whose primary plan stands at one of `points` and that have
    /// no open panel item, longest waiting first (by the date of the current step).
    pub async fn panel_queue_page(
        &self,
        local_authority: &str,
        points: &[PanelPoint],
        after: Option<&PanelQueueCursor>,
        limit: u64,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        if points.is_empty() {
            return Ok(vec![]);
        }
        let mut query = queue_query(local_authority, points)
            .order_by_asc(cases::Column::PrimaryStepOn)
            .order_by_asc(cases::Column::Id);
        if let Some(cursor) = after {
            query = query.filter(keyset_after(
                cases::Column::PrimaryStepOn,
                cursor.waiting_since,
                cases::Column::Id,
                cursor.case_id.0,
            ));
        }
        query
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .into_iter()
            .map(|m| self.case_states.record(m))
            .collect()
    }

    /// How many cases the panel queue holds.
    pub async fn panel_queue_count(
        &self,
        local_authority: &str,
        points: &[PanelPoint],
    ) -> Result<u64, StoreError> {
        if points.is_empty() {
            return Ok(0);
        }
        let count: Option<i64> = queue_query(local_authority, points)
            .select_only()
            .column_as(cases::Column::Id.count(), "count")
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        Ok(u64::try_from(count.unwrap_or(0)).unwrap_or(0))
    }

    /// Items of an authority's meetings that the panel recommended and that wait for the
    /// agency decision, longest waiting first.
    pub async fn panel_items_awaiting_decision(
        &self,
        local_authority: &str,
        after: Option<&AwaitingDecisionCursor>,
        limit: u64,
    ) -> Result<Vec<PanelItemRecord>, StoreError> {
        let mut query = awaiting_decision_query(local_authority)
            .order_by_asc(panel_items::Column::RecommendationOn)
            .order_by_asc(panel_items::Column::Id);
        if let Some(cursor) = after {
            query = query.filter(keyset_after(
                panel_items::Column::RecommendationOn,
                cursor.recommendation_on,
                panel_items::Column::Id,
                cursor.item_id.0,
            ));
        }
        query
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .into_iter()
            .map(PanelItemRecord::try_from)
            .collect()
    }

    /// How many recommendations of an authority wait for their decision.
    pub async fn panel_items_awaiting_decision_count(
        &self,
        local_authority: &str,
    ) -> Result<u64, StoreError> {
        let count: Option<i64> = awaiting_decision_query(local_authority)
            .select_only()
            .column_as(panel_items::Column::Id.count(), "count")
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        Ok(u64::try_from(count.unwrap_or(0)).unwrap_or(0))
    }

    /// Fills `cases.primary_step_on` for cases projected before the column existed. Rows
    /// written since fill it themselves, so this finds nothing to do after its first run.
    pub(crate) async fn backfill_primary_step_on(&self) -> Result<(), StoreError> {
        const PAGE: u64 = 500;
        let mut after: Option<Uuid> = None;
        loop {
            let mut query = cases::Entity::find()
                .filter(cases::Column::PrimaryStepOn.is_null())
                .filter(cases::Column::PrimaryRoute.is_not_null())
                .order_by_asc(cases::Column::Id);
            if let Some(after) = after {
                query = query.filter(cases::Column::Id.gt(after));
            }
            let models = query
                .limit(PAGE)
                .all(&self.db)
                .await
                .map_err(StoreError::from_db)?;
            let Some(last) = models.last() else {
                return Ok(());
            };
            after = Some(last.id);
            let full_page = models.len() as u64 == PAGE;
            for model in models {
                let state = decode_state(&model.state)?;
                let Some(on) = primary_step_on(&state) else {
                    continue;
                };
                cases::Entity::update_many()
                    .col_expr(cases::Column::PrimaryStepOn, Expr::value(on))
                    .filter(cases::Column::Id.eq(model.id))
                    .filter(cases::Column::PrimaryStepOn.is_null())
                    .exec(&self.db)
                    .await
                    .map_err(StoreError::from_db)?;
            }
            if !full_page {
                return Ok(());
            }
        }
    }
}

fn queue_query(local_authority: &str, points: &[PanelPoint]) -> sea_orm::Select<cases::Entity> {
    let mut at_a_point = Condition::any();
    for point in points {
        at_a_point = at_a_point.add(
            Condition::all()
                .add(cases::Column::PrimaryRoute.eq(point.route.key()))
                .add(cases::Column::PrimaryStep.eq(point.step.as_str())),
        );
    }
    let mut on_panel = Query::select();
    on_panel
        .column(panel_items::Column::CaseId)
        .from(panel_items::Entity)
        .and_where(Expr::col(panel_items::Column::Status).is_in(open_item_keys()));
    cases::Entity::find()
        .filter(cases::Column::LocalAuthority.eq(local_authority))
        .filter(cases::Column::Status.eq(STATUS_OPEN))
        .filter(at_a_point)
        .filter(cases::Column::Id.not_in_subquery(on_panel.to_owned()))
}

fn awaiting_decision_query(local_authority: &str) -> sea_orm::Select<panel_items::Entity> {
    let mut meetings = Query::select();
    meetings
        .column(panel_meetings::Column::Id)
        .from(panel_meetings::Entity)
        .and_where(Expr::col(panel_meetings::Column::LocalAuthority).eq(local_authority));
    panel_items::Entity::find()
        .filter(panel_items::Column::Status.eq(PanelItemStatus::Recommended.key()))
        .filter(panel_items::Column::MeetingId.in_subquery(meetings.to_owned()))
}

/// Rows after `(first, second)` in `(first, second)` order.
fn keyset_after<A, B, V, W>(first: A, first_value: V, second: B, second_value: W) -> Condition
where
    A: ColumnTrait,
    B: ColumnTrait,
    V: Into<sea_orm::Value> + Clone,
    W: Into<sea_orm::Value>,
{
    Condition::any().add(first.gt(first_value.clone())).add(
        Condition::all()
            .add(first.eq(first_value))
            .add(second.gt(second_value)),
    )
}

/// How many items are on a meeting's agenda (not withdrawn).
async fn live_items_of_meeting(
    txn: &DatabaseTransaction,
    meeting_id: PanelMeetingId,
) -> Result<u64, StoreError> {
    let count: Option<i64> = panel_items::Entity::find()
        .filter(panel_items::Column::MeetingId.eq(meeting_id.0))
        .filter(panel_items::Column::Status.ne(PanelItemStatus::Withdrawn.key()))
        .select_only()
        .column_as(panel_items::Column::Id.count(), "count")
        .into_tuple()
        .one(txn)
        .await
        .map_err(StoreError::from_db)?;
    Ok(u64::try_from(count.unwrap_or(0)).unwrap_or(0))
}

/// The record an earlier creation of this kind made; any other command's id is a reuse.
fn created_record(done: processed_commands::Model, kind: &str) -> Result<Uuid, StoreError> {
    let same_kind = done.command_kind.as_deref().is_none_or(|k| k == kind);
    done.record_id
        .filter(|_| same_kind)
        .ok_or(StoreError::CommandIdReused)
}

/// A creation's row in `processed_commands`.
#[derive(Clone, Copy, Debug)]
struct Created {
    command_id: Uuid,
    kind: &'static str,
    case_id: Option<Uuid>,
    record_id: Uuid,
}

async fn insert_created(
    txn: &DatabaseTransaction,
    created: Created,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let model = processed_commands::ActiveModel {
        command_id: Set(created.command_id),
        case_id: Set(created.case_id),
        child_id: Set(None),
        version: Set(0),
        recorded_at: Set(now),
        record_id: Set(Some(created.record_id)),
        command_kind: Set(Some(created.kind.to_owned())),
    };
    processed_commands::Entity::insert(model)
        .exec_without_returning(txn)
        .await
        .map_err(StoreError::from_db)?;
    Ok(())
}

/// Writes an item's outcome or decision inside a case command's transaction. A changed
/// version (someone else recorded first, or withdrew it) refuses the whole command.
pub(crate) async fn apply_item_change(
    txn: &DatabaseTransaction,
    change: &PanelItemChange,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut update = panel_items::Entity::update_many()
        .col_expr(
            panel_items::Column::Status,
            Expr::value(change.status.key()),
        )
        .col_expr(
            panel_items::Column::Version,
            Expr::col(panel_items::Column::Version).add(1),
        )
        .col_expr(panel_items::Column::UpdatedAt, Expr::value(now));
    if let Some(hearing) = &change.hearing {
        let (reason, return_by) = match &hearing.deferral {
            Some((reason, return_by)) => (Some(reason.clone()), Some(*return_by)),
            None => (None, None),
        };
        update = update
            .col_expr(
                panel_items::Column::RecommendationOn,
                Expr::value(hearing.on),
            )
            .col_expr(panel_items::Column::DeferralReason, Expr::value(reason))
            .col_expr(panel_items::Column::ReturnBy, Expr::value(return_by));
    }
    if let Some((on, agrees)) = change.decision {
        update = update
            .col_expr(panel_items::Column::DecisionOn, Expr::value(on))
            .col_expr(panel_items::Column::DecisionAgrees, Expr::value(agrees));
    }
    let updated = update
        .filter(panel_items::Column::Id.eq(change.item_id.0))
        .filter(panel_items::Column::Version.eq(change.expected_version))
        .exec(txn)
        .await
        .map_err(StoreError::from_db)?;
    if updated.rows_affected != 1 {
        return Err(StoreError::VersionConflict);
    }
    if let Some(meeting) = change.hold_meeting {
        panel_meetings::Entity::update_many()
            .col_expr(
                panel_meetings::Column::Status,
                Expr::value(PanelMeetingStatus::Held.key()),
            )
            .col_expr(
                panel_meetings::Column::Version,
                Expr::col(panel_meetings::Column::Version).add(1),
            )
            .filter(panel_meetings::Column::Id.eq(meeting.0))
            .filter(panel_meetings::Column::Status.eq(PanelMeetingStatus::Planned.key()))
            .exec(txn)
            .await
            .map_err(StoreError::from_db)?;
    }
    Ok(())
}

/// Adds members to a meeting inside a transaction.
async fn insert_members(
    txn: &DatabaseTransaction,
    meeting: PanelMeetingId,
    members: &[String],
) -> Result<(), StoreError> {
    if members.is_empty() {
        return Ok(());
    }
    let rows = members.iter().map(|member| panel_members::ActiveModel {
        meeting_id: Set(meeting.0),
        member: Set(member.clone()),
    });
    panel_members::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await
        .map_err(StoreError::from_db)?;
    Ok(())
}

/// The ids of the cases on the agenda of a meeting this user sits on (as its chair or a
/// member), not yet decided: what a panel member's reach covers.
pub(crate) fn cases_on_agenda_of(user: &str) -> sea_orm::sea_query::SelectStatement {
    let open = [
        PanelItemStatus::Scheduled.key(),
        PanelItemStatus::Recommended.key(),
    ];
    Query::select()
        .column((panel_items::Entity, panel_items::Column::CaseId))
        .from(panel_items::Entity)
        .inner_join(
            panel_meetings::Entity,
            Expr::col((panel_meetings::Entity, panel_meetings::Column::Id))
                .equals((panel_items::Entity, panel_items::Column::MeetingId)),
        )
        .cond_where(
            Condition::any()
                .add(Expr::col((panel_meetings::Entity, panel_meetings::Column::Chair)).eq(user))
                .add(
                    Expr::col((panel_meetings::Entity, panel_meetings::Column::Id)).in_subquery(
                        Query::select()
                            .column(panel_members::Column::MeetingId)
                            .from(panel_members::Entity)
                            .and_where(panel_members::Column::Member.eq(user))
                            .to_owned(),
                    ),
                ),
        )
        .and_where(Expr::col((panel_items::Entity, panel_items::Column::Status)).is_in(open))
        .to_owned()
}
