//! PATCH (RFC 7644 §3.5.2): the operations are applied to the resource's
//! JSON, and the result is saved like a PUT. Covers add, replace and remove
//! with and without a path, value filters (`members[value eq "…"]`,
//! `emails[type eq "work"].value`), extension URNs, and what identity
//! providers send in practice: Entra ID's capitalised ops, dotted or URN
//! keys in a path-less value, and `remove` of listed members.

use serde_json::{Map, Value};

use super::discovery::PATCH_OP;
use super::error::{ScimError, ScimResult};
use super::filter::{self, matches, parse_path, Filter, Literal, Op, PatchPath};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Add,
    Replace,
    Remove,
}

fn key_of(map: &Map<String, Value>, name: &str) -> Option<String> {
    map.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// Applies the PatchOp `body` to `resource`. `extensions` are the URNs of
/// the resource's schema extensions (their attributes live under the URN).
pub fn apply(mut resource: Value, body: &Value, extensions: &[&str]) -> ScimResult<Value> {
    let schemas_ok = filter::field(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|s| s.as_str() == Some(PATCH_OP)));
    if !schemas_ok {
        return Err(ScimError::invalid_syntax(format!(
            "a PATCH body has schemas [\"{PATCH_OP}\"]"
        )));
    }
    let ops = filter::field(body, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::invalid_syntax("a PATCH body has Operations"))?;
    for op in ops {
        let kind = match filter::field(op, "op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
        {
            Some(k) if k == "add" => Kind::Add,
            Some(k) if k == "replace" => Kind::Replace,
            Some(k) if k == "remove" => Kind::Remove,
            other => {
                return Err(ScimError::invalid_syntax(format!(
                    "op must be add, replace or remove, not {other:?}"
                )))
            }
        };
        let value = filter::field(op, "value").cloned();
        match filter::field(op, "path").and_then(Value::as_str) {
            Some(path)
                if extensions
                    .iter()
                    .any(|e| e.eq_ignore_ascii_case(path.trim())) =>
            {
                let urn = extensions
                    .iter()
                    .find(|e| e.eq_ignore_ascii_case(path.trim()))
                    .copied()
                    .unwrap_or_default();
                whole_extension(&mut resource, urn, kind, value)?;
            }
            Some(path) if !path.trim().is_empty() => {
                let path = parse_path(path.trim())?;
                if kind != Kind::Remove && value.is_none() {
                    return Err(ScimError::invalid_value("add and replace need a value"));
                }
                at_path(&mut resource, &path, kind, value, extensions)?;
            }
            _ => {
                if kind == Kind::Remove {
                    return Err(ScimError::no_target("remove needs a path"));
                }
                let Some(Value::Object(map)) = value else {
                    return Err(ScimError::invalid_value(
                        "without a path, the value is an object of attributes",
                    ));
                };
                for (key, v) in map {
                    if let Some(urn) = extensions.iter().find(|e| e.eq_ignore_ascii_case(&key)) {
                        // `{"urn:…:User": {"department": "x"}}`
                        let Value::Object(inner) = v else {
                            return Err(ScimError::invalid_value(format!("{key} is an object")));
                        };
                        for (k, v) in inner {
                            if k.eq_ignore_ascii_case("schemas") {
                                continue;
                            }
                            let path = parse_path(&format!("{urn}:{k}"))?;
                            at_path(&mut resource, &path, kind, Some(v), extensions)?;
                        }
                        continue;
                    }
                    let path = parse_path(&key)?;
                    at_path(&mut resource, &path, kind, Some(v), extensions)?;
                }
            }
        }
    }
    Ok(resource)
}

/// `path` is an extension's URN: the extension object as a whole (its
/// `schemas` key, which some clients send inside, is dropped).
fn whole_extension(
    resource: &mut Value,
    urn: &str,
    kind: Kind,
    value: Option<Value>,
) -> ScimResult<()> {
    let root = resource
        .as_object_mut()
        .ok_or_else(|| ScimError::internal("resource is not an object"))?;
    let key = key_of(root, urn);
    if kind == Kind::Remove {
        if let Some(k) = key {
            root.remove(&k);
        }
        return Ok(());
    }
    let Some(Value::Object(mut value)) = value else {
        return Err(ScimError::invalid_value(format!("{urn} takes an object")));
    };
    value.retain(|k, _| !k.eq_ignore_ascii_case("schemas"));
    match (kind, key) {
        (Kind::Add, Some(k)) => merge(root.get_mut(&k).expect("present"), Value::Object(value)),
        (_, Some(k)) => {
            root.insert(k, Value::Object(value));
        }
        (_, None) => {
            root.insert(urn.to_owned(), Value::Object(value));
        }
    }
    Ok(())
}

/// The object the path's attribute lives in: the resource, or the
/// extension object named by the URN (created when needed).
fn container<'a>(
    resource: &'a mut Value,
    path: &PatchPath,
    extensions: &[&str],
    create: bool,
) -> ScimResult<Option<&'a mut Map<String, Value>>> {
    let root = resource
        .as_object_mut()
        .ok_or_else(|| ScimError::internal("resource is not an object"))?;
    let Some(urn) = &path.attr.urn else {
        return Ok(Some(root));
    };
    if let Some(ext) = extensions.iter().find(|e| e.eq_ignore_ascii_case(urn)) {
        let key = match key_of(root, ext) {
            Some(k) => k,
            None if create => {
                root.insert((*ext).to_owned(), Value::Object(Map::new()));
                (*ext).to_owned()
            }
            None => return Ok(None),
        };
        return Ok(root.get_mut(&key).and_then(Value::as_object_mut));
    }
    // The core schema's URN names the resource itself.
    let core = root
        .get("schemas")
        .and_then(Value::as_array)
        .and_then(|s| s.first())
        .and_then(Value::as_str)
        .is_some_and(|c| c.eq_ignore_ascii_case(urn));
    if core {
        Ok(Some(root))
    } else {
        Err(ScimError::invalid_path(format!("unknown schema {urn}")))
    }
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(_), Value::Object(_)) => {
            match (filter::field(a, "value"), filter::field(b, "value")) {
                (Some(x), Some(y)) => x == y,
                _ => a == b,
            }
        }
        _ => a == b,
    }
}

fn merge(target: &mut Value, value: Value) {
    match (target, value) {
        (Value::Object(t), Value::Object(v)) => {
            for (k, v) in v {
                let key = key_of(t, &k).unwrap_or(k);
                t.insert(key, v);
            }
        }
        (t, v) => *t = v,
    }
}

/// Builds the element an `add`/`replace` with a filter creates when no
/// element matches: `emails[type eq "work"].value` makes `{type: work}`.
fn element_from(filter: &Filter) -> Option<Map<String, Value>> {
    match filter {
        Filter::Compare(p, Op::Eq, lit) if p.sub.is_none() => {
            let v = match lit {
                Literal::Str(s) => Value::String(s.clone()),
                Literal::Bool(b) => Value::Bool(*b),
                Literal::Num(n) => serde_json::Number::from_f64(*n).map(Value::Number)?,
                Literal::Null => return None,
            };
            let mut m = Map::new();
            m.insert(p.attr.clone(), v);
            Some(m)
        }
        Filter::And(a, b) => {
            let mut m = element_from(a)?;
            m.extend(element_from(b)?);
            Some(m)
        }
        _ => None,
    }
}

fn at_path(
    resource: &mut Value,
    path: &PatchPath,
    kind: Kind,
    value: Option<Value>,
    extensions: &[&str],
) -> ScimResult<()> {
    let Some(obj) = container(resource, path, extensions, kind != Kind::Remove)? else {
        return Ok(());
    };
    let attr = &path.attr.attr;
    let existing_key = key_of(obj, attr);
    match (&path.filter, &path.attr.sub) {
        // `attr`
        (None, None) => match kind {
            Kind::Remove => {
                let Some(key) = existing_key else {
                    return Ok(());
                };
                match value {
                    // Entra ID: remove members listed in the value.
                    Some(Value::Array(listed)) if obj[&key].is_array() => {
                        if let Some(items) = obj.get_mut(&key).and_then(Value::as_array_mut) {
                            items.retain(|i| !listed.iter().any(|l| same_value(i, l)));
                        }
                    }
                    _ => {
                        obj.remove(&key);
                    }
                }
            }
            Kind::Add => {
                let value = value.unwrap_or(Value::Null);
                match existing_key {
                    Some(key) if obj[&key].is_array() => {
                        let items = obj
                            .get_mut(&key)
                            .and_then(Value::as_array_mut)
                            .expect("array");
                        let new = match value {
                            Value::Array(a) => a,
                            v => vec![v],
                        };
                        for v in new {
                            if !items.iter().any(|i| same_value(i, &v)) {
                                items.push(v);
                            }
                        }
                    }
                    Some(key) if obj[&key].is_object() && value.is_object() => {
                        merge(obj.get_mut(&key).expect("object"), value)
                    }
                    Some(key) => {
                        obj.insert(key, value);
                    }
                    None => {
                        obj.insert(attr.clone(), value);
                    }
                }
            }
            Kind::Replace => {
                let value = value.unwrap_or(Value::Null);
                match existing_key {
                    Some(key) if obj[&key].is_object() && value.is_object() => {
                        merge(obj.get_mut(&key).expect("object"), value)
                    }
                    Some(key) => {
                        obj.insert(key, value);
                    }
                    None => {
                        obj.insert(attr.clone(), value);
                    }
                }
            }
        },
        // `attr.sub`
        (None, Some(sub)) => {
            let key = match existing_key {
                Some(k) => k,
                None if kind == Kind::Remove => return Ok(()),
                None => {
                    obj.insert(attr.clone(), Value::Object(Map::new()));
                    attr.clone()
                }
            };
            let set = |target: &mut Value| {
                if let Value::Object(m) = target {
                    let k = key_of(m, sub).unwrap_or_else(|| sub.clone());
                    match kind {
                        Kind::Remove => {
                            m.remove(&k);
                        }
                        _ => {
                            m.insert(k, value.clone().unwrap_or(Value::Null));
                        }
                    }
                }
            };
            match obj.get_mut(&key) {
                Some(Value::Array(items)) => items.iter_mut().for_each(set),
                Some(v @ Value::Object(_)) => set(v),
                Some(v) if kind != Kind::Remove => {
                    *v = Value::Object(Map::new());
                    set(v)
                }
                _ => {}
            }
        }
        // `attr[filter]` and `attr[filter].sub`
        (Some(filter), _) => {
            let sub = path.sub.clone();
            let key = existing_key.unwrap_or_else(|| attr.clone());
            let items = obj
                .entry(key.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(items) = items else {
                return Err(ScimError::invalid_path(format!(
                    "{attr} is not multi-valued"
                )));
            };
            let hits: Vec<usize> = (0..items.len())
                .filter(|i| matches(filter, &items[*i]))
                .collect();
            if hits.is_empty() {
                if kind == Kind::Remove {
                    return Ok(());
                }
                // Entra ID adds through a filter: make the element.
                let Some(mut element) = element_from(filter) else {
                    return Err(ScimError::no_target(format!(
                        "no {attr} matches the filter"
                    )));
                };
                match (&sub, value) {
                    (Some(s), Some(v)) => {
                        element.insert(s.clone(), v);
                    }
                    (None, Some(Value::Object(v))) => element.extend(v),
                    _ => return Err(ScimError::invalid_value("the value does not fit the path")),
                }
                items.push(Value::Object(element));
                return Ok(());
            }
            match (kind, &sub) {
                (Kind::Remove, None) => {
                    let mut i = 0;
                    items.retain(|_| {
                        let keep = !hits.contains(&i);
                        i += 1;
                        keep
                    });
                }
                (Kind::Remove, Some(s)) => {
                    for i in hits {
                        if let Value::Object(m) = &mut items[i] {
                            if let Some(k) = key_of(m, s) {
                                m.remove(&k);
                            }
                        }
                    }
                }
                (_, Some(s)) => {
                    for i in hits {
                        if let Value::Object(m) = &mut items[i] {
                            let k = key_of(m, s).unwrap_or_else(|| s.clone());
                            m.insert(k, value.clone().unwrap_or(Value::Null));
                        }
                    }
                }
                (Kind::Add | Kind::Replace, None) => {
                    for i in hits {
                        merge(&mut items[i], value.clone().unwrap_or(Value::Null));
                    }
                }
            }
            if items.is_empty() {
                obj.remove(&key);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const EXT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn body(ops: Value) -> Value {
        json!({"schemas": [PATCH_OP], "Operations": ops})
    }

    fn user() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "a", "active": true,
            "name": {"givenName": "A", "familyName": "B"},
            "emails": [{"value": "a@x.io", "type": "work", "primary": true}]
        })
    }

    #[test]
    fn entra_style_operations() {
        let out = apply(
            user(),
            &body(json!([
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Add", "value": {"name.givenName": "Al", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Ops"}},
                {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "1234"},
            ])),
            &[EXT],
        )
        .unwrap();
        assert_eq!(out["active"], json!("False"));
        assert_eq!(out["name"]["givenName"], json!("Al"));
        assert_eq!(out["name"]["familyName"], json!("B"));
        assert_eq!(out[EXT]["department"], json!("Ops"));
        assert_eq!(
            out["phoneNumbers"],
            json!([{"type": "work", "value": "1234"}])
        );
    }

    #[test]
    fn members_add_and_remove() {
        let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G", "members": [{"value": "1"}, {"value": "2"}]});
        let out = apply(
            group,
            &body(json!([
                {"op": "add", "path": "members", "value": [{"value": "2"}, {"value": "3"}]},
                {"op": "remove", "path": "members[value eq \"1\"]"},
                {"op": "remove", "path": "members", "value": [{"value": "3"}]},
                {"op": "replace", "value": {"displayName": "H"}},
            ])),
            &[],
        )
        .unwrap();
        assert_eq!(out["members"], json!([{"value": "2"}]));
        assert_eq!(out["displayName"], json!("H"));
        let emptied = apply(
            out,
            &body(json!([{"op": "remove", "path": "members"}])),
            &[],
        )
        .unwrap();
        assert!(emptied.get("members").is_none());
    }

    #[test]
    fn refuses_bad_operations() {
        for (ops, kind) in [
            (
                json!([{"op": "move", "path": "a", "value": 1}]),
                "invalidSyntax",
            ),
            (json!([{"op": "remove"}]), "noTarget"),
            (
                json!([{"op": "add", "path": "emails[", "value": 1}]),
                "invalidPath",
            ),
            (
                json!([{"op": "replace", "path": "emails[value sw \"z\"]", "value": {"value": "z@x.io"}}]),
                "noTarget",
            ),
            (json!([{"op": "add", "value": 3}]), "invalidValue"),
        ] {
            let err = apply(user(), &body(ops.clone()), &[EXT]).unwrap_err();
            assert_eq!(err.scim_type, Some(kind), "{ops}");
        }
        assert_eq!(
            apply(user(), &json!({"Operations": []}), &[])
                .unwrap_err()
                .scim_type,
            Some("invalidSyntax")
        );
    }
}
