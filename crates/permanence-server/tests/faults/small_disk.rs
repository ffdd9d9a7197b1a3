//! A small tmpfs to put a SQLite database on, and fill.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted on a temporary folder, unmounted when dropped.
pub struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None`, after saying so on one line, when this process cannot mount (it needs root).
    /// Under CI (`CI=true`) not being able to is a failure: the test must run there.
    pub fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        let why = match mounted {
            Ok(out) if out.status.success() => return Some(Self { dir }),
            Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            Err(e) => e.to_string(),
        };
        let line = format!("faults: full disk NOT RUN: cannot mount a tmpfs (needs root): {why}");
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{line}");
        println!("{line}");
        eprintln!("{line}");
        None
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the file system with one file until it refuses another byte; answers the file.
    pub fn fill(&self) -> PathBuf {
        let filler = self.path().join("filler");
        if let Ok(mut file) = std::fs::File::create(&filler) {
            let block = vec![0x5a_u8; 4096];
            while file.write_all(&block).is_ok() {}
            // A part block may fit where a whole one did not.
            while file.write_all(&block[..64]).is_ok() {}
            let _ = file.sync_all();
        }
        filler
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
