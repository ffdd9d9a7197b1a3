//! The Public Law Outline for children who live at home (`permanence_domain::legal_at_home`).
//!
//! A child's legal track while they are not in care has no period of care to live on: it is a
//! record of its own, one per child, kept as events like a case (`child_legal_events`,
//! append-only) with its state beside them (`child_legal_records`), written together in one
//! transaction. `under_way` lets the list of children in pre-proceedings or proceedings at
//! home read only theirs.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChildLegalRecords {
    Table,
    ChildId,
    LocalAuthority,
    Team,
    Version,
    UnderWay,
    State,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ChildLegalEvents {
    Table,
    Id,
    ChildId,
    Sequence,
    EventType,
    Payload,
    Actor,
    OccurredOn,
    RecordedAt,
    CommandId,
    Note,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChildLegalRecords::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(ChildLegalRecords::ChildId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ChildLegalRecords::LocalAuthority)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ChildLegalRecords::Team).string().null())
                    .col(
                        ColumnDef::new(ChildLegalRecords::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ChildLegalRecords::UnderWay)
                            .boolean()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ChildLegalRecords::State).text().not_null())
                    .col(
                        ColumnDef::new(ChildLegalRecords::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_child_legal_records_under_way")
                    .table(ChildLegalRecords::Table)
                    .col(ChildLegalRecords::LocalAuthority)
                    .col(ChildLegalRecords::UnderWay)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChildLegalEvents::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(ChildLegalEvents::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ChildLegalEvents::ChildId).uuid().not_null())
                    .col(
                        ColumnDef::new(ChildLegalEvents::Sequence)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ChildLegalEvents::EventType)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ChildLegalEvents::Payload).text().not_null())
                    .col(ColumnDef::new(ChildLegalEvents::Actor).string().not_null())
                    .col(
                        ColumnDef::new(ChildLegalEvents::OccurredOn)
                            .date()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ChildLegalEvents::RecordedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ChildLegalEvents::CommandId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ChildLegalEvents::Note).text().null())
                    .to_owned(),
            )
            .await?;
        // One event per place in a child's history: two writers cannot both append the next.
        manager
            .create_index(
                Index::create()
                    .name("idx_child_legal_events_sequence")
                    .table(ChildLegalEvents::Table)
                    .col(ChildLegalEvents::ChildId)
                    .col(ChildLegalEvents::Sequence)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChildLegalEvents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ChildLegalRecords::Table).to_owned())
            .await
    }
}
