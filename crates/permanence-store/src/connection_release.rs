//! A connection goes back to the pool only outside any transaction.
//!
//! When a COMMIT fails (SQLite on a full disk), sqlx still counts the transaction as open,
//! and the ROLLBACK sea-orm sends as the transaction is dropped can fail as well, leaving
//! SQLite's transaction open too. Back in the pool, such a connection turns the next
//! `begin` into a SAVEPOINT inside the failed transaction (sea-orm nests when sqlx counts one
//! open): that command's "commit" only releases the savepoint, so it is answered as done
//! and never committed, and the transaction left open keeps SQLite's write lock, so every
//! other writer fails with "database is locked" until the process ends. Closing the
//! connection instead rolls back whatever it held and frees the lock; the pool opens a
//! fresh one when it needs one.

use sea_orm::sqlx::pool::PoolOptions;
use sea_orm::sqlx::{Connection, Database};

/// `pool`, closing every connection that comes back inside a transaction.
pub(crate) fn discard_if_in_transaction<DB: Database>(pool: PoolOptions<DB>) -> PoolOptions<DB> {
    pool.after_release(|conn, _meta| {
        let keep = reusable(conn.is_in_transaction());
        Box::pin(async move { Ok(keep) })
    })
}

fn reusable(in_transaction: bool) -> bool {
    if in_transaction {
        // Says nothing of the data: the commit's own error has been logged with its request.
        tracing::warn!(
            "a database connection came back inside a failed transaction: closed, not reused"
        );
    }
    !in_transaction
}
