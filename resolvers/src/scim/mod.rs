//! Directory sync: a SCIM 2.0 service provider (RFC 7643, RFC 7644) at
//! `/scim/v2`, so identity providers (Okta, Entra ID, …) keep the account's
//! users and groups up to date. The web crate hands each request to
//! `handle`; everything else lives here: tokens (`tokens.rs`, with their
//! GraphQL API), discovery, filters run in SQL, users, groups, PATCH and
//! bulk. Changes go through the users and groups features' own write paths
//! and are recorded in the activity history with the token as the actor.

mod bulk;
mod discovery;
pub mod error;
pub mod filter;
mod groups;
mod list;
mod patch;
mod sql;
pub mod tokens;
mod users;

pub use tokens::{ScimSettings, ScimToken, ScimTokenMutation, ScimTokenQuery};

use roster_entities::user::Role;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::kernel::{auth::Viewer, context::AppState};
pub use discovery::{BULK_MAX_OPERATIONS, BULK_MAX_PAYLOAD};
use error::{ScimError, ScimResult};

/// The content type of every SCIM body.
pub const CONTENT_TYPE: &str = "application/scim+json";

/// One SCIM request, as the web layer read it.
pub struct Request {
    pub method: String,
    /// The path after `/scim/v2`, e.g. `/Users/…`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub authorization: Option<String>,
    pub if_match: Option<String>,
    pub body: Vec<u8>,
    /// `https://host/scim/v2`: the base of `meta.location`.
    pub base: String,
}

/// What to answer.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Option<Value>,
    /// `ETag` and `Location` headers.
    pub etag: Option<String>,
    pub location: Option<String>,
}

impl Response {
    fn json(status: u16, body: Value) -> Self {
        let etag = body
            .get("meta")
            .and_then(|m| m.get("version"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let location = (status == 201)
            .then(|| {
                body.get("meta")
                    .and_then(|m| m.get("location"))
                    .and_then(Value::as_str)
            })
            .flatten()
            .map(str::to_owned);
        Response {
            status,
            body: Some(body),
            etag,
            location,
        }
    }

    fn error(err: ScimError) -> Self {
        Response {
            status: err.status,
            body: Some(err.body()),
            etag: None,
            location: None,
        }
    }
}

/// Who calls: a SCIM token of an account, and that account's choices.
pub struct Actor {
    pub state: AppState,
    /// The token as the activity history's actor.
    pub viewer: Viewer,
    /// The role of the admin who created the token: it changes only users
    /// that role may change.
    pub role: Role,
    /// `DELETE /Users/{id}` erases (else suspends and hides).
    pub erase_on_delete: bool,
    /// New users get a welcome mail.
    pub welcome: bool,
    pub base: String,
}

impl Actor {
    pub fn account_id(&self) -> Uuid {
        self.viewer.account_id
    }
}

/// A weak ETag over the resource as rendered (without `meta`).
pub fn etag(resource: &Value) -> String {
    let hash = Sha256::digest(resource.to_string().as_bytes());
    let hex: String = hash.iter().take(10).map(|b| format!("{b:02x}")).collect();
    format!("W/\"{hex}\"")
}

fn body_json(req: &Request) -> ScimResult<Value> {
    if req.body.is_empty() {
        return Err(ScimError::invalid_syntax("the request needs a JSON body"));
    }
    serde_json::from_slice(&req.body)
        .map_err(|e| ScimError::invalid_syntax(format!("the body is not JSON: {e}")))
}

/// Answers one SCIM request.
pub async fn handle(state: &AppState, req: Request) -> Response {
    match route(state, &req).await {
        Ok(r) => r,
        Err(e) => Response::error(e),
    }
}

async fn route(state: &AppState, req: &Request) -> ScimResult<Response> {
    let parts: Vec<&str> = req
        .path
        .trim_matches('/')
        .split('/')
        .filter(|p| !p.is_empty())
        .collect();
    let method = req.method.as_str();
    let projection = list::Projection::new(
        req.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("attributes"))
            .map(|(_, v)| v.as_str()),
        req.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("excludedAttributes"))
            .map(|(_, v)| v.as_str()),
    );
    // Discovery needs no account, but clients send their token anyway:
    // a wrong token is refused here too.
    let first = parts.first().copied().unwrap_or_default();
    let actor = tokens::authenticate(state, req).await?;
    let if_match = req.if_match.as_deref();
    let not_allowed = || {
        Err(ScimError::new(
            405,
            None,
            format!("{method} is not supported on {}", req.path),
        ))
    };
    match (first, parts.get(1).copied(), parts.len()) {
        ("ServiceProviderConfig", None, 1) if method == "GET" => Ok(Response::json(
            200,
            discovery::service_provider_config(&req.base),
        )),
        ("ResourceTypes", id, n) if n <= 2 && method == "GET" => Ok(Response::json(
            200,
            discovery::resource_types(&req.base, id)?,
        )),
        ("Schemas", id, n) if n <= 2 && method == "GET" => {
            Ok(Response::json(200, discovery::schemas(&req.base, id)?))
        }
        ("ServiceProviderConfig" | "ResourceTypes" | "Schemas", _, _) => not_allowed(),
        (kind @ ("Users" | "Groups"), Some(".search"), 2) if method == "POST" => {
            let query = list::Query::from_search(&body_json(req)?)?;
            let found = match kind {
                "Users" => users::search(&actor, &query).await?,
                _ => groups::search(&actor, &query).await?,
            };
            Ok(Response::json(200, found))
        }
        ("Users" | "Groups", None, 1) if method == "GET" => {
            let query = list::Query::from_params(&req.query)?;
            let found = match first {
                "Users" => users::search(&actor, &query).await?,
                _ => groups::search(&actor, &query).await?,
            };
            Ok(Response::json(200, found))
        }
        ("Users" | "Groups", id, n) if n <= 2 => {
            let body = match method {
                "POST" | "PUT" | "PATCH" => Some(body_json(req)?),
                _ => None,
            };
            let (status, resource) =
                one(&actor, method, &req.path, body.as_ref(), if_match).await?;
            let extensions: &[&str] = if first == "Users" {
                &[discovery::ENTERPRISE]
            } else {
                &[]
            };
            Ok(match (resource, id) {
                (Some(v), _) => Response::json(status, projection.apply(v, extensions)),
                (None, _) => Response {
                    status,
                    body: None,
                    etag: None,
                    location: None,
                },
            })
        }
        (".search", None, 1) if method == "POST" => {
            let query = list::Query::from_search(&body_json(req)?)?;
            Ok(Response::json(200, search_all(&actor, &query).await?))
        }
        ("Bulk", None, 1) if method == "POST" => Ok(Response::json(
            200,
            bulk::run(&actor, &body_json(req)?).await?,
        )),
        ("Bulk", None, 1) => not_allowed(),
        _ => Err(ScimError::not_found(format!(
            "no SCIM endpoint {}",
            req.path
        ))),
    }
}

/// `POST /.search`: users, then groups, as one list. A filter naming an
/// attribute one type does not have matches none of that type.
async fn search_all(actor: &Actor, query: &list::Query) -> ScimResult<Value> {
    let counted = |q: &list::Query| list::Query {
        count: 0,
        start_index: 1,
        ..q.clone()
    };
    let total_of = |v: &Value| v["totalResults"].as_u64().unwrap_or(0);
    let quiet = |r: ScimResult<Value>| match r {
        Err(e)
            if e.scim_type == Some("invalidFilter") && e.detail.starts_with("cannot filter by") =>
        {
            Ok(list::response(0, 1, Vec::new()))
        }
        other => other,
    };
    let user_total = total_of(&quiet(users::search(actor, &counted(query)).await)?);
    let group_total = total_of(&quiet(groups::search(actor, &counted(query)).await)?);
    let skip = query.start_index - 1;
    let mut resources: Vec<Value> = Vec::new();
    if skip < user_total && query.count > 0 {
        let page = quiet(
            users::search(
                actor,
                &list::Query {
                    start_index: skip + 1,
                    ..query.clone()
                },
            )
            .await,
        )?;
        resources.extend(page["Resources"].as_array().cloned().unwrap_or_default());
    }
    let left = query.count.saturating_sub(resources.len() as u64);
    if left > 0 {
        let start = skip.saturating_sub(user_total) + 1;
        let page = quiet(
            groups::search(
                actor,
                &list::Query {
                    start_index: start,
                    count: left,
                    ..query.clone()
                },
            )
            .await,
        )?;
        resources.extend(page["Resources"].as_array().cloned().unwrap_or_default());
    }
    Ok(list::response(
        user_total + group_total,
        query.start_index,
        resources,
    ))
}

/// Runs one operation on a resource, as the router and `/Bulk` receive
/// it: the method, the path (`/Users/{id}`) and the body.
pub(crate) async fn one(
    actor: &Actor,
    method: &str,
    path: &str,
    body: Option<&Value>,
    if_match: Option<&str>,
) -> ScimResult<(u16, Option<Value>)> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let body = || body.ok_or_else(|| ScimError::invalid_syntax("the request needs a body"));
    let not_allowed = || {
        Err(ScimError::new(
            405,
            None,
            format!("{method} is not supported on {path}"),
        ))
    };
    match (parts.as_slice(), method) {
        (["Users"], "POST") => Ok((201, Some(users::create(actor, body()?).await?))),
        (["Users", id], "GET") => Ok((200, Some(users::get(actor, id).await?))),
        (["Users", id], "PUT") => Ok((
            200,
            Some(users::replace(actor, id, body()?, if_match).await?),
        )),
        (["Users", id], "PATCH") => {
            Ok((200, Some(users::patch(actor, id, body()?, if_match).await?)))
        }
        (["Users", id], "DELETE") => users::delete(actor, id, if_match)
            .await
            .map(|_| (204, None)),
        (["Groups"], "POST") => Ok((201, Some(groups::create(actor, body()?).await?))),
        (["Groups", id], "GET") => Ok((200, Some(groups::get(actor, id).await?))),
        (["Groups", id], "PUT") => Ok((
            200,
            Some(groups::replace(actor, id, body()?, if_match).await?),
        )),
        (["Groups", id], "PATCH") => Ok((
            200,
            Some(groups::patch(actor, id, body()?, if_match).await?),
        )),
        (["Groups", id], "DELETE") => groups::delete(actor, id, if_match)
            .await
            .map(|_| (204, None)),
        (["Users" | "Groups"] | ["Users" | "Groups", _], _) => not_allowed(),
        _ => Err(ScimError::not_found(format!("no SCIM endpoint {path}"))),
    }
}

/// Refuses a stale `If-Match` (RFC 7644 §3.14): none of its versions is
/// the resource's current one.
pub(crate) fn check_version(current: &Value, if_match: Option<&str>) -> ScimResult<()> {
    let Some(wanted) = if_match else {
        return Ok(());
    };
    let version = current["meta"]["version"].as_str().unwrap_or_default();
    let weak = |v: &str| v.trim().trim_start_matches("W/").to_owned();
    if wanted
        .split(',')
        .any(|w| w.trim() == "*" || weak(w) == weak(version))
    {
        Ok(())
    } else {
        Err(ScimError::precondition_failed())
    }
}
