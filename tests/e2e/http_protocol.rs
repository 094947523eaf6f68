//! GraphQL over HTTP: pages, health checks, content negotiation, limits, and
//! a typed error (never a 500) for every kind of bad request.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::harness::*;

/// What GraphiQL sends on load (graphql-js `getIntrospectionQuery` with every
/// option on, and a deeper `ofType` chain than it uses).
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    description
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL
  fields(includeDeprecated: true) {
    name description args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name description type { ...TypeRef } defaultValue isDeprecated deprecationReason
}
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}"#;

async fn post_raw(
    server: &TestServer,
    content_type: &str,
    accept: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (StatusCode, String, Value) {
    let mut req = server
        .http
        .post(server.url("/graphql"))
        .header("content-type", content_type)
        .body(body);
    if let Some(accept) = accept {
        req = req.header("accept", accept);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = res.text().await.unwrap();
    let json =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, ct, json)
}

#[tokio::test]
async fn health_readiness_and_graphiql() {
    let server = TestServer::start().await;
    let res = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({ "status": "ok" })
    );
    let res = server.http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ready");

    for path in ["/", "/graphiql"] {
        let res = server.http.get(server.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let html = res.text().await.unwrap();
        assert!(
            html.contains("graphiql") && html.contains("/graphql/ws"),
            "{path}: {html}"
        );
        assert!(
            !html.contains("https://"),
            "{path}: GraphiQL must not need the internet"
        );
        assert!(
            html.contains("startCustomerImport"),
            "{path}: the CSV upload panel is there"
        );
    }
    for (asset, kind) in [
        ("graphiql.min.js", "text/javascript"),
        ("graphiql.min.css", "text/css"),
        ("react.production.min.js", "text/javascript"),
        ("react-dom.production.min.js", "text/javascript"),
        ("graphql-ws.min.js", "text/javascript"),
    ] {
        let url = server.url(&format!("/graphiql/assets/{asset}"));
        let res = server.http.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200, "{asset}");
        let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with(kind), "{asset}: {ct}");
        assert!(res.bytes().await.unwrap().len() > 1000, "{asset}");
    }
    let res = server
        .http
        .get(server.url("/graphiql/assets/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = server
        .http
        .get(server.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("graphiql"));
}

#[tokio::test]
async fn queries_work_over_get_but_mutations_do_not() {
    let server = TestServer::start().await;
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let res = server
        .http
        .get(server.url("/graphql"))
        .query(&[
            ("query", "query Me { viewer { email } }"),
            ("operationName", "Me"),
        ])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["data"]["viewer"]["email"],
        ADMIN_EMAIL
    );

    // Anonymous, or named without `operationName` (it ran before).
    for mutation in [
        "mutation { logout { ended } }",
        "mutation SignOut { logout { ended } }",
    ] {
        let res = server
            .http
            .get(server.url("/graphql"))
            .query(&[("query", mutation)])
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 405, "{mutation}");
        assert_eq!(res.headers()["allow"], "POST");
        let body: Value = res.json().await.unwrap();
        assert_eq!(error_code(&body), "BAD_USER_INPUT");
    }
    // The session survived: the mutation did not run.
    let res = server
        .with_token(&token)
        .gql("{ viewer { email } }", json!({}))
        .await;
    assert_eq!(res["data"]["viewer"]["email"], ADMIN_EMAIL);
}

#[tokio::test]
async fn bad_requests_get_typed_errors_never_a_500() {
    let server = TestServer::start().await;
    let json_ct = "application/json";
    let cases: Vec<(&str, String, &str)> = vec![
        ("malformed JSON", "{\"query\": ".into(), "BAD_USER_INPUT"),
        ("not an object", "[1, 2]".into(), "BAD_USER_INPUT"),
        ("no query", "{\"variables\": {}}".into(), "GRAPHQL_PARSE_FAILED"),
        ("syntax error", json!({ "query": "{ viewer { " }).to_string(), "GRAPHQL_PARSE_FAILED"),
        ("unknown field", json!({ "query": "{ viewer { nope } }" }).to_string(), "GRAPHQL_VALIDATION_FAILED"),
        (
            "literal of the wrong type",
            json!({ "query": "mutation { login(email: 5, password: \"x\") { token } }" }).to_string(),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "wrong variable type",
            json!({ "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }", "variables": { "e": 5, "p": [] } }).to_string(),
            "BAD_USER_INPUT",
        ),
        // async-graphql judges the variable's value (true is no ID), as for
        // any bad variable value: bad data.
        (
            "variable used at the wrong type",
            json!({ "query": "query($x: Boolean!) { node(id: $x) { id } }", "variables": { "x": true } }).to_string(),
            "BAD_USER_INPUT",
        ),
        ("unknown operation name", json!({ "query": "query A { __typename }", "operationName": "B" }).to_string(), "BAD_USER_INPUT"),
    ];
    for (name, body, code) in cases {
        let (status, ct, res) = post_raw(&server, json_ct, None, body.clone()).await;
        assert!(
            status.is_client_error() || status == 200,
            "{name}: status {status}"
        );
        assert!(ct.starts_with("application/json"), "{name}: {ct}");
        assert_eq!(error_code(&res), code, "{name}: {res}");

        let (status, ct, res) = post_raw(
            &server,
            json_ct,
            Some("application/graphql-response+json"),
            body,
        )
        .await;
        assert_eq!(
            status, 400,
            "{name}: request errors are 400 with graphql-response+json"
        );
        assert!(
            ct.starts_with("application/graphql-response+json"),
            "{name}: {ct}"
        );
        assert_eq!(error_code(&res), code, "{name}: {res}");
        assert!(
            res.get("data").is_none(),
            "{name}: a request error has no data entry: {res}"
        );
    }

    let (status, _, res) = post_raw(&server, "text/plain", None, "{ viewer { id } }").await;
    assert_eq!(status, 415);
    assert_eq!(error_code(&res), "BAD_USER_INPUT");

    let res = server
        .http
        .post(server.url("/graphql"))
        .header("accept", "text/csv")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 406);
}

#[tokio::test]
async fn field_errors_keep_status_200_with_graphql_response_json() {
    let server = TestServer::start().await;
    let (status, _, res) = post_raw(
        &server,
        "application/json",
        Some("application/graphql-response+json"),
        json!({ "query": "{ viewer { email } }" }).to_string(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(error_code(&res), "UNAUTHENTICATED");
    assert_eq!(res["data"], json!({ "viewer": null }));
}

#[tokio::test]
async fn limits_are_enforced_with_clear_errors() {
    let server = TestServer::start().await;
    let client = server.super_admin().await;

    let deep = format!(
        "{{ __schema {{ types {{ {}name{} }} }} }}",
        "ofType { ".repeat(25),
        " }".repeat(25)
    );
    let res = client.gql(&deep, json!({})).await;
    assert_eq!(error_code(&res), "LIMIT_EXCEEDED", "{res}");
    assert!(res["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("too deep"));

    // 13,000 × (viewer + id) is over the 25,000-point cost budget.
    let wide: String = (0..13_000)
        .map(|i| format!("a{i}: viewer {{ id }} "))
        .collect();
    let res = client.gql(&format!("{{ {wide} }}"), json!({})).await;
    assert_eq!(
        error_code(&res),
        "COST_LIMIT_EXCEEDED",
        "{}",
        &res.to_string()[..200.min(res.to_string().len())]
    );

    let huge = json!({ "query": format!("{{ __typename }} #{}", "x".repeat(8 * 1024 * 1024 + 1)) })
        .to_string();
    let (status, _, res) = post_raw(&server, "application/json", None, huge).await;
    assert_eq!(status, 413);
    assert_eq!(error_code(&res), "LIMIT_EXCEEDED");

    let batch: Vec<Value> = (0..21)
        .map(|_| json!({ "query": "{ __typename }" }))
        .collect();
    let (status, _, res) = post_raw(
        &server,
        "application/json",
        None,
        serde_json::to_string(&batch).unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&res), "LIMIT_EXCEEDED");

    let batch: Vec<Value> = (0..2)
        .map(|_| json!({ "query": "{ viewer { email } }" }))
        .collect();
    let res: Value = client
        .post()
        .json(&batch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        res[1]["data"]["viewer"]["email"], ADMIN_EMAIL,
        "batches run: {res}"
    );
}

#[tokio::test]
async fn graphiql_introspection_passes_the_limits() {
    let server = TestServer::start().await;
    let res = server.anonymous().gql(INTROSPECTION, json!({})).await;
    assert!(res.get("errors").is_none(), "{res}");
    let types = res["data"]["__schema"]["types"].as_array().expect("types");
    for name in [
        "Query",
        "Mutation",
        "Subscription",
        "User",
        "Node",
        "UserError",
    ] {
        assert!(types.iter().any(|t| t["name"] == name), "{name} missing");
    }
}

#[tokio::test]
async fn a_failing_field_is_null_and_its_siblings_still_resolve() {
    let server = TestServer::start().await;
    let client = server.super_admin().await;
    let res = client
        .gql("{ viewer { email } node(id: \"bad\") { id } }", json!({}))
        .await;
    assert_eq!(
        res["data"],
        json!({ "viewer": { "email": ADMIN_EMAIL }, "node": null }),
        "{res}"
    );
    assert_eq!(res["errors"][0]["path"], json!(["node"]));
    assert_eq!(error_code(&res), "BAD_USER_INPUT");
}
