//! Directory sync benchmark (issue 17): an identity provider's initial
//! sync of N users (default 10,000) in one SCIM `/Bulk`, then 20 groups
//! holding them in a second one, then 200 `userName eq` lookups (what
//! Okta and Entra ID send before each change), against a real `roster`
//! server (release build).
//!
//!     cargo bench -p roster --bench scim -- --users 10000
//!     DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p roster --bench scim
//!
//! Prints the time of each step.

#[allow(dead_code)]
#[path = "../../tests/e2e/harness.rs"]
mod harness;

use std::time::Instant;

use harness::*;
use serde_json::{json, Value};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

fn users_arg() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--users")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.replace('_', "").parse().ok())
        .unwrap_or(10_000)
        .clamp(20, 10_000)
}

async fn bulk(http: &reqwest::Client, url: &str, token: &str, ops: Vec<Value>) -> Value {
    let res = http
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/scim+json")
        .body(json!({"schemas": [BULK], "Operations": ops}).to_string())
        .send()
        .await
        .expect("bulk request");
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.unwrap();
    let failed: Vec<&Value> = body["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["status"] != "201")
        .collect();
    assert!(
        failed.is_empty(),
        "{} operations failed, e.g. {}",
        failed.len(),
        failed[0]
    );
    body
}

#[tokio::main]
async fn main() {
    let n = users_arg();
    let server = TestServer::start().await;
    let backend = if std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let admin = server.super_admin().await;
    let res = admin
        .gql(
            "mutation { createScimToken(input: {name: \"bench\"}) { token } }",
            json!({}),
        )
        .await;
    let token = res["data"]["createScimToken"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let http = reqwest::Client::new();
    let url = server.url("/scim/v2/Bulk");

    let ops: Vec<Value> = (0..n)
        .map(|i| {
            json!({"method": "POST", "path": "/Users", "bulkId": format!("u{i}"), "data": {
                "schemas": [USER, ENTERPRISE],
                "userName": format!("user{i}@bench.example"),
                "externalId": format!("00u{i:08}"),
                "name": {"givenName": format!("Given{i}"), "familyName": format!("Family{i}")},
                "emails": [{"value": format!("user{i}@bench.example"), "type": "work", "primary": true}],
                "active": true,
                ENTERPRISE: {"department": format!("Department {}", i % 20), "employeeNumber": format!("{i}")}
            }})
        })
        .collect();
    let size = json!(ops).to_string().len();
    println!(
        "{backend}: {n} users in one /Bulk ({:.1} MB)",
        size as f64 / 1e6
    );
    let started = Instant::now();
    let created = bulk(&http, &url, &token, ops).await;
    let users_time = started.elapsed();
    let ids: Vec<String> = created["Operations"]
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

    let groups: Vec<Value> = (0..20)
        .map(|g| {
            json!({"method": "POST", "path": "/Groups", "bulkId": format!("g{g}"), "data": {
                "schemas": [GROUP], "displayName": format!("Department {g}"),
                "members": ids.iter().skip(g).step_by(20).map(|id| json!({"value": id})).collect::<Vec<_>>()
            }})
        })
        .collect();
    let started = Instant::now();
    bulk(&http, &url, &token, groups).await;
    let groups_time = started.elapsed();

    let started = Instant::now();
    for i in (0..n).step_by((n / 200).max(1)).take(200) {
        let res = http
            .get(server.url("/scim/v2/Users"))
            .query(&[("filter", format!("userName eq \"USER{i}@bench.example\""))])
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["totalResults"], 1, "{body}");
    }
    let lookups = started.elapsed();

    let count = admin
        .gql("{ users(first: 1) { totalCount } }", json!({}))
        .await;
    assert_eq!(count["data"]["users"]["totalCount"], n + 1, "{count}");
    println!(
        "users: {:.2} s ({:.0} users/s); groups (20 x {}): {:.2} s; initial sync in all: {:.2} s",
        users_time.as_secs_f64(),
        n as f64 / users_time.as_secs_f64(),
        n / 20,
        groups_time.as_secs_f64(),
        (users_time + groups_time).as_secs_f64()
    );
    println!(
        "userName eq lookups: {:.2} ms each (200 in a row)",
        lookups.as_secs_f64() * 1000.0 / 200.0
    );
}
