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

use roster_entities::company;
use sea_orm::ConnectionTrait;
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
