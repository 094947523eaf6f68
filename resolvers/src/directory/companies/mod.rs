//! Companies customers belong to, and the services each company has access
//! to: the `Company` object, queries, mutations and loaders.

mod loader;
mod mutation;
mod object;
mod query;

pub use loader::CompanyServicesLoader;
pub use mutation::CompanyMutation;
pub use object::Company;
pub use query::CompanyQuery;

use chrono::{DateTime, Utc};
use roster_entities::company;
use sea_orm::{ConnectionTrait, NotSet, Set};
use uuid::Uuid;

use crate::{kernel::error::ApiError, kernel::scope::Tenant};

/// The company `id` of `account_id`, or NOT_FOUND (also for other accounts).
pub async fn find(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    id: Uuid,
) -> Result<company::Model, ApiError> {
    Tenant(account_id)
        .find_by_id::<company::Entity>(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Company"))
}

/// The row of a new company (`createCompany`, and the companies an import
/// creates), for `Tenant::insert` or `Tenant::row`. `name_key` is the
/// lower-cased name the unique key is on.
pub fn new_row(name: String, name_key: String, now: DateTime<Utc>) -> company::ActiveModel {
    company::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: NotSet,
        name: Set(name),
        name_key: Set(name_key),
        created_at: Set(now),
        updated_at: Set(now),
    }
}
