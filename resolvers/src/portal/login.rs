//! `portalLogin`, `portalSignUp` and `portalLogout`.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use roster_entities::{
    account,
    customer::{self, PortalAccess},
    portal_login,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use uuid::Uuid;

use super::{session, PortalCustomer};
use crate::{
    directory::customers::{
        self,
        validate::{self, CustomerDraft},
    },
    kernel::auth::{password, Auth},
    kernel::context::ContextExt,
    kernel::error::{is_unique_violation, ApiError, ApiResult, UserError, UserErrorCode},
    kernel::ids::{GlobalId, NodeKind},
    kernel::validation,
};

/// Input of `portalLogin`.
#[derive(InputObject)]
pub struct PortalLoginInput {
    /// The account whose portal this is (`Account.id`).
    pub account_id: ID,
    /// The customer's primary email (case does not matter).
    pub email: String,
    pub password: String,
}

/// Input of `portalSignUp`.
#[derive(InputObject)]
pub struct PortalSignUpInput {
    /// The account whose portal this is (`Account.id`).
    pub account_id: ID,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// At least 10 characters.
    pub password: String,
}

/// Result of `portalLogin` and `portalSignUp`.
#[derive(SimpleObject)]
pub struct PortalSessionPayload {
    /// Bearer token of the customer session (shown once).
    pub token: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub customer: Option<PortalCustomer>,
    pub user_errors: Vec<UserError>,
}

impl PortalSessionPayload {
    fn failed(user_errors: Vec<UserError>) -> Self {
        PortalSessionPayload {
            token: None,
            expires_at: None,
            customer: None,
            user_errors,
        }
    }
}

/// Result of `portalLogout`.
#[derive(SimpleObject)]
pub struct PortalLogoutPayload {
    pub ended: bool,
    pub user_errors: Vec<UserError>,
}

fn bad_login() -> ApiError {
    ApiError::Unauthenticated("Invalid email or password".into())
}

/// The account a portal input names. A malformed or unknown id is
/// NOT_FOUND.
async fn account_of(ctx: &Context<'_>, id: &ID) -> Result<account::Model, ApiError> {
    let uuid =
        GlobalId::expect(id, NodeKind::Account).map_err(|_| ApiError::not_found("Account"))?;
    account::Entity::find_by_id(uuid)
        .one(ctx.db())
        .await?
        .ok_or_else(|| ApiError::not_found("Account"))
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
        input: PortalLoginInput,
    ) -> ApiResult<PortalSessionPayload> {
        if input.email.chars().count() > 256 || input.password.chars().count() > password::MAX_LEN {
            return Err(bad_login().into());
        }
        crate::kernel::auth::check_sign_in(ctx, &input.email).await?;
        let account = account_of(ctx, &input.account_id).await?;
        let db = ctx.db();
        let found = customer::Entity::find()
            .filter(customer::Column::AccountId.eq(account.id))
            .filter(customer::Column::EmailKey.eq(validation::email_key(&input.email)))
            .one(db)
            .await?;
        let stored = match &found {
            Some(c) => portal_login::Entity::find_by_id(c.id)
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
        Ok(PortalSessionPayload {
            token: Some(token),
            expires_at: Some(session.expires_at),
            customer: Some(PortalCustomer(customer)),
            user_errors: Vec::new(),
        })
    }

    /// Registers a new customer on the account's portal, with STANDARD
    /// access, and signs them in. FORBIDDEN when the account turned
    /// self-registration off; a denylisted or already known email is a user
    /// error.
    async fn portal_sign_up(
        &self,
        ctx: &Context<'_>,
        input: PortalSignUpInput,
    ) -> ApiResult<PortalSessionPayload> {
        let account = account_of(ctx, &input.account_id).await?;
        if !account.portal_self_registration {
            return Err(ApiError::Forbidden(
                "This portal does not accept sign-ups; ask the help desk for access".into(),
            )
            .into());
        }
        let db = ctx.db();
        let draft = CustomerDraft {
            first_name: input.first_name,
            last_name: input.last_name,
            email: input.email,
            ..Default::default()
        };
        let mut errors = Vec::new();
        let clean = validate::validate(&draft)
            .map_err(|e| errors.extend(e))
            .ok();
        if let Err(e) = password::validate("password", &input.password) {
            errors.push(e);
        }
        let Some(clean) = clean else {
            return Ok(PortalSessionPayload::failed(errors));
        };
        errors.extend(customers::rules::check_addresses(db, account.id, &clean, None).await?);
        if !errors.is_empty() {
            return Ok(PortalSessionPayload::failed(errors));
        }
        let hash = password::hash_blocking(input.password).await?;

        let now = Utc::now();
        let id = Uuid::now_v7();
        let mut row = customer::ActiveModel {
            id: Set(id),
            account_id: Set(account.id),
            company_id: Set(None),
            email_format: Set(customer::EmailFormat::Html),
            feedback_emails: Set(true),
            portal_access: Set(PortalAccess::Standard),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        let addresses = clean.clone();
        customers::set_values(&mut row, clean);
        let taken = || {
            PortalSessionPayload::failed(vec![UserError::new(
                "email",
                UserErrorCode::Taken,
                "is already used by another customer",
            )])
        };
        let txn = db.begin().await?;
        let customer = match row.insert(&txn).await {
            Ok(c) => c,
            Err(err) if is_unique_violation(&err) => return Ok(taken()),
            Err(err) => return Err(ApiError::from(err).into()),
        };
        match customers::write_addresses(&txn, account.id, id, &addresses).await {
            Ok(()) => {}
            Err(err) if is_unique_violation(&err) => return Ok(taken()),
            Err(err) => return Err(ApiError::from(err).into()),
        }
        portal_login::ActiveModel {
            customer_id: Set(id),
            account_id: Set(account.id),
            password_hash: Set(hash),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let (token, session) = session::start(&txn, ctx.state(), &customer).await?;
        txn.commit().await?;
        tracing::info!(customer_id = %id, account_id = %account.id, "portal sign-up");
        Ok(PortalSessionPayload {
            token: Some(token),
            expires_at: Some(session.expires_at),
            customer: Some(PortalCustomer(customer)),
            user_errors: Vec::new(),
        })
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
