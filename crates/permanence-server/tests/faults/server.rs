//! The real `permanence` binary as a child process: started on a database, killed with
//! SIGKILL, started again on the same database and port.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BINARY: &str = env!("CARGO_BIN_EXE_permanence");

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Runs a `permanence` subcommand to completion and answers its standard output.
pub fn run(args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(BINARY)
        .args(args)
        .output()
        .with_context(|| format!("running permanence {}", args.first().unwrap_or(&"")))?;
    if !out.status.success() {
        bail!(
            "permanence {} failed: {}{}",
            args.first().unwrap_or(&""),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Creates a team manager for the writers and answers their bearer token.
pub fn add_user(database_url: &str) -> anyhow::Result<String> {
    let out = run(&[
        "user",
        "add",
        "--database-url",
        database_url,
        "--username",
        "fault.writer",
        "--name",
        "Fault Writer",
        "--role",
        "TEAM_MANAGER",
        "--team",
        "North",
        "--authority",
        "E10000003",
    ])?;
    out.split_whitespace()
        .find(|word| word.starts_with("pmt_"))
        .map(str::to_owned)
        .context("the token in `user add`'s output")
}

/// `permanence audit verify` on the database: passes or says why not.
pub fn audit_verify(database_url: &str) -> anyhow::Result<()> {
    run(&["audit", "verify", "--database-url", database_url]).map(|_| ())
}

/// One run of `permanence serve`.
pub struct ServerProcess {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl ServerProcess {
    /// Starts the server and returns once `/healthz` answers (or fails after a minute).
    pub async fn start(database_url: &str, port: u16, log_dir: &Path) -> anyhow::Result<Self> {
        let log = log_dir.join(format!("server-{port}.log"));
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)?;
        let child = Command::new(BINARY)
            .args(["serve", "--database-url", database_url, "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .args([
                "--requests-per-minute",
                "100000000",
                "--escalation-seconds",
                "0",
            ])
            .stdout(Stdio::from(log_file.try_clone()?))
            .stderr(Stdio::from(log_file))
            .spawn()
            .context("starting permanence serve")?;
        let mut server = Self { child, port, log };
        server.wait_healthy(Duration::from_secs(60)).await?;
        Ok(server)
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn wait_healthy(&mut self, within: Duration) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let started = Instant::now();
        let url = format!("{}/healthz", self.base_url());
        while started.elapsed() < within {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server exited ({status}) while starting:\n{}",
                    self.log_tail()
                );
            }
            if let Ok(answer) = client.get(&url).send().await
                && answer.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the server did not answer /healthz:\n{}", self.log_tail())
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL: no shutdown of any kind, as a power-cut of the process.
    pub fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// The end of the server's log, for a failure's message.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
