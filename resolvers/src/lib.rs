//! Roster's GraphQL API: objects, queries, mutations and subscriptions, one
//! folder per feature, and the domain rules they enforce.
//!
//! Each feature exports its root fragments (`...Query`, `...Mutation`,
//! `...Subscription`); the `roster-schema` crate merges them into one schema.

pub mod accounts;
pub mod activity;
pub mod contacts;
pub mod custom_fields;
pub mod denylist;
pub mod diagnostics;
pub mod directory;
pub mod erasure;
pub mod exports;
pub mod imports;
pub mod incidents;
pub mod invitations;
pub mod kernel;
pub mod mail;
pub mod portal;
pub mod roles;
pub mod scim;
pub mod sessions;
pub mod setup;
pub mod staff;

pub use kernel::context::{AppState, MailSettings, RequestContext, Stopping};
pub use kernel::error::{ApiError, ApiResult, UserError, UserErrorCode};
