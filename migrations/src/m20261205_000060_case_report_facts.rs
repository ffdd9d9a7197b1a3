//! What the measures read of each case (`CaseFacts`), kept beside the case.
//!
//! A report reads every case of an authority. Decoding each case's whole state for that is
//! most of a server's first report; these rows hold only what the measures read, in a compact
//! binary form, with the version of the case they were worked out from and the format that
//! wrote them. They are written with the case, in the same transaction, by every command and
//! by the import; `Store::migrate` fills them for cases written before this table (or by a
//! server of another format), from the cases' states. They are a projection: nothing is lost
//! if they are dropped, and rows of another format are worked out again, never read.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CaseReportFacts {
    Table,
    CaseId,
    LocalAuthority,
    ChildId,
    Version,
    Format,
    Facts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CaseReportFacts::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(CaseReportFacts::CaseId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(CaseReportFacts::LocalAuthority)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CaseReportFacts::ChildId).uuid().not_null())
                    .col(
                        ColumnDef::new(CaseReportFacts::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CaseReportFacts::Format).integer().not_null())
                    .col(ColumnDef::new(CaseReportFacts::Facts).binary().not_null())
                    .to_owned(),
            )
            .await?;
        // A report reads an authority's rows in case id order.
        manager
            .create_index(
                Index::create()
                    .name("idx_case_report_facts_authority")
                    .table(CaseReportFacts::Table)
                    .col(CaseReportFacts::LocalAuthority)
                    .col(CaseReportFacts::CaseId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CaseReportFacts::Table).to_owned())
            .await
    }
}
