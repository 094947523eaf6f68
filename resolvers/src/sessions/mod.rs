//! Staff sessions: `login`, `logout` and `viewer`, and resolving a
//! request's bearer token to its caller (a staff session, else a customer
//! portal session).

mod login;
pub mod resolve;
mod viewer;

pub use login::AuthMutation;
pub use viewer::AuthQuery;
