//! Who is calling: staff sessions (bearer tokens), password hashing, and the
//! `login` / `logout` / `viewer` operations.

mod login;
pub mod password;
pub mod session;
pub mod token;
mod viewer;

pub use login::AuthMutation;
pub use viewer::AuthQuery;

use async_graphql::Context;
use roster_entities::user::Role;
use uuid::Uuid;

use crate::{context::ContextExt, error::ApiError};

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
    Customer(crate::portal::PortalViewer),
}

/// A signed-in staff user.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user_id: Uuid,
    pub account_id: Uuid,
    pub role: Role,
    pub session_id: Uuid,
    /// Permissions of the user's custom role, if any.
    pub granted: Vec<crate::permissions::Permission>,
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
