//! `portalLogin` and `portalLogout` (sign-up is in `sign_up.rs`).

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use roster_entities::{
    customer::{self, PortalAccess},
    portal_login,
};
use sea_orm::{ColumnTrait, QueryFilter};

use super::{session, PortalCustomer};
use crate::{
    kernel::auth::{password, Auth},
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult, UserError},
    kernel::scope::Tenant,
    kernel::validation,
};

/// Input of `portalLogin`.
#[derive(InputObject)]
pub struct PortalLoginInput {
    /// The account whose portal this is (`Account.id`).
    pub account_id: ID,
    /// The customer's primary email (case does not matter).
    pub email: String,
    /// The customer's portal password.
    pub password: String,
}

/// Result of `portalLogin`, `portalSignUp` and `portalConfirmSignUp`.
#[derive(SimpleObject)]
pub struct PortalSessionPayload {
    /// Bearer token of the customer session (shown once).
    pub token: Option<String>,
    /// When the session ends (null without a token).
    pub expires_at: Option<DateTime<Utc>>,
    /// The signed-in customer (null without a token).
    pub customer: Option<PortalCustomer>,
    /// True when `portalSignUp` accepted the request: the address gets a
    /// mail (see `portalSignUp`), and no token is given yet.
    pub confirmation_sent: bool,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

impl PortalSessionPayload {
    /// A new session of `customer`, with its (only) copy of the token.
    pub(super) fn signed_in(
        token: String,
        session: roster_entities::portal_session::Model,
        customer: customer::Model,
    ) -> Self {
        PortalSessionPayload {
            token: Some(token),
            expires_at: Some(session.expires_at),
            customer: Some(PortalCustomer(customer)),
            confirmation_sent: false,
            user_errors: Vec::new(),
        }
    }

    pub(super) fn failed(user_errors: Vec<UserError>) -> Self {
        PortalSessionPayload {
            token: None,
            expires_at: None,
            customer: None,
            confirmation_sent: false,
            user_errors,
        }
    }
}

/// Result of `portalLogout`.
#[derive(SimpleObject)]
pub struct PortalLogoutPayload {
    /// Whether a session was ended (false when it had already ended).
    pub ended: bool,
    /// Problems with the request (none today; kept for a stable payload shape).
    pub user_errors: Vec<UserError>,
}

fn bad_login() -> ApiError {
    ApiError::Unauthenticated("Invalid email or password".into())
}

#[derive(Default)]
pub struct PortalAuthMutation;

#[Object]
impl PortalAuthMutation {
    /// Signs a customer in to the account's portal. Customers without portal
    /// access (NO_ACCESS) cannot sign in. A wrong email and a wrong password
    /// give the same UNAUTHENTICATED error.
    async fn portal_login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account, email and password.")] input: PortalLoginInput,
    ) -> ApiResult<PortalSessionPayload> {
        if input.email.chars().count() > 256 || input.password.chars().count() > password::MAX_LEN {
            return Err(bad_login().into());
        }
        crate::kernel::auth::check_sign_in(ctx, &input.email).await?;
        let account = super::sign_up::account_of(ctx.db(), &input.account_id).await?;
        let db = ctx.db();
        let found = Tenant(account.id)
            .find::<customer::Entity>()
            .filter(customer::Column::EmailKey.eq(validation::email_key(&input.email)))
            .one(db)
            .await?;
        let stored = match &found {
            Some(c) => Tenant(account.id)
                .find_by_id::<portal_login::Entity>(c.id)
                .one(db)
                .await?
                .map(|l| l.password_hash),
            None => None,
        };
        let matches = password::verify_blocking(input.password, stored).await?;
        let Some(customer) = found.filter(|_| matches) else {
            crate::kernel::auth::count_failed_sign_in(ctx, &input.email).await;
            return Err(bad_login().into());
        };
        if customer.portal_access == PortalAccess::NoAccess {
            return Err(ApiError::Forbidden(
                "This customer has no portal access; contact the help desk".into(),
            )
            .into());
        }
        let (token, session) = session::start(db, ctx.state(), &customer).await?;
        Ok(PortalSessionPayload::signed_in(token, session, customer))
    }

    /// Ends the portal session whose token authenticates this request.
    async fn portal_logout(&self, ctx: &Context<'_>) -> ApiResult<PortalLogoutPayload> {
        let Auth::Customer(viewer) = &ctx.request().auth else {
            return Err(super::viewer(ctx)
                .err()
                .unwrap_or_else(|| ApiError::Unauthenticated("Sign in to the portal first".into()))
                .into());
        };
        let ended = session::end(ctx.db(), viewer.account_id, viewer.session_id).await?;
        Ok(PortalLogoutPayload {
            ended,
            user_errors: Vec::new(),
        })
    }
}
