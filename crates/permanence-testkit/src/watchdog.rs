//! Starting the watchdog that stops a cluster when its last user has gone (`watchdog.sh`
//! says how). A shell script under `flock` rather than a thread: it has to outlive every test
//! process, including one that is killed.

use crate::TestkitError;
use crate::binaries::on_path;
use crate::cluster::Cluster;
use crate::lock;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SCRIPT: &str = include_str!("watchdog.sh");

/// How long a new watchdog may take to hold its lock.
const STARTUP: Duration = Duration::from_secs(10);

/// What happens to the cluster's folder once the watchdog has stopped the server.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Folder {
    /// Kept: its lock files are how the next run's processes agree (the shared cluster).
    Keep,
    /// Removed (a private cluster whose test process died).
    Remove,
}

/// Starts a watchdog unless one is already watching. Call while holding `setup.lock`, so
/// that two processes never start two.
pub(crate) fn ensure(
    cluster: &Cluster,
    idle_seconds: u64,
    mode: &str,
    folder: Folder,
) -> Result<(), TestkitError> {
    let dir = cluster.folder();
    let fail = |step, detail: String| TestkitError::cluster(dir, step, detail);
    if lock::is_held(dir, lock::WATCHDOG)
        .map_err(|e| fail("asking for the watchdog", e.to_string()))?
    {
        return Ok(());
    }
    if !on_path("flock") {
        return Err(TestkitError::MissingTool {
            tool: "flock (util-linux)",
            purpose: "to stop the tests' PostgreSQL cluster when the tests end",
        });
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("watchdog.log"))
        .map_err(|e| fail("opening watchdog.log", e.to_string()))?;
    let log_too = log
        .try_clone()
        .map_err(|e| fail("opening watchdog.log", e.to_string()))?;
    // `"$@" &`: the outer shell starts the watchdog in the background and ends at once, so the
    // watchdog is nobody's child here (no zombie, nothing for a test runner to wait for).
    let script = write_script(dir).map_err(|e| fail("writing watchdog.sh", e.to_string()))?;
    let mut command = Command::new("sh");
    command
        .args(["-c", "\"$@\" &", "detach", "sh"])
        .arg(script)
        .arg(dir)
        .arg(idle_seconds.to_string())
        .arg(match folder {
            Folder::Keep => "keep",
            Folder::Remove => "remove",
        })
        .args(cluster.stop_argv(mode))
        .current_dir("/")
        .stdin(Stdio::null())
        // Never the tests' own stdout: a test runner waits for it to close.
        .stdout(log)
        .stderr(log_too);
    // Its own process group: a Ctrl-C to the tests is not sent to it.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let status = command
        .status()
        .map_err(|e| fail("starting the watchdog", e.to_string()))?;
    if !status.success() {
        return Err(fail("starting the watchdog", status.to_string()));
    }
    wait_until_watching(cluster)
}

/// The script as a file beside the cluster, so that `ps` shows what runs and where. Written
/// aside and renamed: a shell reads its script as it goes, and must never see it half-written.
fn write_script(dir: &Path) -> std::io::Result<PathBuf> {
    let script = dir.join("watchdog.sh");
    let fresh = dir.join(format!("watchdog.sh.{}", std::process::id()));
    std::fs::write(&fresh, SCRIPT)?;
    std::fs::rename(&fresh, &script)?;
    Ok(script)
}

fn wait_until_watching(cluster: &Cluster) -> Result<(), TestkitError> {
    let dir = cluster.folder();
    let started = Instant::now();
    while started.elapsed() < STARTUP {
        if lock::is_held(dir, lock::WATCHDOG).unwrap_or(false) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(TestkitError::cluster(
        dir,
        "starting the watchdog",
        "it did not take watchdog.lock (see watchdog.log)",
    ))
}
