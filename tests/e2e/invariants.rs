//! Invariants that hold under parallel requests (issue 14, rule 3 and the
//! user limit): a product's `seatsUsed` always equals its holders and never
//! exceeds its seats, and an account never passes 25,000 users, whichever
//! way users and seats are given or taken back.

use serde_json::{json, Value};

use crate::{harness::*, imports::wait_for, user_imports};

const ASSIGN: &str = "mutation($u: [ID!]!, $p: [ID!]!) {
  assignProducts(input: { userIds: $u, productIds: $p }) { changedCount userErrors { code } } }";
const UNASSIGN: &str = "mutation($u: [ID!]!, $p: [ID!]!) {
  unassignProducts(input: { userIds: $u, productIds: $p }) { changedCount userErrors { code } } }";

async fn product(admin: &Client, name: &str, seats: i32) -> String {
    let res = admin
        .gql(
            "mutation($n: String!, $s: Int!) { createProduct(input: { name: $n, seats: $s }) { product { id } } }",
            json!({ "n": name, "s": seats }),
        )
        .await;
    data(&res)["createProduct"]["product"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned()
}

async fn users(admin: &Client, prefix: &str, n: usize) -> Vec<String> {
    let people: Vec<Value> = (0..n)
        .map(|i| json!({ "firstName": "S", "lastName": "T", "email": format!("{prefix}{i}@acme.test") }))
        .collect();
    let res = admin
        .gql(
            "mutation($u: [NewUser!]!) { addUsers(input: { users: $u }) { users { id } userErrors { message } } }",
            json!({ "u": people }),
        )
        .await;
    data(&res)["addUsers"]["users"]
        .as_array()
        .unwrap_or_else(|| panic!("{res}"))
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

/// (seats, seatsUsed, holders counted from the users themselves)
async fn seats(admin: &Client, product: &str) -> (i64, i64, i64) {
    let res = admin
        .gql(
            "query($p: ID!) { product(id: $p) { seats seatsUsed } users(filter: { productId: $p }) { totalCount } }",
            json!({ "p": product }),
        )
        .await;
    let d = data(&res);
    (
        d["product"]["seats"].as_i64().unwrap(),
        d["product"]["seatsUsed"].as_i64().unwrap(),
        d["users"]["totalCount"].as_i64().unwrap(),
    )
}

/// Sends every request at once and waits for all of them.
async fn at_once(client: &Client, requests: Vec<(&'static str, Value)>) -> Vec<Value> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|(doc, vars)| {
            let client = client.clone();
            tokio::spawn(async move { client.gql(doc, vars).await })
        })
        .collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

#[tokio::test]
async fn seat_counts_follow_the_holders_under_parallel_requests() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let meeting = product(&admin, "Meeting", 3).await;
    let people = users(&admin, "s", 6).await;

    // Ten parallel unassignments of one seat free one seat.
    let res = admin
        .gql(ASSIGN, json!({ "u": [people[0]], "p": [meeting] }))
        .await;
    assert_eq!(data(&res)["assignProducts"]["changedCount"], 1, "{res}");
    at_once(
        &admin,
        (0..10)
            .map(|_| (UNASSIGN, json!({ "u": [people[0]], "p": [meeting] })))
            .collect(),
    )
    .await;
    assert_eq!(seats(&admin, &meeting).await, (3, 0, 0));

    // Ten parallel assignments of one user take one seat.
    at_once(
        &admin,
        (0..10)
            .map(|_| (ASSIGN, json!({ "u": [people[1]], "p": [meeting] })))
            .collect(),
    )
    .await;
    assert_eq!(seats(&admin, &meeting).await, (3, 1, 1));

    // Five users at once for the two seats left: exactly two get one.
    let results = at_once(
        &admin,
        people[1..]
            .iter()
            .map(|u| (ASSIGN, json!({ "u": [u], "p": [meeting] })))
            .collect(),
    )
    .await;
    let refused = results
        .iter()
        .filter(|r| data(r)["assignProducts"]["userErrors"][0]["code"] == "LIMIT_EXCEEDED")
        .count();
    assert_eq!(refused, 2, "{results:?}");
    assert_eq!(seats(&admin, &meeting).await, (3, 3, 3));

    // Fewer seats while assignments land: never fewer seats than holders.
    let phone = product(&admin, "Phone", 10).await;
    for round in 0..3 {
        let mut requests: Vec<(&'static str, Value)> = people
            .iter()
            .map(|u| (ASSIGN, json!({ "u": [u], "p": [phone] })))
            .collect();
        requests.insert(
            3,
            (
                "mutation($p: ID!) { updateProduct(input: { id: $p, seats: 2 }) { userErrors { code } } }",
                json!({ "p": phone }),
            ),
        );
        at_once(&admin, requests).await;
        let (total, used, holders) = seats(&admin, &phone).await;
        assert_eq!(used, holders, "round {round}");
        assert!(used <= total, "round {round}: {used} of {total} seats used");
        // Back to an empty product with 10 seats for the next round.
        at_once(
            &admin,
            vec![(UNASSIGN, json!({ "u": people, "p": [phone] }))],
        )
        .await;
        admin
            .gql(
                "mutation($p: ID!) { updateProduct(input: { id: $p, seats: 10 }) { userErrors { code } } }",
                json!({ "p": phone }),
            )
            .await;
        assert_eq!(seats(&admin, &phone).await, (10, 0, 0));
    }
}

#[tokio::test]
async fn a_user_import_cannot_pass_the_user_limit() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    // 24,990 users and the super admin: room for 9 more.
    let people: Vec<Value> = (0..24_990)
        .map(|i| json!({ "firstName": "L", "lastName": "T", "email": format!("l{i}@acme.test") }))
        .collect();
    let res = admin
        .gql(
            "mutation($u: [NewUser!]!) { addUsers(input: { users: $u }) { addedCount userErrors { message } } }",
            json!({ "u": people }),
        )
        .await;
    assert_eq!(data(&res)["addUsers"]["addedCount"], 24_990, "{res}");

    // Previewed with room for all five rows...
    let csv: String = std::iter::once("first_name,last_name,email\n".to_owned())
        .chain((0..5).map(|i| format!("I,T,i{i}@acme.test\n")))
        .collect();
    let res = user_imports::start(&admin, &csv, json!({})).await;
    let id = data(&res)["startUserImport"]["job"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned();
    let preview = wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    assert_eq!(preview["toCreate"], 5, "{preview}");

    // ...then the account fills up by hand before it is confirmed.
    let more: Vec<Value> = (0..7)
        .map(|i| json!({ "firstName": "M", "lastName": "T", "email": format!("m{i}@acme.test") }))
        .collect();
    let res = admin
        .gql(
            "mutation($u: [NewUser!]!) { addUsers(input: { users: $u }) { addedCount } }",
            json!({ "u": more }),
        )
        .await;
    assert_eq!(data(&res)["addUsers"]["addedCount"], 7, "{res}");
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
    let failed = wait_for(&admin, &id, "FAILED").await;
    assert!(
        failed["failure"]
            .as_str()
            .is_some_and(|f| f.contains("at most 25000 users")),
        "{failed}"
    );
    let res = admin.gql("{ users { totalCount } }", json!({})).await;
    assert_eq!(data(&res)["users"]["totalCount"], 24_998);
}

#[tokio::test]
async fn parallel_additions_never_pass_the_user_limit() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    // 24,990 users and the super admin: room for 9 more.
    let people: Vec<Value> = (0..24_990)
        .map(|i| json!({ "firstName": "L", "lastName": "T", "email": format!("l{i}@acme.test") }))
        .collect();
    let add = "mutation($u: [NewUser!]!) { addUsers(input: { users: $u }) { addedCount userErrors { code } } }";
    let res = admin.gql(add, json!({ "u": people })).await;
    assert_eq!(data(&res)["addUsers"]["addedCount"], 24_990, "{res}");

    // Six requests of 3 users at once: three fit, three are refused.
    let requests = (0..6)
        .map(|r| {
            let users: Vec<Value> = (0..3)
                .map(|i| json!({ "firstName": "P", "lastName": "T", "email": format!("p{r}-{i}@acme.test") }))
                .collect();
            (add, json!({ "u": users }))
        })
        .collect();
    let results = at_once(&admin, requests).await;
    let added: i64 = results
        .iter()
        .map(|r| data(r)["addUsers"]["addedCount"].as_i64().unwrap_or(0))
        .sum();
    let refused = results
        .iter()
        .filter(|r| data(r)["addUsers"]["userErrors"][0]["code"] == "LIMIT_EXCEEDED")
        .count();
    assert_eq!((added, refused), (9, 3), "{results:?}");
    let res = admin.gql("{ users { totalCount } }", json!({})).await;
    assert_eq!(data(&res)["users"]["totalCount"], 25_000);
}
