//! Database migrations. They run on server start, via `roster migrate`, and
//! via this crate's own CLI (`cargo run -p roster-migration -- status`).
//! Every migration must run on both SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_accounts_users_sessions;
mod m20261123_000002_customers_companies_services;
mod m20261123_000003_customer_avatars;
mod m20261123_000004_custom_fields;
mod m20261123_000005_export_links;
mod m20261123_000006_import_jobs;
mod m20261123_000007_import_file_chunks;
mod m20261123_000008_customers_account_id_index;
mod m20261123_000009_contacts;
mod m20261123_000010_portal_and_incidents;
mod m20261123_000011_staff;
mod m20261123_000012_invitations;
mod m20261127_000013_customer_reads;
mod m20261127_000014_list_indexes;
mod m20261127_000015_search_index_expressions;
mod m20261127_000016_portal_sign_ups;
mod m20261127_000017_scim;
mod m20261128_000018_import_keys;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_accounts_users_sessions::Migration),
            Box::new(m20261123_000002_customers_companies_services::Migration),
            Box::new(m20261123_000003_customer_avatars::Migration),
            Box::new(m20261123_000004_custom_fields::Migration),
            Box::new(m20261123_000005_export_links::Migration),
            Box::new(m20261123_000006_import_jobs::Migration),
            Box::new(m20261123_000007_import_file_chunks::Migration),
            Box::new(m20261123_000008_customers_account_id_index::Migration),
            Box::new(m20261123_000009_contacts::Migration),
            Box::new(m20261123_000010_portal_and_incidents::Migration),
            Box::new(m20261123_000011_staff::Migration),
            Box::new(m20261123_000012_invitations::Migration),
            Box::new(m20261127_000013_customer_reads::Migration),
            Box::new(m20261127_000014_list_indexes::Migration),
            Box::new(m20261127_000015_search_index_expressions::Migration),
            Box::new(m20261127_000016_portal_sign_ups::Migration),
            Box::new(m20261127_000017_scim::Migration),
            Box::new(m20261128_000018_import_keys::Migration),
        ]
    }
}
