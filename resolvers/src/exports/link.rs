//! Short-lived download links, for clients (browsers) that cannot send an
//! Authorization header with a plain link. The token is random and only its
//! SHA-256 is stored, with the account, the export's filter and an expiry.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Duration, Utc};
use roster_entities::export_link;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, Set};
use uuid::Uuid;

use crate::kernel::permissions::Requires;
use crate::kernel::scope::Tenant;
use crate::{
    kernel::auth::token,
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult},
    kernel::permissions::Permission,
};

/// How long a download link works.
pub const LINK_TTL_MINUTES: i64 = 10;

/// A link to download a CSV export.
#[derive(SimpleObject)]
pub struct CustomerExportLink {
    /// Path of the download, relative to this server; works without an
    /// Authorization header until `expiresAt`.
    pub url: String,
    /// When the link stops working (10 minutes after it was made).
    pub expires_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct ExportQuery;

#[Object]
impl ExportQuery {
    /// A short-lived link to download the account's customers as CSV (the
    /// import format), optionally only those matching `keyword`.
    #[graphql(guard = "Requires(Permission::ExportCustomers)")]
    async fn customer_export_url(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only customers with each of these words in their name, email, an alias or company name (as `customers(filter: { keyword })`)."
        )]
        keyword: Option<String>,
    ) -> ApiResult<CustomerExportLink> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let raw = token::generate();
        let expires_at = Utc::now() + Duration::minutes(LINK_TTL_MINUTES);
        let keyword = keyword
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty());
        Tenant(viewer.account_id)
            .insert(export_link::ActiveModel {
                token_hash: Set(token::digest(&raw)),
                account_id: NotSet,
                user_id: Set(viewer.user_id),
                keyword: Set(keyword),
                expires_at: Set(expires_at),
            })
            .exec(ctx.db())
            .await
            .map_err(ApiError::from)?;
        // Housekeeping: expired links go when new ones are made.
        Tenant(viewer.account_id)
            .delete_many::<export_link::Entity>()
            .filter(export_link::Column::ExpiresAt.lt(Utc::now()))
            .exec(ctx.db())
            .await
            .map_err(ApiError::from)?;
        Ok(CustomerExportLink {
            url: format!("/exports/customers.csv?token={raw}"),
            expires_at,
        })
    }
}

/// The (account, keyword) of a valid, unexpired link token.
pub async fn resolve_link(
    db: &impl ConnectionTrait,
    raw: &str,
) -> Result<Option<(Uuid, Option<String>)>, ApiError> {
    if !token::looks_valid(raw) {
        return Ok(None);
    }
    // all accounts: a download link is found by its token hash, which names its account.
    Ok(export_link::Entity::find_by_id(token::digest(raw))
        .filter(export_link::Column::ExpiresAt.gt(Utc::now()))
        .one(db)
        .await?
        .map(|l| (l.account_id, l.keyword)))
}
