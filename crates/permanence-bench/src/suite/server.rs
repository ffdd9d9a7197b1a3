//! The release `permanence` binary, started on the working database for a scenario and
//! stopped after it, and the users its requests come from (created with `permanence user add`,
//! as an administrator would).

use super::targets::Plan;
use anyhow::{Context, bail};
use std::fs::File;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Requests a minute per user: far above what the machine can answer, so that the limiter
/// is passed through (and costs what it costs) but never refuses.
const REQUESTS_PER_MINUTE: &str = "1000000000";
const START_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug)]
pub struct Server {
    child: Child,
    bin: PathBuf,
    database_url: String,
    port: u16,
}

/// Bearer tokens of the users the scenarios act as.
#[derive(Clone, Debug)]
pub struct Users {
    /// An agency decision maker: reads every case of the authority, and the timeliness report.
    pub reader: String,
    /// A team manager of every team: records route steps on any case.
    pub writer: String,
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

impl Server {
    /// Starts `permanence serve` and waits until `/healthz` answers. Its log goes to
    /// `OUT/server-NAME.log`.
    pub async fn start(
        bin: &Path,
        database_url: &str,
        out: &Path,
        name: &str,
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let log = File::create(out.join(format!("server-{name}.log")))?;
        let child = Command::new(bin)
            .arg("serve")
            .arg("--database-url")
            .arg(database_url)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--requests-per-minute")
            .arg(REQUESTS_PER_MINUTE)
            // Escalation rounds are background work of their own: not part of these scenarios.
            .arg("--escalation-seconds")
            .arg("0")
            .env("PERMANENCE_LOG", "warn")
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let server = Self {
            child,
            bin: bin.to_owned(),
            database_url: database_url.to_owned(),
            port,
        };
        server.wait_healthy().await?;
        Ok(server)
    }

    async fn wait_healthy(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let started = Instant::now();
        let url = format!("http://127.0.0.1:{}/healthz", self.port);
        loop {
            if let Ok(response) = client.get(&url).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                bail!("the server did not answer {url} within {START_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn graphql_url(&self) -> String {
        format!("http://127.0.0.1:{}/graphql", self.port)
    }

    /// Creates the reader and the writer (new names each time: the database is reused).
    pub fn users(&self, plan: &Plan) -> anyhow::Result<Users> {
        let suffix = format!("{}-{}", self.port, std::process::id());
        let reader = self.user_add(
            &format!("bench-reader-{suffix}"),
            "AGENCY_DECISION_MAKER",
            &[],
            &plan.local_authority,
        )?;
        let writer = self.user_add(
            &format!("bench-writer-{suffix}"),
            "TEAM_MANAGER",
            &plan.teams,
            &plan.local_authority,
        )?;
        Ok(Users { reader, writer })
    }

    /// The server's process id (to read its CPU time).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates a user who signs in to the pages with `password` (`permanence user add
    /// --password-stdin`, as an administrator would).
    pub fn user_with_password(
        &self,
        username: &str,
        role: &str,
        teams: &[String],
        authority: &str,
        password: &str,
    ) -> anyhow::Result<()> {
        let mut command = self.user_add_command(username, role, teams, authority);
        let mut child = command
            .arg("--password-stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("permanence user add")?;
        child
            .stdin
            .take()
            .context("permanence user add: no standard input")?
            .write_all(format!("{password}\n").as_bytes())?;
        let output = child.wait_with_output()?;
        if !output.status.success() {
            bail!(
                "permanence user add: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    fn user_add_command(
        &self,
        username: &str,
        role: &str,
        teams: &[String],
        authority: &str,
    ) -> Command {
        let mut command = Command::new(&self.bin);
        command
            .args(["user", "add", "--database-url", &self.database_url])
            .args(["--username", username, "--name", username, "--role", role])
            .args(["--authority", authority]);
        for team in teams {
            command.args(["--team", team]);
        }
        command
    }

    fn user_add(
        &self,
        username: &str,
        role: &str,
        teams: &[String],
        authority: &str,
    ) -> anyhow::Result<String> {
        let mut command = self.user_add_command(username, role, teams, authority);
        let output = command.output().context("permanence user add")?;
        if !output.status.success() {
            bail!(
                "permanence user add: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        // The token is the last line printed.
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_owned)
            .context("permanence user add printed no token")
    }

    /// Stops the server with SIGTERM (it finishes requests in flight) and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let started = Instant::now();
        loop {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(30) {
                self.child.kill()?;
                self.child.wait()?;
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
