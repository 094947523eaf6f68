//! Start-up: settings from flags and environment, and clear one-line errors.

use sea_orm::ConnectionTrait;

use crate::harness::*;

#[tokio::test]
async fn unknown_or_malformed_settings_stop_start_up_with_one_line() {
    let db = TestDb::fresh().await;
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 5] = [
        (&[], &[("ROSTER_LISTNE", "127.0.0.1:1")], "ROSTER_LISTNE"),
        (&[], &[("ROSTER_LISTEN", "not-an-address")], "ROSTER_LISTEN"),
        (&["--listen", "nope"], &[], "--listen"),
        (&["--session-ttl", "forever"], &[], "ROSTER_SESSION_TTL"),
        (&["--bogus-flag"], &[], "--bogus-flag"),
    ];
    for (args, envs, named) in cases {
        let out = roster(&db, args, envs).await;
        assert_eq!(out.status.code(), Some(2), "{args:?} {envs:?}");
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(err.contains(named), "{named} not named in: {err}");
    }
}

#[tokio::test]
async fn an_unreachable_database_is_a_clear_error() {
    let db = TestDb::fresh().await;
    let out = roster(
        &db,
        &["migrate"],
        &[("DATABASE_URL", "postgres://roster:secret@127.0.0.1:1/none")],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("DATABASE_URL") && !err.contains("secret"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[tokio::test]
async fn migrate_runs_and_is_idempotent() {
    let db = TestDb::fresh().await;
    let first = roster(&db, &["migrate"], &[]).await;
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(!stdout(&first).contains("Applied 0"), "{}", stdout(&first));
    let second = roster(&db, &["migrate"], &[]).await;
    assert!(
        stdout(&second).contains("Applied 0 migration(s)"),
        "{}",
        stdout(&second)
    );
}

#[tokio::test]
async fn settings_come_from_the_environment_too() {
    let db = TestDb::fresh().await;
    let out = roster(
        &db,
        &[
            "bootstrap",
            "--account",
            "A",
            "--email",
            "a@a.test",
            "--password",
            ADMIN_PASSWORD,
        ],
        &[],
    )
    .await;
    assert!(out.status.success());
    // ROSTER_SESSION_TTL set through the environment shortens sessions.
    let server = TestServer::serve_with_env(db, &[("ROSTER_SESSION_TTL", "90s")]).await;
    let res = server
        .anonymous()
        .gql(
            "mutation { login(email: \"a@a.test\", password: \"correct horse battery\") { expiresAt } }",
            serde_json::json!({}),
        )
        .await;
    let expires =
        chrono::DateTime::parse_from_rfc3339(res["data"]["login"]["expiresAt"].as_str().unwrap())
            .unwrap();
    let secs = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    assert!((80..=90).contains(&secs), "{secs}");
}

#[tokio::test]
async fn print_schema_prints_the_sdl() {
    let db = TestDb::fresh().await;
    let out = roster(&db, &["print-schema"], &[]).await;
    assert!(out.status.success());
    let sdl = stdout(&out);
    let checked_in = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schema/schema.graphql"
    ))
    .unwrap();
    assert_eq!(sdl, checked_in);
}

/// Guards the CI's PostgreSQL run: with DATABASE_URL=postgres://... the
/// servers under test really run on PostgreSQL, not on a silent SQLite.
#[tokio::test]
async fn tests_run_on_the_database_the_environment_names() {
    let db = TestDb::fresh().await;
    let conn = db.connect().await;
    let wants_postgres = std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"));
    let backend = conn.get_database_backend();
    if wants_postgres {
        assert_eq!(backend, sea_orm::DatabaseBackend::Postgres);
        assert!(db.url.starts_with("postgres"), "{}", db.url);
    } else {
        assert_eq!(backend, sea_orm::DatabaseBackend::Sqlite);
    }
}
