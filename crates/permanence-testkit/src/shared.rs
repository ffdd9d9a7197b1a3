//! The private cluster that every test process of a run shares, when no other PostgreSQL is
//! there: started once, by whichever process needs it first, and stopped by a watchdog once
//! no test process has used it for `IDLE_SECONDS_VAR` seconds (default 15).
//!
//! How processes agree (`lock` has the lock files):
//! 1. a process takes `setup.lock`; under it, it takes its shared hold on `users.lock`, starts
//!    the cluster if it is not running (a fresh initdb: a stale one is removed), and starts
//!    the watchdog if none holds `watchdog.lock`; then it lets go of `setup.lock`;
//! 2. it keeps its hold on `users.lock` until it ends: the kernel lets go of it then, however
//!    the process ends (a panic, `kill -9`, a Ctrl-C), so no count can go wrong;
//! 3. the watchdog looks every second whether anyone holds `users.lock`; after the idle
//!    seconds it takes `setup.lock`, looks once more, and only then stops the server and
//!    removes its data. A process arriving meanwhile waits for `setup.lock`, finds no cluster
//!    and no watchdog, and starts both afresh.
//!
//! Where: `PERMANENCE_TEST_POSTGRES_DIR`, or a folder in the temporary directory named after
//! the target directory of the test binaries (so two checkouts have two clusters, and the
//! test binaries of one build share one).

use crate::TestkitError;
use crate::binaries;
use crate::cluster::{Cluster, admin_url};
use crate::lock;
use crate::server_user::ServerUser;
use crate::watchdog::{self, Folder};
use std::fs::File;
use std::path::PathBuf;
use std::sync::Mutex;

/// Where the shared cluster lives, when the default will not do.
pub const DIR_VAR: &str = "PERMANENCE_TEST_POSTGRES_DIR";
/// Seconds without a test process before the shared cluster is stopped.
pub const IDLE_SECONDS_VAR: &str = "PERMANENCE_TEST_POSTGRES_IDLE_SECONDS";

/// Long enough to bridge the gap between two test binaries of one `cargo test`, one of which
/// may not use PostgreSQL at all; short enough that nothing lingers after the run.
const DEFAULT_IDLE_SECONDS: u64 = 15;

/// This process's holds on `users.lock`. Never dropped: the kernel lets go of them when the
/// process ends.
static LEASES: Mutex<Vec<File>> = Mutex::new(Vec::new());

/// The admin URL of the shared cluster, started if need be. `probed` is the address where no
/// usable server answered, for the message when PostgreSQL is not installed.
pub(crate) fn admin_url_starting(probed: &str) -> Result<String, TestkitError> {
    let binaries = binaries::find().ok_or_else(|| TestkitError::NotInstalled {
        probed: probed.to_owned(),
    })?;
    let cluster = Cluster::new(folder(), ServerUser::get()?, binaries);
    cluster.create_folder()?;
    let dir = cluster.folder().to_owned();
    let fail = |step, e: std::io::Error| TestkitError::cluster(&dir, step, e);
    let setup = lock::exclusive(&dir, lock::SETUP).map_err(|e| fail("taking setup.lock", e))?;
    let lease = lock::shared(&dir, lock::USERS).map_err(|e| fail("taking users.lock", e))?;
    let running_on = cluster.is_running().then(|| cluster.port().ok()).flatten();
    let port = match running_on {
        Some(port) => port,
        None => start_fresh(&cluster)?,
    };
    watchdog::ensure(&cluster, idle_seconds(), "fast", Folder::Keep)?;
    if let Ok(mut leases) = LEASES.lock() {
        leases.push(lease);
    }
    drop(setup);
    Ok(admin_url(port))
}

/// A new cluster, in place of whatever an earlier run left (a reboot, a killed watchdog).
fn start_fresh(cluster: &Cluster) -> Result<u16, TestkitError> {
    // A leftover server may still be running on a port nobody knows: stop it first.
    let _ = cluster.stop("immediate");
    cluster.remove_own_dir()?;
    cluster.init()?;
    cluster.start_on_free_port()
}

fn idle_seconds() -> u64 {
    std::env::var(IDLE_SECONDS_VAR)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&s| s > 0)
        .unwrap_or(DEFAULT_IDLE_SECONDS)
}

fn folder() -> PathBuf {
    if let Some(dir) = std::env::var_os(DIR_VAR).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    // Test binaries live in TARGET/PROFILE/deps/.
    let build = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(PathBuf::from))
        .unwrap_or_default();
    std::env::temp_dir().join(format!(
        "permanence-test-postgres-{:016x}",
        fnv1a(build.as_os_str().as_encoded_bytes())
    ))
}

/// A stable hash (std's is not promised to stay the same between Rust versions, and two
/// test binaries built apart must agree on the folder).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
