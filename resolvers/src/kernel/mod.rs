//! The kernel: what every feature builds on, and that knows no feature.
//! Request and process state, the caller and their permissions, errors,
//! tenancy (account scoping), pagination, bulk writes, events, global ids,
//! dataloaders, validation helpers, rate limits and locks.
//!
//! Nothing here imports a feature module (`../../shared/tools/module-graph
//! resolvers/src --kernel kernel` checks it in CI); features import the
//! kernel and, without cycles, each other.

pub mod auth;
pub mod bulk;
pub mod context;
pub mod documents;
pub mod error;
pub mod events;
pub mod history;
pub mod ids;
pub mod language;
pub mod loaders;
pub mod locks;
pub mod pagination;
pub mod permissions;
pub mod plan_audit;
pub mod redis_link;
pub mod scope;
pub mod throttle;
pub mod validation;
