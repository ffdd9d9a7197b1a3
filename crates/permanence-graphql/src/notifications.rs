//! Escalation notifications in the API: each user's own list, acknowledging one, the live
//! feed, and the webhook's deliveries for administrators.
//!
//! Whom a notification is addressed to follows from the reader's role: a social worker gets
//! the due-soon notices of the cases allocated to them; a team manager those, and the overdue
//! notices of their teams' cases (and due-soon notices of cases no one is allocated to); a
//! leader, as head of service, the long-overdue notices of their authorities. The store
//! applies the same audience to lists, acknowledgements and the feed.

use crate::context::engine;
use crate::error::{ApiResult, ErrorCode, api_error, validation};
use crate::guard;
use crate::panel::mirror_enum;
use crate::scalars::Date;
use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Object, Result, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use permanence_auth::{Action, Target, authorize};
use permanence_domain::escalation as domain;
use permanence_engine::store::{
    self as store, NotificationAudience, NotificationRecord, StoreError, WebhookDelivery,
};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;
use uuid::Uuid;

mirror_enum!(
    /// How far a deadline has gone: due soon, overdue, or overdue for long.
    NotificationLevel <=> domain::EscalationLevel { DueSoon, Overdue, LongOverdue }
);
mirror_enum!(
    /// Whom a level is addressed to.
    NotificationTier <=> domain::EscalationTier { AllocatedWorker, TeamManager, HeadOfService }
);
mirror_enum!(
    /// Where a webhook delivery stands.
    DeliveryStatus <=> store::DeliveryStatus { Pending, Delivered, Failed }
);

/// The reader's audience, once the policy lets them read notifications at all.
fn audience_for(ctx: &Context<'_>, action: Action) -> Result<NotificationAudience> {
    let principal = guard::principal(ctx)?;
    authorize(principal, action, Target::None).map_err(guard::forbidden)?;
    Ok(NotificationAudience::for_principal(principal))
}

/// An escalation: a deadline of a case has reached a level, and the tier it is addressed to
/// has been told.
pub struct NotificationNode(pub NotificationRecord);

#[Object(name = "Notification")]
impl NotificationNode {
    async fn id(&self) -> Uuid {
        self.0.id
    }

    async fn level(&self) -> NotificationLevel {
        self.0.level.into()
    }

    async fn tier(&self) -> NotificationTier {
        self.0.level.tier().into()
    }

    async fn case_id(&self) -> Uuid {
        self.0.case_id.0
    }

    /// The deadline's key within its case (as in `Case.deadlines`).
    async fn deadline(&self) -> &str {
        &self.0.deadline_key
    }

    /// What is due, as the deadline names it.
    async fn label(&self) -> &str {
        &self.0.label
    }

    async fn due_on(&self) -> Date {
        self.0.due_on.into()
    }

    /// The deadline follows a panel recommendation or decision.
    async fn after_panel(&self) -> bool {
        self.0.after_panel
    }

    async fn local_authority(&self) -> &str {
        &self.0.local_authority
    }

    async fn team(&self) -> Option<&str> {
        self.0.team.as_deref()
    }

    /// The date the level was reached and the notification recorded.
    async fn raised_on(&self) -> Date {
        self.0.raised_on.into()
    }

    async fn raised_at(&self) -> DateTime<Utc> {
        self.0.raised_at
    }

    async fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.0.acknowledged_at
    }

    async fn acknowledged_by(&self) -> Option<&str> {
        self.0.acknowledged_by.as_deref()
    }
}

/// A notification's delivery to the authority's webhook.
pub struct WebhookDeliveryNode(WebhookDelivery);

#[Object(name = "WebhookDelivery")]
impl WebhookDeliveryNode {
    async fn notification_id(&self) -> Uuid {
        self.0.notification_id
    }

    async fn status(&self) -> DeliveryStatus {
        self.0.status.into()
    }

    /// Attempts made so far.
    async fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// When the next attempt is due (pending deliveries).
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        (self.0.status == store::DeliveryStatus::Pending).then_some(self.0.next_attempt_at)
    }

    async fn last_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_attempt_at
    }

    /// The HTTP status of the last answer, when there was one.
    async fn last_status_code(&self) -> Option<u16> {
        self.0.last_status_code
    }

    /// Why the last attempt failed.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
}

/// The most items one page of notifications or deliveries holds.
const MAX_PAGE: i32 = crate::MAX_PAGE_SIZE as i32;

fn page_size(first: Option<i32>) -> Result<u64> {
    match first.unwrap_or(20) {
        n if n < 1 => Err(validation("first", "must be at least 1")),
        n if n > MAX_PAGE => Err(validation("first", format!("must be at most {MAX_PAGE}"))),
        n => Ok(n as u64),
    }
}

/// `notifications`: the reader's notifications, newest first.
pub(crate) async fn notifications(
    ctx: &Context<'_>,
    unacknowledged_only: bool,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Connection<String, NotificationNode, EmptyFields, EmptyFields>> {
    let audience = audience_for(ctx, Action::ReadNotifications)?;
    let limit = page_size(first)?;
    let before = after
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| validation("after", "not a cursor from this list"))
        })
        .transpose()?;
    let mut rows = engine(ctx)?
        .store()
        .notifications_for(&audience, unacknowledged_only, before, limit + 1)
        .await
        .api()?;
    let has_next = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let mut connection = Connection::new(before.is_some(), has_next);
    connection.edges.extend(
        rows.into_iter()
            .map(|n| Edge::new(n.sequence.to_string(), NotificationNode(n))),
    );
    Ok(connection)
}

/// `webhookDeliveries`: for administrators, most recently attempted first.
pub(crate) async fn webhook_deliveries(
    ctx: &Context<'_>,
    status: Option<DeliveryStatus>,
    local_authority: Option<String>,
    first: Option<i32>,
) -> Result<Vec<WebhookDeliveryNode>> {
    let authorities = guard::report_authorities(
        ctx,
        Action::ReadWebhookDeliveries,
        local_authority.as_deref(),
    )?;
    let rows = engine(ctx)?
        .store()
        .webhook_deliveries(&authorities, status.map(Into::into), page_size(first)?)
        .await
        .api()?;
    Ok(rows.into_iter().map(WebhookDeliveryNode).collect())
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks a notification addressed to you as seen. Acknowledging it again keeps the first
    /// acknowledgement.
    async fn acknowledge_notification(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> Result<NotificationNode> {
        let audience = audience_for(ctx, Action::AcknowledgeNotification)?;
        let principal = guard::principal(ctx)?;
        let engine = engine(ctx)?;
        match engine
            .store()
            .acknowledge_notification(id, &audience, &principal.user_id, engine.now())
            .await
        {
            Ok(record) => Ok(NotificationNode(record)),
            // Someone else's notification is answered as a missing one.
            Err(StoreError::NotFound) => Err(api_error(
                ErrorCode::NotFound,
                "notification not found",
                Some("id"),
            )),
            Err(other) => Err(crate::error::internal(other)),
        }
    }
}

#[derive(Default)]
pub struct NotificationSubscription;

#[Subscription]
impl NotificationSubscription {
    /// Notifications addressed to you, as they are recorded (by any server process).
    async fn notification_raised(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = NotificationNode>> {
        let audience = audience_for(ctx, Action::ReadNotifications)?;
        let raised = BroadcastStream::new(engine(ctx)?.subscribe_notifications());
        Ok(raised.filter_map(move |note| match note {
            Ok(note) if audience.includes(&note) => Some(NotificationNode(note)),
            // A lagging subscriber skips ahead: the list query has everything.
            _ => None,
        }))
    }
}
