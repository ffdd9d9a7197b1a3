//! One PostgreSQL cluster in a folder of its own: made with initdb, started and stopped with
//! pg_ctl, listening on 127.0.0.1 on a free port, trusting local connections. For tests only:
//! fsync is off, since a lost machine loses nothing a test needs. `synchronous_commit` stays
//! on: a commit must survive the server's crash (an immediate stop), as in production, or a
//! test of an outage would see committed work vanish.
//!
//! The folder holds the lock files of `lock` and `watchdog`, and `cluster/`, which the server's
//! user owns: `data/` (initdb's), `server.log`, the unix socket, and `port`.

use crate::TestkitError;
use crate::binaries::Binaries;
use crate::server_user::ServerUser;
use std::ffi::OsString;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How many free ports are tried: another process may take one between our choosing it and
/// the server binding it.
const START_ATTEMPTS: u32 = 5;

#[derive(Clone, Debug)]
pub(crate) struct Cluster {
    folder: PathBuf,
    user: ServerUser,
    binaries: Binaries,
}

impl Cluster {
    pub(crate) fn new(folder: PathBuf, user: ServerUser, binaries: Binaries) -> Self {
        Cluster {
            folder,
            user,
            binaries,
        }
    }

    /// The folder that holds everything of this cluster.
    pub(crate) fn folder(&self) -> &Path {
        &self.folder
    }

    /// The part the server owns, removed when the cluster is.
    pub(crate) fn own_dir(&self) -> PathBuf {
        self.folder.join("cluster")
    }

    fn data_dir(&self) -> PathBuf {
        self.own_dir().join("data")
    }

    fn port_file(&self) -> PathBuf {
        self.own_dir().join("port")
    }

    fn fail(&self, step: &'static str, detail: impl std::fmt::Display) -> TestkitError {
        TestkitError::cluster(&self.folder, step, detail)
    }

    /// Creates the folder (readable by the server's user, who must pass through it).
    pub(crate) fn create_folder(&self) -> Result<(), TestkitError> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(&self.folder).map_err(|e| self.fail("creating the folder", e))?;
        std::fs::set_permissions(&self.folder, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| self.fail("opening the folder to the server's user", e))
    }

    /// A new, empty cluster: initdb, then the settings of a throwaway test server.
    pub(crate) fn init(&self) -> Result<(), TestkitError> {
        let own = self.own_dir();
        std::fs::create_dir_all(&own).map_err(|e| self.fail("creating cluster/", e))?;
        self.user
            .own(&own)
            .map_err(|e| self.fail("giving cluster/ to the postgres user", e))?;
        let mut initdb = self.user.command(&self.binaries.initdb);
        initdb
            .arg("--pgdata")
            .arg(self.data_dir())
            .args(["--username=postgres", "--auth=trust", "--encoding=UTF8"])
            .args(["--locale=C", "--no-sync"]);
        self.run("initdb", initdb)?;
        self.append_settings()
    }

    fn append_settings(&self) -> Result<(), TestkitError> {
        use std::io::Write;
        let socket_dir = self.own_dir().display().to_string().replace('\'', "''");
        let settings = format!(
            "\n# A throwaway cluster for permanence's tests.\n\
             listen_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{socket_dir}'\n\
             max_connections = 200\n\
             fsync = off\n\
             full_page_writes = off\n"
        );
        std::fs::OpenOptions::new()
            .append(true)
            .open(self.data_dir().join("postgresql.conf"))
            .and_then(|mut file| file.write_all(settings.as_bytes()))
            .map_err(|e| self.fail("writing postgresql.conf", e))
    }

    /// Starts the server on a free port; returns the port.
    pub(crate) fn start_on_free_port(&self) -> Result<u16, TestkitError> {
        let mut last = None;
        for _ in 0..START_ATTEMPTS {
            let port = free_port().map_err(|e| self.fail("choosing a free port", e))?;
            match self.start_on(port) {
                Ok(()) => return Ok(port),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| self.fail("starting the server", "no attempt was made")))
    }

    /// Starts the server on `port`, and waits until it accepts connections.
    pub(crate) fn start_on(&self, port: u16) -> Result<(), TestkitError> {
        let mut pg_ctl = self.user.command(&self.binaries.pg_ctl);
        pg_ctl
            .arg("start")
            .arg("--pgdata")
            .arg(self.data_dir())
            .arg("--log")
            .arg(self.own_dir().join("server.log"))
            .args(["--wait", "--timeout=60"])
            .arg(format!("--options=-p {port}"));
        self.run("pg_ctl start", pg_ctl)
            .map_err(|e| self.with_log(e))?;
        std::fs::write(self.port_file(), port.to_string())
            .map_err(|e| self.fail("recording the port", e))
    }

    /// Stops the server. `mode` is pg_ctl's: `fast` (a clean shutdown) or `immediate` (as if
    /// the power went).
    pub(crate) fn stop(&self, mode: &str) -> Result<(), TestkitError> {
        let mut pg_ctl = self.user.command(&self.binaries.pg_ctl);
        pg_ctl.args(self.stop_args(mode));
        self.run("pg_ctl stop", pg_ctl)
    }

    /// What stops the server, as a command line (the watchdog runs it).
    pub(crate) fn stop_argv(&self, mode: &str) -> Vec<OsString> {
        let mut argv = self.user.argv(&self.binaries.pg_ctl);
        argv.extend(self.stop_args(mode));
        argv
    }

    fn stop_args(&self, mode: &str) -> Vec<OsString> {
        vec![
            "stop".into(),
            "--pgdata".into(),
            self.data_dir().into(),
            format!("--mode={mode}").into(),
            "--wait".into(),
            "--timeout=60".into(),
        ]
    }

    /// Whether its postmaster is alive (pg_ctl reads postmaster.pid and asks the process).
    pub(crate) fn is_running(&self) -> bool {
        if !self.data_dir().exists() {
            return false;
        }
        let mut pg_ctl = self.user.command(&self.binaries.pg_ctl);
        pg_ctl.arg("status").arg("--pgdata").arg(self.data_dir());
        self.run("pg_ctl status", pg_ctl).is_ok()
    }

    /// The port it was last started on.
    pub(crate) fn port(&self) -> Result<u16, TestkitError> {
        std::fs::read_to_string(self.port_file())
            .map_err(|e| self.fail("reading the port", e))?
            .trim()
            .parse()
            .map_err(|e| self.fail("reading the port", e))
    }

    /// Removes what the server owned: the data, the log, the socket.
    pub(crate) fn remove_own_dir(&self) -> Result<(), TestkitError> {
        match std::fs::remove_dir_all(self.own_dir()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(self.fail("removing cluster/", e))
            }
            _ => Ok(()),
        }
    }

    fn run(&self, step: &'static str, mut command: Command) -> Result<(), TestkitError> {
        // The server's user may not enter the tests' working directory (root's home).
        command.current_dir(self.own_dir());
        let output = command.output().map_err(|e| self.fail(step, e))?;
        if output.status.success() {
            return Ok(());
        }
        let said = String::from_utf8_lossy(&output.stderr);
        let said = said.trim();
        let said = if said.is_empty() {
            String::from_utf8_lossy(&output.stdout).trim().to_owned()
        } else {
            said.to_owned()
        };
        Err(self.fail(step, format!("{}: {}", output.status, one_line(&said))))
    }

    /// Adds the server log's last line to a failed start: it says why (a port in use, ...).
    fn with_log(&self, error: TestkitError) -> TestkitError {
        let log = std::fs::read_to_string(self.own_dir().join("server.log")).unwrap_or_default();
        match (error, log.lines().rev().find(|l| !l.trim().is_empty())) {
            (
                TestkitError::Cluster {
                    folder,
                    step,
                    detail,
                },
                Some(last),
            ) => TestkitError::Cluster {
                folder,
                step,
                detail: format!("{detail}; the server log ends: {}", last.trim()),
            },
            (error, _) => error,
        }
    }
}

fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// A port nothing listens on now: the kernel's choice for a listener bound to port 0.
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// The admin URL of a cluster on `port`.
pub(crate) fn admin_url(port: u16) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}
