//! Concurrent writers over GraphQL, as clients that do not give up: each records reviews on
//! its own case, one after another, each with a command id it chose, and re-sends the same
//! command (same id) until it gets an answer, through crashes, full disks and outages.

use anyhow::{Context, bail};
use chrono::{Days, NaiveDate};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

const RECORD_REVIEW: &str =
    "mutation($i: RecordDatedInput!) { recordReview(input: $i) { case { version } duplicate } }";

/// How long one command is re-sent before the writer gives up on it (a failure).
const GIVE_UP_AFTER: Duration = Duration::from_secs(120);
/// Pause between two attempts at the same command.
const RETRY_PAUSE: Duration = Duration::from_millis(50);

/// A GraphQL client of one server address, with a bearer token.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    url: String,
    bearer: String,
}

/// What one request came to.
pub enum Answer {
    /// HTTP 200 without errors: the data.
    Data(Value),
    /// An answer with errors: the first one's code, and its message and field.
    Refused(String, String),
}

impl Client {
    pub fn new(base_url: &str, token: &str) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
            url: format!("{base_url}/graphql"),
            bearer: format!("Bearer {token}"),
        })
    }

    /// One request; a transport failure (server down, connection reset) is an `Err`.
    pub async fn send(&self, query: &str, variables: Value) -> anyhow::Result<Answer> {
        let response = self
            .http
            .post(&self.url)
            .header("Authorization", &self.bearer)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        if let Some(code) = body.pointer("/errors/0/extensions/code") {
            let detail = format!(
                "{} ({})",
                body.pointer("/errors/0/message").unwrap_or(&Value::Null),
                body.pointer("/errors/0/extensions/field")
                    .unwrap_or(&Value::Null)
            );
            return Ok(Answer::Refused(
                code.as_str().unwrap_or("?").to_owned(),
                detail,
            ));
        }
        if !status.is_success() {
            return Ok(Answer::Refused(format!("HTTP {status}"), String::new()));
        }
        Ok(Answer::Data(
            body.get("data").cloned().unwrap_or(Value::Null),
        ))
    }

    /// A request that must succeed (setting up, before any fault).
    pub async fn ok(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        match self.send(query, variables).await? {
            Answer::Data(data) => Ok(data),
            Answer::Refused(code, detail) => bail!("refused with {code}: {detail}"),
        }
    }

    /// Registers a child and opens a case for them; answers the case id.
    pub async fn open_case(&self, reference: &str) -> anyhow::Result<String> {
        let data = self
            .ok(
                "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }",
                json!({ "i": { "localAuthority": "E10000003", "reference": reference,
                               "birthDate": first_day() - Days::new(400), "sex": "FEMALE", "ethnicity": "WBRI" } }),
            )
            .await?;
        let child_id = data
            .pointer("/registerChild/child/id")
            .and_then(Value::as_str)
            .context("child id")?;
        let data = self
            .ok(
                "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id } } }",
                json!({ "i": { "childId": child_id, "enteredCareOn": first_day(), "legalStatus": "C1",
                               "placement": "U6", "provider": "PR1", "carer": "FC-1", "team": "North" } }),
            )
            .await?;
        Ok(data
            .pointer("/enterCare/case/id")
            .and_then(Value::as_str)
            .context("case id")?
            .to_owned())
    }

    /// Reads a case back (a read also appends to the audit log).
    pub async fn read_case(&self, case_id: &str) -> anyhow::Result<Answer> {
        self.send(
            "query($id: UUID!) { case(id: $id) { version } }",
            json!({ "id": case_id }),
        )
        .await
    }
}

/// The day the writers' cases begin: reviews follow it, one a day, up to today.
fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 3).unwrap_or(NaiveDate::MIN)
}

/// A write the server answered as done.
#[derive(Clone, Debug)]
pub struct Acknowledged {
    pub command_id: Uuid,
    /// Answered as a command id seen before: an earlier attempt had been recorded.
    pub duplicate: bool,
}

/// What one writer did.
#[derive(Debug, Default)]
pub struct WriterLog {
    pub case_id: String,
    pub acknowledged: Vec<Acknowledged>,
    /// Commands sent more than once (their first attempt got no answer, or an error).
    pub resent: u64,
    /// Attempts that failed (no answer, or an error answer).
    pub failed_attempts: u64,
    /// Attempts answered with an error code, by code.
    pub refusals: std::collections::BTreeMap<String, u64>,
    /// Why the writer stopped early, if it did: a failure of the test.
    pub gave_up: Option<String>,
}

/// Records reviews on `case_id` until `stop` is set, finishing the command in hand.
pub async fn write_until(
    client: Client,
    case_id: String,
    stop: Arc<AtomicBool>,
    acknowledged: Arc<AtomicU64>,
) -> WriterLog {
    let mut log = WriterLog {
        case_id: case_id.clone(),
        ..WriterLog::default()
    };
    let today = chrono::Utc::now().date_naive();
    let mut on = first_day();
    while !stop.load(Ordering::Relaxed) {
        on = on + Days::new(1);
        if on >= today {
            break;
        }
        let command_id = Uuid::now_v7();
        let variables =
            json!({ "i": { "caseId": case_id, "occurredOn": on, "commandId": command_id } });
        let started = Instant::now();
        let mut attempts = 0_u64;
        loop {
            attempts += 1;
            match client.send(RECORD_REVIEW, variables.clone()).await {
                Ok(Answer::Data(data)) => {
                    let duplicate = data.pointer("/recordReview/duplicate") == Some(&json!(true));
                    log.acknowledged.push(Acknowledged {
                        command_id,
                        duplicate,
                    });
                    acknowledged.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Ok(Answer::Refused(code, detail))
                    if code == "VALIDATION" || code == "FORBIDDEN" =>
                {
                    log.gave_up = Some(format!("a review was refused with {code}: {detail}"));
                    return log;
                }
                Ok(Answer::Refused(code, _)) => {
                    log.failed_attempts += 1;
                    *log.refusals.entry(code).or_default() += 1;
                }
                Err(_) => log.failed_attempts += 1,
            }
            if started.elapsed() > GIVE_UP_AFTER {
                log.gave_up = Some(format!(
                    "no answer to command {command_id} after {attempts} attempts"
                ));
                return log;
            }
            tokio::time::sleep(RETRY_PAUSE).await;
        }
        if attempts > 1 {
            log.resent += 1;
        }
    }
    log
}

/// The writers of a run, started together.
pub struct Writers {
    stop: Arc<AtomicBool>,
    acknowledged: Arc<AtomicU64>,
    cases: Vec<String>,
    tasks: Vec<tokio::task::JoinHandle<WriterLog>>,
}

impl Writers {
    /// Opens one case per writer and starts them.
    pub async fn start(client: &Client, count: usize, run: &str) -> anyhow::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let acknowledged = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::with_capacity(count);
        let mut cases = Vec::with_capacity(count);
        for n in 0..count {
            let case_id = client.open_case(&format!("{run}{n}")).await?;
            cases.push(case_id.clone());
            tasks.push(tokio::spawn(write_until(
                client.clone(),
                case_id,
                Arc::clone(&stop),
                Arc::clone(&acknowledged),
            )));
        }
        Ok(Self {
            stop,
            acknowledged,
            cases,
            tasks,
        })
    }

    /// The writers' cases, one each.
    pub fn case_ids(&self) -> &[String] {
        &self.cases
    }

    /// Writes acknowledged so far, by all writers.
    pub fn acknowledged(&self) -> u64 {
        self.acknowledged.load(Ordering::Relaxed)
    }

    /// Waits until `more` writes beyond those acknowledged now are acknowledged, or `within`
    /// has passed; answers whether they were.
    pub async fn wait_for(&self, more: u64, within: Duration) -> bool {
        let target = self.acknowledged() + more;
        let started = Instant::now();
        while self.acknowledged() < target {
            if started.elapsed() > within {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }

    /// Asks every writer to stop after the command in hand, and collects their logs.
    pub async fn stop(self) -> anyhow::Result<Vec<WriterLog>> {
        self.stop.store(true, Ordering::Relaxed);
        let mut logs = Vec::with_capacity(self.tasks.len());
        for task in self.tasks {
            logs.push(task.await?);
        }
        Ok(logs)
    }
}
