//! Creating, renaming and deleting groups and changing their members needs
//! the manager permission Add and delete groups; a grant limited to groups
//! acts on those groups only (and cannot create new ones).

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use roster_entities::{group, group_member};
use sea_orm::{
    sea_query::OnConflict, ActiveModelTrait, ColumnTrait, IntoActiveModel, NotSet, QueryFilter,
    Set, TransactionTrait,
};
use uuid::Uuid;

use super::Group;
use crate::kernel::scope::Tenant;
use crate::{
    kernel::auth::Viewer,
    kernel::context::ContextExt,
    kernel::error::{is_unique_violation, ApiError, ApiResult, UserError, UserErrorCode},
    kernel::history::{self, Entry},
    kernel::ids::{GlobalId, NodeKind},
    kernel::scope::name_taken,
    kernel::validation,
    staff::managers::{self, ManagerPermission},
};

const NAME_MAX: usize = 255;

/// Input of `createGroup`.
#[derive(InputObject)]
pub struct CreateGroupInput {
    /// Name, unique in the account (at most 255 characters).
    pub name: String,
}

/// Input of `updateGroup`.
#[derive(InputObject)]
pub struct UpdateGroupInput {
    /// The group to rename.
    pub id: ID,
    /// New name, unique in the account (at most 255 characters).
    pub name: String,
}

/// Input of `deleteGroup`.
#[derive(InputObject)]
pub struct DeleteGroupInput {
    /// The group to delete.
    pub id: ID,
}

/// Input of `addGroupMembers` and `removeGroupMembers`.
#[derive(InputObject)]
pub struct GroupMembersInput {
    /// The group to change.
    pub group_id: ID,
    /// The users to put in or take out.
    pub user_ids: Vec<ID>,
}

/// Result of `createGroup`, `updateGroup`, `addGroupMembers` and
/// `removeGroupMembers`.
#[derive(SimpleObject)]
pub struct GroupPayload {
    /// The group as saved; null when `userErrors` is not empty.
    pub group: Option<Group>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `deleteGroup`.
#[derive(SimpleObject)]
pub struct DeleteGroupPayload {
    /// Id of the deleted group.
    pub deleted_group_id: Option<ID>,
    /// Problems with the input (none today; kept for a stable payload shape).
    pub user_errors: Vec<UserError>,
}

fn taken() -> UserError {
    UserError::new(
        "name",
        UserErrorCode::Taken,
        "a group with this name already exists",
    )
}

fn failed(e: UserError) -> ApiResult<GroupPayload> {
    Ok(GroupPayload {
        group: None,
        user_errors: vec![e],
    })
}

/// The group, if `viewer` may manage it.
async fn managed(ctx: &Context<'_>, viewer: &Viewer, id: &ID) -> Result<group::Model, ApiError> {
    // The permission first: without it, whether the group exists is none
    // of the caller's business.
    let scope = managers::scope(ctx.db(), viewer, ManagerPermission::AddDeleteGroups).await?;
    let id = GlobalId::expect(id, NodeKind::Group)?;
    let group = super::find(ctx.db(), viewer.account_id, id).await?;
    if scope.groups.is_some_and(|g| !g.contains(&id)) {
        return Err(ApiError::Forbidden(
            "Your permission to add and delete groups covers only the groups you manage".into(),
        ));
    }
    Ok(group)
}

/// Resolves user ids of the account, or a NOT_FOUND user error.
async fn users_of(
    ctx: &Context<'_>,
    account_id: Uuid,
    ids: &[ID],
) -> Result<Result<Vec<roster_entities::user::Model>, UserError>, ApiError> {
    crate::staff::users::resolve(ctx.db(), account_id, "userIds", ids).await
}

#[derive(Default)]
pub struct GroupMutation;

#[Object]
impl GroupMutation {
    /// Creates a group.
    async fn create_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group to create.")] input: CreateGroupInput,
    ) -> ApiResult<GroupPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let scope = managers::scope(ctx.db(), viewer, ManagerPermission::AddDeleteGroups).await?;
        if scope.groups.is_some() {
            return Err(ApiError::Forbidden(
                "Your permission to add and delete groups covers only the groups you manage".into(),
            )
            .into());
        }
        let name = match validation::required_text("name", &input.name, NAME_MAX) {
            Ok(n) => n,
            Err(e) => return failed(e),
        };
        let key = name.to_lowercase();
        let db = ctx.db();
        if name_taken::<group::Entity>(db, viewer.account_id, &key, None).await? {
            return failed(taken());
        }
        let now = Utc::now();
        let txn = db.begin().await?;
        let inserted = Tenant(viewer.account_id)
            .insert(group::ActiveModel {
                id: Set(Uuid::now_v7()),
                account_id: NotSet,
                name: Set(name.clone()),
                name_key: Set(key),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec_with_returning(&txn)
            .await;
        let group = match inserted {
            Ok(g) => g,
            Err(err) if is_unique_violation(&err) => return failed(taken()),
            Err(err) => return Err(ApiError::from(err).into()),
        };
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![Entry::ok("group.create", "Group", group.id, name)],
        )
        .await?;
        Ok(GroupPayload {
            group: Some(Group(group)),
            user_errors: Vec::new(),
        })
    }

    /// Renames a group.
    async fn update_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group and its new name.")] input: UpdateGroupInput,
    ) -> ApiResult<GroupPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let existing = managed(ctx, viewer, &input.id).await?;
        let name = match validation::required_text("name", &input.name, NAME_MAX) {
            Ok(n) => n,
            Err(e) => return failed(e),
        };
        let key = name.to_lowercase();
        let db = ctx.db();
        if name_taken::<group::Entity>(db, viewer.account_id, &key, Some(existing.id)).await? {
            return failed(taken());
        }
        let mut row = existing.into_active_model();
        row.name = Set(name.clone());
        row.name_key = Set(key);
        row.updated_at = Set(Utc::now());
        let txn = db.begin().await?;
        let group = match row.update(&txn).await {
            Ok(g) => g,
            Err(err) if is_unique_violation(&err) => return failed(taken()),
            Err(err) => return Err(ApiError::from(err).into()),
        };
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![Entry::ok("group.rename", "Group", group.id, name)],
        )
        .await?;
        Ok(GroupPayload {
            group: Some(Group(group)),
            user_errors: Vec::new(),
        })
    }

    /// Deletes a group; its users stay.
    async fn delete_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group to delete.")] input: DeleteGroupInput,
    ) -> ApiResult<DeleteGroupPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let existing = managed(ctx, viewer, &input.id).await?;
        let txn = ctx.db().begin().await?;
        Tenant(viewer.account_id)
            .delete_many::<group::Entity>()
            .filter(group::Column::Id.eq(existing.id))
            .exec(&txn)
            .await?;
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![Entry::ok(
                "group.delete",
                "Group",
                existing.id,
                existing.name,
            )],
        )
        .await?;
        Ok(DeleteGroupPayload {
            deleted_group_id: Some(input.id),
            user_errors: Vec::new(),
        })
    }

    /// Puts users in a group (users already in it stay).
    async fn add_group_members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group and the users to put in it.")] input: GroupMembersInput,
    ) -> ApiResult<GroupPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let group = managed(ctx, viewer, &input.group_id).await?;
        let users = match users_of(ctx, viewer.account_id, &input.user_ids).await? {
            Ok(u) => u,
            Err(e) => return failed(e),
        };
        // A manager limited to groups adds only users already in reach:
        // adding anyone else would bring them into reach.
        let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
        managers::require(
            ctx.db(),
            viewer,
            ManagerPermission::AddDeleteGroups,
            &ids,
            &[],
        )
        .await?;
        let txn = ctx.db().begin().await?;
        for chunk in users.chunks(5_000) {
            let rows = chunk.iter().map(|u| group_member::ActiveModel {
                account_id: NotSet,
                group_id: Set(group.id),
                user_id: Set(u.id),
            });
            let result = Tenant(viewer.account_id)
                .insert_many(rows)
                .on_conflict(
                    OnConflict::columns([
                        group_member::Column::GroupId,
                        group_member::Column::UserId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec(&txn)
                .await;
            match result {
                Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => {}
                Err(err) => return Err(ApiError::from(err).into()),
            }
        }
        history::commit(
            txn,
            ctx.state(),
            viewer,
            users
                .iter()
                .map(|u| {
                    Entry::ok("group.add_member", "User", u.id, u.email.clone())
                        .with_detail(format!("added to {}", group.name))
                })
                .collect(),
        )
        .await?;
        Ok(GroupPayload {
            group: Some(Group(group)),
            user_errors: Vec::new(),
        })
    }

    /// Takes users out of a group.
    async fn remove_group_members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group and the users to take out.")] input: GroupMembersInput,
    ) -> ApiResult<GroupPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let group = managed(ctx, viewer, &input.group_id).await?;
        let users = match users_of(ctx, viewer.account_id, &input.user_ids).await? {
            Ok(u) => u,
            Err(e) => return failed(e),
        };
        let txn = ctx.db().begin().await?;
        Tenant(viewer.account_id)
            .delete_many::<group_member::Entity>()
            .filter(group_member::Column::GroupId.eq(group.id))
            .filter(group_member::Column::UserId.is_in(users.iter().map(|u| u.id)))
            .exec(&txn)
            .await?;
        history::commit(
            txn,
            ctx.state(),
            viewer,
            users
                .iter()
                .map(|u| {
                    Entry::ok("group.remove_member", "User", u.id, u.email.clone())
                        .with_detail(format!("removed from {}", group.name))
                })
                .collect(),
        )
        .await?;
        Ok(GroupPayload {
            group: Some(Group(group)),
            user_errors: Vec::new(),
        })
    }
}
