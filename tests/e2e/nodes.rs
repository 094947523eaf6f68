//! Relay object identification (issue 16): every type with an id is a
//! `Node`, and `node(id:)` fetches one of each of the types that were
//! reachable through their parents only (activity entries, invitations,
//! email templates, product features).

use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn every_type_with_an_id_is_a_node() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let res = admin
        .gql(
            "{ __schema { types { name kind interfaces { name } fields { name type { kind ofType { name } } } } } }",
            json!({}),
        )
        .await;
    let mut missing = Vec::new();
    for t in data(&res)["__schema"]["types"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        let has_id = t["fields"].as_array().is_some_and(|fields| {
            fields
                .iter()
                .any(|f| f["name"] == "id" && f["type"]["ofType"]["name"] == "ID")
        });
        let is_node = t["interfaces"]
            .as_array()
            .is_some_and(|i| i.iter().any(|i| i["name"] == "Node"));
        // The portal's views of a customer, an incident and a service carry
        // the ids of those objects, which `node` answers with.
        let portal_view = ["PortalCustomer", "PortalIncident", "PortalService"].contains(&name);
        if t["kind"] == "OBJECT" && has_id && !is_node && !portal_view {
            missing.push(name.to_owned());
        }
    }
    assert_eq!(
        missing,
        Vec::<String>::new(),
        "types with an id that are not Nodes"
    );
}

#[tokio::test]
async fn node_fetches_activity_invitations_templates_and_features() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let res = admin
        .gql(
            "mutation { createProduct(input: { name: \"Meeting\", seats: 5, features: [{ name: \"Recording\" }] }) { product { features { id } } } }",
            json!({}),
        )
        .await;
    let feature = data(&res)["createProduct"]["product"]["features"][0]["id"].clone();
    let res = admin
        .gql(
            "mutation { createEmailTemplate(input: { kind: WELCOME, language: \"en\", name: \"Hi\", subject: \"Hi {{ name }}\", body: \"<p>{{ link }}</p>\" }) { template { id } userErrors { message } } }",
            json!({}),
        )
        .await;
    let template = data(&res)["createEmailTemplate"]["template"]["id"].clone();
    admin
        .gql(
            "mutation { addUsers(input: { users: [{ firstName: \"In\", lastName: \"Vited\", email: \"in@acme.test\" }] }) { addedCount } }",
            json!({}),
        )
        .await;
    let res = admin
        .gql(
            "{ invitations { nodes { id } } activity(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    let invitation = data(&res)["invitations"]["nodes"][0]["id"].clone();
    let activity = data(&res)["activity"]["nodes"][0]["id"].clone();
    let other = server.other_account().await;

    for (id, typename) in [
        (feature, "ProductFeature"),
        (template, "EmailTemplate"),
        (invitation, "Invitation"),
        (activity, "Activity"),
    ] {
        assert!(id.is_string(), "{typename}: {res}");
        let res = admin
            .gql(
                "query($id: ID!) { node(id: $id) { __typename id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(
            data(&res)["node"],
            json!({ "__typename": typename, "id": id }),
            "{res}"
        );
        // Another account's admin gets nothing for it.
        let res = other
            .gql(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(error_code(&res), "NOT_FOUND", "{typename}: {res}");
    }
}
