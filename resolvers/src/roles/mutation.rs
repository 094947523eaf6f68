use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use roster_entities::{custom_role, user};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, IntoActiveModel, NotSet, QueryFilter, Set,
    TransactionTrait,
};
use uuid::Uuid;

use crate::kernel::permissions::Requires;
use crate::kernel::scope::Tenant;
use crate::{
    kernel::context::ContextExt,
    kernel::error::{is_unique_violation, ApiError, ApiResult, UserError, UserErrorCode},
    kernel::history::{self, Entry},
    kernel::ids::{GlobalId, NodeKind},
    kernel::pagination::{self, Page, PageArgs, Sort, SortValue},
    kernel::permissions::Permission,
    kernel::scope::name_taken,
    kernel::validation,
};

/// A named set of permissions a member gets on top of the base ones.
#[derive(Clone, Debug)]
pub struct CustomRole(pub custom_role::Model);

/// A named set of permissions a member gets on top of the base ones.
#[Object]
impl CustomRole {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId::custom_role(self.0.id).into()
    }

    /// Name, unique in the account (case does not matter).
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The permissions the role adds to the base member ones.
    async fn permissions(&self) -> Vec<Permission> {
        super::decode(&self.0.permissions)
    }
}

/// Input of `createCustomRole`.
#[derive(InputObject)]
pub struct CreateCustomRoleInput {
    /// Name, unique in the account (at most 255 characters).
    pub name: String,
    /// The permissions the role adds (not MANAGE_ROLES or MANAGE_PRODUCTS,
    /// which are for admins only).
    pub permissions: Vec<Permission>,
}

/// Input of `updateCustomRole`: only the fields given change.
#[derive(InputObject)]
pub struct UpdateCustomRoleInput {
    /// The role to change.
    pub id: ID,
    /// New name, unique in the account (at most 255 characters).
    pub name: Option<String>,
    /// The complete new set of permissions (not MANAGE_ROLES or
    /// MANAGE_PRODUCTS).
    pub permissions: Option<Vec<Permission>>,
}

/// Input of `deleteCustomRole`.
#[derive(InputObject)]
pub struct DeleteCustomRoleInput {
    /// The role to delete.
    pub id: ID,
}

/// Result of `createCustomRole`, `updateCustomRole` and `deleteCustomRole`.
#[derive(SimpleObject)]
pub struct CustomRolePayload {
    /// The role as saved (for `deleteCustomRole`, as it was); null when
    /// `userErrors` is not empty.
    pub role: Option<CustomRole>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

fn failed(e: UserError) -> ApiResult<CustomRolePayload> {
    Ok(CustomRolePayload {
        role: None,
        user_errors: vec![e],
    })
}

fn check_permissions(permissions: &[Permission]) -> Result<(), UserError> {
    match permissions.iter().find(|p| !p.grantable()) {
        Some(p) => Err(UserError::new(
            "permissions",
            UserErrorCode::NotAllowed,
            format!("{} is for admins only", p.name()),
        )),
        None => Ok(()),
    }
}

fn taken() -> UserError {
    UserError::new(
        "name",
        UserErrorCode::Taken,
        "a role with this name already exists",
    )
}

#[derive(Default)]
pub struct CustomRoleQuery;

#[Object]
impl CustomRoleQuery {
    /// The account's custom roles, by name.
    #[graphql(
        complexity = "crate::kernel::pagination::cost(first, last, child_complexity)",
        guard = "Requires(Permission::ViewPeople)"
    )]
    async fn custom_roles(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Returns the first n items (at most 100; the first 20 when neither `first` nor `last` is given). Cannot be combined with `last`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "Returns the items after this cursor (an edge's `cursor` or `pageInfo.endCursor`)."
        )]
        after: Option<String>,
        #[graphql(
            desc = "Returns the last n items (at most 100). Cannot be combined with `first`."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Returns the items before this cursor (an edge's `cursor` or `pageInfo.startCursor`)."
        )]
        before: Option<String>,
    ) -> ApiResult<Page<CustomRole>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let select = Tenant(viewer.account_id).find::<custom_role::Entity>();
        let sort = Sort {
            column: custom_role::Column::NameKey,
            id: custom_role::Column::Id,
            reverse: false,
            // Unique in the account (a unique index serves the order).
            unique: true,
            key: |r: &custom_role::Model| (SortValue::Text(r.name_key.clone()), r.id),
        };
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        Ok(pagination::paginate(ctx.db(), select, sort, args, CustomRole).await?)
    }
}

#[derive(Default)]
pub struct CustomRoleMutation;

#[Object]
impl CustomRoleMutation {
    /// Creates a custom role (admins).
    #[graphql(guard = "Requires(Permission::ManageRoles)")]
    async fn create_custom_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The role to create.")] input: CreateCustomRoleInput,
    ) -> ApiResult<CustomRolePayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let name = match validation::required_text("name", &input.name, 255) {
            Ok(n) => n,
            Err(e) => return failed(e),
        };
        if let Err(e) = check_permissions(&input.permissions) {
            return failed(e);
        }
        let key = name.to_lowercase();
        if name_taken::<custom_role::Entity>(db, viewer.account_id, &key, None).await? {
            return failed(taken());
        }
        let now = Utc::now();
        let txn = db.begin().await?;
        let inserted = Tenant(viewer.account_id)
            .insert(custom_role::ActiveModel {
                id: Set(Uuid::now_v7()),
                account_id: NotSet,
                name: Set(name.clone()),
                name_key: Set(key),
                permissions: Set(super::encode(&input.permissions)),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec_with_returning(&txn)
            .await;
        let role = match inserted {
            Ok(r) => r,
            Err(err) if is_unique_violation(&err) => return failed(taken()),
            Err(err) => return Err(ApiError::from(err).into()),
        };
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![Entry::ok("role.create", "CustomRole", role.id, name)],
        )
        .await?;
        Ok(CustomRolePayload {
            role: Some(CustomRole(role)),
            user_errors: Vec::new(),
        })
    }

    /// Renames a custom role or changes its permissions; its users get the
    /// new permissions on their next request.
    #[graphql(guard = "Requires(Permission::ManageRoles)")]
    async fn update_custom_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The role and what to change.")] input: UpdateCustomRoleInput,
    ) -> ApiResult<CustomRolePayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let id = GlobalId::expect(&input.id, NodeKind::CustomRole)?;
        let existing = Tenant(viewer.account_id)
            .find_by_id::<custom_role::Entity>(id)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::not_found("CustomRole"))?;
        let mut row = existing.into_active_model();
        if let Some(name) = &input.name {
            match validation::required_text("name", name, 255) {
                Ok(n) => {
                    let key = n.to_lowercase();
                    if name_taken::<custom_role::Entity>(db, viewer.account_id, &key, Some(id))
                        .await?
                    {
                        return failed(taken());
                    }
                    row.name = Set(n);
                    row.name_key = Set(key);
                }
                Err(e) => return failed(e),
            }
        }
        if let Some(permissions) = &input.permissions {
            if let Err(e) = check_permissions(permissions) {
                return failed(e);
            }
            row.permissions = Set(super::encode(permissions));
        }
        row.updated_at = Set(Utc::now());
        let txn = db.begin().await?;
        let role = row.update(&txn).await?;
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![Entry::ok(
                "role.update",
                "CustomRole",
                role.id,
                role.name.clone(),
            )],
        )
        .await?;
        Ok(CustomRolePayload {
            role: Some(CustomRole(role)),
            user_errors: Vec::new(),
        })
    }

    /// Deletes a custom role; its users keep the base member permissions.
    #[graphql(guard = "Requires(Permission::ManageRoles)")]
    async fn delete_custom_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The role to delete.")] input: DeleteCustomRoleInput,
    ) -> ApiResult<CustomRolePayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let id = GlobalId::expect(&input.id, NodeKind::CustomRole)?;
        let existing = Tenant(viewer.account_id)
            .find_by_id::<custom_role::Entity>(id)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::not_found("CustomRole"))?;
        let txn = db.begin().await?;
        Tenant(viewer.account_id)
            .update_many::<user::Entity>()
            .col_expr(
                user::Column::CustomRoleId,
                Expr::value(Option::<Uuid>::None),
            )
            .filter(user::Column::CustomRoleId.eq(id))
            .exec(&txn)
            .await?;
        Tenant(viewer.account_id)
            .delete_many::<custom_role::Entity>()
            .filter(custom_role::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![Entry::ok(
                "role.delete",
                "CustomRole",
                id,
                existing.name.clone(),
            )],
        )
        .await?;
        Ok(CustomRolePayload {
            role: Some(CustomRole(existing)),
            user_errors: Vec::new(),
        })
    }
}
