//! Where the installed PostgreSQL's `initdb` and `pg_ctl` are.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Debian and Ubuntu install each major version here, and put neither program on PATH.
const VERSIONS_ROOT: &str = "/usr/lib/postgresql";

/// The two programs a private cluster needs, from one installation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Binaries {
    pub initdb: PathBuf,
    pub pg_ctl: PathBuf,
}

/// PATH first (what the user chose), then the newest version under `/usr/lib/postgresql`.
pub(crate) fn find() -> Option<Binaries> {
    find_in(std::env::var_os("PATH"), Path::new(VERSIONS_ROOT))
}

pub(crate) fn find_in(path: Option<OsString>, versions_root: &Path) -> Option<Binaries> {
    let mut dirs: Vec<PathBuf> = path
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(versioned_bin_dirs(versions_root));
    // Both from the same folder: an initdb of one version and a pg_ctl of another would make
    // a cluster that does not start.
    dirs.into_iter().find_map(|dir| {
        let initdb = dir.join("initdb");
        let pg_ctl = dir.join("pg_ctl");
        (is_executable(&initdb) && is_executable(&pg_ctl)).then_some(Binaries { initdb, pg_ctl })
    })
}

/// `ROOT/<version>/bin`, newest version first (numerically: 16 before 9.6).
fn versioned_bin_dirs(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut versions: Vec<(Vec<u64>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let version = name
                .split('.')
                .map(str::parse)
                .collect::<Result<Vec<u64>, _>>()
                .ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether `program` is on PATH.
pub(crate) fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|dir| is_executable(&dir.join(program))))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "permanence-testkit-{name}-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn install(bin: &Path, programs: &[&str]) {
        std::fs::create_dir_all(bin).unwrap();
        for program in programs {
            let path = bin.join(program);
            std::fs::write(&path, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }

    #[test]
    fn nothing_installed_is_none() {
        let root = scratch("none");
        let empty_path = std::env::join_paths([root.join("bin")]).unwrap();
        assert_eq!(find_in(Some(empty_path), &root.join("lib")), None);
        assert_eq!(find_in(None, &root.join("lib")), None);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn the_newest_version_is_chosen_by_number() {
        let root = scratch("versions");
        for version in ["9.6", "15", "16", "not-a-version"] {
            install(&root.join(version).join("bin"), &["initdb", "pg_ctl"]);
        }
        let found = find_in(None, &root).unwrap();
        assert_eq!(found.initdb, root.join("16/bin/initdb"));
        assert_eq!(found.pg_ctl, root.join("16/bin/pg_ctl"));
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn path_comes_first_and_needs_both_programs_in_one_folder() {
        let root = scratch("path");
        install(&root.join("only-initdb"), &["initdb"]);
        install(&root.join("both"), &["initdb", "pg_ctl"]);
        install(&root.join("lib/17/bin"), &["initdb", "pg_ctl"]);
        let path = std::env::join_paths([root.join("only-initdb"), root.join("both")]).unwrap();
        let found = find_in(Some(path), &root.join("lib")).unwrap();
        assert_eq!(found.pg_ctl, root.join("both/pg_ctl"));
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_file_that_is_not_executable_is_not_a_program() {
        let root = scratch("mode");
        install(&root.join("15/bin"), &["initdb", "pg_ctl"]);
        let pg_ctl = root.join("15/bin/pg_ctl");
        std::fs::set_permissions(&pg_ctl, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(find_in(None, &root), None);
        std::fs::remove_dir_all(root).unwrap();
    }
}
