//! Staff sessions: `login`, `logout`, `viewer` and password resets, and resolving a
//! request's bearer token to its caller (a staff session, else a customer
//! portal session).

mod login;
mod reset;
pub mod resolve;
mod viewer;

pub use login::AuthMutation;
pub use reset::PasswordResetMutation;
pub use viewer::AuthQuery;
