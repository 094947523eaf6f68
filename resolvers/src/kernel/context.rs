//! What resolvers can reach: process-wide state (in the schema's data) and
//! per-request state (in the request's data).

use std::{sync::Arc, time::Duration};

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use crate::kernel::auth::Auth;

/// Process-wide state shared by every request.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// How long a login session stays valid.
    pub session_ttl: Duration,
    pub events: crate::kernel::events::EventBus,
    /// Wakes the background worker when a job is waiting.
    pub jobs: Arc<tokio::sync::Notify>,
    /// This process, as the owner of the jobs it works on.
    pub instance_id: uuid::Uuid,
    /// How invitations are mailed.
    pub mail: Arc<MailSettings>,
    /// Wakes the mail worker when a message is waiting.
    pub outbox: Arc<tokio::sync::Notify>,
    /// Rate limits (sign-in attempts, requests per token).
    pub throttle: Arc<crate::kernel::throttle::Throttle>,
    /// Set when the process is shutting down: readiness fails and the
    /// workers stop at their next batch boundary.
    pub stopping: Arc<Stopping>,
    /// Recently resolved staff sessions.
    pub sessions: Arc<crate::kernel::auth::cache::SessionCache>,
    /// Persisted and trusted documents.
    pub documents: Arc<crate::kernel::documents::Documents>,
    /// Addresses an import's validation keeps in memory before it keeps
    /// them in the database (`imports::seen`).
    pub import_keys_in_memory: usize,
}

/// The shutdown signal of the process.
#[derive(Default)]
pub struct Stopping {
    flag: std::sync::atomic::AtomicBool,
    notify: tokio::sync::Notify,
}

impl Stopping {
    pub fn stop(&self) {
        self.flag.store(true, std::sync::atomic::Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn is_set(&self) -> bool {
        self.flag.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Resolves once `stop` was called.
    pub async fn wait(&self) {
        let notified = self.notify.notified();
        if self.is_set() {
            return;
        }
        notified.await;
    }
}

/// Where invitation mail goes and what its links point to.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// Base of the links in mail, e.g. `https://roster.example.com`.
    pub public_url: String,
    /// The sender, e.g. `Roster <no-reply@example.com>`.
    pub from: String,
    /// `smtp://host:25` or `smtps://user:pass@host:465`; `None` writes
    /// `.eml` files to `mail_dir` instead.
    pub smtp_url: Option<String>,
    pub mail_dir: std::path::PathBuf,
    /// How long an invitation link works.
    pub invitation_ttl: Duration,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            public_url: "http://127.0.0.1:8080".into(),
            from: "Roster <no-reply@roster.invalid>".into(),
            smtp_url: None,
            mail_dir: "data/outbox".into(),
            invitation_ttl: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// Addresses an import's validation keeps in memory by default before
/// they move to the database: a hash table of 2^18 slots, about 4.5 MiB (a
/// file of 100,000 rows with an alias each stays under it).
pub const IMPORT_KEYS_IN_MEMORY: usize = 225_000;

impl AppState {
    pub fn new(db: DatabaseConnection, session_ttl: Duration) -> Self {
        AppState {
            db,
            session_ttl,
            events: crate::kernel::events::EventBus::in_process(),
            jobs: Arc::new(tokio::sync::Notify::new()),
            instance_id: uuid::Uuid::now_v7(),
            mail: Arc::new(MailSettings::default()),
            outbox: Arc::new(tokio::sync::Notify::new()),
            throttle: Arc::new(crate::kernel::throttle::Throttle::default()),
            stopping: Arc::new(Stopping::default()),
            sessions: Arc::default(),
            documents: Arc::default(),
            import_keys_in_memory: IMPORT_KEYS_IN_MEMORY,
        }
    }

    pub fn with_import_keys_in_memory(mut self, keys: usize) -> Self {
        self.import_keys_in_memory = keys;
        self
    }

    pub fn with_documents(mut self, documents: crate::kernel::documents::Documents) -> Self {
        self.documents = Arc::new(documents);
        self
    }

    pub fn with_throttle(mut self, throttle: crate::kernel::throttle::Throttle) -> Self {
        self.throttle = Arc::new(throttle);
        self
    }

    pub fn with_events(mut self, events: crate::kernel::events::EventBus) -> Self {
        self.events = events;
        // The cache listens to the bus in force.
        self.sessions = Arc::default();
        self
    }

    pub fn with_mail(mut self, mail: MailSettings) -> Self {
        self.mail = Arc::new(mail);
        self
    }
}

/// State of one HTTP request or one WebSocket connection.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub request_id: String,
    pub auth: Auth,
    /// The client's IP address, for per-address rate limits.
    pub client_address: Option<String>,
}

impl RequestContext {
    pub fn anonymous(request_id: impl Into<String>) -> Self {
        RequestContext {
            request_id: request_id.into(),
            auth: Auth::Anonymous,
            client_address: None,
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
