//! End-to-end: hostile input, against the real server over HTTP (and WebSocket), on SQLite
//! and PostgreSQL. Every request must be answered (never a 5xx, never a dropped connection,
//! the health check still answering after it), every refusal must carry `extensions.code`,
//! nothing of another authority may show, and a reused command id must record nothing.

use anyhow::{Context, bail};
use chrono::Duration;
use futures_util::{SinkExt, StreamExt};
use permanence_auth::{Role, new_token};
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{Backend, SET_ROUTE_PLAN, TestServer, on_both_backends};
use permanence_engine::store::NewUser;
use reqwest::Method;
use std::collections::BTreeMap;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use uuid::Uuid;

/// The authority the intruder's victims belong to (the test users serve E10000003).
const OTHER_AUTHORITY: &str = "E10000016";
/// Words that must never reach a user of the test authority.
const OTHER_CHILD_NAME: &str = "Foreign Named Child";
const OTHER_REFERENCE: &str = "FOREIGN1";

const REGISTER: &str = "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id name reference } } }";
const ENTER_CARE: &str =
    "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id child { id } } duplicate } }";
const REVIEW: &str = "mutation($i: RecordDatedInput!) { recordReview(input: $i) { case { id version } recorded { sequence } duplicate } }";
const PLAN: &str = "mutation($i: SetRoutePlanInput!) { setRoutePlan(input: $i) { case { id version } duplicate } }";
const SCHEDULE: &str = "mutation($i: SchedulePanelMeetingInput!) { schedulePanelMeeting(input: $i) { id localAuthority } }";
const ADD_ITEM: &str =
    "mutation($i: AddAgendaItemInput!) { addAgendaItem(input: $i) { id case { id } } }";

// ----- users of another authority ------------------------------------------------------------

/// A user of `OTHER_AUTHORITY` with a token.
async fn foreign_user(server: &TestServer, username: &str, role: Role) -> anyhow::Result<String> {
    let engine = server.engine();
    let now = engine.now();
    let user = engine
        .store()
        .create_user(
            &NewUser {
                username: username.to_owned(),
                display_name: "Foreign user (test)".to_owned(),
                role,
                teams: vec!["Team A".to_owned()],
                local_authorities: vec![OTHER_AUTHORITY.to_owned()],
            },
            now,
        )
        .await?;
    let token = new_token()?;
    engine
        .store()
        .issue_token(user.id, &token.hash, Some("tests"), None, now)
        .await?;
    Ok(format!("Bearer {}", token.secret.expose()))
}

/// Sends a GraphQL request with an `Authorization` value; answers the body.
async fn gql_with(
    server: &TestServer,
    authorization: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let response = server
        .client
        .post(server.server.url("/graphql"))
        .header("authorization", authorization)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await?;
    Ok(response.json().await?)
}

fn text_at(body: &Value, pointer: &str) -> anyhow::Result<String> {
    body.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .with_context(|| format!("{pointer} in {body}"))
}

/// What another authority holds: a named child in care with a review, a panel meeting with
/// the case on its agenda, and a notification; and the command ids that recorded them.
#[derive(Debug, Default)]
struct Foreign {
    child: String,
    case: String,
    meeting: String,
    item: String,
    notification: String,
    /// (mutation kind, command id) of each command the other authority sent.
    commands: Vec<(&'static str, String)>,
}

impl Foreign {
    fn ids(&self) -> Vec<&str> {
        vec![
            &self.child,
            &self.case,
            &self.meeting,
            &self.item,
            &self.notification,
        ]
    }
}

async fn foreign_records(server: &TestServer) -> anyhow::Result<Foreign> {
    let manager = foreign_user(server, "tm.foreign", Role::TeamManager).await?;
    let chair = foreign_user(server, "chair.foreign", Role::PanelChair).await?;
    let mut foreign = Foreign::default();
    let register_id = Uuid::now_v7().to_string();
    let body = gql_with(
        server,
        &manager,
        REGISTER,
        json!({ "i": { "localAuthority": OTHER_AUTHORITY, "reference": OTHER_REFERENCE,
                       "birthDate": "2018-02-03", "sex": "MALE", "ethnicity": "WBRI",
                       "name": OTHER_CHILD_NAME, "commandId": register_id } }),
    )
    .await?;
    foreign.child = text_at(&body, "/data/registerChild/child/id")?;
    foreign.commands.push(("registerChild", register_id));
    let enter_id = Uuid::now_v7().to_string();
    let body = gql_with(
        server,
        &manager,
        ENTER_CARE,
        json!({ "i": { "childId": foreign.child, "enteredCareOn": "2026-01-05", "legalStatus": "C2",
                       "placement": "U6", "team": "Team A", "commandId": enter_id } }),
    )
    .await?;
    foreign.case = text_at(&body, "/data/enterCare/case/id")?;
    foreign.commands.push(("enterCare", enter_id));
    let review_id = Uuid::now_v7().to_string();
    let body = gql_with(
        server,
        &manager,
        REVIEW,
        json!({ "i": { "caseId": foreign.case, "occurredOn": "2026-01-30", "commandId": review_id } }),
    )
    .await?;
    text_at(&body, "/data/recordReview/case/id")?;
    foreign.commands.push(("recordReview", review_id));
    let plan_id = Uuid::now_v7().to_string();
    let body = gql_with(
        server,
        &manager,
        PLAN,
        json!({ "i": { "caseId": foreign.case, "route": "LONG_TERM_FOSTERING", "occurredOn": "2026-02-02",
                       "commandId": plan_id } }),
    )
    .await?;
    text_at(&body, "/data/setRoutePlan/case/id")?;
    foreign.commands.push(("setRoutePlan", plan_id));
    let body = gql_with(
        server,
        &manager,
        "mutation($i: RecordRouteStepInput!) { recordRouteStep(input: $i) { case { id } } }",
        json!({ "i": { "caseId": foreign.case, "route": "LONG_TERM_FOSTERING", "step": "carer_identified",
                       "occurredOn": "2026-02-10" } }),
    )
    .await?;
    text_at(&body, "/data/recordRouteStep/case/id")?;
    let meeting_id = Uuid::now_v7().to_string();
    let body = gql_with(
        server,
        &chair,
        SCHEDULE,
        json!({ "i": { "localAuthority": OTHER_AUTHORITY, "kind": "COMBINED", "sitsOn": "2026-12-03",
                       "chair": "F. Chair", "commandId": meeting_id } }),
    )
    .await?;
    foreign.meeting = text_at(&body, "/data/schedulePanelMeeting/id")?;
    foreign.commands.push(("schedulePanelMeeting", meeting_id));
    let item_id = Uuid::now_v7().to_string();
    let body = gql_with(
        server,
        &manager,
        ADD_ITEM,
        json!({ "i": { "meetingId": foreign.meeting, "caseId": foreign.case,
                       "purpose": "LONG_TERM_FOSTER_MATCH", "commandId": item_id } }),
    )
    .await?;
    foreign.item = text_at(&body, "/data/addAgendaItem/id")?;
    foreign.commands.push(("addAgendaItem", item_id));
    server.engine().escalate(None).await?;
    let body = gql_with(
        server,
        &manager,
        "{ notifications { edges { node { id localAuthority } } } }",
        json!({}),
    )
    .await?;
    foreign.notification = text_at(&body, "/data/notifications/edges/0/node/id")?;
    Ok(foreign)
}

// ----- our own records -----------------------------------------------------------------------

/// Registers a child of the test authority and opens a case; answers (child, case).
async fn own_case(server: &TestServer, reference: &str) -> anyhow::Result<(String, String)> {
    let data = server
        .ok(
            REGISTER,
            json!({ "i": { "localAuthority": "E10000003", "reference": reference, "birthDate": "2019-03-14",
                           "sex": "FEMALE", "ethnicity": "WBRI" } }),
        )
        .await?;
    let child = text_at(&data, "/registerChild/child/id")?;
    let data = server
        .ok(
            ENTER_CARE,
            json!({ "i": { "childId": child, "enteredCareOn": "2026-01-05", "legalStatus": "C2",
                           "placement": "U6", "team": "Team A" } }),
        )
        .await?;
    Ok((child, text_at(&data, "/enterCare/case/id")?))
}

/// Everything the test authority holds, as counts: children, cases, events, meetings, items.
async fn holdings(server: &TestServer) -> anyhow::Result<Vec<usize>> {
    let store = server.engine().store();
    let cases = store.all_case_ids().await?;
    let mut events = 0;
    for case in &cases {
        events += store.case_events(*case).await?.len();
    }
    let children = server
        .ok(
            "{ children(first: 100) { edges { node { id } } } }",
            json!({}),
        )
        .await?;
    let children = children["children"]["edges"].as_array().map_or(0, Vec::len);
    let queue = server
        .ok_as(
            Role::PanelChair,
            "{ panelQueue(localAuthority: \"E10000003\") { agendas { meeting { id } items { item { id } } } } }",
            json!({}),
        )
        .await?;
    let agendas = queue["panelQueue"]["agendas"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let items: usize = agendas
        .iter()
        .map(|a| a["items"].as_array().map_or(0, Vec::len))
        .sum();
    Ok(vec![children, cases.len(), events, agendas.len(), items])
}

// ----- the probe: sends, checks and counts ---------------------------------------------------

/// Sends hostile requests, checks each answer and counts the answers by outcome code.
struct Probe<'a> {
    server: &'a TestServer,
    /// The health check's own client, with no pooled connections: it asks on a new
    /// connection whether the server still answers. On the requests' client it could take a
    /// connection the server is closing after refusing a body it did not read (413), and
    /// fail for that alone.
    health: reqwest::Client,
    /// Text that must never appear in an answer to the test authority's users.
    secrets: Vec<String>,
    outcomes: BTreeMap<String, usize>,
    sent: usize,
}

/// One answer: HTTP status, body as JSON, and the first error's code (`OK` when none).
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    body: Value,
    code: String,
}

impl Answer {
    fn message(&self) -> String {
        text_at(&self.body, "/errors/0/message").unwrap_or_default()
    }

    fn field(&self) -> Option<String> {
        text_at(&self.body, "/errors/0/extensions/field").ok()
    }

    fn expect(&self, code: &str, label: &str) -> anyhow::Result<&Self> {
        if self.code != code {
            bail!(
                "{label}: expected {code}, got HTTP {} {}",
                self.status,
                self.body
            );
        }
        Ok(self)
    }
}

impl<'a> Probe<'a> {
    fn new(server: &'a TestServer, secrets: Vec<String>) -> Self {
        Self {
            server,
            health: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .expect("an HTTP client"),
            secrets,
            outcomes: BTreeMap::new(),
            sent: 0,
        }
    }

    /// Sends one request and checks what every answer must be.
    async fn send(
        &mut self,
        request: reqwest::RequestBuilder,
        label: &str,
    ) -> anyhow::Result<Answer> {
        self.sent += 1;
        let response = request
            .send()
            .await
            .with_context(|| format!("{label}: no answer (connection dropped?)"))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .with_context(|| format!("{label}: answer cut off"))?;
        let text = String::from_utf8_lossy(&bytes);
        if status >= 500 {
            bail!("{label}: HTTP {status}: {text}");
        }
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                bail!("{label}: the answer shows another authority's {secret:?}: {text}");
            }
        }
        let body: Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("{label}: HTTP {status}, not JSON: {text}"))?;
        let code = match body.get("errors") {
            None if status == 200 && body.get("data").is_some() => "OK".to_owned(),
            Some(Value::Array(errors)) if !errors.is_empty() => {
                let mut first = None;
                for error in errors {
                    let code = error
                        .pointer("/extensions/code")
                        .and_then(Value::as_str)
                        .with_context(|| format!("{label}: an error without a code: {body}"))?;
                    if error.get("message").and_then(Value::as_str).is_none() {
                        bail!("{label}: an error without a message: {body}");
                    }
                    first.get_or_insert(code.to_owned());
                }
                first.context("first error")?
            }
            _ => bail!("{label}: HTTP {status}, neither data nor errors: {body}"),
        };
        self.still_healthy(label).await?;
        *self.outcomes.entry(code.clone()).or_default() += 1;
        Ok(Answer { status, body, code })
    }

    async fn still_healthy(&self, label: &str) -> anyhow::Result<()> {
        let health = self
            .health
            .get(self.server.server.url("/healthz"))
            .send()
            .await
            .with_context(|| format!("after {label}: the health check did not answer"))?;
        if health.status() != 200 {
            bail!("after {label}: health check HTTP {}", health.status());
        }
        Ok(())
    }

    fn post(&self, authorization: Option<&str>) -> reqwest::RequestBuilder {
        let request = self.server.client.post(self.server.server.url("/graphql"));
        match authorization {
            Some(value) => request.header("authorization", value),
            None => request,
        }
    }

    /// A GraphQL request as the test user with `role`.
    async fn gql_as(
        &mut self,
        role: Role,
        query: &str,
        variables: Value,
        label: &str,
    ) -> anyhow::Result<Answer> {
        let request = self
            .post(Some(&self.server.bearer(role)))
            .json(&json!({ "query": query, "variables": variables }));
        self.send(request, label).await
    }

    async fn gql(&mut self, query: &str, variables: Value, label: &str) -> anyhow::Result<Answer> {
        self.gql_as(Role::TeamManager, query, variables, label)
            .await
    }

    /// A raw body as the team manager, with a content type.
    async fn raw(
        &mut self,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
        label: &str,
    ) -> anyhow::Result<Answer> {
        let mut request = self
            .post(Some(&self.server.bearer(Role::TeamManager)))
            .body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        self.send(request, label).await
    }

    fn summary(&self, backend: &str) -> String {
        let outcomes: Vec<String> = self
            .outcomes
            .iter()
            .map(|(code, n)| format!("{code} {n}"))
            .collect();
        format!(
            "hostile battery on {backend}: {} requests sent; answers by code: {}",
            self.sent,
            outcomes.join(", ")
        )
    }
}

fn nested(open: &str, inner: &str, close: &str, depth: usize) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

// ----- the focused checks, one per fix --------------------------------------------------------

/// Values nested far deeper than any real request, in arguments, selections, variables and
/// the JSON body: each is refused as BAD_REQUEST, and the server lives on.
async fn deep_nesting(probe: &mut Probe<'_>) -> anyhow::Result<()> {
    // About 350 levels overflow a worker's stack in a debug build, 1,500 in a release build.
    for depth in [65, 200, 400, 1_500, 5_000] {
        let list = nested("[", "1", "]", depth);
        probe
            .gql(
                &format!("{{ case(id: {list}) {{ id }} }}"),
                json!({}),
                "nested list",
            )
            .await?
            .expect("BAD_REQUEST", "a list nested in an argument")?;
        let object = nested("{a: ", "1", "}", depth);
        probe
            .gql(
                &format!("{{ cases(filter: {object}) {{ edges {{ node {{ id }} }} }} }}"),
                json!({}),
                "nested object",
            )
            .await?
            .expect("BAD_REQUEST", "an object nested in an argument")?;
        let selection = nested("{ a ", "", "}", depth);
        probe
            .gql(&format!("query {selection}"), json!({}), "nested selection")
            .await?
            .expect("BAD_REQUEST", "nested selections")?;
    }
    for depth in [65, 127, 129, 1_500, 20_000] {
        // serde_json's own limit is 128: both sides of it, and far beyond.
        let body = format!(
            "{{\"query\":{},\"variables\":{{\"id\":{}}}}}",
            json!("query($id: UUID!) { case(id: $id) { id } }"),
            nested("[", "1", "]", depth)
        );
        probe
            .raw(Some("application/json"), body, "nested variables")
            .await?
            .expect("BAD_REQUEST", "nested variables")?;
    }
    let body = nested("[", "{\"query\":\"{ today }\"}", "]", 1_500);
    probe
        .raw(Some("application/json"), body, "nested body")
        .await?
        .expect("BAD_REQUEST", "a nested body")?;
    let body = format!(
        "{{\"query\":\"{{ today }}\",\"extensions\":{}}}",
        nested("{\"a\":", "1", "}", 1_500)
    );
    probe
        .raw(Some("application/json"), body, "nested extensions")
        .await?
        .expect("BAD_REQUEST", "nested extensions")?;
    // A real request at a modest depth still works.
    probe
        .gql(
            "{ cases(filter: {open: true}) { edges { node { id } } } }",
            json!({}),
            "shallow",
        )
        .await?
        .expect("OK", "an ordinary query")?;
    Ok(())
}

/// The same over WebSocket: a subscription's query nested 1,500 deep is refused.
async fn deep_nesting_over_websocket(probe: &mut Probe<'_>) -> anyhow::Result<()> {
    let server = probe.server;
    let mut request = format!("ws://{}/graphql/ws", server.server.addr).into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    request
        .headers_mut()
        .insert("authorization", server.bearer(Role::TeamManager).parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": {} }).to_string(),
        ))
        .await?;
    next_ws_json(&mut socket).await?;
    for (id, query) in [
        (
            "1",
            format!(
                "subscription {{ caseChanged(caseId: {}) {{ id }} }}",
                nested("[", "1", "]", 400)
            ),
        ),
        (
            "2",
            format!(
                "subscription {{ caseChanged(caseId: {}) {{ id }} }}",
                nested("{a: ", "1", "}", 1_500)
            ),
        ),
        (
            "3",
            format!("subscription {}", nested("{ a ", "", "}", 1_500)),
        ),
    ] {
        probe.sent += 1;
        socket
            .send(Message::text(
                json!({ "id": id, "type": "subscribe", "payload": { "query": query } }).to_string(),
            ))
            .await?;
        let answer = next_ws_json(&mut socket).await?;
        let code = answer
            .pointer("/payload/errors/0/extensions/code")
            .and_then(Value::as_str)
            .with_context(|| format!("a coded error over WebSocket: {answer}"))?
            .to_owned();
        if answer["type"] != json!("next") || code != "BAD_REQUEST" {
            bail!("deep subscription: {answer}");
        }
        let complete = next_ws_json(&mut socket).await?;
        if complete != json!({ "id": id, "type": "complete" }) {
            bail!("deep subscription, then: {complete}");
        }
        *probe.outcomes.entry(code).or_default() += 1;
        probe.still_healthy("a deep subscription").await?;
    }
    socket.close(None).await?;
    Ok(())
}

async fn next_ws_json<S>(socket: &mut S) -> anyhow::Result<Value>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .context("no message within 10 s")?
            .context("socket closed")??;
        match message {
            Message::Text(text) => return Ok(serde_json::from_str(text.as_str())?),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => bail!("unexpected message {other:?}"),
        }
    }
}

/// A command id reused with another command is VALIDATION on `commandId`, whatever the other
/// command was, and records nothing; the same command sent again is still a duplicate.
async fn reused_command_ids(
    probe: &mut Probe<'_>,
    foreign: &Foreign,
    own_case: &str,
    own_child: &str,
) -> anyhow::Result<()> {
    let server = probe.server;
    // Our own commands, whose ids are reused below on other targets and with other kinds.
    let own_review = Uuid::now_v7().to_string();
    let first = server
        .ok(REVIEW, json!({ "i": { "caseId": own_case, "occurredOn": "2026-01-30", "commandId": own_review } }))
        .await?;
    let again = server
        .ok(REVIEW, json!({ "i": { "caseId": own_case, "occurredOn": "2026-01-30", "commandId": own_review } }))
        .await?;
    if first["recordReview"]["duplicate"] != json!(false)
        || again["recordReview"]["duplicate"] != json!(true)
        || again["recordReview"]["recorded"] != json!([])
    {
        bail!("the same command twice: {first} then {again}");
    }
    let (_, second_case) = own_case_of(server, "OWNB").await?;
    let mut reused: Vec<(&str, String)> = foreign
        .commands
        .iter()
        .map(|(kind, id)| (*kind, id.clone()))
        .collect();
    reused.push(("recordReview (ours, on another case)", own_review));
    let before = holdings(server).await?;
    for (used_for, id) in &reused {
        let attempts: Vec<(&str, Role, &str, Value)> = vec![
            (
                "registerChild",
                Role::TeamManager,
                REGISTER,
                json!({ "i": {
                "localAuthority": "E10000003", "reference": "REUSE1", "birthDate": "2019-03-14",
                "sex": "FEMALE", "ethnicity": "WBRI", "commandId": id } }),
            ),
            (
                "enterCare",
                Role::TeamManager,
                ENTER_CARE,
                json!({ "i": {
                "childId": own_child, "enteredCareOn": "2026-03-01", "legalStatus": "C2",
                "placement": "U6", "commandId": id } }),
            ),
            (
                "recordReview",
                Role::TeamManager,
                REVIEW,
                json!({ "i": {
                "caseId": second_case, "occurredOn": "2026-02-02", "commandId": id } }),
            ),
            (
                "setRoutePlan",
                Role::TeamManager,
                PLAN,
                json!({ "i": {
                "caseId": second_case, "route": "LONG_TERM_FOSTERING", "occurredOn": "2026-02-02",
                "commandId": id } }),
            ),
            (
                "schedulePanelMeeting",
                Role::PanelChair,
                SCHEDULE,
                json!({ "i": {
                "localAuthority": "E10000003", "kind": "COMBINED", "sitsOn": "2026-12-03",
                "chair": "O. Chair", "commandId": id } }),
            ),
        ];
        for (kind, role, query, variables) in attempts {
            let label = format!("{kind} with the command id of {used_for}");
            let answer = probe.gql_as(role, query, variables, &label).await?;
            answer.expect("VALIDATION", &label)?;
            if answer.field().as_deref() != Some("commandId") {
                bail!(
                    "{label}: the error names {:?}: {}",
                    answer.field(),
                    answer.body
                );
            }
        }
    }
    let after = holdings(server).await?;
    if before != after {
        bail!("reused command ids recorded something: {before:?} then {after:?}");
    }
    Ok(())
}

async fn own_case_of(server: &TestServer, reference: &str) -> anyhow::Result<(String, String)> {
    own_case(server, reference).await
}

/// The variables of a request about one record, given its id.
type WithId = Box<dyn Fn(&str) -> Value>;

/// Another authority's records are answered exactly as records that do not exist.
async fn foreign_ids_read_as_missing(
    probe: &mut Probe<'_>,
    foreign: &Foreign,
) -> anyhow::Result<()> {
    let missing = Uuid::now_v7().to_string();
    let queries: Vec<(&str, Role, &str, WithId)> = vec![
        (
            "child",
            Role::TeamManager,
            "query($id: UUID!) { child(id: $id) { id name } }",
            Box::new(|id| json!({ "id": id })),
        ),
        (
            "case",
            Role::TeamManager,
            "query($id: UUID!) { case(id: $id) { id } }",
            Box::new(|id| json!({ "id": id })),
        ),
        (
            "panelMeeting",
            Role::PanelChair,
            "query($id: UUID!) { panelMeeting(id: $id) { id } }",
            Box::new(|id| json!({ "id": id })),
        ),
        (
            "acknowledgeNotification",
            Role::TeamManager,
            "mutation($id: UUID!) { acknowledgeNotification(id: $id) { id } }",
            Box::new(|id| json!({ "id": id })),
        ),
        (
            "enterCare",
            Role::TeamManager,
            ENTER_CARE,
            Box::new(
                |id| json!({ "i": { "childId": id, "enteredCareOn": "2026-03-01", "legalStatus": "C2", "placement": "U6" } }),
            ),
        ),
        (
            "recordReview",
            Role::TeamManager,
            REVIEW,
            Box::new(|id| json!({ "i": { "caseId": id, "occurredOn": "2026-03-01" } })),
        ),
        (
            "allocateCase",
            Role::TeamManager,
            "mutation($i: AllocateCaseInput!) { allocateCase(input: $i) { case { id } } }",
            Box::new(
                |id| json!({ "i": { "caseId": id, "occurredOn": "2026-03-01", "team": "Team A" } }),
            ),
        ),
        (
            "closeCase",
            Role::TeamManager,
            "mutation($i: CloseCaseInput!) { closeCase(input: $i) { case { id } } }",
            Box::new(
                |id| json!({ "i": { "caseId": id, "occurredOn": "2026-03-01", "reason": "E13" } }),
            ),
        ),
        (
            "setDocumentReadiness",
            Role::TeamManager,
            "mutation($i: SetDocumentReadinessInput!) { setDocumentReadiness(input: $i) { allReady } }",
            Box::new(
                |id| json!({ "i": { "caseId": id, "purpose": "LONG_TERM_FOSTER_MATCH", "document": "x", "ready": true } }),
            ),
        ),
        (
            "addAgendaItem (meeting)",
            Role::TeamManager,
            ADD_ITEM,
            Box::new(
                |id| json!({ "i": { "meetingId": id, "caseId": Uuid::nil(), "purpose": "LONG_TERM_FOSTER_MATCH" } }),
            ),
        ),
        (
            "cancelPanelMeeting",
            Role::PanelChair,
            "mutation($i: PanelMeetingCommandInput!) { cancelPanelMeeting(input: $i) { id } }",
            Box::new(|id| json!({ "i": { "meetingId": id } })),
        ),
        (
            "holdPanelMeeting",
            Role::PanelChair,
            "mutation($i: PanelMeetingCommandInput!) { holdPanelMeeting(input: $i) { id } }",
            Box::new(|id| json!({ "i": { "meetingId": id } })),
        ),
        (
            "setPanelMembers",
            Role::PanelChair,
            "mutation($i: SetPanelMembersInput!) { setPanelMembers(input: $i) { id } }",
            Box::new(|id| json!({ "i": { "meetingId": id, "members": [] } })),
        ),
        (
            "recordPanelRecommendation",
            Role::PanelChair,
            "mutation($i: RecordPanelRecommendationInput!) { recordPanelRecommendation(input: $i) { item { id } } }",
            Box::new(|id| json!({ "i": { "itemId": id, "recommendation": "RECOMMENDED" } })),
        ),
        (
            "recordAgencyDecision",
            Role::AgencyDecisionMaker,
            "mutation($i: RecordAgencyDecisionInput!) { recordAgencyDecision(input: $i) { item { id } } }",
            Box::new(
                |id| json!({ "i": { "itemId": id, "agrees": true, "occurredOn": "2026-03-01" } }),
            ),
        ),
        (
            "withdrawAgendaItem",
            Role::TeamManager,
            "mutation($i: PanelItemCommandInput!) { withdrawAgendaItem(input: $i) { id } }",
            Box::new(|id| json!({ "i": { "itemId": id } })),
        ),
    ];
    for (name, role, query, variables) in &queries {
        let theirs = match *name {
            "child" | "enterCare" => &foreign.child,
            "panelMeeting"
            | "addAgendaItem (meeting)"
            | "cancelPanelMeeting"
            | "holdPanelMeeting"
            | "setPanelMembers" => &foreign.meeting,
            "acknowledgeNotification" => &foreign.notification,
            "recordPanelRecommendation" | "recordAgencyDecision" | "withdrawAgendaItem" => {
                &foreign.item
            }
            _ => &foreign.case,
        };
        let label = format!("{name} with another authority's id");
        let foreign_answer = probe
            .gql_as(*role, query, variables(theirs), &label)
            .await?;
        let label = format!("{name} with an id that does not exist");
        let missing_answer = probe
            .gql_as(*role, query, variables(&missing), &label)
            .await?;
        let seen = |a: &Answer| (a.status, a.code.clone(), a.message(), a.field());
        if seen(&foreign_answer) != seen(&missing_answer) || foreign_answer.code == "OK" {
            bail!(
                "{name}: another authority's record answers {} but a missing one {}",
                foreign_answer.body,
                missing_answer.body
            );
        }
    }
    Ok(())
}

/// A NUL character is refused as VALIDATION naming the field, on both databases, wherever it is.
async fn nul_characters(probe: &mut Probe<'_>, own_case: &str) -> anyhow::Result<()> {
    let child = |field: &str, value: &str| {
        let mut input = json!({ "localAuthority": "E10000003", "reference": "NUL1", "birthDate": "2019-03-14",
                                "sex": "FEMALE", "ethnicity": "WBRI" });
        input[field] = json!(value);
        json!({ "i": input })
    };
    let cases = [
        ("name", REGISTER, child("name", "Ann\u{0}Smith")),
        ("reference", REGISTER, child("reference", "NUL\u{0}2")),
        ("ethnicity", REGISTER, child("ethnicity", "WB\u{0}RI")),
        ("upn", REGISTER, child("upn", "UN1\u{0}")),
        (
            "note",
            REVIEW,
            json!({ "i": { "caseId": own_case, "occurredOn": "2026-02-02", "note": "seen\u{0}" } }),
        ),
        (
            "carer",
            "mutation($i: RecordPlacementChangeInput!) { recordPlacementChange(input: $i) { case { id } } }",
            json!({ "i": { "caseId": own_case, "occurredOn": "2026-02-02", "carer": "FC\u{0}9" } }),
        ),
        (
            "chair",
            SCHEDULE,
            json!({ "i": { "localAuthority": "E10000003", "kind": "COMBINED", "sitsOn": "2026-12-03", "chair": "\u{0}" } }),
        ),
    ];
    for (field, query, variables) in cases {
        let role = if query == SCHEDULE {
            Role::PanelChair
        } else {
            Role::TeamManager
        };
        let label = format!("a NUL in {field}");
        let answer = probe.gql_as(role, query, variables, &label).await?;
        answer.expect("VALIDATION", &label)?;
        if answer.field().as_deref() != Some(field) {
            bail!(
                "{label}: the error names {:?}: {}",
                answer.field(),
                answer.body
            );
        }
    }
    // In the query text itself, as an escape in a string literal.
    let answer = probe
        .gql(
            "mutation { registerChild(input: {localAuthority: \"E10000003\", reference: \"NUL3\", birthDate: \"2019-03-14\", sex: FEMALE, ethnicity: \"WBRI\", name: \"A\\u0000B\"}) { child { id } } }",
            json!({}),
            "a NUL escaped in the query",
        )
        .await?;
    answer.expect("VALIDATION", "a NUL escaped in the query")?;
    if answer.field().as_deref() != Some("name") {
        bail!("a NUL escaped in the query: {}", answer.body);
    }
    Ok(())
}

/// What the HTTP layer refuses is answered in GraphQL's shape, with a code and the right status.
async fn malformed_http(probe: &mut Probe<'_>) -> anyhow::Result<()> {
    let json_type = Some("application/json");
    let bodies: Vec<(&str, Vec<u8>, u16)> = vec![
        ("truncated JSON", b"{\"query\": \"{ today }\"".to_vec(), 400),
        ("a lone brace", b"{".to_vec(), 400),
        ("an empty body", Vec::new(), 400),
        ("null", b"null".to_vec(), 400),
        ("a string", b"\"{ today }\"".to_vec(), 400),
        ("a number", b"12".to_vec(), 400),
        ("an empty object", b"{}".to_vec(), 400),
        ("a numeric query", b"{\"query\": 5}".to_vec(), 400),
        (
            "variables as a string",
            b"{\"query\": \"{ today }\", \"variables\": \"x\"}".to_vec(),
            400,
        ),
        (
            "variables as a list",
            b"{\"query\": \"{ today }\", \"variables\": [1]}".to_vec(),
            400,
        ),
        (
            "trailing garbage",
            b"{\"query\": \"{ today }\"} trailing".to_vec(),
            400,
        ),
        (
            "a batch",
            b"[{\"query\": \"{ today }\"}, {\"query\": \"{ today }\"}]".to_vec(),
            400,
        ),
        ("an empty batch", b"[]".to_vec(), 400),
        (
            "a batch of one",
            b"[{\"query\": \"{ today }\"}]".to_vec(),
            400,
        ),
        (
            "invalid UTF-8",
            b"{\"query\": \"{ today } \xff\xfe\"}".to_vec(),
            400,
        ),
        (
            "overlong UTF-8",
            b"{\"query\": \"{ today } \xc0\xaf\"}".to_vec(),
            400,
        ),
        (
            "a raw NUL byte in a string",
            b"{\"query\": \"{ today }\x00\"}".to_vec(),
            400,
        ),
        (
            "a lone surrogate",
            b"{\"query\": \"{ today }\", \"variables\": {\"x\": \"\\ud800\"}}".to_vec(),
            400,
        ),
        (
            "a byte order mark",
            b"\xef\xbb\xbf{\"query\": \"{ today }\"}".to_vec(),
            400,
        ),
        (
            "an overlong number",
            b"{\"query\": \"query($n: Int) { today }\", \"variables\": {\"n\": 1e400}}".to_vec(),
            400,
        ),
        ("a body over the limit", vec![b' '; 70 * 1024], 413),
    ];
    for (label, body, status) in bodies {
        let answer = probe.raw(json_type, body, label).await?;
        if answer.status != status || !matches!(answer.code.as_str(), "BAD_REQUEST") {
            bail!(
                "{label}: expected HTTP {status} BAD_REQUEST, got {} {}",
                answer.status,
                answer.body
            );
        }
    }
    let ok = br#"{"query": "{ today }"}"#.to_vec();
    for (label, content_type) in [
        ("text/plain", Some("text/plain")),
        ("a form", Some("application/x-www-form-urlencoded")),
        ("multipart", Some("multipart/form-data; boundary=x")),
        ("application/graphql", Some("application/graphql")),
        ("no content type", None),
        ("a content type that is not one", Some("json")),
    ] {
        let answer = probe.raw(content_type, ok.clone(), label).await?;
        if answer.status != 415 || answer.code != "BAD_REQUEST" {
            bail!(
                "{label}: expected HTTP 415 BAD_REQUEST, got {} {}",
                answer.status,
                answer.body
            );
        }
    }
    let charset = probe
        .raw(
            Some("application/json; charset=utf-8"),
            ok.clone(),
            "JSON with a charset",
        )
        .await?;
    charset.expect("OK", "JSON with a charset")?;
    for method in [Method::PUT, Method::DELETE, Method::PATCH] {
        let label = format!("{method} /graphql");
        let request = probe
            .server
            .client
            .request(method.clone(), probe.server.server.url("/graphql"))
            .header("authorization", probe.server.bearer(Role::TeamManager))
            .header("content-type", "application/json")
            .body(ok.clone());
        let answer = probe.send(request, &label).await?;
        if answer.status != 405 || answer.code != "BAD_REQUEST" {
            bail!(
                "{label}: expected HTTP 405 BAD_REQUEST, got {} {}",
                answer.status,
                answer.body
            );
        }
    }
    for path in [
        "/graphql?query=%7B%20today%20%7D",
        "/nowhere",
        "/graphql/../healthz%00",
    ] {
        let request = probe.server.client.get(probe.server.server.url(path));
        let answer = probe.send(request, path).await?;
        if answer.status != 404 || answer.code != "NOT_FOUND" {
            bail!(
                "GET {path}: expected HTTP 404 NOT_FOUND, got {} {}",
                answer.status,
                answer.body
            );
        }
    }
    Ok(())
}

/// Introspection, when it is off, is refused with a code instead of answered with nulls.
async fn introspection_refused(probe: &mut Probe<'_>) -> anyhow::Result<()> {
    for query in [
        "{ __schema { queryType { name } } }",
        "{ __type(name: \"Case\") { name fields { name } } }",
        "query { ...f } fragment f on Query { __schema { types { name } } }",
        "{ today ... on Query { __type(name: \"Child\") { name } } }",
    ] {
        let answer = probe.gql(query, json!({}), "introspection").await?;
        answer.expect("BAD_REQUEST", query)?;
        if !answer.message().contains("introspection") {
            bail!("{query}: the message does not say why: {}", answer.body);
        }
    }
    // __typename is not introspection of the schema, and stays allowed.
    probe
        .gql("{ __typename today }", json!({}), "__typename")
        .await?
        .expect("OK", "__typename")?;
    Ok(())
}

/// Missing, malformed, unknown, expired and revoked tokens: 401 UNAUTHENTICATED.
async fn bad_tokens(probe: &mut Probe<'_>) -> anyhow::Result<()> {
    let engine = probe.server.engine();
    let now = engine.now();
    let user = engine
        .store()
        .create_user(
            &NewUser {
                username: "expiring.tester".to_owned(),
                display_name: "Expiring (test)".to_owned(),
                role: Role::TeamManager,
                teams: vec!["Team A".to_owned()],
                local_authorities: vec!["E10000003".to_owned()],
            },
            now,
        )
        .await?;
    let expired = new_token()?;
    engine
        .store()
        .issue_token(
            user.id,
            &expired.hash,
            None,
            Some(now - Duration::days(1)),
            now - Duration::days(30),
        )
        .await?;
    let revoked = new_token()?;
    let record = engine
        .store()
        .issue_token(user.id, &revoked.hash, None, None, now)
        .await?;
    engine.store().revoke_token(record.id, now).await?;
    let expired = format!("Bearer {}", expired.secret.expose());
    let revoked = format!("Bearer {}", revoked.secret.expose());
    let long = format!("Bearer pmt_{}", "a".repeat(8 * 1024));
    let values: Vec<(&str, Option<reqwest::header::HeaderValue>)> = vec![
        ("no token", None),
        ("an empty header", Some("".parse()?)),
        ("Bearer alone", Some("Bearer".parse()?)),
        ("Bearer and spaces", Some("Bearer    ".parse()?)),
        ("Basic", Some("Basic YWxhZGRpbjpvcGVuc2VzYW1l".parse()?)),
        (
            "an unknown token",
            Some("Bearer pmt_notarealtoken".parse()?),
        ),
        (
            "a JWT with single sign-on off",
            Some("Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.".parse()?),
        ),
        ("a very long token", Some(long.parse()?)),
        (
            "bytes outside ASCII",
            Some(reqwest::header::HeaderValue::from_bytes(
                b"Bearer pmt_\xff\xfe",
            )?),
        ),
        ("an expired token", Some(expired.parse()?)),
        ("a revoked token", Some(revoked.parse()?)),
    ];
    for (label, value) in values {
        let mut request = probe.post(None).json(&json!({ "query": "{ today }" }));
        if let Some(value) = value {
            request = request.header("authorization", value);
        }
        let answer = probe.send(request, label).await?;
        if answer.status != 401 || answer.code != "UNAUTHENTICATED" {
            bail!(
                "{label}: expected 401 UNAUTHENTICATED, got {} {}",
                answer.status,
                answer.body
            );
        }
    }
    Ok(())
}

/// Many aliases, fields, directives, huge strings and odd numbers and characters.
async fn oversized_and_odd(probe: &mut Probe<'_>) -> anyhow::Result<()> {
    for n in [31, 200, 2_000] {
        let fields: Vec<String> = (0..n).map(|i| format!("t{i}: today")).collect();
        probe
            .gql(&format!("{{ {} }}", fields.join(" ")), json!({}), "aliases")
            .await?
            .expect("BAD_REQUEST", "many aliases")?;
    }
    let many = "today ".repeat(5_000);
    probe
        .gql(&format!("{{ {many} }}"), json!({}), "one field 5,000 times")
        .await?;
    let directives = "@skip(if: false) ".repeat(1_000);
    let answer = probe
        .gql(
            &format!("{{ today {directives} }}"),
            json!({}),
            "directives",
        )
        .await?;
    if answer.code == "OK" {
        bail!("a thousand directives were accepted: {}", answer.body);
    }
    let fragments: Vec<String> = (0..500)
        .map(|i| format!("fragment f{i} on Query {{ today }}"))
        .collect();
    let answer = probe
        .gql(
            &format!("{{ ...f0 }} {}", fragments.join(" ")),
            json!({}),
            "unused fragments",
        )
        .await?;
    if answer.code == "OK" {
        bail!("unused fragments were accepted: {}", answer.body);
    }
    let operations = "query a { today } query b { today }";
    probe
        .gql(operations, json!({}), "two operations, no name")
        .await?
        .expect("BAD_REQUEST", "two operations without operationName")?;
    let huge = "x".repeat(60 * 1024);
    let big_name = probe
        .gql(
            REGISTER,
            json!({ "i": { "localAuthority": "E10000003", "reference": "BIG1", "birthDate": "2019-03-14",
                           "sex": "FEMALE", "ethnicity": "WBRI", "name": huge } }),
            "a 60 KB name",
        )
        .await?;
    big_name.expect("VALIDATION", "a 60 KB name")?;
    let huge_reference = "9".repeat(50_000);
    probe
        .gql(
            REGISTER,
            json!({ "i": { "localAuthority": "E10000003", "reference": huge_reference, "birthDate": "2019-03-14",
                           "sex": "FEMALE", "ethnicity": "WBRI" } }),
            "a 50 KB reference",
        )
        .await?
        .expect("VALIDATION", "a 50 KB reference")?;
    for (label, query) in [
        (
            "an overlong Int",
            "{ cases(first: 99999999999999999999999) { edges { node { id } } } }",
        ),
        (
            "a negative page",
            "{ cases(first: -1) { edges { node { id } } } }",
        ),
        (
            "a float as Int",
            "{ cases(first: 1.5e300) { edges { node { id } } } }",
        ),
        (
            "an overlong version",
            "mutation { recordReview(input: {caseId: \"00000000-0000-0000-0000-000000000000\", occurredOn: \"2026-01-01\", expectedVersion: 92233720368547758070}) { duplicate } }",
        ),
        (
            "a date far away",
            "{ drift(asOf: \"99999-01-01\") { edges { node { panelOn } } } }",
        ),
        (
            "an invalid date",
            "{ drift(asOf: \"2026-02-30\") { edges { node { panelOn } } } }",
        ),
        ("a malformed uuid", "{ case(id: \"not-a-uuid\") { id } }"),
    ] {
        let answer = probe.gql(query, json!({}), label).await?;
        if answer.code == "OK" || answer.code == "INTERNAL" {
            bail!("{label}: {}", answer.body);
        }
    }
    for (label, reference) in [
        ("a right-to-left override", "AB\u{202e}12"),
        ("a zero-width joiner", "AB\u{200d}12"),
        ("an emoji", "AB\u{1f600}"),
        ("full-width digits", "\u{ff11}\u{ff12}"),
        ("a combining accent", "E\u{301}1"),
    ] {
        let answer = probe
            .gql(
                REGISTER,
                json!({ "i": { "localAuthority": "E10000003", "reference": reference, "birthDate": "2019-03-14",
                               "sex": "FEMALE", "ethnicity": "WBRI" } }),
                label,
            )
            .await?;
        answer.expect("VALIDATION", label)?;
    }
    for (label, authority) in [
        ("an authority with a NUL", "E1000000\u{0}3"),
        ("an authority in full-width digits", "E\u{ff11}0000003"),
        ("a huge authority", &"E".repeat(10_000)),
    ] {
        let answer = probe
            .gql_as(
                Role::TeamManager,
                "query($la: String) { children(localAuthority: $la) { edges { node { id } } } }",
                json!({ "la": authority }),
                label,
            )
            .await?;
        if answer.code == "OK" || answer.code == "INTERNAL" {
            bail!("{label}: {}", answer.body);
        }
    }
    Ok(())
}

// ----- the battery -----------------------------------------------------------------------------

async fn hostile_battery(server: &TestServer) -> anyhow::Result<()> {
    let foreign = foreign_records(server).await?;
    let (own_child, own_case) = own_case(server, "OWNA").await?;
    server
        .ok(SET_ROUTE_PLAN, json!({ "i": { "caseId": own_case, "route": "LONG_TERM_FOSTERING", "occurredOn": "2026-02-01" } }))
        .await?;
    let mut secrets: Vec<String> = foreign.ids().into_iter().map(str::to_owned).collect();
    secrets.push(OTHER_CHILD_NAME.to_owned());
    secrets.push(OTHER_REFERENCE.to_owned());
    let mut probe = Probe::new(server, secrets);
    let backend = format!("{:?}", server.engine().store().backend());

    deep_nesting(&mut probe).await?;
    deep_nesting_over_websocket(&mut probe).await?;
    reused_command_ids(&mut probe, &foreign, &own_case, &own_child).await?;
    foreign_ids_read_as_missing(&mut probe, &foreign).await?;
    nul_characters(&mut probe, &own_case).await?;
    malformed_http(&mut probe).await?;
    introspection_refused(&mut probe).await?;
    bad_tokens(&mut probe).await?;
    oversized_and_odd(&mut probe).await?;

    // The other authority's records are as they were.
    let case = server
        .engine()
        .store()
        .case_events(permanence_domain::CaseId(foreign.case.parse()?))
        .await?;
    if case.len() != 4 {
        bail!(
            "the other authority's case has {} events, not 4",
            case.len()
        );
    }
    println!("{}", probe.summary(&backend));
    if probe.sent < 100 {
        bail!("only {} hostile requests were sent", probe.sent);
    }
    if probe.outcomes.contains_key("INTERNAL") {
        bail!("an INTERNAL answer: {}", probe.summary(&backend));
    }
    Ok(())
}
on_both_backends!(battery, hostile_battery);

// ----- each fix on its own, for a quick failing test -----------------------------------------

async fn probe_for(server: &TestServer) -> Probe<'_> {
    Probe::new(
        server,
        vec![OTHER_CHILD_NAME.to_owned(), OTHER_REFERENCE.to_owned()],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_values_are_refused_before_parsing() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Sqlite).await?;
    let mut probe = probe_for(&server).await;
    deep_nesting(&mut probe).await?;
    deep_nesting_over_websocket(&mut probe).await?;
    server.stop().await
}

async fn reused_ids_alone(server: &TestServer) -> anyhow::Result<()> {
    let foreign = foreign_records(server).await?;
    let (own_child, own_case) = own_case(server, "OWNA").await?;
    let mut secrets: Vec<String> = foreign.ids().into_iter().map(str::to_owned).collect();
    secrets.push(OTHER_CHILD_NAME.to_owned());
    let mut probe = Probe::new(server, secrets);
    reused_command_ids(&mut probe, &foreign, &own_case, &own_child).await
}
on_both_backends!(reused_command_ids_reveal_nothing, reused_ids_alone);

async fn nul_alone(server: &TestServer) -> anyhow::Result<()> {
    let (_, own_case) = own_case(server, "OWNA").await?;
    let mut probe = probe_for(server).await;
    nul_characters(&mut probe, &own_case).await
}
on_both_backends!(nul_is_refused_on_both_databases, nul_alone);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_authoritys_ids_read_as_missing() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Sqlite).await?;
    let foreign = foreign_records(&server).await?;
    let mut probe = Probe::new(&server, vec![OTHER_CHILD_NAME.to_owned()]);
    foreign_ids_read_as_missing(&mut probe, &foreign).await?;
    server.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_are_answered_as_graphql_errors() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Sqlite).await?;
    let mut probe = probe_for(&server).await;
    malformed_http(&mut probe).await?;
    server.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_when_off_is_an_error() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Sqlite).await?;
    let mut probe = probe_for(&server).await;
    introspection_refused(&mut probe).await?;
    server.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_tokens_are_refused() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Sqlite).await?;
    let mut probe = probe_for(&server).await;
    bad_tokens(&mut probe).await?;
    oversized_and_odd(&mut probe).await?;
    server.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordinary_requests_still_work() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Sqlite).await?;
    let (_, case) = own_case(&server, "FINE1").await?;
    server
        .ok(
            PLAN,
            json!({ "i": { "caseId": case, "route": "ADOPTION", "occurredOn": "2026-02-01" } }),
        )
        .await
        .context("a plain mutation")?;
    server.stop().await
}
