//! The national return in the end-to-end tests: a scratch directory for exported files, and
//! importing and exporting a return the way `permanence ssda903` does.

use crate::TestServer;
use anyhow::Context;
use permanence_engine::import::ImportOutcome;
use permanence_server::config::DatabaseArgs;
use permanence_server::ssda903::import::{import_files, read_dir};
use permanence_server::ssda903::{ExportArgs, export};
use permanence_ssda903::import::SourceFile;
use std::path::PathBuf;

/// The authority the tests' returns belong to.
pub const AUTHORITY: &str = "E10000003";

/// A directory of its own under the system's temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self(std::env::temp_dir().join(format!("ssda903-e2e-{}", uuid::Uuid::now_v7())))
    }

    pub fn read(&self, file: &str) -> anyhow::Result<String> {
        std::fs::read_to_string(self.0.join(file)).with_context(|| format!("reading {file}"))
    }

    /// Every file of the directory, by name, with its text.
    pub fn files(&self) -> anyhow::Result<Vec<(String, String)>> {
        Ok(read_dir(&self.0)?
            .into_iter()
            .map(|f| (f.name, f.text))
            .collect())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Exports the authority's return of the collection year ending in `year` into `dir`.
pub async fn export_to(server: &TestServer, dir: &TempDir, year: i32) -> anyhow::Result<()> {
    let args = ExportArgs {
        database: DatabaseArgs {
            database_url: String::new(),
        },
        dir: dir.0.clone(),
        year,
        local_authority: Some(AUTHORITY.into()),
    };
    export(server.engine(), &args).await?;
    Ok(())
}

/// Progress of an import, not shown.
pub fn quiet(_: &str) {}

/// Imports `files` for the authority, every refusal in the error.
pub async fn imported(
    engine: &permanence_engine::Engine,
    files: &[SourceFile],
) -> anyhow::Result<ImportOutcome> {
    import_files(engine, AUTHORITY, files, &quiet)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))
}
