//! A cluster of one test's own, for a test that stops and starts its database (an outage).

use crate::TestkitError;
use crate::binaries;
use crate::cluster::{Cluster, admin_url};
use crate::lock;
use crate::server_user::ServerUser;
use crate::watchdog::{self, Folder};
use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

/// Should the test process die without dropping its handle (killed, aborted), the watchdog
/// stops the cluster this many seconds later and removes its folder.
const ORPHAN_SECONDS: u64 = 2;

/// The watchdog looks once a second; this bounds the wait for it to notice and end.
const WATCHDOG_EXIT: Duration = Duration::from_secs(5);

/// Starts independent PostgreSQL clusters: `PrivateCluster::start()`.
#[derive(Debug)]
pub struct PrivateCluster;

impl PrivateCluster {
    /// A new cluster in a folder of its own under the temporary directory, started on a free
    /// port of 127.0.0.1 and trusting the `postgres` user, independent of every other test's.
    /// It takes a few seconds (an initdb). Dropping the handle stops it and removes the folder.
    pub fn start() -> Result<PrivateClusterHandle, TestkitError> {
        let binaries = binaries::find().ok_or(TestkitError::NotInstalledForPrivateCluster)?;
        let folder = std::env::temp_dir().join(format!(
            "permanence-private-postgres-{}",
            uuid::Uuid::now_v7().simple()
        ));
        let cluster = Cluster::new(folder, ServerUser::get()?, binaries);
        cluster.create_folder()?;
        match Self::start_in(&cluster) {
            Ok((port, lease)) => Ok(PrivateClusterHandle {
                cluster,
                port,
                _lease: lease,
            }),
            Err(e) => {
                let _ = cluster.stop("immediate");
                let _ = std::fs::remove_dir_all(cluster.folder());
                Err(e)
            }
        }
    }

    fn start_in(cluster: &Cluster) -> Result<(u16, File), TestkitError> {
        let dir = cluster.folder();
        let fail = |step, e: std::io::Error| TestkitError::cluster(dir, step, e);
        let lease = lock::shared(dir, lock::USERS).map_err(|e| fail("taking users.lock", e))?;
        cluster.init()?;
        let port = cluster.start_on_free_port()?;
        let _setup = lock::exclusive(dir, lock::SETUP).map_err(|e| fail("taking setup.lock", e))?;
        watchdog::ensure(cluster, ORPHAN_SECONDS, "immediate", Folder::Remove)?;
        Ok((port, lease))
    }
}

/// A running private cluster (or one stopped by `stop_immediate`). Dropping it stops the
/// server and removes its folder.
#[derive(Debug)]
pub struct PrivateClusterHandle {
    cluster: Cluster,
    port: u16,
    /// Held while the handle lives: the watchdog leaves the cluster alone until it is let go.
    _lease: File,
}

impl PrivateClusterHandle {
    /// The URL of its admin database, `postgres://postgres@127.0.0.1:PORT/postgres`. The port
    /// stays the same across `stop_immediate` and `start`.
    pub fn url(&self) -> String {
        admin_url(self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The folder that holds the cluster's data and its server log (`cluster/server.log`).
    pub fn folder(&self) -> &Path {
        self.cluster.folder()
    }

    /// Stops the server at once, as a crash or a power cut would: open connections are cut,
    /// and the next start recovers from the write-ahead log.
    pub fn stop_immediate(&self) -> Result<(), TestkitError> {
        self.cluster.stop("immediate")
    }

    /// Starts the server again on the same port, and waits until it accepts connections.
    pub fn start(&self) -> Result<(), TestkitError> {
        self.cluster.start_on(self.port)
    }
}

impl Drop for PrivateClusterHandle {
    fn drop(&mut self) {
        // Under setup.lock, so that the watchdog is not stopping it at the same moment.
        let setup = lock::exclusive(self.cluster.folder(), lock::SETUP);
        if self.cluster.is_running()
            && let Err(e) = self.cluster.stop("immediate")
        {
            eprintln!("{e}");
        }
        // The watchdog sees cluster/ gone and ends; the folder goes once it has.
        if let Err(e) = self.cluster.remove_own_dir() {
            eprintln!("{e}");
        }
        drop(setup);
        wait_for_watchdog_to_end(self.cluster.folder());
        if let Err(e) = std::fs::remove_dir_all(self.cluster.folder()) {
            eprintln!("could not remove {}: {e}", self.cluster.folder().display());
        }
    }
}

fn wait_for_watchdog_to_end(folder: &Path) {
    let started = Instant::now();
    while started.elapsed() < WATCHDOG_EXIT {
        if !lock::is_held(folder, lock::WATCHDOG).unwrap_or(false) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
