//! Account-defined custom customer fields and their values.

use serde_json::{json, Value};

use crate::harness::*;

const CREATE_FIELD: &str = "mutation($input: CreateCustomFieldInput!) {
  createCustomField(input: $input) { customField { id name kind choices } userErrors { field code } }
}";
const VALUES: &str =
    "query($id: ID!) { customer(id: $id) { customFields { field { name } value } } }";

async fn field(client: &Client, input: Value) -> String {
    let res = client.gql(CREATE_FIELD, json!({ "input": input })).await;
    data(&res)["createCustomField"]["customField"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned()
}

#[tokio::test]
async fn custom_field_values_are_checked_by_kind_and_kept_consistent() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let tier = field(
        &admin,
        json!({ "name": "Tier", "kind": "CHOICE", "choices": ["Gold", "Silver"] }),
    )
    .await;
    let seats = field(&admin, json!({ "name": "Seats", "kind": "NUMBER" })).await;
    let renewal = field(&admin, json!({ "name": "Renewal", "kind": "DATE" })).await;
    let region = field(&admin, json!({ "name": "Region", "kind": "TEXT" })).await;

    let res = admin
        .gql(
            CREATE_FIELD,
            json!({ "input": { "name": "tier", "kind": "TEXT" } }),
        )
        .await;
    assert_eq!(
        data(&res)["createCustomField"]["userErrors"],
        json!([{ "field": ["name"], "code": "TAKEN" }])
    );
    let res = admin
        .gql(
            CREATE_FIELD,
            json!({ "input": { "name": "Plan", "kind": "CHOICE" } }),
        )
        .await;
    assert_eq!(
        data(&res)["createCustomField"]["userErrors"],
        json!([{ "field": ["choices"], "code": "BLANK" }])
    );

    let create = "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } userErrors { field code } } }";
    let bad = json!({ "firstName": "Ann", "email": "ann@acme.test", "customFields": [
        { "fieldId": tier, "value": "Bronze" }, { "fieldId": seats, "value": "many" },
        { "fieldId": renewal, "value": "31/12/2026" }, { "fieldId": "bm9wZQ", "value": "x" } ] });
    let res = admin.gql(create, json!({ "input": bad })).await;
    assert_eq!(
        data(&res)["createCustomer"]["userErrors"],
        json!([
            { "field": ["customFields", "0"], "code": "INVALID" },
            { "field": ["customFields", "1"], "code": "INVALID" },
            { "field": ["customFields", "2"], "code": "INVALID" },
            { "field": ["customFields", "3"], "code": "NOT_FOUND" },
        ])
    );
    let good = json!({ "firstName": "Ann", "email": "ann@acme.test", "customFields": [
        { "fieldId": tier, "value": "gold" }, { "fieldId": seats, "value": "12.50" },
        { "fieldId": renewal, "value": "2026-12-31" }, { "fieldId": region, "value": " EMEA " } ] });
    let res = admin.gql(create, json!({ "input": good })).await;
    let id = data(&res)["createCustomer"]["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = admin.gql(VALUES, json!({ "id": id })).await;
    assert_eq!(
        data(&res)["customer"]["customFields"],
        json!([
            { "field": { "name": "Region" }, "value": "EMEA" },
            { "field": { "name": "Renewal" }, "value": "2026-12-31" },
            { "field": { "name": "Seats" }, "value": "12.5" },
            { "field": { "name": "Tier" }, "value": "Gold" },
        ])
    );

    // Clear one value, change another; the rest stay.
    let res = admin
        .gql(
            "mutation($id: ID!, $r: ID!, $s: ID!) { updateCustomer(input: { id: $id, customFields: [{ fieldId: $r, value: null }, { fieldId: $s, value: \"3\" }] }) { userErrors { code } } }",
            json!({ "id": id, "r": region, "s": seats }),
        )
        .await;
    assert_eq!(data(&res)["updateCustomer"]["userErrors"], json!([]));
    // Dropping a choice clears values that used it; deleting a field clears its values.
    admin
        .gql("mutation($id: ID!) { updateCustomField(input: { id: $id, choices: [\"Silver\", \"Platinum\"] }) { userErrors { code } } }", json!({ "id": tier }))
        .await;
    admin
        .gql(
            "mutation($id: ID!) { deleteCustomField(input: { id: $id }) { deletedCustomFieldId } }",
            json!({ "id": renewal }),
        )
        .await;
    let res = admin.gql(VALUES, json!({ "id": id })).await;
    assert_eq!(
        data(&res)["customer"]["customFields"],
        json!([{ "field": { "name": "Seats" }, "value": "3" }])
    );

    let res = admin
        .gql(
            "{ customFields { nodes { name kind choices } totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&res)["customFields"]["totalCount"], 3);
    assert_eq!(
        data(&res)["customFields"]["nodes"][2],
        json!({ "name": "Tier", "kind": "CHOICE", "choices": ["Silver", "Platinum"] })
    );

    // Members read fields but do not define them; other accounts see nothing.
    let member = server.staff("MEMBER", "member@acme.test").await;
    let res = member
        .gql(
            CREATE_FIELD,
            json!({ "input": { "name": "X", "kind": "TEXT" } }),
        )
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN");
    let globex = server.other_account().await;
    for doc in [
        "query($id: ID!) { node(id: $id) { id } }",
        "mutation($id: ID!) { updateCustomField(input: { id: $id, name: \"Y\" }) { userErrors { code } } }",
        "mutation($id: ID!) { deleteCustomField(input: { id: $id }) { userErrors { code } } }",
    ] {
        let res = globex.gql(doc, json!({ "id": seats })).await;
        assert_eq!(error_code(&res), "NOT_FOUND", "{doc}");
    }
    let res = globex
        .gql(create, json!({ "input": { "firstName": "B", "email": "b@globex.test", "customFields": [{ "fieldId": seats, "value": "1" }] } }))
        .await;
    assert_eq!(
        data(&res)["createCustomer"]["userErrors"],
        json!([{ "field": ["customFields", "0"], "code": "NOT_FOUND" }])
    );
}
