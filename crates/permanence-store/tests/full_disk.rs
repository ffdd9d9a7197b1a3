//! A SQLite database on a full file system (a small tmpfs): a write the store reports as
//! done is committed, and once the disk has room again writes go through without reopening
//! the store. Mounting needs root; where it cannot mount the test says so on one line, and
//! fails under CI (`CI=true`), where it must run.

use chrono::Utc;
use permanence_store::{NewAuditEntry, Store};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted on a temporary folder, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` (after saying why) when this process cannot mount.
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(Self { dir }),
            other => {
                let why = match other {
                    Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
                    Err(e) => e.to_string(),
                };
                let line =
                    format!("full disk test NOT RUN: cannot mount a tmpfs (needs root): {why}");
                assert!(std::env::var("CI").as_deref() != Ok("true"), "{line}");
                println!("{line}");
                eprintln!("{line}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazily: a pool may still be closing its files.
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Fills the file system with one file until it refuses another byte.
fn fill(path: &Path) -> PathBuf {
    let filler = path.join("filler");
    let mut file = std::fs::File::create(&filler).expect("creates the filler");
    let block = vec![0x5a_u8; 4096];
    while file.write_all(&block).is_ok() {}
    // A part block may fit where a whole one did not.
    while file.write_all(&block[..64]).is_ok() {}
    let _ = file.sync_all();
    filler
}

fn entry(n: usize) -> NewAuditEntry {
    NewAuditEntry {
        at: Utc::now(),
        actor: "fault-test".into(),
        action: "read".into(),
        record_kind: "case".into(),
        record_id: format!("write-{n}"),
        // Large enough that each write needs new pages on disk.
        query: "x".repeat(6000),
        records: None,
    }
}

async fn stored_ids(url: &str) -> BTreeSet<String> {
    // A second pool sees only what is committed, as a restarted process would.
    let fresh = Store::connect(url).await.expect("reopens");
    let rows = fresh.audit_page(0, 100_000).await.expect("reads the log");
    rows.into_iter().map(|r| r.entry.record_id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_disk_loses_no_acknowledged_write_and_writes_resume() {
    let Some(disk) = SmallDisk::mount("4m") else {
        return;
    };
    let url = format!(
        "sqlite://{}?mode=rwc",
        disk.path().join("permanence.sqlite").display()
    );
    let store = Store::connect(&url).await.expect("connects");
    store.migrate().await.expect("migrates");

    let mut acknowledged = BTreeSet::new();
    let mut refused = 0;
    let mut n = 0;
    // A few writers at once, so that the pool's connections take turns at failing.
    let filler = fill(disk.path());
    for _round in 0..40 {
        let writes = (0..4).map(|_| {
            n += 1;
            let store = store.clone();
            let e = entry(n);
            async move { (e.record_id.clone(), store.append_audit(&[e]).await) }
        });
        for (id, outcome) in futures_util::future::join_all(writes).await {
            match outcome {
                Ok(()) => {
                    acknowledged.insert(id);
                }
                Err(_) => refused += 1,
            }
        }
    }
    assert!(refused > 0, "the disk never filled: every write went in");

    std::fs::remove_file(filler).expect("frees the disk");
    let mut after = Vec::new();
    for _ in 0..10 {
        n += 1;
        let e = entry(n);
        let id = e.record_id.clone();
        let outcome = store.append_audit(&[e]).await;
        if outcome.is_ok() {
            acknowledged.insert(id);
        }
        after.push(outcome.map_err(|e| e.to_string()));
    }
    let failed_after: Vec<&String> = after.iter().filter_map(|o| o.as_ref().err()).collect();

    let stored = stored_ids(&url).await;
    let lost: Vec<&String> = acknowledged.difference(&stored).collect();
    let problems = store.integrity_problems().await.expect("checks integrity");
    println!(
        "full disk (store): acknowledged {}, refused while full {refused}, lost {}, failed after space returned {}, integrity problems {}",
        acknowledged.len(),
        lost.len(),
        failed_after.len(),
        problems.len()
    );
    assert!(lost.is_empty(), "acknowledged but not committed: {lost:?}");
    assert!(
        failed_after.is_empty(),
        "writes failed after the disk had room again: {failed_after:?}"
    );
    assert!(problems.is_empty(), "integrity_check: {problems:?}");
    drop(store);
}
