//! The event bus: with `REDIS_URL` (as CI's PostgreSQL run sets it), a
//! subscriber connected to one instance sees what is done on another;
//! without it, events stay in the process (one instance).

use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn subscribers_see_events_caused_on_another_instance() {
    let server = TestServer::start().await;
    let with_redis = std::env::var_os("REDIS_URL").is_some();
    let second;
    let listening = if with_redis {
        second = server.another_instance().await;
        &second
    } else {
        &server
    };
    let admin = server.super_admin().await;
    let token = admin.token.clone().unwrap();
    let mut socket = open_socket(listening).await;
    send_json(&mut socket, json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })).await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    send_json(
        &mut socket,
        json!({ "id": "feed", "type": "subscribe", "payload": { "query": "subscription { activityAdded { action targetName } }" } }),
    )
    .await;
    // The listener's Redis subscription is set up asynchronously at start.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let res = admin
        .gql(
            "mutation { createGroup(input: { name: \"Night shift\" }) { group { id } } }",
            json!({}),
        )
        .await;
    assert!(res.get("errors").is_none(), "{res}");
    let msg = next_json(&mut socket).await;
    assert_eq!(
        msg["payload"]["data"]["activityAdded"],
        json!({ "action": "group.create", "targetName": "Night shift" }),
        "{msg}"
    );
}
