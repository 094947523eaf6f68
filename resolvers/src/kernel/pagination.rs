//! Relay cursor connections over any sea-orm select, by keyset: rows are
//! ordered by (sort key, id) and a cursor holds both, so pages stay stable
//! while rows are added and no OFFSET scan grows with the page number.

use async_graphql::{
    connection::{Connection, CursorType, Edge, EmptyFields},
    Object, OutputType,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Alias, Expr, Query},
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult,
    Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Statement,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::kernel::error::{ApiError, ApiResult};

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: usize = 100;

/// The four Relay arguments of a connection field.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// The value a row is sorted by.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SortValue {
    Text(String),
    Time(DateTime<Utc>),
    Int(i64),
    Id(Uuid),
}

impl SortValue {
    fn to_value(&self) -> sea_orm::Value {
        match self {
            SortValue::Text(s) => s.clone().into(),
            SortValue::Time(t) => (*t).into(),
            SortValue::Int(n) => (*n).into(),
            SortValue::Id(id) => (*id).into(),
        }
    }
}

/// An opaque position in a connection: the row's sort value and id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    pub key: SortValue,
    pub id: Uuid,
}

impl CursorType for Cursor {
    type Error = ApiError;

    fn decode_cursor(s: &str) -> Result<Self, ApiError> {
        URL_SAFE_NO_PAD
            .decode(s)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| ApiError::BadUserInput(format!("\"{s}\" is not a valid cursor")))
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }
}

/// Extra fields of every connection.
pub struct ConnectionTotals {
    count: Count,
}

enum Count {
    /// Counted when asked for.
    Query {
        db: DatabaseConnection,
        statement: Statement,
    },
    /// Already known (loaded in a batch with sibling connections).
    Known(i64),
}

impl ConnectionTotals {
    pub fn known(count: i64) -> Self {
        ConnectionTotals {
            count: Count::Known(count),
        }
    }
}

#[Object]
impl ConnectionTotals {
    /// How many items match, over all pages.
    async fn total_count(&self) -> ApiResult<i64> {
        let (db, statement) = match &self.count {
            Count::Known(n) => return Ok(*n),
            Count::Query { db, statement } => (db, statement),
        };
        let row = db
            .query_one(statement.clone())
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::internal("COUNT returned no row"))?;
        Ok(row.try_get_by_index::<i64>(0).map_err(ApiError::from)?)
    }
}

pub type Page<N> = Connection<Cursor, N, ConnectionTotals, EmptyFields>;

/// Reads a row's sort value and id.
pub type SortKeyFn<M> = fn(&M) -> (SortValue, Uuid);

/// How a select is ordered: by `column` (whose value `key` reads from a row)
/// then by `id`, ascending unless `reverse`. When `column` is `unique`
/// within the select (an email), the id never decides and is left out of
/// the order, so the column's own unique index serves it.
pub struct Sort<E: EntityTrait> {
    pub column: E::Column,
    pub id: E::Column,
    pub reverse: bool,
    pub unique: bool,
    pub key: SortKeyFn<E::Model>,
}

struct Window {
    after: Option<Cursor>,
    before: Option<Cursor>,
    limit: usize,
    forward: bool,
}

fn window(args: PageArgs) -> Result<Window, ApiError> {
    let size = |name: &str, n: Option<i32>| -> Result<Option<usize>, ApiError> {
        match n {
            None => Ok(None),
            Some(n) if n < 0 => Err(ApiError::BadUserInput(format!(
                "`{name}` must not be negative"
            ))),
            Some(n) if n as usize > MAX_PAGE_SIZE => Err(ApiError::LimitExceeded(format!(
                "`{name}` may be at most {MAX_PAGE_SIZE}, got {n}"
            ))),
            Some(n) => Ok(Some(n as usize)),
        }
    };
    let first = size("first", args.first)?;
    let last = size("last", args.last)?;
    if first.is_some() && last.is_some() {
        return Err(ApiError::BadUserInput(
            "Pass either `first` or `last`, not both".into(),
        ));
    }
    let decode = |c: Option<String>| c.map(|c| Cursor::decode_cursor(&c)).transpose();
    Ok(Window {
        after: decode(args.after)?,
        before: decode(args.before)?,
        limit: first.or(last).unwrap_or(DEFAULT_PAGE_SIZE),
        forward: last.is_none(),
    })
}

/// `SELECT COUNT(*)` over `select` (before paging).
pub fn count_statement<E: EntityTrait>(db: &DatabaseConnection, select: &Select<E>) -> Statement {
    let inner = select.clone().into_query();
    let stmt = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from_subquery(inner, Alias::new("counted"))
        .to_owned();
    db.get_database_backend().build(&stmt)
}

/// Rows strictly past `cursor` in the direction `ascending`.
fn past<E: EntityTrait>(sort: &Sort<E>, cursor: &Cursor, ascending: bool) -> Condition {
    let value = cursor.key.to_value();
    if sort.unique {
        let key = if ascending {
            sort.column.gt(value)
        } else {
            sort.column.lt(value)
        };
        return Condition::all().add(key);
    }
    // A row comparison, so that the index on (…, column, id) seeks to the
    // cursor instead of reading every row before it.
    let row = Expr::tuple([
        Expr::col((sort.column.entity_name(), sort.column)).into(),
        Expr::col((sort.id.entity_name(), sort.id)).into(),
    ]);
    let at = Expr::tuple([Expr::val(value).into(), Expr::val(cursor.id).into()]);
    let past = if ascending { row.gt(at) } else { row.lt(at) };
    Condition::all().add(past)
}

/// One page of `select` as a connection of `N`.
pub async fn paginate<E, N>(
    db: &DatabaseConnection,
    select: Select<E>,
    sort: Sort<E>,
    args: PageArgs,
    to_node: impl Fn(E::Model) -> N,
) -> Result<Page<N>, ApiError>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Sync,
    N: OutputType,
{
    let window = window(args)?;
    let count = count_statement(db, &select);
    let ascending = !sort.reverse;
    let mut query = select;
    if let Some(after) = &window.after {
        query = query.filter(past(&sort, after, ascending));
    }
    if let Some(before) = &window.before {
        query = query.filter(past(&sort, before, !ascending));
    }
    // Backward pages read from the end, then flip.
    let read_ascending = ascending == window.forward;
    let order = if read_ascending {
        Order::Asc
    } else {
        Order::Desc
    };
    let mut query = query.order_by(sort.column, order.clone());
    if !sort.unique {
        query = query.order_by(sort.id, order);
    }
    let query = query.limit(window.limit as u64 + 1);
    if crate::kernel::plan_audit::enabled() {
        crate::kernel::plan_audit::check(db, &query.build(db.get_database_backend())).await;
    }
    let mut rows = query.all(db).await?;
    let more = rows.len() > window.limit;
    rows.truncate(window.limit);
    if !window.forward {
        rows.reverse();
    }
    let (has_previous, has_next) = if window.forward {
        (window.after.is_some(), more)
    } else {
        (more, window.before.is_some())
    };
    let totals = ConnectionTotals {
        count: Count::Query {
            db: db.clone(),
            statement: count,
        },
    };
    Ok(page_of(
        rows,
        has_previous,
        has_next,
        totals,
        sort.key,
        to_node,
    ))
}

/// A connection from rows already in order.
pub fn page_of<M, N: OutputType>(
    rows: Vec<M>,
    has_previous: bool,
    has_next: bool,
    totals: ConnectionTotals,
    key: SortKeyFn<M>,
    to_node: impl Fn(M) -> N,
) -> Page<N> {
    let mut connection = Connection::with_additional_fields(has_previous, has_next, totals);
    connection.edges.extend(rows.into_iter().map(|row| {
        let (key, id) = key(&row);
        Edge::new(Cursor { key, id }, to_node(row))
    }));
    connection
}

/// A connection over rows already loaded and sorted ascending by `key`
/// (small lists loaded by a dataloader, such as a user's groups).
pub fn slice<M, N: OutputType>(
    rows: Vec<M>,
    args: PageArgs,
    key: SortKeyFn<M>,
    to_node: impl Fn(M) -> N,
) -> Result<Page<N>, ApiError> {
    let window = window(args)?;
    let total = rows.len() as i64;
    let position = |c: &Cursor| (cursor_order(&c.key), c.id);
    let mut kept: Vec<M> = rows
        .into_iter()
        .filter(|r| {
            let (k, id) = key(r);
            let here = (cursor_order(&k), id);
            window.after.as_ref().is_none_or(|a| here > position(a))
                && window.before.as_ref().is_none_or(|b| here < position(b))
        })
        .collect();
    let more = kept.len() > window.limit;
    if window.forward {
        kept.truncate(window.limit);
    } else if more {
        kept.drain(..kept.len() - window.limit);
    }
    let (has_previous, has_next) = if window.forward {
        (window.after.is_some(), more)
    } else {
        (more, window.before.is_some())
    };
    Ok(page_of(
        kept,
        has_previous,
        has_next,
        ConnectionTotals::known(total),
        key,
        to_node,
    ))
}

/// A comparable form of a sort value, for `slice`.
fn cursor_order(value: &SortValue) -> (i64, String) {
    match value {
        SortValue::Text(s) => (0, s.clone()),
        SortValue::Time(t) => (t.timestamp_micros(), String::new()),
        SortValue::Int(n) => (*n, String::new()),
        SortValue::Id(id) => (0, id.to_string()),
    }
}

/// Whether the query selects `name` on the nodes of the connection being
/// resolved (`nodes { name }` or `edges { node { name } }`): connections
/// load nested fields in batches only when they are asked for.
pub fn node_selects(ctx: &async_graphql::Context<'_>, name: &str) -> bool {
    let field = ctx.look_ahead();
    field.field("nodes").field(name).exists()
        || field.field("edges").field("node").field(name).exists()
}

/// A connection field's share of the query-cost budget: one for the field,
/// plus its page size (`first` or `last`, 20 by default, at most 100) times
/// what its selection costs per node, so nested connections multiply.
pub fn cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first
        .or(last)
        .map(|n| n.clamp(1, MAX_PAGE_SIZE as i32) as usize)
        .unwrap_or(DEFAULT_PAGE_SIZE);
    1usize.saturating_add(size.saturating_mul(child_complexity))
}

/// The page size a `first` argument asks for (checked as for any connection).
pub fn first_page_size(first: Option<i32>) -> Result<usize, ApiError> {
    Ok(window(PageArgs {
        first,
        ..Default::default()
    })?
    .limit)
}

/// `LOWER(column) LIKE '%keyword%'`, case-insensitive on every database,
/// with the keyword's own `%` and `_` matched literally.
pub fn contains(
    column: impl sea_orm::sea_query::IntoColumnRef,
    keyword: &str,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Func, LikeExpr};
    Expr::expr(Func::lower(Expr::col(column)))
        .like(LikeExpr::new(like_pattern(keyword)).escape('\\'))
}

/// `%keyword%` for LIKE, lower-cased, with LIKE's wildcards escaped by `\`.
pub fn like_pattern(keyword: &str) -> String {
    let escaped = keyword
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor {
            key: SortValue::Text("lee ann".into()),
            id: Uuid::now_v7(),
        };
        assert_eq!(
            Cursor::decode_cursor(&cursor.encode_cursor()).unwrap(),
            cursor
        );
        assert!(matches!(
            Cursor::decode_cursor("nope"),
            Err(ApiError::BadUserInput(_))
        ));
    }

    #[test]
    fn page_argument_rules() {
        let args = |first, last| PageArgs {
            first,
            last,
            ..Default::default()
        };
        assert_eq!(window(args(None, None)).unwrap().limit, DEFAULT_PAGE_SIZE);
        assert!(matches!(
            window(args(Some(101), None)),
            Err(ApiError::LimitExceeded(_))
        ));
        assert!(matches!(
            window(args(Some(-1), None)),
            Err(ApiError::BadUserInput(_))
        ));
        assert!(matches!(
            window(args(Some(1), Some(1))),
            Err(ApiError::BadUserInput(_))
        ));
        assert!(!window(args(None, Some(5))).unwrap().forward);
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern(" Ann_% "), "%ann\\_\\%%");
    }
}
