//! Staff users (issue 5, seeds 002 and 003): adding users from a pasted
//! list, limits, roles, manager permissions allowed and refused, seats all
//! or nothing (also under parallel load), settings templates, extensions,
//! the activity history and tenant isolation.

use serde_json::{json, Value};

use crate::harness::*;

const PARSE: &str = "query($t: String!) { parseUserList(text: $t) {
  rows { entry firstName lastName email valid }
  unparsed problems { entry kind field message }
} }";
const ADD: &str = "mutation($input: AddUsersInput!) { addUsers(input: $input) {
  addedCount users { id email extension language status role } userErrors { field code message }
} }";
const ASSIGN: &str =
    "mutation($u: [ID!]!, $p: [ID!]!) { assignProducts(input: { userIds: $u, productIds: $p }) {
  changedCount products { seatsUsed seatsAvailable } userErrors { field code message }
} }";

async fn id_at(client: &Client, doc: &str, vars: Value, path: &[&str]) -> String {
    let res = client.gql(doc, vars).await;
    let mut at = data(&res);
    for key in path {
        at = &at[*key];
    }
    at.as_str().unwrap_or_else(|| panic!("{res}")).to_owned()
}

async fn product(client: &Client, name: &str, seats: i32) -> String {
    id_at(
        client,
        "mutation($n: String!, $s: Int!) { createProduct(input: { name: $n, seats: $s, features: [{ name: \"Recording\" }, { name: \"Dial-in\", enabledByDefault: false }] }) { product { id } userErrors { message } } }",
        json!({ "n": name, "s": seats }),
        &["createProduct", "product", "id"],
    )
    .await
}

async fn group(client: &Client, name: &str) -> String {
    id_at(
        client,
        "mutation($n: String!) { createGroup(input: { name: $n }) { group { id } userErrors { message } } }",
        json!({ "n": name }),
        &["createGroup", "group", "id"],
    )
    .await
}

fn person(first: &str, email: &str) -> Value {
    json!({ "firstName": first, "lastName": "Test", "email": email })
}

async fn add(client: &Client, input: Value) -> Value {
    let res = client.gql(ADD, json!({ "input": input })).await;
    data(&res)["addUsers"].clone()
}

async fn add_one(client: &Client, email: &str, groups: &[&str]) -> String {
    let payload = add(
        client,
        json!({ "users": [person("U", email)], "groupIds": groups }),
    )
    .await;
    payload["users"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{payload}"))
        .to_owned()
}

/// Waits until no invitation mail is waiting to be handed over.
pub async fn wait_until_mail_sent(client: &Client) {
    for _ in 0..300 {
        let res = client
            .gql(
                "{ invitations(filter: { statuses: [PENDING] }) { totalCount } }",
                json!({}),
            )
            .await;
        if data(&res)["invitations"]["totalCount"] == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("invitation mail still pending after 30 s");
}

async fn user_count(client: &Client) -> i64 {
    let res = client.gql("{ users { totalCount } }", json!({})).await;
    data(&res)["users"]["totalCount"].as_i64().unwrap()
}

#[tokio::test]
async fn a_pasted_list_becomes_users_with_products_groups_and_template() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let meeting = product(&admin, "Meeting", 3).await;
    let sales = group(&admin, "Sales").await;

    // The three kinds of problems of seed 002.
    let text = "Juliette Aalund ja@acme.test; Rory Abalos rory@acme.test;\
                Ann Lee ann@acme.test, Bo Chan bo@acme.test;\
                Cy Diaz cy@acmetest;\
                DanaEvans dana@acme.test";
    let res = admin.gql(PARSE, json!({ "t": text })).await;
    let parsed = &data(&res)["parseUserList"];
    let kinds: Vec<(i64, &str, Value)> = parsed["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["entry"].as_i64().unwrap(),
                p["kind"].as_str().unwrap(),
                p["field"].clone(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (2, "UNSPLITTABLE", Value::Null),
            (3, "INVALID_VALUE", json!("email")),
            (4, "PARTIAL", json!("lastName")),
        ],
        "{parsed}"
    );
    assert_eq!(
        parsed["unparsed"],
        "Ann Lee ann@acme.test, Bo Chan bo@acme.test"
    );
    assert_eq!(parsed["rows"][3]["lastName"], Value::Null, "placeholder");
    let valid: Vec<Value> = parsed["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["valid"] == true)
        .map(|r| json!({ "firstName": r["firstName"], "lastName": r["lastName"], "email": r["email"] }))
        .collect();
    assert_eq!(valid.len(), 2);

    let template = id_at(
        &admin,
        "mutation($p: ID!) { createSettingsTemplate(input: { name: \"Sales defaults\", settings: [{ productId: $p, key: \"recording\", value: \"cloud\" }] }) { template { id } userErrors { message } } }",
        json!({ "p": meeting }),
        &["createSettingsTemplate", "template", "id"],
    )
    .await;
    let added = add(
        &admin,
        json!({ "users": valid, "productIds": [meeting], "groupIds": [sales], "settingsTemplateId": template, "language": "fr" }),
    )
    .await;
    assert_eq!(added["userErrors"], json!([]), "{added}");
    assert_eq!(added["addedCount"], 2);
    let users = added["users"].as_array().unwrap();
    assert_eq!(users[0]["status"], "INVITED");
    assert_eq!(users[0]["language"], "fr");
    assert_eq!(users[0]["extension"], 1001, "the bootstrap admin has 1000");
    assert_eq!(users[1]["extension"], 1002);

    let res = admin
        .gql(
            "query($g: ID!) { users(filter: { groupId: $g }) { totalCount nodes {
                email groups { nodes { name } } settingsTemplate { name }
                products { product { name seatsUsed } features { feature { name } enabled } settings { key value } }
            } } }",
            json!({ "g": sales }),
        )
        .await;
    let page = &data(&res)["users"];
    assert_eq!(page["totalCount"], 2);
    let first = &page["nodes"][0];
    assert_eq!(first["groups"]["nodes"], json!([{ "name": "Sales" }]));
    assert_eq!(first["settingsTemplate"]["name"], "Sales defaults");
    assert_eq!(
        first["products"][0]["product"],
        json!({ "name": "Meeting", "seatsUsed": 2 })
    );
    assert_eq!(
        first["products"][0]["features"],
        json!([{ "feature": { "name": "Dial-in" }, "enabled": false }, { "feature": { "name": "Recording" }, "enabled": true }])
    );
    assert_eq!(
        first["products"][0]["settings"],
        json!([{ "key": "recording", "value": "cloud" }])
    );

    // Filters.
    for (filter, expected) in [
        (json!({ "keyword": "rory" }), 1),
        (json!({ "productId": meeting }), 2),
        (json!({ "roles": ["SUPER_ADMIN"] }), 1),
        (json!({ "statuses": ["INVITED"] }), 2),
    ] {
        let res = admin
            .gql(
                "query($f: UserFilter) { users(filter: $f) { totalCount } }",
                json!({ "f": filter }),
            )
            .await;
        assert_eq!(data(&res)["users"]["totalCount"], expected, "{filter}");
    }
}

#[tokio::test]
async fn seats_are_all_or_nothing_and_failures_are_in_the_history() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let meeting = product(&admin, "Meeting", 2).await;
    let before = user_count(&admin).await;
    let added = add(
        &admin,
        json!({ "users": [person("A", "a@acme.test"), person("B", "b@acme.test"), person("C", "c@acme.test")], "productIds": [meeting] }),
    )
    .await;
    assert_eq!(added["addedCount"], 0);
    assert_eq!(added["userErrors"][0]["code"], "LIMIT_EXCEEDED", "{added}");
    assert!(added["userErrors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("2 free, 3 needed"));
    assert_eq!(user_count(&admin).await, before, "nobody was added");

    let a = add_one(&admin, "a@acme.test", &[]).await;
    let b = add_one(&admin, "b@acme.test", &[]).await;
    let c = add_one(&admin, "c@acme.test", &[]).await;
    let res = admin
        .gql(ASSIGN, json!({ "u": [a, b, c], "p": [meeting] }))
        .await;
    assert_eq!(
        data(&res)["assignProducts"]["userErrors"][0]["code"],
        "LIMIT_EXCEEDED"
    );
    let res = admin
        .gql(ASSIGN, json!({ "u": [a, b], "p": [meeting] }))
        .await;
    let payload = &data(&res)["assignProducts"];
    assert_eq!(payload["changedCount"], 2);
    assert_eq!(
        payload["products"][0],
        json!({ "seatsUsed": 2, "seatsAvailable": 0 })
    );
    let res = admin.gql(ASSIGN, json!({ "u": [a], "p": [meeting] })).await;
    assert_eq!(
        data(&res)["assignProducts"]["changedCount"],
        0,
        "holding a seat already is fine"
    );
    let res = admin
        .gql(
            "mutation($u: [ID!]!, $p: [ID!]!) { unassignProducts(input: { userIds: $u, productIds: $p }) { changedCount products { seatsUsed } } }",
            json!({ "u": [b], "p": [meeting] }),
        )
        .await;
    assert_eq!(
        data(&res)["unassignProducts"]["products"][0]["seatsUsed"],
        1
    );

    let res = admin
        .gql(
            "{ activity(first: 50, filter: { actions: [\"user.add\", \"products.assign\"] }) { nodes { action outcome targetName detail actorName } } }",
            json!({}),
        )
        .await;
    let failures: Vec<&Value> = data(&res)["activity"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["outcome"] == "FAILURE")
        .collect();
    assert_eq!(failures.len(), 2, "{res}");
    assert!(failures.iter().all(|f| f["targetName"] == "Meeting"));
    assert!(failures.iter().any(|f| f["action"] == "user.add"));
}

#[tokio::test]
async fn parallel_assignments_never_exceed_the_seats() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let meeting = product(&admin, "Meeting", 5).await;
    let users: Vec<Value> = (0..20)
        .map(|i| person("P", &format!("p{i}@acme.test")))
        .collect();
    let added = add(&admin, json!({ "users": users })).await;
    let ids: Vec<String> = added["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let admin = admin.clone();
            let vars = json!({ "u": [id], "p": [meeting] });
            tokio::spawn(async move { admin.gql(ASSIGN, vars).await })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        let res = task.await.unwrap();
        let payload = &data(&res)["assignProducts"];
        if payload["userErrors"] == json!([]) {
            ok += 1;
        } else {
            assert_eq!(payload["userErrors"][0]["code"], "LIMIT_EXCEEDED", "{res}");
        }
    }
    assert_eq!(ok, 5, "exactly the seats were given");
    let res = admin
        .gql("query($p: ID!) { product(id: $p) { seatsUsed } users(filter: { productId: $p }) { totalCount } }", json!({ "p": meeting }))
        .await;
    assert_eq!(data(&res)["product"]["seatsUsed"], 5);
    assert_eq!(data(&res)["users"]["totalCount"], 5);
}

#[tokio::test]
async fn limits_and_fixed_emails() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let long = "x".repeat(33);
    let long_email = format!("{}@acme.test", "e".repeat(120));
    let payload = add(
        &admin,
        json!({ "users": [
            { "firstName": long, "lastName": "L", "email": "ok1@acme.test" },
            { "firstName": "F", "lastName": long, "email": "ok2@acme.test" },
            { "firstName": "F", "lastName": "L", "email": long_email },
            { "firstName": "F", "lastName": "L", "email": "dup@acme.test" },
            { "firstName": "F", "lastName": "L", "email": "DUP@acme.test" },
            { "firstName": "F", "lastName": "L", "email": ADMIN_EMAIL },
        ] }),
    )
    .await;
    let errors: Vec<(String, String)> = payload["userErrors"]
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
        ("users.0.firstName", "TOO_LONG"),
        ("users.1.lastName", "TOO_LONG"),
        ("users.2.email", "TOO_LONG"),
        ("users.4.email", "TAKEN"),
    ] {
        assert!(
            errors.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {errors:?}"
        );
    }
    assert_eq!(payload["addedCount"], 0);
    let payload = add(&admin, json!({ "users": [person("F", ADMIN_EMAIL)] })).await;
    assert_eq!(payload["userErrors"][0]["code"], "TAKEN");
    let payload = add(
        &admin,
        json!({ "users": [person("F", "f@acme.test")], "language": "xx" }),
    )
    .await;
    assert_eq!(payload["userErrors"][0]["field"], json!(["language"]));

    // The email cannot change: updateUser has no such field.
    let id = add_one(&admin, "fixed@acme.test", &[]).await;
    let res = admin
        .gql("mutation($id: ID!) { updateUser(input: { id: $id, email: \"new@acme.test\" }) { user { email } } }", json!({ "id": id }))
        .await;
    assert!(
        res["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("email"),
        "{res}"
    );

    // Extensions: changeable, never shared.
    let other = add_one(&admin, "other@acme.test", &[]).await;
    let update_ext = "mutation($id: ID!, $e: Int!) { updateUser(input: { id: $id, extension: $e }) { user { extension } userErrors { code } } }";
    let res = admin.gql(update_ext, json!({ "id": id, "e": 4242 })).await;
    assert_eq!(data(&res)["updateUser"]["user"]["extension"], 4242);
    let res = admin
        .gql(update_ext, json!({ "id": other, "e": 4242 }))
        .await;
    assert_eq!(data(&res)["updateUser"]["userErrors"][0]["code"], "TAKEN");
    let res = admin.gql(update_ext, json!({ "id": other, "e": 5 })).await;
    assert_eq!(data(&res)["updateUser"]["userErrors"][0]["code"], "INVALID");
    let next = add_one(&admin, "next@acme.test", &[]).await;
    let res = admin
        .gql(
            "query($id: ID!) { user(id: $id) { extension } }",
            json!({ "id": next }),
        )
        .await;
    assert_eq!(
        data(&res)["user"]["extension"],
        1001,
        "the freed 1001 is reused first"
    );
}

#[tokio::test]
async fn the_users_limit_is_25000_per_account() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let users: Vec<Value> = (0..25_000)
        .map(|i| person("L", &format!("l{i}@acme.test")))
        .collect();
    let payload = add(&admin, json!({ "users": users })).await;
    assert_eq!(
        payload["userErrors"][0]["code"], "LIMIT_EXCEEDED",
        "{}",
        payload["userErrors"]
    );
    assert_eq!(user_count(&admin).await, 1);
}

#[tokio::test]
async fn roles_follow_seed_003_and_the_last_super_admin_stays() {
    let server = TestServer::start().await;
    let boss = server.super_admin().await;
    let admin = server.staff("ADMIN", "second@acme.test").await;
    let member = server.staff("MEMBER", "member@acme.test").await;

    let res = admin
        .gql(
            ADD,
            json!({ "input": { "users": [person("A", "a@acme.test")], "role": "ADMIN" } }),
        )
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN");
    let payload = add(&admin, json!({ "users": [person("M", "m@acme.test")] })).await;
    assert_eq!(payload["addedCount"], 1);
    let payload = add(
        &boss,
        json!({ "users": [person("A", "a@acme.test")], "role": "ADMIN" }),
    )
    .await;
    assert_eq!(payload["users"][0]["role"], "ADMIN");

    let me = id_at(&boss, "{ viewer { id } }", json!({}), &["viewer", "id"]).await;
    let set_role = "mutation($id: ID!, $r: UserRole!, $c: ID) { setUserRole(input: { id: $id, role: $r, customRoleId: $c }) { user { role customRole { name } } userErrors { field code } } }";
    let res = admin
        .gql(set_role, json!({ "id": me, "r": "MEMBER" }))
        .await;
    assert_eq!(
        error_code(&res),
        "FORBIDDEN",
        "admins do not demote super admins"
    );
    let res = boss.gql(set_role, json!({ "id": me, "r": "ADMIN" })).await;
    assert_eq!(error_code(&res), "BAD_USER_INPUT", "the last super admin");
    let res = boss
        .gql(
            "mutation($id: ID!) { deleteUser(input: { id: $id }) { deletedUserId } }",
            json!({ "id": me }),
        )
        .await;
    assert_eq!(error_code(&res), "BAD_USER_INPUT");
    let res = boss
        .gql("mutation($id: ID!) { setUserStatus(input: { id: $id, status: SUSPENDED }) { user { status } } }", json!({ "id": me }))
        .await;
    assert_eq!(error_code(&res), "BAD_USER_INPUT");

    // Custom roles add permissions to members.
    let res = server
        .http
        .get(server.url("/exports/customers.csv"))
        .bearer_auth(member.token.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let role = id_at(
        &boss,
        "mutation { createCustomRole(input: { name: \"Exporter\", permissions: [EXPORT_CUSTOMERS] }) { role { id } } }",
        json!({}),
        &["createCustomRole", "role", "id"],
    )
    .await;
    let res = boss
        .gql("mutation { createCustomRole(input: { name: \"Sneaky\", permissions: [MANAGE_ROLES] }) { userErrors { code } } }", json!({}))
        .await;
    assert_eq!(
        data(&res)["createCustomRole"]["userErrors"][0]["code"],
        "NOT_ALLOWED"
    );
    let member_id = id_at(&member, "{ viewer { id } }", json!({}), &["viewer", "id"]).await;
    let res = member
        .gql(
            set_role,
            json!({ "id": member_id, "r": "MEMBER", "c": role }),
        )
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN", "members do not give roles");
    let res = admin
        .gql(
            set_role,
            json!({ "id": member_id, "r": "MEMBER", "c": role }),
        )
        .await;
    assert_eq!(
        data(&res)["setUserRole"]["user"]["customRole"]["name"],
        "Exporter"
    );
    let res = server
        .http
        .get(server.url("/exports/customers.csv"))
        .bearer_auth(member.token.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        200,
        "the custom role's permission counts at once"
    );
}

#[tokio::test]
async fn every_manager_permission_allows_and_refuses() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let manager = server.staff("MEMBER", "manager@acme.test").await;
    let manager_id = id_at(&manager, "{ viewer { id } }", json!({}), &["viewer", "id"]).await;
    let east = group(&admin, "East").await;
    let west = group(&admin, "West").await;
    let meeting = product(&admin, "Meeting", 10).await;
    let connect = product(&admin, "Connect", 10).await;
    let template = id_at(
        &admin,
        "mutation { createSettingsTemplate(input: { name: \"T\" }) { template { id } } }",
        json!({}),
        &["createSettingsTemplate", "template", "id"],
    )
    .await;
    let in_east = add_one(&admin, "e1@acme.test", &[&east]).await;
    let in_west = add_one(&admin, "w1@acme.test", &[&west]).await;
    let grant = |permission: &str, groups: Value, products: Value| json!({ "input": { "userId": manager_id, "permission": permission, "groupIds": groups, "productIds": products } });
    let grant_doc = "mutation($input: GrantManagerPermissionInput!) { grantManagerPermission(input: $input) { grant { permission groups { name } } userErrors { code } } }";

    // Without grants: refused.
    let apply = "mutation($t: ID!, $u: [ID!]!) { applySettingsTemplate(input: { templateId: $t, userIds: $u }) { users { id } } }";
    let delete = "mutation($id: ID!) { deleteUser(input: { id: $id }) { deletedUserId } }";
    let rename = "mutation($id: ID!, $n: String!) { updateGroup(input: { id: $id, name: $n }) { group { name } } }";
    for (doc, vars) in [
        (
            ADD,
            json!({ "input": { "users": [person("X", "x@acme.test")], "groupIds": [east] } }),
        ),
        (delete, json!({ "id": in_east })),
        (ASSIGN, json!({ "u": [in_east], "p": [meeting] })),
        (apply, json!({ "t": template, "u": [in_east] })),
        (rename, json!({ "id": east, "n": "East 2" })),
        (
            "mutation { createGroup(input: { name: \"N\" }) { group { id } } }",
            json!({}),
        ),
        ("{ activity { totalCount } }", json!({})),
    ] {
        let res = manager.gql(doc, vars).await;
        assert_eq!(error_code(&res), "FORBIDDEN", "{doc}: {res}");
    }
    // Only admins grant.
    let res = manager
        .gql(grant_doc, grant("CREATE_REPORTS", Value::Null, Value::Null))
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN");

    // Add and delete users, for the East group.
    let res = admin
        .gql(
            grant_doc,
            grant("ADD_DELETE_USERS", json!([east]), Value::Null),
        )
        .await;
    assert_eq!(
        data(&res)["grantManagerPermission"]["grant"]["groups"],
        json!([{ "name": "East" }])
    );
    let payload = add(
        &manager,
        json!({ "users": [person("X", "x@acme.test")], "groupIds": [east] }),
    )
    .await;
    assert_eq!(payload["addedCount"], 1, "{payload}");
    for vars in [
        json!({ "input": { "users": [person("Y", "y@acme.test")], "groupIds": [west] } }),
        json!({ "input": { "users": [person("Y", "y@acme.test")] } }),
        json!({ "input": { "users": [person("Y", "y@acme.test")], "groupIds": [east], "role": "ADMIN" } }),
    ] {
        let res = manager.gql(ADD, vars).await;
        assert_eq!(error_code(&res), "FORBIDDEN", "{res}");
    }
    let res = manager.gql(delete, json!({ "id": in_west })).await;
    assert_eq!(error_code(&res), "FORBIDDEN");
    // Moving a user to another group does not carry the permission over.
    let victim = add_one(&admin, "moved@acme.test", &[&east]).await;
    let move_doc = "mutation($g: ID!, $u: [ID!]!) { removeGroupMembers(input: { groupId: $g, userIds: $u }) { group { id } } }";
    admin
        .gql(move_doc, json!({ "g": east, "u": [victim] }))
        .await;
    admin
        .gql("mutation($g: ID!, $u: [ID!]!) { addGroupMembers(input: { groupId: $g, userIds: $u }) { group { id } } }", json!({ "g": west, "u": [victim] }))
        .await;
    let res = manager.gql(delete, json!({ "id": victim })).await;
    assert_eq!(error_code(&res), "FORBIDDEN");
    let res = manager.gql(delete, json!({ "id": in_east })).await;
    assert_eq!(data(&res)["deleteUser"]["deletedUserId"], in_east);

    // Manage seats, for East and the Meeting product.
    admin
        .gql(
            grant_doc,
            grant("MANAGE_SEATS", json!([east]), json!([meeting])),
        )
        .await;
    let east_user = add_one(&admin, "e2@acme.test", &[&east]).await;
    let res = manager
        .gql(ASSIGN, json!({ "u": [east_user], "p": [meeting] }))
        .await;
    assert_eq!(data(&res)["assignProducts"]["changedCount"], 1);
    let res = manager
        .gql(ASSIGN, json!({ "u": [east_user], "p": [connect] }))
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN", "another product");
    let res = manager
        .gql(ASSIGN, json!({ "u": [in_west], "p": [meeting] }))
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN", "another group");

    // Manage organizer settings, everywhere.
    admin
        .gql(
            grant_doc,
            grant("MANAGE_ORGANIZER_SETTINGS", Value::Null, Value::Null),
        )
        .await;
    let res = manager
        .gql(apply, json!({ "t": template, "u": [in_west] }))
        .await;
    assert_eq!(
        data(&res)["applySettingsTemplate"]["users"][0]["id"],
        in_west
    );

    // Add and delete groups, for East only.
    admin
        .gql(
            grant_doc,
            grant("ADD_DELETE_GROUPS", json!([east]), Value::Null),
        )
        .await;
    let res = manager
        .gql(rename, json!({ "id": east, "n": "East 2" }))
        .await;
    assert_eq!(data(&res)["updateGroup"]["group"]["name"], "East 2");
    let res = manager
        .gql(rename, json!({ "id": west, "n": "West 2" }))
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN");
    let res = manager
        .gql(
            "mutation { createGroup(input: { name: \"N\" }) { group { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        error_code(&res),
        "FORBIDDEN",
        "a limited grant creates no groups"
    );

    // Create reports.
    admin
        .gql(grant_doc, grant("CREATE_REPORTS", Value::Null, Value::Null))
        .await;
    let res = manager.gql("{ activity { totalCount } }", json!({})).await;
    assert!(data(&res)["activity"]["totalCount"].as_i64().unwrap() > 5);
    let res = admin
        .gql(
            "mutation($u: ID!) { revokeManagerPermission(input: { userId: $u, permission: CREATE_REPORTS }) { userErrors { code } } }",
            json!({ "u": manager_id }),
        )
        .await;
    assert_eq!(
        data(&res)["revokeManagerPermission"]["userErrors"],
        json!([])
    );
    let res = manager.gql("{ activity { totalCount } }", json!({})).await;
    assert_eq!(error_code(&res), "FORBIDDEN");
    let res = admin
        .gql(
            "query($id: ID!) { user(id: $id) { managerPermissions { permission } } }",
            json!({ "id": manager_id }),
        )
        .await;
    assert_eq!(
        data(&res)["user"]["managerPermissions"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

#[tokio::test]
async fn templates_apply_before_products_are_assigned() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let meeting = product(&admin, "Meeting", 5).await;
    let create = "mutation($n: String!, $p: ID!, $v: String!, $d: Boolean!) { createSettingsTemplate(input: { name: $n, isDefault: $d, settings: [{ productId: $p, key: \"audio\", value: $v }] }) { template { id isDefault } } }";
    let default = id_at(
        &admin,
        create,
        json!({ "n": "Default", "p": meeting, "v": "voip", "d": true }),
        &["createSettingsTemplate", "template", "id"],
    )
    .await;
    let special = id_at(
        &admin,
        create,
        json!({ "n": "Special", "p": meeting, "v": "phone", "d": false }),
        &["createSettingsTemplate", "template", "id"],
    )
    .await;
    let u = add_one(&admin, "u@acme.test", &[]).await;
    let query = "query($id: ID!) { user(id: $id) { settingsTemplate { id } products { settings { key value } } } }";
    let res = admin.gql(query, json!({ "id": u })).await;
    assert_eq!(
        data(&res)["user"]["settingsTemplate"]["id"],
        default,
        "the default template"
    );
    admin
        .gql("mutation($t: ID!, $u: [ID!]!) { applySettingsTemplate(input: { templateId: $t, userIds: $u }) { users { id } } }", json!({ "t": special, "u": [u] }))
        .await;
    let res = admin.gql(query, json!({ "id": u })).await;
    assert_eq!(data(&res)["user"]["settingsTemplate"]["id"], special);
    assert_eq!(data(&res)["user"]["products"], json!([]), "no product yet");
    admin.gql(ASSIGN, json!({ "u": [u], "p": [meeting] })).await;
    let res = admin.gql(query, json!({ "id": u })).await;
    assert_eq!(
        data(&res)["user"]["products"][0]["settings"],
        json!([{ "key": "audio", "value": "phone" }]),
        "in force once the product is assigned"
    );
    // Features switch per user.
    let res = admin
        .gql(
            "query($p: ID!) { product(id: $p) { features { id name } } }",
            json!({ "p": meeting }),
        )
        .await;
    let recording = data(&res)["product"]["features"][1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = admin
        .gql("mutation($u: ID!, $f: ID!) { setUserFeature(input: { userId: $u, featureId: $f, enabled: false }) { user { products { features { feature { name } enabled } } } } }", json!({ "u": u, "f": recording }))
        .await;
    assert_eq!(
        data(&res)["setUserFeature"]["user"]["products"][0]["features"][1],
        json!({ "feature": { "name": "Recording" }, "enabled": false })
    );
}

#[tokio::test]
async fn the_activity_history_records_and_streams_changes() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let token = admin.token.clone().unwrap();
    let mut socket = open_socket(&server).await;
    send_json(&mut socket, json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })).await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    send_json(
        &mut socket,
        json!({ "id": "feed", "type": "subscribe", "payload": { "query": "subscription { activityAdded { action targetKind targetName outcome actorName } }" } }),
    )
    .await;
    // Give the subscription a moment to be registered.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let started = chrono::Utc::now();
    group(&admin, "Support").await;
    let msg = next_json(&mut socket).await;
    assert_eq!(msg["type"], "next", "{msg}");
    assert_eq!(
        msg["payload"]["data"]["activityAdded"],
        json!({ "action": "group.create", "targetKind": "Group", "targetName": "Support", "outcome": "SUCCESS", "actorName": "Account Owner" })
    );
    // Customers' changes are recorded too.
    let res = admin
        .gql("mutation { createCustomer(input: { firstName: \"Cy\", email: \"cy@example.com\" }) { customer { id } } }", json!({}))
        .await;
    let customer = data(&res)["createCustomer"]["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let msg = next_json(&mut socket).await;
    assert_eq!(
        msg["payload"]["data"]["activityAdded"]["action"],
        "customer.create"
    );

    let me = id_at(&admin, "{ viewer { id } }", json!({}), &["viewer", "id"]).await;
    let query = "query($f: ActivityFilter) { activity(filter: $f) { totalCount nodes { action targetId } } }";
    for (filter, expected) in [
        (json!({ "actions": ["customer.create"] }), 1),
        (json!({ "targetId": customer }), 1),
        (json!({ "actorId": me }), 2),
        (json!({ "from": started.to_rfc3339() }), 2),
        (json!({ "to": started.to_rfc3339() }), 0),
    ] {
        let res = admin.gql(query, json!({ "f": filter })).await;
        assert_eq!(
            data(&res)["activity"]["totalCount"],
            expected,
            "{filter}: {res}"
        );
    }
    let res = admin
        .gql(query, json!({ "f": { "actions": ["customer.create"] } }))
        .await;
    assert_eq!(data(&res)["activity"]["nodes"][0]["targetId"], customer);
}

#[tokio::test]
async fn staff_features_are_isolated_between_accounts() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let other = server.other_account().await;
    let meeting = product(&admin, "Meeting", 5).await;
    let sales = group(&admin, "Sales").await;
    let user = add_one(&admin, "u@acme.test", &[&sales]).await;
    let template = id_at(
        &admin,
        "mutation { createSettingsTemplate(input: { name: \"T\" }) { template { id } } }",
        json!({}),
        &["createSettingsTemplate", "template", "id"],
    )
    .await;
    let role = id_at(
        &admin,
        "mutation { createCustomRole(input: { name: \"R\", permissions: [] }) { role { id } } }",
        json!({}),
        &["createCustomRole", "role", "id"],
    )
    .await;

    for (doc, vars) in [
        ("query($id: ID!) { user(id: $id) { email } }", json!({ "id": user })),
        ("query($id: ID!) { group(id: $id) { name } }", json!({ "id": sales })),
        ("query($id: ID!) { product(id: $id) { name } }", json!({ "id": meeting })),
        ("query($id: ID!) { node(id: $id) { id } }", json!({ "id": template })),
        ("query($id: ID!) { node(id: $id) { id } }", json!({ "id": role })),
        ("mutation($id: ID!) { updateUser(input: { id: $id, firstName: \"X\" }) { user { id } } }", json!({ "id": user })),
        ("mutation($id: ID!) { deleteUser(input: { id: $id }) { deletedUserId } }", json!({ "id": user })),
        ("mutation($id: ID!) { setUserRole(input: { id: $id, role: MEMBER }) { user { id } } }", json!({ "id": user })),
        ("mutation($id: ID!) { updateGroup(input: { id: $id, name: \"X\" }) { group { id } } }", json!({ "id": sales })),
        ("mutation($id: ID!) { deleteGroup(input: { id: $id }) { deletedGroupId } }", json!({ "id": sales })),
        ("mutation($id: ID!) { updateProduct(input: { id: $id, seats: 100 }) { product { id } } }", json!({ "id": meeting })),
        ("mutation($id: ID!) { updateSettingsTemplate(input: { id: $id, name: \"X\" }) { template { id } } }", json!({ "id": template })),
        ("mutation($id: ID!) { deleteCustomRole(input: { id: $id }) { role { id } } }", json!({ "id": role })),
        ("mutation($id: ID!) { grantManagerPermission(input: { userId: $id, permission: CREATE_REPORTS }) { grant { permission } } }", json!({ "id": user })),
    ] {
        let res = other.gql(doc, vars).await;
        assert_eq!(error_code(&res), "NOT_FOUND", "{doc}: {res}");
    }
    for (doc, vars, field) in [
        (ASSIGN, json!({ "u": [user], "p": [meeting] }), "assignProducts"),
        ("mutation($g: ID!, $u: [ID!]!) { addGroupMembers(input: { groupId: $g, userIds: $u }) { userErrors { code } } }", json!({ "g": sales, "u": [user] }), "addGroupMembers"),
    ] {
        let res = other.gql(doc, vars).await;
        let code = res["errors"][0]["extensions"]["code"].as_str().map(str::to_owned).unwrap_or_else(|| data(&res)[field]["userErrors"][0]["code"].as_str().unwrap().to_owned());
        assert_eq!(code, "NOT_FOUND", "{res}");
    }
    let mine = add_one(&other, "g@globex.test", &[]).await;
    let res = other.gql(ADD, json!({ "input": { "users": [person("Z", "z@globex.test")], "productIds": [meeting], "groupIds": [sales] } })).await;
    assert_eq!(data(&res)["addUsers"]["userErrors"][0]["code"], "NOT_FOUND");
    let res = other
        .gql(ASSIGN, json!({ "u": [mine], "p": [meeting] }))
        .await;
    assert_eq!(
        data(&res)["assignProducts"]["userErrors"][0]["code"],
        "NOT_FOUND"
    );
    // Lists show only the account's own.
    let res = other
        .gql("{ users { totalCount } groups { totalCount } products { totalCount } settingsTemplates { totalCount } customRoles { totalCount } activity(filter: { actions: [\"group.create\"] }) { totalCount } }", json!({}))
        .await;
    assert_eq!(
        data(&res),
        &json!({ "users": { "totalCount": 2 }, "groups": { "totalCount": 0 }, "products": { "totalCount": 0 }, "settingsTemplates": { "totalCount": 0 }, "customRoles": { "totalCount": 0 }, "activity": { "totalCount": 0 } })
    );
    // Nothing of Acme's changed.
    let res = admin
        .gql("query($u: ID!, $p: ID!) { user(id: $u) { firstName groups { totalCount } } product(id: $p) { seats seatsUsed } }", json!({ "u": user, "p": meeting }))
        .await;
    assert_eq!(
        data(&res),
        &json!({ "user": { "firstName": "U", "groups": { "totalCount": 1 } }, "product": { "seats": 5, "seatsUsed": 0 } })
    );
}

#[tokio::test]
async fn user_pages_load_nested_fields_in_batches() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let meeting = product(&admin, "Meeting", 100).await;
    let sales = group(&admin, "Sales").await;
    let support = group(&admin, "Support").await;
    let role = id_at(&admin, "mutation { createCustomRole(input: { name: \"Exporter\", permissions: [EXPORT_CUSTOMERS] }) { role { id } } }", json!({}), &["createCustomRole", "role", "id"]).await;
    let users: Vec<Value> = (0..60)
        .map(|i| person("B", &format!("b{i:02}@acme.test")))
        .collect();
    let added = add(&admin, json!({ "users": users, "productIds": [meeting], "groupIds": [sales, support], "customRoleId": role })).await;
    assert_eq!(added["addedCount"], 60, "{added}");
    // Let the mail worker hand over the 60 welcome mails first.
    wait_until_mail_sent(&admin).await;
    let page = "query($n: Int!) { users(first: $n, filter: { statuses: [INVITED] }) { nodes {
        email customRole { name } groups { totalCount nodes { name } }
        products { product { name } features { enabled } settings { key } }
        settingsTemplate { name } managerPermissions { permission }
    } } }";
    let mut figures = Vec::new();
    for n in [5, 50] {
        let (res, statements) = server.counted(&admin, page, json!({ "n": n })).await;
        let nodes = data(&res)["users"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), n as usize);
        assert_eq!(nodes[0]["groups"]["totalCount"], 2);
        assert_eq!(nodes[0]["customRole"]["name"], "Exporter");
        figures.push(statements);
    }
    assert_eq!(
        figures[0], figures[1],
        "statements grew with the page size: {figures:?}"
    );
}

#[tokio::test]
async fn a_pasted_list_has_a_size_limit() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let text = "a".repeat(2_000_001);
    let res = admin.gql(PARSE, json!({ "t": text })).await;
    assert_eq!(
        error_code(&res),
        "LIMIT_EXCEEDED",
        "{}",
        &res.to_string()[..200]
    );
}
