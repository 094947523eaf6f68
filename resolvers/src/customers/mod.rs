//! Customers (seeds 000 and 004): the `Customer` object, the `customers`
//! connection, create / update / delete (with denylisting), access to
//! services and portal access levels, alone or in bulk.

mod access;
mod delete;
mod loader;
mod mutation;
mod object;
mod query;
mod rules;
pub mod validate;

pub use access::CustomerAccessMutation;
pub use delete::CustomerDeleteMutation;
pub use loader::{CustomerAliasesLoader, CustomerServiceAccessLoader};
pub use mutation::CustomerMutation;
pub use object::{
    Customer, CustomerServiceAccess, EmailFormat, PortalAccessLevel, ServiceAccessLevel,
};
pub use query::{CustomerFilter, CustomerQuery, CustomerSortKey};

use roster_entities::customer;
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::{error::ApiError, scope::Scoped};

/// The customer `id` of `account_id`, or NOT_FOUND (also for other accounts).
pub async fn find(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    id: Uuid,
) -> Result<customer::Model, ApiError> {
    customer::Entity::find_by_id(id)
        .in_account(account_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Customer"))
}
