//! Persisted queries (Apollo's protocol, over POST and GET) and trusted
//! documents. With `REDIS_URL` (CI's PostgreSQL run), a hash learnt by
//! one instance is known to another.

use serde_json::{json, Value};

use crate::harness::*;

const VIEWER: &str = "query Me { viewer { email } }";
const RENAME: &str =
    "mutation Rename { createGroup(input: { name: \"Persisted\" }) { group { name } } }";

fn sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn extension(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

async fn post(client: &Client, body: Value) -> Value {
    let res = client.post().json(&body).send().await.expect("request");
    res.json().await.expect("JSON response")
}

async fn get(client: &Client, params: &[(&str, String)]) -> (u16, Value) {
    let mut req = client
        .http
        .get(&client.url)
        .query(params)
        .header("accept", "application/graphql-response+json");
    if let Some(token) = &client.token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.expect("JSON response"))
}

#[tokio::test]
async fn automatic_persisted_queries_over_post_and_get() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let hash = sha256(VIEWER);

    // Unknown hash: the code and message Apollo's link looks for.
    let res = post(&admin, json!({ "extensions": extension(&hash) })).await;
    assert_eq!(error_code(&res), "PERSISTED_QUERY_NOT_FOUND", "{res}");
    assert_eq!(res["errors"][0]["message"], "PersistedQueryNotFound");
    let (_, res) = get(&admin, &[("extensions", extension(&hash).to_string())]).await;
    assert_eq!(error_code(&res), "PERSISTED_QUERY_NOT_FOUND", "{res}");

    // A wrong hash for the text is refused and learns nothing.
    let res = post(
        &admin,
        json!({ "query": VIEWER, "extensions": extension(&sha256("{ other }")) }),
    )
    .await;
    assert_eq!(error_code(&res), "BAD_USER_INPUT", "{res}");
    let res = post(
        &admin,
        json!({ "extensions": extension(&sha256("{ other }")) }),
    )
    .await;
    assert_eq!(error_code(&res), "PERSISTED_QUERY_NOT_FOUND", "{res}");

    // Hash and text: runs and is learnt; then the hash alone runs, over
    // POST and over GET.
    let res = post(
        &admin,
        json!({ "query": VIEWER, "extensions": extension(&hash) }),
    )
    .await;
    assert_eq!(res["data"]["viewer"]["email"], ADMIN_EMAIL, "{res}");
    let res = post(&admin, json!({ "extensions": extension(&hash) })).await;
    assert_eq!(res["data"]["viewer"]["email"], ADMIN_EMAIL, "{res}");
    let (status, res) = get(
        &admin,
        &[
            ("extensions", extension(&hash).to_string()),
            ("operationName", "Me".into()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["data"]["viewer"]["email"], ADMIN_EMAIL, "{res}");

    // A mutation learnt over POST does not run by its hash over GET.
    let rename = sha256(RENAME);
    let res = post(
        &admin,
        json!({ "query": RENAME, "extensions": extension(&rename) }),
    )
    .await;
    assert_eq!(
        res["data"]["createGroup"]["group"]["name"], "Persisted",
        "{res}"
    );
    let (_, res) = get(&admin, &[("extensions", extension(&rename).to_string())]).await;
    assert_eq!(error_code(&res), "BAD_USER_INPUT", "{res}");
    assert!(res.get("data").is_none_or(Value::is_null), "{res}");

    // Malformed extensions are bad input, not a server error.
    for ext in [
        json!({ "persistedQuery": { "version": 2, "sha256Hash": hash } }),
        json!({ "persistedQuery": { "version": 1, "sha256Hash": "xyz" } }),
        json!({ "persistedQuery": "yes" }),
    ] {
        let res = post(&admin, json!({ "extensions": ext })).await;
        assert_eq!(error_code(&res), "BAD_USER_INPUT", "{res}");
    }

    // Another instance: with Redis the hash is shared; without it, each
    // instance learns on its own.
    let second = server.another_instance().await;
    let other = second.with_token(admin.token.as_deref().unwrap());
    let res = post(&other, json!({ "extensions": extension(&hash) })).await;
    if std::env::var_os("REDIS_URL").is_some() {
        assert_eq!(res["data"]["viewer"]["email"], ADMIN_EMAIL, "{res}");
    } else {
        assert_eq!(error_code(&res), "PERSISTED_QUERY_NOT_FOUND", "{res}");
    }
}

#[tokio::test]
async fn trusted_documents_run_only_registered_operations() {
    let db = bootstrapped().await;
    let manifest = db.dir.path().join("persisted-documents.json");
    let login =
        "mutation SignIn($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
    let apollo = json!({
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            { "id": sha256(VIEWER), "name": "Me", "type": "query", "body": VIEWER },
            { "id": sha256(login), "name": "SignIn", "type": "mutation", "body": login },
        ]
    });
    std::fs::write(&manifest, apollo.to_string()).unwrap();
    let path = manifest.to_string_lossy().into_owned();
    let server =
        TestServer::serve_with_env(db, &[("ROSTER_TRUSTED_DOCUMENTS", path.as_str())]).await;

    // Registered: by hash, and by exact text.
    let anonymous = server.anonymous();
    let vars = json!({ "e": ADMIN_EMAIL, "p": ADMIN_PASSWORD });
    let res = post(
        &anonymous,
        json!({ "extensions": extension(&sha256(login)), "variables": vars }),
    )
    .await;
    let token = res["data"]["login"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned();
    let admin = server.with_token(&token);
    let res = post(&admin, json!({ "query": VIEWER })).await;
    assert_eq!(res["data"]["viewer"]["email"], ADMIN_EMAIL, "{res}");
    let (_, res) = get(
        &admin,
        &[("extensions", extension(&sha256(VIEWER)).to_string())],
    )
    .await;
    assert_eq!(res["data"]["viewer"]["email"], ADMIN_EMAIL, "{res}");

    // Anything else is refused, and automatic persisted queries learn
    // nothing new.
    let other = "{ viewer { id } }";
    for body in [
        json!({ "query": other }),
        json!({ "query": other, "extensions": extension(&sha256(other)) }),
        json!({ "extensions": extension(&sha256(other)) }),
        json!({ "query": other, "extensions": extension(&sha256(VIEWER)) }),
    ] {
        let res = post(&admin, body.clone()).await;
        assert_eq!(
            error_code(&res),
            "PERSISTED_QUERY_NOT_IN_LIST",
            "{body} → {res}"
        );
    }
}

#[tokio::test]
async fn a_bad_trusted_documents_file_stops_the_server_with_a_clear_message() {
    let db = bootstrapped().await;
    let manifest = db.dir.path().join("bad.json");
    std::fs::write(&manifest, "{ \"abc\": 42 }").unwrap();
    let out = roster(
        &db,
        &["serve", "--listen", "127.0.0.1:0"],
        &[("ROSTER_TRUSTED_DOCUMENTS", manifest.to_str().unwrap())],
    )
    .await;
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("ROSTER_TRUSTED_DOCUMENTS"), "{err}");
    assert!(err.contains("not a string"), "{err}");
}
