//! End-to-end: a client subscribed to a case over WebSocket sees the change another client makes.

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{Backend, SET_ROUTE_PLAN, TestServer, child_in_care};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

async fn next_json<S>(socket: &mut S) -> anyhow::Result<Value>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriber_sees_the_case_change() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Sqlite).await?;
    let case_id = child_in_care(&server, "W1", "2020-01-01", "2024-01-08").await?;

    let mut request = format!("ws://{}/graphql/ws", server.server.addr).into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    request.headers_mut().insert(
        "authorization",
        server.bearer(permanence_auth::Role::TeamManager).parse()?,
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": {} }).to_string(),
        ))
        .await?;
    assert_eq!(
        next_json(&mut socket).await?["type"],
        json!("connection_ack")
    );
    socket
        .send(Message::text(
            json!({ "id": "1", "type": "subscribe", "payload": {
                "query": "subscription($id: UUID!) { caseChanged(caseId: $id) { id version primaryPlan { route } } }",
                "variables": { "id": case_id } } })
            .to_string(),
        ))
        .await?;
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
    socket.close(None).await?;
    server.stop().await
}
