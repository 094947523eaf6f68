//! Prometheus metrics, served at `/metrics` (prometheus-client): requests
//! by operation and outcome, their latency, SQL statements, the database
//! pool, open WebSocket operations, import rows written, and the mail
//! outbox's depth and oldest message.

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex, OnceLock,
    },
    time::Duration,
};

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

tokio::task_local! {
    /// Set while `/metrics` reads the database.
    static SCRAPING: bool;
}

/// Labels of a GraphQL operation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Operation {
    /// The operation's name, `anonymous`, or `other` past the cap.
    pub operation: String,
    /// `ok`, `error` (some errors) or `refused` (nothing ran).
    pub outcome: String,
}

/// Operation names kept as labels; later names count as `other`, so a
/// client cannot blow up the series.
const MAX_NAMES: usize = 200;

struct Metrics {
    registry: Registry,
    requests: Family<Operation, Counter>,
    latency: Histogram,
    statements: Counter,
    statement_failures: Counter,
    statement_seconds: Counter<f64, std::sync::atomic::AtomicU64>,
    pool_size: Gauge,
    pool_idle: Gauge,
    socket_operations: Gauge,
    import_rows: Counter,
    outbox_depth: Gauge,
    outbox_oldest_seconds: Gauge,
    names: Mutex<HashSet<String>>,
}

fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let mut registry = Registry::with_prefix("roster");
        let m = Metrics {
            requests: Family::default(),
            latency: Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            statements: Counter::default(),
            statement_failures: Counter::default(),
            statement_seconds: Counter::default(),
            pool_size: Gauge::default(),
            pool_idle: Gauge::default(),
            socket_operations: Gauge::default(),
            import_rows: Counter::default(),
            outbox_depth: Gauge::default(),
            outbox_oldest_seconds: Gauge::default(),
            names: Mutex::new(HashSet::new()),
            registry: Registry::default(),
        };
        registry.register(
            "graphql_operations",
            "GraphQL operations over HTTP, by operation name and outcome",
            m.requests.clone(),
        );
        registry.register(
            "graphql_request_duration_seconds",
            "Time to answer a GraphQL HTTP request",
            m.latency.clone(),
        );
        registry.register(
            "db_statements",
            "SQL statements sent to the database",
            m.statements.clone(),
        );
        registry.register(
            "db_statement_failures",
            "SQL statements that failed",
            m.statement_failures.clone(),
        );
        registry.register(
            "db_statement_seconds",
            "Time spent in SQL statements",
            m.statement_seconds.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Connections the database pool holds",
            m.pool_size.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Idle connections of the database pool",
            m.pool_idle.clone(),
        );
        registry.register(
            "websocket_operations_open",
            "Operations (subscriptions) running on WebSocket connections",
            m.socket_operations.clone(),
        );
        registry.register(
            "import_rows_written",
            "Rows imports committed (created or updated)",
            m.import_rows.clone(),
        );
        registry.register(
            "outbox_messages_waiting",
            "Mail waiting in the outbox",
            m.outbox_depth.clone(),
        );
        registry.register(
            "outbox_oldest_message_age_seconds",
            "Age of the oldest mail waiting in the outbox",
            m.outbox_oldest_seconds.clone(),
        );
        Metrics { registry, ..m }
    })
}

/// Counts every statement `db` (and its transactions) sends, and logs the
/// ones slower than `slow` (target `roster::slow_statement`, without their
/// values, which may hold personal data).
pub fn instrument(db: &mut DatabaseConnection, slow: Duration) {
    db.set_metric_callback(move |info| {
        if SCRAPING.try_with(|s| *s).unwrap_or(false) {
            // The scrape's own statements are not the application's.
            return;
        }
        if info.elapsed >= slow {
            tracing::warn!(
                target: "roster::slow_statement",
                elapsed_ms = info.elapsed.as_millis() as u64,
                failed = info.failed,
                sql = %info.statement.sql.split_whitespace().collect::<Vec<_>>().join(" "),
                "slow SQL statement"
            );
        }
        let m = metrics();
        m.statements.inc();
        m.statement_seconds.inc_by(info.elapsed.as_secs_f64());
        if info.failed {
            m.statement_failures.inc();
        }
    });
}

/// Records one GraphQL operation answered over HTTP.
pub fn operation(name: Option<&str>, outcome: &'static str) {
    let m = metrics();
    let name = match name {
        None => "anonymous".to_owned(),
        Some(name) => {
            let valid = !name.is_empty()
                && name.len() <= 64
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            let mut names = m.names.lock().unwrap_or_else(|e| e.into_inner());
            if valid && (names.contains(name) || names.len() < MAX_NAMES) {
                names.insert(name.to_owned());
                name.to_owned()
            } else {
                "other".to_owned()
            }
        }
    };
    m.requests
        .get_or_create(&Operation {
            operation: name,
            outcome: outcome.to_owned(),
        })
        .inc();
}

/// Records how long a GraphQL HTTP request took.
pub fn request_duration(elapsed: Duration) {
    metrics().latency.observe(elapsed.as_secs_f64());
}

/// A WebSocket operation started (`+1`) or ended (`-1`).
pub fn socket_operations(delta: i64) {
    metrics().socket_operations.inc_by(delta);
}

/// The metrics in the Prometheus text format, with the gauges read now.
pub async fn render(db: &DatabaseConnection) -> String {
    let m = metrics();
    if let Some(pool) = pool_sizes(db) {
        m.pool_size.set(pool.0);
        m.pool_idle.set(pool.1);
    }
    static IMPORTED: AtomicU64 = AtomicU64::new(0);
    let written = roster_resolvers::imports::worker::ROWS_WRITTEN.load(Ordering::Relaxed);
    let before = IMPORTED.swap(written, Ordering::Relaxed);
    m.import_rows.inc_by(written.saturating_sub(before));
    if let Some((depth, oldest)) = SCRAPING.scope(true, outbox(db)).await {
        m.outbox_depth.set(depth);
        m.outbox_oldest_seconds.set(oldest);
    }
    let mut out = String::new();
    if let Err(err) = prometheus_client::encoding::text::encode(&mut out, &m.registry) {
        tracing::error!(%err, "cannot encode the metrics");
    }
    out
}

fn pool_sizes(db: &DatabaseConnection) -> Option<(i64, i64)> {
    match db {
        DatabaseConnection::SqlxPostgresPoolConnection(_) => {
            let pool = db.get_postgres_connection_pool();
            Some((pool.size() as i64, pool.num_idle() as i64))
        }
        DatabaseConnection::SqlxSqlitePoolConnection(_) => {
            let pool = db.get_sqlite_connection_pool();
            Some((pool.size() as i64, pool.num_idle() as i64))
        }
        _ => None,
    }
}

/// Mail waiting, and the age of the oldest, in seconds.
async fn outbox(db: &DatabaseConnection) -> Option<(i64, i64)> {
    let backend = db.get_database_backend();
    let sql = "SELECT COUNT(*) AS depth, MIN(created_at) AS oldest \
               FROM outbox_messages WHERE sent_at IS NULL";
    let row = db
        .query_one(Statement::from_string(backend, sql))
        .await
        .ok()??;
    let depth: i64 = row.try_get("", "depth").ok()?;
    let oldest: Option<chrono::DateTime<chrono::Utc>> = row.try_get("", "oldest").ok()?;
    let age = oldest
        .map(|t| (chrono::Utc::now() - t).num_seconds().max(0))
        .unwrap_or(0);
    Some((depth, age))
}
