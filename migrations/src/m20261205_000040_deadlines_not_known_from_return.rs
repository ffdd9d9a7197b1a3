//! A deadline not known from the return: an imported period of care whose return did not
//! carry a care-planning chain (no Reviews table, no dated health assessments, a period that
//! began before the return's history) has that chain's deadline marked as such, until a
//! worker records its next link. Drift, its counts, the lists' order and escalation read
//! only the deadlines that are known; the rest can be asked for by their own status.
//!
//! Deadlines are rewritten from the case's state by every command on the case, so rows
//! written before this migration are known (as they were) until their case next changes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CaseDeadlines {
    Table,
    NotKnownFromReturn,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CaseDeadlines::Table)
                    .add_column(
                        ColumnDef::new(CaseDeadlines::NotKnownFromReturn)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CaseDeadlines::Table)
                    .drop_column(CaseDeadlines::NotKnownFromReturn)
                    .to_owned(),
            )
            .await
    }
}
