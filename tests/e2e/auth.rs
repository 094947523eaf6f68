//! Signing in and out, and what a token can and cannot do.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::harness::*;

const LOGIN: &str = "mutation($e: String!, $p: String!) {
  login(email: $e, password: $p) {
    token expiresAt
    user { id email firstName lastName fullName role status account { id name } }
    userErrors { field code message }
  }
}";
const VIEWER: &str = "{ viewer { email role account { name } } }";

#[tokio::test]
async fn login_returns_a_token_that_authenticates_the_viewer() {
    let server = TestServer::start().await;
    let res = server
        .anonymous()
        .gql(LOGIN, json!({ "e": ADMIN_EMAIL, "p": ADMIN_PASSWORD }))
        .await;
    let login = &res["data"]["login"];
    assert_eq!(login["userErrors"], json!([]), "{res}");
    assert_eq!(login["user"]["email"], ADMIN_EMAIL);
    assert_eq!(login["user"]["role"], "SUPER_ADMIN");
    assert_eq!(login["user"]["status"], "ACTIVE");
    assert_eq!(login["user"]["account"]["name"], "Acme");
    let expires = login["expiresAt"].as_str().expect("expiresAt");
    let expires = chrono::DateTime::parse_from_rfc3339(expires).expect("RFC 3339");
    let hours =
        (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!(
        (11.9..=12.1).contains(&hours),
        "default TTL is 12h, got {hours}h"
    );

    let token = login["token"].as_str().expect("token");
    let res = server.with_token(token).gql(VIEWER, json!({})).await;
    assert_eq!(res["data"]["viewer"]["email"], ADMIN_EMAIL, "{res}");
    assert_eq!(res["data"]["viewer"]["account"]["name"], "Acme");
}

#[tokio::test]
async fn email_is_case_insensitive_at_login() {
    let server = TestServer::start().await;
    let token = server.login("  ADMIN@Acme.Test ", ADMIN_PASSWORD).await;
    assert!(token.starts_with("rst_"));
}

#[tokio::test]
async fn wrong_email_and_wrong_password_give_the_same_error() {
    let server = TestServer::start().await;
    let client = server.anonymous();
    let wrong_password = client
        .gql(LOGIN, json!({ "e": ADMIN_EMAIL, "p": "not the password" }))
        .await;
    let wrong_email = client
        .gql(
            LOGIN,
            json!({ "e": "nobody@acme.test", "p": ADMIN_PASSWORD }),
        )
        .await;
    assert_eq!(error_code(&wrong_password), "UNAUTHENTICATED");
    assert_eq!(error_code(&wrong_email), "UNAUTHENTICATED");
    assert_eq!(
        wrong_password["errors"][0]["message"],
        wrong_email["errors"][0]["message"]
    );
    assert_eq!(wrong_password["data"], json!(null));
}

#[tokio::test]
async fn blank_credentials_are_user_errors() {
    let server = TestServer::start().await;
    let res = server
        .anonymous()
        .gql(LOGIN, json!({ "e": " ", "p": "" }))
        .await;
    let errors = &res["data"]["login"]["userErrors"];
    assert_eq!(
        errors[0],
        json!({ "field": ["email"], "code": "BLANK", "message": "can't be blank" }),
        "{res}"
    );
    assert_eq!(errors[1]["field"], json!(["password"]));
    assert_eq!(res["data"]["login"]["token"], json!(null));
}

#[tokio::test]
async fn unauthenticated_and_bad_tokens_are_refused() {
    let server = TestServer::start().await;
    let res = server.anonymous().gql(VIEWER, json!({})).await;
    assert_eq!(error_code(&res), "UNAUTHENTICATED", "{res}");
    assert_eq!(res["data"]["viewer"], json!(null));

    let forged = format!("rst_{}", "A".repeat(43));
    for token in ["garbage", forged.as_str()] {
        let res = server.with_token(token).gql(VIEWER, json!({})).await;
        assert_eq!(error_code(&res), "UNAUTHENTICATED", "token {token}: {res}");
    }

    let res: serde_json::Value = server
        .http
        .post(server.url("/graphql"))
        .header("Authorization", "Basic YWRtaW46cHc=")
        .json(&json!({ "query": VIEWER }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error_code(&res), "UNAUTHENTICATED", "{res}");
}

#[tokio::test]
async fn a_stale_token_does_not_prevent_signing_in_again() {
    let server = TestServer::start().await;
    let stale = server.with_token(&format!("rst_{}", "B".repeat(43)));
    let res = stale
        .gql(LOGIN, json!({ "e": ADMIN_EMAIL, "p": ADMIN_PASSWORD }))
        .await;
    assert!(res["data"]["login"]["token"].is_string(), "{res}");
}

#[tokio::test]
async fn logout_ends_only_that_session() {
    let server = TestServer::start().await;
    let first = server.super_admin().await;
    let second = server.super_admin().await;

    let res = first
        .gql(
            "mutation { logout { ended userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(res["data"]["logout"]["ended"], true, "{res}");

    let res = first.gql(VIEWER, json!({})).await;
    assert_eq!(error_code(&res), "UNAUTHENTICATED");
    let res = second.gql(VIEWER, json!({})).await;
    assert_eq!(res["data"]["viewer"]["email"], ADMIN_EMAIL, "{res}");

    let res = first.gql("mutation { logout { ended } }", json!({})).await;
    assert_eq!(error_code(&res), "UNAUTHENTICATED");
}

#[tokio::test]
async fn tokens_expire() {
    let server = TestServer::start_with(&["--session-ttl", "1s"]).await;
    let client = server.super_admin().await;
    let res = client.gql(VIEWER, json!({})).await;
    assert_eq!(res["data"]["viewer"]["email"], ADMIN_EMAIL, "{res}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let res = client.gql(VIEWER, json!({})).await;
    assert_eq!(error_code(&res), "UNAUTHENTICATED", "{res}");
}

#[tokio::test]
async fn tokens_and_passwords_are_stored_hashed() {
    let server = TestServer::start().await;
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let db = server.db.connect().await;
    let backend = db.get_database_backend();

    let rows = db
        .query_all(Statement::from_string(
            backend,
            "SELECT token_hash FROM sessions",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let stored: String = rows[0].try_get("", "token_hash").unwrap();
    assert_ne!(stored, token);
    assert!(!stored.contains(&token[4..]));
    assert_eq!(stored.len(), 64, "a SHA-256 hex digest");

    let rows = db
        .query_all(Statement::from_string(
            backend,
            "SELECT password_hash FROM users",
        ))
        .await
        .unwrap();
    let hash: String = rows[0].try_get("", "password_hash").unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(ADMIN_PASSWORD));
}

#[tokio::test]
async fn suspended_users_cannot_sign_in_or_use_their_sessions() {
    let server = TestServer::start().await;
    let client = server.super_admin().await;
    let db = server.db.connect().await;
    db.execute_unprepared("UPDATE users SET status = 'SUSPENDED'")
        .await
        .unwrap();

    let res = client.gql(VIEWER, json!({})).await;
    assert_eq!(error_code(&res), "UNAUTHENTICATED", "{res}");
    let res = server
        .anonymous()
        .gql(LOGIN, json!({ "e": ADMIN_EMAIL, "p": ADMIN_PASSWORD }))
        .await;
    assert_eq!(error_code(&res), "FORBIDDEN", "{res}");
    let res = server
        .anonymous()
        .gql(LOGIN, json!({ "e": ADMIN_EMAIL, "p": "wrong password" }))
        .await;
    assert_eq!(
        error_code(&res),
        "UNAUTHENTICATED",
        "a wrong password reveals nothing: {res}"
    );
}
