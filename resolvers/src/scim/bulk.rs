//! `/Bulk` (RFC 7644 §3.7): many operations in one request, with `bulkId`
//! references between them (a group's members may name users created in
//! the same request) and `failOnErrors`. Consecutive user creations are
//! added together through the users feature, so an initial sync of
//! thousands of users takes a few transactions; if such a batch fails, its
//! users are added one by one so that each gets its own answer.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::discovery::{BULK_MAX_OPERATIONS, BULK_REQUEST, BULK_RESPONSE};
use super::error::{ScimError, ScimResult};
use super::filter::field;
use super::{users, Actor};

/// Users created together at most.
const BATCH: usize = 1_000;

struct Operation {
    method: String,
    bulk_id: Option<String>,
    path: String,
    data: Option<Value>,
    version: Option<String>,
}

fn parse(body: &Value) -> ScimResult<(Vec<Operation>, Option<usize>)> {
    let schemas_ok = field(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|s| s.as_str() == Some(BULK_REQUEST)));
    if !schemas_ok {
        return Err(ScimError::invalid_syntax(format!(
            "a bulk request has schemas [\"{BULK_REQUEST}\"]"
        )));
    }
    let fail_on_errors = match field(body, "failOnErrors") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().filter(|n| *n >= 1).ok_or_else(|| {
            ScimError::invalid_value("failOnErrors is a whole number of at least 1")
        })? as usize),
    };
    let ops = field(body, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::invalid_syntax("a bulk request has Operations"))?;
    if ops.len() > BULK_MAX_OPERATIONS {
        return Err(ScimError::new(
            413,
            None,
            format!(
                "a bulk request has at most {BULK_MAX_OPERATIONS} operations, this one {}",
                ops.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(ops.len());
    let mut seen = std::collections::HashSet::new();
    for (i, op) in ops.iter().enumerate() {
        let method = field(op, "method")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase)
            .ok_or_else(|| ScimError::invalid_syntax(format!("operation {i} has no method")))?;
        let path = field(op, "path")
            .and_then(Value::as_str)
            .ok_or_else(|| ScimError::invalid_syntax(format!("operation {i} has no path")))?
            .to_owned();
        let bulk_id = field(op, "bulkId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if method == "POST" && bulk_id.is_none() {
            return Err(ScimError::invalid_syntax(format!(
                "operation {i}: a POST needs a bulkId"
            )));
        }
        if let Some(b) = &bulk_id {
            if !seen.insert(b.clone()) {
                return Err(ScimError::invalid_syntax(format!(
                    "bulkId {b:?} is used twice"
                )));
            }
        }
        out.push(Operation {
            method,
            bulk_id,
            path,
            data: field(op, "data").cloned(),
            version: field(op, "version")
                .and_then(Value::as_str)
                .map(str::to_owned),
        });
    }
    Ok((out, fail_on_errors))
}

/// The bulkIds a string names: all of it (`"bulkId:u1"`), or inside a
/// PATCH path's filter (`members[value eq "bulkId:u1"]`).
fn named_in(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = s[from..].find("bulkId:") {
        let start = from + at;
        let id_start = start + "bulkId:".len();
        let end = s[id_start..]
            .find(['"', ']', ' ', '/', ')'])
            .map(|e| id_start + e)
            .unwrap_or(s.len());
        if end > id_start {
            out.push((start, end));
        }
        from = end.max(id_start);
    }
    out
}

/// The `bulkId:` references in `v`.
fn references(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            for (start, end) in named_in(s) {
                out.push(s[start + "bulkId:".len()..end].to_owned());
            }
        }
        Value::Array(a) => a.iter().for_each(|i| references(i, out)),
        Value::Object(o) => o.values().for_each(|i| references(i, out)),
        _ => {}
    }
}

/// The `bulkId:` references in a path (`/Groups/bulkId:g`).
fn path_references(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix("bulkId:"))
        .map(str::to_owned)
        .collect()
}

fn substitute_path(path: &str, ids: &HashMap<String, String>) -> String {
    path.split('/')
        .map(
            |s| match s.strip_prefix("bulkId:").and_then(|b| ids.get(b)) {
                Some(id) => id.as_str(),
                None => s,
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

fn substitute(v: &mut Value, ids: &HashMap<String, String>) {
    match v {
        Value::String(s) => {
            let spans = named_in(s);
            if spans.is_empty() {
                return;
            }
            let mut out = String::with_capacity(s.len());
            let mut last = 0;
            for (start, end) in spans {
                out.push_str(&s[last..start]);
                match ids.get(&s[start + "bulkId:".len()..end]) {
                    Some(id) => out.push_str(id),
                    None => out.push_str(&s[start..end]),
                }
                last = end;
            }
            out.push_str(&s[last..]);
            *s = out;
        }
        Value::Array(a) => a.iter_mut().for_each(|i| substitute(i, ids)),
        Value::Object(o) => o.values_mut().for_each(|i| substitute(i, ids)),
        _ => {}
    }
}

fn result(op: &Operation, status: u16, resource: Option<&Value>, base: &str) -> Value {
    let mut r = json!({"method": op.method, "status": status.to_string()});
    if let Some(b) = &op.bulk_id {
        r["bulkId"] = json!(b);
    }
    let location = resource
        .and_then(|v| v["meta"]["location"].as_str().map(str::to_owned))
        .or_else(|| (op.method != "POST").then(|| format!("{base}{}", op.path)));
    if let Some(l) = location {
        r["location"] = json!(l);
    }
    if let Some(v) = resource.and_then(|v| v["meta"]["version"].as_str()) {
        r["version"] = json!(v);
    }
    r
}

fn failure(op: &Operation, err: &ScimError) -> Value {
    let mut r = json!({
        "method": op.method,
        "status": err.status.to_string(),
        "response": err.body(),
    });
    if let Some(b) = &op.bulk_id {
        r["bulkId"] = json!(b);
    }
    if op.method != "POST" {
        r["location"] = json!(op.path);
    }
    r
}

pub async fn run(actor: &Actor, body: &Value) -> ScimResult<Value> {
    let (ops, fail_on_errors) = parse(body)?;
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut results: Vec<Option<Value>> = vec![None; ops.len()];
    let mut errors = 0usize;
    // Operations wait until the bulkIds they name exist: at most one
    // pass per level of nesting.
    let mut pending: Vec<usize> = (0..ops.len()).collect();
    let defined: std::collections::HashSet<&str> =
        ops.iter().filter_map(|o| o.bulk_id.as_deref()).collect();
    'passes: loop {
        let mut progress = false;
        let mut waiting = Vec::new();
        let mut i = 0;
        while i < pending.len() {
            if fail_on_errors.is_some_and(|n| errors >= n) {
                break 'passes;
            }
            let index = pending[i];
            let op = &ops[index];
            let mut refs: Vec<String> = path_references(&op.path);
            if let Some(d) = &op.data {
                references(d, &mut refs);
            }
            let unknown: Vec<&String> = refs
                .iter()
                .filter(|r| !defined.contains(r.as_str()))
                .collect();
            if let Some(u) = unknown.first() {
                errors += 1;
                results[index] = Some(failure(
                    op,
                    &ScimError::invalid_value(format!(
                        "bulkId {u:?} is not defined in this request"
                    )),
                ));
                progress = true;
                i += 1;
                continue;
            }
            if refs.iter().any(|r| !ids.contains_key(r)) {
                waiting.push(index);
                i += 1;
                continue;
            }
            // A run of user creations with no references: add together.
            let is_user_post = |o: &Operation| {
                o.method == "POST" && o.path.trim_matches('/').eq_ignore_ascii_case("Users")
            };
            if is_user_post(op) && refs.is_empty() {
                let mut run = vec![index];
                let mut j = i + 1;
                while j < pending.len() && run.len() < BATCH {
                    let next = &ops[pending[j]];
                    let mut r = Vec::new();
                    if let Some(d) = &next.data {
                        references(d, &mut r);
                    }
                    if !is_user_post(next) || !r.is_empty() {
                        break;
                    }
                    run.push(pending[j]);
                    j += 1;
                }
                if run.len() > 1 {
                    let budget = fail_on_errors.map(|n| n - errors);
                    errors += create_users(actor, &ops, &run, &mut results, &mut ids, budget).await;
                    progress = true;
                    i = j;
                    continue;
                }
            }
            let path = substitute_path(&op.path, &ids);
            let mut data = op.data.clone();
            if let Some(d) = &mut data {
                substitute(d, &ids);
            }
            match super::one(
                actor,
                &op.method,
                &path,
                data.as_ref(),
                op.version.as_deref(),
            )
            .await
            {
                Ok((status, resource)) => {
                    if let (Some(b), Some(id)) = (
                        &op.bulk_id,
                        resource.as_ref().and_then(|r| r["id"].as_str()),
                    ) {
                        ids.insert(b.clone(), id.to_owned());
                    }
                    let mut r = result(op, status, resource.as_ref(), &actor.base);
                    if op.method != "POST" {
                        r["location"] = json!(format!("{}{}", actor.base, path));
                    }
                    results[index] = Some(r);
                }
                Err(e) => {
                    errors += 1;
                    results[index] = Some(failure(op, &e));
                }
            }
            progress = true;
            i += 1;
        }
        pending = waiting;
        if pending.is_empty() || !progress {
            break;
        }
    }
    // What still waits names a bulkId that failed, or a cycle.
    if fail_on_errors.is_none_or(|n| errors < n) {
        for index in pending {
            results[index] = Some(failure(
                &ops[index],
                &ScimError::new(
                    409,
                    Some("invalidValue"),
                    "a bulkId this operation names was not created",
                ),
            ));
        }
    }
    Ok(json!({
        "schemas": [BULK_RESPONSE],
        "Operations": results.into_iter().flatten().collect::<Vec<_>>(),
    }))
}

/// Creates the users of `run` together when they all check out, else one
/// by one. Returns the number of failures.
async fn create_users(
    actor: &Actor,
    ops: &[Operation],
    run: &[usize],
    results: &mut [Option<Value>],
    ids: &mut HashMap<String, String>,
    budget: Option<usize>,
) -> usize {
    let mut failures = 0;
    let mut ready = Vec::new();
    let mut one_by_one = Vec::new();
    let mut names = std::collections::HashSet::new();
    let mut bodies: Vec<(usize, &Value)> = Vec::with_capacity(run.len());
    for &index in run {
        match &ops[index].data {
            Some(data) => bodies.push((index, data)),
            None => {
                failures += 1;
                results[index] = Some(failure(
                    &ops[index],
                    &ScimError::invalid_syntax("the operation needs data"),
                ));
            }
        }
    }
    let checked =
        match users::prepare_many(actor, &bodies.iter().map(|(_, b)| *b).collect::<Vec<_>>()).await
        {
            Ok(c) => c,
            Err(e) => {
                for (index, _) in &bodies {
                    failures += 1;
                    results[*index] = Some(failure(&ops[*index], &e));
                }
                return failures;
            }
        };
    for ((index, _), outcome) in bodies.iter().zip(checked) {
        if budget.is_some_and(|b| failures >= b) {
            return failures;
        }
        match outcome {
            Ok(Ok(p)) => {
                // Two operations with one userName: the second is refused
                // by the one-by-one path.
                if names.insert(p.key()) {
                    ready.push((*index, p));
                } else {
                    one_by_one.push(*index);
                }
            }
            Ok(Err(_)) => one_by_one.push(*index),
            Err(e) => {
                failures += 1;
                results[*index] = Some(failure(&ops[*index], &e));
            }
        }
    }
    let indexes: Vec<usize> = ready.iter().map(|(i, _)| *i).collect();
    let prepared: Vec<users::Prepared> = ready.into_iter().map(|(_, p)| p).collect();
    match users::create_many(actor, prepared).await {
        Ok(created) => {
            let rows = users::find_many(&actor.state.db, actor.account_id(), &created).await;
            for (index, id) in indexes.iter().zip(&created) {
                let op = &ops[*index];
                if let Some(b) = &op.bulk_id {
                    ids.insert(b.clone(), id.to_string());
                }
                let resource = rows
                    .as_ref()
                    .ok()
                    .and_then(|r| r.get(id))
                    .map(|row| users::render(&actor.base, row, Some(&[])));
                results[*index] = Some(result(op, 201, resource.as_ref(), &actor.base));
            }
        }
        Err(_) => one_by_one.extend(indexes),
    }
    one_by_one.sort();
    for index in one_by_one {
        if budget.is_some_and(|b| failures >= b) {
            break;
        }
        let op = &ops[index];
        match users::create(actor, op.data.as_ref().expect("checked above")).await {
            Ok(resource) => {
                if let (Some(b), Some(id)) = (&op.bulk_id, resource["id"].as_str()) {
                    ids.insert(b.clone(), id.to_owned());
                }
                results[index] = Some(result(op, 201, Some(&resource), &actor.base));
            }
            Err(e) => {
                failures += 1;
                results[index] = Some(failure(op, &e));
            }
        }
    }
    failures
}
