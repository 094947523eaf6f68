//! Customer CSV import: upload, preview, confirm, progress, refusals,
//! modes, and resuming after a crash.

use std::time::Duration;

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::harness::*;

const START: &str = "mutation($file: Upload!, $options: CustomerImportOptions) {
  startCustomerImport(file: $file, options: $options) {
    job { id phase totalRows unknownColumns }
    userErrors { field code message }
  }
}";
const JOB: &str = "query($id: ID!) { importJob(id: $id) {
  phase totalRows processedRows toCreate toUpdate toSkip errorCount created updated skipped failed failure
} }";

pub async fn start(client: &Client, csv: &[u8], options: Value) -> Value {
    let operations = json!({ "query": START, "variables": { "file": null, "options": options } });
    let form = Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part("0", Part::bytes(csv.to_vec()).file_name("customers.csv"));
    let res: Value = client
        .post()
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    data(&res)["startCustomerImport"].clone()
}

pub async fn job(client: &Client, id: &str) -> Value {
    let res = client.gql(JOB, json!({ "id": id })).await;
    data(&res)["importJob"].clone()
}

/// Polls until the job reaches `phase` (or fails the test after 60 s).
pub async fn wait_for(client: &Client, id: &str, phase: &str) -> Value {
    for _ in 0..600 {
        let state = job(client, id).await;
        if state["phase"] == phase {
            return state;
        }
        assert!(
            !["FAILED", "CANCELLED"].contains(&state["phase"].as_str().unwrap())
                || phase == state["phase"],
            "{state}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("job {id} never reached {phase}: {}", job(client, id).await);
}

pub async fn started(client: &Client, csv: &[u8], options: Value) -> String {
    let payload = start(client, csv, options).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    payload["job"]["id"].as_str().unwrap().to_owned()
}

/// Confirms a previewed import; the confirmation must be accepted.
pub async fn confirm(client: &Client, id: &str) {
    let res = client
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
}

/// The rows of an import's preview that have errors, in file order.
async fn error_rows(client: &Client, id: &str) -> Value {
    let res = client
        .gql(
            "query($id: ID!) { importJob(id: $id) { rows(action: ERROR) { nodes { rowNumber issues { column message } } } } }",
            json!({ "id": id }),
        )
        .await;
    data(&res)["importJob"]["rows"]["nodes"].clone()
}

pub async fn rows(client: &Client, id: &str) -> Vec<Value> {
    let res = client
        .gql(
            "query($id: ID!) { importJob(id: $id) { rows(first: 100) { nodes { rowNumber action issues { column code message } } } } }",
            json!({ "id": id }),
        )
        .await;
    data(&res)["importJob"]["rows"]["nodes"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn the_sample_file_imports_with_preview_and_live_progress() {
    let server = TestServer::start().await;
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let admin = server.with_token(&token);
    let sample = server
        .http
        .get(server.url("/exports/customers-sample.csv"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();

    let id = started(&admin, &sample, json!(null)).await;
    let preview = wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    assert_eq!(preview["totalRows"], 2);
    assert_eq!(preview["toCreate"], 2);
    assert_eq!(preview["errorCount"], 0);

    // Watch the import over graphql-transport-ws while confirming it.
    let mut socket = open_socket(&server).await;
    send_json(&mut socket, json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })).await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    send_json(
        &mut socket,
        json!({ "id": "p", "type": "subscribe", "payload": {
            "query": "subscription($id: ID!) { importProgress(jobId: $id) { phase processedRows totalRows created } }",
            "variables": { "id": id } } }),
    )
    .await;
    assert_eq!(
        next_json(&mut socket).await["payload"]["data"]["importProgress"]["phase"],
        "AWAITING_CONFIRMATION"
    );
    let res = admin
        .gql(
            "mutation($id: ID!) { confirmImport(id: $id) { job { phase } userErrors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&res)["confirmImport"]["job"]["phase"], "IMPORTING");
    let mut phases = Vec::new();
    loop {
        let msg = next_json(&mut socket).await;
        if msg["type"] == "complete" {
            break;
        }
        let progress = &msg["payload"]["data"]["importProgress"];
        phases.push(progress["phase"].as_str().unwrap().to_owned());
        if progress["phase"] == "COMPLETED" {
            assert_eq!(progress["created"], 2);
            assert_eq!(progress["processedRows"], progress["totalRows"]);
        }
    }
    assert_eq!(
        phases.last().map(String::as_str),
        Some("COMPLETED"),
        "{phases:?}"
    );

    let res = admin
        .gql(
            "{ customers(sortKey: EMAIL) { nodes { email emailAliases company { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&res)["customers"]["nodes"],
        json!([
            { "email": "john@company.com", "emailAliases": ["j.smith@company.com", "johnny@company.com"], "company": { "name": "Company Inc" } },
            { "email": "maria@example.org", "emailAliases": [], "company": null },
        ])
    );
    let res = admin
        .gql(
            "mutation($id: ID!) { confirmImport(id: $id) { userErrors { code message } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data(&res)["confirmImport"]["userErrors"][0]["code"],
        "NOT_ALLOWED",
        "a finished import cannot run twice"
    );
    let message = data(&res)["confirmImport"]["userErrors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("COMPLETED"), "{message}");
}

#[tokio::test]
async fn files_that_cannot_be_imported_are_refused_at_once() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let cases: [(&[u8], &str); 5] = [
        (b"", "empty"),
        (b"first_name,last_name,email\r\n", "no rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (
            b"first_name,email\nAnn,ann@x.test\nJos\xe9,jose@x.test\n",
            "line 3",
        ),
        (
            b"name,mail\nAnn,ann@x.test\n",
            "missing required column(s): first_name, email",
        ),
    ];
    for (file, expected) in cases {
        let payload = start(&admin, file, json!(null)).await;
        assert_eq!(payload["job"], json!(null), "{expected}: {payload}");
        let message = payload["userErrors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(message.contains(expected), "{expected}: {payload}");
        assert_eq!(payload["userErrors"][0]["field"], json!(["file"]));
    }
    let res = admin.gql("{ importJobs { totalCount } }", json!({})).await;
    assert_eq!(data(&res)["importJobs"]["totalCount"], 0, "no stuck jobs");
}

#[tokio::test]
async fn rows_are_checked_with_the_customer_rules() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    admin.gql("mutation { createCustomer(input: { firstName: \"Old\", email: \"old@x.test\", jobTitle: \"Before\" }) { userErrors { code } } }", json!({})).await;
    admin
        .gql(
            "mutation { addToDenylist(input: { email: \"spam@x.test\" }) { changed } }",
            json!({}),
        )
        .await;
    let csv = "Email,FIRST_NAME,last_name,job_title,Company,Favourite Colour\n\
               ann@x.test,Ann,Lee,CTO,Acme,blue\n\
               ANN@x.test,Annie,,,,\n\
               old@x.test,Old,Timer,After,,\n\
               spam@x.test,Spam,,,,\n\
               not-an-email,Bad,,,,\n\
               bob@x.test,,Nofirst,,,\n\
               cat@x.test,Cat,,,Unknown Co,\n";
    let id = started(
        &admin,
        csv.as_bytes(),
        json!({ "companies": "REQUIRE_EXISTING" }),
    )
    .await;
    let preview = wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    // Row 2 is refused (no company Acme), so row 3 is the first valid row
    // with that email and will be created.
    assert_eq!(
        (
            preview["toCreate"].as_i64(),
            preview["toSkip"].as_i64(),
            preview["errorCount"].as_i64()
        ),
        (Some(1), Some(1), Some(5)),
        "{preview}"
    );
    let results = rows(&admin, &id).await;
    let by_row = |n: i64| {
        results
            .iter()
            .find(|r| r["rowNumber"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(
        by_row(2)["issues"][0]["column"],
        "Company",
        "Acme does not exist: {:?}",
        by_row(2)
    );
    assert_eq!(by_row(4)["action"], "SKIP");
    assert_eq!(by_row(5)["issues"][0]["code"], "NOT_ALLOWED");
    assert_eq!(by_row(6)["issues"][0]["column"], "email");
    assert_eq!(by_row(7)["issues"][0]["column"], "first_name");
    assert_eq!(by_row(8)["issues"][0]["code"], "NOT_FOUND");

    // With the defaults (create companies) and UPDATE for duplicates.
    let id = started(&admin, csv.as_bytes(), json!({ "duplicates": "UPDATE" })).await;
    let preview = wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    assert_eq!(
        (
            preview["toCreate"].as_i64(),
            preview["toUpdate"].as_i64(),
            preview["errorCount"].as_i64()
        ),
        (Some(2), Some(1), Some(4)),
        "{preview}"
    );
    let results = rows(&admin, &id).await;
    let dup = results.iter().find(|r| r["rowNumber"] == 3).unwrap();
    assert!(
        dup["issues"][0]["message"]
            .as_str()
            .unwrap()
            .contains("row 2"),
        "both rows named: {dup}"
    );
    let res = admin
        .gql(
            "query($id: ID!) { importJob(id: $id) { unknownColumns } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data(&res)["importJob"]["unknownColumns"],
        json!(["Favourite Colour"])
    );
    confirm(&admin, &id).await;
    let done = wait_for(&admin, &id, "COMPLETED").await;
    assert_eq!(
        (
            done["created"].as_i64(),
            done["updated"].as_i64(),
            done["failed"].as_i64()
        ),
        (Some(2), Some(1), Some(4)),
        "{done}"
    );
    let res = admin
        .gql(
            "{ customers(sortKey: EMAIL) { nodes { email jobTitle lastName company { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&res)["customers"]["nodes"],
        json!([
            { "email": "ann@x.test", "jobTitle": "CTO", "lastName": "Lee", "company": { "name": "Acme" } },
            { "email": "cat@x.test", "jobTitle": null, "lastName": "", "company": { "name": "Unknown Co" } },
            { "email": "old@x.test", "jobTitle": "After", "lastName": "Timer", "company": null },
        ])
    );
}

#[tokio::test]
async fn a_previewed_import_can_be_cancelled_and_others_cannot_see_it() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let id = started(&admin, b"first_name,email\nAnn,ann@x.test\n", json!(null)).await;
    wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    let globex = server.other_account().await;
    for doc in [
        JOB,
        "mutation($id: ID!) { confirmImport(id: $id) { userErrors { code } } }",
        "mutation($id: ID!) { cancelImport(id: $id) { userErrors { code } } }",
    ] {
        let res = globex.gql(doc, json!({ "id": id })).await;
        assert_eq!(error_code(&res), "NOT_FOUND", "{doc}");
    }
    let member = server.staff("MEMBER", "m@acme.test").await;
    let res = member.gql(JOB, json!({ "id": id })).await;
    assert_eq!(error_code(&res), "FORBIDDEN");
    let res = admin
        .gql(
            "mutation($id: ID!) { cancelImport(id: $id) { job { phase } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&res)["cancelImport"]["job"]["phase"], "CANCELLED");
    let res = admin.gql("{ customers { totalCount } }", json!({})).await;
    assert_eq!(data(&res)["customers"]["totalCount"], 0);
}

#[tokio::test]
async fn an_export_reimports_without_change() {
    let server = TestServer::start().await;
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let admin = server.with_token(&token);
    let sample = server
        .http
        .get(server.url("/exports/customers-sample.csv"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let id = started(&admin, &sample, json!(null)).await;
    wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    confirm(&admin, &id).await;
    wait_for(&admin, &id, "COMPLETED").await;
    admin
        .gql("mutation { createCustomer(input: { firstName: \"Eve\", email: \"eve@x.test\", officePhone: \"+49 30 901820\", notes: \"=1+1, \\\"quoted\\\"\\nsecond line\" }) { userErrors { code } } }", json!({}))
        .await;
    let export = |token: String| {
        let http = server.http.clone();
        let url = server.url("/exports/customers.csv");
        async move {
            http.get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
        }
    };
    let first = export(token.clone()).await;

    // Into another account: the same export comes back out.
    let globex = server.other_account().await;
    let id = started(&globex, &first, json!(null)).await;
    let preview = wait_for(&globex, &id, "AWAITING_CONFIRMATION").await;
    assert_eq!(preview["errorCount"], 0, "{preview}");
    confirm(&globex, &id).await;
    wait_for(&globex, &id, "COMPLETED").await;
    let second = export(globex.token.clone().unwrap()).await;
    let sorted = |bytes: &[u8]| {
        let mut lines: Vec<Vec<String>> = csv::Reader::from_reader(&bytes[3..])
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted(&first), sorted(&second));

    // And into the same account, nothing changes: every row is a duplicate.
    let id = started(&admin, &first, json!(null)).await;
    let preview = wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    assert_eq!(
        (preview["toCreate"].as_i64(), preview["toSkip"].as_i64()),
        (Some(0), Some(3)),
        "{preview}"
    );
}

#[tokio::test]
async fn an_import_killed_while_writing_resumes_and_writes_each_row_once() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let id = caught_writing(&admin).await;
    let server = server.crash_and_restart().await;
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let admin = server.with_token(&token);
    let done = wait_for(&admin, &id, "COMPLETED").await;
    assert_eq!(done["created"], 20_000, "{done}");
    let res = admin
        .gql(
            "{ customers { totalCount } companies { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&res)["customers"]["totalCount"], 20_000);
    assert_eq!(data(&res)["companies"]["totalCount"], 50);
}

#[tokio::test]
async fn duplicates_are_found_across_chunks_of_a_large_file() {
    let db = bootstrapped().await;
    let server = TestServer::serve_with_env(db, &[("ROSTER_LOG", "info")]).await;
    duplicates_across_chunks(&server).await;
    assert!(!server.log().contains("no longer fit in memory"));
}

#[tokio::test]
async fn duplicates_are_found_when_the_addresses_seen_outgrow_memory() {
    // One address in memory: the first chunk's 4,000 move to the database,
    // where the second chunk finds rows 3 and 9.
    let db = bootstrapped().await;
    let server = TestServer::serve_with_env(
        db,
        &[
            ("ROSTER_LOG", "info"),
            ("ROSTER_IMPORT_KEYS_IN_MEMORY", "1"),
        ],
    )
    .await;
    duplicates_across_chunks(&server).await;
    assert!(
        server.log().contains("no longer fit in memory"),
        "{}",
        server.log()
    );
    // Validation is over: what it kept is gone.
    use sea_orm::ConnectionTrait;
    let conn = server.db.connect().await;
    let left = conn
        .query_one(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM import_keys",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(left, 0);
}

async fn duplicates_across_chunks(server: &TestServer) {
    let admin = server.super_admin().await;
    let mut csv = String::from("first_name,email,email_aliases\n");
    for i in 0..2_500 {
        csv.push_str(&format!("P{i},p{i}@x.test,alias{i}@x.test\n"));
    }
    csv.push_str("Again,P1@X.TEST,\n"); // row 2502 repeats row 3
    csv.push_str("Alias,new@x.test,alias7@x.test\n"); // row 2503 reuses row 9 alias
    let id = started(&admin, csv.as_bytes(), json!(null)).await;
    let preview = wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    assert_eq!(
        (preview["toCreate"].as_i64(), preview["errorCount"].as_i64()),
        (Some(2_500), Some(2)),
        "{preview}"
    );
    let errors = error_rows(&admin, &id).await;
    assert_eq!(errors[0]["rowNumber"], 2502);
    assert!(
        errors[0]["issues"][0]["message"]
            .as_str()
            .unwrap()
            .contains("row 3"),
        "{errors}"
    );
    assert_eq!(errors[1]["rowNumber"], 2503);
    assert_eq!(errors[1]["issues"][0]["column"], "email_aliases");
}

#[tokio::test]
async fn a_duplicate_of_the_previous_chunk_is_found_while_that_chunk_is_stored() {
    // Rows are checked 2,000 at a time while the previous 2,000 are still
    // being stored: row 2002 (first of the second chunk) repeats row 2001
    // (last of the first).
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let mut csv = String::from("first_name,email\n");
    for i in 0..2_000 {
        csv.push_str(&format!("P{i},p{i}@x.test\n"));
    }
    csv.push_str("Again,P1999@x.test\n");
    for i in 2_000..2_500 {
        csv.push_str(&format!("P{i},p{i}@x.test\n"));
    }
    let id = started(&admin, csv.as_bytes(), json!(null)).await;
    let preview = wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    assert_eq!(
        (preview["toCreate"].as_i64(), preview["errorCount"].as_i64()),
        (Some(2_500), Some(1)),
        "{preview}"
    );
    let errors = error_rows(&admin, &id).await;
    assert_eq!(errors[0]["rowNumber"], 2002, "{errors}");
    assert!(
        errors[0]["issues"][0]["message"]
            .as_str()
            .unwrap()
            .contains("row 2001"),
        "{errors}"
    );
}

#[tokio::test]
async fn a_completed_import_refreshes_the_planners_statistics() {
    // Without statistics SQLite's planner takes an account for a handful of
    // rows and serves a keyword search by walking every customer in name
    // order; PostgreSQL keeps the empty-table estimates until autovacuum.
    use sea_orm::ConnectionTrait;
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let conn = server.db.connect().await;
    let backend = conn.get_database_backend();
    let query = |sql: &'static str| {
        let conn = &conn;
        async move {
            conn.query_one(sea_orm::Statement::from_string(backend, sql))
                .await
                .unwrap()
                .unwrap()
                .try_get::<i64>("", "n")
                .unwrap()
        }
    };
    // Whether the customers table has statistics (SQLite keeps them in
    // `sqlite_stat1`, which the first ANALYZE creates).
    let analyzed = || async {
        if backend == sea_orm::DatabaseBackend::Postgres {
            query("SELECT COUNT(*) AS n FROM pg_stat_user_tables WHERE relname = 'customers' AND last_analyze IS NOT NULL").await == 1
        } else {
            query("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat1'").await == 1
                && query("SELECT COUNT(*) AS n FROM sqlite_stat1 WHERE tbl = 'customers'").await > 0
        }
    };
    assert!(!analyzed().await, "no statistics before the import");
    let id = started(
        &admin,
        b"first_name,last_name,email\nAda,Lovelace,ada@x.test\nAlan,Turing,alan@x.test\n",
        json!(null),
    )
    .await;
    wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    confirm(&admin, &id).await;
    wait_for(&admin, &id, "COMPLETED").await;
    // The upkeep runs in the background once the job is COMPLETED.
    for _ in 0..100 {
        if analyzed().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the customers table has no statistics 10 s after the import");
}

#[tokio::test]
async fn rows_with_many_aliases_import_past_the_bound_value_limits() {
    // 2,000 rows with 17 aliases each: 36,000 addresses in one chunk and one
    // batch, more than a SQLite statement may bind (32,766).
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let mut csv = String::from("first_name,email,email_aliases\n");
    for i in 0..2_000 {
        let aliases: Vec<String> = (0..17).map(|a| format!("a{a}.p{i}@x.test")).collect();
        csv.push_str(&format!("P{i},p{i}@x.test,\"{}\"\n", aliases.join(",")));
    }
    let id = started(&admin, csv.as_bytes(), json!(null)).await;
    let preview = wait_for(&admin, &id, "AWAITING_CONFIRMATION").await;
    assert_eq!(
        (preview["toCreate"].as_i64(), preview["errorCount"].as_i64()),
        (Some(2_000), Some(0)),
        "{preview}"
    );
    confirm(&admin, &id).await;
    let done = wait_for(&admin, &id, "COMPLETED").await;
    assert_eq!(done["created"], 2_000, "{done}");
    let res = admin
        .gql(
            "{ customers(keyword: \"a16.p1999@x.test\") { nodes { email emailAliases } } }",
            json!({}),
        )
        .await;
    let found = &data(&res)["customers"]["nodes"];
    assert_eq!(found[0]["email"], "p1999@x.test", "{res}");
    assert_eq!(found[0]["emailAliases"].as_array().map(Vec::len), Some(17));
}

#[tokio::test]
async fn sigterm_pauses_an_import_at_a_batch_boundary_and_a_restart_resumes_it() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let id = caught_writing(&admin).await;
    server.terminate().await;
    let (status, db) = server.exited().await;
    assert!(status.success(), "exit status {status:?}");
    // Paused, not failed: the rows written so far are a whole number of
    // committed batches.
    let server = TestServer::restart(db).await;
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let admin = server.with_token(&token);
    let done = wait_for(&admin, &id, "COMPLETED").await;
    assert_eq!(done["created"], 20_000, "{done}");
    let res = admin.gql("{ customers { totalCount } }", json!({})).await;
    assert_eq!(data(&res)["customers"]["totalCount"], 20_000);
    assert!(server.log().is_empty() || !server.log().contains("import failed"));
}

/// Starts and confirms a 20,000-row import (50 companies) and returns its
/// id once some, not all, of its batches are committed.
async fn caught_writing(admin: &Client) -> String {
    let mut csv = String::from("first_name,last_name,email,Company\n");
    for i in 0..20_000 {
        csv.push_str(&format!(
            "First{i},Last{i},person{i}@bulk.test,Company {}\n",
            i % 50
        ));
    }
    let id = started(admin, csv.as_bytes(), json!(null)).await;
    wait_for(admin, &id, "AWAITING_CONFIRMATION").await;
    confirm(admin, &id).await;
    for _ in 0..2_000 {
        let state = job(admin, &id).await;
        if state["phase"] == "IMPORTING" && state["created"].as_i64().unwrap() > 0 {
            return id;
        }
        assert_ne!(
            state["phase"], "COMPLETED",
            "the import finished before it could be interrupted"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("never saw the import writing");
}

/// Progress updates are throttled (one per 100 ms), but the preview is
/// not held back: it reaches the subscriber when it is ready, not when the
/// subscription next re-reads the job (it waited 5 s for that before).
#[tokio::test]
async fn the_preview_reaches_subscribers_at_once() {
    let server = TestServer::start().await;
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let admin = server.with_token(&token);
    let mut csv = String::from("first_name,last_name,email\n");
    for i in 0..30_000 {
        csv.push_str(&format!("Pat{i},Lee,pat{i}@example.com\n"));
    }
    let id = started(&admin, csv.as_bytes(), json!(null)).await;
    let mut socket = signed_in_socket(&server, &token).await;
    send_json(
        &mut socket,
        json!({ "id": "p", "type": "subscribe", "payload": {
            "query": "subscription($id: ID!) { importProgress(jobId: $id) { phase updatedAt } }",
            "variables": { "id": id } } }),
    )
    .await;
    loop {
        let msg = next_json(&mut socket).await;
        let progress = &msg["payload"]["data"]["importProgress"];
        if progress["phase"] != "AWAITING_CONFIRMATION" {
            assert!(
                progress["phase"] == "UPLOADED" || progress["phase"] == "VALIDATING",
                "{msg}"
            );
            continue;
        }
        let ready =
            chrono::DateTime::parse_from_rfc3339(progress["updatedAt"].as_str().unwrap()).unwrap();
        let late = chrono::Utc::now().signed_duration_since(ready);
        assert!(
            late < chrono::Duration::milliseconds(2500),
            "the preview arrived {late} after it was ready"
        );
        break;
    }
}
