//! CSV imports of customers (seeds 000 and 004) and of staff users (seed
//! 002), through one pipeline: a persisted job validates every row with the
//! rules of its kind, shows a preview, and on confirmation writes the rows
//! in batches; a restarted server resumes it. `worker.rs` is the pipeline,
//! `customers.rs` and `users.rs` the kinds.

pub(crate) mod control;
pub mod csv_file;
mod customers;
mod object;
pub mod options;
mod query;
mod seen;
mod users;
pub mod worker;

pub use control::ImportMutation;
pub use object::{ImportJob, ImportPhase, ImportRowResult};
pub use query::{ImportQuery, ImportSubscription};
pub use users::UserImportMutation;

use roster_entities::import_job;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{kernel::error::ApiError, kernel::scope::Tenant};

/// Largest file accepted.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Most data rows in one file.
pub const MAX_ROWS: usize = 1_000_000;

/// `import_job.kind` of customer imports.
pub const CUSTOMERS_KIND: &str = "CUSTOMERS";

/// The kinds of import jobs `viewer` may see and drive: customer imports
/// with the import permission, user imports with the manager permission to
/// add users. FORBIDDEN when neither: checked before a job is looked up, so
/// that the answer does not tell others which jobs exist.
pub async fn visible_kinds(
    db: &impl ConnectionTrait,
    viewer: &crate::kernel::auth::Viewer,
) -> Result<Vec<&'static str>, ApiError> {
    let customers = crate::kernel::permissions::authorize(
        viewer,
        crate::kernel::permissions::Permission::ImportCustomers,
    );
    let users = crate::staff::managers::scope(
        db,
        viewer,
        crate::staff::managers::ManagerPermission::AddDeleteUsers,
    )
    .await;
    let mut kinds = Vec::new();
    if customers.is_ok() {
        kinds.push(CUSTOMERS_KIND);
    }
    if users.is_ok() {
        kinds.push(users::KIND);
    }
    match customers {
        Err(refused) if kinds.is_empty() => Err(refused),
        _ => Ok(kinds),
    }
}

/// FORBIDDEN unless `viewer` may import something (see `visible_kinds`).
pub async fn may_import(
    db: &impl ConnectionTrait,
    viewer: &crate::kernel::auth::Viewer,
) -> Result<(), ApiError> {
    visible_kinds(db, viewer).await.map(drop)
}

/// Whether `viewer` may see and drive `job`: customer imports need the
/// import permission, user imports the manager permission to add users.
pub async fn authorize(
    db: &impl ConnectionTrait,
    viewer: &crate::kernel::auth::Viewer,
    job: &import_job::Model,
) -> Result<(), ApiError> {
    if job.kind == users::KIND {
        crate::staff::managers::scope(
            db,
            viewer,
            crate::staff::managers::ManagerPermission::AddDeleteUsers,
        )
        .await
        .map(drop)
    } else {
        crate::kernel::permissions::authorize(
            viewer,
            crate::kernel::permissions::Permission::ImportCustomers,
        )
    }
}

/// The job `id` of `account_id`, or NOT_FOUND.
pub async fn find(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    id: Uuid,
) -> Result<import_job::Model, ApiError> {
    Tenant(account_id)
        .find_by_id::<import_job::Entity>(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Import job"))
}
