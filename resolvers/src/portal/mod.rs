//! The customer portal (seed 000): customers with portal access sign in
//! (`portalLogin`) or sign themselves up (`portalSignUp`) and get a customer
//! session on the same `/graphql` endpoint. A customer session reaches only
//! the `portal…` fields; every staff field answers FORBIDDEN.
//!
//! The session carries no rights of its own: the customer's access level and
//! company are read again on every request, so lowering a level takes effect
//! on the customer's next request.

mod login;
mod object;
mod query;
pub mod session;
mod settings;

pub use login::PortalAuthMutation;
pub use object::{PortalCustomer, PortalService};
pub use query::PortalQuery;
pub use settings::PortalSettingsMutation;

use async_graphql::Context;
use roster_entities::customer::PortalAccess;
use uuid::Uuid;

use crate::{kernel::auth::Auth, kernel::context::ContextExt, kernel::error::ApiError};

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

/// The portal customer of this request; UNAUTHENTICATED without a customer
/// session, FORBIDDEN for staff sessions and for customers whose portal
/// access was withdrawn.
pub fn viewer<'a>(ctx: &'a Context<'_>) -> Result<&'a PortalViewer, ApiError> {
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
