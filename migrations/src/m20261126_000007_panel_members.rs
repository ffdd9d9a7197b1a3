//! Who sits on each panel meeting. A panel member reads the cases on the agendas of the
//! meetings they sit on (as its chair or as a member), and nothing else.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PanelMembers {
    Table,
    MeetingId,
    Member,
}

#[derive(DeriveIden)]
enum PanelMeetings {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PanelMembers::Table)
                    .col(ColumnDef::new(PanelMembers::MeetingId).uuid().not_null())
                    .col(
                        ColumnDef::new(PanelMembers::Member)
                            .string_len(100)
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(PanelMembers::MeetingId)
                            .col(PanelMembers::Member),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PanelMembers::Table, PanelMembers::MeetingId)
                            .to(PanelMeetings::Table, PanelMeetings::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // A member's reach: the meetings they sit on.
        manager
            .create_index(
                Index::create()
                    .name("panel_members_member")
                    .table(PanelMembers::Table)
                    .col(PanelMembers::Member)
                    .col(PanelMembers::MeetingId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PanelMembers::Table).to_owned())
            .await
    }
}
