use async_graphql::{Context, Object};
use roster_entities::custom_field;

use super::CustomField;
use crate::kernel::permissions::Requires;
use crate::{
    kernel::context::ContextExt,
    kernel::error::ApiResult,
    kernel::pagination::{self, Page, PageArgs, Sort, SortValue},
    kernel::permissions::Permission,
    kernel::scope::Tenant,
};

#[derive(Default)]
pub struct CustomFieldQuery;

#[Object]
impl CustomFieldQuery {
    /// The account's custom customer fields, by name.
    #[graphql(
        complexity = "crate::kernel::pagination::cost(first, last, child_complexity)",
        guard = "Requires(Permission::ViewPeople)"
    )]
    async fn custom_fields(
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
    ) -> ApiResult<Page<CustomField>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let select = Tenant(viewer.account_id).find::<custom_field::Entity>();
        let sort = Sort {
            column: custom_field::Column::NameKey,
            id: custom_field::Column::Id,
            reverse: false,
            // Unique in the account (a unique index serves the order).
            unique: true,
            key: |f: &custom_field::Model| (SortValue::Text(f.name_key.clone()), f.id),
        };
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        Ok(pagination::paginate(ctx.db(), select, sort, args, CustomField).await?)
    }
}
