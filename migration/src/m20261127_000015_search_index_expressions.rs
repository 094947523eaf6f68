//! PostgreSQL's trigram indexes on addresses and company names move to an
//! expression (`lower(…)`) that only keyword search uses. `pg_trgm` also
//! answers equality, so on fresh statistics the planner chose the trigram
//! index for the exact lookups of imports (`email_key = ANY(…)` with
//! thousands of keys), scanning the index's pending list once per key: one
//! lookup took 72 s in a 100,000-row import. Keys are stored lower-case, so
//! `lower(key) LIKE …` matches what `key LIKE …` matched. SQLite is not
//! concerned (its search tables are separate).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "DROP INDEX idx_customer_emails_search",
    "CREATE INDEX idx_customer_emails_search ON customer_emails \
     USING gin (lower(email_key) gin_trgm_ops)",
    "DROP INDEX idx_companies_name_search",
    "CREATE INDEX idx_companies_name_search ON companies \
     USING gin (lower(name_key) gin_trgm_ops)",
];

const DOWN: &[&str] = &[
    "DROP INDEX idx_companies_name_search",
    "CREATE INDEX idx_companies_name_search ON companies USING gin (name_key gin_trgm_ops)",
    "DROP INDEX idx_customer_emails_search",
    "CREATE INDEX idx_customer_emails_search ON customer_emails USING gin (email_key gin_trgm_ops)",
];

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    for sql in statements {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, DOWN).await
    }
}
