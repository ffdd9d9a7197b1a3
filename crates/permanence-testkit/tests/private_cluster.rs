//! A private cluster for real: started, a database made on it and used, stopped as in an
//! outage (connections refused), started again with its data, and gone (server and folder)
//! once its handle is dropped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use permanence_store::Store;
use permanence_testkit::{FreshDatabase, PrivateCluster};
use std::net::TcpStream;

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
