//! An index for reading an authority's cases in id order (reports read every case in pages).
//! Without it, SQLite sorted every remaining case again for each page, so the report's load grew
//! with the square of the number of cases (seen with `permanence-bench` at 10,000 children).
//! SQLite's planner takes it once it has statistics (`ANALYZE`); on a database without them
//! it may still choose the panel-queue index.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cases {
    Table,
    LocalAuthority,
    Id,
}

const INDEX: &str = "cases_local_authority_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Cases::Table)
                    .col(Cases::LocalAuthority)
                    .col(Cases::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Cases::Table).to_owned())
            .await
    }
}
