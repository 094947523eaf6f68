//! The graphql-transport-ws endpoint: handshake, authentication in
//! `connection_init`, streaming and completion.

use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

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
    assert_eq!(msg["close"], 4403, "expected the server to close: {msg}");
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

    for (id, query, code) in [
        ("x", "subscription { nope }", "GRAPHQL_VALIDATION_FAILED"),
        (
            "y",
            "subscription { serverTime(intervalSeconds: 0) }",
            "BAD_USER_INPUT",
        ),
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
        assert!(text.contains(code), "{query}: {text}");
    }
}

async fn acked(server: &TestServer) -> Socket {
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    signed_in_socket(server, &token).await
}

/// The close frame, skipping the messages before it.
async fn closed(socket: &mut Socket) -> Value {
    loop {
        let msg = next_json(socket).await;
        if msg.get("close").is_some() {
            return msg;
        }
    }
}

#[tokio::test]
async fn the_protocol_closes_with_the_codes_graphql_transport_ws_prescribes() {
    let server = TestServer::start_with(&["--ws-init-timeout", "1s"]).await;

    // 4408: no connection_init in time.
    let mut socket = open_socket(&server).await;
    assert_eq!(closed(&mut socket).await["close"], 4408);

    // 4429: a second connection_init.
    let mut socket = acked(&server).await;
    send_json(&mut socket, json!({ "type": "connection_init" })).await;
    assert_eq!(closed(&mut socket).await["close"], 4429);

    // 4401: subscribe before the acknowledgement.
    let mut socket = open_socket(&server).await;
    send_json(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": TICKS } }),
    )
    .await;
    assert_eq!(closed(&mut socket).await["close"], 4401);

    // 4409: an id that is still running.
    let mut socket = acked(&server).await;
    let forever = "subscription { serverTime(intervalSeconds: 60) }";
    for _ in 0..2 {
        send_json(
            &mut socket,
            json!({ "id": "same", "type": "subscribe", "payload": { "query": forever } }),
        )
        .await;
    }
    let msg = closed(&mut socket).await;
    assert_eq!(msg["close"], 4409, "{msg}");

    // 4400: not JSON, no type, or an unknown type.
    for bad in [
        Value::String("not json".into()),
        json!({ "id": "1" }),
        json!({ "type": "start", "id": "1", "payload": { "query": TICKS } }),
        json!({ "type": "subscribe", "id": "1", "payload": {} }),
    ] {
        let mut socket = acked(&server).await;
        match &bad {
            Value::String(text) => socket
                .send(tokio_tungstenite::tungstenite::Message::Text(
                    text.clone().into(),
                ))
                .await
                .unwrap(),
            other => send_json(&mut socket, other.clone()).await,
        }
        assert_eq!(closed(&mut socket).await["close"], 4400, "{bad}");
    }
}

#[tokio::test]
async fn pings_limits_and_completion() {
    let server =
        TestServer::start_with(&["--ws-keepalive", "1s", "--ws-max-operations", "2"]).await;
    let mut socket = acked(&server).await;

    // A ping gets a pong; the server pings on its own.
    send_json(
        &mut socket,
        json!({ "type": "ping", "payload": { "n": 1 } }),
    )
    .await;
    let mut pong = false;
    let mut ping = false;
    for _ in 0..5 {
        let msg = next_json(&mut socket).await;
        match msg["type"].as_str() {
            Some("pong") => {
                assert_eq!(msg["payload"]["n"], 1);
                pong = true;
            }
            Some("ping") => ping = true,
            _ => {}
        }
        if pong && ping {
            break;
        }
    }
    assert!(pong && ping, "pong {pong}, ping {ping}");

    // Two operations at once; a third gets an error, the socket stays.
    let forever = "subscription { serverTime(intervalSeconds: 60) }";
    for id in ["a", "b", "c"] {
        send_json(
            &mut socket,
            json!({ "id": id, "type": "subscribe", "payload": { "query": forever } }),
        )
        .await;
    }
    let refusal = loop {
        let msg = next_json(&mut socket).await;
        if msg["type"] == "error" {
            break msg;
        }
        assert!(msg.get("close").is_none(), "{msg}");
    };
    assert_eq!(refusal["id"], "c");
    assert_eq!(
        refusal["payload"][0]["extensions"]["code"],
        "LIMIT_EXCEEDED"
    );

    // The client completes one; then another may start.
    send_json(&mut socket, json!({ "id": "a", "type": "complete" })).await;
    send_json(
        &mut socket,
        json!({ "id": "d", "type": "subscribe", "payload": { "query": "{ viewer { email } }" } }),
    )
    .await;
    let mut seen = Vec::new();
    loop {
        let msg = next_json(&mut socket).await;
        if msg["id"] == "d" {
            seen.push(msg.clone());
            if msg["type"] == "complete" {
                break;
            }
        }
    }
    assert_eq!(seen[0]["type"], "next");
    assert_eq!(seen[0]["payload"]["data"]["viewer"]["email"], ADMIN_EMAIL);
}

#[tokio::test]
async fn a_socket_sees_changes_made_over_http() {
    // Loaders live for one operation: a query over the socket after a
    // change over HTTP sees the change.
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let mut socket = acked(&server).await;
    let before = first_name(&mut socket, "1").await;
    let res = admin.gql("query { viewer { id } }", json!({})).await;
    let id = data(&res)["viewer"]["id"].clone();
    let res = admin
        .gql(
            "mutation($id: ID!) { updateUser(input: { id: $id, firstName: \"Renamed\" }) { userErrors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&res)["updateUser"]["userErrors"], json!([]), "{res}");
    let after = first_name(&mut socket, "2").await;
    assert_ne!(before, after);
    assert_eq!(after, "Renamed");
}

/// The viewer's first name, queried over the socket as operation `id`.
async fn first_name(socket: &mut Socket, id: &str) -> Value {
    let query = "query { viewer { firstName } }";
    send_json(
        socket,
        json!({ "id": id, "type": "subscribe", "payload": { "query": query } }),
    )
    .await;
    loop {
        let msg = next_json(socket).await;
        if msg["type"] == "next" && msg["id"] == id {
            return msg["payload"]["data"]["viewer"]["firstName"].clone();
        }
    }
}

async fn socket_of(server: &TestServer, token: &str) -> Socket {
    subscribed(server, token, "subscription { activityAdded { action } }").await
}

/// The socket closes with 4403 within two seconds.
async fn closes_soon(socket: &mut Socket) {
    let started = std::time::Instant::now();
    let msg = closed(socket).await;
    assert_eq!(msg["close"], 4403, "{msg}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "closed after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn sockets_follow_sign_out_suspension_deletion_and_role_changes() {
    let server = TestServer::start().await;
    let owner = server.super_admin().await;
    let owner_token = owner.token.clone().unwrap();

    // Suspension.
    let admin = server.staff("ADMIN", "suspended@acme.test").await;
    let mut socket = socket_of(&server, admin.token.as_deref().unwrap()).await;
    let id = user_id(&owner, "suspended@acme.test").await;
    let res = owner
        .gql(
            "mutation($id: ID!) { setUserStatus(input: { id: $id, status: SUSPENDED }) { userErrors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data(&res)["setUserStatus"]["userErrors"],
        json!([]),
        "{res}"
    );
    closes_soon(&mut socket).await;

    // Role change.
    let admin = server.staff("ADMIN", "demoted@acme.test").await;
    let mut socket = socket_of(&server, admin.token.as_deref().unwrap()).await;
    // An unrelated change leaves the socket open.
    let mut bystander = socket_of(&server, &owner_token).await;
    let id = user_id(&owner, "demoted@acme.test").await;
    let res = owner
        .gql(
            "mutation($id: ID!) { setUserRole(input: { id: $id, role: MEMBER }) { userErrors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&res)["setUserRole"]["userErrors"], json!([]), "{res}");
    closes_soon(&mut socket).await;

    // Deletion.
    let admin = server.staff("ADMIN", "deleted@acme.test").await;
    let mut socket = socket_of(&server, admin.token.as_deref().unwrap()).await;
    let id = user_id(&owner, "deleted@acme.test").await;
    let res = owner
        .gql(
            "mutation($id: ID!) { deleteUser(input: { id: $id }) { userErrors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&res)["deleteUser"]["userErrors"], json!([]), "{res}");
    closes_soon(&mut socket).await;

    // The owner's socket saw the activity and is still open.
    send_json(&mut bystander, json!({ "type": "ping" })).await;
    loop {
        let msg = next_json(&mut bystander).await;
        assert!(msg.get("close").is_none(), "{msg}");
        if msg["type"] == "pong" {
            break;
        }
    }

    // Sign-out of the socket's own session.
    let res = owner.gql("mutation { logout { ended } }", json!({})).await;
    assert_eq!(data(&res)["logout"]["ended"], true, "{res}");
    closes_soon(&mut bystander).await;
}

/// Sends one query over `socket` and returns its data, in either protocol.
async fn socket_query(socket: &mut Socket, legacy: bool, id: &str, query: &str) -> Value {
    let start = if legacy { "start" } else { "subscribe" };
    send_json(
        socket,
        json!({ "id": id, "type": start, "payload": { "query": query } }),
    )
    .await;
    let mut data = Value::Null;
    loop {
        let msg = next_json(socket).await;
        match msg["type"].as_str() {
            Some("data" | "next") if msg["id"] == id => data = msg["payload"]["data"].clone(),
            Some("complete") if msg["id"] == id => return data,
            Some("ka" | "ping" | "pong") => continue,
            _ => panic!("unexpected message: {msg}"),
        }
    }
}

#[tokio::test]
async fn operations_over_a_socket_see_changes_made_meanwhile_in_both_protocols() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let token = admin.token.clone().unwrap();
    let res = admin
        .gql(
            "mutation { createCompany(input: { name: \"Old Name\" }) { company { id } } }",
            json!({}),
        )
        .await;
    let company = data(&res)["createCompany"]["company"]["id"].clone();
    let res = admin
        .gql(
            "mutation($c: ID!) { createCustomer(input: { firstName: \"Ann\", email: \"ann@x.test\", companyId: $c }) { customer { id } } }",
            json!({ "c": company }),
        )
        .await;
    let customer = data(&res)["createCustomer"]["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let query = format!("{{ customer(id: \"{customer}\") {{ company {{ name }} }} }}");

    for (legacy, name) in [(false, "Transport Name"), (true, "Legacy Name")] {
        let mut request = server.ws_url().into_client_request().unwrap();
        let protocol = if legacy {
            "graphql-ws"
        } else {
            "graphql-transport-ws"
        };
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        send_json(
            &mut socket,
            json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }),
        )
        .await;
        assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
        let before = socket_query(&mut socket, legacy, "1", &query).await;
        assert_ne!(before["customer"]["company"]["name"], name, "{protocol}");
        let res = admin
            .gql(
                "mutation($c: ID!, $n: String!) { updateCompany(input: { id: $c, name: $n }) { userErrors { message } } }",
                json!({ "c": company, "n": name }),
            )
            .await;
        assert_eq!(
            data(&res)["updateCompany"]["userErrors"],
            json!([]),
            "{res}"
        );
        let after = socket_query(&mut socket, legacy, "2", &query).await;
        assert_eq!(
            after["customer"]["company"]["name"], name,
            "{protocol}: the second operation sees the rename made over HTTP"
        );
    }
}

#[tokio::test]
async fn each_event_of_a_subscription_reads_its_nested_fields_afresh() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let me = user_id(&admin, ADMIN_EMAIL).await;
    let token = admin.token.clone().unwrap();
    let mut socket = subscribed(
        &server,
        &token,
        "subscription { activityAdded { action actor { firstName } } }",
    )
    .await;
    let rename = "mutation($id: ID!, $n: String!) { updateUser(input: { id: $id, firstName: $n }) { userErrors { message } } }";
    for name in ["First", "Second"] {
        let res = admin.gql(rename, json!({ "id": me, "n": name })).await;
        assert_eq!(data(&res)["updateUser"]["userErrors"], json!([]), "{res}");
        let event = loop {
            let msg = next_json(&mut socket).await;
            if msg["type"] == "next" {
                break msg;
            }
            assert!(msg["type"] == "ping" || msg["type"] == "pong", "{msg}");
        };
        assert_eq!(
            event["payload"]["data"]["activityAdded"]["actor"]["firstName"], name,
            "{event}"
        );
    }
}
