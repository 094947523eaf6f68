use async_graphql::{Context, Object};

use crate::{kernel::context::ContextExt, kernel::error::ApiResult, staff::users::User};

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The signed-in staff user. UNAUTHENTICATED without a valid token.
    async fn viewer(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let user = crate::staff::users::find(ctx.db(), viewer.account_id, viewer.user_id).await?;
        Ok(Some(User(user)))
    }
}
