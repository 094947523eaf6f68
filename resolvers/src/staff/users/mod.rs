//! Staff users (seeds 002, 003): the `User` object, the `users` connection,
//! adding users one by one, several at once or from a pasted list
//! (`parse.rs`), changing their role, status, names and extension, and
//! deleting them.

pub mod add;
pub mod contact;
pub mod extension;
mod loader;
mod mutation;
mod object;
pub mod parse;
mod query;
pub mod write;

pub use add::{add_users, prepare, AddUsersMutation, NewUser, NewUsers, UserListQuery};
pub use loader::{UserFeaturesLoader, UserProductsLoader};
pub use mutation::UserMutation;
pub use object::{User, UserRole, UserStatus};
pub use query::UserQuery;

use async_graphql::ID;
use roster_entities::user;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    kernel::error::{ApiError, UserError, UserErrorCode},
    kernel::ids::{GlobalId, NodeKind},
    kernel::scope::Tenant,
};

/// Most users one account may have (seed 002).
pub const USERS_MAX: u64 = 25_000;

/// The user `id` of `account_id`, or NOT_FOUND (also for other accounts' ids).
pub async fn find(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    id: Uuid,
) -> Result<user::Model, ApiError> {
    Tenant(account_id)
        .find_by_id::<user::Entity>(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("User"))
}

/// Suspends `target` (they lose their sessions and, with `free_seats`,
/// their seats; the last active super admin cannot be suspended) or makes
/// them ACTIVE again, in the caller's transaction.
pub async fn set_status(
    txn: &impl ConnectionTrait,
    target: user::Model,
    status: user::Status,
    free_seats: bool,
) -> Result<user::Model, ApiError> {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let account_id = target.account_id;
    if status == user::Status::Suspended {
        crate::roles::rules::keep_a_super_admin(txn, &target).await?;
    }
    let mut row = target.into_active_model();
    row.status = Set(status);
    row.updated_at = Set(chrono::Utc::now());
    let updated = row.update(txn).await?;
    if status == user::Status::Active {
        // A user a directory deleted and Roster brings back is the
        // directory's to see again.
        crate::kernel::scope::Tenant(account_id)
            .update_many::<roster_entities::scim_user::Entity>()
            .col_expr(
                roster_entities::scim_user::Column::DeletedAt,
                sea_orm::sea_query::Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            )
            .filter(roster_entities::scim_user::Column::UserId.eq(updated.id))
            .exec(txn)
            .await?;
    }
    if status == user::Status::Suspended {
        crate::kernel::scope::Tenant(account_id)
            .delete_many::<roster_entities::session::Entity>()
            .filter(roster_entities::session::Column::UserId.eq(updated.id))
            .exec(txn)
            .await?;
        if free_seats {
            crate::staff::products::seats::free(txn, account_id, &[updated.id], None).await?;
        }
    }
    Ok(updated)
}

/// Deletes `target` in the caller's transaction: frees their seats, erases
/// their personal data from what refers to them, removes the row. The last
/// active super admin cannot be deleted.
pub async fn remove(txn: &impl ConnectionTrait, target: &user::Model) -> Result<(), ApiError> {
    crate::roles::rules::keep_a_super_admin(txn, target).await?;
    crate::staff::products::seats::free(txn, target.account_id, &[target.id], None).await?;
    crate::erasure::erase(
        txn,
        &crate::erasure::Person {
            account_id: target.account_id,
            id: target.id,
            emails: vec![target.email.clone()],
            name: format!("{} {}", target.first_name, target.last_name),
        },
    )
    .await?;
    crate::kernel::scope::Tenant(target.account_id)
        .delete_many::<user::Entity>()
        .filter(user::Column::Id.eq(target.id))
        .exec(txn)
        .await?;
    Ok(())
}

/// The users an input field names, or a NOT_FOUND user error on `field`
/// listing the unknown ids (other accounts' included).
pub async fn resolve(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    field: &str,
    ids: &[ID],
) -> Result<Result<Vec<user::Model>, UserError>, ApiError> {
    let wanted: Vec<Option<Uuid>> = ids
        .iter()
        .map(|id| GlobalId::expect(id, NodeKind::User).ok())
        .collect();
    let mut found = Vec::with_capacity(ids.len());
    let known: Vec<Uuid> = wanted.iter().flatten().copied().collect();
    for chunk in known.chunks(10_000) {
        found.extend(
            Tenant(account_id)
                .find::<user::Entity>()
                .filter(user::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await?,
        );
    }
    let unknown: Vec<&str> = ids
        .iter()
        .zip(&wanted)
        .filter(|(_, w)| w.is_none_or(|u| !found.iter().any(|f| f.id == u)))
        .map(|(id, _)| id.as_str())
        .take(20)
        .collect();
    if !unknown.is_empty() {
        return Ok(Err(UserError::new(
            field,
            UserErrorCode::NotFound,
            format!("no such user: {}", unknown.join(", ")),
        )));
    }
    found.sort_by_key(|u| u.id);
    found.dedup_by_key(|u| u.id);
    Ok(Ok(found))
}
