//! Process metrics in the Prometheus text format, served at `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::DatabaseConnection;

static DB_STATEMENTS: AtomicU64 = AtomicU64::new(0);
static DB_STATEMENT_FAILURES: AtomicU64 = AtomicU64::new(0);
static DB_STATEMENT_MICROS: AtomicU64 = AtomicU64::new(0);

/// Counts every statement `db` (and its transactions) sends.
pub fn instrument(db: &mut DatabaseConnection) {
    db.set_metric_callback(|info| {
        DB_STATEMENTS.fetch_add(1, Ordering::Relaxed);
        DB_STATEMENT_MICROS.fetch_add(info.elapsed.as_micros() as u64, Ordering::Relaxed);
        if info.failed {
            DB_STATEMENT_FAILURES.fetch_add(1, Ordering::Relaxed);
        }
    });
}

pub fn render() -> String {
    let mut out = String::new();
    let mut counter = |name: &str, help: &str, value: u64| {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"
        ));
    };
    counter(
        "roster_db_statements_total",
        "SQL statements sent to the database.",
        DB_STATEMENTS.load(Ordering::Relaxed),
    );
    counter(
        "roster_db_statement_failures_total",
        "SQL statements that failed.",
        DB_STATEMENT_FAILURES.load(Ordering::Relaxed),
    );
    counter(
        "roster_db_statement_seconds_total",
        "Time spent in SQL statements, in whole seconds.",
        DB_STATEMENT_MICROS.load(Ordering::Relaxed) / 1_000_000,
    );
    out
}
