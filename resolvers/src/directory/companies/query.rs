use async_graphql::{Context, Enum, Object, ID};
use roster_entities::company;
use sea_orm::QueryFilter;

use super::Company;
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

/// Orders of the `companies` connection.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CompanySortKey {
    /// By name, A to Z.
    #[default]
    Name,
    /// Oldest first.
    CreatedAt,
}

impl CompanySortKey {
    fn sort(self, reverse: bool) -> Sort<company::Entity> {
        match self {
            CompanySortKey::Name => Sort {
                column: company::Column::NameKey,
                id: company::Column::Id,
                reverse,
                // Unique in the account (a unique index serves the order).
                unique: true,
                key: |c| (SortValue::Text(c.name_key.clone()), c.id),
            },
            CompanySortKey::CreatedAt => Sort {
                column: company::Column::CreatedAt,
                id: company::Column::Id,
                reverse,
                unique: false,
                key: |c| (SortValue::Time(c.created_at), c.id),
            },
        }
    }
}

#[derive(Default)]
pub struct CompanyQuery;

#[Object]
impl CompanyQuery {
    /// The account's companies, filtered by a keyword in their name.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "crate::kernel::pagination::cost(first, last, child_complexity)",
        guard = "Requires(Permission::ViewPeople)"
    )]
    async fn companies(
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
        #[graphql(desc = "Only companies whose name contains this text.")] keyword: Option<String>,
        #[graphql(default, desc = "The order of the items (default: NAME).")]
        sort_key: CompanySortKey,
        #[graphql(default, desc = "Reverses the order (default: false).")] reverse: bool,
    ) -> ApiResult<Page<Company>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let mut select = Tenant(viewer.account_id).find::<company::Entity>();
        if let Some(keyword) = keyword.filter(|k| !k.trim().is_empty()) {
            select = select.filter(pagination::contains(company::Column::Name, &keyword));
        }
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        let page =
            pagination::paginate(ctx.db(), select, sort_key.sort(reverse), args, Company).await?;
        // Employees' `company` is one of these rows: seed the loader with them.
        let rows = page
            .edges
            .iter()
            .map(|e| ((e.node.0.account_id, e.node.0.id), e.node.0.clone()));
        crate::kernel::loaders::of(ctx)
            .get::<crate::kernel::loaders::CompanyLoader>()
            .feed_many(rows)
            .await;
        let parents = page
            .edges
            .iter()
            .map(|e| Parent::Company(e.node.0.id))
            .collect();
        nested::prime(ctx, "employees", viewer.account_id, parents).await?;
        Ok(page)
    }

    /// One company by id; NOT_FOUND when it is not in the account.
    #[graphql(guard = "Requires(Permission::ViewPeople)")]
    async fn company(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company's global id.")] id: ID,
    ) -> ApiResult<Company> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let id = GlobalId::expect(&id, NodeKind::Company)?;
        Ok(Company(super::find(ctx.db(), viewer.account_id, id).await?))
    }
}
