//! Accounts (tenants): the `Account` object, its loader, and setting up a new
//! account from the command line (`bootstrap`, `demo`).

pub mod bootstrap;
pub mod demo;
mod loader;
mod object;

pub use loader::AccountLoader;
pub use object::Account;
