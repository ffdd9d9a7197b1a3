//! The figures of a run: `results.json` and `results.md` in `--out`.

use super::SuiteArgs;
use super::dataset::Loaded;
use super::pages::{PageRun, Targets};
use super::wrk::{Load, Measured};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::Path;

pub const ENGINE: &str = "permanence";
pub const POSTGRAPHILE: &str = "PostGraphile 4";
pub const SQL: &str = "SQL (pgbench)";

/// The machine, and how busy it was.
#[derive(Clone, Debug)]
pub struct Machine {
    pub nproc: usize,
    pub memory: String,
    pub cpu: String,
    pub load_average: String,
    pub at: String,
}

impl Machine {
    pub fn now() -> Self {
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .map(|l| l.trim_start_matches("MemTotal:").trim().to_owned())
            .unwrap_or_default();
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, m)| m.trim().to_owned())
            .unwrap_or_default();
        Self {
            nproc: std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
            memory,
            cpu,
            load_average: std::fs::read_to_string("/proc/loadavg")
                .map(|l| l.trim().to_owned())
                .unwrap_or_default(),
            at: chrono::Utc::now()
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string(),
        }
    }

    fn json(&self) -> Value {
        json!({ "nproc": self.nproc, "memory": self.memory, "cpu": self.cpu,
                "load_average": self.load_average, "at": self.at })
    }
}

/// One measured run of one system.
#[derive(Clone, Debug)]
pub struct Row {
    pub system: String,
    pub scenario: String,
    pub m: Measured,
}

impl Row {
    pub fn new(system: &str, scenario: &str, m: Measured) -> Self {
        Self {
            system: system.to_owned(),
            scenario: scenario.to_owned(),
            m,
        }
    }

    fn json(&self) -> Value {
        let m = &self.m;
        json!({
            "system": self.system, "scenario": self.scenario, "load": m.load.label(),
            "connections": match m.load { Load::Concurrency(c) => c, Load::Rate { connections, .. } => connections },
            "offered_per_second": match m.load { Load::Concurrency(_) => None, Load::Rate { per_second, .. } => Some(per_second) },
            "requests": m.requests, "failed": m.failed, "write_ok": m.write_ok,
            "write_failed": m.write_failed, "seconds": m.seconds, "throughput": m.throughput,
            "p50_ms": m.p50_ms, "p90_ms": m.p90_ms, "p99_ms": m.p99_ms, "max_ms": m.max_ms,
            "load_average": m.load_average, "failures": m.failures,
        })
    }
}

/// One in-process scenario.
#[derive(Clone, Debug)]
pub struct InProcess {
    pub name: String,
    pub items: usize,
    pub seconds: f64,
    /// Of the items, how many disagreed with what is stored (must be 0).
    pub mismatches: usize,
    pub note: String,
}

#[derive(Debug)]
pub struct Results {
    backend: String,
    children: usize,
    seed: u64,
    machine_before: Machine,
    machine_after: Option<Machine>,
    loaded: Loaded,
    settings: Value,
    rows: Vec<Row>,
    inprocess: Vec<InProcess>,
    page_targets: Option<Targets>,
    pages: Vec<PageRun>,
    dashboard: Vec<PageRun>,
}

impl Results {
    pub fn new(args: &SuiteArgs, machine: Machine, loaded: Loaded) -> Self {
        Self {
            backend: format!("{:?}", args.backend).to_lowercase(),
            children: args.children,
            seed: args.seed,
            machine_before: machine,
            machine_after: None,
            loaded,
            settings: json!({
                "duration_seconds": args.duration, "warmup_seconds": args.warmup,
                "connections": args.connections, "rate_fractions": args.rate_fractions,
                "wrk_threads": 1,
            }),
            rows: Vec::new(),
            inprocess: Vec::new(),
            page_targets: None,
            pages: Vec::new(),
            dashboard: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Row) {
        eprintln!(
            "suite: {} {} {}: {:.0}/s p50 {:.1} p90 {:.1} p99 {:.1} ms, {} failed (load {})",
            row.system,
            row.scenario,
            row.m.load.label(),
            row.m.throughput,
            row.m.p50_ms,
            row.m.p90_ms,
            row.m.p99_ms,
            row.m.failed,
            row.m.load_average
        );
        self.rows.push(row);
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn push_inprocess(&mut self, row: InProcess) {
        eprintln!(
            "suite: in process {}: {} in {:.2} s, {} mismatches",
            row.name, row.items, row.seconds, row.mismatches
        );
        self.inprocess.push(row);
    }

    pub fn push_pages(&mut self, targets: Targets, runs: Vec<PageRun>) {
        self.page_targets = Some(targets);
        self.pages.extend(runs);
    }

    pub fn push_dashboard(&mut self, runs: Vec<PageRun>) {
        self.dashboard.extend(runs);
    }

    pub fn finish(&mut self, machine: Machine) {
        self.machine_after = Some(machine);
    }

    fn json(&self) -> Value {
        json!({
            "backend": self.backend, "children": self.children, "seed": self.seed,
            "machine_before": self.machine_before.json(),
            "machine_after": self.machine_after.as_ref().map(Machine::json),
            "dataset": self.loaded.json(), "settings": self.settings,
            "runs": self.rows.iter().map(Row::json).collect::<Vec<_>>(),
            "ratios": self.ratios().iter().map(|r| json!({
                "scenario": r.scenario, "versus": r.versus,
                "throughput_ratio": r.throughput, "p99_ratio": r.p99,
            })).collect::<Vec<_>>(),
            "in_process": self.inprocess.iter().map(|r| json!({
                "name": r.name, "items": r.items, "seconds": r.seconds,
                "per_second": per_second(r.items, r.seconds), "mismatches": r.mismatches,
                "note": r.note,
            })).collect::<Vec<_>>(),
            "pages": self.pages.iter().map(PageRun::json).collect::<Vec<_>>(),
            "page_targets": self.page_targets.as_ref().map(Targets::json),
            "dashboard": self.dashboard.iter().map(PageRun::json).collect::<Vec<_>>(),
        })
    }

    /// Engine over the others, per scenario, at fixed concurrency (throughput: above 1 is the
    /// engine faster; p99: below 1 is the engine's tail shorter) and at each fixed rate (p99).
    fn ratios(&self) -> Vec<Ratio> {
        let mut out = Vec::new();
        for engine in self.rows.iter().filter(|r| r.system == ENGINE) {
            for other in self.rows.iter().filter(|r| {
                r.system != ENGINE && r.scenario == engine.scenario && r.m.load == engine.m.load
            }) {
                out.push(Ratio {
                    scenario: format!("{} ({})", engine.scenario, engine.m.load.label()),
                    versus: other.system.clone(),
                    throughput: ratio(engine.m.throughput, other.m.throughput),
                    p99: ratio(engine.m.p99_ms, other.m.p99_ms),
                });
            }
        }
        out
    }

    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let m = &self.machine_before;
        let _ = writeln!(
            s,
            "### {} children on {} (seed {})\n",
            self.children, self.backend, self.seed
        );
        let _ = writeln!(
            s,
            "Machine: {} CPUs ({}), {} memory; load average before: {}; after: {}; at {}.\n",
            m.nproc,
            m.cpu,
            m.memory,
            m.load_average,
            self.machine_after
                .as_ref()
                .map_or("?", |a| a.load_average.as_str()),
            m.at
        );
        let _ = writeln!(s, "Data: {}.\n", self.loaded);
        if !self.rows.is_empty() {
            let _ = writeln!(
                s,
                "| scenario | system | load | answers/s | p50 ms | p90 ms | p99 ms | max ms | answers | failed | load avg |"
            );
            let _ = writeln!(s, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        }
        for r in &self.rows {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {} | {} | {} |",
                r.scenario,
                r.system,
                r.m.load.label(),
                r.m.throughput,
                r.m.p50_ms,
                r.m.p90_ms,
                r.m.p99_ms,
                r.m.max_ms,
                if r.m.write_ok + r.m.write_failed > 0 {
                    format!("{} ({} writes)", r.m.requests, r.m.write_ok)
                } else {
                    r.m.requests.to_string()
                },
                r.m.failed,
                r.m.load_average
            );
        }
        let ratios = self.ratios();
        if !ratios.is_empty() {
            let _ = writeln!(
                s,
                "\nRatios, engine over the other (throughput: >1 the engine answers more; p99: <1 the engine's tail is shorter):\n"
            );
            let _ = writeln!(s, "| scenario | versus | throughput ratio | p99 ratio |");
            let _ = writeln!(s, "|---|---|---:|---:|");
            for r in ratios {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} |",
                    r.scenario,
                    r.versus,
                    shown_ratio(r.throughput),
                    shown_ratio(r.p99)
                );
            }
        }
        if let Some(targets) = &self.page_targets {
            let _ = writeln!(
                s,
                "\nPages, signed in (server: the pages' `Server-Timing`; client: the bench's own \
                 HTTP client on loopback, in the same machine): {}.\n",
                targets.summary()
            );
            let _ = writeln!(
                s,
                "| page | connections | pages/s | server p50 ms | server p95 ms | server p99 ms | server max ms | client p50 ms | client p95 ms | client p99 ms | server CPU ms/page | client CPU ms/page | answers | failed | load avg |"
            );
            let _ = writeln!(
                s,
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            );
            for r in &self.pages {
                let _ = writeln!(
                    s,
                    "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} | {} |",
                    r.page,
                    r.connections,
                    r.per_second(),
                    r.server.p50,
                    r.server.p95,
                    r.server.p99,
                    r.server.max,
                    r.client.p50,
                    r.client.p95,
                    r.client.p99,
                    r.server_cpu_ms,
                    r.client_cpu_ms,
                    r.answers,
                    r.failed,
                    r.load_average
                );
            }
        }
        if !self.dashboard.is_empty() {
            let _ = writeln!(
                s,
                "\nThe dashboard, signed in as a leader of the authority, the last 12 months \
                 (server: `Server-Timing`'s whole, ms; then the median of each step it names: \
                 `cases` read or found unchanged; the figures of the `periods` (the period and the one before), the `quarters` and the `breakdowns` worked out; the `page` or the `file` made):\n"
            );
            let _ = writeln!(
                s,
                "| what | connections | answers | per second | server p50 | server p95 | server p99 | server max | steps, p50 ms | server CPU ms/answer | failed | load avg |"
            );
            let _ = writeln!(
                s,
                "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|"
            );
            for r in &self.dashboard {
                let steps: Vec<String> = r
                    .steps
                    .iter()
                    .map(|(name, spread)| format!("{name} {:.1}", spread.p50))
                    .collect();
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {:.1} | {} | {} |",
                    r.page,
                    r.connections,
                    r.answers,
                    r.per_second(),
                    r.server.p50,
                    r.server.p95,
                    r.server.p99,
                    r.server.max,
                    steps.join(", "),
                    r.server_cpu_ms,
                    r.failed,
                    r.load_average
                );
            }
        }
        if !self.inprocess.is_empty() {
            let _ = writeln!(s, "\nIn process:\n");
            let _ = writeln!(
                s,
                "| scenario | items | seconds | per second | mismatches | note |"
            );
            let _ = writeln!(s, "|---|---:|---:|---:|---:|---|");
            for r in &self.inprocess {
                let _ = writeln!(
                    s,
                    "| {} | {} | {:.2} | {:.0} | {} | {} |",
                    r.name,
                    r.items,
                    r.seconds,
                    per_second(r.items, r.seconds),
                    r.mismatches,
                    r.note
                );
            }
        }
        s
    }

    pub fn write(&self, out: &Path) -> anyhow::Result<()> {
        std::fs::write(
            out.join("results.json"),
            serde_json::to_string_pretty(&self.json())?,
        )?;
        std::fs::write(out.join("results.md"), self.markdown())?;
        Ok(())
    }
}

struct Ratio {
    scenario: String,
    versus: String,
    throughput: f64,
    p99: f64,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { f64::NAN }
}

/// A ratio for the table: none when the other system gave no answer to compare with.
fn shown_ratio(r: f64) -> String {
    if r.is_finite() {
        format!("{r:.2}")
    } else {
        "no answers to compare".to_owned()
    }
}

fn per_second(items: usize, seconds: f64) -> f64 {
    if seconds > 0.0 {
        items as f64 / seconds
    } else {
        0.0
    }
}
