//! What resolvers can reach: process-wide state (in the schema's data) and
//! per-request state (in the request's data).

use std::{sync::Arc, time::Duration};

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use crate::auth::Auth;

/// Process-wide state shared by every request.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// How long a login session stays valid.
    pub session_ttl: Duration,
    pub events: crate::events::EventBus,
    /// Wakes the background worker when a job is waiting.
    pub jobs: Arc<tokio::sync::Notify>,
    /// This process, as the owner of the jobs it works on.
    pub instance_id: uuid::Uuid,
}

impl AppState {
    pub fn new(db: DatabaseConnection, session_ttl: Duration) -> Self {
        AppState {
            db,
            session_ttl,
            events: crate::events::EventBus::in_process(),
            jobs: Arc::new(tokio::sync::Notify::new()),
            instance_id: uuid::Uuid::now_v7(),
        }
    }
}

/// State of one HTTP request or one WebSocket connection.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub request_id: String,
    pub auth: Auth,
}

impl RequestContext {
    pub fn anonymous(request_id: impl Into<String>) -> Self {
        RequestContext {
            request_id: request_id.into(),
            auth: Auth::Anonymous,
        }
    }
}

/// Shorthands used by every resolver.
pub trait ContextExt {
    fn state(&self) -> &AppState;
    fn request(&self) -> &RequestContext;
    fn db(&self) -> &DatabaseConnection {
        &self.state().db
    }
}

impl ContextExt for Context<'_> {
    fn state(&self) -> &AppState {
        self.data_unchecked::<AppState>()
    }

    fn request(&self) -> &RequestContext {
        // Every entry point (HTTP, WebSocket) inserts a RequestContext; a
        // missing one is a wiring bug, so fall back to an anonymous caller
        // rather than panic on a request path.
        static MISSING: std::sync::OnceLock<RequestContext> = std::sync::OnceLock::new();
        self.data_opt::<RequestContext>()
            .unwrap_or_else(|| MISSING.get_or_init(|| RequestContext::anonymous("unknown")))
    }
}
