use async_graphql::{Context, Object, ID};
use roster_entities::group;
use sea_orm::QueryFilter;

use super::Group;
use crate::kernel::permissions::Requires;
use crate::{
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult},
    kernel::ids::{GlobalId, NodeKind},
    kernel::pagination::{self, Page, PageArgs, Sort, SortValue},
    kernel::permissions::Permission,
    kernel::scope::Tenant,
};

#[derive(Default)]
pub struct GroupQuery;

#[Object]
impl GroupQuery {
    /// The account's groups, by name.
    #[graphql(
        complexity = "crate::kernel::pagination::cost(first, last, child_complexity)",
        guard = "Requires(Permission::ViewPeople)"
    )]
    async fn groups(
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
        #[graphql(desc = "Only groups whose name contains this text.")] keyword: Option<String>,
    ) -> ApiResult<Page<Group>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let mut select = Tenant(viewer.account_id).find::<group::Entity>();
        if let Some(k) = keyword.filter(|k| !k.trim().is_empty()) {
            select = select.filter(pagination::contains(group::Column::Name, &k));
        }
        let sort = Sort {
            column: group::Column::NameKey,
            id: group::Column::Id,
            reverse: false,
            // Unique in the account (a unique index serves the order).
            unique: true,
            key: |g: &group::Model| (SortValue::Text(g.name_key.clone()), g.id),
        };
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        let page = pagination::paginate(ctx.db(), select, sort, args, Group).await?;
        if pagination::node_selects(ctx, "users") {
            let keys = page
                .edges
                .iter()
                .map(|e| (e.node.0.account_id, e.node.0.id));
            crate::kernel::loaders::of(ctx)
                .get::<crate::staff::groups::GroupMembersLoader>()
                .load_many(keys)
                .await
                .map_err(ApiError::internal)?;
        }
        Ok(page)
    }

    /// One group by id; NOT_FOUND when it is not in the account.
    #[graphql(guard = "Requires(Permission::ViewPeople)")]
    async fn group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group's global id.")] id: ID,
    ) -> ApiResult<Group> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let id = GlobalId::expect(&id, NodeKind::Group)?;
        Ok(Group(super::find(ctx.db(), viewer.account_id, id).await?))
    }
}
