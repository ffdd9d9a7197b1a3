//! On PostgreSQL, every change to a user or a token announces itself on the channel
//! `permanence_credentials`, so that a server may keep the tokens it has checked in memory and
//! forget them the moment any of them changes, whichever process (the `token revoke` and
//! `user disable` commands, another server, a single sign-on) made the change.
//!
//! A statement-level trigger catches every path that writes the two tables, SQL typed by hand
//! included. `pg_notify` is delivered when the transaction commits, and not at all when it
//! rolls back. SQLite has no notifications: a server on SQLite keeps no tokens in memory (its
//! look-up is in process and cheap).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The function that notifies, and a trigger on each table. The channel's name is the one the
/// server listens on (`permanence_store::CREDENTIALS_CHANNEL`).
const UP: &[&str] = &[
    "CREATE FUNCTION permanence_credentials_changed() RETURNS trigger AS $$ \
     BEGIN PERFORM pg_notify('permanence_credentials', TG_TABLE_NAME); RETURN NULL; END; \
     $$ LANGUAGE plpgsql",
    "CREATE TRIGGER users_announce_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE \
     ON users FOR EACH STATEMENT EXECUTE FUNCTION permanence_credentials_changed()",
    "CREATE TRIGGER api_tokens_announce_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE \
     ON api_tokens FOR EACH STATEMENT EXECUTE FUNCTION permanence_credentials_changed()",
];

const DOWN: &[&str] = &[
    "DROP TRIGGER api_tokens_announce_changes ON api_tokens",
    "DROP TRIGGER users_announce_changes ON users",
    "DROP FUNCTION permanence_credentials_changed()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_on_postgres(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_on_postgres(manager, DOWN).await
    }
}

async fn run_on_postgres(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}
