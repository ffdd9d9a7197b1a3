//! Sibling groups: a record of their own, event-sourced as cases are.
//!
//! `sibling_group_events` is append-only (a trigger on each backend refuses UPDATE, DELETE
//! and, on PostgreSQL, TRUNCATE); `sibling_groups` is the projection of each group's state
//! with its version; `sibling_group_members` maps each member case to its group, and its
//! primary key on the case is what keeps a case in one group at a time, even when two
//! requests race.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SiblingGroups {
    Table,
    Id,
    LocalAuthority,
    Version,
    State,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SiblingGroupEvents {
    Table,
    Id,
    GroupId,
    Sequence,
    EventType,
    Payload,
    Actor,
    OccurredOn,
    RecordedAt,
    CommandId,
}

#[derive(DeriveIden)]
enum SiblingGroupMembers {
    Table,
    CaseId,
    GroupId,
}

const SQLITE_APPEND_ONLY: &[&str] = &[
    "CREATE TRIGGER sibling_group_events_no_update BEFORE UPDATE ON sibling_group_events \
     BEGIN SELECT RAISE(ABORT, 'sibling_group_events is append-only'); END",
    "CREATE TRIGGER sibling_group_events_no_delete BEFORE DELETE ON sibling_group_events \
     BEGIN SELECT RAISE(ABORT, 'sibling_group_events is append-only'); END",
];

const POSTGRES_APPEND_ONLY: &[&str] = &[
    "CREATE FUNCTION sibling_group_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN RAISE EXCEPTION 'sibling_group_events is append-only'; END $$",
    "CREATE TRIGGER sibling_group_events_no_update_or_delete BEFORE UPDATE OR DELETE \
     ON sibling_group_events FOR EACH ROW EXECUTE FUNCTION sibling_group_events_append_only()",
    "CREATE TRIGGER sibling_group_events_no_truncate BEFORE TRUNCATE ON sibling_group_events \
     FOR EACH STATEMENT EXECUTE FUNCTION sibling_group_events_append_only()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SiblingGroups::Table)
                    .col(
                        ColumnDef::new(SiblingGroups::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SiblingGroups::LocalAuthority)
                            .string_len(9)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SiblingGroups::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(SiblingGroups::State).text().not_null())
                    .col(
                        ColumnDef::new(SiblingGroups::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SiblingGroupEvents::Table)
                    .col(
                        ColumnDef::new(SiblingGroupEvents::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SiblingGroupEvents::GroupId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SiblingGroupEvents::Sequence)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SiblingGroupEvents::EventType)
                            .string_len(60)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SiblingGroupEvents::Payload)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SiblingGroupEvents::Actor)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SiblingGroupEvents::OccurredOn)
                            .date()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SiblingGroupEvents::RecordedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SiblingGroupEvents::CommandId)
                            .uuid()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SiblingGroupEvents::Table, SiblingGroupEvents::GroupId)
                            .to(SiblingGroups::Table, SiblingGroups::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Gap-free sequence per group, as for a case's events.
        manager
            .create_index(
                Index::create()
                    .name("sibling_group_events_sequence")
                    .table(SiblingGroupEvents::Table)
                    .col(SiblingGroupEvents::GroupId)
                    .col(SiblingGroupEvents::Sequence)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SiblingGroupMembers::Table)
                    .col(
                        ColumnDef::new(SiblingGroupMembers::CaseId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SiblingGroupMembers::GroupId)
                            .uuid()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SiblingGroupMembers::Table, SiblingGroupMembers::GroupId)
                            .to(SiblingGroups::Table, SiblingGroups::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sibling_group_members_group")
                    .table(SiblingGroupMembers::Table)
                    .col(SiblingGroupMembers::GroupId)
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let guards = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_APPEND_ONLY,
            _ => SQLITE_APPEND_ONLY,
        };
        for statement in guards {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SiblingGroupMembers::Table.into_iden(),
            SiblingGroupEvents::Table.into_iden(),
            SiblingGroups::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS sibling_group_events_append_only()")
                .await?;
        }
        Ok(())
    }
}
