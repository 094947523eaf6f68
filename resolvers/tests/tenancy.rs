//! Tenancy by construction (issue 14): every table with an `account_id` is
//! registered as account-owned, and rows of account-owned tables are read,
//! inserted, updated and deleted only through the kernel's `Tenant` handle
//! (which adds the account filter, and sets the account of inserted rows),
//! except where a line says why a statement spans accounts
//! (`// all accounts: …`).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use migration::{Migrator, MigratorTrait};
use roster_resolvers::kernel::scope::account_owned_tables;
use sea_orm::{ConnectionTrait, Database, Statement};

/// Tables that have an `account_id` column, read from a migrated database.
async fn tables_with_account_id() -> BTreeSet<String> {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT m.name AS name FROM sqlite_master m, pragma_table_info(m.name) c \
             WHERE m.type = 'table' AND c.name = 'account_id'",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .collect()
}

#[tokio::test]
async fn every_table_with_an_account_id_is_account_owned() {
    let tables = tables_with_account_id().await;
    assert!(
        tables.len() > 20,
        "the catalogue lists the tables: {tables:?}"
    );
    let registered: BTreeSet<String> = account_owned_tables()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let missing: Vec<&String> = tables.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "tables with an account_id that are not registered as account-owned \
         (add them to account_owned! in resolvers/src/kernel/scope.rs): {missing:?}"
    );
}

/// Entity module name → table name, from `entities/src`.
fn entity_tables() -> BTreeMap<String, String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../entities/src");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        if let Some(at) = text.find("table_name = \"") {
            let rest = &text[at + 14..];
            let table = &rest[..rest.find('"').unwrap()];
            let module = path.file_stem().unwrap().to_string_lossy().into_owned();
            out.insert(module, table.to_owned());
        }
    }
    out
}

/// Statements of an account-owned table's entity that must go through
/// `Tenant` (`Tenant(account).find::<E>()`, `.find_by_id::<E>(id)`,
/// `.insert(model)`, `.insert_many(models)`, `.update_many::<E>()`,
/// `.delete_many::<E>()`).
const UNSCOPED: [&str; 7] = [
    "find()",
    "find_by_id(",
    "insert(",
    "insert_many(",
    "update_many()",
    "delete_many()",
    "delete_by_id(",
];

/// The lines of the project's sources that touch an account-owned table
/// without the handle and without saying why.
fn unscoped_statements() -> Vec<String> {
    let owned: BTreeSet<&str> = account_owned_tables().into_iter().collect();
    let modules: Vec<String> = entity_tables()
        .into_iter()
        .filter(|(_, table)| owned.contains(table.as_str()))
        .map(|(module, _)| module)
        .collect();
    assert!(modules.len() > 20, "{modules:?}");
    let root = common::root();
    let files = common::server_sources();
    let mut unscoped = Vec::new();
    for file in files {
        if file.ends_with("kernel/scope.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let explained = line.contains("// all accounts:")
                || (1..=2).any(|back| {
                    i >= back && lines[i - back].trim_start().starts_with("// all accounts:")
                });
            if explained {
                continue;
            }
            // Rows get their account from the handle only.
            let sets_account =
                line.contains("account_id: Set(") || line.contains(".account_id = Set(");
            let mut found = sets_account;
            for module in &modules {
                for statement in UNSCOPED {
                    found |= common::names(line, &format!("{module}::Entity::{statement}"));
                }
            }
            if found {
                unscoped.push(format!(
                    "{}:{}: {}",
                    file.strip_prefix(root).unwrap().display(),
                    i + 1,
                    line.trim()
                ));
            }
        }
    }
    unscoped
}

#[test]
fn account_owned_rows_are_read_and_written_through_the_tenant_handle() {
    let unscoped = unscoped_statements();
    assert!(
        unscoped.is_empty(),
        "account-owned rows read or written without the `Tenant(account)` handle \
         (find, find_by_id, insert, insert_many, update_many, delete_many; rows get \
         their account_id from `Tenant::row`/`insert`), or without a \
         `// all accounts: <why>` comment on the line or the two above:\n{}",
        unscoped.join("\n")
    );
}
