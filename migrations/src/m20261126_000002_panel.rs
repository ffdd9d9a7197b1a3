//! The permanence panel: meetings, the items on their agendas, the documents each item
//! needs; and, on `cases`, the date of the primary plan's current step, so that the panel
//! queue can say how long a case has waited without reading every case's state.
//! `processed_commands` learns which record a command created, so that scheduling a
//! meeting or adding an agenda item twice with one command id creates one.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PanelMeetings {
    Table,
    Id,
    LocalAuthority,
    Kind,
    SitsOn,
    Chair,
    QuorumNotes,
    Status,
    Version,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PanelItems {
    Table,
    Id,
    MeetingId,
    CaseId,
    Purpose,
    Position,
    Status,
    RecommendationOn,
    DeferralReason,
    ReturnBy,
    DecisionAgrees,
    DecisionOn,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PanelDocuments {
    Table,
    CaseId,
    Purpose,
    Document,
    Ready,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    PrimaryStepOn,
    Status,
    LocalAuthority,
}

#[derive(DeriveIden)]
enum ProcessedCommands {
    Table,
    RecordId,
}

/// One open item (on an agenda or waiting for its decision) per case and purpose: the
/// database keeps the rule when two administrators add the same case at once.
const ONE_OPEN_ITEM_PER_CASE_AND_PURPOSE: &str = "CREATE UNIQUE INDEX panel_items_one_open \
     ON panel_items (case_id, purpose) WHERE status IN ('SCHEDULED', 'RECOMMENDED')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PanelMeetings::Table)
                    .col(
                        ColumnDef::new(PanelMeetings::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(PanelMeetings::LocalAuthority)
                            .string_len(9)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PanelMeetings::Kind)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(ColumnDef::new(PanelMeetings::SitsOn).date().not_null())
                    .col(
                        ColumnDef::new(PanelMeetings::Chair)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(PanelMeetings::QuorumNotes).text().null())
                    .col(
                        ColumnDef::new(PanelMeetings::Status)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PanelMeetings::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PanelMeetings::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("panel_meetings_authority_sits_on")
                    .table(PanelMeetings::Table)
                    .col(PanelMeetings::LocalAuthority)
                    .col(PanelMeetings::SitsOn)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PanelItems::Table)
                    .col(
                        ColumnDef::new(PanelItems::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(PanelItems::MeetingId).uuid().not_null())
                    .col(ColumnDef::new(PanelItems::CaseId).uuid().not_null())
                    .col(
                        ColumnDef::new(PanelItems::Purpose)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(ColumnDef::new(PanelItems::Position).integer().not_null())
                    .col(ColumnDef::new(PanelItems::Status).string_len(20).not_null())
                    .col(ColumnDef::new(PanelItems::RecommendationOn).date().null())
                    .col(ColumnDef::new(PanelItems::DeferralReason).text().null())
                    .col(ColumnDef::new(PanelItems::ReturnBy).date().null())
                    .col(ColumnDef::new(PanelItems::DecisionAgrees).boolean().null())
                    .col(ColumnDef::new(PanelItems::DecisionOn).date().null())
                    .col(ColumnDef::new(PanelItems::Version).big_integer().not_null())
                    .col(
                        ColumnDef::new(PanelItems::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PanelItems::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PanelItems::Table, PanelItems::MeetingId)
                            .to(PanelMeetings::Table, PanelMeetings::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PanelItems::Table, PanelItems::CaseId)
                            .to(Cases::Table, Cases::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("panel_items_case", PanelItems::CaseId),
            ("panel_items_meeting", PanelItems::MeetingId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(PanelItems::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("panel_items_status_recommendation_on")
                    .table(PanelItems::Table)
                    .col(PanelItems::Status)
                    .col(PanelItems::RecommendationOn)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PanelDocuments::Table)
                    .col(ColumnDef::new(PanelDocuments::CaseId).uuid().not_null())
                    .col(
                        ColumnDef::new(PanelDocuments::Purpose)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PanelDocuments::Document)
                            .string_len(60)
                            .not_null(),
                    )
                    .col(ColumnDef::new(PanelDocuments::Ready).boolean().not_null())
                    .col(
                        ColumnDef::new(PanelDocuments::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(PanelDocuments::CaseId)
                            .col(PanelDocuments::Purpose)
                            .col(PanelDocuments::Document),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PanelDocuments::Table, PanelDocuments::CaseId)
                            .to(Cases::Table, Cases::Id),
                    )
                    .to_owned(),
            )
            .await?;

        // SQLite adds one column per ALTER TABLE statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(ColumnDef::new(Cases::PrimaryStepOn).date().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("cases_panel_queue")
                    .table(Cases::Table)
                    .col(Cases::LocalAuthority)
                    .col(Cases::Status)
                    .col(Cases::PrimaryStepOn)
                    .col(Cases::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ProcessedCommands::Table)
                    .add_column(ColumnDef::new(ProcessedCommands::RecordId).uuid().null())
                    .to_owned(),
            )
            .await?;

        manager
            .get_connection()
            .execute_unprepared(ONE_OPEN_ITEM_PER_CASE_AND_PURPOSE)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("cases_panel_queue")
                    .table(Cases::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .drop_column(Cases::PrimaryStepOn)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ProcessedCommands::Table)
                    .drop_column(ProcessedCommands::RecordId)
                    .to_owned(),
            )
            .await?;
        for table in [
            PanelDocuments::Table.into_iden(),
            PanelItems::Table.into_iden(),
            PanelMeetings::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
