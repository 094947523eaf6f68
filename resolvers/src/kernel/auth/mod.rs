//! Who is calling: the caller of a request (staff user, portal customer or
//! nobody), the sign-in throttle, password hashing and session tokens.
//! Sessions themselves are created and resolved by the `sessions` feature.

pub mod cache;
pub mod password;
pub mod token;

use async_graphql::Context;
use roster_entities::{customer::PortalAccess, user::Role};
use uuid::Uuid;

use crate::{kernel::context::ContextExt, kernel::error::ApiError};

/// The caller of a request, resolved once from its bearer token.
#[derive(Clone, Debug)]
pub enum Auth {
    /// No token was presented.
    Anonymous,
    /// A token was presented but is unknown, expired or malformed.
    Invalid(String),
    /// A signed-in staff user.
    Staff(Viewer),
    /// A customer signed in to the customer portal.
    Customer(PortalViewer),
}

/// A customer signed in to the portal, as of this request.
#[derive(Clone, Debug)]
pub struct PortalViewer {
    pub customer_id: Uuid,
    pub account_id: Uuid,
    pub session_id: Uuid,
    pub access: PortalAccess,
    pub company_id: Option<Uuid>,
}

impl PortalViewer {
    pub fn of(customer: &roster_entities::customer::Model, session_id: Uuid) -> Self {
        PortalViewer {
            customer_id: customer.id,
            account_id: customer.account_id,
            session_id,
            access: customer.portal_access,
            company_id: customer.company_id,
        }
    }
}

/// A signed-in staff user.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user_id: Uuid,
    pub account_id: Uuid,
    pub role: Role,
    pub session_id: Uuid,
    /// Permissions of the user's custom role, if any.
    pub granted: Vec<crate::kernel::permissions::Permission>,
    /// "First Last" as read with the session (the activity history's actor
    /// name); `None` when not read.
    pub name: Option<String>,
}

impl Auth {
    /// The signed-in staff user, or UNAUTHENTICATED.
    pub fn staff(&self) -> Result<&Viewer, ApiError> {
        match self {
            Auth::Staff(viewer) => Ok(viewer),
            Auth::Anonymous => Err(ApiError::Unauthenticated(
                "Sign in first: send `Authorization: Bearer <token>` with a token from `login`"
                    .into(),
            )),
            Auth::Invalid(why) => Err(ApiError::Unauthenticated(why.clone())),
            Auth::Customer(_) => Err(ApiError::Forbidden(
                "This operation is for staff users; a customer portal session cannot use it".into(),
            )),
        }
    }
}

/// The signed-in staff user of this request, or UNAUTHENTICATED.
pub fn viewer<'a>(ctx: &'a Context<'_>) -> Result<&'a Viewer, ApiError> {
    ctx.request().auth.staff()
}

/// Refuses a sign-in for `email` with RATE_LIMITED once that email, or the
/// caller's address, has used up its failed attempts. Checked before the
/// password, so aliases and batches cannot carry more guesses.
pub async fn check_sign_in(ctx: &Context<'_>, email: &str) -> Result<(), ApiError> {
    let throttle = &ctx.state().throttle;
    let limits = throttle.limits;
    throttle
        .check(
            limits.login_per_email,
            &crate::kernel::validation::email_key(email),
        )
        .await
        .map_err(|l| ApiError::rate_limited("failed sign-ins for this email", l))?;
    if let Some(address) = &ctx.request().client_address {
        throttle
            .check(limits.login_per_address, address)
            .await
            .map_err(|l| ApiError::rate_limited("failed sign-ins from this address", l))?;
    }
    Ok(())
}

/// Counts a failed sign-in for `email` and for the caller's address.
pub async fn count_failed_sign_in(ctx: &Context<'_>, email: &str) {
    let throttle = &ctx.state().throttle;
    let limits = throttle.limits;
    let email = crate::kernel::validation::email_key(email);
    let _ = throttle.hit(limits.login_per_email, &email).await;
    if let Some(address) = &ctx.request().client_address {
        let _ = throttle.hit(limits.login_per_address, address).await;
    }
}

/// Tells open sockets (on every instance) that `user_id`'s sessions or
/// permissions changed, so that they check their session again.
pub fn sessions_changed(ctx: &Context<'_>, user_id: Uuid) {
    ctx.state()
        .events
        .publish(crate::kernel::events::Event::SessionsChanged { user_id });
}

/// The portal customer of this request; UNAUTHENTICATED without a customer
/// session, FORBIDDEN for staff sessions and for customers whose portal
/// access was withdrawn.
pub fn portal_viewer<'a>(ctx: &'a Context<'_>) -> Result<&'a PortalViewer, ApiError> {
    match &ctx.request().auth {
        Auth::Customer(viewer) if viewer.access == PortalAccess::NoAccess => {
            Err(ApiError::Forbidden(
                "Your portal access has been withdrawn; contact the help desk".into(),
            ))
        }
        Auth::Customer(viewer) => Ok(viewer),
        Auth::Staff(_) => Err(ApiError::Forbidden(
            "This operation is for customer portal sessions (portalLogin); staff use the \
             account's own queries"
                .into(),
        )),
        Auth::Anonymous => Err(ApiError::Unauthenticated(
            "Sign in to the portal first: send `Authorization: Bearer <token>` with a token \
             from `portalLogin`"
                .into(),
        )),
        Auth::Invalid(why) => Err(ApiError::Unauthenticated(why.clone())),
    }
}
