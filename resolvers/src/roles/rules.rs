//! Who may give which role (seed 003): only super admins create, promote or
//! demote super admins and admins; admins (and managers who add users)
//! create members only; the last super admin of an account stays one.

use roster_entities::user::{self, Role, Status};
use sea_orm::{ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::{kernel::auth::Viewer, kernel::error::ApiError, kernel::scope::Tenant};

fn admin_level(role: Role) -> bool {
    matches!(role, Role::SuperAdmin | Role::Admin)
}

/// May `actor` give `role` to someone (a new user or by a role change)?
pub fn may_give(actor: Role, role: Role) -> Result<(), ApiError> {
    if admin_level(role) && actor != Role::SuperAdmin {
        return Err(ApiError::Forbidden(
            "Only super admins create or promote admins and super admins".into(),
        ));
    }
    Ok(())
}

/// May `actor` change or remove a user who has `current`?
pub fn may_change(actor: Role, current: Role) -> Result<(), ApiError> {
    if admin_level(current) && actor != Role::SuperAdmin {
        return Err(ApiError::Forbidden(
            "Only super admins change, demote or remove admins and super admins".into(),
        ));
    }
    Ok(())
}

/// Refuses to demote, suspend or remove `target` when they are the account's
/// last active super admin.
pub async fn keep_a_super_admin(
    db: &impl ConnectionTrait,
    target: &user::Model,
) -> Result<(), ApiError> {
    if target.role != Role::SuperAdmin {
        return Ok(());
    }
    // Every change that may remove a super admin takes the account's lock
    // first (in its transaction), so two super admins demoting each other at
    // once are serialised and the second sees the first's change.
    crate::kernel::locks::account(db, target.account_id).await?;
    let others = Tenant(target.account_id)
        .find::<user::Entity>()
        .filter(user::Column::Role.eq(Role::SuperAdmin))
        .filter(user::Column::Status.eq(Status::Active))
        .filter(user::Column::Id.ne(target.id))
        .count(db)
        .await?;
    if others == 0 {
        return Err(ApiError::BadUserInput(
            "This is the account's last super admin: make someone else super admin first".into(),
        ));
    }
    Ok(())
}

/// Role and manager checks for acting on an existing user: `viewer` must
/// hold the role rule and, below admin, the manager permission for them.
pub fn is_self(viewer: &Viewer, user_id: Uuid) -> bool {
    viewer.user_id == user_id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_rules() {
        use Role::*;
        for (actor, role, ok) in [
            (SuperAdmin, SuperAdmin, true),
            (SuperAdmin, Admin, true),
            (SuperAdmin, Member, true),
            (Admin, SuperAdmin, false),
            (Admin, Admin, false),
            (Admin, Member, true),
            (Member, Admin, false),
            (Member, Member, true),
        ] {
            assert_eq!(
                may_give(actor, role).is_ok(),
                ok,
                "{actor:?} gives {role:?}"
            );
            assert_eq!(
                may_change(actor, role).is_ok(),
                ok,
                "{actor:?} changes {role:?}"
            );
        }
    }
}
