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
mod query;
pub(crate) mod rules;
pub mod validate;

pub use access::CustomerAccessMutation;
pub use avatar::CustomerAvatarMutation;
pub use delete::CustomerDeleteMutation;
pub use loader::{CustomerAliasesLoader, CustomerServiceAccessLoader};
pub use mutation::CustomerMutation;
pub(crate) use mutation::{set_values, write_addresses};
pub use object::{
    Customer, CustomerServiceAccess, EmailFormat, PortalAccessLevel, ServiceAccessLevel,
};
pub use query::{CustomerFilter, CustomerQuery, CustomerSortKey};

use roster_entities::customer;
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::{error::ApiError, scope::Scoped};

/// The customer `id` of `account_id`, or NOT_FOUND (also for other accounts).
pub async fn find(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    id: Uuid,
) -> Result<customer::Model, ApiError> {
    customer::Entity::find_by_id(id)
        .in_account(account_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Customer"))
}

/// Loads, in one batch each, the nested fields the query selects for a page
/// of customers (see `loaders`). `lookahead` is the connection field's.
pub async fn prime(
    ctx: &async_graphql::Context<'_>,
    page: &crate::pagination::Page<Customer>,
) -> Result<(), ApiError> {
    if page.edges.is_empty() {
        return Ok(());
    }
    let field = ctx.look_ahead();
    let nodes = [field.field("nodes"), field.field("edges").field("node")];
    let selects = |name: &str| nodes.iter().any(|n| n.field(name).exists());
    let selects_in =
        |outer: &str, inner: &str| nodes.iter().any(|n| n.field(outer).field(inner).exists());
    let loaders = crate::loaders::of(ctx);
    let rows = page.edges.iter().map(|e| &e.node.0);
    let keys: Vec<(Uuid, Uuid)> = rows.clone().map(|c| (c.account_id, c.id)).collect();
    let internal = |e: std::sync::Arc<sea_orm::DbErr>| ApiError::internal(e);
    if selects("emailAliases") {
        loaders
            .customer_aliases
            .load_many(keys.clone())
            .await
            .map_err(internal)?;
    }
    if selects("customFields") {
        loaders
            .customer_field_values
            .load_many(keys.clone())
            .await
            .map_err(internal)?;
    }
    if selects("serviceAccess") {
        loaders
            .customer_service_access
            .load_many(keys)
            .await
            .map_err(internal)?;
    }
    if selects("company") {
        let mut companies: Vec<(Uuid, Uuid)> = rows
            .filter_map(|c| c.company_id.map(|id| (c.account_id, id)))
            .collect();
        companies.sort();
        companies.dedup();
        loaders
            .companies
            .load_many(companies.clone())
            .await
            .map_err(internal)?;
        if selects_in("company", "services") {
            loaders
                .company_services
                .load_many(companies)
                .await
                .map_err(internal)?;
        }
    }
    Ok(())
}
