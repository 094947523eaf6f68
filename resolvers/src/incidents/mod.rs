//! Incidents (the minimum that makes portal access levels real): staff see
//! and manage all of the account's incidents; portal customers submit and
//! see them as their access level allows (`access.rs`).

pub mod access;
mod mutation;
mod object;
mod portal;
mod query;

pub use mutation::IncidentMutation;
pub use object::{Incident, IncidentRequester, IncidentStatus, PortalIncident};
pub use portal::{visible_incident, PortalIncidentMutation, PortalIncidentQuery};
pub use query::IncidentQuery;

use async_graphql::Context;
use roster_entities::incident;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{
    kernel::error::{ApiError, UserError},
    kernel::pagination::Page,
    kernel::scope::Tenant,
    kernel::validation,
};

pub const TITLE_MAX: usize = 255;
pub const DESCRIPTION_MAX: usize = 10_000;

/// The incident `id` of `account_id`, or NOT_FOUND (also for other accounts).
pub async fn find(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    id: Uuid,
) -> Result<incident::Model, ApiError> {
    Tenant(account_id)
        .find_by_id::<incident::Entity>(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Incident"))
}

/// A title: required, at most 255 characters.
pub fn title(value: &str) -> Result<String, UserError> {
    validation::required_text("title", value, TITLE_MAX)
}

/// A description: may be empty, at most 10,000 characters.
pub fn description(value: &str) -> Result<String, UserError> {
    let value = value.trim();
    validation::max_len("description", value, DESCRIPTION_MAX)?;
    Ok(value.to_owned())
}

/// Loads the services (and customers) of a page of incidents in one batch
/// each, when the query selects them.
pub async fn prime<N>(
    ctx: &Context<'_>,
    page: &Page<N>,
    row: impl Fn(&N) -> &incident::Model,
    person_field: &str,
) -> Result<(), ApiError>
where
    N: async_graphql::OutputType,
{
    let selects = |name: &str| crate::kernel::pagination::node_selects(ctx, name);
    let rows: Vec<&incident::Model> = page.edges.iter().map(|e| row(&e.node)).collect();
    let loaders = crate::kernel::loaders::of(ctx);
    if selects("service") {
        let keys = rows
            .iter()
            .filter_map(|r| r.service_id.map(|s| (r.account_id, s)));
        loaders
            .get::<crate::kernel::loaders::ServiceLoader>()
            .load_many(keys)
            .await
            .map_err(ApiError::internal)?;
    }
    if selects(person_field) {
        let keys = rows
            .iter()
            .filter_map(|r| r.customer_id.map(|c| (r.account_id, c)));
        loaders
            .get::<crate::kernel::loaders::CustomerLoader>()
            .load_many(keys)
            .await
            .map_err(ApiError::internal)?;
    }
    Ok(())
}
