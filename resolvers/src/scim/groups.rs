//! `/Groups`: Roster's groups with their members (users only). Member
//! changes are written as a difference, so adding or removing thousands at
//! once is a few statements.

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use roster_entities::{group, group_member, scim_group, scim_user, user};
use sea_orm::{
    sea_query::{Expr, Func, JoinType, OnConflict, Order, Query, SelectStatement, SimpleExpr},
    ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QuerySelect, Set,
    TransactionTrait,
};
use serde_json::{json, Value};
use uuid::Uuid;

use super::discovery::GROUP;
use super::error::{ScimError, ScimResult};
use super::filter::{field, AttrPath};
use super::list;
use super::sql::{self, Operand};
use super::users::id_condition;
use super::{check_version, etag, Actor};
use crate::kernel::history::{self, Entry};
use crate::kernel::scope::Tenant;
use crate::kernel::validation;

const NAME_MAX: usize = 255;

#[derive(Clone, Debug)]
pub struct Row {
    pub group: group::Model,
    pub external_id: Option<String>,
}

fn g(c: group::Column) -> SimpleExpr {
    Expr::col((group::Entity, c)).into()
}

fn base_query(account_id: Uuid) -> SelectStatement {
    let mut q = Query::select();
    q.from(group::Entity)
        .join(
            JoinType::LeftJoin,
            scim_group::Entity,
            Expr::col((scim_group::Entity, scim_group::Column::GroupId))
                .equals((group::Entity, group::Column::Id)),
        )
        .and_where(Expr::col((group::Entity, group::Column::AccountId)).eq(account_id));
    q
}

fn with_columns(q: &mut SelectStatement) {
    for c in [
        group::Column::Id,
        group::Column::AccountId,
        group::Column::Name,
        group::Column::NameKey,
        group::Column::CreatedAt,
        group::Column::UpdatedAt,
    ] {
        q.column((group::Entity, c));
    }
    q.column((scim_group::Entity, scim_group::Column::ExternalId));
}

async fn rows(db: &impl ConnectionTrait, q: &SelectStatement) -> ScimResult<Vec<Row>> {
    let stmt = db.get_database_backend().build(q);
    let mut out = Vec::new();
    for r in db.query_all(stmt).await? {
        out.push(Row {
            group: group::Model {
                id: r.try_get("", "id")?,
                account_id: r.try_get("", "account_id")?,
                name: r.try_get("", "name")?,
                name_key: r.try_get("", "name_key")?,
                created_at: r.try_get("", "created_at")?,
                updated_at: r.try_get("", "updated_at")?,
            },
            external_id: r.try_get("", "external_id")?,
        });
    }
    Ok(out)
}

fn operand(path: &AttrPath) -> ScimResult<Operand> {
    if let Some(urn) = &path.urn {
        if !urn.eq_ignore_ascii_case(GROUP) {
            return Err(ScimError::invalid_filter(format!("unknown schema {urn}")));
        }
    }
    match path.key().as_str() {
        "id" => Ok(Operand::Custom(Box::new(|cmp| {
            id_condition(cmp, g(group::Column::Id))
        }))),
        // `name_key` is the lower-cased name, unique in the account.
        "displayname" => Ok(sql::indexed(
            "displayName",
            |v| Expr::col((group::Entity, group::Column::NameKey)).eq(v.trim().to_lowercase()),
            || Operand::Text {
                expr: g(group::Column::Name),
                case_exact: false,
            },
        )),
        "externalid" => Ok(sql::indexed(
            "externalId",
            |v| Expr::col((scim_group::Entity, scim_group::Column::ExternalId)).eq(v),
            || Operand::Text {
                expr: Expr::col((scim_group::Entity, scim_group::Column::ExternalId)).into(),
                case_exact: true,
            },
        )),
        "members" | "members.value" => Ok(Operand::Custom(Box::new(|cmp| {
            let mut sub = Query::select();
            sub.expr(Expr::val(1)).from(group_member::Entity).and_where(
                Expr::col((group_member::Entity, group_member::Column::GroupId))
                    .equals((group::Entity, group::Column::Id)),
            );
            if let Some(cmp) = cmp {
                sub.and_where(id_condition(
                    Some(cmp),
                    Expr::col((group_member::Entity, group_member::Column::UserId)).into(),
                )?);
            }
            Ok(Expr::exists(sub))
        }))),
        "members.type" => Ok(Operand::Text {
            expr: Expr::val("User").into(),
            case_exact: false,
        }),
        "meta.created" => Ok(Operand::Time(g(group::Column::CreatedAt))),
        "meta.lastmodified" => Ok(Operand::Time(g(group::Column::UpdatedAt))),
        other => Err(ScimError::invalid_filter(format!(
            "cannot filter by {other}"
        ))),
    }
}

pub async fn find(db: &impl ConnectionTrait, account_id: Uuid, id: &str) -> ScimResult<Row> {
    let not_found = || ScimError::not_found(format!("no group {id}"));
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    let mut q = base_query(account_id);
    with_columns(&mut q);
    q.and_where(Expr::col((group::Entity, group::Column::Id)).eq(id));
    rows(db, &q).await?.into_iter().next().ok_or_else(not_found)
}

/// The members of `groups` the directory sees, by user id.
async fn members_of(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    groups: &[Uuid],
) -> ScimResult<HashMap<Uuid, Vec<Uuid>>> {
    let mut out: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for chunk in groups.chunks(500) {
        let rows: Vec<(Uuid, Uuid)> = Tenant(account_id)
            .find::<group_member::Entity>()
            .select_only()
            .column(group_member::Column::GroupId)
            .column(group_member::Column::UserId)
            .join(
                JoinType::LeftJoin,
                group_member::Entity::belongs_to(scim_user::Entity)
                    .from(group_member::Column::UserId)
                    .to(scim_user::Column::UserId)
                    .into(),
            )
            .filter(group_member::Column::GroupId.is_in(chunk.iter().copied()))
            .filter(Expr::col((scim_user::Entity, scim_user::Column::DeletedAt)).is_null())
            .into_tuple()
            .all(db)
            .await?;
        for (group_id, user_id) in rows {
            out.entry(group_id).or_default().push(user_id);
        }
    }
    for m in out.values_mut() {
        m.sort();
    }
    Ok(out)
}

pub fn render(base: &str, row: &Row, members: Option<&[Uuid]>) -> Value {
    let mut v = json!({
        "schemas": [GROUP],
        "id": row.group.id.to_string(),
        "displayName": row.group.name,
    });
    if let Some(x) = &row.external_id {
        v["externalId"] = json!(x);
    }
    if let Some(members) = members {
        if !members.is_empty() {
            v["members"] = Value::Array(
                members
                    .iter()
                    .map(|id| {
                        json!({
                            "value": id.to_string(),
                            "$ref": format!("{base}/Users/{id}"),
                            "type": "User",
                        })
                    })
                    .collect(),
            );
        }
    }
    // The version covers the members even when they are not returned.
    let version = match members {
        Some(_) => etag(&v),
        None => String::new(),
    };
    v["meta"] = json!({
        "resourceType": "Group",
        "created": row.group.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "lastModified": row.group.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "location": format!("{base}/Groups/{}", row.group.id),
    });
    if !version.is_empty() {
        v["meta"]["version"] = json!(version);
    }
    v
}

pub async fn load(db: &impl ConnectionTrait, base: &str, row: &Row) -> ScimResult<Value> {
    let members = members_of(db, row.group.account_id, &[row.group.id]).await?;
    Ok(render(
        base,
        row,
        Some(members.get(&row.group.id).map(Vec::as_slice).unwrap_or(&[])),
    ))
}

pub async fn get(actor: &Actor, id: &str) -> ScimResult<Value> {
    let row = find(&actor.state.db, actor.account_id(), id).await?;
    load(&actor.state.db, &actor.base, &row).await
}

pub async fn search(actor: &Actor, query: &list::Query) -> ScimResult<Value> {
    let db = &actor.state.db;
    let mut q = base_query(actor.account_id());
    if let Some(f) = &query.filter {
        q.and_where(sql::condition(f, &operand)?);
    }
    let total = list::count(db, &q, Expr::col((group::Entity, group::Column::Id))).await?;
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
            let expr = match operand(path).map_err(|e| ScimError::invalid_value(e.detail))? {
                Operand::Text {
                    expr,
                    case_exact: false,
                } => Func::lower(expr).into(),
                Operand::Custom(_) if path.key() == "displayname" => {
                    Func::lower(g(group::Column::Name)).into()
                }
                Operand::Custom(_) if path.key() == "externalid" => {
                    Expr::col((scim_group::Entity, scim_group::Column::ExternalId)).into()
                }
                Operand::Text { expr, .. } | Operand::Time(expr) => expr,
                _ => g(group::Column::Id),
            };
            q.order_by_expr(expr, order.clone());
        }
        None => {
            q.order_by_expr(g(group::Column::CreatedAt), Order::Asc);
        }
    }
    q.order_by((group::Entity, group::Column::Id), order);
    q.limit(query.count).offset(query.start_index - 1);
    let found = rows(db, &q).await?;
    let members = if query.projection.wants("members") {
        let ids: Vec<Uuid> = found.iter().map(|r| r.group.id).collect();
        Some(members_of(db, actor.account_id(), &ids).await?)
    } else {
        None
    };
    let resources = found
        .iter()
        .map(|r| {
            let m = members
                .as_ref()
                .map(|m| m.get(&r.group.id).map(Vec::as_slice).unwrap_or(&[]));
            query.projection.apply(render(&actor.base, r, m), &[])
        })
        .collect();
    Ok(list::response(total, query.start_index, resources))
}

struct Values {
    name: String,
    external_id: Option<String>,
    members: BTreeSet<Uuid>,
}

fn read(v: &Value) -> ScimResult<(String, Option<String>, Vec<String>)> {
    if !v.is_object() {
        return Err(ScimError::invalid_syntax("a group is a JSON object"));
    }
    let name = match field(v, "displayName") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => {
            return Err(ScimError::invalid_value("displayName is required"))
        }
        Some(other) => {
            return Err(ScimError::invalid_value(format!(
                "displayName must be a string, not {other}"
            )))
        }
    };
    let name =
        validation::required_text("displayName", &name, NAME_MAX).map_err(ScimError::from)?;
    let external_id = match field(v, "externalId") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    };
    let mut members = Vec::new();
    match field(v, "members") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for m in items {
                if let Some(t) = field(m, "type").and_then(Value::as_str) {
                    if !t.eq_ignore_ascii_case("User") {
                        return Err(ScimError::invalid_value(format!(
                            "members: Roster groups hold users, not {t}"
                        )));
                    }
                }
                match field(m, "value") {
                    Some(Value::String(id)) => members.push(id.trim().to_owned()),
                    _ => {
                        return Err(ScimError::invalid_value(
                            "members: each member has a value (a user id)",
                        ))
                    }
                }
            }
        }
        Some(other) => {
            return Err(ScimError::invalid_value(format!(
                "members must be a list, not {other}"
            )))
        }
    }
    Ok((name, external_id, members))
}

/// The member ids as users the directory sees, or invalidValue naming the
/// unknown ones.
async fn resolve_members(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    ids: &[String],
) -> ScimResult<BTreeSet<Uuid>> {
    let mut wanted = BTreeSet::new();
    let mut unknown = Vec::new();
    for id in ids {
        match Uuid::parse_str(id) {
            Ok(u) => {
                wanted.insert(u);
            }
            Err(_) => unknown.push(id.clone()),
        }
    }
    let list: Vec<Uuid> = wanted.iter().copied().collect();
    let mut found = BTreeSet::new();
    for chunk in list.chunks(1_000) {
        let rows: Vec<Uuid> = Tenant(account_id)
            .find::<user::Entity>()
            .select_only()
            .column(user::Column::Id)
            .join(
                JoinType::LeftJoin,
                user::Entity::belongs_to(roster_entities::scim_user::Entity)
                    .from(user::Column::Id)
                    .to(roster_entities::scim_user::Column::UserId)
                    .into(),
            )
            .filter(user::Column::Id.is_in(chunk.iter().copied()))
            .filter(
                Expr::col((
                    roster_entities::scim_user::Entity,
                    roster_entities::scim_user::Column::DeletedAt,
                ))
                .is_null(),
            )
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    unknown.extend(wanted.difference(&found).map(Uuid::to_string));
    if !unknown.is_empty() {
        unknown.truncate(20);
        return Err(ScimError::invalid_value(format!(
            "members: no such user: {}",
            unknown.join(", ")
        )));
    }
    Ok(found)
}

async fn values(db: &impl ConnectionTrait, actor: &Actor, body: &Value) -> ScimResult<Values> {
    let (name, external_id, members) = read(body)?;
    let members = resolve_members(db, actor.account_id(), &members).await?;
    Ok(Values {
        name,
        external_id,
        members,
    })
}

async fn name_taken(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    name: &str,
    except: Option<Uuid>,
) -> ScimResult<()> {
    if crate::kernel::scope::name_taken::<group::Entity>(
        db,
        account_id,
        &name.to_lowercase(),
        except,
    )
    .await?
    {
        return Err(ScimError::uniqueness(format!(
            "a group named {name:?} exists"
        )));
    }
    Ok(())
}

async fn set_external_id(
    txn: &impl ConnectionTrait,
    account_id: Uuid,
    group_id: Uuid,
    external_id: Option<String>,
) -> ScimResult<()> {
    Tenant(account_id)
        .insert(scim_group::ActiveModel {
            group_id: Set(group_id),
            account_id: NotSet,
            external_id: Set(external_id),
        })
        .on_conflict(
            OnConflict::column(scim_group::Column::GroupId)
                .update_column(scim_group::Column::ExternalId)
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Adds and removes members; returns the history entries.
async fn change_members(
    txn: &impl ConnectionTrait,
    account_id: Uuid,
    group: &group::Model,
    add: &[Uuid],
    remove: &[Uuid],
) -> ScimResult<Vec<Entry>> {
    let mut entries = Vec::new();
    for chunk in add.chunks(5_000) {
        let rows = chunk.iter().map(|u| group_member::ActiveModel {
            account_id: NotSet,
            group_id: Set(group.id),
            user_id: Set(*u),
        });
        Tenant(account_id)
            .insert_many(rows)
            .on_conflict(
                OnConflict::columns([group_member::Column::GroupId, group_member::Column::UserId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    for chunk in remove.chunks(5_000) {
        crate::kernel::scope::Tenant(account_id)
            .delete_many::<group_member::Entity>()
            .filter(group_member::Column::GroupId.eq(group.id))
            .filter(group_member::Column::UserId.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
    }
    let mut emails: HashMap<Uuid, String> = HashMap::new();
    let all: Vec<Uuid> = add.iter().chain(remove).copied().collect();
    for chunk in all.chunks(1_000) {
        let rows: Vec<(Uuid, String)> = Tenant(account_id)
            .find::<user::Entity>()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::Email)
            .filter(user::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(txn)
            .await?;
        emails.extend(rows);
    }
    let email = |u: &Uuid| emails.get(u).cloned().unwrap_or_default();
    entries.extend(add.iter().map(|u| {
        Entry::ok("group.add_member", "User", *u, email(u))
            .with_detail(format!("added to {}", group.name))
    }));
    entries.extend(remove.iter().map(|u| {
        Entry::ok("group.remove_member", "User", *u, email(u))
            .with_detail(format!("removed from {}", group.name))
    }));
    Ok(entries)
}

pub async fn create(actor: &Actor, body: &Value) -> ScimResult<Value> {
    let db = &actor.state.db;
    let values = values(db, actor, body).await?;
    name_taken(db, actor.account_id(), &values.name, None).await?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let model = group::Model {
        id: Uuid::now_v7(),
        account_id: actor.account_id(),
        name: values.name.clone(),
        name_key: values.name.to_lowercase(),
        created_at: now,
        updated_at: now,
    };
    let inserted = Tenant(model.account_id)
        .insert(group::ActiveModel {
            id: Set(model.id),
            account_id: NotSet,
            name: Set(model.name.clone()),
            name_key: Set(model.name_key.clone()),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await;
    if let Err(e) = inserted {
        return Err(if crate::kernel::error::is_unique_violation(&e) {
            ScimError::uniqueness(format!("a group named {:?} exists", values.name))
        } else {
            e.into()
        });
    }
    set_external_id(
        &txn,
        actor.account_id(),
        model.id,
        values.external_id.clone(),
    )
    .await?;
    let add: Vec<Uuid> = values.members.iter().copied().collect();
    let mut entries = vec![Entry::ok(
        "group.create",
        "Group",
        model.id,
        model.name.clone(),
    )];
    entries.extend(change_members(&txn, actor.account_id(), &model, &add, &[]).await?);
    history::commit(txn, &actor.state, &actor.viewer, entries).await?;
    let row = find(db, actor.account_id(), &model.id.to_string()).await?;
    load(db, &actor.base, &row).await
}

/// Makes the group what the change says. Writers of the account take
/// turns: what is read, checked against `If-Match` and patched here is what
/// is written.
async fn save(
    actor: &Actor,
    id: &str,
    change: super::users::Change<'_>,
    if_match: Option<&str>,
) -> ScimResult<Value> {
    let db = &actor.state.db;
    let txn = db.begin().await?;
    crate::kernel::locks::account(&txn, actor.account_id()).await?;
    let row = find(&txn, actor.account_id(), id).await?;
    let current = load(&txn, &actor.base, &row).await?;
    check_version(&current, if_match)?;
    let patched;
    let body = match change {
        super::users::Change::Put(body) => body,
        super::users::Change::Patch(ops) => {
            patched = super::patch::apply(current.clone(), ops, &[])?;
            if patched == current {
                return Ok(current);
            }
            &patched
        }
    };
    let values = values(&txn, actor, body).await?;
    let renamed = values.name != row.group.name;
    if renamed {
        name_taken(&txn, actor.account_id(), &values.name, Some(row.group.id)).await?;
    }
    let before: BTreeSet<Uuid> = current
        .get("members")
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .filter_map(|m| m["value"].as_str().and_then(|v| Uuid::parse_str(v).ok()))
                .collect()
        })
        .unwrap_or_default();
    let add: Vec<Uuid> = values.members.difference(&before).copied().collect();
    let remove: Vec<Uuid> = before.difference(&values.members).copied().collect();
    let mut entries = Vec::new();
    let mut model = row.group.clone();
    model.updated_at = Utc::now();
    if renamed {
        model.name = values.name.clone();
        model.name_key = values.name.to_lowercase();
        entries.push(Entry::ok(
            "group.rename",
            "Group",
            model.id,
            model.name.clone(),
        ));
    }
    let mut update =
        crate::kernel::scope::Tenant(actor.account_id()).update_many::<group::Entity>();
    if renamed {
        update = update
            .col_expr(group::Column::Name, Expr::value(model.name.clone()))
            .col_expr(group::Column::NameKey, Expr::value(model.name_key.clone()));
    }
    let updated = update
        .col_expr(group::Column::UpdatedAt, Expr::value(model.updated_at))
        .filter(group::Column::Id.eq(model.id))
        .exec(&txn)
        .await;
    match updated {
        Err(e) if crate::kernel::error::is_unique_violation(&e) => {
            return Err(ScimError::uniqueness(format!(
                "a group named {:?} exists",
                values.name
            )))
        }
        other => {
            other?;
        }
    }
    if values.external_id != row.external_id {
        set_external_id(
            &txn,
            actor.account_id(),
            model.id,
            values.external_id.clone(),
        )
        .await?;
    }
    entries.extend(change_members(&txn, actor.account_id(), &model, &add, &remove).await?);
    history::commit(txn, &actor.state, &actor.viewer, entries).await?;
    let row = find(db, actor.account_id(), &model.id.to_string()).await?;
    load(db, &actor.base, &row).await
}

pub async fn replace(
    actor: &Actor,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
) -> ScimResult<Value> {
    save(actor, id, super::users::Change::Put(body), if_match).await
}

pub async fn patch(
    actor: &Actor,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
) -> ScimResult<Value> {
    save(actor, id, super::users::Change::Patch(body), if_match).await
}

pub async fn delete(actor: &Actor, id: &str, if_match: Option<&str>) -> ScimResult<()> {
    let db = &actor.state.db;
    let row = find(db, actor.account_id(), id).await?;
    if if_match.is_some() {
        let current = load(db, &actor.base, &row).await?;
        check_version(&current, if_match)?;
    }
    let txn = db.begin().await?;
    crate::kernel::scope::Tenant(actor.account_id())
        .delete_many::<group::Entity>()
        .filter(group::Column::Id.eq(row.group.id))
        .exec(&txn)
        .await?;
    history::commit(
        txn,
        &actor.state,
        &actor.viewer,
        vec![Entry::ok(
            "group.delete",
            "Group",
            row.group.id,
            row.group.name,
        )],
    )
    .await?;
    Ok(())
}
