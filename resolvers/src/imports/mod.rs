//! CSV import of customers (seeds 000 and 004): a persisted job that
//! validates every row with the customer rules, shows a preview, and on
//! confirmation writes the rows in batches; a restarted server resumes it.

mod control;
pub mod csv_file;
mod object;
pub mod options;
mod query;
pub mod worker;

pub use control::ImportMutation;
pub use object::{ImportJob, ImportPhase};
pub use query::{ImportQuery, ImportSubscription};

use roster_entities::import_job;
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::{error::ApiError, scope::Scoped};

/// Largest file accepted.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Most data rows in one file.
pub const MAX_ROWS: usize = 1_000_000;

/// The job `id` of `account_id`, or NOT_FOUND.
pub async fn find(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    id: Uuid,
) -> Result<import_job::Model, ApiError> {
    import_job::Entity::find_by_id(id)
        .in_account(account_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Import job"))
}
