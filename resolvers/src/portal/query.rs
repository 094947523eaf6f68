use async_graphql::{Context, Object};

use super::PortalCustomer;
use crate::{kernel::context::ContextExt, kernel::error::ApiResult};

#[derive(Default)]
pub struct PortalQuery;

#[Object]
impl PortalQuery {
    /// The customer signed in to the portal. UNAUTHENTICATED without a
    /// portal session; FORBIDDEN for staff sessions.
    async fn portal_viewer(&self, ctx: &Context<'_>) -> ApiResult<PortalCustomer> {
        let viewer = super::viewer(ctx)?;
        let customer =
            crate::directory::customers::find(ctx.db(), viewer.account_id, viewer.customer_id)
                .await?;
        Ok(PortalCustomer(customer))
    }
}
