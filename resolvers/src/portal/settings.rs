//! The account's portal settings, changed by staff.

use async_graphql::{Context, Object, SimpleObject};
use chrono::Utc;
use roster_entities::account;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};

use crate::kernel::permissions::Requires;
use crate::{
    accounts::Account,
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult, UserError},
    kernel::permissions::Permission,
};

/// Result of `setPortalSelfRegistration`.
#[derive(SimpleObject)]
pub struct PortalSettingsPayload {
    /// The account, with its settings as changed.
    pub account: Option<Account>,
    /// Problems with the input (none today; kept for a stable payload shape).
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct PortalSettingsMutation;

#[Object]
impl PortalSettingsMutation {
    /// Turns customers' self-registration on the portal (`portalSignUp`) on
    /// or off for the account.
    #[graphql(guard = "Requires(Permission::ManagePortal)")]
    async fn set_portal_self_registration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Whether customers may sign themselves up.")] enabled: bool,
    ) -> ApiResult<PortalSettingsPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let mut row = account::Entity::find_by_id(viewer.account_id)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::not_found("Account"))?
            .into_active_model();
        row.portal_self_registration = Set(enabled);
        row.updated_at = Set(Utc::now());
        let account = row.update(db).await?;
        Ok(PortalSettingsPayload {
            account: Some(Account(account)),
            user_errors: Vec::new(),
        })
    }
}
