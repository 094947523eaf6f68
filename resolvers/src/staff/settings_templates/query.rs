use async_graphql::{Context, Object};
use roster_entities::settings_template;

use super::SettingsTemplate;
use crate::kernel::permissions::Requires;
use crate::{
    kernel::context::ContextExt,
    kernel::error::ApiResult,
    kernel::pagination::{self, Page, PageArgs, Sort, SortValue},
    kernel::permissions::Permission,
    kernel::scope::Tenant,
};

#[derive(Default)]
pub struct SettingsTemplateQuery;

#[Object]
impl SettingsTemplateQuery {
    /// The account's settings templates, by name.
    #[graphql(
        complexity = "crate::kernel::pagination::cost(first, last, child_complexity)",
        guard = "Requires(Permission::ViewPeople)"
    )]
    async fn settings_templates(
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
    ) -> ApiResult<Page<SettingsTemplate>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let select = Tenant(viewer.account_id).find::<settings_template::Entity>();
        let sort = Sort {
            column: settings_template::Column::NameKey,
            id: settings_template::Column::Id,
            reverse: false,
            // Unique in the account (a unique index serves the order).
            unique: true,
            key: |t: &settings_template::Model| (SortValue::Text(t.name_key.clone()), t.id),
        };
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        Ok(pagination::paginate(ctx.db(), select, sort, args, SettingsTemplate).await?)
    }
}
