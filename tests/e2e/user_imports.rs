//! Users CSV import (issue 5) through the customer import's pipeline:
//! preview, confirm, progress, seats all or nothing, permissions.

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::{
    harness::*,
    imports::{rows, wait_for},
};

const START: &str = "mutation($file: Upload!, $options: UserImportOptions) {
  startUserImport(file: $file, options: $options) {
    job { id phase totalRows unknownColumns }
    userErrors { field code message }
  }
}";

pub async fn start(client: &Client, csv: &str, options: Value) -> Value {
    let operations = json!({ "query": START, "variables": { "file": null, "options": options } });
    let form = Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part(
            "0",
            Part::bytes(csv.as_bytes().to_vec()).file_name("users.csv"),
        );
    let res: Value = client
        .post()
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    res
}

async fn id_at(client: &Client, doc: &str, path: &[&str]) -> String {
    let res = client.gql(doc, json!({})).await;
    let mut at = data(&res);
    for key in path {
        at = &at[*key];
    }
    at.as_str().unwrap_or_else(|| panic!("{res}")).to_owned()
}

#[tokio::test]
async fn users_import_through_the_same_pipeline() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let product = id_at(
        &admin,
        "mutation { createProduct(input: { name: \"Meeting\", seats: 3 }) { product { id } } }",
        &["createProduct", "product", "id"],
    )
    .await;
    let group = id_at(
        &admin,
        "mutation { createGroup(input: { name: \"Imported\" }) { group { id } } }",
        &["createGroup", "group", "id"],
    )
    .await;
    let csv = format!(
        "Email,First_Name,Last_Name,Extension,Shoe size\n\
         ann@acme.test,Ann,Lee,,42\n\
         bo@acme.test,Bo,Chan,2001,\n\
         ANN@acme.test,Ann,Again,,\n\
         cy@acmetest,Cy,Diaz,,\n\
         {ADMIN_EMAIL},Me,Again,,\n\
         dee@acme.test,{},Long,,\n\
         eve@acme.test,Eve,Fox,2001,\n",
        "x".repeat(33)
    );
    let res = start(
        &admin,
        &csv,
        json!({ "productIds": [product], "groupIds": [group], "language": "de" }),
    )
    .await;
    let payload = &data(&res)["startUserImport"];
    assert_eq!(
        payload["job"]["unknownColumns"],
        json!(["Shoe size"]),
        "{res}"
    );
    let id = payload["job"]["id"].as_str().unwrap().to_owned();
    let preview = wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    assert_eq!(preview["toCreate"], 2, "{preview}");
    assert_eq!(preview["errorCount"], 5);
    let issues: Vec<(i64, String)> = rows(&admin, &id)
        .await
        .into_iter()
        .filter(|r| r["action"] == "ERROR")
        .map(|r| {
            (
                r["rowNumber"].as_i64().unwrap(),
                r["issues"][0]["column"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        issues,
        vec![
            (4, "email".into()),
            (5, "email".into()),
            (6, "email".into()),
            (7, "first_name".into()),
            (8, "extension".into())
        ]
    );

    // Progress as for customers, over graphql-transport-ws.
    let token = admin.token.clone().unwrap();
    let mut socket = open_socket(&server).await;
    send_json(&mut socket, json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })).await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    send_json(&mut socket, json!({ "id": "p", "type": "subscribe", "payload": { "query": "subscription($id: ID!) { importProgress(jobId: $id) { phase created } }", "variables": { "id": id } } })).await;
    let first = next_json(&mut socket).await;
    assert_eq!(
        first["payload"]["data"]["importProgress"]["phase"],
        "AWAITING_CONFIRMATION"
    );
    let res = admin
        .gql(
            "mutation($id: ID!) { confirmImport(id: $id) { userErrors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&res)["confirmImport"]["userErrors"], json!([]));
    let mut last = Value::Null;
    for _ in 0..50 {
        let msg = next_json(&mut socket).await;
        if msg["type"] == "complete" {
            break;
        }
        last = msg["payload"]["data"]["importProgress"].clone();
    }
    assert_eq!(last, json!({ "phase": "COMPLETED", "created": 2 }));

    let res = admin
        .gql("query($g: ID!) { users(filter: { groupId: $g }) { nodes { email extension language status products { product { name seatsUsed } } } } }", json!({ "g": group }))
        .await;
    let nodes = data(&res)["users"]["nodes"].as_array().unwrap().clone();
    assert_eq!(nodes.len(), 2);
    assert_eq!(nodes[0]["email"], "ann@acme.test");
    assert_eq!(nodes[0]["extension"], 1001);
    assert_eq!(nodes[0]["language"], "de");
    assert_eq!(nodes[0]["status"], "INVITED");
    assert_eq!(nodes[1]["extension"], 2001);
    assert_eq!(
        nodes[1]["products"][0]["product"],
        json!({ "name": "Meeting", "seatsUsed": 2 })
    );

    // Too few seats: the whole import fails and imports nobody.
    let csv = "first_name,last_name,email\nA,A,a@acme.test\nB,B,b@acme.test\n";
    let res = start(&admin, csv, json!({ "productIds": [product] })).await;
    let id = data(&res)["startUserImport"]["job"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    admin
        .gql(
            "mutation($id: ID!) { confirmImport(id: $id) { userErrors { code } } }",
            json!({ "id": id }),
        )
        .await;
    let failed = wait_for(&admin, &id, "FAILED").await;
    assert!(
        failed["failure"]
            .as_str()
            .unwrap()
            .contains("not enough seats of Meeting: 1 free, 2 needed"),
        "{failed}"
    );
    let res = admin.gql("{ users { totalCount } product: products { nodes { seatsUsed } } activity(filter: { actions: [\"import.write\"] }) { nodes { outcome detail } } }", json!({})).await;
    assert_eq!(data(&res)["users"]["totalCount"], 3);
    assert_eq!(data(&res)["product"]["nodes"][0]["seatsUsed"], 2);
    assert_eq!(data(&res)["activity"]["nodes"][0]["outcome"], "FAILURE");
}

#[tokio::test]
async fn user_imports_need_the_permission_to_add_users() {
    let server = TestServer::start().await;
    let member = server.staff("MEMBER", "member@acme.test").await;
    let res = start(
        &member,
        "first_name,last_name,email\nA,B,a@acme.test\n",
        json!({}),
    )
    .await;
    assert_eq!(error_code(&res), "FORBIDDEN");
    let admin = server.staff("ADMIN", "admin2@acme.test").await;
    let res = start(
        &admin,
        "first_name,last_name,email\nA,B,a@acme.test\n",
        json!({ "role": "ADMIN" }),
    )
    .await;
    assert_eq!(error_code(&res), "FORBIDDEN", "admins import members only");
    let res = start(&admin, "first_name,email\nA,a@acme.test\n", json!({})).await;
    assert_eq!(
        data(&res)["startUserImport"]["userErrors"][0]["message"],
        "missing required column(s): last_name"
    );
}

#[tokio::test]
async fn a_user_of_another_account_is_invited_to_transfer_as_with_add_users() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let globex = server.other_account().await;
    let csv =
        "first_name,last_name,email\nBoss,Globex,BOSS@globex.test\nNew,Person,new@acme.test\n";
    let res = start(&admin, csv, json!({})).await;
    let id = data(&res)["startUserImport"]["job"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned();
    let preview = wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    assert_eq!(
        (preview["toCreate"].as_i64(), preview["errorCount"].as_i64()),
        (Some(2), Some(0)),
        "{preview}"
    );
    let res = admin
        .gql(
            "mutation($id: ID!) { confirmImport(id: $id) { userErrors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data(&res)["confirmImport"]["userErrors"],
        json!([]),
        "{res}"
    );
    let done = wait_for(&admin, &id, "COMPLETED").await;
    assert_eq!(done["created"], 2, "{done}");

    // A transfer invitation, as addUsers sends, and a welcome for the new user.
    let res = admin
        .gql("{ invitations { nodes { kind email } } }", json!({}))
        .await;
    let mut seen: Vec<(String, String)> = data(&res)["invitations"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{res}"))
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap().to_owned(),
                i["email"].as_str().unwrap().to_lowercase(),
            )
        })
        .collect();
    seen.sort();
    assert!(
        seen.contains(&("TRANSFER".into(), "boss@globex.test".into())),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("WELCOME".into(), "new@acme.test".into())),
        "{seen:?}"
    );
    // The user still signs in to their own account until they accept.
    let res = globex.gql("{ viewer { email } }", json!({})).await;
    assert_eq!(data(&res)["viewer"]["email"], "boss@globex.test", "{res}");
    server.login("boss@globex.test", ADMIN_PASSWORD).await;
}

#[tokio::test]
async fn a_manager_who_imports_users_lists_user_import_jobs_only() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let manager = server.staff("MEMBER", "manager@acme.test").await;
    let manager_id = user_id(&admin, "manager@acme.test").await;
    let res = admin
        .gql(
            "mutation($u: ID!) { grantManagerPermission(input: { userId: $u, permission: ADD_DELETE_USERS }) { userErrors { code } } }",
            json!({ "u": manager_id }),
        )
        .await;
    assert_eq!(
        data(&res)["grantManagerPermission"]["userErrors"],
        json!([]),
        "{res}"
    );
    let res = start(
        &manager,
        "first_name,last_name,email\nA,B,ab@acme.test\n",
        json!({}),
    )
    .await;
    let users_job = data(&res)["startUserImport"]["job"]["id"].clone();
    assert!(users_job.is_string(), "{res}");
    let customers_job =
        crate::imports::started(&admin, b"first_name,email\nC,c@x.test\n", json!({})).await;

    let list = "{ importJobs { nodes { id } } }";
    let ids = |res: &Value| -> Vec<Value> {
        data(res)["importJobs"]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{res}"))
            .iter()
            .map(|n| n["id"].clone())
            .collect()
    };
    let res = manager.gql(list, json!({})).await;
    assert_eq!(ids(&res), vec![users_job.clone()], "{res}");
    let res = admin.gql(list, json!({})).await;
    assert_eq!(ids(&res).len(), 2, "{res}");
    let res = manager
        .gql(
            "query($id: ID!) { importJob(id: $id) { id } }",
            json!({ "id": customers_job }),
        )
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN", "{res}");
}
