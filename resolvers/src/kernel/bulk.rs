//! Inserts of many rows at once (imports, bulk user creation).
//!
//! A multi-row `INSERT … VALUES` binds one parameter per cell: SQLite caps a
//! statement at 32,766 of them, and PostgreSQL plans the whole list again on
//! every execution (tens of thousands of expressions per batch). On
//! PostgreSQL each column therefore travels as one array (binary, nothing to
//! parse) and `UNNEST` turns the arrays back into rows: one small statement
//! whose plan is cached. On SQLite the rows travel as one JSON text that
//! `json_each` turns back into rows: binding tens of thousands of values one
//! by one cost as much as SQLite's own work, and the connection waited for
//! it. Rows with a column of another type keep the multi-row insert, in
//! chunks under SQLite's parameter limit.

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
/// Rows per statement on PostgreSQL (bounds the arrays sent at once).
const POSTGRES_ROWS: usize = 5_000;
/// Rows per statement of SQLite's JSON insert (bounds the text sent at once).
const SQLITE_JSON_ROWS: usize = 2_000;

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
    if backend == DatabaseBackend::Sqlite {
        let kinds: Option<Vec<Kind>> = columns
            .iter()
            .map(|c| Kind::of(c.def().get_column_type()))
            .collect();
        if let Some(kinds) = kinds {
            let statement = sqlite_statement::<A>(&columns, &kinds, on_duplicate);
            let per_statement = (SQLITE_PARAMETERS / columns.len()).max(1);
            let mut rows = rows.into_iter().peekable();
            // Built chunk by chunk, as `run` asks for them.
            let chunks = std::iter::from_fn(move || {
                rows.peek()?;
                let chunk: Vec<A> = rows.by_ref().take(SQLITE_JSON_ROWS).collect();
                Some(match sqlite_json::<A>(&chunk, &columns, &kinds) {
                    Some(text) => vec![Statement::from_sql_and_values(
                        DatabaseBackend::Sqlite,
                        &statement,
                        [Value::String(Some(Box::new(text)))],
                    )],
                    None => values_statements(backend, chunk, per_statement, on_duplicate),
                })
            });
            return Ok(Box::new(chunks.flatten()));
        }
    }
    let per_statement = (SQLITE_PARAMETERS / columns.len()).max(1);
    let mut rows = rows.into_iter().peekable();
    Ok(Box::new(std::iter::from_fn(move || {
        rows.peek()?;
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        Some(values_statement(backend, chunk, on_duplicate))
    })))
}

/// Multi-row `INSERT … VALUES` statements of at most `per_statement` rows.
fn values_statements<A>(
    backend: DatabaseBackend,
    rows: Vec<A>,
    per_statement: usize,
    on_duplicate: OnDuplicate,
) -> Vec<Statement>
where
    A: ActiveModelTrait,
{
    let mut rows = rows.into_iter().peekable();
    let mut statements = Vec::new();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        statements.push(values_statement(backend, chunk, on_duplicate));
    }
    statements
}

fn values_statement<A: ActiveModelTrait>(
    backend: DatabaseBackend,
    rows: Vec<A>,
    on_duplicate: OnDuplicate,
) -> Statement {
    let mut insert = <A::Entity as EntityTrait>::insert_many(rows);
    if on_duplicate == OnDuplicate::Skip {
        insert = insert.on_conflict(OnConflict::new().do_nothing().to_owned());
    }
    backend.build(&insert.into_query())
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

/// `INSERT … SELECT … FROM json_each(?)`: the parameter is a JSON array of
/// rows, each an array of the row's values in column order. A UUID travels
/// as hex (SQLite stores it as a 16-byte blob, as sqlx binds it); a
/// timestamp as the text sqlx binds.
fn sqlite_statement<A: ActiveModelTrait>(
    columns: &[<A::Entity as EntityTrait>::Column],
    kinds: &[Kind],
    on_duplicate: OnDuplicate,
) -> String {
    let table = A::Entity::default().table_name().to_owned();
    let names = columns
        .iter()
        .map(|c| format!("\"{}\"", c.to_string()))
        .collect::<Vec<_>>()
        .join(", ");
    let selected = kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| match kind {
            Kind::Uuid => format!("unhex(value ->> {i})"),
            _ => format!("value ->> {i}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    // `WHERE true` tells SQLite's parser that `ON CONFLICT` is the
    // insert's upsert clause, not part of the select.
    let conflict = match on_duplicate {
        OnDuplicate::Fail => "",
        OnDuplicate::Skip => " ON CONFLICT DO NOTHING",
    };
    format!("INSERT INTO \"{table}\" ({names}) SELECT {selected} FROM json_each(?) WHERE true{conflict}")
}

/// The parameter of `sqlite_statement` for some rows; `None` when
/// a value is not of its column's kind or a row leaves a column unset (the
/// caller then falls back to the multi-row insert).
fn sqlite_json<A: ActiveModelTrait>(
    rows: &[A],
    columns: &[<A::Entity as EntityTrait>::Column],
    kinds: &[Kind],
) -> Option<String> {
    use std::io::Write;
    let mut text: Vec<u8> = Vec::with_capacity(rows.len() * columns.len() * 16);
    text.push(b'[');
    for (r, row) in rows.iter().enumerate() {
        text.extend_from_slice(if r == 0 { b"[" } else { b",[" });
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                text.push(b',');
            }
            let value = match row.get(*column) {
                ActiveValue::Set(v) | ActiveValue::Unchanged(v) => v,
                ActiveValue::NotSet => return None,
            };
            match (kinds[i], value) {
                (Kind::Text, Value::String(Some(v))) => {
                    // Writing to a `Vec` cannot fail.
                    let _ = serde_json::to_writer(&mut text, v.as_str());
                }
                (Kind::Uuid, Value::Uuid(Some(v))) => {
                    let _ = write!(text, "\"{}\"", v.simple());
                }
                (Kind::Bool, Value::Bool(Some(v))) => text.push(if v { b'1' } else { b'0' }),
                (Kind::Int, Value::Int(Some(v))) => {
                    let _ = write!(text, "{v}");
                }
                (Kind::BigInt, Value::BigInt(Some(v))) => {
                    let _ = write!(text, "{v}");
                }
                (Kind::Timestamp, Value::ChronoDateTimeUtc(Some(v))) => {
                    let _ = write!(
                        text,
                        "\"{}\"",
                        v.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
                    );
                }
                (
                    Kind::Text,
                    Value::String(None),
                )
                | (Kind::Uuid, Value::Uuid(None))
                | (Kind::Bool, Value::Bool(None))
                | (Kind::Int, Value::Int(None))
                | (Kind::BigInt, Value::BigInt(None))
                | (Kind::Timestamp, Value::ChronoDateTimeUtc(None)) => text.extend_from_slice(b"null"),
                _ => return None,
            }
        }
        text.push(b']');
    }
    text.push(b']');
    // JSON written from `str`s and numbers is UTF-8.
    String::from_utf8(text).ok()
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

    /// Inserts `bound` as sea-orm binds it and `through_json` with the JSON
    /// insert (the two differ in their primary key only), then checks that
    /// both read back as they were and that SQLite stores every column
    /// alike (storage class and value).
    async fn stored_alike<E>(db: &sea_orm::DatabaseConnection, bound: E::Model, through_json: E::Model)
    where
        E: EntityTrait,
        E::Model: IntoActiveModel<E::ActiveModel> + Clone + PartialEq + std::fmt::Debug,
        E::ActiveModel: ActiveModelTrait<Entity = E> + Send + 'static,
    {
        E::insert(bound.clone().into_active_model().reset_all())
            .exec_without_returning(db)
            .await
            .unwrap();
        let rows = vec![through_json.clone().into_active_model().reset_all()];
        let statements: Vec<Statement> = statements(DatabaseBackend::Sqlite, rows.clone(), OnDuplicate::Fail)
            .unwrap()
            .collect();
        assert!(statements[0].sql.contains("json_each"), "{}", statements[0].sql);
        for statement in statements {
            db.execute(statement).await.unwrap();
        }
        let stored = E::find().all(db).await.unwrap();
        assert!(stored.contains(&bound), "{stored:?}");
        assert!(stored.contains(&through_json), "{stored:?}");

        let table = E::default().table_name().to_owned();
        for column in E::Column::iter() {
            let name = column.to_string();
            let sql = format!("SELECT typeof(\"{name}\"), quote(\"{name}\") FROM \"{table}\" ORDER BY rowid");
            let found = db
                .query_all(Statement::from_string(DatabaseBackend::Sqlite, sql))
                .await
                .unwrap();
            let seen: Vec<(String, String)> = found
                .iter()
                .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap()))
                .collect();
            assert_eq!(seen.len(), 2);
            if name == "id" {
                assert_eq!(seen[0].0, seen[1].0, "{table}.{name}");
            } else {
                assert_eq!(seen[0], seen[1], "{table}.{name}");
            }
        }

        // A duplicate is skipped or fails, as asked.
        let skip = statements_of(rows.clone(), OnDuplicate::Skip);
        for statement in skip {
            db.execute(statement).await.unwrap();
        }
        assert_eq!(E::find().all(db).await.unwrap().len(), 2);
        let mut failed = false;
        for statement in statements_of(rows, OnDuplicate::Fail) {
            failed |= db.execute(statement).await.is_err();
        }
        assert!(failed, "a duplicate primary key was inserted");
    }

    fn statements_of<A>(rows: Vec<A>, on_duplicate: OnDuplicate) -> Vec<Statement>
    where
        A: ActiveModelTrait + Send + 'static,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        statements(DatabaseBackend::Sqlite, rows, on_duplicate)
            .unwrap()
            .collect()
    }

    #[tokio::test]
    async fn sqlite_stores_json_inserted_rows_as_bound_ones() {
        use roster_entities::{customer, import_job};
        use uuid::Uuid;
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        // The tables the rows refer to are not made here.
        db.execute_unprepared("PRAGMA foreign_keys = OFF").await.unwrap();
        let schema = sea_orm::Schema::new(DatabaseBackend::Sqlite);
        db.execute(DatabaseBackend::Sqlite.build(&schema.create_table_from_entity(customer::Entity)))
            .await
            .unwrap();
        db.execute(DatabaseBackend::Sqlite.build(&schema.create_table_from_entity(import_job::Entity)))
            .await
            .unwrap();
        // Nanoseconds, and text that JSON must escape.
        let now = chrono::Utc::now();
        let awkward = "Zoë \"Q\" O'Brien \\ \n\t\u{1} 😀 </script>".to_owned();
        let customer = customer::Model {
            id: Uuid::now_v7(),
            account_id: Uuid::now_v7(),
            first_name: awkward.clone(),
            last_name: String::new(),
            sort_name: "obrien zoe".into(),
            email: "zoe@example.com".into(),
            email_key: "zoe@example.com".into(),
            company_id: Some(Uuid::now_v7()),
            office_phone: None,
            mobile_phone: Some("+14155550100".into()),
            other_phone: None,
            fax: None,
            address: Some("1 Main St\nSpringfield".into()),
            job_title: None,
            department: Some(awkward),
            notes: None,
            email_format: customer::EmailFormat::PlainText,
            feedback_emails: true,
            time_zone: Some("Europe/Paris".into()),
            locale: None,
            portal_access: customer::PortalAccess::CompanyAdmin,
            avatar_token: None,
            created_at: now,
            updated_at: now - chrono::Duration::days(400),
        };
        let twin = customer::Model { id: Uuid::now_v7(), ..customer.clone() };
        stored_alike::<customer::Entity>(&db, customer, twin).await;

        let job = import_job::Model {
            id: Uuid::now_v7(),
            account_id: Uuid::now_v7(),
            user_id: None,
            kind: "CUSTOMERS".into(),
            phase: import_job::Phase::Importing,
            file_name: "people.csv".into(),
            options: "{\"a\":[1,2]}".into(),
            unknown_columns: "[]".into(),
            total_rows: 1_000_000,
            validated_rows: 0,
            written_through: -1,
            to_create: i64::MAX,
            to_update: i64::MIN,
            to_skip: 3,
            error_count: 0,
            created: 0,
            updated: 0,
            skipped: 0,
            failed: 0,
            failure: Some("no".into()),
            claimed_by: Some(Uuid::nil()),
            heartbeat_at: None,
            created_at: now,
            updated_at: now,
        };
        let twin = import_job::Model { id: Uuid::now_v7(), ..job.clone() };
        stored_alike::<import_job::Entity>(&db, job, twin).await;
    }
}
