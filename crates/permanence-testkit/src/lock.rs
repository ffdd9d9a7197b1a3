//! The lock files that let many test processes share one cluster. They are `flock` locks, the
//! kind the `flock` command of the watchdog takes too, and the kernel releases them when their
//! process ends however it ends, so a killed test never leaves a lock behind.
//!
//! - `setup.lock`, exclusive: held while a process starts, checks or stops the cluster;
//! - `users.lock`, shared: held by every process using the cluster, for as long as it runs;
//! - `watchdog.lock`, exclusive: held by the watchdog for as long as it runs.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

pub(crate) const SETUP: &str = "setup.lock";
pub(crate) const USERS: &str = "users.lock";
pub(crate) const WATCHDOG: &str = "watchdog.lock";

fn open(folder: &Path, name: &str) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(folder.join(name))
}

/// Waits for the lock, and holds it until the file is dropped.
pub(crate) fn exclusive(folder: &Path, name: &str) -> std::io::Result<File> {
    let file = open(folder, name)?;
    file.lock()?;
    Ok(file)
}

/// Waits for a shared hold on the lock, kept until the file is dropped.
pub(crate) fn shared(folder: &Path, name: &str) -> std::io::Result<File> {
    let file = open(folder, name)?;
    file.lock_shared()?;
    Ok(file)
}

/// Whether someone holds the lock, asked without waiting (and without keeping it).
pub(crate) fn is_held(folder: &Path, name: &str) -> std::io::Result<bool> {
    let file = open(folder, name)?;
    match file.try_lock_shared() {
        Ok(()) => Ok(false),
        Err(TryLockError::WouldBlock) => Ok(true),
        Err(TryLockError::Error(e)) => Err(e),
    }
}
