//! Contacts (seed 001): people who receive notifications and reports but
//! cannot sign in, with their contact methods (EMAIL, SMS, PHONE) and the
//! companies they have access to. Staff users are listed as contacts too;
//! only a user may change their own name and primary email.

mod loader;
pub mod methods;
mod mutation;
mod object;
mod query;

pub use loader::{ContactCompaniesLoader, ContactMethodsLoader};
pub use mutation::ContactMutation;
pub use object::{Contact, ContactMethod, ContactMethodKind};
pub use query::ContactQuery;

use roster_entities::contact;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{kernel::error::ApiError, kernel::scope::Tenant};

/// Most contact methods one contact may have.
pub const METHODS_MAX: usize = 50;
/// Longest contact name.
pub const NAME_MAX: usize = 255;

/// The contact `id` of `account_id`, or NOT_FOUND (also for other accounts).
pub async fn find(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    id: Uuid,
) -> Result<contact::Model, ApiError> {
    Tenant(account_id)
        .find_by_id::<contact::Entity>(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Contact"))
}
