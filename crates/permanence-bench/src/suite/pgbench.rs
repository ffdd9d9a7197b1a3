//! The SQL floor: the same logical reads as plain SQL through `pgbench` custom scripts, on
//! the same working database, one pgbench thread, the same connections and durations.
//!
//! Ids and teams are picked at random from two small helper tables (`bench_case_ids`,
//! `bench_teams`) made in the working copy, by primary key inside the statement. Latency
//! percentiles come from pgbench's per-transaction log. Each script reads what the engine
//! reads for the scenario (whole rows, the JSON state included), and no more: no token
//! look-up, no audit row, no decoding: a floor, not a server.

use super::queries::PAGE;
use super::targets::Plan;
use super::wrk::{Load, Measured, load_average};
use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, Database};
use std::path::Path;
use std::process::Command;

/// Creates the helper tables in the working database.
pub async fn prepare(url: &str, plan: &Plan) -> anyhow::Result<()> {
    let db = Database::connect(url).await?;
    let ids: Vec<String> = plan
        .read_ids
        .iter()
        .enumerate()
        .map(|(i, id)| format!("({}, '{id}')", i + 1))
        .collect();
    let teams: Vec<String> = plan
        .teams
        .iter()
        .enumerate()
        .map(|(i, t)| format!("({}, '{}')", i + 1, t.replace('\'', "''")))
        .collect();
    for sql in [
        "DROP TABLE IF EXISTS bench_case_ids".to_owned(),
        "DROP TABLE IF EXISTS bench_teams".to_owned(),
        "CREATE TABLE bench_case_ids (n int PRIMARY KEY, id uuid NOT NULL)".to_owned(),
        "CREATE TABLE bench_teams (n int PRIMARY KEY, team text NOT NULL)".to_owned(),
        format!("INSERT INTO bench_case_ids VALUES {}", ids.join(",")),
        format!("INSERT INTO bench_teams VALUES {}", teams.join(",")),
        "ANALYZE bench_case_ids".to_owned(),
        "ANALYZE bench_teams".to_owned(),
    ] {
        db.execute_unprepared(&sql)
            .await
            .with_context(|| format!("running {sql}"))?;
    }
    db.close().await?;
    Ok(())
}

/// The script of a read scenario.
pub fn script(scenario: &str, plan: &Plan) -> anyhow::Result<String> {
    let la = &plan.local_authority;
    let ids = plan.read_ids.len();
    let teams = plan.teams.len();
    Ok(match scenario {
        "Q1" => format!(
            "\\set i random(1, {ids})\n\
             SELECT * FROM cases WHERE id = (SELECT id FROM bench_case_ids WHERE n = :i);\n"
        ),
        "Q2" => format!(
            "\\set i random(1, {ids})\n\
             BEGIN;\n\
             SELECT * FROM cases WHERE id = (SELECT id FROM bench_case_ids WHERE n = :i);\n\
             SELECT * FROM case_events WHERE case_id = (SELECT id FROM bench_case_ids WHERE n = :i) ORDER BY sequence;\n\
             COMMIT;\n"
        ),
        "Q3" => format!(
            "\\set t random(1, {teams})\n\
             BEGIN;\n\
             SELECT c.*, ch.reference FROM cases c JOIN children ch ON ch.id = c.child_id \
             WHERE c.local_authority = '{la}' AND c.team = (SELECT team FROM bench_teams WHERE n = :t) \
             AND c.status = 'OPEN' ORDER BY c.id LIMIT {PAGE};\n\
             SELECT d.* FROM case_deadlines d WHERE d.case_id IN (SELECT c.id FROM cases c \
             WHERE c.local_authority = '{la}' AND c.team = (SELECT team FROM bench_teams WHERE n = :t) \
             AND c.status = 'OPEN' ORDER BY c.id LIMIT {PAGE}) ORDER BY d.case_id, d.due_on;\n\
             COMMIT;\n"
        ),
        "Q4" => format!(
            "SELECT d.*, c.team, ch.reference FROM case_deadlines d \
             JOIN cases c ON c.id = d.case_id JOIN children ch ON ch.id = c.child_id \
             WHERE d.local_authority = '{la}' AND d.due_on <= current_date + 7 \
             ORDER BY d.due_on, d.case_id, d.deadline_key LIMIT {};\n",
            PAGE + 1
        ),
        "Q5" => format!(
            "SELECT c.state, ch.reference, ch.sex, ch.ethnicity, ch.birth_date \
             FROM cases c JOIN children ch ON ch.id = c.child_id \
             WHERE c.local_authority = '{la}' ORDER BY c.id;\n"
        ),
        other => bail!("no read scenario {other}"),
    })
}

/// One pgbench run of a script, with latencies from its transaction log.
pub fn run(
    dir: &Path,
    database: &str,
    scenario: &str,
    script_text: &str,
    load: Load,
    seconds: u64,
) -> anyhow::Result<Measured> {
    let tag = match load {
        Load::Concurrency(c) => format!("{scenario}-c{c}"),
        Load::Rate { per_second, .. } => format!("{scenario}-r{per_second:.0}"),
    };
    let script = dir.join(format!("{tag}.sql"));
    std::fs::write(&script, script_text)?;
    let prefix = dir.join(&tag);
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with(&format!("{tag}.")) && !name.ends_with(".sql") {
            std::fs::remove_file(&path)?;
        }
    }
    let mut command = Command::new("pgbench");
    command
        // Without TLS, as the engine and PostGraphile connect (see `dataset::postgres_url`).
        .env("PGSSLMODE", "disable")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-n",
            "-j",
            "1",
            "-M",
            "prepared",
        ])
        .arg(format!("-T{}", seconds.max(1)))
        .arg("-f")
        .arg(&script)
        .arg("--log")
        .arg(format!("--log-prefix={}", prefix.display()));
    match load {
        Load::Concurrency(c) => {
            command.arg(format!("-c{c}"));
        }
        Load::Rate {
            per_second,
            connections,
        } => {
            command
                .arg(format!("-c{connections}"))
                .arg(format!("-R{per_second:.0}"));
        }
    }
    let output = command.arg(database).output().context("running pgbench")?;
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    if !output.status.success() {
        bail!(
            "pgbench failed: {}\n{stdout}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut latencies_us: Vec<f64> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with(&format!("{tag}.")) && !name.ends_with(".sql") {
            for line in std::fs::read_to_string(&path)?.lines() {
                if let Some(us) = line.split_whitespace().nth(2).and_then(|t| t.parse().ok()) {
                    latencies_us.push(us);
                }
            }
        }
    }
    latencies_us.sort_by(f64::total_cmp);
    let failed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("number of failed transactions: "))
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let tps = stdout
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    let pct = |p: f64| -> f64 {
        if latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((latencies_us.len() as f64 - 1.0) * p).round() as usize;
        latencies_us.get(i).copied().unwrap_or(0.0) / 1000.0
    };
    Ok(Measured {
        load,
        requests: latencies_us.len() as u64,
        failed,
        write_ok: 0,
        write_failed: 0,
        seconds: seconds as f64,
        throughput: tps,
        p50_ms: pct(0.50),
        p90_ms: pct(0.90),
        p99_ms: pct(0.99),
        max_ms: pct(1.0),
        failures: String::new(),
        load_average: load_average(),
    })
}
