//! Changing and removing users. Admins and super admins are changed by super
//! admins only; below that, the manager permission Add and delete users
//! (for the user's groups) is needed; a user may change their own names,
//! extension and language. The email never changes.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use roster_entities::{
    contact,
    user::{self, Role, Status},
};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, IntoActiveModel, QueryFilter, Set,
    TransactionTrait,
};

use super::{extension, parse, User, UserRole, UserStatus};
use crate::kernel::permissions::Requires;
use crate::kernel::scope::Tenant;
use crate::{
    kernel::auth::Viewer,
    kernel::context::ContextExt,
    kernel::error::{is_unique_violation, ApiError, ApiResult, UserError, UserErrorCode},
    kernel::history::{self, Entry},
    kernel::ids::{GlobalId, NodeKind},
    kernel::language::{self, Language},
    kernel::permissions::Permission,
    kernel::validation,
    roles::rules,
    staff::managers::{self, ManagerPermission},
};

/// Input of `updateUser`: only the fields given change. The email cannot.
#[derive(InputObject)]
pub struct UpdateUserInput {
    /// The user to change.
    pub id: ID,
    /// New first name (not empty; at most 32 characters).
    pub first_name: Option<String>,
    /// New last name (not empty; at most 32 characters).
    pub last_name: Option<String>,
    /// New phone extension: 2 to 8 digits (10 to 99999999), unique in the
    /// account.
    pub extension: Option<i32>,
    /// New primary language.
    pub preferred_language: Option<Language>,
    /// New language: de, en, es, pt, fr or it.
    #[graphql(
        deprecation = "Use `preferredLanguage`: the same language as a `Language` enum value."
    )]
    pub language: Option<String>,
}

/// Input of `setUserRole`.
#[derive(InputObject)]
pub struct SetUserRoleInput {
    /// The user whose role to change.
    pub id: ID,
    /// The new role.
    pub role: UserRole,
    /// A custom role (members only); null removes it.
    pub custom_role_id: Option<ID>,
}

/// Input of `setUserStatus`.
#[derive(InputObject)]
pub struct SetUserStatusInput {
    /// The user whose status to change.
    pub id: ID,
    /// ACTIVE or SUSPENDED.
    pub status: UserStatus,
}

/// Input of `deleteUser`.
#[derive(InputObject)]
pub struct DeleteUserInput {
    /// The user to delete.
    pub id: ID,
}

/// Result of `updateUser`, `setUserRole` and `setUserStatus`.
#[derive(SimpleObject)]
pub struct UserPayload {
    /// The user as saved; null when `userErrors` is not empty.
    pub user: Option<User>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `deleteUser`.
#[derive(SimpleObject)]
pub struct DeleteUserPayload {
    /// Id of the deleted user.
    pub deleted_user_id: Option<ID>,
    /// Problems with the input (none today; kept for a stable payload shape).
    pub user_errors: Vec<UserError>,
}

fn failed(e: UserError) -> ApiResult<UserPayload> {
    Ok(UserPayload {
        user: None,
        user_errors: vec![e],
    })
}

/// The user `id`, if `viewer` may change them with `permission`.
async fn changeable(
    ctx: &Context<'_>,
    viewer: &Viewer,
    id: &ID,
    permission: ManagerPermission,
) -> Result<user::Model, ApiError> {
    // The permission first: without it, whether the user exists is none of
    // the caller's business.
    managers::scope(ctx.db(), viewer, permission).await?;
    let id = GlobalId::expect(id, NodeKind::User)?;
    let target = super::find(ctx.db(), viewer.account_id, id).await?;
    rules::may_change(viewer.role, target.role)?;
    managers::require(ctx.db(), viewer, permission, &[target.id], &[]).await?;
    Ok(target)
}

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Changes a user's names, extension or language.
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user and what to change.")] input: UpdateUserInput,
    ) -> ApiResult<UserPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let id = GlobalId::expect(&input.id, NodeKind::User)?;
        let target = if rules::is_self(viewer, id) {
            super::find(db, viewer.account_id, id).await?
        } else {
            changeable(ctx, viewer, &input.id, ManagerPermission::AddDeleteUsers).await?
        };
        let mut row = target.clone().into_active_model();
        if let Some(first) = &input.first_name {
            match validation::required_text("firstName", first, parse::NAME_MAX) {
                Ok(v) => row.first_name = Set(v),
                Err(e) => return failed(e),
            }
        }
        if let Some(last) = &input.last_name {
            match validation::required_text("lastName", last, parse::NAME_MAX) {
                Ok(v) => row.last_name = Set(v),
                Err(e) => return failed(e),
            }
        }
        if let Some(ext) = input.extension {
            match extension::check("extension", ext) {
                Ok(v) => row.extension = Set(Some(v)),
                Err(e) => return failed(e),
            }
        }
        let language = match language::pick(
            "preferredLanguage",
            input.preferred_language,
            "language",
            input.language,
        ) {
            Ok(language) => language,
            Err(e) => return failed(e),
        };
        if let Some(language) = language {
            match Language::from_code(&language) {
                Some(l) => row.language = Set(l.code().to_owned()),
                None => return failed(language::unknown("language")),
            }
        }
        let now = Utc::now();
        row.updated_at = Set(now);
        let txn = db.begin().await?;
        let updated = match row.update(&txn).await {
            Ok(u) => u,
            Err(err) if is_unique_violation(&err) => {
                return failed(UserError::new(
                    "extension",
                    UserErrorCode::Taken,
                    "is another user's extension",
                ))
            }
            Err(err) => return Err(ApiError::from(err).into()),
        };
        let name = crate::staff::users::contact::name_of(&updated.first_name, &updated.last_name);
        Tenant(viewer.account_id)
            .update_many::<contact::Entity>()
            .col_expr(contact::Column::Name, Expr::value(name.clone()))
            .col_expr(contact::Column::NameKey, Expr::value(name.to_lowercase()))
            .filter(contact::Column::UserId.eq(updated.id))
            .exec(&txn)
            .await?;
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![Entry::ok(
                "user.update",
                "User",
                updated.id,
                updated.email.clone(),
            )],
        )
        .await?;
        Ok(UserPayload {
            user: Some(User(updated)),
            user_errors: Vec::new(),
        })
    }

    /// Changes a user's role. Only super admins make or unmake admins and
    /// super admins; the last super admin stays one.
    #[graphql(guard = "Requires(Permission::ManageRoles)")]
    async fn set_user_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user and their new role.")] input: SetUserRoleInput,
    ) -> ApiResult<UserPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let id = GlobalId::expect(&input.id, NodeKind::User)?;
        let target = super::find(db, viewer.account_id, id).await?;
        let role: Role = input.role.into();
        rules::may_change(viewer.role, target.role)?;
        rules::may_give(viewer.role, role)?;
        let demoted = role != Role::SuperAdmin;
        let custom_role_id = match &input.custom_role_id {
            Some(id) if role == Role::Member => {
                let uuid = GlobalId::expect(id, NodeKind::CustomRole).ok();
                let exists = match uuid {
                    Some(u) => crate::roles::exists(db, viewer.account_id, u).await?,
                    None => false,
                };
                if !exists {
                    return failed(UserError::new(
                        "customRoleId",
                        UserErrorCode::NotFound,
                        format!("no such custom role: {}", id.as_str()),
                    ));
                }
                uuid
            }
            Some(_) => {
                return failed(UserError::new(
                    "customRoleId",
                    UserErrorCode::NotAllowed,
                    "custom roles are for members",
                ))
            }
            None => None,
        };
        let txn = db.begin().await?;
        if demoted {
            rules::keep_a_super_admin(&txn, &target).await?;
        }
        let mut row = target.into_active_model();
        row.role = Set(role);
        row.custom_role_id = Set(custom_role_id);
        row.updated_at = Set(Utc::now());
        let updated = row.update(&txn).await?;
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![
                Entry::ok("user.role", "User", updated.id, updated.email.clone())
                    .with_detail(format!("{role:?}")),
            ],
        )
        .await?;
        crate::kernel::auth::sessions_changed(ctx, updated.id);
        Ok(UserPayload {
            user: Some(User(updated)),
            user_errors: Vec::new(),
        })
    }

    /// Suspends a user (they cannot sign in; their sessions end) or makes
    /// them active again.
    async fn set_user_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user and their new status.")] input: SetUserStatusInput,
    ) -> ApiResult<UserPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let target = changeable(ctx, viewer, &input.id, ManagerPermission::AddDeleteUsers).await?;
        let status: Status = input.status.into();
        if status == Status::Invited {
            return failed(UserError::new(
                "status",
                UserErrorCode::NotAllowed,
                "a user becomes INVITED only by an invitation",
            ));
        }
        let db = ctx.db();
        let txn = db.begin().await?;
        let updated = super::set_status(&txn, target, status, false).await?;
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![
                Entry::ok("user.status", "User", updated.id, updated.email.clone())
                    .with_detail(format!("{status:?}")),
            ],
        )
        .await?;
        crate::kernel::auth::sessions_changed(ctx, updated.id);
        Ok(UserPayload {
            user: Some(User(updated)),
            user_errors: Vec::new(),
        })
    }

    /// Deletes a user and frees their seats. The last super admin cannot be
    /// deleted.
    async fn delete_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user to delete.")] input: DeleteUserInput,
    ) -> ApiResult<DeleteUserPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let target = changeable(ctx, viewer, &input.id, ManagerPermission::AddDeleteUsers).await?;
        let db = ctx.db();
        let txn = db.begin().await?;
        super::remove(&txn, &target).await?;
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![Entry::ok(
                "user.delete",
                "User",
                target.id,
                crate::erasure::ERASED,
            )],
        )
        .await?;
        crate::kernel::auth::sessions_changed(ctx, target.id);
        Ok(DeleteUserPayload {
            deleted_user_id: Some(input.id),
            user_errors: Vec::new(),
        })
    }
}
