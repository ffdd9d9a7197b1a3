//! Escalation notifications and their delivery to the authority's webhook.
//!
//! A sweep finds the deadlines that have reached a level and have no notification for it,
//! and records one per (case, deadline, due date, level). The unique index on those makes a
//! second notification impossible, however many server processes sweep at once; on
//! PostgreSQL the processes also split the work by claiming deadline rows with
//! `FOR UPDATE SKIP LOCKED` (SQLite has one writer at a time, so there is nothing to split).
//!
//! Webhook deliveries are a queue: a sender claims the deliveries that are due (again with
//! `SKIP LOCKED`), pushes their next attempt into the future as a lease, commits, and only
//! then sends, so that no transaction stays open across an HTTP request and no two processes
//! send the same notification at once.

use crate::entities::{case_deadlines, cases, notifications, webhook_deliveries};
use crate::{Backend, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use permanence_domain::CaseId;
use permanence_domain::escalation::{EscalationLevel, EscalationSettings};
use sea_orm::sea_query::{
    Expr, ExprTrait, LockBehavior, LockType, NullOrdering, OnConflict, Query,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashMap;
use uuid::Uuid;

/// A recorded escalation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationRecord {
    pub id: Uuid,
    /// Order of recording across every process.
    pub sequence: i64,
    pub case_id: CaseId,
    pub deadline_key: String,
    /// What is due, as the deadline names it ("Review", "Match decision").
    pub label: String,
    pub due_on: NaiveDate,
    pub level: EscalationLevel,
    pub after_panel: bool,
    pub local_authority: String,
    pub team: Option<String>,
    pub allocated_worker: Option<String>,
    pub raised_on: NaiveDate,
    pub raised_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
}

/// Whose notifications a reader sees. The caller builds it from the reader's role; the
/// store applies it to every list, acknowledgement and subscription alike.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotificationAudience {
    /// Due-soon notices of the cases allocated to this user.
    pub worker: Option<String>,
    /// Overdue notices of these teams' cases (and due-soon notices of their cases that no one
    /// is allocated to), in `authorities`.
    pub manager_of_teams: Vec<String>,
    /// Long-overdue notices of every case in `authorities`.
    pub head_of_service: bool,
    /// The reader's local authorities; nothing outside them is ever seen.
    pub authorities: Vec<String>,
}

impl NotificationAudience {
    /// The notifications addressed to this reader, from their role: a social worker gets the
    /// due-soon notices of the cases allocated to them; a team manager those, and the overdue
    /// notices of their teams' cases (and due-soon notices of their cases no one is allocated
    /// to); a leader, as head of service, the long-overdue notices of their authorities. The
    /// API and the pages both ask this, so they show the same notifications.
    pub fn for_principal(principal: &permanence_auth::Principal) -> Self {
        use permanence_auth::Role;
        let mut audience = NotificationAudience {
            authorities: principal.local_authorities.clone(),
            ..NotificationAudience::default()
        };
        match principal.role {
            Role::SocialWorker => audience.worker = Some(principal.user_id.clone()),
            Role::TeamManager => {
                audience.worker = Some(principal.user_id.clone());
                audience.manager_of_teams = principal.teams.clone();
            }
            Role::Leader => audience.head_of_service = true,
            Role::PanelMember
            | Role::PanelChair
            | Role::AgencyDecisionMaker
            | Role::Administrator => {}
        }
        audience
    }

    fn condition(&self) -> Condition {
        use notifications::Column as N;
        let level = |l: EscalationLevel| N::Level.eq(l.key());
        let mut any = Condition::any();
        if let Some(worker) = &self.worker {
            any = any.add(
                Condition::all()
                    .add(level(EscalationLevel::DueSoon))
                    .add(N::AllocatedWorker.eq(worker.as_str())),
            );
        }
        if !self.manager_of_teams.is_empty() {
            let teams = || N::Team.is_in(self.manager_of_teams.iter().cloned());
            any = any
                .add(
                    Condition::all()
                        .add(level(EscalationLevel::Overdue))
                        .add(teams()),
                )
                .add(
                    Condition::all()
                        .add(level(EscalationLevel::DueSoon))
                        .add(N::AllocatedWorker.is_null())
                        .add(teams()),
                );
        }
        if self.head_of_service {
            any = any.add(level(EscalationLevel::LongOverdue));
        }
        if self.worker.is_none() && self.manager_of_teams.is_empty() && !self.head_of_service {
            // Addressed to no tier: sees nothing.
            any = any.add(Expr::val(false));
        }
        Condition::all()
            .add(N::LocalAuthority.is_in(self.authorities.iter().cloned()))
            .add(any)
    }

    /// Whether a notification is addressed to this reader (the same rule as the queries).
    pub fn includes(&self, n: &NotificationRecord) -> bool {
        if !self.authorities.contains(&n.local_authority) {
            return false;
        }
        let in_teams = n
            .team
            .as_ref()
            .is_some_and(|t| self.manager_of_teams.contains(t));
        match n.level {
            EscalationLevel::DueSoon => match &n.allocated_worker {
                Some(worker) => self.worker.as_ref() == Some(worker),
                None => in_teams,
            },
            EscalationLevel::Overdue => in_teams,
            EscalationLevel::LongOverdue => self.head_of_service,
        }
    }
}

/// How many notifications a sweep recorded, by level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EscalationCounts {
    pub due_soon: u64,
    pub overdue: u64,
    pub long_overdue: u64,
}

impl EscalationCounts {
    pub fn total(&self) -> u64 {
        self.due_soon + self.overdue + self.long_overdue
    }

    fn add(&mut self, level: EscalationLevel, n: u64) {
        match level {
            EscalationLevel::DueSoon => self.due_soon += n,
            EscalationLevel::Overdue => self.overdue += n,
            EscalationLevel::LongOverdue => self.long_overdue += n,
        }
    }
}

/// One batch of a sweep.
#[derive(Clone, Copy, Debug)]
pub struct SweepBatch {
    pub today: NaiveDate,
    /// When the notification is recorded (the engine's clock).
    pub raised_at: DateTime<Utc>,
    /// Queue each new notification for the webhook, first attempt at this (wall-clock) time.
    pub webhook_from: Option<DateTime<Utc>>,
    /// Deadlines claimed per level.
    pub limit: u64,
}

/// Where a webhook delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    Delivered,
    /// Every attempt failed; no more will be made.
    Failed,
}

impl DeliveryStatus {
    pub fn key(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    fn from_key(key: &str) -> Result<Self, StoreError> {
        match key {
            "pending" => Ok(DeliveryStatus::Pending),
            "delivered" => Ok(DeliveryStatus::Delivered),
            "failed" => Ok(DeliveryStatus::Failed),
            other => Err(StoreError::Corrupt(format!("delivery status {other}"))),
        }
    }
}

/// A notification's delivery to the webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookDelivery {
    pub notification_id: Uuid,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<u16>,
    /// Why the last attempt failed, in the sender's words (never the payload).
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// What one attempt to deliver came to.
#[derive(Clone, Debug)]
pub struct DeliveryAttempt {
    pub at: DateTime<Utc>,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    /// `None` when delivered, or when no attempt is left; otherwise when to try again.
    pub retry_at: Option<DateTime<Utc>>,
}

impl DeliveryAttempt {
    fn delivered(&self) -> bool {
        self.error.is_none()
    }
}

/// A deadline that has reached a level and has no notification for it yet.
#[derive(Debug, FromQueryResult)]
struct Candidate {
    case_id: Uuid,
    deadline_key: String,
    due_on: NaiveDate,
    label: String,
    after_panel: bool,
    local_authority: String,
    team: Option<String>,
    allocated_worker: Option<String>,
}

/// Longest error text kept for a delivery (the column's width).
const MAX_ERROR_LEN: usize = 500;

impl Store {
    /// Records the notifications of one batch of deadlines per level, in one transaction.
    /// Returns how many were recorded and how many deadlines were claimed (a sweep is done
    /// when a batch claims none).
    pub async fn record_escalations(
        &self,
        settings: &EscalationSettings,
        batch: SweepBatch,
    ) -> Result<(EscalationCounts, u64), StoreError> {
        let tx = self.begin_write().await?;
        let mut counts = EscalationCounts::default();
        let mut claimed = 0;
        for level in EscalationLevel::ALL {
            let Some((from, to)) = settings.due_dates_reaching(level, batch.today) else {
                continue;
            };
            let query = self.escalation_candidates(level, from, to, batch.limit);
            let candidates = Candidate::find_by_statement(tx.get_database_backend().build(&query))
                .all(&tx)
                .await
                .map_err(StoreError::from_db)?;
            claimed += candidates.len() as u64;
            for candidate in candidates {
                if insert_notification(&tx, candidate, level, &batch).await? {
                    counts.add(level, 1);
                }
            }
        }
        tx.commit().await.map_err(StoreError::from_db)?;
        Ok((counts, claimed))
    }

    /// Deadlines due within `[from, to]` with no notification at `level`, claimed on
    /// PostgreSQL so that another process's sweep passes over them.
    fn escalation_candidates(
        &self,
        level: EscalationLevel,
        from: Option<NaiveDate>,
        to: NaiveDate,
        limit: u64,
    ) -> sea_orm::sea_query::SelectStatement {
        use case_deadlines::Column as D;
        use notifications::Column as N;
        let d = |c: D| (case_deadlines::Entity, c);
        let already = Query::select()
            .expr(Expr::val(1))
            .from(notifications::Entity)
            .and_where(Expr::col((notifications::Entity, N::CaseId)).equals(d(D::CaseId)))
            .and_where(Expr::col((notifications::Entity, N::DeadlineKey)).equals(d(D::DeadlineKey)))
            .and_where(Expr::col((notifications::Entity, N::DueOn)).equals(d(D::DueOn)))
            .and_where(Expr::col((notifications::Entity, N::Level)).eq(level.key()))
            .to_owned();
        let mut query = Query::select();
        query
            .columns([
                d(D::CaseId),
                d(D::DeadlineKey),
                d(D::DueOn),
                d(D::Label),
                d(D::AfterPanel),
                d(D::LocalAuthority),
                d(D::Team),
            ])
            .column((cases::Entity, cases::Column::AllocatedWorker))
            .from(case_deadlines::Entity)
            .inner_join(
                cases::Entity,
                Expr::col((cases::Entity, cases::Column::Id)).equals(d(D::CaseId)),
            )
            .and_where(Expr::col(d(D::DueOn)).lte(to))
            // A deadline not known from the return has no due date to reach a level by.
            .and_where(Expr::col(d(D::NotKnownFromReturn)).eq(false))
            .and_where(Expr::exists(already).not())
            .order_by(d(D::DueOn), sea_orm::Order::Asc)
            .order_by(d(D::CaseId), sea_orm::Order::Asc)
            .order_by(d(D::DeadlineKey), sea_orm::Order::Asc)
            .limit(limit);
        if let Some(from) = from {
            query.and_where(Expr::col(d(D::DueOn)).gte(from));
        }
        if self.backend == Backend::Postgres {
            query.lock_with_tables_behavior(
                LockType::Update,
                [case_deadlines::Entity],
                LockBehavior::SkipLocked,
            );
        }
        query
    }

    /// Notifications recorded after `sequence`, oldest first: what a process passes on to
    /// its subscribers.
    pub async fn notifications_after(
        &self,
        sequence: i64,
        limit: u64,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        notifications::Entity::find()
            .filter(notifications::Column::Sequence.gt(sequence))
            .order_by_asc(notifications::Column::Sequence)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .into_iter()
            .map(NotificationRecord::try_from)
            .collect()
    }

    /// The last notification's sequence (0 when there is none).
    pub async fn last_notification_sequence(&self) -> Result<i64, StoreError> {
        let last: Option<i64> = notifications::Entity::find()
            .select_only()
            .column_as(notifications::Column::Sequence.max(), "max")
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .flatten();
        Ok(last.unwrap_or(0))
    }

    /// A reader's notifications, newest first, before the cursor (a sequence).
    pub async fn notifications_for(
        &self,
        audience: &NotificationAudience,
        unacknowledged_only: bool,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        let mut query = notifications::Entity::find()
            .filter(audience.condition())
            .order_by_desc(notifications::Column::Sequence)
            .limit(limit);
        if unacknowledged_only {
            query = query.filter(notifications::Column::AcknowledgedAt.is_null());
        }
        if let Some(before) = before {
            query = query.filter(notifications::Column::Sequence.lt(before));
        }
        query
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .into_iter()
            .map(NotificationRecord::try_from)
            .collect()
    }

    /// Marks a notification addressed to the reader as acknowledged (once: acknowledging
    /// again keeps the first). `NotFound` when it does not exist or is not theirs.
    pub async fn acknowledge_notification(
        &self,
        id: Uuid,
        audience: &NotificationAudience,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<NotificationRecord, StoreError> {
        let tx = self.begin_write().await?;
        let found = notifications::Entity::find()
            .filter(notifications::Column::Id.eq(id))
            .filter(audience.condition())
            .one(&tx)
            .await
            .map_err(StoreError::from_db)?
            .ok_or(StoreError::NotFound)?;
        let model = if found.acknowledged_at.is_some() {
            found
        } else {
            let mut active: notifications::ActiveModel = found.into();
            active.acknowledged_at = Set(Some(at));
            active.acknowledged_by = Set(Some(by.to_owned()));
            active.update(&tx).await.map_err(StoreError::from_db)?
        };
        tx.commit().await.map_err(StoreError::from_db)?;
        NotificationRecord::try_from(model)
    }

    /// Claims up to `limit` deliveries due at `now` and pushes their next attempt to
    /// `lease_until`, so that no other sender takes them while this one tries.
    pub async fn claim_webhook_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<(WebhookDelivery, NotificationRecord)>, StoreError> {
        use webhook_deliveries::Column as W;
        let tx = self.begin_write().await?;
        let mut query = webhook_deliveries::Entity::find()
            .filter(W::Status.eq(DeliveryStatus::Pending.key()))
            .filter(W::NextAttemptAt.lte(now))
            .order_by_asc(W::NextAttemptAt)
            .limit(limit);
        if self.backend == Backend::Postgres {
            query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let due = query.all(&tx).await.map_err(StoreError::from_db)?;
        if due.is_empty() {
            tx.commit().await.map_err(StoreError::from_db)?;
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = due.iter().map(|d| d.notification_id).collect();
        webhook_deliveries::Entity::update_many()
            .col_expr(W::NextAttemptAt, Expr::val(lease_until))
            .filter(W::NotificationId.is_in(ids.iter().copied()))
            .exec(&tx)
            .await
            .map_err(StoreError::from_db)?;
        let mut notes: HashMap<Uuid, notifications::Model> = notifications::Entity::find()
            .filter(notifications::Column::Id.is_in(ids))
            .all(&tx)
            .await
            .map_err(StoreError::from_db)?
            .into_iter()
            .map(|n| (n.id, n))
            .collect();
        tx.commit().await.map_err(StoreError::from_db)?;
        due.into_iter()
            .map(|d| {
                let note = notes
                    .remove(&d.notification_id)
                    .ok_or_else(|| StoreError::Corrupt("delivery without notification".into()))?;
                Ok((WebhookDelivery::try_from(d)?, note.try_into()?))
            })
            .collect()
    }

    /// Records an attempt: delivered, to be retried at `retry_at`, or failed for good.
    pub async fn record_delivery_attempt(
        &self,
        notification_id: Uuid,
        attempt: &DeliveryAttempt,
    ) -> Result<WebhookDelivery, StoreError> {
        let tx = self.begin_write().await?;
        let found = webhook_deliveries::Entity::find_by_id(notification_id)
            .one(&tx)
            .await
            .map_err(StoreError::from_db)?
            .ok_or(StoreError::NotFound)?;
        let attempts = found.attempts + 1;
        let next_attempt_at = found.next_attempt_at;
        let mut active: webhook_deliveries::ActiveModel = found.into();
        active.attempts = Set(attempts);
        active.last_attempt_at = Set(Some(attempt.at));
        active.last_status_code = Set(attempt.status_code.map(i32::from));
        active.last_error = Set(attempt.error.as_deref().map(|e| truncate(e, MAX_ERROR_LEN)));
        let status = if attempt.delivered() {
            active.delivered_at = Set(Some(attempt.at));
            DeliveryStatus::Delivered
        } else if let Some(retry_at) = attempt.retry_at {
            active.next_attempt_at = Set(retry_at);
            DeliveryStatus::Pending
        } else {
            active.next_attempt_at = Set(next_attempt_at);
            DeliveryStatus::Failed
        };
        active.status = Set(status.key().to_owned());
        let model = active.update(&tx).await.map_err(StoreError::from_db)?;
        tx.commit().await.map_err(StoreError::from_db)?;
        WebhookDelivery::try_from(model)
    }

    /// Deliveries of notifications in the given authorities, most recently attempted first
    /// (those never attempted last), optionally of one status.
    pub async fn webhook_deliveries(
        &self,
        authorities: &[String],
        status: Option<DeliveryStatus>,
        limit: u64,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        use webhook_deliveries::Column as W;
        let in_authorities = Query::select()
            .column(notifications::Column::Id)
            .from(notifications::Entity)
            .and_where(notifications::Column::LocalAuthority.is_in(authorities.iter().cloned()))
            .to_owned();
        let mut query = webhook_deliveries::Entity::find()
            .filter(W::NotificationId.in_subquery(in_authorities))
            .order_by_with_nulls(W::LastAttemptAt, sea_orm::Order::Desc, NullOrdering::Last)
            .order_by_asc(W::NotificationId)
            .limit(limit);
        if let Some(status) = status {
            query = query.filter(W::Status.eq(status.key()));
        }
        query
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .into_iter()
            .map(WebhookDelivery::try_from)
            .collect()
    }
}

/// Inserts one notification (and its delivery, when a webhook is set) unless it exists.
async fn insert_notification<C: ConnectionTrait>(
    tx: &C,
    candidate: Candidate,
    level: EscalationLevel,
    batch: &SweepBatch,
) -> Result<bool, StoreError> {
    use notifications::Column as N;
    let id = Uuid::now_v7();
    let row = notifications::ActiveModel {
        id: Set(id),
        case_id: Set(candidate.case_id),
        deadline_key: Set(candidate.deadline_key),
        due_on: Set(candidate.due_on),
        level: Set(level.key().to_owned()),
        label: Set(candidate.label),
        after_panel: Set(candidate.after_panel),
        local_authority: Set(candidate.local_authority),
        team: Set(candidate.team),
        allocated_worker: Set(candidate.allocated_worker),
        raised_on: Set(batch.today),
        raised_at: Set(batch.raised_at),
        ..Default::default()
    };
    let once = OnConflict::columns([N::CaseId, N::DeadlineKey, N::DueOn, N::Level])
        .do_nothing()
        .to_owned();
    let inserted = notifications::Entity::insert(row)
        .on_conflict(once)
        .exec_without_returning(tx)
        .await;
    let inserted = match inserted {
        Ok(rows) => rows > 0,
        Err(sea_orm::DbErr::RecordNotInserted) => false,
        Err(e) => return Err(StoreError::from_db(e)),
    };
    if inserted && let Some(first_attempt) = batch.webhook_from {
        webhook_deliveries::ActiveModel {
            notification_id: Set(id),
            status: Set(DeliveryStatus::Pending.key().to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(first_attempt),
            last_attempt_at: Set(None),
            last_status_code: Set(None),
            last_error: Set(None),
            delivered_at: Set(None),
        }
        .insert(tx)
        .await
        .map_err(StoreError::from_db)?;
    }
    Ok(inserted)
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text.to_owned(),
    }
}

impl TryFrom<notifications::Model> for NotificationRecord {
    type Error = StoreError;

    fn try_from(m: notifications::Model) -> Result<Self, StoreError> {
        let level = EscalationLevel::from_key(&m.level)
            .ok_or_else(|| StoreError::Corrupt(format!("escalation level {}", m.level)))?;
        Ok(Self {
            id: m.id,
            sequence: m.sequence,
            case_id: CaseId(m.case_id),
            deadline_key: m.deadline_key,
            label: m.label,
            due_on: m.due_on,
            level,
            after_panel: m.after_panel,
            local_authority: m.local_authority,
            team: m.team,
            allocated_worker: m.allocated_worker,
            raised_on: m.raised_on,
            raised_at: m.raised_at,
            acknowledged_at: m.acknowledged_at,
            acknowledged_by: m.acknowledged_by,
        })
    }
}

impl TryFrom<webhook_deliveries::Model> for WebhookDelivery {
    type Error = StoreError;

    fn try_from(m: webhook_deliveries::Model) -> Result<Self, StoreError> {
        Ok(Self {
            notification_id: m.notification_id,
            status: DeliveryStatus::from_key(&m.status)?,
            attempts: u32::try_from(m.attempts).unwrap_or(0),
            next_attempt_at: m.next_attempt_at,
            last_attempt_at: m.last_attempt_at,
            last_status_code: m.last_status_code.and_then(|c| u16::try_from(c).ok()),
            last_error: m.last_error,
            delivered_at: m.delivered_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(
        level: EscalationLevel,
        team: Option<&str>,
        worker: Option<&str>,
    ) -> NotificationRecord {
        NotificationRecord {
            id: Uuid::nil(),
            sequence: 1,
            case_id: CaseId(Uuid::nil()),
            deadline_key: "review".into(),
            label: "Review".into(),
            due_on: NaiveDate::MIN,
            level,
            after_panel: false,
            local_authority: "E10000003".into(),
            team: team.map(str::to_owned),
            allocated_worker: worker.map(str::to_owned),
            raised_on: NaiveDate::MIN,
            raised_at: DateTime::<Utc>::MIN_UTC,
            acknowledged_at: None,
            acknowledged_by: None,
        }
    }

    #[test]
    fn each_tier_sees_its_own() {
        let authorities = vec!["E10000003".to_owned()];
        let worker = NotificationAudience {
            worker: Some("sw".into()),
            authorities: authorities.clone(),
            ..Default::default()
        };
        let manager = NotificationAudience {
            worker: Some("tm".into()),
            manager_of_teams: vec!["South".into()],
            authorities: authorities.clone(),
            ..Default::default()
        };
        let head = NotificationAudience {
            head_of_service: true,
            authorities,
            ..Default::default()
        };
        let soon = note(EscalationLevel::DueSoon, Some("South"), Some("sw"));
        let soon_unallocated = note(EscalationLevel::DueSoon, Some("South"), None);
        let overdue = note(EscalationLevel::Overdue, Some("South"), Some("sw"));
        let long = note(EscalationLevel::LongOverdue, Some("South"), Some("sw"));
        assert!(worker.includes(&soon));
        assert!(!worker.includes(&overdue) && !worker.includes(&long));
        assert!(!worker.includes(&soon_unallocated));
        assert!(manager.includes(&overdue) && manager.includes(&soon_unallocated));
        assert!(!manager.includes(&soon) && !manager.includes(&long));
        assert!(head.includes(&long) && !head.includes(&overdue));
        let elsewhere = NotificationRecord {
            local_authority: "E10000016".into(),
            ..long
        };
        assert!(!head.includes(&elsewhere));
    }
}
