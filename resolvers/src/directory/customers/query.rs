use async_graphql::{Context, Enum, InputObject, Object, ID};
use roster_entities::{customer, customer_email, customer_service};
use sea_orm::{sea_query::Query, ColumnTrait, ConnectionTrait, DbBackend, QueryFilter, Select};
use uuid::Uuid;

use super::{search, Customer, PortalAccessLevel};
use crate::kernel::permissions::Requires;
use crate::{
    kernel::context::ContextExt,
    kernel::error::ApiResult,
    kernel::ids::{GlobalId, NodeKind},
    kernel::pagination::{self, Page, PageArgs, Sort, SortKeyFn, SortValue},
    kernel::permissions::Permission,
    kernel::scope::Tenant,
};

/// Orders of the `customers` connection.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CustomerSortKey {
    /// By last name, then first name.
    #[default]
    Name,
    /// By primary email.
    Email,
    /// Oldest first.
    CreatedAt,
    /// Least recently changed first.
    UpdatedAt,
    /// By id: the order customers were added in, and the cheapest order to
    /// page through a whole account.
    Id,
}

impl CustomerSortKey {
    pub fn sort(self, reverse: bool) -> Sort<customer::Entity> {
        let (column, key): (customer::Column, SortKeyFn<customer::Model>) = match self {
            CustomerSortKey::Name => (customer::Column::SortName, |c| {
                (SortValue::Text(c.sort_name.clone()), c.id)
            }),
            CustomerSortKey::Email => (customer::Column::EmailKey, |c| {
                (SortValue::Text(c.email_key.clone()), c.id)
            }),
            CustomerSortKey::CreatedAt => (customer::Column::CreatedAt, |c| {
                (SortValue::Time(c.created_at), c.id)
            }),
            CustomerSortKey::UpdatedAt => (customer::Column::UpdatedAt, |c| {
                (SortValue::Time(c.updated_at), c.id)
            }),
            CustomerSortKey::Id => (customer::Column::Id, |c| (SortValue::Id(c.id), c.id)),
        };
        Sort {
            column,
            id: customer::Column::Id,
            reverse,
            // Emails are unique in an account; ids are unique anywhere.
            unique: matches!(self, CustomerSortKey::Email | CustomerSortKey::Id),
            key,
        }
    }
}

/// Which customers a list or a bulk change is about. All given conditions
/// apply; an empty filter matches every customer of the account.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CustomerFilter {
    /// Words that must each appear in the name, email, an alias or the
    /// company name (case does not matter).
    pub keyword: Option<String>,
    /// Only employees of this company.
    pub company_id: Option<ID>,
    /// Only customers with this portal access level.
    pub portal_access: Option<PortalAccessLevel>,
    /// Only customers given access to this service.
    pub service_id: Option<ID>,
}

impl CustomerFilter {
    /// The account's customers matching the filter. An id of another kind or
    /// account matches nothing (it cannot name one of this account's rows).
    pub fn select(&self, backend: DbBackend, account_id: Uuid) -> Select<customer::Entity> {
        let mut select = Tenant(account_id).find::<customer::Entity>();
        if let Some(keyword) = self.keyword.as_deref() {
            for word in keyword.split_whitespace() {
                select = select.filter(search::matches(backend, account_id, word));
            }
        }
        if let Some(id) = &self.company_id {
            let company_id = GlobalId::expect(id, NodeKind::Company).unwrap_or_default();
            select = select.filter(customer::Column::CompanyId.eq(company_id));
        }
        if let Some(level) = self.portal_access {
            select = select
                .filter(customer::Column::PortalAccess.eq(customer::PortalAccess::from(level)));
        }
        if let Some(id) = &self.service_id {
            let service_id = GlobalId::expect(id, NodeKind::Service).unwrap_or_default();
            let with_service = Query::select()
                .column(customer_service::Column::CustomerId)
                .from(customer_service::Entity)
                .and_where(customer_service::Column::AccountId.eq(account_id))
                .and_where(customer_service::Column::ServiceId.eq(service_id))
                .to_owned();
            select = select.filter(customer::Column::Id.in_subquery(with_service));
        }
        select
    }
}

#[derive(Default)]
pub struct CustomerQuery;

#[Object]
impl CustomerQuery {
    /// The account's customers.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "crate::kernel::pagination::cost(first, last, child_complexity)",
        guard = "Requires(Permission::ViewPeople)"
    )]
    async fn customers(
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
        #[graphql(desc = "Shorthand for `filter: { keyword }`.")] keyword: Option<String>,
        #[graphql(desc = "Only customers matching all the given conditions.")] filter: Option<
            CustomerFilter,
        >,
        #[graphql(default, desc = "The order of the items (default: NAME).")]
        sort_key: CustomerSortKey,
        #[graphql(default, desc = "Reverses the order (default: false).")] reverse: bool,
    ) -> ApiResult<Page<Customer>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let mut filter = filter.unwrap_or_default();
        if let Some(keyword) = keyword {
            let combined = format!("{} {keyword}", filter.keyword.unwrap_or_default());
            filter.keyword = Some(combined);
        }
        let select = filter.select(ctx.db().get_database_backend(), viewer.account_id);
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        let page =
            pagination::paginate(ctx.db(), select, sort_key.sort(reverse), args, Customer).await?;
        super::prime(ctx, &page).await?;
        Ok(page)
    }

    /// One customer by id; NOT_FOUND when it is not in the account.
    #[graphql(guard = "Requires(Permission::ViewPeople)")]
    async fn customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's global id.")] id: ID,
    ) -> ApiResult<Customer> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let id = GlobalId::expect(&id, NodeKind::Customer)?;
        let customer = super::find(ctx.db(), viewer.account_id, id).await?;
        super::prime_rows(ctx, vec![ctx.look_ahead()], vec![(&customer).into()]).await?;
        Ok(Customer(customer))
    }

    /// The customer known by `email`, their primary email or one of their
    /// aliases (case does not matter), or null when the account has none.
    #[graphql(guard = "Requires(Permission::ViewPeople)")]
    async fn customer_by_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The email address to look up (case does not matter).")] email: String,
    ) -> ApiResult<Option<Customer>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let owner = Query::select()
            .column(customer_email::Column::CustomerId)
            .from(customer_email::Entity)
            .and_where(customer_email::Column::AccountId.eq(viewer.account_id))
            .and_where(
                customer_email::Column::EmailKey.eq(crate::kernel::validation::email_key(&email)),
            )
            .to_owned();
        let found = Tenant(viewer.account_id)
            .find::<customer::Entity>()
            .filter(customer::Column::Id.in_subquery(owner))
            .one(ctx.db())
            .await?;
        if let Some(customer) = &found {
            super::prime_rows(ctx, vec![ctx.look_ahead()], vec![customer.into()]).await?;
        }
        Ok(found.map(Customer))
    }
}
