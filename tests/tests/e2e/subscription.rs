//! End-to-end: a client subscribed to a case over WebSocket sees the change another client
//! makes; a subscription to a case the user may not read, and a connection without a valid
//! token, are refused. On SQLite and on PostgreSQL.

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use permanence_auth::Role;
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{SET_ROUTE_PLAN, TestServer, child_in_care, on_both_backends};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const CASE_CHANGED: &str =
    "subscription($id: UUID!) { caseChanged(caseId: $id) { id version primaryPlan { route } } }";

/// The next message that is not a ping or pong: a JSON text, or the close frame's code.
enum Received {
    Json(Value),
    Closed(Option<(CloseCode, String)>),
}

async fn receive(socket: &mut Socket) -> anyhow::Result<Received> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .context("no message within 10 s")?;
        match message {
            None => return Ok(Received::Closed(None)),
            Some(Err(e)) => bail!("socket error: {e}"),
            Some(Ok(Message::Text(text))) => {
                return Ok(Received::Json(serde_json::from_str(text.as_str())?));
            }
            Some(Ok(Message::Close(frame))) => {
                return Ok(Received::Closed(
                    frame.map(|f| (f.code, f.reason.as_str().to_owned())),
                ));
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(other)) => bail!("unexpected message {other:?}"),
        }
    }
}

async fn next_json(socket: &mut Socket) -> anyhow::Result<Value> {
    match receive(socket).await? {
        Received::Json(value) => Ok(value),
        Received::Closed(code) => bail!("socket closed ({code:?})"),
    }
}

/// Opens `/graphql/ws` with this `authorization` header (none when `None`) and sends
/// `connection_init` with `payload`.
async fn connect(
    server: &TestServer,
    authorization: Option<String>,
    payload: Value,
) -> anyhow::Result<Socket> {
    let mut request = format!("ws://{}/graphql/ws", server.server.addr).into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    if let Some(value) = authorization {
        request
            .headers_mut()
            .insert("authorization", value.parse()?);
    }
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": payload }).to_string(),
        ))
        .await?;
    Ok(socket)
}

/// A connection acknowledged for the test user of `role`.
async fn connect_as(server: &TestServer, role: Role) -> anyhow::Result<Socket> {
    let mut socket = connect(server, Some(server.bearer(role)), json!({})).await?;
    assert_eq!(
        next_json(&mut socket).await?["type"],
        json!("connection_ack")
    );
    Ok(socket)
}

async fn subscribe(socket: &mut Socket, case_id: &str) -> anyhow::Result<()> {
    socket
        .send(Message::text(
            json!({ "id": "1", "type": "subscribe", "payload": {
                "query": CASE_CHANGED, "variables": { "id": case_id } } })
            .to_string(),
        ))
        .await?;
    Ok(())
}

async fn subscriber_sees_the_case_change(server: &TestServer) -> anyhow::Result<()> {
    let case_id = child_in_care(server, "W1", "2020-01-01", "2024-01-08").await?;
    let mut socket = connect_as(server, Role::TeamManager).await?;
    subscribe(&mut socket, &case_id).await?;
    // Give the server a moment to register the subscription before the change is made.
    tokio::time::sleep(Duration::from_millis(200)).await;
    server
        .ok(SET_ROUTE_PLAN, json!({ "i": { "caseId": case_id, "route": "REUNIFICATION", "occurredOn": "2024-02-01" } }))
        .await?;
    let message = next_json(&mut socket).await?;
    assert_eq!(message["type"], json!("next"), "{message}");
    assert_eq!(
        message.pointer("/payload/data/caseChanged/id"),
        Some(&json!(case_id))
    );
    assert_eq!(
        message.pointer("/payload/data/caseChanged/version"),
        Some(&json!(2))
    );
    assert_eq!(
        message.pointer("/payload/data/caseChanged/primaryPlan/route"),
        Some(&json!("REUNIFICATION"))
    );
    // The event delivered is a read of the case, in the audit log before it left.
    let reads = server
        .engine()
        .store()
        .audit_of_record(permanence_auth::record_kind::CASE, &case_id, 100)
        .await?;
    assert!(
        reads
            .iter()
            .any(|r| r.actor == "tm.tester" && r.query == "caseChanged"),
        "{reads:?}"
    );
    socket.close(None).await?;
    Ok(())
}
on_both_backends!(subscriber_sees_changes, subscriber_sees_the_case_change);

/// The errors the server answered a subscription with, whichever message carries them
/// (`error` with a list, or `next` with a response holding `errors`).
fn subscription_errors(message: &Value) -> anyhow::Result<Vec<Value>> {
    let errors = match message["type"].as_str() {
        Some("error") => message["payload"].clone(),
        Some("next") => message
            .pointer("/payload/errors")
            .cloned()
            .unwrap_or_default(),
        _ => bail!("expected the subscription to be refused, got {message}"),
    };
    Ok(errors.as_array().cloned().unwrap_or_default())
}

/// The refusal's code and message, after checking that no change of the case comes through.
async fn refused_subscription(
    server: &TestServer,
    role: Role,
    case_id: &str,
) -> anyhow::Result<(String, String)> {
    let mut socket = connect_as(server, role).await?;
    subscribe(&mut socket, case_id).await?;
    let message = next_json(&mut socket).await?;
    assert!(
        message
            .pointer("/payload/data/caseChanged")
            .is_none_or(Value::is_null),
        "{message}"
    );
    let errors = subscription_errors(&message)?;
    let first = errors.first().context("no error")?;
    let code = first
        .pointer("/extensions/code")
        .and_then(Value::as_str)
        .with_context(|| format!("error without a code: {first}"))?
        .to_owned();
    let text = first["message"].as_str().unwrap_or_default().to_owned();
    socket.close(None).await.ok();
    Ok((code, text))
}

async fn a_case_the_user_may_not_read_is_refused(server: &TestServer) -> anyhow::Result<()> {
    // Allocated to the test social worker, in Team A.
    let case_id = child_in_care(server, "W2", "2020-01-01", "2024-01-08").await?;
    // The panel member reads only cases on their panels' agendas; the administrator reads
    // no case content.
    for role in [Role::PanelMember, Role::Administrator] {
        let (code, text) = refused_subscription(server, role, &case_id).await?;
        assert_eq!(code, "FORBIDDEN", "{role:?}: {text}");
        // A case that does not exist is refused in the same words.
        let missing = uuid::Uuid::now_v7().to_string();
        let (missing_code, missing_text) = refused_subscription(server, role, &missing).await?;
        assert_eq!((missing_code, missing_text), (code, text), "{role:?}");
    }
    // The allocated worker may subscribe: the refusals above are the policy's, not the
    // subscription's.
    let mut socket = connect_as(server, Role::SocialWorker).await?;
    subscribe(&mut socket, &case_id).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    server
        .ok(
            SET_ROUTE_PLAN,
            json!({ "i": { "caseId": case_id, "route": "ADOPTION", "occurredOn": "2024-02-01" } }),
        )
        .await?;
    let message = next_json(&mut socket).await?;
    assert_eq!(
        message.pointer("/payload/data/caseChanged/id"),
        Some(&json!(case_id)),
        "{message}"
    );
    socket.close(None).await?;
    Ok(())
}
on_both_backends!(
    subscription_to_an_unreadable_case,
    a_case_the_user_may_not_read_is_refused
);

/// Without a valid token the connection is closed before it is acknowledged, and no
/// subscription can be made on it.
async fn a_connection_without_a_token_is_refused(server: &TestServer) -> anyhow::Result<()> {
    let case_id = child_in_care(server, "W3", "2020-01-01", "2024-01-08").await?;
    let attempts = [
        (None, json!({})),
        (None, json!({ "authorization": "Bearer pmt_not-a-token" })),
        (Some("Bearer pmt_not-a-token".to_owned()), json!({})),
    ];
    for (header, payload) in attempts {
        let mut socket = connect(server, header.clone(), payload.clone()).await?;
        match receive(&mut socket).await? {
            // async-graphql closes a graphql-transport-ws connection whose initialisation
            // failed with 1002 and the error's message.
            Received::Closed(frame) => {
                assert_eq!(
                    frame,
                    Some((CloseCode::Protocol, "authentication required".to_owned())),
                    "{header:?} {payload}"
                );
            }
            Received::Json(message) => {
                bail!("expected the connection to be closed, got {message} ({header:?} {payload})")
            }
        }
        // Nothing can be subscribed on it.
        if subscribe(&mut socket, &case_id).await.is_ok() {
            match receive(&mut socket).await {
                Ok(Received::Json(message)) => bail!("answered after refusal: {message}"),
                Ok(Received::Closed(_)) | Err(_) => {}
            }
        }
    }
    Ok(())
}
on_both_backends!(
    subscription_without_a_token,
    a_connection_without_a_token_is_refused
);
