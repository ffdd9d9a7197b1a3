//! The cluster shared by the test processes of a run, across real processes (this test
//! binary, run again as a child): started by the first process that needs it, used by the
//! next without a second start, and stopped, its data removed, once the last has ended.
//!
//! The children find nothing usable at the probed address (a closed port for one, something
//! that is not PostgreSQL for the other), as on a machine where PostgreSQL is installed but
//! not running; the shared PostgreSQL of this machine, if any, is not touched.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use permanence_store::Store;
use permanence_testkit::{DIR_VAR, FreshDatabase, IDLE_SECONDS_VAR, PROBE_VAR, URL_VAR};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// Tells a child run of this binary what to do: `hold` (keep using the cluster until its
/// stdin closes) or `once`.
const CHILD_VAR: &str = "PERMANENCE_TESTKIT_CHILD";
const URL_LINE: &str = "ADMIN_URL=";

/// Bounds the wait for the watchdog (one idle second here, then a clean stop): a test that
/// fails, not a measure of speed.
const STOP_BOUND: Duration = Duration::from_secs(120);

#[test]
fn the_shared_cluster_is_started_once_and_stopped_after_the_last_process() {
    let folder = std::env::temp_dir().join(format!(
        "permanence-testkit-shared-{}",
        uuid::Uuid::now_v7().simple()
    ));
    let closed = closed_address();
    let not_postgres = not_postgres_address();

    let mut holder = child(&folder, &closed, "hold")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("starts the first test process");
    let mut holder_out = BufReader::new(holder.stdout.take().expect("stdout"));
    let first_url = admin_url_from(&mut holder_out);
    let postmaster = postmaster_pid(&folder);

    let second = child(&folder, &not_postgres, "once")
        .output()
        .expect("runs the second test process");
    assert!(second.status.success(), "{}", describe(&second));
    let second_out = String::from_utf8_lossy(&second.stdout);
    let second_url = second_out
        .lines()
        .find_map(|l| l.strip_prefix(URL_LINE))
        .unwrap_or_else(|| panic!("no URL: {}", describe(&second)));
    assert_eq!(second_url, first_url, "both processes use one cluster");
    assert_eq!(
        postmaster_pid(&folder),
        postmaster,
        "the second process did not start the cluster again"
    );

    drop(holder.stdin.take());
    finish(&mut holder, holder_out);

    let port: u16 = first_url
        .rsplit_once(':')
        .and_then(|(_, rest)| rest.split('/').next()?.parse().ok())
        .expect("a port in the URL");
    let started = Instant::now();
    while folder.join("cluster").exists() && started.elapsed() < STOP_BOUND {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        !folder.join("cluster").exists(),
        "the watchdog removed the cluster's data once no test process was left"
    );
    assert!(has_ended(postmaster), "the postmaster has ended");
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    let watchdog_lock = std::fs::File::open(folder.join("watchdog.lock")).expect("the lock file");
    assert!(
        watchdog_lock.try_lock().is_ok(),
        "the watchdog has ended too"
    );
    std::fs::remove_dir_all(&folder).expect("removes the test's folder");
}

/// What a test process does: a fresh database on the tests' PostgreSQL, and a connection.
#[test]
#[ignore = "a child process of the test above"]
fn child_test_process() {
    let mode = std::env::var(CHILD_VAR).expect("run by the shared cluster test");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let database = FreshDatabase::create().await.expect("a fresh database");
        let store = Store::connect(database.url()).await.expect("connects");
        store.ping().await.expect("answers");
        drop(store);
        println!("{URL_LINE}{}", database.admin_url());
        std::io::stdout().flush().expect("flushes");
        if mode == "hold" {
            let mut rest = String::new();
            std::io::stdin().read_to_string(&mut rest).expect("waits");
        }
        database.drop_database().await.expect("drops its database");
    });
}

fn child(folder: &Path, probe: &str, mode: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("this test binary"));
    command
        .args(["child_test_process", "--exact", "--ignored", "--nocapture"])
        .env_remove(URL_VAR)
        .env(PROBE_VAR, probe)
        .env(DIR_VAR, folder)
        .env(IDLE_SECONDS_VAR, "1")
        .env(CHILD_VAR, mode);
    command
}

fn admin_url_from(out: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        let read = out.read_line(&mut line).expect("reads the child's output");
        assert!(read > 0, "the first test process ended without a URL");
        if let Some(url) = line.trim().strip_prefix(URL_LINE) {
            return url.to_owned();
        }
    }
}

fn finish(child: &mut Child, mut out: BufReader<ChildStdout>) {
    let mut rest = String::new();
    let _ = out.read_to_string(&mut rest);
    let status = child.wait().expect("the first test process ends");
    assert!(status.success(), "the first test process failed: {rest}");
}

fn postmaster_pid(folder: &Path) -> u32 {
    let pid_file: PathBuf = folder.join("cluster/data/postmaster.pid");
    std::fs::read_to_string(&pid_file)
        .unwrap_or_else(|e| panic!("{}: {e}", pid_file.display()))
        .lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .expect("the postmaster's pid")
}

/// Whether a process is gone or a zombie (waiting for init, which may be slow, to reap it).
fn has_ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_some_and(|state| state == 'Z' || state == 'X'),
    }
}

/// An address where nothing listens.
fn closed_address() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let address = listener.local_addr().expect("address").to_string();
    drop(listener);
    address
}

/// An address that accepts connections and closes them at once, as something that is not a
/// PostgreSQL server willing to let the tests in would.
fn not_postgres_address() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let address = listener.local_addr().expect("address").to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            drop(stream);
        }
    });
    address
}

fn describe(output: &std::process::Output) -> String {
    format!(
        "{}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
