use async_graphql::{Context, Enum, Object, ID};
use roster_entities::service;
use sea_orm::QueryFilter;

use super::Service;
use crate::kernel::permissions::Requires;
use crate::{
    directory::customers::nested::{self, Parent},
    kernel::context::ContextExt,
    kernel::error::ApiResult,
    kernel::ids::{GlobalId, NodeKind},
    kernel::pagination::{self, Page, PageArgs, Sort, SortValue},
    kernel::permissions::Permission,
    kernel::scope::Tenant,
};

/// Orders of the `services` connection.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ServiceSortKey {
    /// By name, A to Z.
    #[default]
    Name,
    /// Oldest first.
    CreatedAt,
}

impl ServiceSortKey {
    fn sort(self, reverse: bool) -> Sort<service::Entity> {
        match self {
            ServiceSortKey::Name => Sort {
                column: service::Column::NameKey,
                id: service::Column::Id,
                reverse,
                // Unique in the account (a unique index serves the order).
                unique: true,
                key: |s| (SortValue::Text(s.name_key.clone()), s.id),
            },
            ServiceSortKey::CreatedAt => Sort {
                column: service::Column::CreatedAt,
                id: service::Column::Id,
                reverse,
                unique: false,
                key: |s| (SortValue::Time(s.created_at), s.id),
            },
        }
    }
}

#[derive(Default)]
pub struct ServiceQuery;

#[Object]
impl ServiceQuery {
    /// The account's services, filtered by a keyword in their name.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "crate::kernel::pagination::cost(first, last, child_complexity)",
        guard = "Requires(Permission::ViewPeople)"
    )]
    async fn services(
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
        #[graphql(desc = "Only services whose name contains this text.")] keyword: Option<String>,
        #[graphql(default, desc = "The order of the items (default: NAME).")]
        sort_key: ServiceSortKey,
        #[graphql(default, desc = "Reverses the order (default: false).")] reverse: bool,
    ) -> ApiResult<Page<Service>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let mut select = Tenant(viewer.account_id).find::<service::Entity>();
        if let Some(keyword) = keyword.filter(|k| !k.trim().is_empty()) {
            select = select.filter(pagination::contains(service::Column::Name, &keyword));
        }
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        let page =
            pagination::paginate(ctx.db(), select, sort_key.sort(reverse), args, Service).await?;
        let parents = page
            .edges
            .iter()
            .map(|e| Parent::Service(e.node.0.id))
            .collect();
        nested::prime(ctx, "customers", viewer.account_id, parents).await?;
        Ok(page)
    }

    /// One service by id; NOT_FOUND when it is not in the account.
    #[graphql(guard = "Requires(Permission::ViewPeople)")]
    async fn service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The service's global id.")] id: ID,
    ) -> ApiResult<Service> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let id = GlobalId::expect(&id, NodeKind::Service)?;
        Ok(Service(super::find(ctx.db(), viewer.account_id, id).await?))
    }
}
