//! Escalations: a notification for each deadline that becomes due soon or overdue, at each
//! tier, and its delivery to the authority's webhook.
//!
//! A notification is recorded once per (case, deadline, due date, level): the unique index is
//! what makes that true when several server processes sweep the same database at once (they
//! also split the work with `FOR UPDATE SKIP LOCKED`, which only saves them effort). A due
//! date that moves (an extension) is a new deadline as far as escalation goes.
//!
//! `sequence` numbers notifications in the order they were recorded, so that every server
//! process can pass on to its own subscribers the notifications other processes recorded.
//! The webhook delivery row is written in the same transaction as its notification, so that
//! no notification is lost between being recorded and being queued for sending.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Sequence,
    Id,
    CaseId,
    DeadlineKey,
    DueOn,
    Level,
    Label,
    AfterPanel,
    LocalAuthority,
    Team,
    AllocatedWorker,
    RaisedOn,
    RaisedAt,
    AcknowledgedAt,
    AcknowledgedBy,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    NotificationId,
    Status,
    Attempts,
    NextAttemptAt,
    LastAttemptAt,
    LastStatusCode,
    LastError,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(
                        ColumnDef::new(Notifications::Sequence)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Notifications::Id)
                            .uuid()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Notifications::CaseId).uuid().not_null())
                    .col(
                        ColumnDef::new(Notifications::DeadlineKey)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Notifications::DueOn).date().not_null())
                    .col(
                        ColumnDef::new(Notifications::Level)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Notifications::Label)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Notifications::AfterPanel)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Notifications::LocalAuthority)
                            .string_len(9)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Notifications::Team).string_len(100).null())
                    .col(
                        ColumnDef::new(Notifications::AllocatedWorker)
                            .string_len(100)
                            .null(),
                    )
                    .col(ColumnDef::new(Notifications::RaisedOn).date().not_null())
                    .col(
                        ColumnDef::new(Notifications::RaisedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Notifications::AcknowledgedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Notifications::AcknowledgedBy)
                            .string_len(100)
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notifications::Table, Notifications::CaseId)
                            .to(Cases::Table, Cases::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notifications_once")
                    .table(Notifications::Table)
                    .col(Notifications::CaseId)
                    .col(Notifications::DeadlineKey)
                    .col(Notifications::DueOn)
                    .col(Notifications::Level)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Each recipient's list: a worker's by username, a manager's by team, a head of
        // service's by authority.
        manager
            .create_index(
                Index::create()
                    .name("notifications_worker")
                    .table(Notifications::Table)
                    .col(Notifications::AllocatedWorker)
                    .col(Notifications::Sequence)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notifications_authority_team")
                    .table(Notifications::Table)
                    .col(Notifications::LocalAuthority)
                    .col(Notifications::Team)
                    .col(Notifications::Sequence)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(
                        ColumnDef::new(WebhookDeliveries::NotificationId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::Status)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::Attempts)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::NextAttemptAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::LastAttemptAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::LastStatusCode)
                            .integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::LastError)
                            .string_len(500)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::DeliveredAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::NotificationId)
                            .to(Notifications::Table, Notifications::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Notifications::Table).to_owned())
            .await
    }
}
