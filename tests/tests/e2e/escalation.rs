//! Escalations end to end: two server processes on one PostgreSQL database, their clock
//! moved forward, record each escalation exactly once; the webhook receives every
//! notification, a failing webhook is retried and its failure is visible; each recipient
//! sees and acknowledges their own notifications; a subscriber to one process hears of the
//! notifications the other recorded.
//!
//! The server processes are this test binary started again, running the ignored test
//! `escalation_server_process`: the real server and escalation worker, with a clock fixed at
//! a date given by the parent, in a process of their own (their own connection pool,
//! memory and scheduler), as several servers behind a load balancer would be.

use anyhow::{Context, bail, ensure};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use chrono::{NaiveDate, TimeZone, Utc};
use futures_util::{SinkExt, StreamExt};
use permanence_auth::Role;
use permanence_domain::escalation::EscalationLevel;
use permanence_domain::{CaseId, Timescales};
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{Backend, TestServer, child_in_care, date};
use permanence_engine::FixedClock;
use permanence_engine::store::{NotificationRecord, Store};
use permanence_server::escalation::{EscalationOptions, EscalationWorker, WebhookOptions};
use permanence_server::{HttpOptions, RunningServer, open_engine};
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Tells this binary, started again, to run a server process: JSON of [`ProcessConfig`].
const SERVER_PROCESS_ENV: &str = "PERMANENCE_ESCALATION_TEST_SERVER";

#[derive(serde::Serialize, serde::Deserialize)]
struct ProcessConfig {
    database_url: String,
    today: NaiveDate,
    webhook_url: String,
    webhook_attempts: u32,
}

#[test]
#[ignore = "a server process started by two_processes_escalate_each_deadline_once"]
fn escalation_server_process() -> anyhow::Result<()> {
    let config: ProcessConfig = serde_json::from_str(
        &std::env::var(SERVER_PROCESS_ENV).context("started by the escalation test only")?,
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let noon = config.today.and_hms_opt(12, 0, 0).context("noon")?;
        let clock = Arc::new(FixedClock(Utc.from_utc_datetime(&noon)));
        let engine = open_engine(&config.database_url, Timescales::default(), clock).await?;
        let server = RunningServer::start(engine.clone(), &HttpOptions::default()).await?;
        let worker = EscalationWorker::spawn(
            engine,
            EscalationOptions {
                interval: Duration::from_millis(300),
                webhook: Some(WebhookOptions {
                    url: config.webhook_url.parse()?,
                    max_attempts: config.webhook_attempts,
                    first_retry: Duration::from_millis(300),
                    timeout: Duration::from_secs(5),
                }),
            },
        )?;
        println!("LISTENING {}", server.addr);
        std::io::stdout().flush()?;
        // The parent closes our standard input to stop us.
        tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await??;
        worker.stop().await;
        server.stop().await
    })
}

/// A server process started by the test; killed if the test ends early.
struct ServerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    addr: String,
}

impl ServerProcess {
    fn start(config: &ProcessConfig) -> anyhow::Result<Self> {
        let mut child = Command::new(std::env::current_exe()?)
            .args([
                // The test's path in the end-to-end binary (`main.rs` names this module).
                concat!(module_path!(), "::escalation_server_process")
                    .split_once("::")
                    .map_or("escalation_server_process", |(_, path)| path),
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(SERVER_PROCESS_ENV, serde_json::to_string(config)?)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().context("stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // libtest may have begun the line with the test's name.
                if let Some((_, addr)) = line.split_once("LISTENING ") {
                    let _ = tx.send(addr.to_owned());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(120))
            .context("the server process did not start")?;
        Ok(Self { child, stdin, addr })
    }

    fn url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }

    /// Asks the process to stop and waits for it.
    fn stop(mut self) -> anyhow::Result<()> {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                ensure!(status.success(), "server process ended with {status}");
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("server process did not stop")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// What the test's webhook endpoint received.
#[derive(Default)]
struct Receipts {
    /// Every POST, with whether it was accepted.
    posts: Vec<(String, bool)>,
}

type SharedReceipts = Arc<Mutex<Receipts>>;

/// `/flaky` refuses the first POST of each notification and accepts the next; `/broken`
/// refuses everything.
async fn webhook(
    State(receipts): State<SharedReceipts>,
    Path(kind): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> StatusCode {
    let id = body["id"].as_str().unwrap_or_default().to_owned();
    let mut receipts = receipts.lock().unwrap_or_else(|p| p.into_inner());
    let seen_before = receipts.posts.iter().any(|(i, _)| *i == id);
    let accept = kind == "flaky" && seen_before;
    receipts.posts.push((id, accept));
    if accept {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

async fn start_webhook() -> anyhow::Result<(String, SharedReceipts)> {
    let receipts = SharedReceipts::default();
    let app = axum::Router::new()
        .route("/{kind}", post(webhook))
        .with_state(Arc::clone(&receipts));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((format!("http://{addr}"), receipts))
}

async fn graphql_at(
    client: &reqwest::Client,
    url: &str,
    bearer: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let body: Value = client
        .post(url)
        .header("authorization", bearer)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await?
        .json()
        .await?;
    Ok(body)
}

async fn ok_at(
    client: &reqwest::Client,
    url: &str,
    bearer: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let body = graphql_at(client, url, bearer, query, variables).await?;
    if let Some(errors) = body.get("errors") {
        bail!("GraphQL errors: {errors}");
    }
    body.get("data").cloned().context("no data")
}

type NoticeKey = (CaseId, String, NaiveDate, EscalationLevel);

async fn recorded(store: &Store) -> anyhow::Result<Vec<NotificationRecord>> {
    Ok(store.notifications_after(0, 100_000).await?)
}

/// What sweeps on `days` should have recorded, from the cases' deadlines.
async fn expected(
    store: &Store,
    cases: &[CaseId],
    days: &[NaiveDate],
) -> anyhow::Result<BTreeSet<NoticeKey>> {
    let settings = Timescales::default().escalation;
    let mut out = BTreeSet::new();
    for (case_id, deadlines) in store.deadlines_of_cases(cases).await? {
        for deadline in deadlines {
            for day in days {
                for level in settings.levels_reached_by(&deadline, *day) {
                    out.insert((case_id, deadline.key.clone(), deadline.due_on, level));
                }
            }
        }
    }
    Ok(out)
}

/// Waits until the notifications recorded are `want`, and no delivery is pending.
async fn settle(
    store: &Store,
    want: &BTreeSet<NoticeKey>,
) -> anyhow::Result<Vec<NotificationRecord>> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let notes = recorded(store).await?;
        let pending = store
            .webhook_deliveries(
                &["E10000003".to_owned()],
                Some(permanence_engine::store::DeliveryStatus::Pending),
                1,
            )
            .await?;
        if notes.len() >= want.len() && pending.is_empty() {
            return Ok(notes);
        }
        if Instant::now() > deadline {
            bail!(
                "not settled: {} of {} notifications, deliveries pending: {}",
                notes.len(),
                want.len(),
                !pending.is_empty()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn keys(notes: &[NotificationRecord]) -> Vec<NoticeKey> {
    notes
        .iter()
        .map(|n| (n.case_id, n.deadline_key.clone(), n.due_on, n.level))
        .collect()
}

const MY_NOTIFICATIONS: &str = "query($u: Boolean!) { notifications(unacknowledgedOnly: $u, first: 100) { edges { node { id level tier caseId label dueOn team acknowledgedBy } } } }";
const DELIVERIES: &str = "query($s: DeliveryStatus) { webhookDeliveries(status: $s, first: 100) { notificationId status attempts lastStatusCode lastError deliveredAt } }";

/// The notifications addressed to the bearer, as one process answers.
async fn my_notifications(
    client: &reqwest::Client,
    process: &ServerProcess,
    bearer: &str,
    unacknowledged_only: bool,
) -> anyhow::Result<Vec<Value>> {
    let data = ok_at(
        client,
        &process.url(),
        bearer,
        MY_NOTIFICATIONS,
        json!({ "u": unacknowledged_only }),
    )
    .await?;
    Ok(data
        .pointer("/notifications/edges")
        .and_then(Value::as_array)
        .map(|edges| edges.iter().map(|e| e["node"].clone()).collect())
        .unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_escalate_each_deadline_once() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Postgres).await?;
    let store = server.engine().store().clone();
    let mut cases = Vec::new();
    for (i, entered) in [
        "2026-10-26",
        "2026-10-16",
        "2026-10-05",
        "2026-08-03",
        "2026-06-01",
    ]
    .into_iter()
    .enumerate()
    {
        let id = child_in_care(&server, &format!("ESC{i}"), "2019-05-01", entered).await?;
        cases.push(CaseId(id.parse()?));
    }
    let (webhook_base, receipts) = start_webhook().await?;
    let client = reqwest::Client::new();

    // Phase 1: the clock moves on eight days; the webhook fails each first attempt.
    let first_day = date(2026, 11, 10);
    let config = ProcessConfig {
        database_url: server.database.url.clone(),
        today: first_day,
        webhook_url: format!("{webhook_base}/flaky"),
        webhook_attempts: 3,
    };
    let a = ServerProcess::start(&config)?;
    let b = ServerProcess::start(&config)?;
    let want = expected(&store, &cases, &[first_day]).await?;
    let levels: BTreeSet<EscalationLevel> = want.iter().map(|k| k.3).collect();
    assert_eq!(levels.len(), 3, "the cases reach every tier: {levels:?}");
    let notes = settle(&store, &want).await?;
    let found: BTreeSet<NoticeKey> = keys(&notes).into_iter().collect();
    assert_eq!(found, want, "each escalation recorded");
    assert_eq!(notes.len(), want.len(), "and recorded once");

    {
        let receipts = receipts.lock().unwrap_or_else(|p| p.into_inner());
        let mut accepted: HashMap<&str, usize> = HashMap::new();
        let mut refused: HashMap<&str, usize> = HashMap::new();
        for (id, ok) in &receipts.posts {
            *if *ok { &mut accepted } else { &mut refused }
                .entry(id.as_str())
                .or_default() += 1;
        }
        for note in &notes {
            let id = note.id.to_string();
            assert_eq!(accepted.get(id.as_str()), Some(&1), "delivered once: {id}");
            assert_eq!(
                refused.get(id.as_str()),
                Some(&1),
                "after one refusal: {id}"
            );
        }
    }
    let admin = server.bearer(Role::Administrator);
    let delivered = ok_at(
        &client,
        &b.url(),
        &admin,
        DELIVERIES,
        json!({ "s": "DELIVERED" }),
    )
    .await?;
    let delivered = delivered["webhookDeliveries"].as_array().context("list")?;
    assert_eq!(delivered.len(), notes.len());
    assert!(
        delivered
            .iter()
            .all(|d| d["attempts"] == json!(2) && d["lastStatusCode"] == json!(204))
    );

    // Each recipient sees their own tier, on either process.
    let worker = server.bearer(Role::SocialWorker);
    let manager = server.bearer(Role::TeamManager);
    let leader = server.bearer(Role::Leader);
    let count = |level: EscalationLevel| notes.iter().filter(|n| n.level == level).count();
    let for_worker = my_notifications(&client, &a, &worker, false).await?;
    assert_eq!(for_worker.len(), count(EscalationLevel::DueSoon));
    assert!(
        for_worker
            .iter()
            .all(|n| n["tier"] == json!("ALLOCATED_WORKER"))
    );
    let for_manager = my_notifications(&client, &b, &manager, false).await?;
    assert_eq!(for_manager.len(), count(EscalationLevel::Overdue));
    assert!(
        for_manager
            .iter()
            .all(|n| n["level"] == json!("OVERDUE") && n["team"] == json!("Team A"))
    );
    let for_leader = my_notifications(&client, &a, &leader, false).await?;
    assert_eq!(for_leader.len(), count(EscalationLevel::LongOverdue));
    let panel_member = server.bearer(Role::PanelMember);
    let refused = graphql_at(
        &client,
        &a.url(),
        &panel_member,
        MY_NOTIFICATIONS,
        json!({ "u": false }),
    )
    .await?;
    assert_eq!(
        refused.pointer("/errors/0/extensions/code"),
        Some(&json!("FORBIDDEN"))
    );

    // Acknowledging: only the recipient, once.
    const ACK: &str = "mutation($id: UUID!) { acknowledgeNotification(id: $id) { id acknowledgedBy acknowledgedAt } }";
    let managers_own = for_manager[0]["id"].clone();
    let not_theirs = graphql_at(
        &client,
        &a.url(),
        &worker,
        ACK,
        json!({ "id": managers_own }),
    )
    .await?;
    assert_eq!(
        not_theirs.pointer("/errors/0/extensions/code"),
        Some(&json!("NOT_FOUND"))
    );
    let acked = ok_at(
        &client,
        &a.url(),
        &worker,
        ACK,
        json!({ "id": for_worker[0]["id"] }),
    )
    .await?;
    assert_eq!(
        acked.pointer("/acknowledgeNotification/acknowledgedBy"),
        Some(&json!("sw.tester"))
    );
    let open = my_notifications(&client, &b, &worker, true).await?;
    assert_eq!(open.len(), for_worker.len() - 1);

    a.stop()?;
    b.stop()?;

    // Phase 2: five weeks on, with a webhook that always fails.
    let second_day = date(2026, 12, 15);
    let config = ProcessConfig {
        today: second_day,
        webhook_url: format!("{webhook_base}/broken"),
        webhook_attempts: 2,
        ..config
    };
    let c = ServerProcess::start(&config)?;
    let d = ServerProcess::start(&config)?;
    let want = expected(&store, &cases, &[first_day, second_day]).await?;
    let all = settle(&store, &want).await?;
    let found: BTreeSet<NoticeKey> = keys(&all).into_iter().collect();
    assert_eq!(found, want, "the later tiers recorded");
    assert_eq!(
        all.len(),
        want.len(),
        "nothing recorded twice across restarts"
    );
    let new: Vec<&NotificationRecord> = all.iter().filter(|n| n.raised_on == second_day).collect();
    assert!(!new.is_empty());
    let failed = ok_at(
        &client,
        &d.url(),
        &admin,
        DELIVERIES,
        json!({ "s": "FAILED" }),
    )
    .await?;
    let failed = failed["webhookDeliveries"].as_array().context("list")?;
    assert_eq!(
        failed.len(),
        new.len(),
        "each new notification's delivery failed visibly"
    );
    assert!(failed.iter().all(|f| f["attempts"] == json!(2)
        && f["lastStatusCode"] == json!(503)
        && f["lastError"].as_str().is_some_and(|e| e.contains("503"))));

    // A team manager subscribed to process D hears of what a third process records.
    let mut socket = subscribe(&d.addr, &manager).await?;
    // The day after the next deadline falls due: its team manager is told then.
    let next_due = store
        .deadlines_of_cases(&cases)
        .await?
        .into_values()
        .flatten()
        .map(|d| d.due_on)
        .filter(|due| *due >= second_day)
        .min()
        .context("a deadline after the second move")?;
    let third_day = next_due + chrono::Days::new(1);
    let third_day_config = ProcessConfig {
        today: third_day,
        ..config
    };
    // A third process with a later clock records the next tier; D relays it to its subscriber.
    let e = ServerProcess::start(&third_day_config)?;
    let want = expected(&store, &cases, &[first_day, second_day, third_day]).await?;
    let latest = settle(&store, &want).await?;
    let overdue_new: BTreeSet<String> = latest
        .iter()
        .filter(|n| n.raised_on == third_day && n.level == EscalationLevel::Overdue)
        .map(|n| n.id.to_string())
        .collect();
    assert!(
        !overdue_new.is_empty(),
        "the last move makes more deadlines overdue"
    );
    let mut heard = BTreeSet::new();
    while heard.len() < overdue_new.len() {
        let message = next_json(&mut socket).await?;
        let id = message
            .pointer("/payload/data/notificationRaised/id")
            .and_then(Value::as_str)
            .with_context(|| format!("not a notification: {message}"))?;
        heard.insert(id.to_owned());
    }
    assert_eq!(
        heard, overdue_new,
        "the subscriber hears of what another process recorded"
    );
    drop(socket.close(None).await);
    c.stop()?;
    d.stop()?;
    e.stop()?;
    server.stop().await
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn subscribe(addr: &str, bearer: &str) -> anyhow::Result<Socket> {
    let mut request = format!("ws://{addr}/graphql/ws").into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    request
        .headers_mut()
        .insert("authorization", bearer.parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": {} }).to_string(),
        ))
        .await?;
    ensure!(next_json(&mut socket).await?["type"] == json!("connection_ack"));
    socket
        .send(Message::text(
            json!({ "id": "1", "type": "subscribe", "payload": {
                "query": "subscription { notificationRaised { id level tier caseId } }" } })
            .to_string(),
        ))
        .await?;
    // Give the server a moment to register the subscription.
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(socket)
}

async fn next_json(socket: &mut Socket) -> anyhow::Result<Value> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .context("no message within 30 s")?
            .context("socket closed")??;
        match message {
            Message::Text(text) => return Ok(serde_json::from_str(text.as_str())?),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => bail!("unexpected message {other:?}"),
        }
    }
}
