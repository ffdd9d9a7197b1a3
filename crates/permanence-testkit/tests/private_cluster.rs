//! A private cluster for real: started, a database made on it and used, stopped as in an
//! outage (connections refused), started again with its data, and gone (server and folder)
//! once its handle is dropped, or once its test process is killed without dropping it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use permanence_store::Store;
use permanence_testkit::{FreshDatabase, PrivateCluster};
use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Set for the child run of this binary that starts a cluster and waits to be killed.
const CHILD_VAR: &str = "PERMANENCE_TESTKIT_KILLED_CHILD";

/// Bounds the wait for the watchdog (two idle seconds, then an immediate stop): a test that
/// fails, not a measure of speed.
const STOP_BOUND: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_cluster_survives_an_outage_and_leaves_nothing_behind() {
    let cluster = PrivateCluster::start().expect("a private cluster starts");
    let folder = cluster.folder().to_owned();
    let port = cluster.port();
    assert!(cluster.url().ends_with(&format!(":{port}/postgres")));

    let database = FreshDatabase::create_at(&cluster.url())
        .await
        .expect("a database on it");
    let store = Store::connect(database.url()).await.expect("connects");
    store
        .execute_raw_for_tests("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
        .await
        .expect("writes");
    drop(store);

    cluster.stop_immediate().expect("stops");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens while it is stopped"
    );
    assert!(
        Store::connect(database.url()).await.is_err(),
        "a stopped cluster lets no one in"
    );

    cluster.start().expect("starts again");
    let store = Store::connect(database.url())
        .await
        .expect("connects again");
    assert_eq!(
        store
            .execute_raw_for_tests("UPDATE kept SET n = n WHERE n = 42")
            .await,
        Ok(1),
        "what was committed before the outage is still there"
    );
    drop(store);
    database.drop_database().await.expect("drops the database");

    drop(cluster);
    assert!(!folder.exists(), "its folder is removed");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "its server is stopped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_private_clusters_are_independent() {
    let first = PrivateCluster::start().expect("first");
    let second = PrivateCluster::start().expect("second");
    assert_ne!(first.port(), second.port());
    assert_ne!(first.folder(), second.folder());

    first.stop_immediate().expect("stops the first");
    let database = FreshDatabase::create_at(&second.url())
        .await
        .expect("the second still answers");
    database.drop_database().await.expect("drops");
}

#[test]
fn a_private_cluster_whose_test_process_is_killed_is_stopped_and_removed() {
    let mut child = Command::new(std::env::current_exe().expect("this test binary"))
        .args(["killed_test_process", "--exact", "--ignored", "--nocapture"])
        .env(CHILD_VAR, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("starts the test process");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let (mut folder, mut port) = (None, None);
    let mut line = String::new();
    while folder.is_none() || port.is_none() {
        line.clear();
        assert!(out.read_line(&mut line).expect("reads") > 0, "no cluster");
        if let Some(f) = line.trim().strip_prefix("FOLDER=") {
            folder = Some(PathBuf::from(f));
        }
        if let Some(p) = line.trim().strip_prefix("PORT=") {
            port = Some(p.parse::<u16>().expect("a port"));
        }
    }
    let (folder, port) = (folder.expect("folder"), port.expect("port"));
    assert!(TcpStream::connect(("127.0.0.1", port)).is_ok(), "it runs");

    // SIGKILL: no destructor runs, as when a test runner times a test out.
    child.kill().expect("kills the test process");
    child.wait().expect("reaps it");

    let started = Instant::now();
    while folder.exists() && started.elapsed() < STOP_BOUND {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(!folder.exists(), "the watchdog removed the folder");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the watchdog stopped the server"
    );
}

/// Starts a cluster, says where, and waits (until killed).
#[test]
#[ignore = "a child process of the test above"]
fn killed_test_process() {
    assert!(
        std::env::var_os(CHILD_VAR).is_some(),
        "run by the test above"
    );
    let cluster = PrivateCluster::start().expect("starts");
    println!("FOLDER={}", cluster.folder().display());
    println!("PORT={}", cluster.port());
    let mut rest = String::new();
    std::io::stdin().read_to_string(&mut rest).expect("waits");
}
