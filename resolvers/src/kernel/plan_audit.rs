//! A diagnostic for operators and the test suite: with `--audit-plans`,
//! every page a connection reads is first explained by the database, and a
//! plan that sorts or scans a whole account is logged as a warning
//! (`roster::plan_audit`). Off by default: it doubles the statements.

use std::sync::atomic::{AtomicBool, Ordering};

use sea_orm::{ConnectionTrait, DbBackend, Statement};

static ENABLED: AtomicBool = AtomicBool::new(false);

pub fn enable(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Explains `statement` and logs what is wrong with its plan, if anything.
pub async fn check(db: &impl ConnectionTrait, statement: &Statement) {
    let backend = db.get_database_backend();
    let prefix = match backend {
        DbBackend::Postgres => "EXPLAIN ",
        _ => "EXPLAIN QUERY PLAN ",
    };
    let explain = Statement {
        sql: format!("{prefix}{}", statement.sql),
        values: statement.values.clone(),
        db_backend: backend,
    };
    let rows = match db.query_all(explain).await {
        Ok(rows) => rows,
        Err(err) => {
            tracing::warn!(target: "roster::plan_audit", %err, sql = %one_line(&statement.sql), "cannot explain");
            return;
        }
    };
    let lines: Vec<String> = rows
        .iter()
        .filter_map(|row| match backend {
            DbBackend::Postgres => row.try_get_by_index::<String>(0).ok(),
            _ => row.try_get::<String>("", "detail").ok(),
        })
        .collect();
    let problem = match backend {
        DbBackend::Postgres => postgres_problem(&lines),
        _ => sqlite_problem(&lines),
    };
    match problem {
        Some(problem) => tracing::warn!(
            target: "roster::plan_audit",
            problem,
            sql = %one_line(&statement.sql),
            plan = %lines.join(" | "),
            "plan audit: bad plan"
        ),
        None => {
            tracing::info!(
                target: "roster::plan_audit",
                sql = %one_line(&statement.sql),
                plan = %lines.join(" | "),
                "plan audit: ok"
            )
        }
    }
}

fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether an index condition only says "in this account".
fn account_only(condition: &str) -> bool {
    let inner: String = condition
        .chars()
        .filter(|c| !matches!(c, '(' | ')'))
        .collect();
    inner.split(" AND ").all(|part| {
        let part = part.replace(' ', "");
        part.split_once('=')
            .is_some_and(|(column, _)| column.ends_with("account_id"))
    })
}

/// PostgreSQL (text plan): a sequential scan, or a sort whose input is read
/// by no condition narrower than the account.
pub fn postgres_problem(lines: &[String]) -> Option<String> {
    if let Some(line) = lines.iter().find(|l| l.contains("Seq Scan on ")) {
        return Some(format!("full scan: {}", line.trim()));
    }
    for (i, line) in lines.iter().enumerate() {
        let node = line.trim_start().trim_start_matches("->").trim_start();
        if !(node.starts_with("Sort ") || node.starts_with("Incremental Sort ")) {
            continue;
        }
        let depth = line.len() - line.trim_start().len();
        let subtree = lines[i + 1..]
            .iter()
            .take_while(|l| l.len() - l.trim_start().len() > depth);
        let narrowed = subtree
            .filter_map(|l| {
                let l = l.trim();
                l.strip_prefix("Index Cond: ")
                    .or_else(|| l.strip_prefix("Recheck Cond: "))
            })
            .any(|cond| !account_only(cond));
        if !narrowed {
            return Some(format!("sorts the whole account: {}", node));
        }
    }
    None
}

/// SQLite (`EXPLAIN QUERY PLAN` details): a scan of a table, or an ORDER BY
/// sorted in a temporary b-tree when nothing narrower than the account
/// was searched.
pub fn sqlite_problem(lines: &[String]) -> Option<String> {
    for line in lines {
        if let Some(rest) = line.strip_prefix("SCAN ") {
            let virtual_or_derived = rest.contains("VIRTUAL TABLE")
                || rest.starts_with('(')
                || rest.starts_with("CONSTANT ROW");
            if !virtual_or_derived {
                return Some(format!("full scan: {line}"));
            }
        }
    }
    if lines
        .iter()
        .any(|l| l.contains("USE TEMP B-TREE FOR ORDER BY"))
    {
        let narrowed = lines.iter().any(|l| {
            l.starts_with("SEARCH ")
                && l.split_once(" (")
                    .is_some_and(|(_, cond)| !account_only(cond.trim_end_matches(')')))
        });
        if !narrowed {
            return Some("sorts the whole account".into());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn postgres_plans() {
        let ordered = lines(
            "Limit\n  ->  Index Scan using idx on customers\n        Index Cond: (account_id = $1)",
        );
        assert_eq!(postgres_problem(&ordered), None);
        let sorted = lines(
            "Limit\n  ->  Sort  (cost=1)\n        Sort Key: created_at\n        ->  Index Scan using idx on customers\n              Index Cond: (account_id = $1)",
        );
        assert!(postgres_problem(&sorted).is_some());
        let narrowed = lines(
            "Limit\n  ->  Sort\n        ->  Bitmap Heap Scan on customers\n              Recheck Cond: (company_id = $2)",
        );
        assert_eq!(postgres_problem(&narrowed), None);
        let scan = lines("Limit\n  ->  Seq Scan on customers");
        assert!(postgres_problem(&scan).is_some());
    }

    #[test]
    fn sqlite_plans() {
        let ordered = lines("SEARCH customers USING INDEX idx (account_id=?)");
        assert_eq!(sqlite_problem(&ordered), None);
        let sorted =
            lines("SEARCH customers USING INDEX idx (account_id=?)\nUSE TEMP B-TREE FOR ORDER BY");
        assert!(sqlite_problem(&sorted).is_some());
        let narrowed =
            lines("SEARCH customers USING INDEX idx (company_id=?)\nUSE TEMP B-TREE FOR ORDER BY");
        assert_eq!(sqlite_problem(&narrowed), None);
        assert!(sqlite_problem(&lines("SCAN customers")).is_some());
        assert_eq!(
            sqlite_problem(&lines("SCAN customer_name_search VIRTUAL TABLE INDEX 0:L2")),
            None
        );
    }
}
