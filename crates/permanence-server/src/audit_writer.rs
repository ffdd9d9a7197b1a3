//! Group commit for the audit log.
//!
//! Every request that reads a child's data appends to the audit chain before it answers, and
//! an append holds the chain's head (a row lock on PostgreSQL, the one writer on SQLite)
//! through its commit's flush to disk. One transaction per request would serialise every
//! read on that flush. Instead, one task per server process appends: while it commits a
//! batch, the requests that arrive queue up, and its next transaction takes all of them.
//! Each request still answers only once a transaction holding its entries has committed,
//! so no child's data leaves the server without its audit rows on disk; at low load a batch
//! is one request and nothing waits longer than before.

use permanence_engine::store::{NewAuditEntry, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot};

/// Requests taken into one transaction at most: bounds a transaction's size under a burst.
const MAX_REQUESTS_PER_BATCH: usize = 512;

/// The audit rows were not written: the answer they belong to must be withheld.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditNotWritten;

struct Append {
    entries: Vec<NewAuditEntry>,
    done: oneshot::Sender<Result<(), AuditNotWritten>>,
}

/// A handle on the process's audit appender. Cloning it shares the one appender.
#[derive(Clone)]
pub struct AuditWriter {
    queue: mpsc::UnboundedSender<Append>,
    stats: Arc<Stats>,
}

/// What the appender has done, for tests and diagnostics.
#[derive(Debug, Default)]
pub struct Stats {
    transactions: AtomicU64,
    requests: AtomicU64,
}

impl Stats {
    /// Transactions committed (or attempted), and the requests they carried.
    pub fn transactions_and_requests(&self) -> (u64, u64) {
        (
            self.transactions.load(Ordering::Relaxed),
            self.requests.load(Ordering::Relaxed),
        )
    }
}

impl AuditWriter {
    /// Starts the appender on the current tokio runtime. It stops when every handle is gone.
    pub fn spawn(store: Store) -> Self {
        let (queue, incoming) = mpsc::unbounded_channel();
        let stats = Arc::new(Stats::default());
        tokio::spawn(run(store, incoming, Arc::clone(&stats)));
        Self { queue, stats }
    }

    /// Appends `entries` to the chain, in order, and returns once they are committed.
    pub async fn append(&self, entries: Vec<NewAuditEntry>) -> Result<(), AuditNotWritten> {
        if entries.is_empty() {
            return Ok(());
        }
        let (done, committed) = oneshot::channel();
        self.queue
            .send(Append { entries, done })
            .map_err(|_| AuditNotWritten)?;
        committed.await.map_err(|_| AuditNotWritten)?
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }
}

/// The appender: waits for a request, takes every other one already queued, appends all
/// their entries in one transaction and tells each request how it went.
async fn run(store: Store, mut incoming: mpsc::UnboundedReceiver<Append>, stats: Arc<Stats>) {
    let mut batch: Vec<Append> = Vec::new();
    while incoming.recv_many(&mut batch, MAX_REQUESTS_PER_BATCH).await > 0 {
        let entries: Vec<NewAuditEntry> = batch
            .iter()
            .flat_map(|append| append.entries.iter().cloned())
            .collect();
        let outcome = store.append_audit(&entries).await.map_err(|e| {
            // The error names no child: it is the database's, about the audit tables.
            tracing::error!(error = %e, requests = batch.len(), "audit log write failed: answers withheld");
            AuditNotWritten
        });
        stats.transactions.fetch_add(1, Ordering::Relaxed);
        stats
            .requests
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        for append in batch.drain(..) {
            // A request that gave up waiting has nobody to tell.
            let _ = append.done.send(outcome);
        }
    }
}

impl permanence_web::AuditSink for AuditWriter {
    fn append(
        &self,
        entries: Vec<NewAuditEntry>,
    ) -> futures_util::future::BoxFuture<'static, Result<(), permanence_web::AuditUnavailable>>
    {
        let writer = self.clone();
        Box::pin(async move {
            AuditWriter::append(&writer, entries)
                .await
                .map_err(|AuditNotWritten| permanence_web::AuditUnavailable)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn entry(n: usize) -> NewAuditEntry {
        NewAuditEntry {
            at: Utc::now(),
            actor: format!("worker-{n}"),
            action: "read".into(),
            record_kind: "case".into(),
            record_id: format!("record-{n}"),
            query: "{ case { id } }".into(),
            records: None,
        }
    }

    async fn sqlite_store(dir: &std::path::Path) -> Store {
        let url = format!("sqlite://{}?mode=rwc", dir.join("audit.db").display());
        let store = Store::connect(&url).await.expect("connects");
        store.migrate().await.expect("migrates");
        store
    }

    /// Requests queued while the appender is busy go into one transaction, in the order
    /// they were sent, and each is told once it is committed.
    #[tokio::test]
    async fn queued_requests_share_one_transaction() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let store = sqlite_store(dir.path()).await;
        let (queue, incoming) = mpsc::unbounded_channel();
        let mut answers = Vec::new();
        for n in 0..20 {
            let (done, committed) = oneshot::channel();
            queue
                .send(Append {
                    entries: vec![entry(n), entry(100 + n)],
                    done,
                })
                .expect("queued");
            answers.push(committed);
        }
        let stats = Arc::new(Stats::default());
        let appender = tokio::spawn(run(store.clone(), incoming, Arc::clone(&stats)));
        for committed in answers {
            assert_eq!(committed.await.expect("answered"), Ok(()));
        }
        assert_eq!(stats.transactions_and_requests(), (1, 20));
        drop(queue);
        appender
            .await
            .expect("the appender stops with its last handle");

        let rows = store.audit_page(0, 100).await.expect("reads the chain");
        let order: Vec<&str> = rows.iter().map(|r| r.entry.record_id.as_str()).collect();
        let expected: Vec<String> = (0..20)
            .flat_map(|n| [format!("record-{n}"), format!("record-{}", 100 + n)])
            .collect();
        assert_eq!(order, expected);
        assert_eq!(rows.last().map(|r| r.entry.sequence), Some(40));
    }

    /// Through the handle: concurrent appends all land, gap-free, and an empty one is no
    /// transaction at all.
    #[tokio::test]
    async fn concurrent_appends_all_land() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let store = sqlite_store(dir.path()).await;
        let writer = AuditWriter::spawn(store.clone());
        writer.append(Vec::new()).await.expect("nothing to write");
        let appends = (0..50).map(|n| {
            let writer = writer.clone();
            async move { writer.append(vec![entry(n)]).await }
        });
        for outcome in futures_util::future::join_all(appends).await {
            assert_eq!(outcome, Ok(()));
        }
        let (transactions, requests) = writer.stats().transactions_and_requests();
        assert_eq!(requests, 50);
        assert!((1..=50).contains(&transactions), "{transactions}");
        let rows = store.audit_page(0, 100).await.expect("reads the chain");
        let sequences: Vec<i64> = rows.iter().map(|r| r.entry.sequence).collect();
        assert_eq!(sequences, (1..=50).collect::<Vec<i64>>());
    }
}
