//! `/Users`: Roster's staff users as SCIM users (core schema plus the
//! enterprise extension). userName is the user's own (else their email);
//! emails carry the one sign-in address; active maps to ACTIVE/SUSPENDED;
//! the phone number of type work is the extension.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use roster_entities::{
    group, group_member, scim_user,
    user::{self, Role, Status},
};
use sea_orm::{
    sea_query::{Alias, BinOper, Expr, Func, JoinType, Order, Query, SelectStatement, SimpleExpr},
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, NotSet, QueryFilter, QuerySelect,
    Set, TransactionTrait,
};
use serde_json::{json, Value};
use uuid::Uuid;

use super::discovery::{ENTERPRISE, LANGUAGES, USER};
use super::error::{ScimError, ScimResult};
use super::filter::{field, AttrPath, Op};
use super::list;
use super::sql::{self, Operand};
use super::{check_version, etag, Actor};
use crate::kernel::history::{self, Entry};
use crate::kernel::scope::Tenant;
use crate::kernel::validation;
use crate::staff::users::{parse::EMAIL_MAX, parse::NAME_MAX};

/// A user with what the directory knows of them.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Row {
    pub id: Uuid,
    pub account_id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub role: Role,
    pub status: Status,
    pub extension: Option<i32>,
    pub language: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub user_name: Option<String>,
    pub external_id: Option<String>,
    pub department: Option<String>,
    pub employee_number: Option<String>,
    pub manager_id: Option<Uuid>,
    pub resource: Option<String>,
}

impl Row {
    pub fn user_name(&self) -> &str {
        self.user_name.as_deref().unwrap_or(&self.email)
    }
    pub fn display_name(&self) -> String {
        crate::staff::users::contact::name_of(&self.first_name, &self.last_name)
    }
}

fn u(c: user::Column) -> SimpleExpr {
    Expr::col((user::Entity, c)).into()
}

fn s(c: scim_user::Column) -> SimpleExpr {
    Expr::col((scim_user::Entity, c)).into()
}

/// The users the directory sees: the account's, less those it deleted
/// (kept suspended when the account keeps deleted users).
fn visible(account_id: Uuid) -> SelectStatement {
    let mut q = Query::select();
    q.from(user::Entity)
        .join(
            JoinType::LeftJoin,
            scim_user::Entity,
            Expr::col((scim_user::Entity, scim_user::Column::UserId))
                .equals((user::Entity, user::Column::Id)),
        )
        .and_where(Expr::col((user::Entity, user::Column::AccountId)).eq(account_id))
        .and_where(Expr::col((scim_user::Entity, scim_user::Column::DeletedAt)).is_null());
    q
}

fn with_columns(q: &mut SelectStatement) {
    for c in [
        user::Column::Id,
        user::Column::AccountId,
        user::Column::FirstName,
        user::Column::LastName,
        user::Column::Email,
        user::Column::Role,
        user::Column::Status,
        user::Column::Extension,
        user::Column::Language,
        user::Column::CreatedAt,
        user::Column::UpdatedAt,
    ] {
        q.column((user::Entity, c));
    }
    for c in [
        scim_user::Column::UserName,
        scim_user::Column::ExternalId,
        scim_user::Column::Department,
        scim_user::Column::EmployeeNumber,
        scim_user::Column::ManagerId,
        scim_user::Column::Resource,
    ] {
        q.column((scim_user::Entity, c));
    }
}

/// The user name as SQL: the directory's, else the email.
fn user_name_key() -> SimpleExpr {
    Func::coalesce([s(scim_user::Column::UserNameKey), u(user::Column::EmailKey)]).into()
}

fn text(expr: SimpleExpr) -> ScimResult<Operand> {
    Ok(Operand::Text {
        expr,
        case_exact: false,
    })
}

/// What each filterable attribute of the account's users is in SQL.
fn operand(account_id: Uuid, path: &AttrPath) -> ScimResult<Operand> {
    if let Some(urn) = &path.urn {
        let ok = urn.eq_ignore_ascii_case(USER) || urn.eq_ignore_ascii_case(ENTERPRISE);
        if !ok {
            return Err(ScimError::invalid_filter(format!("unknown schema {urn}")));
        }
        if urn.eq_ignore_ascii_case(ENTERPRISE) {
            return match path.key().as_str() {
                "department" => text(s(scim_user::Column::Department)),
                "employeenumber" => text(s(scim_user::Column::EmployeeNumber)),
                "manager" | "manager.value" => Ok(Operand::Custom(Box::new(|cmp| {
                    id_condition(cmp, s(scim_user::Column::ManagerId))
                }))),
                other => Err(ScimError::invalid_filter(format!(
                    "cannot filter by {urn}:{other}"
                ))),
            };
        }
    }
    match path.key().as_str() {
        "id" => Ok(Operand::Custom(Box::new(|cmp| {
            id_condition(cmp, u(user::Column::Id))
        }))),
        "username" => Ok(sql::indexed(
            "userName",
            move |v| {
                // Looked up by key, then matched: the directory's names
                // (one index), or emails standing in for a name (another).
                let key = v.trim().to_lowercase();
                let mut ids = Query::select();
                ids.column(scim_user::Column::UserId)
                    .from(scim_user::Entity)
                    .and_where(Expr::col(scim_user::Column::AccountId).eq(account_id))
                    .and_where(Expr::col(scim_user::Column::UserNameKey).eq(key.clone()));
                let mut by_email = Query::select();
                by_email
                    .column(user::Column::Id)
                    .from(user::Entity)
                    .and_where(Expr::col(user::Column::AccountId).eq(account_id))
                    .and_where(Expr::col(user::Column::EmailKey).eq(key.clone()));
                ids.union(sea_orm::sea_query::UnionType::All, by_email);
                Expr::col((user::Entity, user::Column::Id))
                    .in_subquery(ids)
                    .and(
                        Expr::col((scim_user::Entity, scim_user::Column::UserNameKey))
                            .eq(key)
                            .or(
                                Expr::col((scim_user::Entity, scim_user::Column::UserNameKey))
                                    .is_null(),
                            ),
                    )
            },
            || text(user_name_key()).expect("text"),
        )),
        "externalid" => Ok(sql::indexed(
            "externalId",
            move |v| {
                let mut ids = Query::select();
                ids.column(scim_user::Column::UserId)
                    .from(scim_user::Entity)
                    .and_where(Expr::col(scim_user::Column::AccountId).eq(account_id))
                    .and_where(Expr::col(scim_user::Column::ExternalId).eq(v));
                Expr::col((user::Entity, user::Column::Id)).in_subquery(ids)
            },
            || Operand::Text {
                expr: s(scim_user::Column::ExternalId),
                case_exact: true,
            },
        )),
        "name.givenname" => text(u(user::Column::FirstName)),
        "name.familyname" => text(u(user::Column::LastName)),
        "displayname" => text(
            Func::cust(Alias::new("TRIM"))
                .arg(
                    Expr::expr(u(user::Column::FirstName))
                        .binary(BinOper::Custom("||"), Expr::val(" "))
                        .binary(BinOper::Custom("||"), u(user::Column::LastName)),
                )
                .into(),
        ),
        "emails" | "emails.value" => Ok(sql::indexed(
            "emails.value",
            |v| Expr::col((user::Entity, user::Column::EmailKey)).eq(validation::email_key(v)),
            || text(u(user::Column::Email)).expect("text"),
        )),
        "emails.type" => text(Expr::val("work").into()),
        "emails.primary" | "active" if path.key() == "emails.primary" => {
            Ok(Operand::Flag(sql::always()))
        }
        "active" => Ok(Operand::Flag(
            Expr::col((user::Entity, user::Column::Status)).ne(Status::Suspended),
        )),
        "preferredlanguage" => text(u(user::Column::Language)),
        "phonenumbers" | "phonenumbers.value" => {
            text(Func::cast_as(u(user::Column::Extension), Alias::new("TEXT")).into())
        }
        "phonenumbers.type" => text(Expr::val("work").into()),
        "groups" | "groups.value" => Ok(Operand::Custom(Box::new(|cmp| {
            let mut sub = Query::select();
            sub.expr(Expr::val(1)).from(group_member::Entity).and_where(
                Expr::col((group_member::Entity, group_member::Column::UserId))
                    .equals((user::Entity, user::Column::Id)),
            );
            if let Some(cmp) = cmp {
                sub.and_where(id_condition(
                    Some(cmp),
                    Expr::col((group_member::Entity, group_member::Column::GroupId)).into(),
                )?);
            }
            Ok(Expr::exists(sub))
        }))),
        "meta.created" => Ok(Operand::Time(u(user::Column::CreatedAt))),
        "meta.lastmodified" => Ok(Operand::Time(u(user::Column::UpdatedAt))),
        other => Err(ScimError::invalid_filter(format!(
            "cannot filter by {other}"
        ))),
    }
}

/// `id eq "<uuid>"` and friends, on a uuid column: only eq and ne make
/// sense, and a value that is no uuid matches nothing.
pub fn id_condition(
    cmp: Option<(Op, &super::filter::Literal)>,
    column: SimpleExpr,
) -> ScimResult<SimpleExpr> {
    use super::filter::Literal;
    match cmp {
        None => Ok(Expr::expr(column).is_not_null()),
        Some((op @ (Op::Eq | Op::Ne), Literal::Str(v))) => {
            let cond = match Uuid::parse_str(v.trim()) {
                Ok(id) => Expr::expr(column.clone()).eq(id),
                Err(_) => sql::never(),
            };
            Ok(if op == Op::Eq {
                cond
            } else {
                // No manager is not this manager.
                cond.not().or(Expr::expr(column).is_null())
            })
        }
        Some(_) => Err(ScimError::invalid_filter("ids compare with eq or ne")),
    }
}

fn sort_expr(account_id: Uuid, path: &AttrPath) -> ScimResult<SimpleExpr> {
    Ok(
        match operand(account_id, path).map_err(|e| ScimError::invalid_value(e.detail))? {
            Operand::Text { expr, case_exact } if !case_exact => Func::lower(expr).into(),
            Operand::Text { expr, .. } | Operand::Time(expr) => expr,
            Operand::Flag(cond) => cond,
            Operand::Custom(_) if path.key() == "username" => user_name_key(),
            Operand::Custom(_) if path.key() == "externalid" => s(scim_user::Column::ExternalId),
            Operand::Custom(_) => u(user::Column::Id),
        },
    )
}

async fn rows(db: &impl ConnectionTrait, q: &SelectStatement) -> ScimResult<Vec<Row>> {
    let stmt = db.get_database_backend().build(q);
    Ok(Row::find_by_statement(stmt).all(db).await?)
}

/// The user `id` as the directory sees it, or 404.
pub async fn find(db: &impl ConnectionTrait, account_id: Uuid, id: &str) -> ScimResult<Row> {
    let not_found = || ScimError::not_found(format!("no user {id}"));
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    let mut q = visible(account_id);
    with_columns(&mut q);
    q.and_where(Expr::col((user::Entity, user::Column::Id)).eq(id));
    rows(db, &q).await?.into_iter().next().ok_or_else(not_found)
}

/// The groups of `users`, by user: (group id, name), by name.
async fn groups_of(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    users: &[Uuid],
) -> ScimResult<HashMap<Uuid, Vec<(Uuid, String)>>> {
    let mut out: HashMap<Uuid, Vec<(Uuid, String)>> = HashMap::new();
    for chunk in users.chunks(1_000) {
        let links: Vec<(Uuid, Uuid)> = Tenant(account_id)
            .find::<group_member::Entity>()
            .select_only()
            .column(group_member::Column::UserId)
            .column(group_member::Column::GroupId)
            .filter(group_member::Column::UserId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        let mut ids: Vec<Uuid> = links.iter().map(|(_, g)| *g).collect();
        ids.sort();
        ids.dedup();
        let names: HashMap<Uuid, String> = Tenant(account_id)
            .find::<group::Entity>()
            .filter(group::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|g| (g.id, g.name))
            .collect();
        for (user_id, group_id) in links {
            if let Some(name) = names.get(&group_id) {
                out.entry(user_id)
                    .or_default()
                    .push((group_id, name.clone()));
            }
        }
    }
    for groups in out.values_mut() {
        groups.sort_by(|a, b| {
            a.1.to_lowercase()
                .cmp(&b.1.to_lowercase())
                .then(a.0.cmp(&b.0))
        });
    }
    Ok(out)
}

/// The first 32 characters: what Roster keeps of a name.
fn roster_name(name: &str) -> String {
    name.trim()
        .chars()
        .take(NAME_MAX)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The extension a list of phone numbers sets: a number of type work
/// with 2 to 8 digits.
fn extension_of(phones: &[Value]) -> Option<i32> {
    let work = phones.iter().find(|p| {
        field(p, "type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("work"))
    })?;
    let raw = field(work, "value")?.as_str()?;
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    if !(2..=8).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: i32 = digits.parse().ok()?;
    crate::staff::users::extension::RANGE
        .contains(&n)
        .then_some(n)
}

fn derived_emails(row: &Row) -> Value {
    json!([{"value": row.email, "type": "work", "primary": true}])
}

/// The SCIM representation of `row`: for a user the directory wrote, what
/// it wrote wherever that still agrees with Roster (so clients read back
/// their own values); otherwise, and for users added in Roster, Roster's.
pub fn render(base: &str, row: &Row, groups: Option<&[(Uuid, String)]>) -> Value {
    let stored = row
        .resource
        .as_deref()
        .and_then(|r| serde_json::from_str::<Value>(r).ok())
        .filter(Value::is_object);
    let written = stored.is_some();
    let mut v = stored.unwrap_or_else(|| json!({}));
    v["userName"] = json!(row.user_name());
    let name_agrees = field(&v, "name").is_some_and(|n| {
        let part = |k: &str| field(n, k).and_then(Value::as_str).map(roster_name);
        part("givenName").as_deref() == Some(row.first_name.as_str())
            && part("familyName").as_deref() == Some(row.last_name.as_str())
    });
    if !name_agrees {
        v["name"] = json!({"familyName": row.last_name, "givenName": row.first_name});
    }
    v["displayName"] = json!(row.display_name());
    let emails: Vec<Value> = field(&v, "emails")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let email_agrees = chosen(&emails)
        .and_then(|e| field(e, "value"))
        .and_then(Value::as_str)
        .is_some_and(|e| validation::email_key(e) == validation::email_key(&row.email));
    if !email_agrees {
        v["emails"] = derived_emails(row);
    }
    match field(&v, "phoneNumbers").and_then(Value::as_array).cloned() {
        // What the directory wrote stands unless its work number says
        // another extension than the user's.
        Some(phones) if extension_of(&phones).is_some_and(|e| Some(e) != row.extension) => {
            match row.extension {
                Some(ext) => {
                    v["phoneNumbers"] = json!([{"value": ext.to_string(), "type": "work"}])
                }
                None => {
                    if let Some(o) = v.as_object_mut() {
                        o.retain(|k, _| !k.eq_ignore_ascii_case("phoneNumbers"));
                    }
                }
            }
        }
        Some(_) => {}
        None if !written => {
            if let Some(ext) = row.extension {
                v["phoneNumbers"] = json!([{"value": ext.to_string(), "type": "work"}]);
            }
        }
        None => {}
    }
    let active = row.status != Status::Suspended;
    if !written || field(&v, "active").is_some() {
        v["active"] = json!(active);
    }
    let language_agrees = field(&v, "preferredLanguage")
        .and_then(Value::as_str)
        .is_some_and(|l| language(l) == row.language);
    if !language_agrees
        && (!written || field(&v, "preferredLanguage").is_some() || row.language != "en")
    {
        v["preferredLanguage"] = json!(row.language);
    }
    if let Some(o) = v.as_object_mut() {
        o.retain(|k, _| {
            !["externalid", "groups", "id", "meta", "schemas"].contains(&k.to_lowercase().as_str())
        });
    }
    if let Some(x) = &row.external_id {
        v["externalId"] = json!(x);
    }
    if let Some(groups) = groups {
        if !groups.is_empty() {
            v["groups"] = Value::Array(
                groups
                    .iter()
                    .map(|(id, name)| {
                        json!({
                            "value": id.to_string(),
                            "$ref": format!("{base}/Groups/{id}"),
                            "display": name,
                            "type": "direct",
                        })
                    })
                    .collect(),
            );
        }
    }
    let mut enterprise = field(&v, ENTERPRISE)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.retain(|k, _| !k.eq_ignore_ascii_case(ENTERPRISE));
    }
    enterprise.retain(|k, _| {
        !["department", "employeenumber", "schemas"].contains(&k.to_lowercase().as_str())
    });
    if let Some(d) = &row.department {
        enterprise.insert("department".into(), json!(d));
    }
    if let Some(n) = &row.employee_number {
        enterprise.insert("employeeNumber".into(), json!(n));
    }
    let manager_key = enterprise
        .keys()
        .find(|k| k.eq_ignore_ascii_case("manager"))
        .cloned();
    let manager_agrees = manager_key
        .as_ref()
        .and_then(|k| enterprise.get(k))
        .and_then(|m| field(m, "value"))
        .and_then(Value::as_str)
        .and_then(|m| Uuid::parse_str(m).ok())
        == row.manager_id;
    if !manager_agrees || row.manager_id.is_none() {
        if let Some(k) = manager_key {
            enterprise.remove(&k);
        }
        if let Some(m) = row.manager_id {
            enterprise.insert(
                "manager".into(),
                json!({"value": m.to_string(), "$ref": format!("{base}/Users/{m}")}),
            );
        }
    }
    let mut schemas = vec![json!(USER)];
    if !enterprise.is_empty() {
        schemas.push(json!(ENTERPRISE));
        v[ENTERPRISE] = Value::Object(enterprise);
    }
    v["schemas"] = Value::Array(schemas);
    v["id"] = json!(row.id.to_string());
    // The version covers the groups: without them it would not be the one
    // a GET answers, so a list that leaves them out gives none.
    let version = groups.map(|_| etag(&v));
    v["meta"] = json!({
        "resourceType": "User",
        "created": row.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "lastModified": row.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "location": format!("{base}/Users/{}", row.id),
    });
    if let Some(version) = version {
        v["meta"]["version"] = json!(version);
    }
    v
}

/// `row` rendered with its groups and manager.
pub async fn load(db: &impl ConnectionTrait, base: &str, row: &Row) -> ScimResult<Value> {
    let groups = groups_of(db, row.account_id, &[row.id]).await?;
    Ok(render(
        base,
        row,
        Some(groups.get(&row.id).map(Vec::as_slice).unwrap_or(&[])),
    ))
}

pub async fn get(actor: &Actor, id: &str) -> ScimResult<Value> {
    let row = find(&actor.state.db, actor.account_id(), id).await?;
    load(&actor.state.db, &actor.base, &row).await
}

/// A page of users matching the query.
pub async fn search(actor: &Actor, query: &list::Query) -> ScimResult<Value> {
    let db = &actor.state.db;
    let mut q = visible(actor.account_id());
    if let Some(f) = &query.filter {
        let account_id = actor.account_id();
        q.and_where(sql::condition(f, &|p| operand(account_id, p))?);
    }
    let total = list::count(db, &q, Expr::col((user::Entity, user::Column::Id))).await?;
    if query.count == 0 {
        return Ok(list::response(total, query.start_index, Vec::new()));
    }
    with_columns(&mut q);
    let order = if query.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    match &query.sort_by {
        Some(path) => {
            q.order_by_expr(sort_expr(actor.account_id(), path)?, order.clone());
        }
        None => {
            q.order_by_expr(u(user::Column::CreatedAt), Order::Asc);
        }
    }
    q.order_by((user::Entity, user::Column::Id), order);
    q.limit(query.count).offset(query.start_index - 1);
    let found = rows(db, &q).await?;
    let ids: Vec<Uuid> = found.iter().map(|r| r.id).collect();
    let groups = if query.projection.wants("groups") {
        Some(groups_of(db, actor.account_id(), &ids).await?)
    } else {
        None
    };
    let resources = found
        .iter()
        .map(|r| {
            let v = render(
                &actor.base,
                r,
                groups
                    .as_ref()
                    .map(|g| g.get(&r.id).map(Vec::as_slice).unwrap_or(&[])),
            );
            query.projection.apply(v, &[ENTERPRISE])
        })
        .collect();
    Ok(list::response(total, query.start_index, resources))
}

/// What a representation (from POST, PUT, or a patched resource) says.
#[derive(Clone, Debug, PartialEq)]
pub struct Values {
    pub user_name: String,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub active: Option<bool>,
    pub language: Option<String>,
    pub extension: Option<i32>,
    pub external_id: Option<String>,
    pub department: Option<String>,
    pub employee_number: Option<String>,
    pub manager: Option<String>,
    /// The representation as written, less what Roster does not keep.
    pub written: Value,
}

fn string_at(v: &Value, name: &str) -> ScimResult<Option<String>> {
    match field(v, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(ScimError::invalid_value(format!(
            "{name} must be a string, not {other}"
        ))),
    }
}

fn limited(name: &str, value: Option<String>, max: usize) -> ScimResult<Option<String>> {
    if let Some(v) = &value {
        if v.chars().count() > max {
            return Err(ScimError::invalid_value(format!(
                "{name} is longer than {max} characters"
            )));
        }
    }
    Ok(value)
}

/// `active` as sent: a boolean, or (Entra ID) the string "True"/"False".
pub fn boolean(v: &Value, name: &str) -> ScimResult<Option<bool>> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Ok(Some(true)),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Ok(Some(false)),
        other => Err(ScimError::invalid_value(format!(
            "{name} must be true or false, not {other}"
        ))),
    }
}

/// The element of a multi-valued attribute that counts: the primary one,
/// else the first of type work, else the first.
fn chosen(items: &[Value]) -> Option<&Value> {
    items
        .iter()
        .find(|i| {
            field(i, "primary").and_then(|p| boolean(p, "primary").ok().flatten()) == Some(true)
        })
        .or_else(|| {
            items.iter().find(|i| {
                field(i, "type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case("work"))
            })
        })
        .or_else(|| items.first())
}

fn multi(v: &Value, name: &str) -> ScimResult<Vec<Value>> {
    match field(v, name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => Ok(a.clone()),
        Some(o @ Value::Object(_)) => Ok(vec![o.clone()]),
        Some(other) => Err(ScimError::invalid_value(format!(
            "{name} must be a list, not {other}"
        ))),
    }
}

/// Roster's language for a `preferredLanguage` tag (en-US counts as en);
/// a language Roster does not speak falls back to English.
pub fn language(tag: &str) -> String {
    let primary = tag
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    if LANGUAGES.contains(&primary.as_str()) {
        primary
    } else {
        "en".into()
    }
}

/// Reads a user representation. Read-only attributes are ignored.
pub fn read(v: &Value) -> ScimResult<Values> {
    if !v.is_object() {
        return Err(ScimError::invalid_syntax("a user is a JSON object"));
    }
    let user_name = string_at(v, "userName")?
        .ok_or_else(|| ScimError::invalid_value("userName is required"))?;
    let user_name = limited("userName", Some(user_name), 255)?.unwrap_or_default();
    let name = field(v, "name").cloned().unwrap_or(Value::Null);
    let names = |sub: &str| -> ScimResult<String> {
        let value = string_at(&name, sub)?
            .ok_or_else(|| ScimError::invalid_value(format!("name.{sub} is required")))?;
        // Roster keeps the first 32 characters; the directory reads back
        // what it wrote.
        validation::required_text(&format!("name.{sub}"), &roster_name(&value), NAME_MAX)
            .map_err(ScimError::from)
    };
    let given_name = names("givenName")?;
    let family_name = names("familyName")?;
    let emails = multi(v, "emails")?;
    let email = match chosen(&emails) {
        Some(e) => string_at(e, "value")?,
        None => None,
    };
    let email = email
        .map(|e| validation::email("emails.value", &e, EMAIL_MAX).map_err(ScimError::from))
        .transpose()?;
    let active = field(v, "active")
        .map(|a| boolean(a, "active"))
        .transpose()?
        .flatten();
    let language = string_at(v, "preferredLanguage")?.map(|l| language(&l));
    let phones = multi(v, "phoneNumbers")?;
    let extension = extension_of(&phones);
    let external_id = limited("externalId", string_at(v, "externalId")?, 255)?;
    let enterprise = field(v, ENTERPRISE).cloned().unwrap_or(Value::Null);
    let department = limited("department", string_at(&enterprise, "department")?, 255)?;
    let employee_number = limited(
        "employeeNumber",
        string_at(&enterprise, "employeeNumber")?,
        255,
    )?;
    let manager = match field(&enterprise, "manager") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(m @ Value::Object(_)) => string_at(m, "value")?,
        Some(other) => {
            return Err(ScimError::invalid_value(format!(
                "manager must be an object, not {other}"
            )))
        }
    };
    Ok(Values {
        user_name,
        given_name,
        family_name,
        email,
        active,
        language,
        extension,
        external_id,
        department,
        employee_number,
        manager,
        written: super::discovery::writable_user(v),
    })
}

/// The id of the manager `value` names: a user the directory sees.
async fn manager_id(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    value: Option<&str>,
    of: Option<Uuid>,
) -> ScimResult<Option<Uuid>> {
    let Some(value) = value else { return Ok(None) };
    let row = find(db, account_id, value)
        .await
        .map_err(|_| ScimError::invalid_value(format!("manager: no user {value}")))?;
    if Some(row.id) == of {
        return Err(ScimError::invalid_value(
            "a user cannot be their own manager",
        ));
    }
    Ok(Some(row.id))
}

/// For each user name of `keys` (lower-cased): the user of the account
/// holding it, and whether the directory deleted that user (who is then
/// brought back rather than duplicated). Two indexed lookups per 500 keys:
/// the directory's own names, then emails standing in for a name.
async fn holders_of(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    keys: &[String],
) -> ScimResult<HashMap<String, (Uuid, bool)>> {
    let mut out: HashMap<String, (Uuid, bool)> = HashMap::new();
    for chunk in keys.chunks(500) {
        let named: Vec<(Uuid, Option<String>, Option<DateTime<Utc>>)> = Tenant(account_id)
            .find::<scim_user::Entity>()
            .select_only()
            .column(scim_user::Column::UserId)
            .column(scim_user::Column::UserNameKey)
            .column(scim_user::Column::DeletedAt)
            .filter(scim_user::Column::UserNameKey.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, key, deleted) in named {
            if let Some(k) = key {
                out.insert(k, (id, deleted.is_some()));
            }
        }
        // An email stands for the name only of users the directory did
        // not name otherwise.
        for (id, key, profile) in by_email(db, account_id, chunk).await? {
            match profile {
                Some(p) if p.user_name_key.is_some() => {}
                Some(p) => {
                    out.entry(key).or_insert((id, p.deleted_at.is_some()));
                }
                None => {
                    out.entry(key).or_insert((id, false));
                }
            }
        }
    }
    Ok(out)
}

/// The account's users whose email key is one of `keys` (at most 500),
/// with what the directory knows of them.
async fn by_email(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    keys: &[String],
) -> ScimResult<Vec<(Uuid, String, Option<scim_user::Model>)>> {
    // By the unique email key alone, then the account: PostgreSQL picked
    // the account's index for both together (a scan, 100-190 ms per 500
    // keys on a freshly filled account).
    // all accounts: by email key only (planner); rows of other accounts dropped below
    let found: Vec<(Uuid, String)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::EmailKey)
        .column(user::Column::AccountId)
        .filter(user::Column::EmailKey.is_in(keys.iter().cloned()))
        .into_tuple::<(Uuid, String, Uuid)>()
        .all(db)
        .await?
        .into_iter()
        .filter(|(_, _, account)| *account == account_id)
        .map(|(id, key, _)| (id, key))
        .collect();
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let mut profiles: HashMap<Uuid, scim_user::Model> = Tenant(account_id)
        .find::<scim_user::Entity>()
        .filter(scim_user::Column::UserId.is_in(found.iter().map(|(id, _)| *id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.user_id, p))
        .collect();
    Ok(found
        .into_iter()
        .map(|(id, key)| (id, key, profiles.remove(&id)))
        .collect())
}

/// Users of the account the directory deleted, by email key.
async fn deleted_by_email(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    keys: &[String],
) -> ScimResult<HashMap<String, Uuid>> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(500) {
        for (id, key, profile) in by_email(db, account_id, chunk).await? {
            if profile.is_some_and(|p| p.deleted_at.is_some()) {
                out.insert(key, id);
            }
        }
    }
    Ok(out)
}

async fn holder_of(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    key: &str,
) -> ScimResult<Option<(Uuid, bool)>> {
    Ok(holders_of(db, account_id, &[key.to_owned()])
        .await?
        .remove(key))
}

fn profile(values: &Values, manager: Option<Uuid>) -> scim_user::Model {
    scim_user::Model {
        user_id: Uuid::nil(),
        account_id: Uuid::nil(),
        user_name: Some(values.user_name.clone()),
        user_name_key: Some(values.user_name.to_lowercase()),
        external_id: values.external_id.clone(),
        department: values.department.clone(),
        employee_number: values.employee_number.clone(),
        manager_id: manager,
        resource: values
            .written
            .as_object()
            .map(|_| values.written.to_string()),
        deleted_at: None,
    }
}

/// One checked user ready to be added (see `create_many`).
pub struct Prepared {
    values: Values,
    manager: Option<Uuid>,
}

impl Prepared {
    /// The lower-cased userName.
    pub fn key(&self) -> String {
        self.values.user_name.to_lowercase()
    }
}

/// The users `ids` the directory sees, by id.
pub async fn find_many(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    ids: &[Uuid],
) -> ScimResult<HashMap<Uuid, Row>> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(1_000) {
        let mut q = visible(account_id);
        with_columns(&mut q);
        q.and_where(Expr::col((user::Entity, user::Column::Id)).is_in(chunk.iter().copied()));
        out.extend(rows(db, &q).await?.into_iter().map(|r| (r.id, r)));
    }
    Ok(out)
}

/// Checks new users against the account; each `Err` is that user's
/// failure. `Ok(Err(id))`: a user the directory deleted holds the name:
/// they are brought back by a replace instead.
pub async fn prepare_many(
    actor: &Actor,
    bodies: &[&Value],
) -> ScimResult<Vec<ScimResult<Result<Prepared, Uuid>>>> {
    let db = &actor.state.db;
    let read: Vec<ScimResult<Values>> = bodies
        .iter()
        .map(|body| {
            let values = read(body)?;
            if values.email.is_none()
                && validation::email("userName", &values.user_name, EMAIL_MAX).is_err()
            {
                return Err(ScimError::invalid_value(
                    "a user needs an email: send emails, or a userName that is an email address",
                ));
            }
            Ok(values)
        })
        .collect();
    let keys: Vec<String> = read
        .iter()
        .flatten()
        .map(|v| v.user_name.to_lowercase())
        .collect();
    let holders = holders_of(db, actor.account_id(), &keys).await?;
    let emails: Vec<String> = read
        .iter()
        .flatten()
        .filter_map(|v| v.email.as_deref().map(validation::email_key))
        .collect();
    let hidden = deleted_by_email(db, actor.account_id(), &emails).await?;
    let mut out = Vec::with_capacity(read.len());
    for values in read {
        let values = match values {
            Ok(v) => v,
            Err(e) => {
                out.push(Err(e));
                continue;
            }
        };
        match holders.get(&values.user_name.to_lowercase()) {
            Some((_, false)) => {
                out.push(Err(ScimError::uniqueness(format!(
                    "userName {:?} is taken",
                    values.user_name
                ))));
                continue;
            }
            Some((id, true)) => {
                out.push(Ok(Err(*id)));
                continue;
            }
            None => {}
        }
        // The same person again under another userName: brought back too.
        if let Some(id) = values
            .email
            .as_deref()
            .and_then(|e| hidden.get(&validation::email_key(e)))
        {
            out.push(Ok(Err(*id)));
            continue;
        }
        match manager_id(db, actor.account_id(), values.manager.as_deref(), None).await {
            Ok(manager) => out.push(Ok(Ok(Prepared { values, manager }))),
            Err(e) => out.push(Err(e)),
        }
    }
    Ok(out)
}

pub async fn prepare(actor: &Actor, body: &Value) -> ScimResult<Result<Prepared, Uuid>> {
    prepare_many(actor, &[body])
        .await?
        .pop()
        .unwrap_or_else(|| Err(ScimError::internal("no result")))
}

/// Adds checked users in one transaction (through the users feature, with
/// its limit, extensions, contacts and history). Returns them in order.
pub async fn create_many(actor: &Actor, users: Vec<Prepared>) -> ScimResult<Vec<Uuid>> {
    use crate::staff::users::{add_users, NewUser, NewUsers};
    let mut new_users = Vec::with_capacity(users.len());
    let mut directory = Vec::with_capacity(users.len());
    let mut languages = Vec::with_capacity(users.len());
    let mut statuses = Vec::with_capacity(users.len());
    let arriving = if actor.welcome {
        Status::Invited
    } else {
        Status::Active
    };
    for p in &users {
        let email = p
            .values
            .email
            .clone()
            .unwrap_or_else(|| p.values.user_name.clone());
        new_users.push(NewUser {
            first_name: p.values.given_name.clone(),
            last_name: p.values.family_name.clone(),
            email,
            extension: p.values.extension,
        });
        directory.push(profile(&p.values, p.manager));
        languages.push(p.values.language.clone().unwrap_or_else(|| "en".into()));
        // Created inactive (before a start date, say): suspended, no mail.
        statuses.push(if p.values.active == Some(false) {
            Status::Suspended
        } else {
            arriving
        });
    }
    let new = NewUsers {
        users: new_users,
        role: Role::Member,
        custom_role_id: None,
        products: Vec::new(),
        groups: Vec::new(),
        template_id: None,
        language: "en".into(),
        email_template: None,
        status: arriving,
        welcome: actor.welcome,
        languages,
        statuses,
        directory,
    };
    match add_users(&actor.state, &actor.viewer, new).await? {
        Ok(users) => Ok(users.into_iter().map(|u| u.id).collect()),
        Err(errors) => Err(errors
            .into_iter()
            .next()
            .map(|e| {
                // `users.0.email` is this user's `emails`, and so on.
                let attribute = match e.field.last().map(String::as_str) {
                    Some("email") => "emails",
                    Some("extension") => "phoneNumbers",
                    Some("firstName") => "name.givenName",
                    Some("lastName") => "name.familyName",
                    Some(other) => other,
                    None => "user",
                };
                let detail = format!("{attribute}: {}", e.message);
                match e.code {
                    crate::kernel::error::UserErrorCode::Taken => ScimError::uniqueness(detail),
                    crate::kernel::error::UserErrorCode::LimitExceeded => {
                        ScimError::too_many(detail)
                    }
                    _ => ScimError::invalid_value(detail),
                }
            })
            .unwrap_or_else(|| ScimError::invalid_value("the user cannot be added"))),
    }
}

pub async fn create(actor: &Actor, body: &Value) -> ScimResult<Value> {
    match prepare(actor, body).await? {
        Ok(p) => {
            let ids = create_many(actor, vec![p]).await?;
            let row = find(&actor.state.db, actor.account_id(), &ids[0].to_string()).await?;
            load(&actor.state.db, &actor.base, &row).await
        }
        // The directory creates a user it deleted (re-hire): bring them back.
        Err(id) => replace_row(actor, id, Change::Put(body), None, true).await,
    }
}

/// A user of the account whether or not the directory deleted them.
async fn find_any(db: &impl ConnectionTrait, account_id: Uuid, id: Uuid) -> ScimResult<Row> {
    let mut q = Query::select();
    q.from(user::Entity)
        .join(
            JoinType::LeftJoin,
            scim_user::Entity,
            Expr::col((scim_user::Entity, scim_user::Column::UserId))
                .equals((user::Entity, user::Column::Id)),
        )
        .and_where(Expr::col((user::Entity, user::Column::AccountId)).eq(account_id))
        .and_where(Expr::col((user::Entity, user::Column::Id)).eq(id));
    with_columns(&mut q);
    rows(db, &q)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ScimError::not_found(format!("no user {id}")))
}

/// Refuses changes to users the token's creator could not change by hand.
fn may_change(actor: &Actor, row: &Row) -> ScimResult<()> {
    crate::roles::rules::may_change(actor.role, row.role).map_err(|_| {
        ScimError::forbidden(
            "this user is an admin: only a token created by a super admin changes admins",
        )
    })
}

pub async fn replace(
    actor: &Actor,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
) -> ScimResult<Value> {
    let row = find(&actor.state.db, actor.account_id(), id).await?;
    replace_row(actor, row.id, Change::Put(body), if_match, false).await
}

/// What a write asks: a whole new representation, or PATCH operations to
/// apply to the current one.
pub enum Change<'a> {
    Put(&'a Value),
    Patch(&'a Value),
}

/// Makes `row` what `body` says (PUT semantics: what is absent is cleared,
/// except the email, which never changes). `revive` brings back a user the
/// directory deleted.
pub async fn replace_row(
    actor: &Actor,
    id: Uuid,
    change: Change<'_>,
    if_match: Option<&str>,
    revive: bool,
) -> ScimResult<Value> {
    let db = &actor.state.db;
    // Writers of the account's users take turns: what is read, checked
    // against `If-Match` and patched here is what is written.
    let txn = db.begin().await?;
    crate::kernel::locks::account(&txn, actor.account_id()).await?;
    let row = find_any(&txn, actor.account_id(), id).await?;
    if !revive && is_deleted(&txn, actor.account_id(), row.id).await? {
        return Err(ScimError::not_found(format!("no user {id}")));
    }
    may_change(actor, &row)?;
    let current = load(&txn, &actor.base, &row).await?;
    check_version(&current, if_match)?;
    let patched;
    let body = match change {
        Change::Put(body) => body,
        Change::Patch(ops) => {
            patched = super::patch::apply(current.clone(), ops, &[ENTERPRISE])?;
            if patched == current && !revive {
                return Ok(current);
            }
            &patched
        }
    };
    let values = read(body)?;
    // The directory is the source of truth: it may change the sign-in
    // email (Roster's own UI never does), if no other user has it.
    let new_email = values
        .email
        .clone()
        .filter(|e| validation::email_key(e) != validation::email_key(&row.email));
    if let Some(email) = &new_email {
        // all accounts: sign-in emails are unique across accounts
        let taken = user::Entity::find()
            .filter(user::Column::EmailKey.eq(validation::email_key(email)))
            .one(&txn)
            .await?;
        if taken.is_some() {
            return Err(ScimError::uniqueness(
                "emails: this address cannot be used (it is taken)",
            ));
        }
    }
    let key = values.user_name.to_lowercase();
    if key != row.user_name().to_lowercase() {
        if let Some((other, _)) = holder_of(&txn, actor.account_id(), &key).await? {
            if other != row.id {
                return Err(ScimError::uniqueness(format!(
                    "userName {:?} is taken",
                    values.user_name
                )));
            }
        }
    }
    let manager = manager_id(
        &txn,
        actor.account_id(),
        values.manager.as_deref(),
        Some(row.id),
    )
    .await?;
    let target = Tenant(actor.account_id())
        .find_by_id::<user::Entity>(row.id)
        .one(&txn)
        .await?
        .ok_or_else(|| ScimError::not_found(format!("no user {}", row.id)))?;
    let mut entries = Vec::new();
    let mut invitations = Vec::new();
    let mut sessions_changed = false;
    let mut changed = target.clone();
    changed.first_name = values.given_name.clone();
    changed.last_name = values.family_name.clone();
    if let Some(l) = &values.language {
        changed.language = l.clone();
    }
    // Only a work number of 2 to 8 digits sets the extension.
    changed.extension = values.extension.or(target.extension);
    if changed.extension != target.extension {
        if let Some(e) = changed.extension {
            let taken = Tenant(actor.account_id())
                .find::<user::Entity>()
                .filter(user::Column::Extension.eq(e))
                .filter(user::Column::Id.ne(target.id))
                .one(&txn)
                .await?;
            if taken.is_some() {
                return Err(ScimError::uniqueness(format!(
                    "phoneNumbers: {e} is another user's extension"
                )));
            }
        }
    }
    let now = Utc::now();
    if let Some(email) = &new_email {
        changed.email = email.clone();
        changed.email_key = validation::email_key(email);
    }
    if changed != target || revive {
        use sea_orm::{ActiveModelTrait, IntoActiveModel};
        let mut am = target.clone().into_active_model();
        if new_email.is_some() {
            am.email = Set(changed.email.clone());
            am.email_key = Set(changed.email_key.clone());
            crate::kernel::scope::Tenant(actor.account_id())
                .update_many::<roster_entities::contact_method::Entity>()
                .col_expr(
                    roster_entities::contact_method::Column::Value,
                    Expr::value(changed.email.clone()),
                )
                .filter(roster_entities::contact_method::Column::Id.eq(target.id))
                .exec(&txn)
                .await?;
            entries.push(
                Entry::ok("user.email", "User", target.id, changed.email.clone()).with_detail(
                    format!("email changed by the directory (was {})", target.email),
                ),
            );
            invitations = readdressed(&txn, actor, &target, &changed).await?;
            sessions_changed = true;
        }
        am.first_name = Set(changed.first_name.clone());
        am.last_name = Set(changed.last_name.clone());
        am.language = Set(changed.language.clone());
        am.extension = Set(changed.extension);
        am.updated_at = Set(now);
        am.update(&txn).await.map_err(|e| {
            if crate::kernel::error::is_unique_violation(&e) {
                ScimError::uniqueness("emails or phoneNumbers: another user has this value")
            } else {
                ScimError::from(e)
            }
        })?;
        let name = crate::staff::users::contact::name_of(&changed.first_name, &changed.last_name);
        crate::kernel::scope::Tenant(actor.account_id())
            .update_many::<roster_entities::contact::Entity>()
            .col_expr(
                roster_entities::contact::Column::Name,
                Expr::value(name.clone()),
            )
            .col_expr(
                roster_entities::contact::Column::NameKey,
                Expr::value(name.to_lowercase()),
            )
            .filter(roster_entities::contact::Column::UserId.eq(target.id))
            .exec(&txn)
            .await?;
        entries.push(Entry::ok(
            "user.update",
            "User",
            target.id,
            target.email.clone(),
        ));
    } else {
        // Directory fields alone still change the resource's modification time.
        crate::kernel::scope::Tenant(actor.account_id())
            .update_many::<user::Entity>()
            .col_expr(user::Column::UpdatedAt, Expr::value(now))
            .filter(user::Column::Id.eq(target.id))
            .exec(&txn)
            .await?;
    }
    let mut p = profile(&values, manager);
    p.user_id = target.id;
    p.account_id = actor.account_id();
    upsert_profile(&txn, p).await?;
    let wanted_status = match values.active {
        Some(false) => Some(Status::Suspended),
        Some(true) if target.status == Status::Suspended => Some(Status::Active),
        // Created again after a delete: back as active unless said otherwise.
        None if revive && target.status == Status::Suspended => Some(Status::Active),
        _ => None,
    };
    if let Some(status) = wanted_status.filter(|s| *s != target.status) {
        let fresh = Tenant(actor.account_id())
            .find_by_id::<user::Entity>(target.id)
            .one(&txn)
            .await?
            .ok_or_else(|| ScimError::not_found("user"))?;
        crate::staff::users::set_status(&txn, fresh, status, true)
            .await
            .map_err(ScimError::from)?;
        entries.push(
            Entry::ok("user.status", "User", target.id, target.email.clone())
                .with_detail(format!("{status:?}")),
        );
        sessions_changed = true;
    }
    if revive {
        entries.push(Entry::ok(
            "user.scim_restore",
            "User",
            target.id,
            target.email.clone(),
        ));
    }
    history::commit(txn, &actor.state, &actor.viewer, entries).await?;
    crate::mail::announce(&actor.state, invitations);
    if sessions_changed {
        actor
            .state
            .events
            .publish(crate::kernel::events::Event::SessionsChanged { user_id: target.id });
    }
    let row = find(db, actor.account_id(), &target.id.to_string()).await?;
    load(db, &actor.base, &row).await
}

/// After the directory changed a user's email: links mailed to the old
/// address stop working (welcome, password reset), sessions end, and a
/// user who has not accepted their welcome gets it at the new address.
async fn readdressed(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    before: &user::Model,
    after: &user::Model,
) -> ScimResult<Vec<roster_entities::invitation::Model>> {
    use roster_entities::invitation::{self, Kind, Status as Sent};
    crate::kernel::scope::Tenant(actor.account_id())
        .update_many::<invitation::Entity>()
        .col_expr(invitation::Column::Status, Expr::value(Sent::Revoked))
        .col_expr(invitation::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(invitation::Column::UserId.eq(before.id))
        .filter(invitation::Column::Kind.is_in([Kind::Welcome, Kind::PasswordReset]))
        .filter(invitation::Column::Status.is_in([Sent::Pending, Sent::Sent]))
        .exec(txn)
        .await?;
    crate::kernel::scope::Tenant(actor.account_id())
        .delete_many::<roster_entities::session::Entity>()
        .filter(roster_entities::session::Column::UserId.eq(before.id))
        .exec(txn)
        .await?;
    if before.status != Status::Invited {
        return Ok(Vec::new());
    }
    let account_name = roster_entities::account::Entity::find_by_id(actor.account_id())
        .one(txn)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    Ok(crate::mail::create(
        txn,
        &actor.state,
        actor.account_id(),
        &account_name,
        None,
        vec![crate::mail::NewInvitation {
            kind: Kind::Welcome,
            email: after.email.clone(),
            name: crate::staff::users::contact::name_of(&after.first_name, &after.last_name),
            language: after.language.clone(),
            user_id: Some(after.id),
            customer_id: None,
            transfer_user_id: None,
        }],
    )
    .await?)
}

async fn upsert_profile(txn: &impl ConnectionTrait, p: scim_user::Model) -> ScimResult<()> {
    use sea_orm::sea_query::OnConflict;
    Tenant(p.account_id)
        .insert(scim_user::ActiveModel {
            user_id: Set(p.user_id),
            account_id: NotSet,
            user_name: Set(p.user_name),
            user_name_key: Set(p.user_name_key),
            external_id: Set(p.external_id),
            department: Set(p.department),
            employee_number: Set(p.employee_number),
            manager_id: Set(p.manager_id),
            resource: Set(p.resource),
            deleted_at: Set(p.deleted_at),
        })
        .on_conflict(
            OnConflict::column(scim_user::Column::UserId)
                .update_columns([
                    scim_user::Column::UserName,
                    scim_user::Column::UserNameKey,
                    scim_user::Column::ExternalId,
                    scim_user::Column::Department,
                    scim_user::Column::EmployeeNumber,
                    scim_user::Column::ManagerId,
                    scim_user::Column::Resource,
                    scim_user::Column::DeletedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await
        .map_err(|e| {
            if crate::kernel::error::is_unique_violation(&e) {
                ScimError::uniqueness("userName is taken")
            } else {
                ScimError::from(e)
            }
        })?;
    Ok(())
}

pub async fn patch(
    actor: &Actor,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
) -> ScimResult<Value> {
    let row = find(&actor.state.db, actor.account_id(), id).await?;
    replace_row(actor, row.id, Change::Patch(body), if_match, false).await
}

/// Whether the directory deleted the user (hidden, kept suspended).
async fn is_deleted(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    user_id: Uuid,
) -> ScimResult<bool> {
    Ok(Tenant(account_id)
        .find_by_id::<scim_user::Entity>(user_id)
        .one(db)
        .await?
        .is_some_and(|p| p.deleted_at.is_some()))
}

/// Deletes a user as the account chose: suspended and hidden from the
/// directory (seats freed), or deleted with the erasure rules.
pub async fn delete(actor: &Actor, id: &str, if_match: Option<&str>) -> ScimResult<()> {
    let db = &actor.state.db;
    let row = find(db, actor.account_id(), id).await?;
    may_change(actor, &row)?;
    let current = load(db, &actor.base, &row).await?;
    check_version(&current, if_match)?;
    let txn = db.begin().await?;
    let target = Tenant(actor.account_id())
        .find_by_id::<user::Entity>(row.id)
        .one(&txn)
        .await?
        .ok_or_else(|| ScimError::not_found(format!("no user {id}")))?;
    let email = target.email.clone();
    let entry = if actor.erase_on_delete {
        crate::staff::users::remove(&txn, &target).await?;
        Entry::ok("user.delete", "User", target.id, crate::erasure::ERASED)
    } else {
        let user_id = target.id;
        if target.status != Status::Suspended {
            crate::staff::users::set_status(&txn, target, Status::Suspended, true).await?;
        } else {
            crate::staff::products::seats::free(&txn, actor.account_id(), &[user_id], None).await?;
        }
        let mut p = profile(
            &read(&current).unwrap_or_else(|_| Values {
                user_name: row.user_name().to_owned(),
                given_name: row.first_name.clone(),
                family_name: row.last_name.clone(),
                email: None,
                active: None,
                language: None,
                extension: None,
                external_id: row.external_id.clone(),
                department: row.department.clone(),
                employee_number: row.employee_number.clone(),
                manager: None,
                written: Value::Null,
            }),
            row.manager_id,
        );
        p.user_id = user_id;
        p.account_id = actor.account_id();
        p.deleted_at = Some(Utc::now());
        upsert_profile(&txn, p).await?;
        Entry::ok("user.scim_delete", "User", user_id, email)
            .with_detail("removed by the directory: suspended, seats freed")
    };
    history::commit(txn, &actor.state, &actor.viewer, vec![entry]).await?;
    actor
        .state
        .events
        .publish(crate::kernel::events::Event::SessionsChanged { user_id: row.id });
    Ok(())
}
