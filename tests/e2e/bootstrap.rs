//! `roster bootstrap`: scripted set-up, idempotent, never a second super
//! admin by accident.

use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::harness::*;

async fn count(db: &TestDb, sql: &str) -> i64 {
    let conn = db.connect().await;
    let row = conn
        .query_one(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

const SUPER_ADMINS: &str = "SELECT COUNT(*) FROM users WHERE role = 'SUPER_ADMIN'";

#[tokio::test]
async fn bootstrap_twice_changes_nothing_and_never_adds_a_second_super_admin() {
    let db = TestDb::fresh().await;
    let args = [
        "bootstrap",
        "--account",
        "Acme",
        "--email",
        ADMIN_EMAIL,
        "--password",
        ADMIN_PASSWORD,
    ];
    let first = roster(&db, &args, &[]).await;
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("Created account \"Acme\""),
        "{}",
        stdout(&first)
    );

    let again = roster(
        &db,
        &[
            "bootstrap",
            "--account",
            "acme",
            "--email",
            "Admin@Acme.test",
            "--password",
            "another password!",
        ],
        &[],
    )
    .await;
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("nothing was changed"),
        "{}",
        stdout(&again)
    );

    let second_admin = roster(
        &db,
        &[
            "bootstrap",
            "--account",
            "ACME",
            "--email",
            "intruder@acme.test",
            "--password",
            ADMIN_PASSWORD,
        ],
        &[],
    )
    .await;
    assert!(!second_admin.status.success());
    let err = stderr(&second_admin);
    assert!(
        err.contains("already exists") && err.contains(ADMIN_EMAIL),
        "{err}"
    );

    assert_eq!(count(&db, SUPER_ADMINS).await, 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM accounts").await, 1);

    // The original password still works; the second one was ignored.
    let server = TestServer::serve(db, &[]).await;
    server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
}

#[tokio::test]
async fn a_generated_password_is_printed_once_and_works() {
    let db = TestDb::fresh().await;
    let out = roster(
        &db,
        &[
            "bootstrap",
            "--account",
            "Initech",
            "--email",
            "peter@initech.test",
        ],
        &[],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let password = text
        .lines()
        .find_map(|l| l.split("store it now): ").nth(1))
        .unwrap_or_else(|| panic!("no generated password in: {text}"))
        .trim()
        .to_owned();
    assert!(password.len() >= 20, "{password}");
    assert!(
        text.contains("login(email: \"peter@initech.test\""),
        "{text}"
    );

    let server = TestServer::serve(db, &[]).await;
    let token = server.login("peter@initech.test", &password).await;
    let res = server
        .with_token(&token)
        .gql("{ viewer { role account { name } } }", json!({}))
        .await;
    assert_eq!(
        res["data"]["viewer"],
        json!({ "role": "SUPER_ADMIN", "account": { "name": "Initech" } })
    );
}

#[tokio::test]
async fn the_password_can_come_from_the_environment() {
    let db = TestDb::fresh().await;
    let out = roster(
        &db,
        &[
            "bootstrap",
            "--account",
            "Hooli",
            "--email",
            "gavin@hooli.test",
        ],
        &[("ROSTER_ADMIN_PASSWORD", "from the environment")],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !stdout(&out).contains("from the environment"),
        "a given password is never printed"
    );
    let server = TestServer::serve(db, &[]).await;
    server
        .login("gavin@hooli.test", "from the environment")
        .await;
}

#[tokio::test]
async fn bad_bootstrap_input_is_refused_with_the_field_named() {
    let db = TestDb::fresh().await;
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "--account",
                "A",
                "--email",
                "admin@localhost",
                "--password",
                ADMIN_PASSWORD,
            ],
            "email",
        ),
        (
            &[
                "--account",
                "A",
                "--email",
                "a@b.test",
                "--password",
                "short",
            ],
            "password",
        ),
        (
            &[
                "--account",
                " ",
                "--email",
                "a@b.test",
                "--password",
                ADMIN_PASSWORD,
            ],
            "account",
        ),
        (
            &[
                "--account",
                "A",
                "--email",
                "a@b.test",
                "--password",
                ADMIN_PASSWORD,
                "--first-name",
                &"x".repeat(33),
            ],
            "firstName",
        ),
    ];
    for (args, field) in cases {
        let mut full = vec!["bootstrap"];
        full.extend_from_slice(args);
        let out = roster(&db, &full, &[]).await;
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(stderr(&out).contains(field), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM users").await, 0);
}

#[tokio::test]
async fn demo_data_loads_once() {
    let db = TestDb::fresh().await;
    let args = [
        "bootstrap",
        "--account",
        "Acme",
        "--email",
        ADMIN_EMAIL,
        "--password",
        ADMIN_PASSWORD,
        "--demo",
    ];
    let out = roster(&db, &args, &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("added 5 staff"), "{}", stdout(&out));
    assert!(stdout(&out).contains("10 customer(s)"), "{}", stdout(&out));
    let out = roster(&db, &args, &[]).await;
    assert!(stdout(&out).contains("added 0 staff"), "{}", stdout(&out));
    assert!(stdout(&out).contains("0 customer(s)"), "{}", stdout(&out));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM users").await, 6);
    assert_eq!(count(&db, SUPER_ADMINS).await, 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM customers").await, 10);

    // The sample data is consistent: it reads back through the API.
    let server = TestServer::serve(db, &[]).await;
    let admin = server.super_admin().await;
    let res = admin
        .gql(
            "{ companies { totalCount nodes { name services { name } employees { totalCount } } }
               customers(keyword: \"contoso\") { totalCount nodes { company { name } serviceAccess { service { name } } } } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(data(&res)["companies"]["totalCount"], 3, "{res}");
    assert_eq!(data(&res)["customers"]["totalCount"], 3);
    assert_eq!(
        data(&res)["customers"]["nodes"][0]["company"]["name"],
        "Contoso Ltd"
    );
}
