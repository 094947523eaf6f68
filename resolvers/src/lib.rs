//! Roster's GraphQL API: objects, queries, mutations and subscriptions, one
//! folder per feature, and the domain rules they enforce.
//!
//! Each feature exports its root fragments (`...Query`, `...Mutation`,
//! `...Subscription`); the `roster-schema` crate merges them into one schema.

pub mod accounts;
pub mod activity;
pub mod auth;
pub mod bulk;
pub mod companies;
pub mod contacts;
pub mod context;
pub mod custom_fields;
pub mod customers;
pub mod denylist;
pub mod diagnostics;
pub mod erasure;
pub mod error;
pub mod events;
pub mod exports;
pub mod groups;
pub mod imports;
pub mod incidents;
pub mod invitations;
pub mod loaders;
pub mod locks;
pub mod managers;
pub mod node;
pub mod pagination;
pub mod permissions;
pub mod plan_audit;
pub mod portal;
pub mod products;
pub mod roles;
pub mod scope;
pub mod services;
pub mod settings_templates;
pub mod throttle;
pub mod users;
pub mod validation;

pub use context::{AppState, MailSettings, RequestContext, Stopping};
pub use error::{ApiError, ApiResult, UserError, UserErrorCode};
