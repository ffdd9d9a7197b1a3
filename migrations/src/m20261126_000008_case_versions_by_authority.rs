//! Reports ask first how many cases an authority has and the sum of their versions, and when
//! that moved, every case's id and version (see `permanence_engine::reports`). With the version
//! in the authority-and-id index, both are answered from the index alone: without it, each
//! read walked the whole `cases` table, whose rows hold every case's state (about 60 ms for
//! 120,000 children on PostgreSQL). The index replaces migration 4's, of which it is an
//! extension: reading an authority's cases in id order still uses it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cases {
    Table,
    LocalAuthority,
    Id,
    Version,
}

const INDEX: &str = "cases_local_authority_id_version";
/// Migration 4's index.
const REPLACED: &str = "cases_local_authority_id";

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
                    .col(Cases::Version)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(REPLACED).table(Cases::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(REPLACED)
                    .table(Cases::Table)
                    .col(Cases::LocalAuthority)
                    .col(Cases::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(INDEX).table(Cases::Table).to_owned())
            .await
    }
}
