//! Adding users benchmark (issue 5): pastes a list of N users in the
//! seed-002 format, parses it with `parseUserList`, then adds every row
//! with `addUsers` (with a product seat and a group), against a real
//! `roster` server (release build).
//!
//!     cargo bench -p roster --bench add_users -- --users 25000
//!     DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p roster --bench add_users
//!
//! Prints the time of each step and users per second.

#[allow(dead_code)]
#[path = "../../tests/e2e/harness.rs"]
mod harness;

use std::time::Instant;

use harness::*;
use serde_json::{json, Value};

fn users_arg() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--users")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.replace('_', "").parse().ok())
        .unwrap_or(24_999)
        .min(24_999)
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
    let product = admin
        .gql(
            "mutation($s: Int!) { createProduct(input: { name: \"Meeting\", seats: $s }) { product { id } } }",
            json!({ "s": n }),
        )
        .await["data"]["createProduct"]["product"]["id"]
        .clone();
    let group = admin
        .gql(
            "mutation { createGroup(input: { name: \"Everyone\" }) { group { id } } }",
            json!({}),
        )
        .await["data"]["createGroup"]["group"]["id"]
        .clone();
    let text: String = (0..n)
        .map(|i| format!("First{i} Last{i} user{i}@bench.example"))
        .collect::<Vec<_>>()
        .join(";");
    println!(
        "{backend}: {n} users, {:.1} MiB of pasted text",
        text.len() as f64 / 1_048_576.0
    );

    let started = Instant::now();
    let res = admin
        .gql(
            "query($t: String!) { parseUserList(text: $t) { rows { firstName lastName email valid } problems { message } } }",
            json!({ "t": text }),
        )
        .await;
    let parsed = &res["data"]["parseUserList"];
    assert_eq!(parsed["problems"], json!([]), "{res}");
    let rows: Vec<Value> = parsed["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| json!({ "firstName": r["firstName"], "lastName": r["lastName"], "email": r["email"] }))
        .collect();
    let parse_time = started.elapsed();

    let add_started = Instant::now();
    let res = admin
        .gql(
            "mutation($input: AddUsersInput!) { addUsers(input: $input) { addedCount userErrors { message } } }",
            json!({ "input": { "users": rows, "productIds": [product], "groupIds": [group] } }),
        )
        .await;
    let add_time = add_started.elapsed();
    assert_eq!(res["data"]["addUsers"]["addedCount"], n, "{res}");
    let total = started.elapsed();
    println!("parseUserList:       {:>7.2} s", parse_time.as_secs_f64());
    println!("addUsers:            {:>7.2} s", add_time.as_secs_f64());
    println!(
        "end to end:          {:>7.2} s  ({:.0} users/s)",
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64()
    );
}
