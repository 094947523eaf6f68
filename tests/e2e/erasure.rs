//! Erasure (issue 14, seed 000): once a customer or a user is deleted, no
//! text column anywhere in the database still holds their email or name:
//! not the activity history, not invitations or their mail, not the rows
//! of the import that brought them in.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use serde_json::json;

use crate::{harness::*, imports::wait_for};

/// Every (table, column) of text, read from the database's catalogue.
async fn text_columns(db: &sea_orm::DatabaseConnection) -> Vec<(String, String)> {
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    if backend == DatabaseBackend::Postgres {
        let rows = db
            .query_all(Statement::from_string(
                backend,
                "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
                 WHERE table_schema = current_schema() \
                 AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')",
            ))
            .await
            .unwrap();
        for row in rows {
            out.push((row.try_get("", "t").unwrap(), row.try_get("", "c").unwrap()));
        }
    } else {
        let tables = db
            .query_all(Statement::from_string(
                backend,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            ))
            .await
            .unwrap();
        for table in tables {
            let name: String = table.try_get("", "name").unwrap();
            // The FTS5 tables' shadow tables hold the index, not text.
            if name.contains("_search_") {
                continue;
            }
            let columns = db
                .query_all(Statement::from_string(
                    backend,
                    format!("SELECT name, type FROM pragma_table_info('{name}')"),
                ))
                .await
                .unwrap();
            for column in columns {
                let kind: String = column.try_get("", "type").unwrap();
                let kind = kind.to_uppercase();
                if kind.is_empty()
                    || kind.contains("TEXT")
                    || kind.contains("CHAR")
                    || kind.contains("JSON")
                {
                    out.push((name.clone(), column.try_get("", "name").unwrap()));
                }
            }
        }
    }
    assert!(out.len() > 50, "the catalogue lists text columns: {out:?}");
    out
}

/// Where `needle` (lower case) still appears: "table.column" of each hit.
async fn found(db: &sea_orm::DatabaseConnection, needle: &str) -> Vec<String> {
    let backend = db.get_database_backend();
    let mut hits = Vec::new();
    for (table, column) in text_columns(db).await {
        let sql = match backend {
            DatabaseBackend::Postgres => format!(
                "SELECT COUNT(*) AS n FROM \"{table}\" WHERE STRPOS(LOWER(\"{column}\"::text), $1) > 0"
            ),
            _ => format!(
                "SELECT COUNT(*) AS n FROM \"{table}\" WHERE INSTR(LOWER(\"{column}\"), ?) > 0"
            ),
        };
        let row = db
            .query_one(Statement::from_sql_and_values(
                backend,
                sql,
                [needle.into()],
            ))
            .await
            .unwrap()
            .unwrap();
        let n: i64 = row.try_get("", "n").unwrap();
        if n > 0 {
            hits.push(format!("{table}.{column}"));
        }
    }
    hits
}

#[tokio::test]
async fn deleted_people_leave_no_personal_data_behind() {
    let server = TestServer::start().await;
    let admin = server.super_admin().await;
    let db = server.db.connect().await;

    // A customer who came in by import, got an alias, a new title, portal
    // access with an activation email, and an incident.
    let csv = "first_name,last_name,email\nZelda,Quimbly,zelda.quimbly@example.test\nOther,Person,other@example.test\n";
    let job = crate::imports::start(&admin, csv.as_bytes(), json!({})).await;
    let job = job["job"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{job}"))
        .to_owned();
    wait_for(&admin, &job, "AWAITING_CONFIRMATION").await;
    admin
        .gql(
            "mutation($id: ID!) { confirmImport(id: $id) { userErrors { code } } }",
            json!({ "id": job }),
        )
        .await;
    wait_for(&admin, &job, "COMPLETED").await;
    let res = admin
        .gql(
            "{ customerByEmail(email: \"zelda.quimbly@example.test\") { id } }",
            json!({}),
        )
        .await;
    let customer = data(&res)["customerByEmail"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned();
    let res = admin
        .gql(
            "mutation($id: ID!) { updateCustomer(input: { id: $id, jobTitle: \"Buyer\", emailAliases: [\"zq@example.test\"] }) { userErrors { message } } }",
            json!({ "id": customer }),
        )
        .await;
    assert_eq!(
        data(&res)["updateCustomer"]["userErrors"],
        json!([]),
        "{res}"
    );
    let res = admin
        .gql(
            "mutation($id: ID!) { setPortalAccess(input: { level: STANDARD, customerIds: [$id], sendActivationEmails: true }) { userErrors { message } } }",
            json!({ "id": customer }),
        )
        .await;
    assert_eq!(
        data(&res)["setPortalAccess"]["userErrors"],
        json!([]),
        "{res}"
    );

    // A user with a welcome invitation and mail.
    let res = admin
        .gql(
            "mutation { addUsers(input: { users: [{ firstName: \"Yorick\", lastName: \"Brambleton\", email: \"yorick.b@example.test\" }] }) { users { id } userErrors { message } } }",
            json!({}),
        )
        .await;
    let user = data(&res)["addUsers"]["users"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned();

    for needle in [
        "zelda.quimbly@example.test",
        "zq@example.test",
        "quimbly",
        "yorick.b@example.test",
        "brambleton",
    ] {
        assert!(
            !found(&db, needle).await.is_empty(),
            "{needle} is stored before the deletion"
        );
    }

    let res = admin
        .gql("mutation($id: ID!) { deleteCustomer(id: $id) { deletedCustomerId userErrors { message } } }", json!({ "id": customer }))
        .await;
    assert_eq!(
        data(&res)["deleteCustomer"]["deletedCustomerId"],
        customer,
        "{res}"
    );
    let res = admin
        .gql("mutation($id: ID!) { deleteUser(input: { id: $id }) { deletedUserId userErrors { message } } }", json!({ "id": user }))
        .await;
    assert_eq!(data(&res)["deleteUser"]["deletedUserId"], user, "{res}");

    for needle in [
        "zelda.quimbly@example.test",
        "zq@example.test",
        "quimbly",
        "yorick.b@example.test",
        "brambleton",
    ] {
        assert_eq!(
            found(&db, needle).await,
            Vec::<String>::new(),
            "{needle} is gone"
        );
    }
    // The history keeps a non-personal trace of both deletions, and the
    // other imported customer is untouched.
    let res = admin
        .gql("{ activity(filter: { actions: [\"customer.delete\", \"user.delete\"] }) { nodes { action targetName } } customerByEmail(email: \"other@example.test\") { firstName } }", json!({}))
        .await;
    assert_eq!(
        data(&res)["activity"]["nodes"].as_array().map(Vec::len),
        Some(2),
        "{res}"
    );
    assert_eq!(data(&res)["customerByEmail"]["firstName"], "Other");
    assert!(!found(&db, "other@example.test").await.is_empty());
}
