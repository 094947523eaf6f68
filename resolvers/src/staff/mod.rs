//! The account's staff (seeds 002 and 003): users, the groups they belong
//! to, the products whose seats they hold, settings templates, and the
//! managers who act on some groups or products. Each refers to the others
//! (a user's groups, products and template; a group's users; a manager's
//! reach), so they form one feature area.

pub mod groups;
pub mod managers;
pub mod products;
pub mod settings_templates;
pub mod users;
