//! A fresh PostgreSQL database per test, dropped afterwards.

use crate::TestkitError;
use crate::locate::{connect_admin, postgres_admin_url};
use crate::url::with_database;
use uuid::Uuid;

/// Prefix of the databases the tests create, so that a leftover is easy to recognise.
pub const TEST_DATABASE_PREFIX: &str = "permanence_test_";

/// A new, empty database for one test. It is dropped by `drop_database`, or, when a test ends
/// early (an error returned, a panic), when this value is dropped.
#[derive(Debug)]
pub struct FreshDatabase {
    admin_url: String,
    name: String,
    url: String,
    dropped: bool,
}

impl FreshDatabase {
    /// A database on the tests' PostgreSQL (see the crate's documentation for which).
    pub async fn create() -> Result<FreshDatabase, TestkitError> {
        let admin_url = postgres_admin_url().await?;
        Self::create_at(&admin_url).await
    }

    /// A database on the server whose admin database is at `admin_url` (a
    /// `PrivateClusterHandle`'s `url()`, for instance).
    pub async fn create_at(admin_url: &str) -> Result<FreshDatabase, TestkitError> {
        let name = format!("{TEST_DATABASE_PREFIX}{}", Uuid::now_v7().simple());
        let admin = connect_admin(admin_url).await?;
        admin
            .execute_raw_for_tests(&format!("CREATE DATABASE \"{name}\""))
            .await
            .map_err(|reason| TestkitError::Database {
                action: "creating",
                name: name.clone(),
                reason,
            })?;
        Ok(FreshDatabase {
            url: with_database(admin_url, &name),
            admin_url: admin_url.to_owned(),
            name,
            dropped: false,
        })
    }

    /// The database's URL, to connect to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL of the server's admin database, where databases are created and dropped.
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// Drops the database now. `WITH (FORCE)` ends the connections a test left open.
    pub async fn drop_database(mut self) -> Result<(), TestkitError> {
        self.dropped = true;
        drop_database(&self.admin_url, &self.name).await
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // Drop cannot await, and this thread may be a runtime's (whose connections could not
        // be driven while it waits here): drop the database from a thread and runtime of its
        // own. Best effort: a failure is told on stderr, never turned into a second panic.
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime
                .block_on(drop_database(&admin_url, &name))
                .map_err(|e| e.to_string())
        })
        .join();
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test database {}: {e}", self.name),
            Err(_) => eprintln!("could not drop test database {}: it panicked", self.name),
        }
    }
}

async fn drop_database(admin_url: &str, name: &str) -> Result<(), TestkitError> {
    let admin = connect_admin(admin_url).await?;
    admin
        .execute_raw_for_tests(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .map_err(|reason| TestkitError::Database {
            action: "dropping",
            name: name.to_owned(),
            reason,
        })?;
    Ok(())
}
