//! Customers (seeds 000 and 004): the `Customer` object, the `customers`
//! connection, create / update / delete (with denylisting), access to
//! services and portal access levels, alone or in bulk.

mod access;
pub mod avatar;
mod delete;
mod loader;
mod mutation;
pub mod nested;
mod object;
mod picture;
mod query;
pub(crate) mod rules;
mod search;
pub mod validate;
pub mod write;

pub use access::{keep_company_services, CustomerAccessMutation};
pub use avatar::CustomerAvatarMutation;
pub use delete::CustomerDeleteMutation;
pub use loader::{CustomerAliasesLoader, CustomerServiceAccessLoader};
pub use mutation::CustomerMutation;
pub use object::{
    Customer, CustomerServiceAccess, EmailFormat, PortalAccessLevel, ServiceAccessLevel,
};
pub use query::{CustomerFilter, CustomerQuery, CustomerSortKey};

use roster_entities::customer;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{kernel::error::ApiError, kernel::scope::Tenant};

/// The customer `id` of `account_id`, or NOT_FOUND (also for other accounts).
pub async fn find(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    id: Uuid,
) -> Result<customer::Model, ApiError> {
    Tenant(account_id)
        .find_by_id::<customer::Entity>(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Customer"))
}

/// What priming needs of a customer row.
#[derive(Clone, Copy)]
pub struct PrimeRow {
    pub account_id: Uuid,
    pub id: Uuid,
    pub company_id: Option<Uuid>,
}

impl From<&customer::Model> for PrimeRow {
    fn from(c: &customer::Model) -> Self {
        PrimeRow {
            account_id: c.account_id,
            id: c.id,
            company_id: c.company_id,
        }
    }
}

/// Loads, in one batch each, the nested fields the query selects for a page
/// of customers (see `loaders`). The look-ahead is the connection field's.
pub async fn prime(
    ctx: &async_graphql::Context<'_>,
    page: &crate::kernel::pagination::Page<Customer>,
) -> Result<(), ApiError> {
    let field = ctx.look_ahead();
    let nodes = vec![field.field("nodes"), field.field("edges").field("node")];
    let rows = page
        .edges
        .iter()
        .map(|e| PrimeRow::from(&e.node.0))
        .collect();
    prime_rows(ctx, nodes, rows).await
}

/// Loads, in one batch each, the fields that `nodes` (selections of
/// customer objects) ask for, for all of `rows` at once, and so on down
/// nested connections of customers (`company { employees { ... } }`): the
/// statements depend on the query's shape, not on how many rows there are.
pub fn prime_rows<'a>(
    ctx: &'a async_graphql::Context<'a>,
    nodes: Vec<async_graphql::Lookahead<'a>>,
    rows: Vec<PrimeRow>,
) -> futures_util::future::BoxFuture<'a, Result<(), ApiError>> {
    use futures_util::FutureExt;
    Box::pin(async move {
        if rows.is_empty() {
            return Ok(());
        }
        let selects = |name: &str| nodes.iter().any(|n| n.field(name).exists());
        let loaders = crate::kernel::loaders::of(ctx);
        let keys: Vec<(Uuid, Uuid)> = rows.iter().map(|c| (c.account_id, c.id)).collect();
        // Independent loads run at once (each is one statement).
        let mut loads: Vec<futures_util::future::BoxFuture<'_, Result<(), ApiError>>> = Vec::new();
        if selects("emailAliases") {
            loads.push(batch(
                loaders.get::<crate::directory::customers::CustomerAliasesLoader>(),
                keys.clone(),
            ));
        }
        if selects("customFields") {
            loads.push(batch(
                loaders.get::<crate::custom_fields::values::CustomerFieldValuesLoader>(),
                keys.clone(),
            ));
        }
        if selects("serviceAccess") {
            loads.push(batch(
                loaders.get::<crate::directory::customers::CustomerServiceAccessLoader>(),
                keys,
            ));
        }
        if selects("company") {
            let mut companies: Vec<(Uuid, Uuid)> = rows
                .iter()
                .filter_map(|c| c.company_id.map(|id| (c.account_id, id)))
                .collect();
            companies.sort();
            companies.dedup();
            loads.push(batch(
                loaders.get::<crate::kernel::loaders::CompanyLoader>(),
                companies.clone(),
            ));
            let company_nodes: Vec<_> = nodes.iter().map(|n| n.field("company")).collect();
            if company_nodes.iter().any(|n| n.field("services").exists()) {
                loads.push(batch(
                    loaders.get::<crate::directory::companies::CompanyServicesLoader>(),
                    companies.clone(),
                ));
            }
            if company_nodes.iter().any(|n| n.field("employees").exists()) {
                let mut by_account: std::collections::BTreeMap<Uuid, Vec<nested::Parent>> =
                    Default::default();
                for (account, id) in companies {
                    by_account
                        .entry(account)
                        .or_default()
                        .push(nested::Parent::Company(id));
                }
                loads.push(
                    async move {
                        for (account, parents) in by_account {
                            nested::prime_under(ctx, &company_nodes, "employees", account, parents)
                                .await?;
                        }
                        Ok(())
                    }
                    .boxed(),
                );
            }
        }
        futures_util::future::try_join_all(loads).await?;
        Ok(())
    })
}

/// Loads `keys` into `loader` (one statement for the keys not cached yet).
fn batch<'a, K, T>(
    loader: std::sync::Arc<crate::kernel::loaders::Cached<T>>,
    keys: Vec<K>,
) -> futures_util::future::BoxFuture<'a, Result<(), ApiError>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    T: async_graphql::dataloader::Loader<K, Error = std::sync::Arc<sea_orm::DbErr>>,
{
    use futures_util::FutureExt;
    async move {
        loader
            .load_many(keys)
            .await
            .map(drop)
            .map_err(ApiError::internal)
    }
    .boxed()
}
