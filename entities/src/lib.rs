//! sea-orm entities: one module per table, relations declared, no business
//! logic. Every tenant-owned table carries `account_id`.

pub mod account;
pub mod session;
pub mod user;

pub mod prelude {
    pub use crate::account::Entity as Account;
    pub use crate::session::Entity as Session;
    pub use crate::user::Entity as User;
}
