//! Indexes behind every order and filter the customer lists offer, and a
//! search index for the keyword box.
//!
//! - Keyset orders: (account, created_at, id) and (account, updated_at, id);
//!   a company's employees by (company, sort_name, id).
//! - Keyword search matches a word anywhere in a customer's name, in one of
//!   their addresses or in their company's name. PostgreSQL serves it with
//!   `pg_trgm` GIN indexes; SQLite with FTS5 trigram tables kept by triggers
//!   (their rowids are the rowids of `customers` and `customer_emails`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const BOTH_UP: &[&str] = &[
    "CREATE INDEX idx_customers_account_created ON customers (account_id, created_at, id)",
    "CREATE INDEX idx_customers_account_updated ON customers (account_id, updated_at, id)",
    "CREATE INDEX idx_customers_company_name ON customers (company_id, sort_name, id)",
    "DROP INDEX idx_customers_company",
];

const BOTH_DOWN: &[&str] = &[
    "CREATE INDEX idx_customers_company ON customers (company_id)",
    "DROP INDEX idx_customers_company_name",
    "DROP INDEX idx_customers_account_updated",
    "DROP INDEX idx_customers_account_created",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    // Words never hold a space, so a word found in this text lies within one
    // of the two names.
    "CREATE INDEX idx_customers_name_search ON customers \
     USING gin ((lower(first_name) || ' ' || lower(last_name)) gin_trgm_ops)",
    "CREATE INDEX idx_customer_emails_search ON customer_emails USING gin (email_key gin_trgm_ops)",
    "CREATE INDEX idx_companies_name_search ON companies USING gin (name_key gin_trgm_ops)",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX idx_companies_name_search",
    "DROP INDEX idx_customer_emails_search",
    "DROP INDEX idx_customers_name_search",
];

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE customer_name_search USING fts5(term, tokenize = 'trigram')",
    "CREATE VIRTUAL TABLE customer_email_search USING fts5(term, tokenize = 'trigram')",
    "INSERT INTO customer_name_search (rowid, term) \
     SELECT rowid, lower(first_name) || ' ' || lower(last_name) FROM customers",
    "INSERT INTO customer_email_search (rowid, term) SELECT rowid, email_key FROM customer_emails",
    "CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN \
       INSERT INTO customer_name_search (rowid, term) \
       VALUES (new.rowid, lower(new.first_name) || ' ' || lower(new.last_name)); \
     END",
    "CREATE TRIGGER customers_search_update AFTER UPDATE OF first_name, last_name ON customers BEGIN \
       DELETE FROM customer_name_search WHERE rowid = old.rowid; \
       INSERT INTO customer_name_search (rowid, term) \
       VALUES (new.rowid, lower(new.first_name) || ' ' || lower(new.last_name)); \
     END",
    "CREATE TRIGGER customers_search_delete AFTER DELETE ON customers BEGIN \
       DELETE FROM customer_name_search WHERE rowid = old.rowid; \
     END",
    "CREATE TRIGGER customer_emails_search_insert AFTER INSERT ON customer_emails BEGIN \
       INSERT INTO customer_email_search (rowid, term) VALUES (new.rowid, new.email_key); \
     END",
    "CREATE TRIGGER customer_emails_search_update AFTER UPDATE OF email_key ON customer_emails BEGIN \
       DELETE FROM customer_email_search WHERE rowid = old.rowid; \
       INSERT INTO customer_email_search (rowid, term) VALUES (new.rowid, new.email_key); \
     END",
    "CREATE TRIGGER customer_emails_search_delete AFTER DELETE ON customer_emails BEGIN \
       DELETE FROM customer_email_search WHERE rowid = old.rowid; \
     END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER customer_emails_search_delete",
    "DROP TRIGGER customer_emails_search_update",
    "DROP TRIGGER customer_emails_search_insert",
    "DROP TRIGGER customers_search_delete",
    "DROP TRIGGER customers_search_update",
    "DROP TRIGGER customers_search_insert",
    "DROP TABLE customer_email_search",
    "DROP TABLE customer_name_search",
];

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for sql in statements {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, BOTH_UP).await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => run(manager, POSTGRES_UP).await,
            _ => run(manager, SQLITE_UP).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => run(manager, POSTGRES_DOWN).await?,
            _ => run(manager, SQLITE_DOWN).await?,
        }
        run(manager, BOTH_DOWN).await
    }
}
