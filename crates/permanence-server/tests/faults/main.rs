//! The fault-injection suite: the real `permanence serve` binary under concurrent writers,
//! killed with SIGKILL and restarted (SQLite and PostgreSQL), on a full disk (SQLite on a
//! small tmpfs), and through an outage of PostgreSQL (a private cluster crashed and started
//! again). After each, every acknowledged write must be in the database exactly once, each
//! case's versions and event sequences must run without a gap, `permanence audit verify`
//! must pass, and the server must answer.
//!
//! Each test prints one `faults:` line of figures. Quick by default (a few minutes in all);
//! `PERMANENCE_FAULTS=full` runs the long form for soak and benchmarks. `.ci/run` runs this
//! suite in its own step with `--nocapture` (it is `test = false`, so the workspace run does
//! not run it a second time). Requests go only to 127.0.0.1.

mod check;
mod server;
mod small_disk;
mod writers;

use anyhow::{Context, ensure};
use check::tally;
use permanence_engine::store::Store;
use server::{ServerProcess, add_user, audit_verify, free_port};
use std::time::{Duration, Instant};
use writers::{Answer, Client, Writers};

/// Counts and durations of a run.
struct Scale {
    writers: usize,
    kills: usize,
    /// Writes acknowledged between two faults.
    writes_between: u64,
    /// How long the disk stays full, and PostgreSQL down.
    fault_for: Duration,
}

fn scale() -> Scale {
    if std::env::var("PERMANENCE_FAULTS").as_deref() == Ok("full") {
        Scale {
            writers: 32,
            kills: 10,
            writes_between: 2_000,
            fault_for: Duration::from_secs(20),
        }
    } else {
        Scale {
            writers: 8,
            kills: 3,
            writes_between: 150,
            fault_for: Duration::from_secs(3),
        }
    }
}

/// Longest wait for writers to make progress before the test fails (not a speed check: a
/// server that never recovers would otherwise hang the suite).
const STALL: Duration = Duration::from_secs(120);

/// The figures line, straight to CI's log.
fn report(line: &str) {
    println!("{line}");
}

fn seconds(list: &[f64]) -> String {
    let words: Vec<String> = list.iter().map(|s| format!("{s:.2}")).collect();
    words.join("/")
}

const SHARED_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database of the test's own: a SQLite file, or a new database on the shared PostgreSQL.
struct Db {
    url: String,
    drop_as: Option<(Store, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl Db {
    fn sqlite() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        Ok(Self {
            url: format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("permanence.sqlite").display()
            ),
            drop_as: None,
            _dir: Some(dir),
        })
    }

    async fn postgres() -> anyhow::Result<Self> {
        let admin_url = std::env::var("PERMANENCE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| SHARED_POSTGRES.to_owned());
        let admin = Store::connect(&admin_url)
            .await
            .with_context(|| format!("PostgreSQL is required and did not answer at {admin_url}"))?;
        let name = format!("permanence_faults_{}", uuid::Uuid::now_v7().simple());
        admin
            .execute_raw_for_tests(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(anyhow::Error::msg)?;
        let prefix = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(p, _)| p);
        Ok(Self {
            url: format!("{prefix}/{name}"),
            drop_as: Some((admin, name)),
            _dir: None,
        })
    }

    async fn remove(self) {
        if let Some((admin, name)) = self.drop_as {
            let _ = admin
                .execute_raw_for_tests(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

/// A read that must be answered: the server is up and its audit log takes rows.
async fn answers(client: &Client, case_id: &str) -> anyhow::Result<()> {
    match client.read_case(case_id).await? {
        Answer::Data(_) => Ok(()),
        Answer::Refused(code, detail) => anyhow::bail!("a read was refused with {code}: {detail}"),
    }
}

async fn sigkill_under_concurrent_writers(db: Db, backend: &str) -> anyhow::Result<()> {
    let scale = scale();
    let work = tempfile::tempdir()?;
    let token = add_user(&db.url)?;
    let port = free_port()?;
    let mut server = ServerProcess::start(&db.url, port, work.path()).await?;
    let client = Client::new(&server.base_url(), &token)?;
    let writers = Writers::start(&client, scale.writers, "K").await?;
    let mut to_first_write = Vec::new();
    for _ in 0..scale.kills {
        ensure!(
            writers.wait_for(scale.writes_between, STALL).await,
            "writers stalled"
        );
        server.kill()?;
        let killed_at = Instant::now();
        server = ServerProcess::start(&db.url, port, work.path()).await?;
        ensure!(
            writers.wait_for(1, STALL).await,
            "no write after the restart:\n{}",
            server.log_tail()
        );
        to_first_write.push(killed_at.elapsed().as_secs_f64());
    }
    ensure!(
        writers.wait_for(scale.writes_between, STALL).await,
        "writers stalled"
    );
    let logs = writers.stop().await?;
    let read_after = answers(&client, &logs[0].case_id).await;
    drop(server);
    let tally = tally(&db.url, &logs).await?;
    let audit = audit_verify(&db.url);
    report(&format!(
        "faults: SIGKILL on {backend}: writers {}, kills {}, {}, seconds from kill to first write {}",
        logs.len(),
        scale.kills,
        tally.words(),
        seconds(&to_first_write)
    ));
    tally.ensure_clean(&logs)?;
    read_after.context("reading a case after the last restart")?;
    audit.context("permanence audit verify")?;
    db.remove().await;
    Ok(())
}

mod sigkill_mid_load {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() -> anyhow::Result<()> {
        sigkill_under_concurrent_writers(Db::sqlite()?, "SQLite").await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn postgres() -> anyhow::Result<()> {
        sigkill_under_concurrent_writers(Db::postgres().await?, "PostgreSQL").await
    }
}

/// SQLite on a tmpfs that fills up while writers run, then gets its room back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn full_disk_on_sqlite() -> anyhow::Result<()> {
    let Some(disk) = small_disk::SmallDisk::mount("16m") else {
        return Ok(());
    };
    let scale = scale();
    let url = format!(
        "sqlite://{}?mode=rwc",
        disk.path().join("permanence.sqlite").display()
    );
    let work = tempfile::tempdir()?;
    let token = add_user(&url)?;
    let mut server = ServerProcess::start(&url, free_port()?, work.path()).await?;
    let client = Client::new(&server.base_url(), &token)?;
    let writers = Writers::start(&client, scale.writers, "D").await?;
    ensure!(
        writers.wait_for(scale.writes_between, STALL).await,
        "writers stalled"
    );

    let filler = disk.fill();
    let full_at = writers.acknowledged();
    let full_until = Instant::now() + scale.fault_for;
    let mut reads_refused = 0;
    while Instant::now() < full_until {
        if !matches!(
            client.read_case(&writers.case_ids()[0]).await,
            Ok(Answer::Data(_))
        ) {
            reads_refused += 1;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let acknowledged_while_full = writers.acknowledged() - full_at;
    std::fs::remove_file(&filler)?;
    let freed_at = Instant::now();
    // Collected rather than checked at once, so that a failure still prints its figures.
    let resumed = writers.wait_for(1, STALL).await;
    let to_first_write = freed_at.elapsed().as_secs_f64();
    let kept_going = resumed && writers.wait_for(scale.writes_between, STALL).await;
    let still_running = server.running();
    let logs = writers.stop().await?;
    let read_after = answers(&client, &logs[0].case_id).await;
    let server_log = server.log_tail();
    server.kill()?;

    let tally = tally(&url, &logs).await?;
    let problems = Store::connect(&url).await?.integrity_problems().await?;
    let audit = audit_verify(&url);
    report(&format!(
        "faults: full disk on SQLite: writers {}, {}, acknowledged while full {acknowledged_while_full}, reads refused {reads_refused}, seconds from room to first write {to_first_write:.2}, integrity problems {}",
        logs.len(),
        tally.words(),
        problems.len()
    ));
    ensure!(
        tally.failed_attempts > 0,
        "the disk never filled: no write failed"
    );
    ensure!(problems.is_empty(), "integrity_check: {problems:?}");
    tally.ensure_clean(&logs)?;
    ensure!(still_running, "the server exited:\n{}", server_log);
    ensure!(
        kept_going,
        "writes did not resume once the disk had room again:\n{}",
        server_log
    );
    read_after.context("reading a case once the disk had room again")?;
    audit.context("permanence audit verify")?;
    drop(disk);
    Ok(())
}

/// PostgreSQL crashes (`pg_ctl -m immediate`) under writers and comes back; the server keeps
/// running and recovers by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_outage() -> anyhow::Result<()> {
    let scale = scale();
    let cluster = permanence_testkit::PrivateCluster::start()?;
    Store::connect(&cluster.url())
        .await?
        .execute_raw_for_tests("CREATE DATABASE permanence")
        .await
        .map_err(anyhow::Error::msg)?;
    let url = permanence_testkit::with_database(&cluster.url(), "permanence");
    let work = tempfile::tempdir()?;
    let token = add_user(&url)?;
    let mut server = ServerProcess::start(&url, free_port()?, work.path()).await?;
    let client = Client::new(&server.base_url(), &token)?;
    let writers = Writers::start(&client, scale.writers, "O").await?;
    let mut to_first_write = Vec::new();
    for _ in 0..scale.kills {
        ensure!(
            writers.wait_for(scale.writes_between, STALL).await,
            "writers stalled"
        );
        cluster.stop_immediate()?;
        tokio::time::sleep(scale.fault_for).await;
        cluster.start()?;
        let up_at = Instant::now();
        ensure!(
            server.running(),
            "the server exited:\n{}",
            server.log_tail()
        );
        ensure!(
            writers.wait_for(1, STALL).await,
            "no write after PostgreSQL came back:\n{}",
            server.log_tail()
        );
        to_first_write.push(up_at.elapsed().as_secs_f64());
    }
    ensure!(
        writers.wait_for(scale.writes_between, STALL).await,
        "writers stalled"
    );
    let logs = writers.stop().await?;
    let read_after = answers(&client, &logs[0].case_id).await;
    ensure!(
        server.running(),
        "the server exited:\n{}",
        server.log_tail()
    );
    drop(server);
    let tally = tally(&url, &logs).await?;
    let audit = audit_verify(&url);
    report(&format!(
        "faults: PostgreSQL outage: writers {}, outages {} of {:.0} s, {}, seconds from database back to first write {}",
        logs.len(),
        scale.kills,
        scale.fault_for.as_secs_f64(),
        tally.words(),
        seconds(&to_first_write)
    ));
    tally.ensure_clean(&logs)?;
    read_after.context("reading a case after the outages")?;
    audit.context("permanence audit verify")?;
    Ok(())
}
