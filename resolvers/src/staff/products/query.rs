use async_graphql::{Context, Object, ID};
use roster_entities::product;

use super::Product;
use crate::kernel::permissions::Requires;
use crate::{
    kernel::context::ContextExt,
    kernel::error::ApiResult,
    kernel::ids::{GlobalId, NodeKind},
    kernel::pagination::{self, Page, PageArgs, Sort, SortValue},
    kernel::permissions::Permission,
    kernel::scope::Tenant,
};

#[derive(Default)]
pub struct ProductQuery;

#[Object]
impl ProductQuery {
    /// The account's products with their seats, by name.
    #[graphql(
        complexity = "crate::kernel::pagination::cost(first, last, child_complexity)",
        guard = "Requires(Permission::ViewPeople)"
    )]
    async fn products(
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
    ) -> ApiResult<Page<Product>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let select = Tenant(viewer.account_id).find::<product::Entity>();
        let sort = Sort {
            column: product::Column::NameKey,
            id: product::Column::Id,
            reverse: false,
            // Unique in the account (a unique index serves the order).
            unique: true,
            key: |p: &product::Model| (SortValue::Text(p.name_key.clone()), p.id),
        };
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        Ok(pagination::paginate(ctx.db(), select, sort, args, Product).await?)
    }

    /// One product by id.
    #[graphql(guard = "Requires(Permission::ViewPeople)")]
    async fn product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product's global id.")] id: ID,
    ) -> ApiResult<Product> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let id = GlobalId::expect(&id, NodeKind::Product)?;
        let found = Tenant(viewer.account_id)
            .find_by_id::<product::Entity>(id)
            .one(ctx.db())
            .await?
            .ok_or_else(|| crate::ApiError::not_found("Product"))?;
        Ok(Product(found))
    }
}
