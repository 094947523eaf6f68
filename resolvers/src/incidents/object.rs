use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use roster_entities::{customer, incident, service};

use crate::{
    directory::customers::Customer,
    directory::services::PortalService,
    directory::services::Service,
    kernel::error::{ApiError, ApiResult},
    kernel::ids::GlobalId,
};

/// Where an incident stands.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "roster_entities::incident::Status")]
pub enum IncidentStatus {
    /// Submitted, not yet worked on.
    Open,
    /// Someone works on it.
    InProgress,
    /// Solved; waiting for the customer to confirm.
    Resolved,
    /// Done.
    Closed,
}

/// Who raised an incident, as far as the viewer may know: blank once the
/// customer was deleted.
#[derive(SimpleObject)]
pub struct IncidentRequester {
    /// The customer's first name.
    pub first_name: String,
    /// The customer's last name; may be empty.
    pub last_name: String,
    /// The customer's primary email.
    pub email: String,
}

async fn requester(
    ctx: &Context<'_>,
    row: &incident::Model,
) -> Result<Option<customer::Model>, ApiError> {
    let Some(id) = row.customer_id else {
        return Ok(None);
    };
    crate::kernel::loaders::of(ctx)
        .get::<crate::kernel::loaders::CustomerLoader>()
        .load_one((row.account_id, id))
        .await
        .map_err(ApiError::internal)
}

async fn service_of(
    ctx: &Context<'_>,
    row: &incident::Model,
) -> Result<Option<service::Model>, ApiError> {
    let Some(id) = row.service_id else {
        return Ok(None);
    };
    crate::kernel::loaders::of(ctx)
        .get::<crate::kernel::loaders::ServiceLoader>()
        .load_one((row.account_id, id))
        .await
        .map_err(ApiError::internal)
}

/// An incident a customer raised on a service, as staff see it.
#[derive(Clone, Debug)]
pub struct Incident(pub incident::Model);

/// An incident a customer raised on a service, as staff see it.
#[Object]
impl Incident {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId::incident(self.0.id).into()
    }

    /// Short summary (at most 255 characters).
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What happened (at most 10,000 characters).
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Where the incident stands.
    async fn status(&self) -> IncidentStatus {
        self.0.status.into()
    }

    /// The service it was raised on; null once the service was deleted.
    async fn service(&self, ctx: &Context<'_>) -> ApiResult<Option<Service>> {
        Ok(service_of(ctx, &self.0).await?.map(Service))
    }

    /// The customer who raised it; null once the customer was deleted.
    async fn customer(&self, ctx: &Context<'_>) -> ApiResult<Option<Customer>> {
        Ok(requester(ctx, &self.0).await?.map(Customer))
    }

    /// When the incident was raised.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the incident was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// An incident as a portal customer sees it.
#[derive(Clone, Debug)]
pub struct PortalIncident(pub incident::Model);

/// An incident as a portal customer sees it.
#[Object]
impl PortalIncident {
    /// Globally unique, opaque identifier (the same as staff see).
    pub async fn id(&self) -> ID {
        GlobalId::incident(self.0.id).into()
    }

    /// Short summary (at most 255 characters).
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What happened (at most 10,000 characters).
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Where the incident stands.
    async fn status(&self) -> IncidentStatus {
        self.0.status.into()
    }

    /// The service it was raised on; null once the service was deleted.
    async fn service(&self, ctx: &Context<'_>) -> ApiResult<Option<PortalService>> {
        Ok(service_of(ctx, &self.0).await?.map(PortalService))
    }

    /// Who raised it (a company admin sees their colleagues' incidents);
    /// null once that customer was deleted.
    async fn requester(&self, ctx: &Context<'_>) -> ApiResult<Option<IncidentRequester>> {
        Ok(requester(ctx, &self.0).await?.map(|c| IncidentRequester {
            first_name: c.first_name,
            last_name: c.last_name,
            email: c.email,
        }))
    }

    /// Whether the signed-in customer raised it.
    async fn mine(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let viewer = crate::kernel::auth::portal_viewer(ctx)?;
        Ok(self.0.customer_id == Some(viewer.customer_id))
    }

    /// When the incident was raised.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the incident was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
