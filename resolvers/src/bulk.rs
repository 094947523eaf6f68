//! Inserts of many rows at once (imports, bulk user creation).
//!
//! A multi-row `INSERT … VALUES` binds one parameter per cell: SQLite caps a
//! statement at 32,766 of them, and PostgreSQL plans the whole list again on
//! every execution (tens of thousands of expressions per batch). On
//! PostgreSQL the rows therefore travel as one JSON array, expanded by
//! `json_populate_recordset` into the table's own row type: one parameter,
//! one small statement whose plan is cached. SQLite keeps the multi-row
//! insert, in chunks under its parameter limit.

use sea_orm::{
    sea_query::OnConflict, ActiveModelTrait, ActiveValue, ConnectionTrait, DatabaseBackend,
    DbErr, EntityName, EntityTrait, Iden, IntoActiveModel, Iterable, Statement, Value,
};

/// What to do with a row that breaks a unique constraint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum OnDuplicate {
    /// The statement fails (and with it the transaction).
    Fail,
    /// The row is left out; the others are inserted.
    Skip,
}

/// Parameters SQLite binds per statement at most.
const SQLITE_PARAMETERS: usize = 32_766;
/// Rows per statement on PostgreSQL (bounds the JSON text sent at once).
const POSTGRES_ROWS: usize = 5_000;

/// Inserts every row. Each row must set the same columns.
pub async fn insert<A>(
    db: &impl ConnectionTrait,
    rows: Vec<A>,
    on_duplicate: OnDuplicate,
) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let columns: Vec<_> = <A::Entity as EntityTrait>::Column::iter()
        .filter(|c| !matches!(first.get(*c), ActiveValue::NotSet))
        .collect();
    if columns.is_empty() {
        return Err(DbErr::Custom("bulk insert of rows without values".into()));
    }
    if db.get_database_backend() == DatabaseBackend::Postgres {
        if let Some(batches) = as_json(&rows, &columns) {
            let statement = postgres_statement::<A>(&columns, on_duplicate);
            for json in batches {
                db.execute(Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    &statement,
                    [Value::from(json)],
                ))
                .await?;
            }
            return Ok(());
        }
    }
    let per_statement = (SQLITE_PARAMETERS / columns.len()).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        let mut insert = <A::Entity as EntityTrait>::insert_many(chunk);
        if on_duplicate == OnDuplicate::Skip {
            insert = insert.on_conflict(OnConflict::new().do_nothing().to_owned());
        }
        insert.exec_without_returning(db).await?;
    }
    Ok(())
}

fn postgres_statement<A: ActiveModelTrait>(
    columns: &[<A::Entity as EntityTrait>::Column],
    on_duplicate: OnDuplicate,
) -> String {
    let table = A::Entity::default().table_name().to_owned();
    let names = columns
        .iter()
        .map(|c| format!("\"{}\"", c.to_string()))
        .collect::<Vec<_>>()
        .join(", ");
    let conflict = match on_duplicate {
        OnDuplicate::Fail => "",
        OnDuplicate::Skip => " ON CONFLICT DO NOTHING",
    };
    format!(
        "INSERT INTO \"{table}\" ({names}) SELECT {names} \
         FROM json_populate_recordset(NULL::\"{table}\", $1::json){conflict}"
    )
}

/// The rows as JSON arrays of objects keyed by column, `POSTGRES_ROWS` a
/// piece; `None` when a value has no faithful JSON form (the caller then
/// falls back to bound parameters).
fn as_json<A: ActiveModelTrait>(
    rows: &[A],
    columns: &[<A::Entity as EntityTrait>::Column],
) -> Option<Vec<String>> {
    let names: Vec<String> = columns
        .iter()
        .map(|c| serde_json::to_string(&c.to_string()).unwrap_or_default())
        .collect();
    let mut batches = Vec::new();
    for chunk in rows.chunks(POSTGRES_ROWS) {
        let mut out = String::with_capacity(chunk.len() * 64 * columns.len());
        out.push('[');
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('{');
            for (j, column) in columns.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                out.push_str(&names[j]);
                out.push(':');
                match row.get(*column) {
                    ActiveValue::Set(v) | ActiveValue::Unchanged(v) => write_value(&mut out, v)?,
                    ActiveValue::NotSet => return None,
                }
            }
            out.push('}');
        }
        out.push(']');
        batches.push(out);
    }
    Some(batches)
}

fn write_value(out: &mut String, value: Value) -> Option<()> {
    use std::fmt::Write;
    fn text(out: &mut String, s: &str) -> Option<()> {
        // PostgreSQL text cannot hold NUL; let the bound-parameter path
        // report it as it would any other statement.
        if s.contains('\0') {
            return None;
        }
        out.push_str(&serde_json::to_string(s).ok()?);
        Some(())
    }
    macro_rules! number {
        ($v:expr) => {
            match $v {
                Some(n) => write!(out, "{n}").ok()?,
                None => out.push_str("null"),
            }
        };
    }
    match value {
        Value::Bool(v) => match v {
            Some(b) => out.push_str(if b { "true" } else { "false" }),
            None => out.push_str("null"),
        },
        Value::TinyInt(v) => number!(v),
        Value::SmallInt(v) => number!(v),
        Value::Int(v) => number!(v),
        Value::BigInt(v) => number!(v),
        Value::TinyUnsigned(v) => number!(v),
        Value::SmallUnsigned(v) => number!(v),
        Value::Unsigned(v) => number!(v),
        Value::BigUnsigned(v) => number!(v),
        Value::String(v) => match v {
            Some(s) => text(out, &s)?,
            None => out.push_str("null"),
        },
        Value::Uuid(v) => match v {
            Some(id) => write!(out, "\"{id}\"").ok()?,
            None => out.push_str("null"),
        },
        Value::ChronoDateTimeUtc(v) => match v {
            Some(t) => write!(
                out,
                "\"{}\"",
                t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            )
            .ok()?,
            None => out.push_str("null"),
        },
        // Floats, bytes, JSON documents, dates without a zone: not needed by
        // the bulk paths; they take the bound-parameter path.
        _ => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_become_json_that_postgres_reads_back() {
        let mut out = String::new();
        write_value(&mut out, Value::String(Some(Box::new("a \"b\"\n".into())))).unwrap();
        assert_eq!(out, r#""a \"b\"\n""#);
        out.clear();
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-23T10:00:00.123456Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        write_value(&mut out, Value::ChronoDateTimeUtc(Some(Box::new(at)))).unwrap();
        assert_eq!(out, "\"2026-11-23T10:00:00.123456Z\"");
        out.clear();
        write_value(&mut out, Value::Int(None)).unwrap();
        assert_eq!(out, "null");
        assert!(write_value(&mut out, Value::String(Some(Box::new("a\0".into())))).is_none());
        assert!(write_value(&mut out, Value::Double(Some(1.5))).is_none());
    }
}
