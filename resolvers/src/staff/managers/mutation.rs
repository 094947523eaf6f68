use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use roster_entities::{group, manager_grant, product};
use sea_orm::{
    sea_query::OnConflict, ColumnTrait, NotSet, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use super::ManagerPermission;
use crate::kernel::permissions::Requires;
use crate::kernel::scope::Tenant;
use crate::{
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult, UserError},
    kernel::history::{self, Entry},
    kernel::ids::{GlobalId, NodeKind},
    kernel::permissions::Permission,
    staff::groups::Group,
    staff::products::Product,
};

/// A manager permission held by a user.
#[derive(Clone, Debug)]
pub struct ManagerGrant(pub manager_grant::Model);

/// A manager permission held by a user.
#[Object]
impl ManagerGrant {
    /// The permission held.
    async fn permission(&self) -> ApiResult<ManagerPermission> {
        ManagerPermission::parse(&self.0.permission)
            .ok_or_else(|| ApiError::internal("unknown manager permission").into())
    }

    /// The groups it is limited to; null for every group.
    async fn groups(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<Group>>> {
        let Some(ids) = super::ids(&self.0.group_ids) else {
            return Ok(None);
        };
        let rows = Tenant(self.0.account_id)
            .find::<group::Entity>()
            .filter(group::Column::Id.is_in(ids))
            .order_by_asc(group::Column::NameKey)
            .all(ctx.db())
            .await?;
        Ok(Some(rows.into_iter().map(Group).collect()))
    }

    /// The products it is limited to; null for every product.
    async fn products(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<Product>>> {
        let Some(ids) = super::ids(&self.0.product_ids) else {
            return Ok(None);
        };
        let rows = Tenant(self.0.account_id)
            .find::<product::Entity>()
            .filter(product::Column::Id.is_in(ids))
            .order_by_asc(product::Column::NameKey)
            .all(ctx.db())
            .await?;
        Ok(Some(rows.into_iter().map(Product).collect()))
    }
}

/// Input of `grantManagerPermission`.
#[derive(InputObject)]
pub struct GrantManagerPermissionInput {
    /// The user to give the permission to.
    pub user_id: ID,
    /// The permission to give.
    pub permission: ManagerPermission,
    /// Limit it to users in these groups (omit for every user).
    pub group_ids: Option<Vec<ID>>,
    /// Limit it to these products (omit for every product).
    pub product_ids: Option<Vec<ID>>,
}

/// Input of `revokeManagerPermission`.
#[derive(InputObject)]
pub struct RevokeManagerPermissionInput {
    /// The user to take the permission from.
    pub user_id: ID,
    /// The permission to take away.
    pub permission: ManagerPermission,
}

/// Result of `grantManagerPermission` and `revokeManagerPermission`.
#[derive(SimpleObject)]
pub struct ManagerPermissionPayload {
    /// The grant as saved by `grantManagerPermission`; null after
    /// `revokeManagerPermission` or when `userErrors` is not empty.
    pub grant: Option<ManagerGrant>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct ManagerMutation;

#[Object]
impl ManagerMutation {
    /// Gives a user a manager permission, for every user or only for users
    /// in some groups, and for every product or only some (admins only).
    /// Granting it again replaces its limits.
    #[graphql(guard = "Requires(Permission::ManageRoles)")]
    async fn grant_manager_permission(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user, the permission and its limits.")]
        input: GrantManagerPermissionInput,
    ) -> ApiResult<ManagerPermissionPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let user_id = GlobalId::expect(&input.user_id, NodeKind::User)?;
        let user = crate::staff::users::find(db, viewer.account_id, user_id).await?;
        let fail = |e| {
            Ok(ManagerPermissionPayload {
                grant: None,
                user_errors: vec![e],
            })
        };
        let groups = match &input.group_ids {
            Some(ids) => {
                match crate::staff::groups::resolve_ids(db, viewer.account_id, "groupIds", ids)
                    .await?
                {
                    Ok(g) => Some(g),
                    Err(e) => return fail(e),
                }
            }
            None => None,
        };
        let products = match &input.product_ids {
            Some(ids) => {
                match crate::staff::products::resolve_ids(db, viewer.account_id, "productIds", ids)
                    .await?
                {
                    Ok(p) => Some(p),
                    Err(e) => return fail(e),
                }
            }
            None => None,
        };
        let json =
            |ids: Option<Vec<Uuid>>| ids.map(|i| serde_json::to_string(&i).unwrap_or_default());
        let row = manager_grant::Model {
            id: Uuid::now_v7(),
            account_id: viewer.account_id,
            user_id,
            permission: input.permission.as_str().to_owned(),
            group_ids: json(groups),
            product_ids: json(products),
            created_at: Utc::now(),
        };
        let txn = db.begin().await?;
        Tenant(row.account_id)
            .insert(manager_grant::ActiveModel {
                id: Set(row.id),
                account_id: NotSet,
                user_id: Set(row.user_id),
                permission: Set(row.permission.clone()),
                group_ids: Set(row.group_ids.clone()),
                product_ids: Set(row.product_ids.clone()),
                created_at: Set(row.created_at),
            })
            .on_conflict(
                OnConflict::columns([
                    manager_grant::Column::UserId,
                    manager_grant::Column::Permission,
                ])
                .update_columns([
                    manager_grant::Column::GroupIds,
                    manager_grant::Column::ProductIds,
                ])
                .to_owned(),
            )
            .exec(&txn)
            .await?;
        let saved = Tenant(viewer.account_id)
            .find::<manager_grant::Entity>()
            .filter(manager_grant::Column::UserId.eq(user_id))
            .filter(manager_grant::Column::Permission.eq(input.permission.as_str()))
            .one(&txn)
            .await?
            .ok_or_else(|| ApiError::internal("grant not saved"))?;
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![
                Entry::ok("manager.grant", "User", user.id, user.email.clone())
                    .with_detail(input.permission.as_str()),
            ],
        )
        .await?;
        Ok(ManagerPermissionPayload {
            grant: Some(ManagerGrant(saved)),
            user_errors: Vec::new(),
        })
    }

    /// Takes a manager permission away from a user (admins only).
    #[graphql(guard = "Requires(Permission::ManageRoles)")]
    async fn revoke_manager_permission(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user and the permission to take away.")]
        input: RevokeManagerPermissionInput,
    ) -> ApiResult<ManagerPermissionPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let user_id = GlobalId::expect(&input.user_id, NodeKind::User)?;
        let user = crate::staff::users::find(ctx.db(), viewer.account_id, user_id).await?;
        Tenant(viewer.account_id)
            .delete_many::<manager_grant::Entity>()
            .filter(manager_grant::Column::UserId.eq(user_id))
            .filter(manager_grant::Column::Permission.eq(input.permission.as_str()))
            .exec(ctx.db())
            .await?;
        history::record(
            ctx.state(),
            viewer,
            vec![Entry::ok("manager.revoke", "User", user.id, user.email)
                .with_detail(input.permission.as_str())],
        )
        .await?;
        Ok(ManagerPermissionPayload {
            grant: None,
            user_errors: Vec::new(),
        })
    }
}
