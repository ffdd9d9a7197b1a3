//! The connection: opening the database (SQLite or PostgreSQL), applying its migrations,
//! checking it answers, and the transactions every write runs in.

use crate::{StoreError, case_states, connection_release, sqlite_url};
use permanence_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use std::time::Duration;

/// Which database the store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) db: DatabaseConnection,
    pub(crate) backend: Backend,
    /// Kept so that another pool can be opened on the same database (several processes'
    /// worth, in tests and benchmarks). Never logged: it may hold a password.
    pub(crate) url: std::sync::Arc<str>,
    /// Cases' states as last parsed, shared by the store's clones (see `case_states`).
    pub(crate) case_states: std::sync::Arc<case_states::CaseStates>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

/// How long a SQLite writer waits for the lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A pooled PostgreSQL connection idle this long is checked before it is used again.
const POSTGRES_CHECK_IF_IDLE_FOR: Duration = Duration::from_secs(1);

impl Store {
    /// Connects to `sqlite://path` (the file is created when missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Config(
                "the database URL must start with sqlite: or postgres://".into(),
            ));
        };
        // `synchronous=normal` on a SQLite URL trades the last commits on a power cut for speed.
        let (sqlx_url, synchronous) = match backend {
            Backend::Sqlite => sqlite_url::synchronous(url)?,
            Backend::Postgres => (
                url.to_owned(),
                sea_orm::sqlx::sqlite::SqliteSynchronous::Full,
            ),
        };
        let mut options = ConnectOptions::new(sqlx_url);
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            // WAL lets readers run beside the one writer; FULL sync (the default) keeps a
            // committed step through a power cut; foreign keys are off by default in SQLite.
            options
                .max_connections(8)
                .map_sqlx_sqlite_opts(move |opts| {
                    opts.create_if_missing(true)
                        .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                        .synchronous(synchronous)
                        .busy_timeout(SQLITE_BUSY_TIMEOUT)
                        .foreign_keys(true)
                })
                .map_sqlx_sqlite_pool_opts(connection_release::discard_if_in_transaction);
        } else {
            // PostgreSQL ends a transaction whose COMMIT fails, but a connection whose
            // ROLLBACK did not go through must not be reused either.
            //
            // sqlx checks a connection with a round trip when it comes back to the pool, and
            // by default again when it is taken out: two round trips for every query beside
            // the query's own. A connection that passed the first check moments ago is checked
            // again only once it has been idle a while (a database restart takes longer),
            // so a busy server makes one check a query, not two.
            options
                .max_connections(16)
                .test_before_acquire_if_idle_for(POSTGRES_CHECK_IF_IDLE_FOR)
                .map_sqlx_postgres_pool_opts(connection_release::discard_if_in_transaction);
        }
        let db = Database::connect(options)
            .await
            .map_err(StoreError::from_db)?;
        Ok(Self {
            db,
            backend,
            url: url.into(),
            case_states: std::sync::Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL the store was opened with.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Applies every migration not yet applied.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None)
            .await
            .map_err(StoreError::from_db)?;
        self.backfill_primary_step_on().await?;
        self.fill_report_facts().await.map(|_| ())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.map_err(StoreError::from_db)
    }

    /// What SQLite's `PRAGMA integrity_check` finds wrong with the file (nothing when it
    /// answers `ok`). PostgreSQL checks its pages itself: nothing to report there.
    pub async fn integrity_problems(&self) -> Result<Vec<String>, StoreError> {
        if self.backend == Backend::Postgres {
            return Ok(Vec::new());
        }
        let rows = self
            .db
            .query_all_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                "PRAGMA integrity_check",
            ))
            .await
            .map_err(StoreError::from_db)?;
        let mut problems = Vec::new();
        for row in rows {
            let line: String = row.try_get_by_index(0).map_err(StoreError::from_db)?;
            if line != "ok" {
                problems.push(line);
            }
        }
        Ok(problems)
    }

    /// Begins a transaction that writes.
    pub(crate) async fn begin_write(&self) -> Result<DatabaseTransaction, StoreError> {
        let options = match self.backend {
            // Taking the write lock at BEGIN avoids the deadlock of two readers upgrading.
            Backend::Sqlite => TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            },
            Backend::Postgres => TransactionOptions::default(),
        };
        self.db
            .begin_with_options(options)
            .await
            .map_err(StoreError::from_db)
    }

    /// Runs a statement directly, for tests of the database's own guards (append-only).
    /// Returns the database's refusal as an error message.
    pub async fn execute_raw_for_tests(&self, sql: &str) -> Result<u64, String> {
        self.db
            .execute_unprepared(sql)
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| e.to_string())
    }
}
