//! Staff users: the `User` object and lookups.

mod object;

pub use object::{User, UserRole, UserStatus};

use roster_entities::user;
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::{error::ApiError, scope::Scoped};

/// The user `id` of `account_id`, or NOT_FOUND (also for other accounts' ids).
pub async fn find(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    id: Uuid,
) -> Result<user::Model, ApiError> {
    user::Entity::find_by_id(id)
        .in_account(account_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("User"))
}
