//! Global ids and `node(id:)`, and that no account sees another's objects.

use serde_json::json;

use crate::harness::*;

const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id ... on User { email } ... on Account { name } } }";

#[tokio::test]
async fn node_fetches_the_viewers_own_objects() {
    let server = TestServer::start().await;
    let client = server.super_admin().await;
    let res = client
        .gql("{ viewer { id account { id } } }", json!({}))
        .await;
    let user_id = res["data"]["viewer"]["id"].as_str().unwrap().to_owned();
    let account_id = res["data"]["viewer"]["account"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(user_id, account_id);

    let res = client.gql(NODE, json!({ "id": user_id })).await;
    assert_eq!(
        res["data"]["node"],
        json!({ "__typename": "User", "id": user_id, "email": ADMIN_EMAIL }),
        "{res}"
    );
    let res = client.gql(NODE, json!({ "id": account_id })).await;
    assert_eq!(res["data"]["node"]["name"], "Acme", "{res}");

    let res = client
        .gql(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": [user_id, account_id] }),
        )
        .await;
    assert_eq!(res["data"]["nodes"][0]["id"], user_id.as_str(), "{res}");
    assert_eq!(res["data"]["nodes"][1]["id"], account_id.as_str());
}

#[tokio::test]
async fn another_accounts_ids_are_not_found() {
    let server = TestServer::start().await;
    let acme = server.super_admin().await;
    let globex = server.other_account().await;
    let res = acme
        .gql("{ viewer { id account { id } } }", json!({}))
        .await;
    let acme_user = res["data"]["viewer"]["id"].as_str().unwrap().to_owned();
    let acme_account = res["data"]["viewer"]["account"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    for id in [&acme_user, &acme_account] {
        let res = globex.gql(NODE, json!({ "id": id })).await;
        assert_eq!(error_code(&res), "NOT_FOUND", "{res}");
        assert_eq!(res["data"]["node"], json!(null));
    }
    let res = globex
        .gql(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": [acme_user] }),
        )
        .await;
    assert_eq!(res["data"]["nodes"], json!([null]), "{res}");

    let res = globex
        .gql("{ viewer { email account { name } } }", json!({}))
        .await;
    assert_eq!(res["data"]["viewer"]["account"]["name"], "Globex");
}

#[tokio::test]
async fn malformed_ids_are_bad_input_and_anonymous_callers_are_refused() {
    let server = TestServer::start().await;
    let client = server.super_admin().await;
    let res = client.gql(NODE, json!({ "id": "not-an-id" })).await;
    assert_eq!(error_code(&res), "BAD_USER_INPUT", "{res}");

    let res = client.gql("{ viewer { id } }", json!({})).await;
    let id = res["data"]["viewer"]["id"].as_str().unwrap().to_owned();
    let res = server.anonymous().gql(NODE, json!({ "id": id })).await;
    assert_eq!(error_code(&res), "UNAUTHENTICATED", "{res}");
}

#[tokio::test]
async fn nodes_refuses_more_than_100_ids() {
    let server = TestServer::start().await;
    let client = server.super_admin().await;
    let ids: Vec<String> = (0..101).map(|i| format!("id{i}")).collect();
    let res = client
        .gql(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": ids }),
        )
        .await;
    assert_eq!(error_code(&res), "LIMIT_EXCEEDED", "{res}");
}
