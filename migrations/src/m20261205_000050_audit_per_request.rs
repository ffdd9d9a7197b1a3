//! One audit row per request: a row names every record the request read (`records`, a list
//! the row's hash covers), and `audit_log_records` indexes those rows by record, so that "who
//! has looked at this child" stays one indexed lookup.
//!
//! Rows written before this migration name one record each in their own columns (`records`
//! is NULL) and are found through `audit_log_record`, as before; they are not copied into the
//! index. The index is append-only, as the log is: a read cannot be hidden from `audit show`
//! by deleting its index row without removing the guards, and `audit verify` compares the
//! index with the rows' lists.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Records,
}

#[derive(DeriveIden)]
enum AuditLogRecords {
    Table,
    Sequence,
    RecordKind,
    RecordId,
}

const SQLITE_GUARDS: &[&str] = &[
    "CREATE TRIGGER audit_log_records_no_update BEFORE UPDATE ON audit_log_records \
     BEGIN SELECT RAISE(ABORT, 'audit_log_records is append-only'); END",
    "CREATE TRIGGER audit_log_records_no_delete BEFORE DELETE ON audit_log_records \
     BEGIN SELECT RAISE(ABORT, 'audit_log_records is append-only'); END",
];

/// `audit_log_append_only()` is the log's own guard function (migration 3).
const POSTGRES_GUARDS: &[&str] = &[
    "CREATE TRIGGER audit_log_records_no_update_or_delete BEFORE UPDATE OR DELETE \
     ON audit_log_records FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_records_no_truncate BEFORE TRUNCATE ON audit_log_records \
     FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    // A JSON list of the records a request read; NULL on a row of one record.
                    .add_column(ColumnDef::new(AuditLog::Records).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLogRecords::Table)
                    .col(
                        ColumnDef::new(AuditLogRecords::Sequence)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditLogRecords::RecordKind)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditLogRecords::RecordId).text().not_null())
                    // The key is the lookup: one record's rows, in sequence order.
                    .primary_key(
                        Index::create()
                            .col(AuditLogRecords::RecordKind)
                            .col(AuditLogRecords::RecordId)
                            .col(AuditLogRecords::Sequence),
                    )
                    .to_owned(),
            )
            .await?;
        // For `audit verify`, which compares a page of rows with their index entries.
        manager
            .create_index(
                Index::create()
                    .name("audit_log_records_sequence")
                    .table(AuditLogRecords::Table)
                    .col(AuditLogRecords::Sequence)
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let guards = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_GUARDS,
            _ => SQLITE_GUARDS,
        };
        for statement in guards {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping the table drops its triggers on both backends.
        manager
            .drop_table(Table::drop().table(AuditLogRecords::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .drop_column(AuditLog::Records)
                    .to_owned(),
            )
            .await
    }
}
