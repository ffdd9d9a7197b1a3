use thiserror::Error;

/// Why a test could not have its PostgreSQL. Each message is one line that says what to do.
#[derive(Clone, Debug, Error)]
pub enum TestkitError {
    #[error(
        "the PostgreSQL tests need PostgreSQL: nothing usable answers at {probed}, \
         PERMANENCE_TEST_POSTGRES_URL is not set, and no initdb and pg_ctl were found (on PATH \
         or in /usr/lib/postgresql/*/bin) to start a private cluster; install PostgreSQL \
         (Debian: apt-get install postgresql) or set PERMANENCE_TEST_POSTGRES_URL"
    )]
    NotInstalled { probed: String },

    #[error(
        "this test starts a PostgreSQL cluster of its own and no initdb and pg_ctl were found \
         (on PATH or in /usr/lib/postgresql/*/bin); install PostgreSQL (Debian: apt-get \
         install postgresql)"
    )]
    NotInstalledForPrivateCluster,

    #[error(
        "PostgreSQL did not let the tests in at {url}: {reason} (when \
         PERMANENCE_TEST_POSTGRES_URL is set, it must name a running server where the user may \
         create databases)"
    )]
    Unreachable { url: String, reason: String },

    #[error("{action} the test database {name} failed: {reason}")]
    Database {
        action: &'static str,
        name: String,
        reason: String,
    },

    #[error("the tests' PostgreSQL cluster in {folder}: {step} failed: {detail}")]
    Cluster {
        folder: String,
        step: &'static str,
        detail: String,
    },

    #[error(
        "initdb refuses to run as root and there is no `postgres` system user to run the \
         tests' cluster as ({detail}); run the tests as an ordinary user, or set \
         PERMANENCE_TEST_POSTGRES_URL"
    )]
    RootWithoutPostgresUser { detail: String },

    #[error("{tool} is needed {purpose} and was not found on PATH")]
    MissingTool {
        tool: &'static str,
        purpose: &'static str,
    },
}

impl TestkitError {
    pub(crate) fn cluster(
        folder: &std::path::Path,
        step: &'static str,
        detail: impl std::fmt::Display,
    ) -> Self {
        TestkitError::Cluster {
            folder: folder.display().to_string(),
            step,
            detail: detail.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_no_postgresql_installed_the_message_is_one_line_saying_what_to_install() {
        for error in [
            TestkitError::NotInstalled {
                probed: "127.0.0.1:5432".to_owned(),
            },
            TestkitError::NotInstalledForPrivateCluster,
        ] {
            let message = error.to_string();
            assert!(!message.contains('\n'), "{message}");
            assert!(message.contains("apt-get install postgresql"), "{message}");
        }
    }
}
