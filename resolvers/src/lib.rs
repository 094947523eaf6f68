//! Roster's GraphQL API: objects, queries, mutations and subscriptions, one
//! folder per feature, and the domain rules they enforce.
//!
//! Each feature exports its root fragments (`...Query`, `...Mutation`,
//! `...Subscription`); the `roster-schema` crate merges them into one schema.

pub mod accounts;
pub mod activity;
pub mod companies;
pub mod contacts;
pub mod custom_fields;
pub mod customers;
pub mod denylist;
pub mod diagnostics;
pub mod erasure;
pub mod exports;
pub mod groups;
pub mod imports;
pub mod incidents;
pub mod invitations;
pub mod kernel;
pub mod mail;
pub mod managers;
pub mod portal;
pub mod products;
pub mod roles;
pub mod services;
pub mod sessions;
pub mod settings_templates;
pub mod setup;
pub mod users;

pub use kernel::context::{AppState, MailSettings, RequestContext, Stopping};
pub use kernel::error::{ApiError, ApiResult, UserError, UserErrorCode};
