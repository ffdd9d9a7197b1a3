//! Who runs the cluster. initdb and pg_ctl refuse to run as root; tests are often run as root
//! in containers and CI, so there the cluster is run as the `postgres` system user, in a
//! folder that user owns.

use crate::TestkitError;
use crate::binaries::on_path;
use std::ffi::OsString;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

const SYSTEM_USER: &str = "postgres";

#[derive(Clone, Debug)]
pub(crate) enum ServerUser {
    /// The user running the tests.
    Current,
    /// The `postgres` system user, reached with `runuser`.
    System { uid: u32, gid: u32 },
}

impl ServerUser {
    /// Decided once per process: the answer cannot change while it runs.
    pub(crate) fn get() -> Result<ServerUser, TestkitError> {
        static USER: OnceLock<Result<ServerUser, TestkitError>> = OnceLock::new();
        USER.get_or_init(Self::detect).clone()
    }

    fn detect() -> Result<ServerUser, TestkitError> {
        // Without an answer from `id`, initdb itself says whether it may run.
        if id(&["-u"]) != Ok(0) {
            return Ok(ServerUser::Current);
        }
        let fail = |detail| TestkitError::RootWithoutPostgresUser { detail };
        let uid = id(&["-u", SYSTEM_USER]).map_err(fail)?;
        let gid = id(&["-g", SYSTEM_USER]).map_err(fail)?;
        if !on_path("runuser") {
            return Err(TestkitError::MissingTool {
                tool: "runuser",
                purpose: "to run the tests' PostgreSQL as the postgres user when testing as root",
            });
        }
        Ok(ServerUser::System { uid, gid })
    }

    /// The command line that runs `program` as this user.
    pub(crate) fn argv(&self, program: &Path) -> Vec<OsString> {
        match self {
            ServerUser::Current => vec![program.into()],
            ServerUser::System { .. } => vec![
                "runuser".into(),
                "-u".into(),
                SYSTEM_USER.into(),
                "--".into(),
                program.into(),
            ],
        }
    }

    pub(crate) fn command(&self, program: &Path) -> Command {
        let argv = self.argv(program);
        let mut command = Command::new(&argv[0]);
        command.args(&argv[1..]);
        command
    }

    /// Gives `dir` to this user, so that the server can write there.
    pub(crate) fn own(&self, dir: &Path) -> std::io::Result<()> {
        match self {
            ServerUser::Current => Ok(()),
            ServerUser::System { uid, gid } => {
                std::os::unix::fs::chown(dir, Some(*uid), Some(*gid))
            }
        }
    }
}

/// A number printed by `id`.
fn id(args: &[&str]) -> Result<u32, String> {
    let output = Command::new("id")
        .args(args)
        .output()
        .map_err(|e| format!("id: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "id {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("id {}: {e}", args.join(" ")))
}
