//! The national return's facts about a child (SSDA903 Header: UPN, MOTHER, MC_DOB), kept as
//! one JSON column beside the child's identity. Nullable: children registered before it read
//! as having none recorded.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Children {
    Table,
    ReturnFacts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Children::Table)
                    .add_column(ColumnDef::new(Children::ReturnFacts).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Children::Table)
                    .drop_column(Children::ReturnFacts)
                    .to_owned(),
            )
            .await
    }
}
