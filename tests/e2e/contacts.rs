//! Contacts and contact methods (issue 7, seed 001): validation, users as
//! contacts and who may change what, batching, tenant isolation.

use serde_json::{json, Value};

use crate::harness::*;

const CREATE: &str = "mutation($input: CreateContactInput!) {
  createContact(input: $input) {
    contact { id name isUser companies { name } methods { id kind value isPrimary } }
    userErrors { field code message }
  }
}";
const UPDATE: &str = "mutation($input: UpdateContactInput!) {
  updateContact(input: $input) { contact { id name companies { name } } userErrors { field code message } }
}";
const ADD_METHOD: &str = "mutation($input: AddContactMethodInput!) {
  addContactMethod(input: $input) { method { id kind value } contact { methods { value } } userErrors { field code message } }
}";
const UPDATE_METHOD: &str = "mutation($input: UpdateContactMethodInput!) {
  updateContactMethod(input: $input) { method { id kind value } userErrors { field code message } }
}";
const DELETE_METHOD: &str = "mutation($id: ID!) {
  deleteContactMethod(input: { id: $id }) { deletedContactMethodId userErrors { field code message } }
}";
const DELETE: &str = "mutation($id: ID!) {
  deleteContact(input: { id: $id }) { deletedContactId userErrors { field code message } }
}";
const LIST: &str = "query($keyword: String, $company: ID, $isUser: Boolean) {
  contacts(first: 50, keyword: $keyword, companyId: $company, isUser: $isUser) {
    totalCount nodes { id name isUser user { email } methods { id kind value isPrimary } companies { name } }
  }
}";

async fn company(client: &Client, name: &str) -> String {
    let res = client
        .gql(
            "mutation($n: String!) { createCompany(input: { name: $n }) { company { id } } }",
            json!({ "n": name }),
        )
        .await;
    data(&res)["createCompany"]["company"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned()
}

async fn create(client: &Client, input: Value) -> Value {
    let res = client.gql(CREATE, json!({ "input": input })).await;
    data(&res)["createContact"].clone()
}

async fn list(client: &Client, vars: Value) -> Vec<Value> {
    let res = client.gql(LIST, vars).await;
    data(&res)["contacts"]["nodes"].as_array().unwrap().clone()
}

/// The contact of the staff user with `email`.
async fn contact_of_user(client: &Client, email: &str) -> Value {
    list(client, json!({ "isUser": true }))
        .await
        .into_iter()
        .find(|c| c["user"]["email"] == email)
        .unwrap_or_else(|| panic!("no contact for {email}"))
}

#[tokio::test]
async fn contacts_with_methods_and_companies() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let initech = company(&admin, "Initech").await;
    let globo = company(&admin, "Globo").await;

    let created = create(
        &admin,
        json!({
            "name": "Peter Gibbons",
            "companyIds": [initech, globo],
            "methods": [
                { "kind": "EMAIL", "value": " peter@initech.test " },
                { "kind": "SMS", "value": "+1 (415) 555-2671" },
                { "kind": "PHONE", "value": "0044 20 7946 0958" }
            ]
        }),
    )
    .await;
    assert_eq!(created["userErrors"], json!([]), "{created}");
    let contact = &created["contact"];
    assert_eq!(contact["isUser"], false);
    assert_eq!(
        contact["companies"],
        json!([{ "name": "Globo" }, { "name": "Initech" }])
    );
    let values: Vec<&str> = contact["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        values,
        ["peter@initech.test", "+14155552671", "+442079460958"],
        "emails trimmed, numbers stored in E.164"
    );
    let id = contact["id"].as_str().unwrap().to_owned();

    // Every bad value is reported at its place; nothing is created.
    let bad = create(
        &admin,
        json!({
            "name": " ",
            "companyIds": ["bm9wZQ"],
            "methods": [
                { "kind": "EMAIL", "value": "peter@initech" },
                { "kind": "SMS", "value": "415 555 2671" },
                { "kind": "PHONE", "value": "+44 12" }
            ]
        }),
    )
    .await;
    let errors: Vec<(String, String)> = bad["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join("."),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for expected in [
        ("name", "BLANK"),
        ("companyIds", "NOT_FOUND"),
        ("methods.0.value", "INVALID"),
        ("methods.1.value", "INVALID"),
        ("methods.2.value", "INVALID"),
    ] {
        assert!(
            errors.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} missing in {bad}"
        );
    }
    assert!(bad["contact"].is_null());
    assert_eq!(list(&admin, json!({ "isUser": false })).await.len(), 1);

    // Methods: add, refuse a duplicate, change, delete.
    let res = admin
        .gql(
            ADD_METHOD,
            json!({ "input": { "contactId": id, "kind": "PHONE", "value": "+49 30 901820" } }),
        )
        .await;
    let added = &data(&res)["addContactMethod"];
    assert_eq!(added["method"]["value"], "+4930901820", "{res}");
    let method_id = added["method"]["id"].as_str().unwrap().to_owned();
    let res = admin
        .gql(
            ADD_METHOD,
            json!({ "input": { "contactId": id, "kind": "PHONE", "value": "+49 (30) 901-820" } }),
        )
        .await;
    assert_eq!(
        data(&res)["addContactMethod"]["userErrors"][0]["code"],
        "TAKEN"
    );
    let res = admin
        .gql(
            UPDATE_METHOD,
            json!({ "input": { "id": method_id, "kind": "EMAIL", "value": "p.gibbons@initech.test" } }),
        )
        .await;
    assert_eq!(
        data(&res)["updateContactMethod"]["method"],
        json!({ "id": method_id, "kind": "EMAIL", "value": "p.gibbons@initech.test" })
    );
    let res = admin
        .gql(
            UPDATE_METHOD,
            json!({ "input": { "id": method_id, "kind": "SMS" } }),
        )
        .await;
    assert_eq!(
        data(&res)["updateContactMethod"]["userErrors"][0]["code"],
        "INVALID",
        "an email address is not a mobile number: {res}"
    );
    let res = admin.gql(DELETE_METHOD, json!({ "id": method_id })).await;
    assert_eq!(
        data(&res)["deleteContactMethod"]["deletedContactMethodId"],
        method_id
    );

    // Rename and change companies; filters.
    let res = admin
        .gql(
            UPDATE,
            json!({ "input": { "id": id, "name": "Peter G.", "companyIds": [globo] } }),
        )
        .await;
    assert_eq!(
        data(&res)["updateContact"]["contact"]["companies"],
        json!([{ "name": "Globo" }])
    );
    let found = list(&admin, json!({ "keyword": "2079460958" })).await;
    assert_eq!(found.len(), 1, "keyword matches a method's value");
    assert_eq!(found[0]["name"], "Peter G.");
    assert_eq!(list(&admin, json!({ "keyword": "peter g" })).await.len(), 1);
    assert_eq!(list(&admin, json!({ "company": initech })).await.len(), 0);
    assert_eq!(list(&admin, json!({ "company": globo })).await.len(), 1);

    // The account's users are listed as contacts, with their primary email.
    let me = contact_of_user(&admin, ADMIN_EMAIL).await;
    assert_eq!(me["isUser"], true);
    assert_eq!(me["methods"][0]["value"], ADMIN_EMAIL);
    assert_eq!(me["methods"][0]["isPrimary"], true);

    let res = admin.gql(DELETE, json!({ "id": id })).await;
    assert_eq!(data(&res)["deleteContact"]["deletedContactId"], id);
    let res = admin
        .gql(
            "query($id: ID!) { contact(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&res), "NOT_FOUND");
}

#[tokio::test]
async fn only_a_user_changes_their_own_name_and_primary_email() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let member = server.staff("MEMBER", "milton@acme.test").await;
    let milton = contact_of_user(&admin, "milton@acme.test").await;
    let milton_id = milton["id"].as_str().unwrap().to_owned();
    let primary = milton["methods"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(milton["methods"][0]["isPrimary"], true);

    // Not even a super admin renames a user or changes their primary email.
    let res = admin
        .gql(
            UPDATE,
            json!({ "input": { "id": milton_id, "name": "Bob" } }),
        )
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN", "{res}");
    let res = admin
        .gql(
            UPDATE_METHOD,
            json!({ "input": { "id": primary, "value": "bob@acme.test" } }),
        )
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN");
    // ...but may edit their other contact methods.
    let res = admin
        .gql(
            ADD_METHOD,
            json!({ "input": { "contactId": milton_id, "kind": "SMS", "value": "+1 415 555 2671" } }),
        )
        .await;
    assert_eq!(data(&res)["addContactMethod"]["userErrors"], json!([]));
    let sms = data(&res)["addContactMethod"]["method"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The user themselves may.
    let res = member
        .gql(
            UPDATE,
            json!({ "input": { "id": milton_id, "name": "Milton Waddams" } }),
        )
        .await;
    assert_eq!(
        data(&res)["updateContact"]["contact"]["name"],
        "Milton Waddams"
    );
    let res = member
        .gql("{ viewer { firstName lastName } }", json!({}))
        .await;
    assert_eq!(
        data(&res)["viewer"],
        json!({ "firstName": "Milton", "lastName": "Waddams" })
    );
    let res = member
        .gql(
            UPDATE_METHOD,
            json!({ "input": { "id": primary, "value": "stapler@acme.test" } }),
        )
        .await;
    assert_eq!(
        data(&res)["updateContactMethod"]["method"]["value"],
        "stapler@acme.test"
    );
    // It is their sign-in email: they sign in with the new one, not the old.
    let res = member.gql("{ viewer { email } }", json!({})).await;
    assert_eq!(data(&res)["viewer"]["email"], "stapler@acme.test", "{res}");
    server.login("stapler@acme.test", ADMIN_PASSWORD).await;
    let res = server
        .anonymous()
        .gql(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({ "e": "milton@acme.test", "p": ADMIN_PASSWORD }),
        )
        .await;
    assert!(
        res["data"]["login"]["token"].is_null(),
        "the old email no longer signs in: {res}"
    );
    // Another user's sign-in email is refused, and nothing changes.
    let res = member
        .gql(
            UPDATE_METHOD,
            json!({ "input": { "id": primary, "value": ADMIN_EMAIL } }),
        )
        .await;
    assert_eq!(
        data(&res)["updateContactMethod"]["userErrors"][0]["code"],
        "TAKEN",
        "{res}"
    );
    let res = member.gql("{ viewer { email } }", json!({})).await;
    assert_eq!(data(&res)["viewer"]["email"], "stapler@acme.test", "{res}");
    let res = member
        .gql(
            UPDATE_METHOD,
            json!({ "input": { "id": primary, "kind": "PHONE", "value": "+1 415 555 2671" } }),
        )
        .await;
    assert_eq!(
        data(&res)["updateContactMethod"]["userErrors"][0]["code"],
        "NOT_ALLOWED"
    );
    let res = member.gql(DELETE_METHOD, json!({ "id": primary })).await;
    assert_eq!(
        data(&res)["deleteContactMethod"]["userErrors"][0]["code"],
        "NOT_ALLOWED",
        "a primary email cannot be deleted"
    );
    let res = member.gql(DELETE_METHOD, json!({ "id": sms })).await;
    assert_eq!(
        data(&res)["deleteContactMethod"]["deletedContactMethodId"],
        sms
    );

    // Members do not manage other contacts.
    let res = member
        .gql(CREATE, json!({ "input": { "name": "Samir" } }))
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN");
    let admin_contact = contact_of_user(&admin, ADMIN_EMAIL).await;
    let res = member
        .gql(
            ADD_METHOD,
            json!({ "input": { "contactId": admin_contact["id"], "kind": "SMS", "value": "+1 415 555 2671" } }),
        )
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN");
    let res = member
        .gql(
            UPDATE,
            json!({ "input": { "id": milton_id, "companyIds": [] } }),
        )
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN", "companies are for managers");
    // ...but see them.
    assert_eq!(list(&member, json!({})).await.len(), 2);

    // A user's contact goes only with the user.
    let res = admin.gql(DELETE, json!({ "id": milton_id })).await;
    assert_eq!(
        data(&res)["deleteContact"]["userErrors"][0]["code"],
        "NOT_ALLOWED"
    );
}

#[tokio::test]
async fn contact_pages_are_batched() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let initech = company(&admin, "Initech").await;
    let mut doc = String::from("mutation($c: ID!) {");
    for i in 0..30 {
        doc.push_str(&format!(
            " c{i}: createContact(input: {{ name: \"Contact {i:02}\", companyIds: [$c], methods: [{{ kind: EMAIL, value: \"c{i}@initech.test\" }}, {{ kind: SMS, value: \"+1415555{:04}\" }}] }}) {{ userErrors {{ code }} }}",
            2600 + i
        ));
    }
    doc.push('}');
    let res = admin.gql(&doc, json!({ "c": initech })).await;
    assert_eq!(data(&res)["c29"]["userErrors"], json!([]), "{res}");
    let page = "query($n: Int!) { contacts(first: $n) { totalCount nodes {
        id name user { email } methods { kind value } companies { name }
    } } }";
    let mut figures = Vec::new();
    for n in [5, 31] {
        let (res, statements) = server.counted(&admin, page, json!({ "n": n })).await;
        let nodes = data(&res)["contacts"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), n as usize);
        assert!(nodes
            .iter()
            .any(|c| c["methods"].as_array().unwrap().len() == 2));
        figures.push(statements);
    }
    assert_eq!(
        figures[0], figures[1],
        "statements grew with the page size: {figures:?}"
    );
}

#[tokio::test]
async fn contacts_are_isolated_between_accounts() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let other = server.other_account().await;
    let initech = company(&admin, "Initech").await;
    let created = create(
        &admin,
        json!({ "name": "Lumbergh", "companyIds": [initech], "methods": [{ "kind": "EMAIL", "value": "bill@initech.test" }] }),
    )
    .await;
    let id = created["contact"]["id"].as_str().unwrap().to_owned();
    let method = created["contact"]["methods"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let names: Vec<Value> = list(&other, json!({}))
        .await
        .into_iter()
        .map(|c| c["name"].clone())
        .collect();
    assert!(
        !names.contains(&json!("Lumbergh")) && names.len() == 1,
        "{names:?}"
    );
    for (doc, vars) in [
        (
            "query($id: ID!) { contact(id: $id) { id } }",
            json!({ "id": id }),
        ),
        (
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        ),
        (
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": method }),
        ),
        (UPDATE, json!({ "input": { "id": id, "companyIds": [] } })),
        (DELETE, json!({ "id": id })),
        (
            ADD_METHOD,
            json!({ "input": { "contactId": id, "kind": "SMS", "value": "+1 415 555 2671" } }),
        ),
        (
            UPDATE_METHOD,
            json!({ "input": { "id": method, "value": "x@globex.test" } }),
        ),
        (DELETE_METHOD, json!({ "id": method })),
    ] {
        let res = other.gql(doc, vars).await;
        assert_eq!(error_code(&res), "NOT_FOUND", "{doc}: {res}");
    }
    // Another account's company cannot be given to a contact.
    let res = other
        .gql(
            CREATE,
            json!({ "input": { "name": "Spy", "companyIds": [initech] } }),
        )
        .await;
    assert_eq!(
        data(&res)["createContact"]["userErrors"][0]["code"],
        "NOT_FOUND"
    );
    // Nothing changed.
    let res = admin
        .gql(
            "query($id: ID!) { contact(id: $id) { name companies { name } methods { value } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data(&res)["contact"],
        json!({ "name": "Lumbergh", "companies": [{ "name": "Initech" }], "methods": [{ "value": "bill@initech.test" }] })
    );
}

#[tokio::test]
async fn a_contact_has_at_most_50_methods() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let methods: Vec<Value> = (0..51)
        .map(|i| json!({ "kind": "EMAIL", "value": format!("m{i}@initech.test") }))
        .collect();
    let refused = create(&admin, json!({ "name": "Many", "methods": methods })).await;
    assert_eq!(
        refused["userErrors"][0]["code"], "LIMIT_EXCEEDED",
        "{refused}"
    );
    let created = create(&admin, json!({ "name": "Many", "methods": methods[..50] })).await;
    let id = created["contact"]["id"].as_str().unwrap().to_owned();
    let res = admin
        .gql(
            ADD_METHOD,
            json!({ "input": { "contactId": id, "kind": "SMS", "value": "+1 415 555 2671" } }),
        )
        .await;
    assert_eq!(
        data(&res)["addContactMethod"]["userErrors"][0]["code"],
        "LIMIT_EXCEEDED"
    );
}
