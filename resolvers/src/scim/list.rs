//! What a query asks of a list (RFC 7644 §3.4.2): filter, sort, page and
//! which attributes to return; and trimming a resource to those attributes.

use serde_json::{Map, Value};

use super::discovery::{LIST, MAX_RESULTS};
use super::error::{ScimError, ScimResult};
use super::filter::{self, AttrPath, Filter};

#[derive(Debug, Default, Clone)]
pub struct Query {
    pub filter: Option<Filter>,
    pub sort_by: Option<AttrPath>,
    pub descending: bool,
    /// 1-based.
    pub start_index: u64,
    pub count: u64,
    pub projection: Projection,
}

/// `attributes` / `excludedAttributes`, as lower-cased paths
/// (`name.givenname`, `urn:...:user:department`).
#[derive(Debug, Default, Clone)]
pub struct Projection {
    pub only: Vec<String>,
    pub excluded: Vec<String>,
}

fn paths(list: &str) -> Vec<String> {
    list.split(',')
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty())
        .collect()
}

impl Projection {
    pub fn new(attributes: Option<&str>, excluded: Option<&str>) -> Self {
        Projection {
            only: attributes.map(paths).unwrap_or_default(),
            excluded: excluded.map(paths).unwrap_or_default(),
        }
    }

    /// Whether `attr` (lower-case, top level, in the core schema or under
    /// `urn`) is returned, so the caller can skip loading it.
    pub fn wants(&self, attr: &str) -> bool {
        let hit = |p: &String| {
            p == attr || p.starts_with(&format!("{attr}.")) || p.ends_with(&format!(":{attr}"))
        };
        if !self.only.is_empty() {
            return self.only.iter().any(hit);
        }
        !self
            .excluded
            .iter()
            .any(|p| p == attr || p.ends_with(&format!(":{attr}")))
    }

    /// Trims `resource` to the requested attributes. `id`, `schemas` and
    /// `meta` are always returned (`returned: always`).
    pub fn apply(&self, resource: Value, extensions: &[&str]) -> Value {
        if self.only.is_empty() && self.excluded.is_empty() {
            return resource;
        }
        let Value::Object(map) = resource else {
            return resource;
        };
        let always = ["id", "schemas", "meta"];
        let mut out = Map::new();
        for (key, value) in map {
            let lower = key.to_lowercase();
            if always.contains(&lower.as_str()) {
                out.insert(key, value);
                continue;
            }
            if extensions.iter().any(|e| e.eq_ignore_ascii_case(&key)) {
                // An extension's attributes: `urn:...:User:department`.
                if let Value::Object(inner) = value {
                    let kept: Map<String, Value> = inner
                        .into_iter()
                        .filter_map(|(k, v)| {
                            let path = format!("{lower}:{}", k.to_lowercase());
                            self.keep(&path, &[&lower])
                                .then(|| (k.clone(), self.trim_sub(&path, v)))
                        })
                        .collect();
                    if !kept.is_empty() || self.only.contains(&lower) {
                        out.insert(key, Value::Object(kept));
                    }
                }
                continue;
            }
            if self.keep(&lower, &[]) {
                let trimmed = self.trim_sub(&lower, value);
                out.insert(key, trimmed);
            }
        }
        Value::Object(out)
    }

    /// Whether the attribute at `path` is kept as a whole or in part.
    fn keep(&self, path: &str, parents: &[&str]) -> bool {
        let matches = |p: &String| {
            let p = p.as_str();
            let bare = p.rsplit_once(':').map(|(_, a)| a).unwrap_or(p);
            let path_bare = path.rsplit_once(':').map(|(_, a)| a).unwrap_or(path);
            p == path
                || p.starts_with(&format!("{path}."))
                || (!p.contains(':')
                    && (bare == path_bare || bare.starts_with(&format!("{path_bare}."))))
                || parents.contains(&p)
        };
        if !self.only.is_empty() {
            return self.only.iter().any(matches);
        }
        !self.excluded.iter().any(|p| {
            let bare = p.rsplit_once(':').map(|(_, a)| a).unwrap_or(p);
            let path_bare = path.rsplit_once(':').map(|(_, a)| a).unwrap_or(path);
            p == path || (!p.contains(':') && bare == path_bare)
        })
    }

    /// Keeps only the sub-attributes asked for (`name.givenName`), or drops
    /// the excluded ones.
    fn trim_sub(&self, path: &str, value: Value) -> Value {
        let path_bare = path
            .rsplit_once(':')
            .map(|(_, a)| a)
            .unwrap_or(path)
            .to_owned();
        let subs = |list: &[String]| -> Vec<String> {
            list.iter()
                .filter_map(|p| {
                    let bare = p.rsplit_once(':').map(|(_, a)| a).unwrap_or(p);
                    bare.strip_prefix(&format!("{path_bare}."))
                        .map(str::to_owned)
                })
                .collect()
        };
        let only = subs(&self.only);
        let excluded = subs(&self.excluded);
        let whole = self.only.iter().any(|p| {
            let bare = p.rsplit_once(':').map(|(_, a)| a).unwrap_or(p);
            bare == path_bare
        });
        let filter_obj = |v: Value| -> Value {
            match v {
                Value::Object(m) => Value::Object(
                    m.into_iter()
                        .filter(|(k, _)| {
                            let k = k.to_lowercase();
                            (whole || only.is_empty() || only.contains(&k))
                                && !excluded.contains(&k)
                        })
                        .collect(),
                ),
                other => other,
            }
        };
        if only.is_empty() && excluded.is_empty() {
            return value;
        }
        match value {
            Value::Array(items) => Value::Array(items.into_iter().map(filter_obj).collect()),
            other => filter_obj(other),
        }
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn number(raw: Option<&str>, name: &str, default: u64) -> ScimResult<u64> {
    match raw {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .map(|n| n.max(0) as u64)
            .map_err(|_| {
                ScimError::invalid_value(format!("{name} must be a whole number, not {v:?}"))
            }),
    }
}

impl Query {
    fn build(
        filter: Option<&str>,
        sort_by: Option<&str>,
        sort_order: Option<&str>,
        start_index: u64,
        count: u64,
        projection: Projection,
    ) -> ScimResult<Self> {
        let filter = filter
            .filter(|f| !f.trim().is_empty())
            .map(filter::parse)
            .transpose()?;
        let sort_by = sort_by
            .filter(|s| !s.trim().is_empty())
            .map(|s| filter::attr_path(s.trim()))
            .transpose()
            .map_err(|e| ScimError::invalid_value(format!("sortBy: {}", e.detail)))?;
        let descending = match sort_order.map(|s| s.trim().to_ascii_lowercase()) {
            None => false,
            Some(s) if s == "ascending" => false,
            Some(s) if s == "descending" => true,
            Some(s) => {
                return Err(ScimError::invalid_value(format!(
                    "sortOrder is ascending or descending, not {s:?}"
                )))
            }
        };
        Ok(Query {
            filter,
            sort_by,
            descending,
            // "A value less than 1 SHALL be interpreted as 1."
            start_index: start_index.max(1),
            count: count.min(MAX_RESULTS as u64),
            projection,
        })
    }

    /// From the query string of a GET.
    pub fn from_params(params: &[(String, String)]) -> ScimResult<Self> {
        Self::build(
            param(params, "filter"),
            param(params, "sortBy"),
            param(params, "sortOrder"),
            number(param(params, "startIndex"), "startIndex", 1)?,
            number(param(params, "count"), "count", 100)?,
            Projection::new(
                param(params, "attributes"),
                param(params, "excludedAttributes"),
            ),
        )
    }

    /// From the body of a `POST .search`.
    pub fn from_search(body: &Value) -> ScimResult<Self> {
        let text = |k: &str| filter::field(body, k).and_then(Value::as_str);
        let list = |k: &str| {
            filter::field(body, k).map(|v| match v {
                Value::Array(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                Value::String(s) => s.clone(),
                _ => String::new(),
            })
        };
        let num = |k: &str, default: u64| -> ScimResult<u64> {
            match filter::field(body, k) {
                None | Some(Value::Null) => Ok(default),
                Some(Value::Number(n)) => Ok(n.as_i64().unwrap_or(0).max(0) as u64),
                Some(Value::String(s)) => number(Some(s), k, default),
                Some(_) => Err(ScimError::invalid_value(format!("{k} must be a number"))),
            }
        };
        Self::build(
            text("filter"),
            text("sortBy"),
            text("sortOrder"),
            num("startIndex", 1)?,
            num("count", 100)?,
            Projection::new(
                list("attributes").as_deref(),
                list("excludedAttributes").as_deref(),
            ),
        )
    }
}

/// How many rows `query` (a SELECT without columns) finds.
pub async fn count(
    db: &impl sea_orm::ConnectionTrait,
    query: &sea_orm::sea_query::SelectStatement,
    id: sea_orm::sea_query::Expr,
) -> ScimResult<u64> {
    let mut count = query.clone();
    count.expr(id.count());
    let total: i64 = db
        .query_one(db.get_database_backend().build(&count))
        .await?
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0);
    Ok(total.max(0) as u64)
}

/// A ListResponse.
pub fn response(total: u64, start_index: u64, resources: Vec<Value>) -> Value {
    serde_json::json!({
        "schemas": [LIST],
        "totalResults": total,
        "itemsPerPage": resources.len(),
        "startIndex": start_index,
        "Resources": resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn projection_keeps_what_is_asked() {
        let user = json!({
            "schemas": ["s"], "id": "1", "meta": {"version": "v"},
            "userName": "a", "name": {"givenName": "A", "familyName": "B"},
            "emails": [{"value": "a@x.io", "type": "work"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "D", "employeeNumber": "7"}
        });
        let ext = ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];
        let only = Projection::new(Some("userName,name.givenName"), None).apply(user.clone(), &ext);
        assert_eq!(
            only,
            json!({"schemas": ["s"], "id": "1", "meta": {"version": "v"}, "userName": "a", "name": {"givenName": "A"}})
        );
        let ext_only = Projection::new(
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
            None,
        )
        .apply(user.clone(), &ext);
        assert_eq!(
            ext_only["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            json!({"department": "D"})
        );
        assert!(ext_only.get("userName").is_none());
        let excluded = Projection::new(None, Some("emails,name.familyName")).apply(user, &ext);
        assert!(excluded.get("emails").is_none());
        assert_eq!(excluded["name"], json!({"givenName": "A"}));
        assert_eq!(excluded["userName"], json!("a"));
        assert!(!Projection::new(None, Some("members")).wants("members"));
        assert!(Projection::new(Some("displayName"), None).wants("displayname"));
        assert!(!Projection::new(Some("displayName"), None).wants("members"));
    }

    #[test]
    fn paging_parameters() {
        let q = Query::from_params(&[
            ("startIndex".into(), "0".into()),
            ("count".into(), "5000".into()),
            ("sortOrder".into(), "descending".into()),
        ])
        .unwrap();
        assert_eq!(
            (q.start_index, q.count, q.descending),
            (1, MAX_RESULTS as u64, true)
        );
        assert!(Query::from_params(&[("count".into(), "many".into())]).is_err());
        assert!(Query::from_params(&[("filter".into(), "userName eq".into())]).is_err());
    }
}
