//! Inserts of many rows at once (imports, bulk user creation).
//!
//! A multi-row `INSERT … VALUES` binds one parameter per cell: SQLite caps a
//! statement at 32,766 of them, and PostgreSQL plans the whole list again on
//! every execution (tens of thousands of expressions per batch). On
//! PostgreSQL each column therefore travels as one array (binary, nothing to
//! parse) and `UNNEST` turns the arrays back into rows: one small statement
//! whose plan is cached. SQLite keeps the multi-row insert, in chunks under
//! its parameter limit.

use sea_orm::{
    sea_query::{ArrayType, OnConflict},
    ActiveModelTrait, ActiveValue, ColumnTrait, ColumnType, ConnectionTrait, DatabaseBackend,
    DbErr, EntityName, EntityTrait, Iden, IntoActiveModel, Iterable, QueryTrait, Statement, Value,
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
    A: ActiveModelTrait + Send + 'static,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    run(
        db,
        statements(db.get_database_backend(), rows, on_duplicate)?,
    )
    .await
}

/// Statements to run one after the other.
pub type Statements = Box<dyn Iterator<Item = Statement> + Send>;

/// The statements that insert every row (each row must set the same
/// columns). On SQLite each multi-row statement is built only when it is
/// asked for, so that `run` builds it while the previous one runs.
pub fn statements<A>(
    backend: DatabaseBackend,
    rows: Vec<A>,
    on_duplicate: OnDuplicate,
) -> Result<Statements, DbErr>
where
    A: ActiveModelTrait + Send + 'static,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let Some(first) = rows.first() else {
        return Ok(Box::new(std::iter::empty()));
    };
    let columns: Vec<_> = <A::Entity as EntityTrait>::Column::iter()
        .filter(|c| !matches!(first.get(*c), ActiveValue::NotSet))
        .collect();
    if columns.is_empty() {
        return Err(DbErr::Custom("bulk insert of rows without values".into()));
    }
    if backend == DatabaseBackend::Postgres {
        let kinds: Option<Vec<Kind>> = columns
            .iter()
            .map(|c| Kind::of(c.def().get_column_type()))
            .collect();
        if let Some(kinds) = kinds {
            let nullable: Vec<bool> = columns.iter().map(|c| c.def().is_null()).collect();
            let statement = postgres_statement::<A>(&columns, &kinds, &nullable, on_duplicate);
            let mut batches = Vec::new();
            for chunk in rows.chunks(POSTGRES_ROWS) {
                match as_arrays(chunk, &columns, &kinds, &nullable) {
                    Some(values) => batches.push(Statement::from_sql_and_values(
                        DatabaseBackend::Postgres,
                        &statement,
                        values,
                    )),
                    None => {
                        batches.clear();
                        break;
                    }
                }
            }
            if !batches.is_empty() {
                return Ok(Box::new(batches.into_iter()));
            }
        }
    }
    let per_statement = (SQLITE_PARAMETERS / columns.len()).max(1);
    let mut rows = rows.into_iter().peekable();
    Ok(Box::new(std::iter::from_fn(move || {
        rows.peek()?;
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        let mut insert = <A::Entity as EntityTrait>::insert_many(chunk);
        if on_duplicate == OnDuplicate::Skip {
            insert = insert.on_conflict(OnConflict::new().do_nothing().to_owned());
        }
        Some(backend.build(&insert.into_query()))
    })))
}

/// Runs the statements in order, each built while the one before runs:
/// on SQLite a statement runs on the connection's own thread, and building
/// a multi-row insert costs about as much as running it.
pub async fn run(db: &impl ConnectionTrait, mut statements: Statements) -> Result<(), DbErr> {
    let Some(mut current) = statements.next() else {
        return Ok(());
    };
    loop {
        // `join!` polls the statement first (handing it to the connection),
        // then builds the next one.
        let (done, next) = futures_util::join!(db.execute(current), async { statements.next() });
        done?;
        match next {
            Some(statement) => current = statement,
            None => return Ok(()),
        }
    }
}

/// How a column travels as an array on PostgreSQL.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Text,
    Uuid,
    Bool,
    Int,
    BigInt,
    Timestamp,
}

impl Kind {
    fn of(column: &ColumnType) -> Option<Kind> {
        Some(match column {
            ColumnType::String(_) | ColumnType::Text | ColumnType::Char(_) => Kind::Text,
            ColumnType::Uuid => Kind::Uuid,
            ColumnType::Boolean => Kind::Bool,
            ColumnType::Integer => Kind::Int,
            ColumnType::BigInteger => Kind::BigInt,
            ColumnType::TimestampWithTimeZone => Kind::Timestamp,
            _ => return None,
        })
    }

    fn sql(self) -> &'static str {
        match self {
            Kind::Text => "text[]",
            Kind::Uuid => "uuid[]",
            Kind::Bool => "boolean[]",
            Kind::Int => "int4[]",
            Kind::BigInt => "int8[]",
            Kind::Timestamp => "timestamptz[]",
        }
    }

    fn array_type(self) -> ArrayType {
        match self {
            Kind::Text => ArrayType::String,
            Kind::Uuid => ArrayType::Uuid,
            Kind::Bool => ArrayType::Bool,
            Kind::Int => ArrayType::Int,
            Kind::BigInt => ArrayType::BigInt,
            Kind::Timestamp => ArrayType::ChronoDateTimeUtc,
        }
    }

    /// The value itself if it is a non-null value of this kind; a stand-in
    /// of this kind (masked as NULL) if it is null; `None` if it is of
    /// another kind. Array elements cannot be NULL when bound.
    fn element(self, value: Value) -> Option<(Value, bool)> {
        let stand_in = match (self, value) {
            (Kind::Text, Value::String(Some(v))) => return Some((Value::String(Some(v)), false)),
            (Kind::Uuid, Value::Uuid(Some(v))) => return Some((Value::Uuid(Some(v)), false)),
            (Kind::Bool, Value::Bool(Some(v))) => return Some((Value::Bool(Some(v)), false)),
            (Kind::Int, Value::Int(Some(v))) => return Some((Value::Int(Some(v)), false)),
            (Kind::BigInt, Value::BigInt(Some(v))) => return Some((Value::BigInt(Some(v)), false)),
            (Kind::Timestamp, Value::ChronoDateTimeUtc(Some(v))) => {
                return Some((Value::ChronoDateTimeUtc(Some(v)), false))
            }
            (Kind::Text, Value::String(None)) => Value::String(Some(Box::default())),
            (Kind::Uuid, Value::Uuid(None)) => Value::Uuid(Some(Box::default())),
            (Kind::Bool, Value::Bool(None)) => Value::Bool(Some(false)),
            (Kind::Int, Value::Int(None)) => Value::Int(Some(0)),
            (Kind::BigInt, Value::BigInt(None)) => Value::BigInt(Some(0)),
            (Kind::Timestamp, Value::ChronoDateTimeUtc(None)) => {
                Value::ChronoDateTimeUtc(Some(Box::default()))
            }
            _ => return None,
        };
        Some((stand_in, true))
    }
}

/// `INSERT … SELECT … FROM UNNEST($1::text[], …)`: one array per column,
/// plus a boolean array marking the NULLs of each nullable column.
fn postgres_statement<A: ActiveModelTrait>(
    columns: &[<A::Entity as EntityTrait>::Column],
    kinds: &[Kind],
    nullable: &[bool],
    on_duplicate: OnDuplicate,
) -> String {
    let table = A::Entity::default().table_name().to_owned();
    let names = columns
        .iter()
        .map(|c| format!("\"{}\"", c.to_string()))
        .collect::<Vec<_>>()
        .join(", ");
    let (mut arrays, mut aliases, mut selected) = (Vec::new(), Vec::new(), Vec::new());
    for (i, (kind, nullable)) in kinds.iter().zip(nullable).enumerate() {
        arrays.push(format!("${}::{}", arrays.len() + 1, kind.sql()));
        aliases.push(format!("v{i}"));
        if *nullable {
            arrays.push(format!("${}::boolean[]", arrays.len() + 1));
            aliases.push(format!("n{i}"));
            selected.push(format!("CASE WHEN n{i} THEN NULL ELSE v{i} END"));
        } else {
            selected.push(format!("v{i}"));
        }
    }
    let conflict = match on_duplicate {
        OnDuplicate::Fail => "",
        OnDuplicate::Skip => " ON CONFLICT DO NOTHING",
    };
    format!(
        "INSERT INTO \"{table}\" ({names}) SELECT {} FROM UNNEST({}) AS u({}){conflict}",
        selected.join(", "),
        arrays.join(", "),
        aliases.join(", "),
    )
}

/// The parameters of `postgres_statement` for some rows; `None` when a
/// value is not of its column's kind or a row leaves a column unset (the
/// caller then falls back to the multi-row insert).
fn as_arrays<A: ActiveModelTrait>(
    rows: &[A],
    columns: &[<A::Entity as EntityTrait>::Column],
    kinds: &[Kind],
    nullable: &[bool],
) -> Option<Vec<Value>> {
    let mut values: Vec<Vec<Value>> = columns
        .iter()
        .map(|_| Vec::with_capacity(rows.len()))
        .collect();
    let mut nulls: Vec<Vec<Value>> = columns.iter().map(|_| Vec::new()).collect();
    for row in rows {
        for (i, column) in columns.iter().enumerate() {
            let value = match row.get(*column) {
                ActiveValue::Set(v) | ActiveValue::Unchanged(v) => v,
                ActiveValue::NotSet => return None,
            };
            let (element, is_null) = kinds[i].element(value)?;
            if is_null && !nullable[i] {
                return None;
            }
            values[i].push(element);
            if nullable[i] {
                nulls[i].push(Value::Bool(Some(is_null)));
            }
        }
    }
    let mut params = Vec::new();
    for (i, (column, mask)) in values.into_iter().zip(nulls).enumerate() {
        params.push(Value::Array(kinds[i].array_type(), Some(Box::new(column))));
        if nullable[i] {
            params.push(Value::Array(ArrayType::Bool, Some(Box::new(mask))));
        }
    }
    Some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_values_travel_as_masked_stand_ins_of_their_kind() {
        assert_eq!(
            Kind::Text.element(Value::String(None)),
            Some((Value::String(Some(Box::default())), true))
        );
        assert_eq!(
            Kind::Uuid.element(Value::Uuid(None)).map(|(_, null)| null),
            Some(true)
        );
        assert_eq!(
            Kind::Int.element(Value::Int(Some(7))),
            Some((Value::Int(Some(7)), false))
        );
        // A value of another kind is refused (the caller falls back).
        assert_eq!(Kind::Int.element(Value::BigInt(Some(7))), None);
        assert_eq!(Kind::of(&ColumnType::Double), None);
    }
}
