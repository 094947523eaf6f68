//! Groups of staff users (seed 002): create, rename, delete, change
//! members; `Group.users` and `User.groups` load through dataloaders.

mod loader;
mod mutation;
mod object;
mod query;

pub use loader::{GroupMembersLoader, UserGroupsLoader};
pub use mutation::GroupMutation;
pub use object::Group;
pub use query::GroupQuery;

use async_graphql::ID;
use roster_entities::group;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    kernel::error::{ApiError, UserError, UserErrorCode},
    kernel::ids::{GlobalId, NodeKind},
    kernel::scope::Tenant,
};

/// The group `id` of `account_id`, or NOT_FOUND (also for other accounts).
pub async fn find(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    id: Uuid,
) -> Result<group::Model, ApiError> {
    Tenant(account_id)
        .find_by_id::<group::Entity>(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Group"))
}

/// Resolves ids of an input field to groups of the account, or a NOT_FOUND
/// user error on `field` listing the unknown ones.
pub async fn resolve_ids(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    field: &str,
    ids: &[ID],
) -> Result<Result<Vec<Uuid>, UserError>, ApiError> {
    let wanted: Vec<Option<Uuid>> = ids
        .iter()
        .map(|id| GlobalId::expect(id, NodeKind::Group).ok())
        .collect();
    let found: Vec<Uuid> = Tenant(account_id)
        .find::<group::Entity>()
        .filter(group::Column::Id.is_in(wanted.iter().flatten().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.id)
        .collect();
    let unknown: Vec<&str> = ids
        .iter()
        .zip(&wanted)
        .filter(|(_, w)| w.is_none_or(|u| !found.contains(&u)))
        .map(|(id, _)| id.as_str())
        .collect();
    if !unknown.is_empty() {
        return Ok(Err(UserError::new(
            field,
            UserErrorCode::NotFound,
            format!("no such group: {}", unknown.join(", ")),
        )));
    }
    let mut out: Vec<Uuid> = wanted.into_iter().flatten().collect();
    out.sort();
    out.dedup();
    Ok(Ok(out))
}
