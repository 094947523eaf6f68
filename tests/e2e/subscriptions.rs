//! The graphql-transport-ws endpoint: handshake, authentication in
//! `connection_init`, streaming and completion.

use serde_json::json;

use crate::harness::*;

const TICKS: &str = "subscription { serverTime(intervalSeconds: 1, count: 2) }";

#[tokio::test]
async fn handshake_with_a_token_then_stream_until_complete() {
    let server = TestServer::start().await;
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut socket = open_socket(&server).await;

    send_json(&mut socket, json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })).await;
    assert_eq!(
        next_json(&mut socket).await,
        json!({ "type": "connection_ack" })
    );

    send_json(&mut socket, json!({ "type": "ping" })).await;
    assert_eq!(next_json(&mut socket).await["type"], "pong");

    send_json(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": TICKS } }),
    )
    .await;
    for _ in 0..2 {
        let msg = next_json(&mut socket).await;
        assert_eq!(msg["type"], "next", "{msg}");
        assert_eq!(msg["id"], "1");
        let time = msg["payload"]["data"]["serverTime"]
            .as_str()
            .expect("serverTime");
        chrono::DateTime::parse_from_rfc3339(time).expect("an RFC 3339 time");
    }
    assert_eq!(
        next_json(&mut socket).await,
        json!({ "id": "1", "type": "complete" })
    );
}

#[tokio::test]
async fn other_payload_shapes_carry_the_token_too() {
    let server = TestServer::start().await;
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for payload in [
        json!({ "token": token }),
        json!({ "headers": { "Authorization": format!("Bearer {token}") } }),
    ] {
        let mut socket = open_socket(&server).await;
        send_json(
            &mut socket,
            json!({ "type": "connection_init", "payload": payload }),
        )
        .await;
        assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
        send_json(
            &mut socket,
            json!({ "id": "a", "type": "subscribe", "payload": { "query": TICKS } }),
        )
        .await;
        let msg = next_json(&mut socket).await;
        assert!(msg["payload"]["data"]["serverTime"].is_string(), "{msg}");
    }
}

#[tokio::test]
async fn anonymous_sockets_cannot_subscribe() {
    let server = TestServer::start().await;
    let mut socket = open_socket(&server).await;
    send_json(&mut socket, json!({ "type": "connection_init" })).await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    send_json(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": TICKS } }),
    )
    .await;
    let msg = next_json(&mut socket).await;
    let text = msg.to_string();
    assert!(text.contains("UNAUTHENTICATED"), "{msg}");
    assert!(msg.get("close").is_none(), "the socket stays open: {msg}");
}

#[tokio::test]
async fn a_bad_token_refuses_the_connection() {
    let server = TestServer::start().await;
    let mut socket = open_socket(&server).await;
    send_json(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "Authorization": "Bearer rst_nope" } }),
    )
    .await;
    let msg = next_json(&mut socket).await;
    assert!(
        msg.get("close").is_some(),
        "expected the server to close: {msg}"
    );
    assert!(
        msg["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("expired"),
        "{msg}"
    );
}

#[tokio::test]
async fn invalid_subscriptions_get_typed_errors() {
    let server = TestServer::start().await;
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut socket = open_socket(&server).await;
    send_json(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "token": token } }),
    )
    .await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");

    for (id, query) in [
        ("x", "subscription { nope }"),
        ("y", "subscription { serverTime(intervalSeconds: 0) }"),
    ] {
        send_json(
            &mut socket,
            json!({ "id": id, "type": "subscribe", "payload": { "query": query } }),
        )
        .await;
        let mut seen = Vec::new();
        loop {
            let msg = next_json(&mut socket).await;
            seen.push(msg.clone());
            if msg["type"] == "complete" || msg["type"] == "error" || msg.get("close").is_some() {
                break;
            }
        }
        let text = serde_json::to_string(&seen).unwrap();
        assert!(text.contains("BAD_USER_INPUT"), "{query}: {text}");
    }
}
