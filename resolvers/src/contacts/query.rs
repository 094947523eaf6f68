use async_graphql::{Context, Enum, Object, ID};
use roster_entities::{contact, contact_company, contact_method};
use sea_orm::{sea_query::Query, ColumnTrait, Condition, QueryFilter};
use uuid::Uuid;

use super::Contact;
use crate::kernel::permissions::Requires;
use crate::{
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult},
    kernel::ids::{GlobalId, NodeKind},
    kernel::pagination::{self, Page, PageArgs, Sort, SortValue},
    kernel::permissions::Permission,
    kernel::scope::Tenant,
};

/// Orders of the `contacts` connection.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ContactSortKey {
    /// By name, A to Z.
    #[default]
    Name,
    /// Oldest first.
    CreatedAt,
}

impl ContactSortKey {
    fn sort(self, reverse: bool) -> Sort<contact::Entity> {
        match self {
            ContactSortKey::Name => Sort {
                column: contact::Column::NameKey,
                id: contact::Column::Id,
                reverse,
                unique: false,
                key: |c| (SortValue::Text(c.name_key.clone()), c.id),
            },
            ContactSortKey::CreatedAt => Sort {
                column: contact::Column::CreatedAt,
                id: contact::Column::Id,
                reverse,
                unique: false,
                key: |c| (SortValue::Time(c.created_at), c.id),
            },
        }
    }
}

#[derive(Default)]
pub struct ContactQuery;

#[Object]
impl ContactQuery {
    /// The account's contacts, staff users included.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "crate::kernel::pagination::cost(first, last, child_complexity)",
        guard = "Requires(Permission::ViewPeople)"
    )]
    async fn contacts(
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
        #[graphql(desc = "Every word must appear in the name or in a contact method.")]
        keyword: Option<String>,
        #[graphql(desc = "Only contacts with access to this company.")] company_id: Option<ID>,
        #[graphql(desc = "Only users (true) or only other contacts (false).")] is_user: Option<
            bool,
        >,
        #[graphql(default, desc = "The order of the items (default: NAME).")]
        sort_key: ContactSortKey,
        #[graphql(default, desc = "Reverses the order (default: false).")] reverse: bool,
    ) -> ApiResult<Page<Contact>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let mut select = Tenant(viewer.account_id).find::<contact::Entity>();
        for word in keyword.iter().flat_map(|k| k.split_whitespace()) {
            let in_methods = Query::select()
                .column(contact_method::Column::ContactId)
                .from(contact_method::Entity)
                .and_where(contact_method::Column::AccountId.eq(viewer.account_id))
                .and_where(pagination::contains(contact_method::Column::Value, word))
                .to_owned();
            select = select.filter(
                Condition::any()
                    .add(pagination::contains(contact::Column::Name, word))
                    .add(contact::Column::Id.in_subquery(in_methods)),
            );
        }
        if let Some(company) = &company_id {
            let company = GlobalId::expect(company, NodeKind::Company).unwrap_or(Uuid::nil());
            let with_access = Query::select()
                .column(contact_company::Column::ContactId)
                .from(contact_company::Entity)
                .and_where(contact_company::Column::AccountId.eq(viewer.account_id))
                .and_where(contact_company::Column::CompanyId.eq(company))
                .to_owned();
            select = select.filter(contact::Column::Id.in_subquery(with_access));
        }
        match is_user {
            Some(true) => select = select.filter(contact::Column::UserId.is_not_null()),
            Some(false) => select = select.filter(contact::Column::UserId.is_null()),
            None => {}
        }
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        let page =
            pagination::paginate(ctx.db(), select, sort_key.sort(reverse), args, Contact).await?;
        prime(ctx, &page).await?;
        Ok(page)
    }

    /// One contact by id; NOT_FOUND when it is not in the account.
    #[graphql(guard = "Requires(Permission::ViewPeople)")]
    async fn contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact's global id.")] id: ID,
    ) -> ApiResult<Contact> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let id = GlobalId::expect(&id, NodeKind::Contact)?;
        Ok(Contact(super::find(ctx.db(), viewer.account_id, id).await?))
    }
}

/// Loads the page's methods, companies and users in one batch each, when
/// the query selects them.
async fn prime(ctx: &Context<'_>, page: &Page<Contact>) -> Result<(), ApiError> {
    let selects = |name: &str| crate::kernel::pagination::node_selects(ctx, name);
    let keys: Vec<(Uuid, Uuid)> = page
        .edges
        .iter()
        .map(|e| (e.node.0.account_id, e.node.0.id))
        .collect();
    let loaders = crate::kernel::loaders::of(ctx);
    if selects("methods") {
        loaders
            .get::<crate::contacts::ContactMethodsLoader>()
            .load_many(keys.clone())
            .await
            .map_err(ApiError::internal)?;
    }
    if selects("companies") {
        loaders
            .get::<crate::contacts::ContactCompaniesLoader>()
            .load_many(keys)
            .await
            .map_err(ApiError::internal)?;
    }
    if selects("user") {
        let users = page
            .edges
            .iter()
            .filter_map(|e| e.node.0.user_id.map(|u| (e.node.0.account_id, u)));
        loaders
            .get::<crate::kernel::loaders::UserLoader>()
            .load_many(users)
            .await
            .map_err(ApiError::internal)?;
    }
    Ok(())
}
