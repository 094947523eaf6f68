use async_graphql::{Context, Object, ID};
use roster_entities::customer;

use crate::{
    directory::customers::PortalAccessLevel,
    directory::services::PortalService,
    incidents::access,
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult},
    kernel::ids::GlobalId,
};

/// The signed-in portal customer.
#[derive(Clone, Debug)]
pub struct PortalCustomer(pub customer::Model);

/// The signed-in portal customer.
#[Object]
impl PortalCustomer {
    /// Globally unique, opaque identifier (the same as staff see).
    pub async fn id(&self) -> ID {
        GlobalId::customer(self.0.id).into()
    }

    /// First name.
    async fn first_name(&self) -> &str {
        &self.0.first_name
    }

    /// Last name; may be empty.
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }

    /// Primary email, which the customer signs in with.
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// What the portal lets this customer do.
    async fn access_level(&self) -> PortalAccessLevel {
        self.0.portal_access.into()
    }

    /// Name of the customer's company, if any.
    async fn company_name(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        let Some(company_id) = self.0.company_id else {
            return Ok(None);
        };
        let company = crate::kernel::loaders::of(ctx)
            .get::<crate::kernel::loaders::CompanyLoader>()
            .load_one((self.0.account_id, company_id))
            .await
            .map_err(ApiError::internal)?;
        Ok(company.map(|c| c.name))
    }

    /// The services this customer may submit incidents on, by name.
    async fn services(&self, ctx: &Context<'_>) -> ApiResult<Vec<PortalService>> {
        let viewer = super::PortalViewer::of(&self.0, uuid::Uuid::nil());
        let services = access::submittable_services(ctx.db(), &viewer).await?;
        Ok(services.into_iter().map(PortalService).collect())
    }
}
