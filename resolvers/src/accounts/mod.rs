//! Accounts (tenants): the `Account` object and its loader. Creating an
//! account is `setup`'s.

mod loader;
mod object;

pub use loader::AccountLoader;
pub use object::Account;
