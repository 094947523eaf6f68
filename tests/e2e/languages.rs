//! Languages as the `Language` enum (issue 16): every field that took or
//! returned a language as a string has a typed twin; the string fields
//! still work (deprecated) and the two must agree when both are given.

use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn customers_take_and_return_their_language_as_an_enum() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let create = "mutation($input: CreateCustomerInput!) {
      createCustomer(input: $input) { customer { id preferredLanguage locale } userErrors { field code } }
    }";
    let res = admin
        .gql(create, json!({ "input": { "firstName": "Ann", "email": "ann@acme.test", "preferredLanguage": "FR" } }))
        .await;
    let ann = &data(&res)["createCustomer"]["customer"];
    assert_eq!(ann["preferredLanguage"], "FR", "{res}");
    assert_eq!(ann["locale"], "fr");
    let ann_id = ann["id"].as_str().unwrap().to_owned();

    // The deprecated string field still sets it, in any case.
    let res = admin
        .gql(
            create,
            json!({ "input": { "firstName": "Bob", "email": "bob@acme.test", "locale": "IT" } }),
        )
        .await;
    assert_eq!(
        data(&res)["createCustomer"]["customer"]["preferredLanguage"],
        "IT",
        "{res}"
    );

    // Both fields, naming different languages: refused, nothing written.
    let res = admin
        .gql(create, json!({ "input": { "firstName": "Cid", "email": "cid@acme.test", "preferredLanguage": "DE", "locale": "es" } }))
        .await;
    let payload = &data(&res)["createCustomer"];
    assert!(payload["customer"].is_null(), "{res}");
    assert_eq!(
        user_errors(payload),
        vec![("preferredLanguage".into(), "INVALID".into())]
    );
    let res = admin
        .gql(
            "{ customers(filter: { keyword: \"cid@acme.test\" }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&res)["customers"]["totalCount"], 0, "{res}");

    let update = "mutation($input: UpdateCustomerInput!) {
      updateCustomer(input: $input) { customer { preferredLanguage locale } userErrors { field code } }
    }";
    let res = admin
        .gql(
            update,
            json!({ "input": { "id": ann_id, "preferredLanguage": "DE" } }),
        )
        .await;
    let changed = &data(&res)["updateCustomer"]["customer"];
    assert_eq!(changed["preferredLanguage"], "DE", "{res}");
    assert_eq!(changed["locale"], "de");
    let res = admin
        .gql(
            update,
            json!({ "input": { "id": ann_id, "preferredLanguage": null, "locale": "pt" } }),
        )
        .await;
    assert_eq!(
        user_errors(&data(&res)["updateCustomer"]),
        vec![("preferredLanguage".into(), "INVALID".into())],
        "{res}"
    );
    let res = admin
        .gql(
            update,
            json!({ "input": { "id": ann_id, "preferredLanguage": null } }),
        )
        .await;
    let cleared = &data(&res)["updateCustomer"]["customer"];
    assert!(cleared["preferredLanguage"].is_null(), "{res}");
    assert!(cleared["locale"].is_null());
}

#[tokio::test]
async fn users_invitations_and_templates_speak_the_enum_too() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;

    let add = "mutation($input: AddUsersInput!) { addUsers(input: $input) {
      users { id preferredLanguage language } userErrors { field code }
    } }";
    let res = admin
        .gql(
            add,
            json!({ "input": {
            "users": [{ "firstName": "Ana", "lastName": "Silva", "email": "ana@acme.test" }],
            "preferredLanguage": "PT"
        } }),
        )
        .await;
    let ana = &data(&res)["addUsers"]["users"][0];
    assert_eq!(ana["preferredLanguage"], "PT", "{res}");
    assert_eq!(ana["language"], "pt");
    let ana_id = ana["id"].as_str().unwrap().to_owned();

    // Without either field, users speak English, as before.
    let res = admin
        .gql(add, json!({ "input": { "users": [{ "firstName": "Eve", "lastName": "Doe", "email": "eve@acme.test" }] } }))
        .await;
    assert_eq!(
        data(&res)["addUsers"]["users"][0]["preferredLanguage"],
        "EN",
        "{res}"
    );
    let res = admin
        .gql(
            add,
            json!({ "input": {
            "users": [{ "firstName": "Max", "lastName": "Muster", "email": "max@acme.test" }],
            "preferredLanguage": "DE", "language": "fr"
        } }),
        )
        .await;
    assert_eq!(
        user_errors(&data(&res)["addUsers"]),
        vec![("preferredLanguage".into(), "INVALID".into())],
        "{res}"
    );

    let res = admin
        .gql(
            "{ invitations(first: 10) { nodes { email mailLanguage language } } }",
            json!({}),
        )
        .await;
    let invitations = data(&res)["invitations"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    let to_ana = invitations
        .iter()
        .find(|i| i["email"] == "ana@acme.test")
        .unwrap_or_else(|| panic!("{res}"));
    assert_eq!(to_ana["mailLanguage"], "PT");
    assert_eq!(to_ana["language"], "pt");

    let res = admin
        .gql(
            "mutation($id: ID!) { updateUser(input: { id: $id, preferredLanguage: ES }) { user { preferredLanguage language } userErrors { field code } } }",
            json!({ "id": ana_id }),
        )
        .await;
    assert_eq!(
        data(&res)["updateUser"]["user"]["preferredLanguage"],
        "ES",
        "{res}"
    );
    assert_eq!(data(&res)["updateUser"]["user"]["language"], "es");

    let create =
        "mutation($input: CreateEmailTemplateInput!) { createEmailTemplate(input: $input) {
      template { templateLanguage language } userErrors { field code }
    } }";
    let template = json!({ "kind": "WELCOME", "name": "Benvenuto", "subject": "Ciao {{ name }}", "body": "<p>{{ link }}</p>" });
    let mut with_language = template.clone();
    with_language["templateLanguage"] = json!("IT");
    let res = admin.gql(create, json!({ "input": with_language })).await;
    let saved = &data(&res)["createEmailTemplate"]["template"];
    assert_eq!(saved["templateLanguage"], "IT", "{res}");
    assert_eq!(saved["language"], "it");
    // A template needs a language, from one field or the other.
    let res = admin.gql(create, json!({ "input": template })).await;
    assert_eq!(
        user_errors(&data(&res)["createEmailTemplate"]),
        vec![("templateLanguage".into(), "BLANK".into())],
        "{res}"
    );

    let res = admin
        .gql(
            "{ previewEmailTemplate(input: { kind: WELCOME, templateLanguage: DE }) { subject } }",
            json!({}),
        )
        .await;
    let subject = data(&res)["previewEmailTemplate"]["subject"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"));
    assert!(subject.starts_with("Willkommen"), "{subject}");
}
