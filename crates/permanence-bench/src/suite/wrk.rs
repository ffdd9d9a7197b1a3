//! Runs `wrk` (Debian's package) with `bench.lua`, and reads its figures back.
//!
//! wrk runs with one thread: on a 2-core machine a second thread would take CPU from the
//! server being measured. Its fixed rates come from the script's `delay` schedule (wrk itself
//! has none): latency is measured from when each request is sent, so a server that falls
//! behind the offered rate shows it as an achieved rate below the offered one, not as queueing
//! time; the tables give both rates.

use anyhow::{Context, bail};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const SCRIPT: &str = include_str!("bench.lua");

/// How long a run warms up and then measures.
#[derive(Clone, Copy, Debug)]
pub struct RunTime {
    pub warmup: Duration,
    pub duration: Duration,
}

/// The load offered.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Load {
    /// This many connections, each sending its next request as soon as it has an answer.
    Concurrency(u32),
    /// This many requests a second, over this many connections.
    Rate { per_second: f64, connections: u32 },
}

impl Load {
    pub fn label(&self) -> String {
        match self {
            Load::Concurrency(c) => format!("{c} connections"),
            Load::Rate { per_second, .. } => format!("{per_second:.0} req/s offered"),
        }
    }

    fn connections(&self) -> u32 {
        match self {
            Load::Concurrency(c) => *c,
            Load::Rate { connections, .. } => *connections,
        }
    }

    fn rate(&self) -> f64 {
        match self {
            Load::Concurrency(_) => 0.0,
            Load::Rate { per_second, .. } => *per_second,
        }
    }
}

/// What one run measured.
#[derive(Clone, Debug)]
pub struct Measured {
    pub load: Load,
    /// Answers received (successes and failures).
    pub requests: u64,
    pub failed: u64,
    /// Writes answered without an error, and with one.
    pub write_ok: u64,
    pub write_failed: u64,
    pub seconds: f64,
    /// Successful answers a second (for writes alone: successful writes a second).
    pub throughput: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Sample answers that failed.
    pub failures: String,
    /// Load average (1 minute) when the run ended.
    pub load_average: String,
}

/// The script and the bodies' files, in the output folder.
#[derive(Debug)]
pub struct Scripts {
    dir: PathBuf,
    script: PathBuf,
}

pub fn check_installed() -> anyhow::Result<()> {
    match Command::new("wrk").arg("--version").output() {
        Ok(_) => Ok(()),
        Err(e) => bail!("wrk is needed (Debian: apt-get install -y wrk): {e}"),
    }
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

impl Scripts {
    pub fn write(out: &Path) -> anyhow::Result<Self> {
        let dir = out.join("wrk");
        std::fs::create_dir_all(&dir)?;
        let script = dir.join("bench.lua");
        std::fs::write(&script, SCRIPT)?;
        Ok(Self { dir, script })
    }

    /// Writes one JSON body a line.
    pub fn lines_file(&self, name: &str, bodies: &[String]) -> anyhow::Result<PathBuf> {
        let path = self
            .dir
            .join(format!("{}.txt", name.replace([' ', '='], "-")));
        let mut text = String::new();
        for body in bodies {
            text.push_str(body);
            text.push('\n');
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }
}

/// One wrk run.
#[derive(Clone, Debug)]
pub struct Run<'a> {
    pub url: &'a str,
    pub reads: Option<&'a Path>,
    pub writes: Option<&'a Path>,
    pub read_token: &'a str,
    pub write_token: &'a str,
    /// 0: no writes; 1: only writes; 10: one request in ten.
    pub write_every: u32,
    pub load: Load,
    pub seconds: u64,
}

fn path_arg(path: Option<&Path>) -> String {
    path.map_or_else(|| "-".to_owned(), |p| p.display().to_string())
}

pub fn run(scripts: &Scripts, run: &Run<'_>) -> anyhow::Result<Measured> {
    let output = Command::new("wrk")
        .arg("-t1")
        .arg(format!("-c{}", run.load.connections()))
        .arg(format!("-d{}s", run.seconds.max(1)))
        .arg("--timeout")
        .arg("30s")
        .arg("-s")
        .arg(&scripts.script)
        .arg(run.url)
        .arg("--")
        .arg(path_arg(run.reads))
        .arg(path_arg(run.writes))
        .arg(run.read_token)
        .arg(run.write_token)
        .arg(format!("{:.3}", run.load.rate()))
        .arg(run.write_every.to_string())
        .output()
        .context("running wrk")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed: {}\n{stdout}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let json = stdout
        .lines()
        .find_map(|l| l.strip_prefix("BENCH_JSON "))
        .with_context(|| format!("wrk printed no figures:\n{stdout}"))?;
    let failures = stdout
        .lines()
        .find_map(|l| l.strip_prefix("BENCH_FAILURES "))
        .unwrap_or("")
        .to_owned();
    let v: Value = serde_json::from_str(json).context("reading wrk's figures")?;
    let n = |k: &str| v[k].as_f64().unwrap_or(0.0);
    let ms = |k: &str| n(k) / 1000.0;
    let requests = n("requests") as u64;
    let ok = n("ok") as u64;
    let write_ok = n("write_ok") as u64;
    let (seconds, throughput) = if run.write_every == 1 {
        // Writes stop when each has been sent once: time them from the first request to the
        // last write answered, not over the whole of `-d`.
        let s = n("write_ms") / 1000.0;
        (s, if s > 0.0 { write_ok as f64 / s } else { 0.0 })
    } else {
        let s = n("duration_us") / 1e6;
        (s, if s > 0.0 { ok as f64 / s } else { 0.0 })
    };
    let socket_errors = n("connect_errors") + n("read_errors") + n("write_errors") + n("timeouts");
    Ok(Measured {
        load: run.load,
        requests,
        failed: n("failed") as u64 + socket_errors as u64,
        write_ok,
        write_failed: n("write_failed") as u64,
        seconds,
        throughput,
        p50_ms: ms("p50_us"),
        p90_ms: ms("p90_us"),
        p99_ms: ms("p99_us"),
        max_ms: ms("max_us"),
        failures,
        load_average: load_average(),
    })
}

/// A read scenario at a fixed concurrency, then at each fraction of the throughput seen
/// there. Returns the runs (the rates used are in their `load`).
pub fn measure_reads(
    scripts: &Scripts,
    base: &Run<'_>,
    connections: u32,
    fractions: &[f64],
    time: RunTime,
) -> anyhow::Result<Vec<Measured>> {
    let mut warm = base.clone();
    warm.load = Load::Concurrency(connections);
    warm.seconds = time.warmup.as_secs();
    if warm.seconds > 0 {
        run(scripts, &warm)?;
    }
    let mut fixed = base.clone();
    fixed.load = Load::Concurrency(connections);
    fixed.seconds = time.duration.as_secs();
    let first = run(scripts, &fixed)?;
    let mut out = vec![first.clone()];
    for per_second in distinct_rates(first.throughput, fractions) {
        out.push(measure_at(scripts, base, per_second, connections, time)?);
    }
    Ok(out)
}

/// The fixed rates to offer: each fraction of the throughput seen, whole requests a second
/// and at least one; a slow scenario (the national report) can give two fractions the same
/// rate, which is then run once.
pub fn distinct_rates(throughput: f64, fractions: &[f64]) -> Vec<f64> {
    let mut rates: Vec<f64> = Vec::new();
    for fraction in fractions {
        let rate = (throughput * fraction).round().max(1.0);
        if !rates.contains(&rate) {
            rates.push(rate);
        }
    }
    rates
}

/// One run at a fixed rate.
pub fn measure_at(
    scripts: &Scripts,
    base: &Run<'_>,
    per_second: f64,
    connections: u32,
    time: RunTime,
) -> anyhow::Result<Measured> {
    let mut at = base.clone();
    at.load = Load::Rate {
        per_second,
        connections,
    };
    at.seconds = time.duration.as_secs();
    run(scripts, &at)
}
