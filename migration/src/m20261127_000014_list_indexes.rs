//! An index behind every order and filter of the other lists (companies,
//! services, contacts, incidents, users, email templates), in keyset order
//! (…, sort column, id), so no page sorts or scans a whole account.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index, table, columns).
const INDEXES: &[(&str, &str, &str)] = &[
    (
        "idx_companies_account_created",
        "companies",
        "account_id, created_at, id",
    ),
    (
        "idx_services_account_created",
        "services",
        "account_id, created_at, id",
    ),
    (
        "idx_contacts_account_created",
        "contacts",
        "account_id, created_at, id",
    ),
    (
        "idx_contact_methods_account_value",
        "contact_methods",
        "account_id, value",
    ),
    (
        "idx_incidents_account_created_id",
        "incidents",
        "account_id, created_at, id",
    ),
    (
        "idx_incidents_account_updated",
        "incidents",
        "account_id, updated_at, id",
    ),
    (
        "idx_users_account_created",
        "users",
        "account_id, created_at, id",
    ),
    (
        "idx_users_account_last_name",
        "users",
        "account_id, last_name, id",
    ),
    ("idx_users_account_email", "users", "account_id, email_key"),
    (
        "idx_email_templates_account_name",
        "email_templates",
        "account_id, name, id",
    ),
    (
        "idx_import_jobs_account_created_id",
        "import_jobs",
        "account_id, created_at, id",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, table, columns) in INDEXES {
            db.execute_unprepared(&format!("CREATE INDEX {name} ON {table} ({columns})"))
                .await?;
        }
        // Superseded by (account_id, created_at, id).
        for old in [
            "idx_incidents_account_created",
            "idx_import_jobs_account_created",
        ] {
            db.execute_unprepared(&format!("DROP INDEX {old}")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (old, table) in [
            ("idx_incidents_account_created", "incidents"),
            ("idx_import_jobs_account_created", "import_jobs"),
        ] {
            db.execute_unprepared(&format!(
                "CREATE INDEX {old} ON {table} (account_id, created_at)"
            ))
            .await?;
        }
        for (name, _, _) in INDEXES.iter().rev() {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }
}
