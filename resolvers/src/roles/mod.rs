//! Roles: the built-in SUPER_ADMIN, ADMIN and MEMBER, custom roles (named
//! sets of permissions a member gets on top of the base ones), and the rules
//! of who may give which role (`rules.rs`).

mod mutation;
pub mod rules;

pub use mutation::{CustomRole, CustomRoleMutation, CustomRoleQuery};

use roster_entities::custom_role;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{kernel::error::ApiError, kernel::permissions::Permission, kernel::scope::Tenant};

/// The permissions a custom role gives (none if it is gone).
pub async fn permissions_of(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    role_id: Uuid,
) -> Result<Vec<Permission>, ApiError> {
    let role = Tenant(account_id)
        .find_by_id::<custom_role::Entity>(role_id)
        .one(db)
        .await?;
    Ok(role.map(|r| decode(&r.permissions)).unwrap_or_default())
}

/// Whether the custom role `id` is one of the account's.
pub async fn exists(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    id: Uuid,
) -> Result<bool, ApiError> {
    Ok(Tenant(account_id)
        .find_by_id::<custom_role::Entity>(id)
        .one(db)
        .await?
        .is_some())
}

pub fn decode(json: &str) -> Vec<Permission> {
    serde_json::from_str::<Vec<String>>(json)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| Permission::from_name(n))
        .filter(|p| p.grantable())
        .collect()
}

pub fn encode(permissions: &[Permission]) -> String {
    let names: Vec<String> = permissions.iter().map(|p| p.name()).collect();
    serde_json::to_string(&names).unwrap_or_else(|_| "[]".into())
}
