//! Directory sync over SCIM 2.0 (issue 17): tokens, filters in SQL, sort
//! and paging, PATCH as identity providers send it, ETags, Bulk with
//! bulkIds, deprovisioning (seats, delete modes), tenants and roles, and
//! the activity history with the token as the actor. (Conformance as a
//! whole is checked by scim2-tester in `tests/clients/scim`.)

use serde_json::{json, Value};

use crate::harness::{data, error_code, user_id, Client, TestServer, ADMIN_EMAIL};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

struct Scim {
    http: reqwest::Client,
    base: String,
    token: String,
}

struct Answer {
    status: u16,
    content_type: String,
    etag: Option<String>,
    body: Value,
}

impl Scim {
    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(b.to_string());
        }
        let res = req.send().await.expect("SCIM request");
        let status = res.status().as_u16();
        let content_type = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let etag = res
            .headers()
            .get("etag")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = res.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(json!(text))
        };
        Answer {
            status,
            content_type,
            etag,
            body,
        }
    }
    async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None, &[]).await
    }
    async fn post(&self, path: &str, body: Value) -> Answer {
        self.send("POST", path, Some(body), &[]).await
    }
    async fn patch(&self, path: &str, ops: Value) -> Answer {
        self.send(
            "PATCH",
            path,
            Some(json!({"schemas": [PATCH], "Operations": ops})),
            &[],
        )
        .await
    }
    async fn delete(&self, path: &str) -> Answer {
        self.send("DELETE", path, None, &[]).await
    }
    /// A user with a unique userName; returns its SCIM id.
    async fn user(&self, name: &str, extra: Value) -> String {
        let mut body = json!({
            "schemas": [USER, ENTERPRISE],
            "userName": format!("{name}@corp.test"),
            "name": {"givenName": name, "familyName": "Tester"},
            "emails": [{"value": format!("{name}@corp.test"), "type": "work", "primary": true}],
            "active": true,
        });
        if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
            b.extend(e);
        }
        let a = self.post("/Users", body).await;
        assert_eq!(a.status, 201, "{}", a.body);
        a.body["id"].as_str().unwrap().to_owned()
    }
}

async fn token(admin: &Client, name: &str) -> String {
    let res = admin
        .gql(
            "mutation($n: String!) { createScimToken(input: {name: $n}) { token scimToken { id name role } userErrors { message } } }",
            json!({"n": name}),
        )
        .await;
    data(&res)["createScimToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn scim(server: &TestServer, admin: &Client) -> Scim {
    Scim {
        http: reqwest::Client::new(),
        base: server.url("/scim/v2"),
        token: token(admin, "Okta").await,
    }
}

async fn gql_user(admin: &Client, email: &str) -> Value {
    let res = admin
        .gql(
            "query($e: String!) { userByEmail(email: $e) { id status firstName extension groups(first: 50) { nodes { name } } } }",
            json!({"e": email}),
        )
        .await;
    res["data"]["userByEmail"].clone()
}

#[tokio::test]
async fn tokens_reach_scim_only_and_revoked_ones_stop_working() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let member = server.staff("MEMBER", "member@acme.test").await;
    let refused = member
        .gql(
            "mutation { createScimToken(input: {name: \"x\"}) { token } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    let blank = admin
        .gql(
            "mutation { createScimToken(input: {name: \" \"}) { token userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&blank)["createScimToken"]["userErrors"][0]["code"],
        "BLANK"
    );
    assert_eq!(data(&blank)["createScimToken"]["token"], Value::Null);

    let client = scim(&server, &admin).await;
    let ok = client.get("/Users").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(
        ok.content_type.starts_with("application/scim+json"),
        "{}",
        ok.content_type
    );

    // The SCIM token is no GraphQL token, and a session is no SCIM token.
    let as_graphql = server
        .with_token(&client.token)
        .gql("{ viewer { id } }", json!({}))
        .await;
    assert_eq!(error_code(&as_graphql), "UNAUTHENTICATED");
    let session = Scim {
        token: admin.token.clone().unwrap(),
        ..Scim {
            http: client.http.clone(),
            base: client.base.clone(),
            token: String::new(),
        }
    };
    let a = session.get("/Users").await;
    assert_eq!(a.status, 401);
    assert_eq!(
        a.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(a.body["status"], "401");
    let anonymous = reqwest::get(server.url("/scim/v2/Users")).await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);

    let list = admin
        .gql(
            "{ scimTokens(first: 10) { totalCount nodes { id name lastUsedAt revokedAt role } } }",
            json!({}),
        )
        .await;
    let tokens = &data(&list)["scimTokens"];
    assert_eq!(tokens["totalCount"], 1);
    assert_eq!(tokens["nodes"][0]["role"], "SUPER_ADMIN");
    assert!(tokens["nodes"][0]["lastUsedAt"].is_string(), "{tokens}");
    let id = tokens["nodes"][0]["id"].clone();
    let node = admin
        .gql(
            "query($id: ID!) { node(id: $id) { ... on ScimToken { name } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(data(&node)["node"]["name"], "Okta");
    let revoked = admin
        .gql(
            "mutation($id: ID!) { revokeScimToken(input: {id: $id}) { scimToken { revokedAt } } }",
            json!({"id": id}),
        )
        .await;
    assert!(data(&revoked)["revokeScimToken"]["scimToken"]["revokedAt"].is_string());
    assert_eq!(client.get("/Users").await.status, 401);
}

#[tokio::test]
async fn filters_sorting_and_paging_run_in_the_database() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let client = scim(&server, &admin).await;
    for (i, name) in ["alice", "bob", "carol", "dave", "erin", "frank"]
        .iter()
        .enumerate()
    {
        client
            .user(
                name,
                json!({
                    "externalId": format!("ext-{i}"),
                    ENTERPRISE: {"department": if i % 2 == 0 { "Sales" } else { "Support" }, "employeeNumber": format!("E{i}")},
                }),
            )
            .await;
    }
    let erin = client
        .get("/Users?filter=userName%20eq%20%22ERIN%40corp.test%22")
        .await;
    let erin_id = erin.body["Resources"][0]["id"].as_str().unwrap().to_owned();
    let off = client
        .patch(
            &format!("/Users/{erin_id}"),
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.body);

    let names = |a: &Answer| -> Vec<String> {
        a.body["Resources"]
            .as_array()
            .unwrap_or(&vec![])
            .iter()
            .map(|r| r["name"]["givenName"].as_str().unwrap_or("?").to_owned())
            .collect()
    };
    let query = |f: &str| {
        let encoded: String = url_encode(f);
        format!("/Users?filter={encoded}&sortBy=name.givenName")
    };
    for (filter, expected) in [
        (r#"userName eq "ALICE@corp.test""#, vec!["alice"]),
        (r#"userName sw "c""#, vec!["carol"]),
        (
            r#"name.givenName co "a" and not (name.givenName eq "Account")"#,
            vec!["alice", "carol", "dave", "frank"],
        ),
        (
            r#"name.givenName ew "k" or externalId eq "ext-1""#,
            vec!["bob", "frank"],
        ),
        (
            r#"emails[type eq "work" and value co "rol@"]"#,
            vec!["carol"],
        ),
        (
            r#"emails.value ew "@corp.test" and active eq false"#,
            vec!["erin"],
        ),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "support""#,
            vec!["bob", "dave", "frank"],
        ),
        (
            r#"externalId pr and name.givenName gt "d" and name.givenName le "erin""#,
            vec!["dave", "erin"],
        ),
        (
            r#"meta.created gt "2000-01-01T00:00:00Z" and userName ne "admin@acme.test""#,
            vec!["alice", "bob", "carol", "dave", "erin", "frank"],
        ),
        (r#"externalId eq "EXT-1""#, vec![]),
    ] {
        let a = client.get(&query(filter)).await;
        assert_eq!(a.status, 200, "{filter}: {}", a.body);
        assert_eq!(names(&a), expected, "{filter}");
        assert_eq!(a.body["totalResults"], expected.len(), "{filter}");
    }

    let page = client
        .get("/Users?filter=userName%20ew%20%22corp.test%22&sortBy=userName&sortOrder=descending&startIndex=2&count=2&attributes=userName")
        .await;
    assert_eq!(page.body["totalResults"], 6);
    assert_eq!(page.body["startIndex"], 2);
    assert_eq!(page.body["itemsPerPage"], 2);
    let users: Vec<&str> = page.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap())
        .collect();
    assert_eq!(users, vec!["erin@corp.test", "dave@corp.test"]);
    let first = &page.body["Resources"][0];
    assert!(
        first.get("name").is_none() && first.get("id").is_some() && first.get("meta").is_some(),
        "{first}"
    );

    let search = client
        .post("/Users/.search", json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName sw \"b\"", "excludedAttributes": ["emails"]}))
        .await;
    assert_eq!(search.body["totalResults"], 1);
    assert!(search.body["Resources"][0].get("emails").is_none());
    assert_eq!(search.body["Resources"][0]["userName"], "bob@corp.test");

    for bad in [
        "userName%20eq",
        "title%20eq%20%22x%22",
        "active%20gt%20true",
        "(userName%20eq%20%22a%22",
    ] {
        let a = client.get(&format!("/Users?filter={bad}")).await;
        assert_eq!(a.status, 400, "{bad}");
        assert_eq!(a.body["scimType"], "invalidFilter", "{bad}: {}", a.body);
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn patches_as_identity_providers_send_them_and_deactivation_frees_seats() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let client = scim(&server, &admin).await;
    let id = client.user("grace", json!({})).await;
    let product = admin
        .gql(
            "mutation { createProduct(input: {name: \"Desk\", seats: 5}) { product { id } } }",
            json!({}),
        )
        .await;
    let product_id = data(&product)["createProduct"]["product"]["id"].clone();
    let user = user_id(&admin, "grace@corp.test").await;
    let assigned = admin
        .gql(
            "mutation($u: ID!, $p: ID!) { assignProducts(input: {userIds: [$u], productIds: [$p]}) { userErrors { message } } }",
            json!({"u": user, "p": product_id}),
        )
        .await;
    assert_eq!(data(&assigned)["assignProducts"]["userErrors"], json!([]));
    let seats = || async {
        let r = admin
            .gql(
                "query($id: ID!) { node(id: $id) { ... on Product { seatsUsed } } }",
                json!({"id": product_id}),
            )
            .await;
        data(&r)["node"]["seatsUsed"].as_i64().unwrap()
    };
    assert_eq!(seats().await, 1);

    // Entra ID: capitalised op, the boolean as a string.
    let a = client
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["active"], false);
    assert_eq!(
        gql_user(&admin, "grace@corp.test").await["status"],
        "SUSPENDED"
    );
    assert_eq!(seats().await, 0, "deprovisioning frees the seats");

    // Entra ID: no path, dotted and URN keys.
    let a = client
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "value": {
                "active": true,
                "name.givenName": "Gracie",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Ops",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "42"}
            }}]),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body[ENTERPRISE],
        json!({"department": "Ops", "employeeNumber": "42"})
    );
    let u = gql_user(&admin, "grace@corp.test").await;
    assert_eq!(
        (u["status"].as_str(), u["firstName"].as_str()),
        (Some("ACTIVE"), Some("Gracie"))
    );

    // A work number of 2 to 8 digits is the extension; a filter path adds it.
    let a = client
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "add", "path": "phoneNumbers[type eq \"work\"].value", "value": "4711"}]),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(gql_user(&admin, "grace@corp.test").await["extension"], 4711);
    let taken = client
        .post("/Users", json!({"schemas": [USER], "userName": "henry@corp.test", "name": {"givenName": "Henry", "familyName": "T"},
            "emails": [{"value": "henry@corp.test"}], "phoneNumbers": [{"value": "4711", "type": "work"}]}))
        .await;
    assert_eq!(
        (taken.status, taken.body["scimType"].as_str()),
        (409, Some("uniqueness")),
        "{}",
        taken.body
    );
    assert!(
        taken.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("phoneNumbers:"),
        "{}",
        taken.body
    );

    // A manager is another user of the account.
    let henry = client.user("henry", json!({})).await;
    let a = client
        .patch(&format!("/Users/{id}"), json!([{"op": "add", "path": format!("{ENTERPRISE}:manager"), "value": {"value": henry}}]))
        .await;
    assert_eq!(a.body[ENTERPRISE]["manager"]["value"], henry.as_str());
    let bad = client
        .patch(&format!("/Users/{id}"), json!([{"op": "add", "path": format!("{ENTERPRISE}:manager"), "value": {"value": "nobody"}}]))
        .await;
    assert_eq!(
        (bad.status, bad.body["scimType"].as_str()),
        (400, Some("invalidValue"))
    );
    let by_manager = client
        .get(&format!(
            "/Users?filter={}",
            url_encode(&format!("{ENTERPRISE}:manager.value eq \"{henry}\""))
        ))
        .await;
    assert_eq!(by_manager.body["totalResults"], 1, "{}", by_manager.body);

    for (ops, kind) in [
        (json!([{"op": "remove"}]), "noTarget"),
        (json!([{"op": "jump", "path": "active"}]), "invalidSyntax"),
        (
            json!([{"op": "replace", "path": "name.givenName", "value": ""}]),
            "invalidValue",
        ),
        (
            json!([{"op": "replace", "path": "userName", "value": "henry@corp.test"}]),
            "uniqueness",
        ),
    ] {
        let a = client.patch(&format!("/Users/{id}"), ops.clone()).await;
        assert_eq!(a.body["scimType"], kind, "{ops}: {}", a.body);
    }
}

#[tokio::test]
async fn etags_guard_against_lost_updates() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let client = scim(&server, &admin).await;
    let id = client.user("ivy", json!({})).await;
    let read = client.get(&format!("/Users/{id}")).await;
    let version = read.body["meta"]["version"].as_str().unwrap().to_owned();
    assert_eq!(read.etag.as_deref(), Some(version.as_str()));
    let mut body = read.body.clone();
    body["name"]["familyName"] = json!("Changed");
    let put = client
        .send(
            "PUT",
            &format!("/Users/{id}"),
            Some(body.clone()),
            &[("if-match", &version)],
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_ne!(put.body["meta"]["version"], json!(version));
    let stale = client
        .send(
            "PUT",
            &format!("/Users/{id}"),
            Some(body),
            &[("if-match", &version)],
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    let gone = client
        .send(
            "DELETE",
            &format!("/Users/{id}"),
            None,
            &[("if-match", &version)],
        )
        .await;
    assert_eq!(gone.status, 412);
    assert_eq!(client.get(&format!("/Users/{id}")).await.status, 200);
}

#[tokio::test]
async fn bulk_resolves_bulk_ids_and_stops_after_failures() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let client = scim(&server, &admin).await;
    let mut ops = Vec::new();
    for i in 0..30 {
        ops.push(
            json!({"method": "POST", "path": "/Users", "bulkId": format!("u{i}"), "data": {
                "schemas": [USER], "userName": format!("bulk{i}@corp.test"),
                "name": {"givenName": "Bulk", "familyName": format!("User {i}")},
                "emails": [{"value": format!("bulk{i}@corp.test"), "type": "work"}]
            }}),
        );
    }
    // The group comes first but names users created after it.
    ops.insert(
        0,
        json!({"method": "POST", "path": "/Groups", "bulkId": "g", "data": {
            "schemas": [GROUP], "displayName": "Bulk team",
            "members": (0..30).map(|i| json!({"value": format!("bulkId:u{i}")})).collect::<Vec<_>>()
        }}),
    );
    ops.push(json!({"method": "PATCH", "path": "/Groups/bulkId:g", "data": {"schemas": [PATCH], "Operations": [
        {"op": "remove", "path": "members[value eq \"bulkId:u0\"]"}
    ]}}));
    ops.push(json!({"method": "POST", "path": "/Groups", "bulkId": "x", "data": {"schemas": [GROUP], "displayName": "Ghosts", "members": [{"value": "bulkId:nobody"}]}}));
    let a = client
        .post("/Bulk", json!({"schemas": [BULK], "Operations": ops}))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let results = a.body["Operations"].as_array().unwrap();
    assert_eq!(results.len(), 33);
    assert_eq!(results[0]["status"], "201", "{}", results[0]);
    assert!(results[1..31]
        .iter()
        .all(|r| r["status"] == "201" && r["location"].is_string()));
    assert_eq!(results[31]["status"], "200", "{}", results[31]);
    assert_eq!(results[32]["status"], "400");
    assert_eq!(results[32]["response"]["scimType"], "invalidValue");
    let group = client
        .get(
            results[0]["location"]
                .as_str()
                .unwrap()
                .trim_start_matches(&client.base),
        )
        .await;
    assert_eq!(group.body["members"].as_array().unwrap().len(), 29);
    let g = admin
        .gql(
            "{ groups(first: 5) { nodes { name users(first: 1) { totalCount } } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&g)["groups"]["nodes"][0]["users"]["totalCount"], 29);

    // failOnErrors: stops after the first failure.
    let stop = client
        .post("/Bulk", json!({"schemas": [BULK], "failOnErrors": 1, "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "dup", "data": {"schemas": [USER], "userName": "bulk1@corp.test", "name": {"givenName": "A", "familyName": "B"}, "emails": [{"value": "other1@corp.test"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "next", "data": {"schemas": [USER], "userName": "late@corp.test", "name": {"givenName": "A", "familyName": "B"}, "emails": [{"value": "late@corp.test"}]}}
        ]}))
        .await;
    let results = stop.body["Operations"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{}", stop.body);
    assert_eq!(results[0]["status"], "409");
    assert!(gql_user(&admin, "late@corp.test").await.is_null());

    let too_many: Vec<Value> = (0..10_001)
        .map(|i| json!({"method": "DELETE", "path": format!("/Users/{i}")}))
        .collect();
    let a = client
        .post("/Bulk", json!({"schemas": [BULK], "Operations": too_many}))
        .await;
    assert_eq!(a.status, 413, "{}", a.body);
    let config = client.get("/ServiceProviderConfig").await;
    assert_eq!(config.body["bulk"]["maxOperations"], 10_000);
    // The advertised payload limit holds: one byte more is refused.
    let limit = config.body["bulk"]["maxPayloadSize"].as_u64().unwrap() as usize;
    let padding = "x".repeat(limit);
    let big = client
        .post(
            "/Bulk",
            json!({"schemas": [BULK], "Operations": [], "padding": padding}),
        )
        .await;
    assert_eq!(big.status, 413, "{}", big.body);
    assert_eq!(
        big.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
}

/// A /Bulk operation creating user `<prefix><i>@corp.test` (bulkId `u<i>`).
fn bulk_post_user(prefix: &str, given_name: &str, i: usize) -> Value {
    json!({"method": "POST", "path": "/Users", "bulkId": format!("u{i}"), "data": {
        "schemas": [USER], "userName": format!("{prefix}{i}@corp.test"),
        "name": {"givenName": given_name, "familyName": format!("{i}")},
        "emails": [{"value": format!("{prefix}{i}@corp.test")}]
    }})
}

#[tokio::test]
async fn group_members_change_by_the_thousand() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let client = scim(&server, &admin).await;
    let ops: Vec<Value> = (0..1_500).map(|i| bulk_post_user("m", "M", i)).collect();
    let a = client
        .post("/Bulk", json!({"schemas": [BULK], "Operations": ops}))
        .await;
    let ids: Vec<String> = a.body["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            o["location"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1_500);
    let g = client
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Everyone"}),
        )
        .await;
    assert_eq!(g.status, 201, "{}", g.body);
    let gid = g.body["id"].as_str().unwrap().to_owned();
    let add = client
        .patch(&format!("/Groups/{gid}"), json!([{"op": "add", "path": "members", "value": ids.iter().map(|i| json!({"value": i})).collect::<Vec<_>>()}]))
        .await;
    assert_eq!(add.status, 200);
    assert_eq!(add.body["members"].as_array().unwrap().len(), 1_500);
    // Entra ID removes listed members with a value and no filter.
    let remove = client
        .patch(&format!("/Groups/{gid}"), json!([
            {"op": "remove", "path": "members", "value": ids[..1_000].iter().map(|i| json!({"value": i})).collect::<Vec<_>>()},
            {"op": "replace", "path": "displayName", "value": "Some"}
        ]))
        .await;
    assert_eq!(remove.status, 200, "{}", remove.body);
    let count = admin
        .gql(
            "{ groups(first: 5) { nodes { name users(first: 1) { totalCount } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&count)["groups"]["nodes"][0],
        json!({"name": "Some", "users": {"totalCount": 500}})
    );
    let filtered = client
        .get(&format!(
            "/Groups?filter={}&excludedAttributes=members",
            url_encode(&format!("members[value eq \"{}\"]", ids[1_200]))
        ))
        .await;
    assert_eq!(filtered.body["totalResults"], 1);
    assert!(filtered.body["Resources"][0].get("members").is_none());
    let user = client.get(&format!("/Users/{}", ids[1_200])).await;
    assert_eq!(user.body["groups"][0]["display"], "Some");
    let unknown = client.patch(&format!("/Groups/{gid}"), json!([{"op": "add", "path": "members", "value": [{"value": "00000000-0000-0000-0000-000000000000"}]}])).await;
    assert_eq!(
        (unknown.status, unknown.body["scimType"].as_str()),
        (400, Some("invalidValue"))
    );
}

#[tokio::test]
async fn deletion_follows_the_account_setting() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let client = scim(&server, &admin).await;
    let id = client.user("jack", json!({"externalId": "okta-1"})).await;
    assert_eq!(client.delete(&format!("/Users/{id}")).await.status, 204);
    assert_eq!(client.get(&format!("/Users/{id}")).await.status, 404);
    assert_eq!(client.delete(&format!("/Users/{id}")).await.status, 404);
    assert_eq!(
        gql_user(&admin, "jack@corp.test").await["status"],
        "SUSPENDED"
    );
    // Re-hired: the same userName brings the same user back.
    let again = client
        .post("/Users", json!({"schemas": [USER], "userName": "jack@corp.test", "name": {"givenName": "Jack", "familyName": "Back"}, "emails": [{"value": "jack@corp.test"}], "active": true}))
        .await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(again.body["id"], id.as_str());
    assert_eq!(gql_user(&admin, "jack@corp.test").await["status"], "ACTIVE");

    let set = admin
        .gql("mutation { updateScimSettings(input: {deleteMode: DELETE}) { scimSettings { deleteMode welcomeMail } } }", json!({}))
        .await;
    assert_eq!(
        data(&set)["updateScimSettings"]["scimSettings"],
        json!({"deleteMode": "DELETE", "welcomeMail": false})
    );
    assert_eq!(client.delete(&format!("/Users/{id}")).await.status, 204);
    assert!(gql_user(&admin, "jack@corp.test").await.is_null());
}

#[tokio::test]
async fn welcome_mail_only_when_the_account_asks_for_it() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let client = scim(&server, &admin).await;
    client.user("kim", json!({})).await;
    assert_eq!(gql_user(&admin, "kim@corp.test").await["status"], "ACTIVE");
    let set = admin.gql("mutation { updateScimSettings(input: {welcomeMail: true}) { userErrors { message } } }", json!({})).await;
    assert_eq!(data(&set)["updateScimSettings"]["userErrors"], json!([]));
    client.user("lee", json!({})).await;
    assert_eq!(gql_user(&admin, "lee@corp.test").await["status"], "INVITED");
    let outbox = server.db.dir.path().join("outbox");
    crate::mail::wait_for_mail_to(&outbox, "lee@corp.test", 1).await;
    // Mail leaves in order: one for kim would be there by now.
    let all = crate::mail::wait_for_mail(&outbox, 1).await;
    assert!(
        all.iter().all(|m| !m.to.to_lowercase().contains("kim@")),
        "{:?}",
        all.iter().map(|m| &m.to).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn tenants_roles_and_the_activity_history() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let client = scim(&server, &admin).await;
    let mut feed = crate::harness::subscribed(
        &server,
        admin.token.as_deref().unwrap(),
        "subscription { activityAdded { action actorName targetName } }",
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let id = client.user("mia", json!({})).await;
    let event = crate::harness::next_json(&mut feed).await;
    assert_eq!(
        event["payload"]["data"]["activityAdded"],
        json!({"action": "user.add", "actorName": "SCIM token \"Okta\"", "targetName": "mia@corp.test"}),
        "{event}"
    );
    let other = server.other_account().await;
    let theirs = scim(&server, &other).await;
    assert_eq!(theirs.get(&format!("/Users/{id}")).await.status, 404);
    assert_eq!(
        theirs
            .patch(
                &format!("/Users/{id}"),
                json!([{"op": "replace", "path": "active", "value": false}])
            )
            .await
            .status,
        404
    );
    let listed = theirs.get("/Users").await;
    assert!(!listed.body.to_string().contains("mia@corp.test"));

    // A token made by an admin does not change admins.
    let admin2 = server.staff("ADMIN", "admin2@acme.test").await;
    let limited = scim(&server, &admin2).await;
    let owner = client
        .get("/Users?filter=userName%20eq%20%22admin%40acme.test%22")
        .await;
    let owner_id = owner.body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = limited
        .patch(
            &format!("/Users/{owner_id}"),
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(
        limited
            .patch(
                &format!("/Users/{id}"),
                json!([{"op": "replace", "path": "active", "value": false}])
            )
            .await
            .status,
        200
    );
    // Nor can the owner's token suspend the last super admin.
    let last = client
        .patch(
            &format!("/Users/{owner_id}"),
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(last.status, 400, "{}", last.body);
    assert_eq!(gql_user(&admin, ADMIN_EMAIL).await["status"], "ACTIVE");

    let history = admin
        .gql(
            "{ activity(last: 20) { nodes { actorName action targetName } } }",
            json!({}),
        )
        .await;
    let entries = data(&history)["activity"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        entries
            .iter()
            .any(|e| e["actorName"] == "SCIM token \"Okta\""
                && e["action"] == "user.add"
                && e["targetName"] == "mia@corp.test"),
        "{entries:?}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["actorName"].as_str().unwrap().contains("SCIM")
                && e["action"] == "user.status")
    );
}

#[tokio::test]
async fn a_directory_user_sets_a_password_through_a_reset() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let client = scim(&server, &admin).await;
    client.user("nora", json!({})).await;
    let anonymous = server.anonymous();
    let no_password = anonymous
        .gql(
            "mutation { login(email: \"nora@corp.test\", password: \"whatever-it-is\") { token } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&no_password), "UNAUTHENTICATED");

    let request = "mutation($e: String!) { requestPasswordReset(email: $e) { requested userErrors { code } } }";
    // The same answer for an address nobody has: it reveals no users.
    for email in ["nobody@corp.test", "NORA@corp.test"] {
        let res = anonymous.gql(request, json!({"e": email})).await;
        assert_eq!(
            data(&res)["requestPasswordReset"],
            json!({"requested": true, "userErrors": []}),
            "{email}"
        );
    }
    let bad = anonymous.gql(request, json!({"e": "not an email"})).await;
    assert_eq!(
        data(&bad)["requestPasswordReset"]["userErrors"][0]["code"],
        "INVALID"
    );

    let outbox = server.db.dir.path().join("outbox");
    let mails = crate::mail::wait_for_mail_to(&outbox, "nora@corp.test", 1).await;
    let token = mails[0].token();
    let all = crate::mail::wait_for_mail(&outbox, 1).await;
    assert!(all.iter().all(|m| !m.to.contains("nobody@")));
    let accepted = anonymous
        .gql(
            "mutation($t: String!) { acceptInvitation(input: {token: $t, password: \"a new long password\"}) { kind email userErrors { message } } }",
            json!({"t": token}),
        )
        .await;
    assert_eq!(
        data(&accepted)["acceptInvitation"]["kind"],
        "PASSWORD_RESET",
        "{accepted}"
    );
    let signed_in = server.login("nora@corp.test", "a new long password").await;
    assert!(!signed_in.is_empty());
    // The link works once.
    let again = anonymous
        .gql(
            "mutation($t: String!) { acceptInvitation(input: {token: $t, password: \"another long password\"}) { userErrors { code } } }",
            json!({"t": token}),
        )
        .await;
    assert_eq!(
        data(&again)["acceptInvitation"]["userErrors"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_user_limit_holds_for_directories_too() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    // 24,997 users and the super admin: room for 2 more.
    let people: Vec<Value> = (0..24_997)
        .map(|i| json!({ "firstName": "L", "lastName": "T", "email": format!("l{i}@acme.test") }))
        .collect();
    let res = admin
        .gql(
            "mutation($u: [NewUser!]!) { addUsers(input: { users: $u }) { addedCount } }",
            json!({ "u": people }),
        )
        .await;
    assert_eq!(data(&res)["addUsers"]["addedCount"], 24_997);
    let client = scim(&server, &admin).await;
    let ops: Vec<Value> = (0..3).map(|i| bulk_post_user("late", "Late", i)).collect();
    let a = client
        .post("/Bulk", json!({"schemas": [BULK], "Operations": ops}))
        .await;
    let statuses: Vec<&str> = a.body["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["201", "201", "400"], "{}", a.body);
    assert_eq!(a.body["Operations"][2]["response"]["scimType"], "tooMany");
    let res = admin.gql("{ users { totalCount } }", json!({})).await;
    assert_eq!(data(&res)["users"]["totalCount"], 25_000);
}

#[tokio::test]
async fn a_changed_email_voids_links_sent_to_the_old_one() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let client = scim(&server, &admin).await;
    admin
        .gql("mutation { updateScimSettings(input: {welcomeMail: true}) { userErrors { message } } }", json!({}))
        .await;
    let id = client.user("typo", json!({})).await;
    let outbox = server.db.dir.path().join("outbox");
    let old = crate::mail::wait_for_mail_to(&outbox, "typo@corp.test", 1).await[0].token();
    let a = client
        .patch(&format!("/Users/{id}"), json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "fixed@corp.test"}]))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["emails"][0]["value"], "fixed@corp.test");
    let accept = "mutation($t: String!) { acceptInvitation(input: {token: $t, password: \"a long password here\"}) { email userErrors { code } } }";
    let stale = server.anonymous().gql(accept, json!({"t": old})).await;
    assert_eq!(
        data(&stale)["acceptInvitation"]["userErrors"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "{stale}"
    );
    let new = crate::mail::wait_for_mail_to(&outbox, "fixed@corp.test", 1).await[0].token();
    let fresh = server.anonymous().gql(accept, json!({"t": new})).await;
    assert_eq!(
        data(&fresh)["acceptInvitation"]["email"],
        "fixed@corp.test",
        "{fresh}"
    );
    // Another user's address is refused without saying whose it is.
    let taken = client
        .patch(&format!("/Users/{id}"), json!([{"op": "replace", "path": "emails", "value": [{"value": ADMIN_EMAIL, "type": "work"}]}]))
        .await;
    assert_eq!(
        (taken.status, taken.body["scimType"].as_str()),
        (409, Some("uniqueness"))
    );
    assert!(!taken.body["detail"].as_str().unwrap().contains(ADMIN_EMAIL));
}

#[tokio::test]
async fn a_token_stops_when_its_creator_is_no_longer_an_admin() {
    let server = TestServer::start().await;
    let owner = server.super_admin().await;
    let admin = server.staff("ADMIN", "it@acme.test").await;
    let client = scim(&server, &admin).await;
    assert_eq!(client.get("/Users").await.status, 200);
    let id = user_id(&owner, "it@acme.test").await;
    let res = owner
        .gql("mutation($id: ID!) { setUserRole(input: {id: $id, role: MEMBER}) { userErrors { message } } }", json!({"id": id}))
        .await;
    assert_eq!(data(&res)["setUserRole"]["userErrors"], json!([]));
    let refused = client.get("/Users").await;
    assert_eq!(refused.status, 401, "{}", refused.body);
}

#[tokio::test]
async fn a_bulk_of_mixed_languages_and_future_hires_is_one_write() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let client = scim(&server, &admin).await;
    admin
        .gql("mutation { updateScimSettings(input: {welcomeMail: true}) { userErrors { message } } }", json!({}))
        .await;
    let user = |i: usize, language: &str, active: bool| {
        json!({"method": "POST", "path": "/Users", "bulkId": format!("u{i}"), "data": {
            "schemas": [USER], "userName": format!("mix{i}@corp.test"), "preferredLanguage": language, "active": active,
            "name": {"givenName": "Mix", "familyName": format!("{i}")}, "emails": [{"value": format!("mix{i}@corp.test")}]
        }})
    };
    let a = client
        .post("/Bulk", json!({"schemas": [BULK], "Operations": [user(0, "de-DE", true), user(1, "fr", false), user(2, "en-US", true)]}))
        .await;
    let statuses: Vec<&str> = a.body["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["201", "201", "201"], "{}", a.body);
    let q = "query($e: String!) { userByEmail(email: $e) { status language } }";
    for (email, status, language) in [
        ("mix0@corp.test", "INVITED", "de"),
        ("mix1@corp.test", "SUSPENDED", "fr"),
        ("mix2@corp.test", "INVITED", "en"),
    ] {
        let r = admin.gql(q, json!({"e": email})).await;
        assert_eq!(
            data(&r)["userByEmail"],
            json!({"status": status, "language": language}),
            "{email}"
        );
    }
    // The future hire got no welcome: its link could not be used.
    let outbox = server.db.dir.path().join("outbox");
    crate::mail::wait_for_mail_to(&outbox, "mix2@corp.test", 1).await;
    let all = crate::mail::wait_for_mail(&outbox, 1).await;
    assert!(
        all.iter().all(|m| !m.to.contains("mix1@")),
        "{:?}",
        all.iter().map(|m| &m.to).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn parallel_patches_of_one_user_lose_nothing() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let client = std::sync::Arc::new(scim(&server, &admin).await);
    let id = client.user("race", json!({})).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let client = client.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            let path = match i % 2 {
                0 => format!("{ENTERPRISE}:department"),
                _ => format!("{ENTERPRISE}:employeeNumber"),
            };
            client
                .patch(
                    &format!("/Users/{id}"),
                    json!([{"op": "replace", "path": path, "value": format!("v{}", i % 2)}]),
                )
                .await
                .status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let user = client.get(&format!("/Users/{id}")).await;
    assert_eq!(
        user.body[ENTERPRISE],
        json!({"department": "v0", "employeeNumber": "v1"}),
        "{}",
        user.body
    );
}

#[tokio::test]
async fn the_same_person_under_a_new_user_name_comes_back() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let client = scim(&server, &admin).await;
    let id = client.user("olga", json!({})).await;
    assert_eq!(client.delete(&format!("/Users/{id}")).await.status, 204);
    let back = client
        .post("/Users", json!({"schemas": [USER], "userName": "o.new", "name": {"givenName": "Olga", "familyName": "N"}, "emails": [{"value": "olga@corp.test"}]}))
        .await;
    assert_eq!(back.status, 201, "{}", back.body);
    assert_eq!(back.body["id"], id.as_str());
    assert_eq!(back.body["userName"], "o.new");
    assert_eq!(gql_user(&admin, "olga@corp.test").await["status"], "ACTIVE");
    // Roster bringing a deleted user back shows them to the directory again.
    assert_eq!(client.delete(&format!("/Users/{id}")).await.status, 204);
    let gid = user_id(&admin, "olga@corp.test").await;
    let res = admin
        .gql("mutation($id: ID!) { setUserStatus(input: {id: $id, status: ACTIVE}) { userErrors { message } } }", json!({"id": gid}))
        .await;
    assert_eq!(data(&res)["setUserStatus"]["userErrors"], json!([]));
    assert_eq!(client.get(&format!("/Users/{id}")).await.status, 200);
}

#[tokio::test]
async fn filters_keep_users_without_the_attribute_and_any_letters() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let client = scim(&server, &admin).await;
    let u1 = client
        .user("pia", json!({ENTERPRISE: {"department": "Sales"}}))
        .await;
    client
        .user(
            "quinn",
            json!({"name": {"givenName": "Quinn", "familyName": "Öztürk"}}),
        )
        .await;
    client
        .user("ray", json!({ENTERPRISE: {"manager": {"value": u1}}}))
        .await;
    let names = |a: &Answer| -> Vec<String> {
        let mut n: Vec<String> = a.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["userName"]
                    .as_str()
                    .unwrap()
                    .trim_end_matches("@corp.test")
                    .to_owned()
            })
            .collect();
        n.sort();
        n
    };
    for (filter, expected) in [
        (
            format!(r#"userName ew "@corp.test" and not ({ENTERPRISE}:department eq "Sales")"#),
            vec!["quinn", "ray"],
        ),
        (
            format!(r#"userName ew "@corp.test" and {ENTERPRISE}:manager.value ne "{u1}""#),
            vec!["pia", "quinn"],
        ),
        (r#"name.familyName eq "Öztürk""#.to_owned(), vec!["quinn"]),
        (r#"name.familyName co "ztü""#.to_owned(), vec!["quinn"]),
        (r#"emails.value eq "PIA@CORP.TEST""#.to_owned(), vec!["pia"]),
    ] {
        let a = client
            .get(&format!("/Users?filter={}", url_encode(&filter)))
            .await;
        assert_eq!(a.status, 200, "{filter}: {}", a.body);
        assert_eq!(names(&a), expected, "{filter}");
    }
    // A list that leaves out groups gives no version; one with them, the
    // version a GET gives.
    let lean = client
        .get(&format!(
            "/Users?filter={}&excludedAttributes=groups",
            url_encode(r#"userName eq "pia@corp.test""#)
        ))
        .await;
    assert!(
        lean.body["Resources"][0]["meta"].get("version").is_none(),
        "{}",
        lean.body
    );
    let full = client
        .get(&format!(
            "/Users?filter={}",
            url_encode(r#"userName eq "pia@corp.test""#)
        ))
        .await;
    let one = client.get(&format!("/Users/{u1}")).await;
    assert_eq!(
        full.body["Resources"][0]["meta"]["version"],
        one.body["meta"]["version"]
    );
}
