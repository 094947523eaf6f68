//! What an operator switches (issue 15): CORS for single-page apps on other
//! origins, introspection and GraphiQL off, Kubernetes service-link
//! variables tolerated.

use serde_json::json;

use crate::harness::*;

const APP: &str = "https://app.example.com";

async fn preflight(server: &TestServer, origin: &str) -> reqwest::Response {
    server
        .http
        .request(reqwest::Method::OPTIONS, server.url("/graphql"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap()
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn only_allowed_origins_get_cors_headers() {
    let server = TestServer::start_with(&["--cors-origin", APP]).await;

    let resp = preflight(&server, APP).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(header(&resp, "access-control-allow-origin"), Some(APP));
    let methods = header(&resp, "access-control-allow-methods").unwrap_or_default();
    assert!(
        methods.contains("POST") && methods.contains("GET"),
        "{methods}"
    );
    let headers = header(&resp, "access-control-allow-headers").unwrap_or_default();
    assert!(
        headers.contains("authorization") && headers.contains("content-type"),
        "{headers}"
    );
    assert!(header(&resp, "access-control-max-age").is_some());

    // Another origin: answered, but without CORS headers (the browser then
    // refuses the call).
    let resp = preflight(&server, "https://evil.example").await;
    assert_eq!(resp.status(), 204);
    assert_eq!(header(&resp, "access-control-allow-origin"), None);

    // The real request: headers for the allowed origin only; the server
    // answers both (same-origin pages such as GraphiQL send Origin too).
    for (origin, allowed) in [(APP, true), ("https://evil.example", false)] {
        let resp = server
            .http
            .post(server.url("/graphql"))
            .header("Origin", origin)
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(
            header(&resp, "access-control-allow-origin"),
            allowed.then_some(origin)
        );
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["data"]["__typename"], "Query");
    }

    // No list, no CORS at all.
    let plain = TestServer::start().await;
    let resp = preflight(&plain, APP).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(header(&resp, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn introspection_and_graphiql_can_be_turned_off() {
    let server = TestServer::start_with(&["--introspection", "false", "--graphiql", "false"]).await;
    let admin = server.super_admin().await;
    let res = admin
        .gql("{ __schema { queryType { name } } }", json!({}))
        .await;
    // async-graphql answers introspection of a closed schema with nulls.
    assert!(res["data"]["__schema"].is_null(), "{res}");
    let res = admin
        .gql("{ __type(name: \"Customer\") { name } }", json!({}))
        .await;
    assert!(res["data"]["__type"].is_null(), "{res}");
    let res = admin.gql("{ viewer { email } }", json!({})).await;
    assert_eq!(data(&res)["viewer"]["email"], ADMIN_EMAIL);
    for path in ["/", "/graphiql"] {
        let resp = server.http.get(server.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
    }

    // On by default.
    let plain = TestServer::start().await;
    let admin = plain.super_admin().await;
    let res = admin
        .gql("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(data(&res)["__schema"]["queryType"]["name"], "Query");
    let resp = plain.http.get(plain.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn kubernetes_service_links_do_not_stop_the_server() {
    let db = TestDb::fresh().await;
    let links = [
        ("ROSTER_PORT", "tcp://10.0.0.7:8080"),
        ("ROSTER_PORT_8080_TCP", "tcp://10.0.0.7:8080"),
        ("ROSTER_PORT_8080_TCP_ADDR", "10.0.0.7"),
        ("ROSTER_PORT_8080_TCP_PORT", "8080"),
        ("ROSTER_PORT_8080_TCP_PROTO", "tcp"),
        ("ROSTER_SERVICE_HOST", "10.0.0.7"),
        ("ROSTER_SERVICE_PORT", "8080"),
        ("ROSTER_SERVICE_PORT_HTTP", "8080"),
    ];
    let server = TestServer::serve_with_env(db, &links).await;
    let resp = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    // A real typo still stops start-up, naming the setting.
    let db = TestDb::fresh().await;
    let out = roster(&db, &["migrate"], &[("ROSTER_LISTNE", "0.0.0.0:8080")]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("ROSTER_LISTNE"), "{}", stderr(&out));
}

fn cost_refusal(res: &serde_json::Value) -> (u64, u64) {
    let err = &res["errors"][0];
    assert_eq!(err["extensions"]["code"], "COST_LIMIT_EXCEEDED", "{res}");
    assert!(res.get("data").is_none() || res["data"].is_null(), "{res}");
    let message = err["message"].as_str().unwrap_or_default();
    let cost = err["extensions"]["cost"].as_u64().unwrap();
    let limit = err["extensions"]["limit"].as_u64().unwrap();
    assert!(
        message.contains(&cost.to_string()) && message.contains(&limit.to_string()),
        "{message}"
    );
    assert!(cost > limit);
    (cost, limit)
}

#[tokio::test]
async fn query_cost_counts_pages_and_refuses_bombs() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;

    // An everyday page runs and reports its cost.
    let res = admin
        .gql(
            "{ customers(first: 50) { totalCount nodes { id email company { name } } } }",
            json!({}),
        )
        .await;
    data(&res);
    let cost = &res["extensions"]["cost"];
    // 1 + 50 × (totalCount 1 + nodes (1 + id + email + company (1 + name)))
    assert_eq!(cost["requested"], 1 + 50 * (1 + 1 + 1 + 1 + 2), "{res}");
    assert_eq!(cost["limit"], 25_000);
    assert!(cost["actual"].as_u64().unwrap() >= 2, "{res}");

    // Page size counts: the same selection at 100 costs about twice as much.
    let res = admin
        .gql("{ customers(first: 100) { nodes { id } } }", json!({}))
        .await;
    assert_eq!(res["extensions"]["cost"]["requested"], 1 + 100 * 2);

    // Cycles multiply through nesting.
    for bomb in [
        "{ companies(first: 100) { nodes { employees(first: 100) { nodes { company { employees(first: 100) { nodes { id } } } } } } } }",
        "{ users(first: 100) { nodes { groups(first: 100) { nodes { users(first: 100) { nodes { groups(first: 100) { nodes { id } } } } } } } } }",
    ] {
        let (cost, limit) = cost_refusal(&admin.gql(bomb, json!({})).await);
        assert_eq!(limit, 25_000);
        assert!(cost > 1_000_000, "{cost}");
    }
    // Aliases add up.
    let mut aliases = String::from("{");
    for i in 0..100 {
        aliases.push_str(&format!(
            " a{i}: customers(first: 100) {{ nodes {{ id email }} }}"
        ));
    }
    aliases.push('}');
    let (cost, _) = cost_refusal(&admin.gql(&aliases, json!({})).await);
    assert_eq!(cost, 100 * (1 + 100 * 3));
    // Fragments are expanded.
    let fragments =
        "query { a: customers(first: 100) { ...Page } b: customers(first: 100) { ...Page } }
        fragment Page on CustomerConnection { nodes { ...Person company { ...Firm } } }
        fragment Person on Customer { id email firstName lastName jobTitle department notes }
        fragment Firm on Company { name employees(first: 100) { nodes { ...Person } } }";
    cost_refusal(&admin.gql(fragments, json!({})).await);

    // Each operation of a batch has its own budget.
    let resp = admin
        .post()
        .json(&json!([
            { "query": "{ customers(first: 10) { nodes { id } } }" },
            { "query": aliases },
        ]))
        .send()
        .await
        .unwrap();
    let batch: serde_json::Value = resp.json().await.unwrap();
    assert!(batch[0]["errors"].is_null(), "{batch}");
    assert_eq!(batch[0]["extensions"]["cost"]["requested"], 1 + 10 * 2);
    cost_refusal(&batch[1]);

    // The budget is a setting.
    let small = TestServer::start_with(&["--max-query-cost", "50"]).await;
    let admin = small.super_admin().await;
    let res = admin
        .gql("{ customers(first: 10) { nodes { id email } } }", json!({}))
        .await;
    assert_eq!(res["extensions"]["cost"]["limit"], 50, "{res}");
    let (cost, limit) = cost_refusal(
        &admin
            .gql("{ customers(first: 20) { nodes { id email } } }", json!({}))
            .await,
    );
    assert_eq!((cost, limit), (61, 50));
}

const LOGIN: &str =
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";

/// The RATE_LIMITED error of a response, with its retryAfter.
fn rate_limited(res: &serde_json::Value) -> Option<u64> {
    res["errors"]
        .as_array()?
        .iter()
        .find(|e| e["extensions"]["code"] == "RATE_LIMITED")
        .map(|e| e["extensions"]["retryAfter"].as_u64().expect("retryAfter"))
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_email_and_address() {
    let server = TestServer::start_with(&[
        "--login-limit-per-email",
        "3",
        "--login-limit-per-address",
        "8",
    ])
    .await;
    let anonymous = server.anonymous();
    for attempt in 1..=3 {
        let res = anonymous
            .gql(LOGIN, json!({ "e": ADMIN_EMAIL, "p": "wrong password" }))
            .await;
        assert_eq!(
            error_code(&res),
            "UNAUTHENTICATED",
            "attempt {attempt}: {res}"
        );
    }
    // The fourth is refused even with the right password, with Retry-After.
    let resp = anonymous
        .post()
        .json(&json!({ "query": LOGIN, "variables": { "e": ADMIN_EMAIL, "p": ADMIN_PASSWORD } }))
        .send()
        .await
        .unwrap();
    let retry: u64 = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After header");
    let res: serde_json::Value = resp.json().await.unwrap();
    let after = rate_limited(&res).expect("RATE_LIMITED");
    assert!(after > 0 && after <= 15 * 60 && retry == after, "{res}");

    // Aliases count one attempt each: one request cannot carry many guesses.
    let mut doc = String::from("mutation {");
    for i in 0..6 {
        doc.push_str(&format!(
            " a{i}: login(email: \"guess{i}@acme.test\", password: \"wrong password\") {{ token }}"
        ));
    }
    doc.push('}');
    let res = anonymous.gql(&doc, json!({})).await;
    // 3 attempts counted so far from this address (the refused fourth
    // stopped at its email), limit 8: a0..a4 are checked, a5 is the ninth.
    assert!(rate_limited(&res).is_some(), "{res}");
    let limited = res["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["extensions"]["code"] == "RATE_LIMITED")
        .count();
    assert_eq!(limited, 1, "{res}");

    // Portal sign-ins count too.
    let res = anonymous
        .gql(
            "mutation { portalLogin(input: { accountId: \"x\", email: \"c@x.test\", password: \"p\" }) { token } }",
            json!({}),
        )
        .await;
    assert!(rate_limited(&res).is_some(), "{res}");
}

#[tokio::test]
async fn a_token_has_a_request_budget() {
    let server = TestServer::start_with(&["--request-limit-per-token", "5"]).await;
    let admin = server.super_admin().await;
    for _ in 0..5 {
        data(&admin.gql("{ viewer { email } }", json!({})).await);
    }
    let resp = admin
        .post()
        .json(&json!({ "query": "{ viewer { email } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().get("retry-after").is_some());
    let res: serde_json::Value = resp.json().await.unwrap();
    assert!(rate_limited(&res).is_some(), "{res}");
    // Another session is not affected.
    let other = server.other_account().await;
    data(&other.gql("{ viewer { email } }", json!({})).await);
}

/// With Redis (CI's PostgreSQL run) instances share their counts; without
/// it (the default run) each counts in memory.
#[tokio::test]
async fn limits_hold_across_instances_with_redis() {
    let shared = std::env::var("REDIS_URL").is_ok();
    let first = TestServer::start_with(&["--login-limit-per-email", "4"]).await;
    let second = first
        .another_instance_with(&["--login-limit-per-email", "4"])
        .await;
    let email = format!("nobody-{}@acme.test", uuid::Uuid::now_v7().simple());
    for (i, server) in [&first, &second, &first, &second].into_iter().enumerate() {
        let res = server
            .anonymous()
            .gql(LOGIN, json!({ "e": email, "p": "wrong password" }))
            .await;
        assert_eq!(error_code(&res), "UNAUTHENTICATED", "attempt {i}: {res}");
    }
    for server in [&first, &second] {
        let res = server
            .anonymous()
            .gql(LOGIN, json!({ "e": email, "p": "wrong password" }))
            .await;
        if shared {
            assert!(rate_limited(&res).is_some(), "{res}");
        } else {
            // Without Redis each instance counts its own two attempts.
            assert_eq!(error_code(&res), "UNAUTHENTICATED", "{res}");
        }
    }
}

#[tokio::test]
async fn slow_statements_are_logged_with_the_request_id() {
    let server = TestServer::start_with(&["--slow-statement", "0s"]).await;
    let admin = server.super_admin().await;
    let resp = admin
        .post()
        .header("x-request-id", "trace-me-4711")
        .json(&json!({ "query": "{ customers(first: 5) { nodes { id } } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let log = server.log();
    let line = log
        .lines()
        .find(|l| l.contains("slow SQL statement") && l.contains("customers"))
        .unwrap_or_else(|| panic!("no slow statement in the log:\n{log}"));
    assert!(line.contains("trace-me-4711"), "{line}");
    assert!(line.contains("elapsed_ms"), "{line}");

    // Not below the threshold.
    let quiet = TestServer::start_with(&["--slow-statement", "1h"]).await;
    let admin = quiet.super_admin().await;
    data(
        &admin
            .gql("{ customers(first: 5) { nodes { id } } }", json!({}))
            .await,
    );
    assert!(!quiet.log().contains("slow SQL statement"));
}

#[tokio::test]
async fn metrics_count_operations_latency_pool_and_outbox() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    for _ in 0..2 {
        let resp = admin
            .post()
            .json(&json!({ "query": "query Directory { customers(first: 2) { nodes { id } } }", "operationName": "Directory" }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    admin.gql("{ nope }", json!({})).await;
    let text = server.metrics_text().await;
    for expected in [
        "roster_graphql_operations_total{operation=\"Directory\",outcome=\"ok\"} 2",
        "roster_graphql_operations_total{operation=\"anonymous\",outcome=\"refused\"} 1",
        "roster_graphql_request_duration_seconds_bucket{le=",
        "roster_graphql_request_duration_seconds_count ",
        "roster_db_statements_total ",
        "roster_db_statement_seconds_total ",
        "roster_db_pool_connections ",
        "roster_db_pool_idle_connections ",
        "roster_websocket_operations_open 0",
        "roster_import_rows_written_total 0",
        "roster_outbox_messages_waiting 0",
        "roster_outbox_oldest_message_age_seconds 0",
    ] {
        assert!(text.contains(expected), "no {expected} in:\n{text}");
    }
}

#[tokio::test]
async fn sigterm_fails_readiness_first_then_exits_cleanly() {
    let server = TestServer::start_with(&["--shutdown-delay", "2s"]).await;
    let ready = server.http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let admin = server.super_admin().await;
    server.terminate().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // Still serving during the delay, but no longer ready.
    let ready = server.http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["reason"], "shutting down");
    let res = admin.gql("{ viewer { email } }", json!({})).await;
    assert_eq!(data(&res)["viewer"]["email"], ADMIN_EMAIL);
    let (status, _) = server.exited().await;
    assert!(status.success(), "exit status {status:?}");
}
