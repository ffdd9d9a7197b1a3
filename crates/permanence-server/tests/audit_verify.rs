//! `permanence audit verify`, the binary itself, on a real audit log that someone with
//! access to the database has altered behind the application: it exits non-zero and names
//! the row, on SQLite and on PostgreSQL.
//!
//! The audit log's triggers refuse UPDATE and DELETE, but an INSERT is not refused, and the
//! database's owner can switch a trigger off (PostgreSQL) or drop and recreate it (SQLite)
//! around an UPDATE: both leave the guards as they were, and only the hash chain shows it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, TimeZone, Utc};
use permanence_auth::AuditRecord;
use permanence_engine::store::{NewAuditEntry, Store};
use std::process::Command;

#[derive(Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A migrated database of its own, removed at the end of the test.
struct Database {
    backend: Backend,
    url: String,
    store: Store,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(tempfile::TempDir),
    Postgres(permanence_testkit::FreshDatabase),
}

impl Database {
    async fn create(backend: Backend) -> Self {
        let (url, cleanup) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::Builder::new()
                    .prefix("permanence-audit-")
                    .tempdir()
                    .expect("a temporary directory");
                let path = dir.path().join("audit.sqlite");
                (
                    format!("sqlite://{}?mode=rwc", path.display()),
                    Cleanup::Dir(dir),
                )
            }
            Backend::Postgres => {
                let database = permanence_testkit::FreshDatabase::create()
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                (database.url().to_owned(), Cleanup::Postgres(database))
            }
        };
        let store = Store::connect(&url).await.expect("connects");
        store.migrate().await.expect("migrates");
        Self {
            backend,
            url,
            store,
            cleanup,
        }
    }

    async fn drop(self) {
        drop(self.store);
        match self.cleanup {
            Cleanup::Dir(dir) => drop(dir),
            Cleanup::Postgres(database) => {
                let _ = database.drop_database().await;
            }
        }
    }

    async fn sql(&self, statement: &str) {
        self.store
            .execute_raw_for_tests(statement)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }

    /// Changes who read row 3, with the append-only guard off only for the UPDATE.
    async fn rewrite_row_three(&self) {
        self.behind_the_guard(
            "audit_log",
            "UPDATE audit_log SET actor = 'someone-else' WHERE sequence = 3",
        )
        .await;
    }

    /// Runs `change` on `table` (`audit_log` or `audit_log_records`) with its append-only
    /// guard off only for that statement.
    async fn behind_the_guard(&self, table: &str, change: &str) {
        match self.backend {
            Backend::Postgres => {
                let trigger = format!("{table}_no_update_or_delete");
                self.sql(&format!("ALTER TABLE {table} DISABLE TRIGGER {trigger}"))
                    .await;
                self.sql(change).await;
                self.sql(&format!("ALTER TABLE {table} ENABLE TRIGGER {trigger}"))
                    .await;
            }
            // One batch, on one connection: SQLite has no way to switch a trigger off.
            Backend::Sqlite => {
                let guard = if change.starts_with("DELETE") {
                    "delete"
                } else {
                    "update"
                };
                let event = guard.to_uppercase();
                self.sql(&format!(
                    "DROP TRIGGER {table}_no_{guard}; {change}; \
                     CREATE TRIGGER {table}_no_{guard} BEFORE {event} ON {table} \
                     BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                ))
                .await;
            }
        }
    }
}

fn entry(n: i64) -> NewAuditEntry {
    NewAuditEntry {
        at: Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap() + Duration::seconds(n),
        actor: format!("sw.north.{:02}", n % 3 + 1),
        action: "READ_CASE".into(),
        record_kind: "CASE".into(),
        record_id: format!("case-{}", n % 4),
        query: "query CaseDetail { case }".into(),
        records: None,
    }
}

/// A request's row: a drift page naming three cases and a child.
fn request(n: i64) -> NewAuditEntry {
    let record = |kind: &str, id: &str| AuditRecord {
        action: "LIST_CASES".into(),
        record_kind: kind.into(),
        record_id: id.into(),
        query: "drift".into(),
    };
    NewAuditEntry::request(
        Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap() + Duration::seconds(n),
        "tm.north",
        "POST /graphql",
        [
            record("CASE", &format!("case-{n}-a")),
            record("CASE", &format!("case-{n}-b")),
            record("CASE", &format!("case-{n}-c")),
            record("CHILD", &format!("child-{n}")),
        ],
    )
    .expect("reads to write")
}

/// Runs `permanence audit verify`; its exit status and what it printed.
fn verify(url: &str) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_permanence"))
        .args(["audit", "verify", "--database-url", url])
        .output()
        .expect("runs the binary");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

async fn a_rewritten_row_fails_verification(backend: Backend) {
    let db = Database::create(backend).await;
    let entries: Vec<_> = (1..=5).map(entry).collect();
    db.store.append_audit(&entries).await.expect("appends");
    let (ok, text) = verify(&db.url);
    assert!(ok, "the untouched log verifies: {text}");
    assert!(text.contains("audit chain intact: 5 rows"), "{text}");

    db.rewrite_row_three().await;
    // The guard is back: the application's own path still cannot change a row.
    assert!(
        db.store
            .execute_raw_for_tests("UPDATE audit_log SET actor = 'x' WHERE sequence = 1")
            .await
            .is_err(),
        "the append-only guard is in place again"
    );
    let (ok, text) = verify(&db.url);
    assert!(!ok, "a rewritten row must fail verification: {text}");
    assert!(
        text.contains("the audit chain is broken at row 3"),
        "{text}"
    );
    assert!(!text.contains("someone-else"), "{text}");
    db.drop().await;
}

async fn a_row_added_behind_the_application_fails_verification(backend: Backend) {
    let db = Database::create(backend).await;
    let entries: Vec<_> = (1..=4).map(entry).collect();
    db.store.append_audit(&entries).await.expect("appends");
    assert!(verify(&db.url).0, "the untouched log verifies");
    // An INSERT is not refused by a trigger: row 4 copied as a fifth row, as if a read of
    // that case had been logged once more.
    db.sql(
        "INSERT INTO audit_log (sequence, at, actor, action, record_kind, record_id, query, hash) \
         SELECT 5, at, actor, action, record_kind, record_id, query, hash FROM audit_log \
         WHERE sequence = 4",
    )
    .await;
    let (ok, text) = verify(&db.url);
    assert!(!ok, "a forged row must fail verification: {text}");
    assert!(
        text.contains("the audit chain is broken at row 5"),
        "{text}"
    );
    db.drop().await;
}

/// Rows of one record (as written before requests had one row) followed by request rows:
/// one chain, and each request row's record list is covered by it.
async fn a_rewritten_record_list_fails_verification(backend: Backend) {
    let db = Database::create(backend).await;
    let mut entries: Vec<_> = (1..=2).map(entry).collect();
    entries.extend((3..=5).map(request));
    db.store.append_audit(&entries).await.expect("appends");
    let (ok, text) = verify(&db.url);
    assert!(ok, "old rows and request rows verify together: {text}");
    assert!(text.contains("audit chain intact: 5 rows"), "{text}");

    // One case of row 4's list replaced by another, the rest of the row untouched.
    let listed: String = {
        let rows = db.store.audit_page(3, 1).await.expect("reads row 4");
        let records = rows[0].entry.records.clone().expect("a request row");
        assert_eq!(records.len(), 4);
        records[1].record_id.clone()
    };
    db.behind_the_guard(
        "audit_log",
        &format!(
            "UPDATE audit_log SET records = REPLACE(records, '\"{listed}\"', '\"case-elsewhere\"') \
             WHERE sequence = 4"
        ),
    )
    .await;
    let rows = db.store.audit_page(3, 1).await.expect("reads row 4");
    assert!(
        rows[0]
            .entry
            .records
            .as_ref()
            .is_some_and(|r| r.iter().any(|r| r.record_id == "case-elsewhere")),
        "the list was rewritten"
    );
    let (ok, text) = verify(&db.url);
    assert!(
        !ok,
        "a rewritten record list must fail verification: {text}"
    );
    assert!(
        text.contains("the audit chain is broken at row 4"),
        "{text}"
    );
    assert!(!text.contains("case-elsewhere"), "{text}");
    db.drop().await;
}

/// The index `audit show` reads is checked against the rows: a read hidden from "who has
/// looked at this record" by deleting its index entry is found.
async fn a_removed_index_entry_fails_verification(backend: Backend) {
    let db = Database::create(backend).await;
    let entries: Vec<_> = (1..=3).map(request).collect();
    db.store.append_audit(&entries).await.expect("appends");
    assert!(verify(&db.url).0, "the untouched log verifies");
    assert_eq!(
        db.store
            .audit_of_record("CHILD", "child-2", 10)
            .await
            .expect("reads")
            .len(),
        1
    );
    db.behind_the_guard(
        "audit_log_records",
        "DELETE FROM audit_log_records WHERE record_id = 'child-2'",
    )
    .await;
    assert!(
        db.store
            .audit_of_record("CHILD", "child-2", 10)
            .await
            .expect("reads")
            .is_empty(),
        "the read is hidden from the record's question"
    );
    let (ok, text) = verify(&db.url);
    assert!(!ok, "a removed index entry must fail verification: {text}");
    assert!(
        text.contains("the audit index is broken at row 2"),
        "{text}"
    );
    db.drop().await;
}

macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::Backend::Postgres).await;
            }
        }
    };
}

on_both!(a_rewritten_row_fails_verification);
on_both!(a_row_added_behind_the_application_fails_verification);
on_both!(a_rewritten_record_list_fails_verification);
on_both!(a_removed_index_entry_fails_verification);
