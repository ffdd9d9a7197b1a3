//! A command id is a duplicate only of the same command: the same kind of command on the same
//! case or child. Each processed command now records its kind, and an opening of a case
//! records the child it was opened for, so that an id sent again with another command, or
//! on another case or child (perhaps another authority's), is refused instead of answered
//! with the other command's record.
//!
//! Rows written before this migration have no kind; they are recognised by their target
//! alone, as before, and openings get their child from the case they opened (an opening is
//! the only command that leaves a case at version 1).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProcessedCommands {
    Table,
    CommandKind,
}

const BACKFILL_OPENINGS: &str = "UPDATE processed_commands \
     SET child_id = (SELECT cases.child_id FROM cases WHERE cases.id = processed_commands.case_id) \
     WHERE child_id IS NULL AND case_id IS NOT NULL AND version = 1";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProcessedCommands::Table)
                    .add_column(
                        ColumnDef::new(ProcessedCommands::CommandKind)
                            .string_len(40)
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(BACKFILL_OPENINGS)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProcessedCommands::Table)
                    .drop_column(ProcessedCommands::CommandKind)
                    .to_owned(),
            )
            .await
    }
}
