//! Customers under a parent: a company's employees and a service's
//! customers. Under a list of parents these connections load together: the
//! parent connection primes the first page of every parent with one
//! window-function query and their counts with one GROUP BY (see `prime`),
//! so the statements do not grow with the number of parents. A page after a
//! cursor is read directly for its one parent.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{dataloader::Loader, Context, Value};
use roster_entities::{customer, customer_service};
use sea_orm::{
    sea_query::{Alias, ArrayType, Asterisk, Expr, Query, SelectStatement},
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, FromQueryResult,
    QueryFilter, QuerySelect, RelationTrait, Statement,
};
use uuid::Uuid;

use super::{Customer, CustomerSortKey};
use crate::{
    kernel::context::ContextExt,
    kernel::error::ApiError,
    kernel::pagination::{self, ConnectionTotals, Page, PageArgs},
    kernel::scope::Tenant,
};

/// Whose customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Parent {
    /// Employees of a company.
    Company(Uuid),
    /// Customers given access to a service.
    Service(Uuid),
}

impl Parent {
    fn id(self) -> Uuid {
        match self {
            Parent::Company(id) | Parent::Service(id) => id,
        }
    }
}

/// (account, parent, page size): the first page of a parent's customers,
/// with one row more than the page size when there are more.
pub type PageKey = (Uuid, Parent, usize);
/// (account, parent): how many customers the parent has.
pub type CountKey = (Uuid, Parent);

/// The parent's customers, as a select (for direct paging and counting).
fn select(account_id: Uuid, parent: Parent) -> sea_orm::Select<customer::Entity> {
    let base = Tenant(account_id).find::<customer::Entity>();
    match parent {
        Parent::Company(id) => base.filter(customer::Column::CompanyId.eq(id)),
        Parent::Service(id) => base
            .join(
                sea_orm::JoinType::InnerJoin,
                customer_service::Relation::Customer.def().rev(),
            )
            .filter(customer_service::Column::ServiceId.eq(id)),
    }
}

/// Rows of `parents` (all of one kind), tagged with their parent id as `parent_id`.
fn tagged(account_id: Uuid, company: bool, parents: &[Uuid]) -> SelectStatement {
    let base = Tenant(account_id).find::<customer::Entity>();
    let select = if company {
        base.filter(customer::Column::CompanyId.is_in(parents.iter().copied()))
            .column_as(customer::Column::CompanyId, "parent_id")
    } else {
        base.join(
            sea_orm::JoinType::InnerJoin,
            customer_service::Relation::Customer.def().rev(),
        )
        .filter(customer_service::Column::ServiceId.is_in(parents.iter().copied()))
        .column_as(customer_service::Column::ServiceId, "parent_id")
    };
    sea_orm::QueryTrait::into_query(select)
}

fn group(keys: impl Iterator<Item = (Uuid, Parent)>) -> HashMap<(Uuid, bool), Vec<Uuid>> {
    let mut groups: HashMap<(Uuid, bool), Vec<Uuid>> = HashMap::new();
    for (account, parent) in keys {
        let company = matches!(parent, Parent::Company(_));
        groups
            .entry((account, company))
            .or_default()
            .push(parent.id());
    }
    groups
}

fn parent_of(company: bool, id: Uuid) -> Parent {
    if company {
        Parent::Company(id)
    } else {
        Parent::Service(id)
    }
}

/// PostgreSQL: each parent's page read by its own index range
/// (`idx_customers_company_name`), `size + 1` rows each, in one statement.
fn lateral_pages(account_id: Uuid, company: bool, parents: &[Uuid], size: usize) -> Statement {
    let page = if company {
        r#"SELECT "customers".* FROM "customers"
            WHERE "customers"."account_id" = $2 AND "customers"."company_id" = "p"."parent_id"
            ORDER BY "customers"."sort_name", "customers"."id" LIMIT $3"#
    } else {
        r#"SELECT "customers".* FROM "customers"
            JOIN "customer_services" ON "customer_services"."customer_id" = "customers"."id"
            WHERE "customers"."account_id" = $2 AND "customer_services"."service_id" = "p"."parent_id"
            ORDER BY "customers"."sort_name", "customers"."id" LIMIT $3"#
    };
    let ids: Vec<sea_orm::Value> = parents.iter().map(|id| (*id).into()).collect();
    Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            r#"SELECT "page".*, "p"."parent_id" FROM UNNEST($1::uuid[]) AS "p"("parent_id")
               CROSS JOIN LATERAL ({page}) AS "page""#
        ),
        [
            sea_orm::Value::Array(ArrayType::Uuid, Some(Box::new(ids))),
            account_id.into(),
            (size as i64 + 1).into(),
        ],
    )
}

/// SQLite (no LATERAL): every parent's rows numbered in one window query.
fn numbered_pages(
    backend: DbBackend,
    account_id: Uuid,
    company: bool,
    parents: &[Uuid],
    size: usize,
) -> Statement {
    let mut numbered = Query::select();
    numbered
        .column(Asterisk)
        .expr_as(
            Expr::cust("ROW_NUMBER() OVER (PARTITION BY parent_id ORDER BY sort_name, id)"),
            Alias::new("row_number"),
        )
        .from_subquery(tagged(account_id, company, parents), Alias::new("tagged"));
    let outer = Query::select()
        .column(Asterisk)
        .from_subquery(numbered.to_owned(), Alias::new("ranked"))
        .and_where(Expr::col(Alias::new("row_number")).lte(size as i64 + 1))
        .to_owned();
    backend.build(&outer)
}

pub struct CustomerPageLoader {
    pub db: DatabaseConnection,
}

#[async_trait::async_trait]
impl Loader<PageKey> for CustomerPageLoader {
    type Value = Vec<customer::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[PageKey]) -> Result<HashMap<PageKey, Self::Value>, Self::Error> {
        let mut out: HashMap<PageKey, Self::Value> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        let mut by_size: HashMap<usize, Vec<(Uuid, Parent)>> = HashMap::new();
        for (account, parent, size) in keys {
            by_size.entry(*size).or_default().push((*account, *parent));
        }
        let backend = self.db.get_database_backend();
        for (size, parents) in by_size {
            for ((account, company), ids) in group(parents.into_iter()) {
                let statement = if backend == DbBackend::Postgres {
                    lateral_pages(account, company, &ids, size)
                } else {
                    numbered_pages(backend, account, company, &ids, size)
                };
                for row in self.db.query_all(statement).await? {
                    let parent_id: Uuid = row.try_get("", "parent_id")?;
                    let model = customer::Model::from_query_result(&row, "")?;
                    if let Some(list) = out.get_mut(&(account, parent_of(company, parent_id), size))
                    {
                        list.push(model);
                    }
                }
            }
        }
        for rows in out.values_mut() {
            rows.sort_by(|a, b| (&a.sort_name, a.id).cmp(&(&b.sort_name, b.id)));
        }
        Ok(out)
    }
}

pub struct CustomerCountLoader {
    pub db: DatabaseConnection,
}

#[async_trait::async_trait]
impl Loader<CountKey> for CustomerCountLoader {
    type Value = i64;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[CountKey]) -> Result<HashMap<CountKey, i64>, Self::Error> {
        let mut out: HashMap<CountKey, i64> = keys.iter().map(|k| (*k, 0)).collect();
        let backend = self.db.get_database_backend();
        for ((account, company), ids) in group(keys.iter().copied()) {
            let counted = Query::select()
                .column(Alias::new("parent_id"))
                .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
                .from_subquery(tagged(account, company, &ids), Alias::new("tagged"))
                .group_by_col(Alias::new("parent_id"))
                .to_owned();
            for row in self.db.query_all(backend.build(&counted)).await? {
                let parent_id: Uuid = row.try_get("", "parent_id")?;
                let n: i64 = row.try_get("", "n")?;
                out.insert((account, parent_of(company, parent_id)), n);
            }
        }
        Ok(out)
    }
}

/// The connection of `parent`'s customers, by name.
pub async fn connection(
    ctx: &Context<'_>,
    account_id: Uuid,
    parent: Parent,
    args: PageArgs,
) -> Result<Page<Customer>, ApiError> {
    let cursored = args.after.is_some() || args.before.is_some() || args.last.is_some();
    if cursored {
        let sort = CustomerSortKey::Name.sort(false);
        let page = pagination::paginate(ctx.db(), select(account_id, parent), sort, args, Customer)
            .await?;
        super::prime(ctx, &page).await?;
        return Ok(page);
    }
    let size = pagination::first_page_size(args.first)?;
    let loaders = crate::kernel::loaders::of(ctx);
    let mut rows = loaders
        .get::<crate::directory::customers::nested::CustomerPageLoader>()
        .load_one((account_id, parent, size))
        .await
        .map_err(ApiError::internal)?
        .unwrap_or_default();
    let more = rows.len() > size;
    rows.truncate(size);
    let total = if ctx.look_ahead().field("totalCount").exists() {
        loaders
            .get::<crate::directory::customers::nested::CustomerCountLoader>()
            .load_one((account_id, parent))
            .await
            .map_err(ApiError::internal)?
            .unwrap_or(0)
    } else {
        // Not selected, so never shown.
        0
    };
    let key = CustomerSortKey::Name.sort(false).key;
    let page = pagination::page_of(
        rows,
        false,
        more,
        ConnectionTotals::known(total),
        key,
        Customer,
    );
    // Under a single parent nothing primed this page's nested fields; under
    // a list of parents they are already loaded and this costs nothing.
    super::prime(ctx, &page).await?;
    Ok(page)
}

/// Called by a connection of parents (`companies`, `services`): loads the
/// first pages and counts of `field` (`employees` / `customers`) for every
/// parent of the page at once, for the page sizes the query asks for.
pub async fn prime(
    ctx: &Context<'_>,
    field: &str,
    account_id: Uuid,
    parents: Vec<Parent>,
) -> Result<(), ApiError> {
    let look = ctx.look_ahead();
    let nodes = [look.field("nodes"), look.field("edges").field("node")];
    prime_under(ctx, &nodes, field, account_id, parents).await
}

/// Like `prime`, for parents selected by `parent_nodes` (selections of the
/// parent objects, wherever they are in the query); then primes the nested
/// fields of every customer on those pages together.
pub async fn prime_under<'a>(
    ctx: &'a Context<'a>,
    parent_nodes: &[async_graphql::Lookahead<'a>],
    field: &str,
    account_id: Uuid,
    parents: Vec<Parent>,
) -> Result<(), ApiError> {
    if parents.is_empty() {
        return Ok(());
    }
    let mut sizes = Vec::new();
    let mut counts = false;
    let mut customer_nodes = Vec::new();
    for node in parent_nodes {
        let child = node.field(field);
        if child.field("totalCount").exists() {
            counts = true;
        }
        customer_nodes.push(child.field("nodes"));
        customer_nodes.push(child.field("edges").field("node"));
        for selection in child.selection_fields() {
            let Ok(arguments) = selection.arguments() else {
                continue;
            };
            let mut first = None;
            let mut cursored = false;
            for (name, value) in arguments {
                match (name.as_str(), value) {
                    ("first", Value::Number(n)) => first = n.as_i64().map(|n| n as i32),
                    ("first", Value::Null) => {}
                    (_, Value::Null) => {}
                    _ => cursored = true,
                }
            }
            let wants_rows = ["nodes", "edges", "pageInfo"]
                .iter()
                .any(|f| selection.selection_set().any(|s| s.name() == *f));
            if !cursored && wants_rows {
                if let Ok(size) = pagination::first_page_size(first) {
                    if !sizes.contains(&size) {
                        sizes.push(size);
                    }
                }
            }
        }
    }
    let loaders = crate::kernel::loaders::of(ctx);
    let mut rows = Vec::new();
    for size in sizes {
        let keys = parents.iter().map(|p| (account_id, *p, size));
        let pages = loaders
            .get::<crate::directory::customers::nested::CustomerPageLoader>()
            .load_many(keys)
            .await
            .map_err(ApiError::internal)?;
        rows.extend(
            pages
                .values()
                .flat_map(|page| page.iter().take(size))
                .map(super::PrimeRow::from),
        );
    }
    if counts {
        let keys = parents.iter().map(|p| (account_id, *p));
        loaders
            .get::<crate::directory::customers::nested::CustomerCountLoader>()
            .load_many(keys)
            .await
            .map_err(ApiError::internal)?;
    }
    rows.sort_by_key(|r| r.id);
    rows.dedup_by_key(|r| r.id);
    super::prime_rows(ctx, customer_nodes, rows).await
}

crate::from_db!(CustomerPageLoader);

crate::from_db!(CustomerCountLoader);
