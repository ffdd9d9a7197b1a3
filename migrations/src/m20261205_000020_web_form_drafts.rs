//! What a person had typed into a form when their session ended: kept for their next session
//! (one per session, for one page), so that signing in again brings it back to the form.
//! The row goes when the form takes it back, and with the session.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebSessions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WebFormDrafts {
    Table,
    SessionId,
    Path,
    Fields,
    SavedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebFormDrafts::Table)
                    .col(
                        ColumnDef::new(WebFormDrafts::SessionId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(WebFormDrafts::Path).text().not_null())
                    .col(ColumnDef::new(WebFormDrafts::Fields).text().not_null())
                    .col(
                        ColumnDef::new(WebFormDrafts::SavedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebFormDrafts::Table, WebFormDrafts::SessionId)
                            .to(WebSessions::Table, WebSessions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebFormDrafts::Table).to_owned())
            .await
    }
}
