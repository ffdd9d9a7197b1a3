//! Users, tokens and the audit log on real databases: a SQLite file and a fresh PostgreSQL
//! database (on the server `permanence-testkit` finds or starts). A test that cannot have
//! PostgreSQL fails: it never skips.

use chrono::{DateTime, Duration, SubsecRound, TimeZone, Utc};
use permanence_auth::{
    BreakReason, ChainBreak, GENESIS_HASH, Role, TokenStatus, chain_hash, hash_token, record_kind,
    verify_chain,
};
use permanence_server::admin::{self, AuditVerification, Checkpoint};
use permanence_server::config::{AuditCommand, AuditVerifyArgs, DatabaseArgs};
use permanence_store::{AuditRow, NewAuditEntry, NewUser, Store, StoreError};
use permanence_testkit::FreshDatabase;
use uuid::Uuid;

// ----- harness --------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

enum Place {
    Sqlite(tempfile::TempDir),
    Postgres(FreshDatabase),
}

/// A fresh, migrated database for one test.
struct TestDb {
    backend: Backend,
    url: String,
    store: Store,
    place: Place,
}

impl TestDb {
    async fn create(backend: Backend) -> TestDb {
        let db = Self::unmigrated(backend).await;
        db.store.migrate().await.expect("migrates");
        db
    }

    /// A fresh database with no table yet.
    async fn unmigrated(backend: Backend) -> TestDb {
        let (url, place) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("permanence.sqlite").display()
                );
                (url, Place::Sqlite(dir))
            }
            Backend::Postgres => {
                let database = FreshDatabase::create()
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                (database.url().to_owned(), Place::Postgres(database))
            }
        };
        let store = Store::connect(&url).await.expect("connects");
        TestDb {
            backend,
            url,
            store,
            place,
        }
    }

    /// Removes the database (a test that fails has its database removed when it is dropped).
    async fn drop_database(self) {
        drop(self.store);
        match self.place {
            Place::Sqlite(dir) => drop(dir),
            Place::Postgres(database) => {
                if let Err(e) = database.drop_database().await {
                    eprintln!("{e}");
                }
            }
        }
    }

    /// Runs SQL as the database's owner (a superuser on PostgreSQL): what an attacker with
    /// access to the database could do.
    async fn sql(&self, statement: &str) -> Result<u64, String> {
        self.store.execute_raw_for_tests(statement).await
    }

    /// Removes the append-only guards of `audit_log`, as such an attacker would.
    async fn drop_audit_guards(&self) {
        let statements: &[&str] = match self.backend {
            Backend::Sqlite => &[
                "DROP TRIGGER audit_log_no_update",
                "DROP TRIGGER audit_log_no_delete",
            ],
            Backend::Postgres => &["DROP TRIGGER audit_log_no_update_or_delete ON audit_log"],
        };
        for statement in statements {
            self.sql(statement).await.expect("drops the guard");
        }
    }
}

/// Runs an async test body once per backend.
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$name(super::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::$name(super::Backend::Postgres).await;
            }
        }
    };
}

fn instant(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, h, m, s)
        .single()
        .expect("a valid instant")
}

fn sam() -> NewUser {
    NewUser {
        username: "sam.smith".into(),
        display_name: "Sam Smith".into(),
        role: Role::SocialWorker,
        teams: vec!["north".into(), "fostering".into()],
        local_authorities: vec!["E10000003".into()],
    }
}

fn audit_entry(n: u32) -> NewAuditEntry {
    NewAuditEntry {
        // Nanoseconds that the store must drop: the row must re-hash as stored.
        at: instant(9, 0, 0) + Duration::seconds(i64::from(n)) + Duration::nanoseconds(123_456_789),
        actor: format!("user-{}", n % 3),
        action: "READ_CASE".into(),
        record_kind: record_kind::CASE.into(),
        record_id: format!("case-{}", n % 4),
        query: "query CaseDetail { case }".into(),
        records: None,
    }
}

async fn whole_log(store: &Store) -> Vec<AuditRow> {
    store.audit_page(0, 100_000).await.expect("reads the log")
}

fn pairs(rows: Vec<AuditRow>) -> Vec<(permanence_auth::AuditEntry, String)> {
    rows.into_iter().map(|r| (r.entry, r.hash)).collect()
}

async fn append_five(db: &TestDb) {
    let entries: Vec<_> = (1..=5).map(audit_entry).collect();
    db.store.append_audit(&entries).await.expect("appends");
}

// ----- users and tokens -----------------------------------------------------------------------

async fn users_and_tokens_round_trip(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = &db.store;
    let now = instant(10, 0, 0) + Duration::nanoseconds(1);
    let created = store.create_user(&sam(), now).await.expect("creates");
    assert_eq!(created.username, "sam.smith");
    assert_eq!(created.disabled_at, None);
    let read = store
        .user_by_username("sam.smith")
        .await
        .expect("reads")
        .expect("found");
    assert_eq!(read, created);
    assert_eq!(store.user_by_username("nobody").await.expect("reads"), None);
    let principal = read.principal();
    assert_eq!(principal.user_id, "sam.smith");
    assert_eq!(principal.name, "Sam Smith");
    assert_eq!(principal.role, Role::SocialWorker);
    assert_eq!(principal.teams, ["north", "fostering"]);
    assert_eq!(principal.local_authorities, ["E10000003"]);
    assert_eq!(principal.validate(), Ok(()));

    let secret = permanence_auth::new_token().expect("random");
    let expires = instant(18, 0, 0);
    let token = store
        .issue_token(created.id, &secret.hash, Some("laptop"), Some(expires), now)
        .await
        .expect("issues");
    assert_eq!(token.user_id, created.id);
    assert_eq!(token.label.as_deref(), Some("laptop"));
    assert_eq!(token.expires_at, Some(expires));
    let (user, found) = store
        .user_for_token(&hash_token(secret.secret.expose()))
        .await
        .expect("looks up")
        .expect("found");
    assert_eq!(user, created);
    assert_eq!(found, token);
    assert_eq!(found.status(instant(12, 0, 0)), TokenStatus::Active);
    assert_eq!(found.status(expires), TokenStatus::Expired);
    assert_eq!(
        store
            .user_for_token(&hash_token("pmt_unknown"))
            .await
            .expect("looks up"),
        None
    );

    let second = store
        .issue_token(created.id, &hash_token("pmt_second"), None, None, now)
        .await
        .expect("issues");
    let listed = store.list_tokens().await.expect("lists");
    assert_eq!(
        listed,
        [
            (token.clone(), "sam.smith".to_owned()),
            (second, "sam.smith".to_owned())
        ]
    );
    assert!(matches!(
        store
            .issue_token(Uuid::now_v7(), &hash_token("pmt_orphan"), None, None, now)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .issue_token(created.id, &secret.hash, None, None, now)
            .await,
        Err(StoreError::Conflict(_))
    ));

    // What the command line issues is found by the secret it printed, and only by it.
    let issued = admin::add_token(
        store,
        "sam.smith",
        &permanence_server::config::TokenOptions {
            expires_in_days: Some(30),
            label: Some("phone".into()),
        },
        now,
    )
    .await
    .expect("issues through the admin module");
    let (by_secret, issued_token) = store
        .user_for_token(&hash_token(issued.secret.expose()))
        .await
        .expect("looks up")
        .expect("found");
    assert_eq!(by_secret.id, created.id);
    assert_eq!(issued_token, issued.token);
    assert_eq!(
        issued_token.expires_at,
        Some(created.created_at + Duration::days(30))
    );
    let table = {
        let listings = admin::list_tokens(store, now).await.expect("lists");
        let mut out = Vec::new();
        admin::write_token_table(&listings, &mut out).expect("writes");
        String::from_utf8(out).expect("utf-8")
    };
    assert!(table.contains("phone") && table.contains(&issued.token.id.to_string()));
    assert!(!table.contains(issued.secret.expose()));
    assert!(!table.contains(&hash_token(issued.secret.expose())));

    assert!(store.disable_user(created.id, now).await.expect("disables"));
    assert!(!store.disable_user(created.id, now).await.expect("disables"));
    let (disabled, _) = store
        .user_for_token(&secret.hash)
        .await
        .expect("looks up")
        .expect("found");
    assert!(disabled.is_disabled_at(now));
    db.drop_database().await;
}
on_both!(users_and_tokens_round_trip);

async fn a_duplicate_username_is_refused(backend: Backend) {
    let db = TestDb::create(backend).await;
    let now = instant(10, 0, 0);
    db.store.create_user(&sam(), now).await.expect("creates");
    let again = NewUser {
        display_name: "Another Sam".into(),
        role: Role::Leader,
        ..sam()
    };
    match db.store.create_user(&again, now).await {
        Err(StoreError::Conflict(message)) => {
            assert_eq!(message, "a user with this username already exists");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let other = NewUser {
        username: "sam.jones".into(),
        ..sam()
    };
    db.store.create_user(&other, now).await.expect("creates");
    // Through the command line's checks as well.
    let refused = admin::add_user(&db.store, &sam(), &Default::default(), now)
        .await
        .expect_err("refused");
    assert!(
        refused
            .to_string()
            .contains("a user with this username already exists"),
        "{refused}"
    );
    assert_eq!(db.store.list_tokens().await.expect("lists"), []);
    db.drop_database().await;
}
on_both!(a_duplicate_username_is_refused);

async fn a_revoked_token_says_so(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = &db.store;
    let now = instant(10, 0, 0);
    let issued = admin::add_user(store, &sam(), &Default::default(), now)
        .await
        .expect("creates");
    assert!(issued.secret.expose().starts_with("pmt_"));
    let later = instant(11, 0, 0);
    assert!(
        admin::revoke_token(store, issued.token.id, later)
            .await
            .expect("revokes")
    );
    assert!(
        !store
            .revoke_token(issued.token.id, instant(12, 0, 0))
            .await
            .expect("answers"),
        "already revoked"
    );
    assert!(
        !store
            .revoke_token(Uuid::now_v7(), later)
            .await
            .expect("answers"),
        "unknown"
    );
    let (_, token) = store
        .user_for_token(&hash_token(issued.secret.expose()))
        .await
        .expect("looks up")
        .expect("still found: the caller refuses it");
    assert_eq!(token.revoked_at, Some(later));
    assert_eq!(token.status(later), TokenStatus::Revoked);
    assert_eq!(token.status(now), TokenStatus::Active);
    db.drop_database().await;
}
on_both!(a_revoked_token_says_so);

// ----- audit ----------------------------------------------------------------------------------

async fn the_audit_log_chains_and_reads_back(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = &db.store;
    assert_eq!(
        store.audit_head().await.expect("head"),
        (0, GENESIS_HASH.to_owned())
    );
    store.append_audit(&[]).await.expect("nothing to append");
    let entries: Vec<_> = (1..=3).map(audit_entry).collect();
    store.append_audit(&entries).await.expect("appends");
    store
        .append_audit(&[audit_entry(4)])
        .await
        .expect("appends");
    let rows = whole_log(store).await;
    assert_eq!(
        rows.iter().map(|r| r.entry.sequence).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    // Stored at microsecond precision, so that the stored row hashes as it was hashed.
    assert_eq!(
        rows[0].entry.at,
        instant(9, 0, 1) + Duration::microseconds(123_456)
    );
    assert_eq!(rows[0].hash, chain_hash(GENESIS_HASH, &rows[0].entry));
    assert_eq!(rows[1].entry.actor, "user-2");
    let summary = verify_chain(pairs(rows.clone())).expect("the chain holds");
    assert_eq!(summary.rows, 4);
    assert_eq!(
        store.audit_head().await.expect("head"),
        (4, rows[3].hash.clone())
    );

    let page = store.audit_page(1, 2).await.expect("pages");
    assert_eq!(page, rows[1..3]);
    let of_case = store
        .audit_of_record(record_kind::CASE, "case-1", 10)
        .await
        .expect("reads");
    assert_eq!(of_case, rows[0].entry.reads());
    store
        .append_audit(&[audit_entry(5), audit_entry(9)])
        .await
        .expect("appends");
    let of_case = store
        .audit_of_record(record_kind::CASE, "case-1", 10)
        .await
        .expect("reads");
    assert_eq!(
        of_case.iter().map(|r| r.sequence).collect::<Vec<_>>(),
        [6, 5, 1],
        "newest first"
    );
    assert_eq!(
        store
            .audit_of_record(record_kind::CASE, "case-1", 2)
            .await
            .expect("reads")
            .len(),
        2
    );
    assert_eq!(
        store
            .audit_of_record(record_kind::CHILD, "case-1", 10)
            .await
            .expect("reads"),
        []
    );
    let shown = admin::audit_of_record(store, "case-1", 10)
        .await
        .expect("shows");
    assert_eq!(
        shown.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        [6, 5, 1]
    );

    match admin::verify_audit(store, None).await.expect("verifies") {
        AuditVerification::Intact(summary) => {
            assert_eq!(summary.rows, 6);
            assert_eq!(summary.last_sequence, 6);
            assert_eq!(
                store.audit_head().await.expect("head"),
                (6, summary.head_hash.clone())
            );
            let checkpoint = Checkpoint {
                sequence: 3,
                hash: rows[2].hash.clone(),
            };
            assert!(
                admin::verify_audit(store, Some(&checkpoint))
                    .await
                    .expect("verifies")
                    .is_intact()
            );
            let wrong = Checkpoint {
                sequence: 3,
                hash: rows[1].hash.clone(),
            };
            let verification = admin::verify_audit(store, Some(&wrong))
                .await
                .expect("verifies");
            assert_eq!(verification.broken_at(), Some(3));
        }
        other => panic!("expected an intact chain, got {other}"),
    }
    db.drop_database().await;
}
on_both!(the_audit_log_chains_and_reads_back);

/// A request's row names every record it read; the index finds it by each record, and `audit
/// show` prints one line per record read, as it did when each read was a row of its own.
async fn a_request_row_is_found_by_each_record_it_names(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = &db.store;
    // A row of one record, as written before request rows.
    store
        .append_audit(&[audit_entry(1)])
        .await
        .expect("appends");
    let read = |action: &str, kind: &str, id: &str, query: &str| permanence_auth::AuditRecord {
        action: action.into(),
        record_kind: kind.into(),
        record_id: id.into(),
        query: query.into(),
    };
    let at = instant(10, 0, 0);
    let request = NewAuditEntry::request(
        at,
        "tm.north",
        "POST /graphql",
        [
            read("LIST_CASES", record_kind::CASE, "case-1", "drift"),
            read("LIST_CASES", record_kind::CASE, "case-7", "drift"),
            read("READ_CASE", record_kind::CASE, "case-1", "case"),
            read("READ_CHILD", record_kind::CHILD, "child-9", "drift"),
            // Noted twice by the request: named once.
            read("LIST_CASES", record_kind::CASE, "case-7", "drift"),
        ],
    )
    .expect("reads to write");
    assert!(NewAuditEntry::request(at, "tm.north", "POST /graphql", []).is_none());
    store.append_audit(&[request]).await.expect("appends");

    let rows = whole_log(store).await;
    assert_eq!(rows.len(), 2, "one row for the whole request");
    let records = rows[1].entry.records.clone().expect("a request row");
    assert_eq!(records.len(), 4);
    verify_chain(pairs(rows.clone())).expect("old and request rows chain together");

    // The record-level question finds the request row, and the old row, newest first.
    let of_case = store
        .audit_of_record(record_kind::CASE, "case-1", 10)
        .await
        .expect("reads");
    assert_eq!(
        of_case
            .iter()
            .map(|r| (
                r.sequence,
                r.actor.as_str(),
                r.action.as_str(),
                r.query.as_str()
            ))
            .collect::<Vec<_>>(),
        [
            (2, "tm.north", "LIST_CASES", "drift"),
            (2, "tm.north", "READ_CASE", "case"),
            (1, "user-1", "READ_CASE", "query CaseDetail { case }"),
        ]
    );
    let of_child = store
        .audit_of_record(record_kind::CHILD, "child-9", 10)
        .await
        .expect("reads");
    assert_eq!(of_child.len(), 1);
    assert_eq!(of_child[0].at, at);
    assert!(
        store
            .audit_of_record(record_kind::CASE, "child-9", 10)
            .await
            .expect("reads")
            .is_empty(),
        "kinds are kept apart"
    );

    // `audit show`: the same columns, one line per record read.
    let shown = admin::audit_of_record(store, "case-7", 10)
        .await
        .expect("shows");
    let mut out = Vec::new();
    admin::write_audit_rows(&shown, &mut out).expect("writes");
    let text = String::from_utf8(out).expect("text");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("SEQUENCE"), "{text}");
    for expected in ["2", "tm.north", "LIST_CASES", "CASE", "case-7", "drift"] {
        assert!(
            lines[1].split_whitespace().any(|w| w == expected),
            "{expected} in {text}"
        );
    }

    assert!(
        admin::verify_audit(store, None)
            .await
            .expect("verifies")
            .is_intact()
    );
    db.drop_database().await;
}
on_both!(a_request_row_is_found_by_each_record_it_names);

/// A log written before request rows existed (rows of one record, as the code of then wrote
/// them) still reads and verifies once the migration has run, and request rows carry on its
/// chain.
async fn rows_from_before_request_rows_still_read_and_verify(backend: Backend) {
    use permanence_migrations::{Migrator, MigratorTrait};
    use sea_orm::{ConnectionTrait, Statement};

    /// The migrations there were before request rows.
    const BEFORE_REQUEST_ROWS: u32 = 13;
    let db = TestDb::unmigrated(backend).await;
    let connection = sea_orm::Database::connect(&db.url).await.expect("connects");
    Migrator::up(&connection, Some(BEFORE_REQUEST_ROWS))
        .await
        .expect("migrates to before request rows");
    let insert = match backend {
        Backend::Sqlite => {
            "INSERT INTO audit_log (sequence, at, actor, action, record_kind, record_id, query, \
             hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        }
        Backend::Postgres => {
            "INSERT INTO audit_log (sequence, at, actor, action, record_kind, record_id, query, \
             hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        }
    };
    let mut previous = GENESIS_HASH.to_owned();
    for n in 1..=3_u32 {
        let new = audit_entry(n);
        let entry = permanence_auth::AuditEntry {
            sequence: i64::from(n),
            at: new.at.trunc_subsecs(6),
            actor: new.actor,
            action: new.action,
            record_kind: new.record_kind,
            record_id: new.record_id,
            query: new.query,
            records: None,
        };
        let hash = chain_hash(&previous, &entry);
        connection
            .execute_raw(Statement::from_sql_and_values(
                connection.get_database_backend(),
                insert,
                [
                    entry.sequence.into(),
                    entry.at.into(),
                    entry.actor.into(),
                    entry.action.into(),
                    entry.record_kind.into(),
                    entry.record_id.into(),
                    entry.query.into(),
                    hash.clone().into(),
                ],
            ))
            .await
            .expect("writes a row as before");
        previous = hash;
    }
    connection
        .execute_unprepared(&format!(
            "UPDATE audit_head SET sequence = 3, hash = '{previous}'"
        ))
        .await
        .expect("moves the head");
    connection.close().await.expect("closes");

    db.store.migrate().await.expect("migrates to request rows");
    let old = whole_log(&db.store).await;
    assert_eq!(old.len(), 3);
    assert!(old.iter().all(|r| r.entry.records.is_none()));
    assert!(
        admin::verify_audit(&db.store, None)
            .await
            .expect("verifies")
            .is_intact()
    );
    let request = NewAuditEntry::request(
        instant(12, 0, 0),
        "tm.north",
        "POST /graphql",
        [permanence_auth::AuditRecord {
            action: "LIST_CASES".into(),
            record_kind: record_kind::CASE.into(),
            record_id: "case-1".into(),
            query: "drift".into(),
        }],
    )
    .expect("a read to write");
    db.store.append_audit(&[request]).await.expect("appends");
    let shown = admin::audit_of_record(&db.store, "case-1", 10)
        .await
        .expect("shows");
    assert_eq!(
        shown
            .iter()
            .map(|r| (r.sequence, r.actor.as_str()))
            .collect::<Vec<_>>(),
        [(4, "tm.north"), (1, "user-1")],
        "the read in a request row and the row from before, newest first"
    );
    match admin::verify_audit(&db.store, None)
        .await
        .expect("verifies")
    {
        AuditVerification::Intact(summary) => assert_eq!(summary.rows, 4),
        other => panic!("expected an intact chain, got {other}"),
    }
    db.drop_database().await;
}
on_both!(rows_from_before_request_rows_still_read_and_verify);

/// Text goes to PostgreSQL inside a JSON document (`bulk.rs`): quotes, backslashes, control
/// characters and characters outside the BMP must come back exactly as they went in.
async fn awkward_text_reads_back_as_written(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = &db.store;
    let awkward = "query Q { case(id: \"a\\b\") } \n\t\r \u{1} \u{7f} é ü ß — 😀 \\u0000 '; DROP TABLE audit_log; --";
    let entries = [NewAuditEntry {
        query: awkward.into(),
        actor: "Zoë O'Brien".into(),
        ..audit_entry(1)
    }];
    store.append_audit(&entries).await.expect("appends");
    let rows = whole_log(store).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].entry.query, awkward);
    assert_eq!(rows[0].entry.actor, "Zoë O'Brien");
    verify_chain(pairs(rows)).expect("the row hashes as it was hashed");
    db.drop_database().await;
}

on_both!(awkward_text_reads_back_as_written);

async fn concurrent_appends_make_one_gap_free_chain(backend: Backend) {
    const TASKS: u32 = 8;
    const APPENDS: u32 = 20;
    let db = TestDb::create(backend).await;
    // Separate connections pools, as separate server processes would have.
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let store = Store::connect(&db.url).await.expect("connects");
        handles.push(tokio::spawn(async move {
            for n in 0..APPENDS {
                let mut entry = audit_entry(n);
                entry.actor = format!("task-{task}");
                store.append_audit(&[entry]).await?;
            }
            Ok::<_, StoreError>(())
        }));
    }
    for handle in handles {
        handle.await.expect("joins").expect("appends");
    }
    let rows = whole_log(&db.store).await;
    let total = i64::from(TASKS * APPENDS);
    assert_eq!(
        rows.iter().map(|r| r.entry.sequence).collect::<Vec<_>>(),
        (1..=total).collect::<Vec<_>>()
    );
    for task in 0..TASKS {
        let actor = format!("task-{task}");
        assert_eq!(
            rows.iter().filter(|r| r.entry.actor == actor).count(),
            APPENDS as usize
        );
    }
    let head_hash = rows[rows.len() - 1].hash.clone();
    let summary = verify_chain(pairs(rows)).expect("one unbroken chain");
    assert_eq!(summary.last_sequence, total);
    assert_eq!(
        db.store.audit_head().await.expect("head"),
        (total, head_hash)
    );
    db.drop_database().await;
}
on_both!(concurrent_appends_make_one_gap_free_chain);

async fn the_database_refuses_to_change_the_audit_log(backend: Backend) {
    let db = TestDb::create(backend).await;
    append_five(&db).await;
    let update = db
        .sql("UPDATE audit_log SET actor = 'x' WHERE sequence = 3")
        .await;
    assert!(
        update.as_ref().is_err_and(|e| e.contains("append-only")),
        "{update:?}"
    );
    let delete = db.sql("DELETE FROM audit_log WHERE sequence = 3").await;
    assert!(
        delete.as_ref().is_err_and(|e| e.contains("append-only")),
        "{delete:?}"
    );
    let delete_all = db.sql("DELETE FROM audit_log").await;
    assert!(delete_all.is_err(), "{delete_all:?}");
    if backend == Backend::Postgres {
        let truncate = db.sql("TRUNCATE audit_log").await;
        assert!(
            truncate.as_ref().is_err_and(|e| e.contains("append-only")),
            "{truncate:?}"
        );
    }
    // The head only moves forward, and stays.
    let back = db.sql("UPDATE audit_head SET sequence = 2").await;
    assert!(
        back.as_ref()
            .is_err_and(|e| e.contains("only moves forward")),
        "{back:?}"
    );
    let gone = db.sql("DELETE FROM audit_head").await;
    assert!(gone.is_err(), "{gone:?}");
    assert_eq!(whole_log(&db.store).await.len(), 5);
    // The index of request rows by record is append-only too.
    let request = NewAuditEntry::request(
        instant(11, 0, 0),
        "tm.north",
        "POST /graphql",
        [permanence_auth::AuditRecord {
            action: "LIST_CASES".into(),
            record_kind: record_kind::CASE.into(),
            record_id: "case-1".into(),
            query: "drift".into(),
        }],
    )
    .expect("a read to write");
    db.store.append_audit(&[request]).await.expect("appends");
    for change in [
        "UPDATE audit_log_records SET record_id = 'case-2'",
        "DELETE FROM audit_log_records",
    ] {
        let refused = db.sql(change).await;
        assert!(
            refused.as_ref().is_err_and(|e| e.contains("append-only")),
            "{change}: {refused:?}"
        );
    }
    assert!(
        admin::verify_audit(&db.store, None)
            .await
            .expect("verifies")
            .is_intact()
    );
    db.drop_database().await;
}
on_both!(the_database_refuses_to_change_the_audit_log);

/// `permanence audit verify` as the binary runs it: what it prints and whether it succeeds.
async fn audit_verify_command(db: &TestDb) -> (bool, String) {
    let command = AuditCommand::Verify(AuditVerifyArgs {
        database: DatabaseArgs {
            database_url: db.url.clone(),
        },
        checkpoint: None,
    });
    let mut out = Vec::new();
    let intact = admin::run_audit(&command, &mut out)
        .await
        .expect("runs the command");
    (intact, String::from_utf8(out).expect("utf-8"))
}

async fn an_altered_row_is_reported_at_its_sequence(backend: Backend) {
    let db = TestDb::create(backend).await;
    append_five(&db).await;
    let (intact, printed) = audit_verify_command(&db).await;
    assert!(intact, "{printed}");
    assert!(
        printed.starts_with("audit chain intact: 5 rows, head "),
        "{printed}"
    );

    db.drop_audit_guards().await;
    assert_eq!(
        db.sql("UPDATE audit_log SET actor = 'x' WHERE sequence = 3")
            .await,
        Ok(1)
    );
    let verification = admin::verify_audit(&db.store, None)
        .await
        .expect("verifies");
    assert_eq!(
        verification,
        AuditVerification::Broken(ChainBreak {
            sequence: 3,
            reason: BreakReason::Altered
        })
    );
    assert_eq!(verification.broken_at(), Some(3));
    let (intact, printed) = audit_verify_command(&db).await;
    assert!(!intact);
    assert!(
        printed.contains("the audit chain is broken at row 3"),
        "{printed}"
    );
    db.drop_database().await;
}
on_both!(an_altered_row_is_reported_at_its_sequence);

async fn a_deleted_row_is_reported(backend: Backend) {
    let db = TestDb::create(backend).await;
    append_five(&db).await;
    db.drop_audit_guards().await;
    assert_eq!(
        db.sql("DELETE FROM audit_log WHERE sequence = 3").await,
        Ok(1)
    );
    let verification = admin::verify_audit(&db.store, None)
        .await
        .expect("verifies");
    assert_eq!(
        verification,
        AuditVerification::Broken(ChainBreak {
            sequence: 4,
            reason: BreakReason::Missing { expected: 3 }
        })
    );
    assert_eq!(verification.broken_at(), Some(3));
    let (intact, printed) = audit_verify_command(&db).await;
    assert!(!intact);
    assert!(printed.contains("row 3 is missing"), "{printed}");
    db.drop_database().await;
}
on_both!(a_deleted_row_is_reported);

async fn rows_cut_off_the_end_are_reported(backend: Backend) {
    let db = TestDb::create(backend).await;
    append_five(&db).await;
    db.drop_audit_guards().await;
    assert_eq!(
        db.sql("DELETE FROM audit_log WHERE sequence >= 4").await,
        Ok(2)
    );
    let verification = admin::verify_audit(&db.store, None)
        .await
        .expect("verifies");
    assert!(
        matches!(
            verification,
            AuditVerification::HeadMismatch {
                last_sequence: 3,
                head_sequence: 5,
                ..
            }
        ),
        "{verification:?}"
    );
    assert_eq!(verification.broken_at(), Some(4));
    let (intact, printed) = audit_verify_command(&db).await;
    assert!(!intact);
    assert!(
        printed.contains("the audit chain is broken at row 4")
            && printed.contains("deleted from the end"),
        "{printed}"
    );
    db.drop_database().await;
}
on_both!(rows_cut_off_the_end_are_reported);

async fn a_rewritten_last_row_is_caught_by_the_head(backend: Backend) {
    let db = TestDb::create(backend).await;
    append_five(&db).await;
    db.drop_audit_guards().await;
    // The attacker recomputes the last row's hash: the chain alone still holds.
    let rows = whole_log(&db.store).await;
    let mut forged = rows[4].entry.clone();
    forged.actor = "someone-else".into();
    let forged_hash = chain_hash(&rows[3].hash, &forged);
    assert_eq!(
        db.sql(&format!(
            "UPDATE audit_log SET actor = 'someone-else', hash = '{forged_hash}' WHERE sequence = 5"
        ))
        .await,
        Ok(1)
    );
    assert!(verify_chain(pairs(whole_log(&db.store).await)).is_ok());
    let verification = admin::verify_audit(&db.store, None)
        .await
        .expect("verifies");
    assert!(
        matches!(
            verification,
            AuditVerification::HeadMismatch {
                last_sequence: 5,
                head_sequence: 5,
                ..
            }
        ),
        "{verification:?}"
    );
    assert_eq!(verification.broken_at(), Some(5));
    let (intact, printed) = audit_verify_command(&db).await;
    assert!(!intact);
    assert!(printed.contains("the last row was rewritten"), "{printed}");
    db.drop_database().await;
}
on_both!(a_rewritten_last_row_is_caught_by_the_head);

/// A person of the identity provider becomes a user at their first sign-in, is kept up to date
/// at the next, and is refused once disabled; a local account with their username is never
/// reached, and another issuer's person with the same subject is someone else.
async fn single_sign_on_makes_links_and_updates_users(backend: Backend) {
    use permanence_store::SingleSignOnUser;
    let db = TestDb::create(backend).await;
    let issuer = "https://login.example.gov.uk/council";
    let priya = NewUser {
        username: "0f6a1c52-priya".into(),
        display_name: "Priya Shah".into(),
        role: Role::SocialWorker,
        teams: vec!["north".into()],
        local_authorities: vec!["E10000003".into()],
    };
    let first = match db
        .store
        .single_sign_on_user(issuer, &priya, instant(9, 0, 0))
        .await
        .expect("first sign-in")
    {
        SingleSignOnUser::Current(user) => user,
        other => panic!("expected a new user, got {other:?}"),
    };
    assert_eq!(first.principal().user_id, "0f6a1c52-priya");
    assert_eq!(first.role, Role::SocialWorker);
    assert!(
        db.store
            .sign_in_candidate("0f6a1c52-priya")
            .await
            .expect("reads")
            .expect("the user exists")
            .password_hash
            .is_none(),
        "a single sign-on user has no password"
    );

    let promoted = NewUser {
        display_name: "Priya Shah-Jones".into(),
        role: Role::TeamManager,
        teams: vec!["north".into(), "south".into()],
        ..priya.clone()
    };
    let again = db
        .store
        .single_sign_on_user(issuer, &promoted, instant(10, 0, 0))
        .await
        .expect("second sign-in");
    let SingleSignOnUser::Current(updated) = again else {
        panic!("expected the same user, got {again:?}");
    };
    assert_eq!(
        updated.id, first.id,
        "the same user, found through the link"
    );
    assert_eq!(updated.role, Role::TeamManager);
    let stored = db
        .store
        .user_by_id(first.id)
        .await
        .expect("reads")
        .expect("exists");
    assert_eq!(stored, updated, "what was returned is what is stored");
    assert_eq!(stored.display_name, "Priya Shah-Jones");
    assert_eq!(stored.teams, ["north", "south"]);

    // A local account whose username is a subject of the identity provider stays local.
    let local = db
        .store
        .create_user(&sam(), instant(9, 0, 0))
        .await
        .expect("local user");
    let impostor = NewUser {
        role: Role::Administrator,
        ..sam()
    };
    assert_eq!(
        db.store
            .single_sign_on_user(issuer, &impostor, instant(10, 0, 0))
            .await
            .expect("answers"),
        SingleSignOnUser::UsernameTaken
    );
    let unchanged = db
        .store
        .user_by_id(local.id)
        .await
        .expect("reads")
        .expect("exists");
    assert_eq!(unchanged, local, "the local account is untouched");
    // The same subject from another issuer is another person: not Priya's user.
    assert_eq!(
        db.store
            .single_sign_on_user("https://elsewhere.example", &priya, instant(10, 0, 0))
            .await
            .expect("answers"),
        SingleSignOnUser::UsernameTaken
    );

    assert!(
        db.store
            .disable_user(first.id, instant(11, 0, 0))
            .await
            .expect("disables")
    );
    assert_eq!(
        db.store
            .single_sign_on_user(issuer, &priya, instant(12, 0, 0))
            .await
            .expect("answers"),
        SingleSignOnUser::Disabled
    );
    let still = db
        .store
        .user_by_id(first.id)
        .await
        .expect("reads")
        .expect("exists");
    assert_eq!(
        still.role,
        Role::TeamManager,
        "a refused sign-in changes nothing"
    );
    db.drop_database().await;
}

on_both!(single_sign_on_makes_links_and_updates_users);
