//! The customer portal (seed 000): customers with portal access sign in
//! (`portalLogin`) or sign themselves up (`portalSignUp`, confirmed by mail
//! with `portalConfirmSignUp`) and get a customer session on the same
//! `/graphql` endpoint. A customer session reaches only the `portal…`
//! fields and `node`/`nodes` (for the portal's views of its incidents and
//! services); every staff field answers FORBIDDEN.
//!
//! The session carries no rights of its own: the customer's access level and
//! company are read again on every request, so lowering a level takes effect
//! on the customer's next request.

mod login;
mod object;
mod query;
pub mod session;
mod settings;
mod sign_up;

pub use crate::directory::services::PortalService;
pub use login::PortalAuthMutation;
pub use object::PortalCustomer;
pub use query::PortalQuery;
pub use settings::PortalSettingsMutation;
pub use sign_up::PortalSignUpMutation;

pub use crate::kernel::auth::{portal_viewer as viewer, PortalViewer};
