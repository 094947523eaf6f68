//! Shapes every response (HTTP and WebSocket) the way the GraphQL spec and
//! clients expect:
//! - each error gets its `extensions.code` (via `roster_resolvers::kernel::error::classify`);
//! - a failed field is `null` in `data`, and when its type is non-null the
//!   null moves up to the nearest nullable parent (spec §6.4.4 "Handling Field
//!   Errors"). async-graphql 7 leaves a failed field out of its parent object
//!   instead, which breaks clients that read `data.viewer` after an error.
//!
//! The `resolve` hook wraps each field including its whole sub-selection and
//! knows its return type, so failures are propagated bottom-up there; the
//! request hook then writes the nulls into the response.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc, Mutex,
};

use async_graphql::{
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextResolve,
        NextSubscribe, NextValidation, ResolveInfo,
    },
    indexmap::IndexMap,
    parser::types::ExecutableDocument,
    Name, PathSegment, QueryPathNode, QueryPathSegment, Response, ServerError, ServerResult,
    ValidationResult, Value,
};
use futures_util::{stream::BoxStream, StreamExt};
use roster_resolvers::{kernel::error::classify, RequestContext};

pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ResponseShaper::default())
    }
}

type Path = Vec<PathSegment>;

/// One instance per request (or subscription): the factory creates it.
#[derive(Default)]
struct ResponseShaper {
    state: Arc<Failures>,
    /// The document, to tell a bad variable from a bad document.
    query: Mutex<String>,
}

#[derive(Default)]
struct Failures {
    /// Set once a field failed, so the common case costs one atomic load.
    failed: AtomicBool,
    nulls: Mutex<Nulls>,
}

#[derive(Default)]
struct Nulls {
    /// Failures of non-null fields still looking for a nullable ancestor.
    pending: Vec<Path>,
    /// Where `data` must hold null.
    at: Vec<Path>,
}

impl Failures {
    fn take(&self) -> Option<Nulls> {
        if !self.failed.swap(false, Ordering::AcqRel) {
            return None;
        }
        let mut nulls = self.nulls.lock().unwrap_or_else(|e| e.into_inner());
        Some(std::mem::take(&mut *nulls))
    }

    fn shape(&self, mut response: Response, request_id: &str) -> Response {
        if let Some(nulls) = self.take() {
            if !nulls.pending.is_empty() {
                // A non-null root field failed: the whole `data` is null.
                response.data = Value::Null;
            } else {
                for path in &nulls.at {
                    set_null(&mut response.data, path);
                }
            }
        }
        for err in &mut response.errors {
            classify(err, request_id);
        }
        response
    }

    fn record(&self, path_node: &QueryPathNode<'_>, return_type: &str, failed_here: bool) {
        if failed_here {
            self.failed.store(true, Ordering::Release);
        }
        let path = path_of(path_node);
        let mut nulls = self.nulls.lock().unwrap_or_else(|e| e.into_inner());
        let beneath: Vec<Path> = if failed_here {
            Vec::new()
        } else {
            let (beneath, rest) = std::mem::take(&mut nulls.pending)
                .into_iter()
                .partition(|p: &Path| p.len() > path.len() && p.starts_with(&path));
            nulls.pending = rest;
            beneath
        };
        if !failed_here && beneath.is_empty() {
            return;
        }
        if !failed_here && list_items_nullable(return_type) {
            // A failure inside a list item whose type is nullable nulls the item.
            for p in beneath {
                let mut item = path.clone();
                item.push(p[path.len()].clone());
                nulls.at.push(item);
            }
            return;
        }
        if return_type.ends_with('!') {
            nulls.pending.push(path);
        } else {
            nulls.at.push(path);
        }
    }
}

fn request_id(ctx: &ExtensionContext<'_>) -> String {
    ctx.data_opt::<RequestContext>()
        .map(|r| r.request_id.clone())
        .unwrap_or_default()
}

fn path_of(node: &QueryPathNode<'_>) -> Path {
    let mut path = Vec::new();
    let mut current = Some(node);
    while let Some(node) = current {
        path.push(match node.segment {
            QueryPathSegment::Name(name) => PathSegment::Field(name.to_owned()),
            QueryPathSegment::Index(index) => PathSegment::Index(index),
        });
        current = node.parent;
    }
    path.reverse();
    path
}

/// `[Item]` or `[Item]!`: a list whose items may be null.
fn list_items_nullable(return_type: &str) -> bool {
    let ty = return_type.trim_end_matches('!');
    ty.starts_with('[') && ty.ends_with(']') && !ty[..ty.len() - 1].ends_with('!')
}

/// Sets the value at `path` to null, creating the key if it is missing.
fn set_null(data: &mut Value, path: &[PathSegment]) {
    let Some((last, parents)) = path.split_last() else {
        *data = Value::Null;
        return;
    };
    if matches!(data, Value::Null) {
        *data = Value::Object(IndexMap::new());
    }
    let mut current = data;
    for segment in parents {
        current = match (segment, current) {
            (PathSegment::Field(name), Value::Object(fields)) => {
                match fields.get_mut(name.as_str()) {
                    Some(next) => next,
                    None => return,
                }
            }
            (PathSegment::Index(i), Value::List(items)) if *i < items.len() => &mut items[*i],
            _ => return,
        };
    }
    match (last, current) {
        (PathSegment::Field(name), Value::Object(fields)) => {
            fields.insert(Name::new(name), Value::Null);
        }
        (PathSegment::Index(i), Value::List(items)) if *i < items.len() => items[*i] = Value::Null,
        _ => {}
    }
}

impl ResponseShaper {
    /// Whether `err` is about an argument whose value is a variable.
    fn bad_variable(&self, err: &ServerError) -> bool {
        if !err.message.starts_with("Invalid value for argument") {
            return false;
        }
        let (Some(at), Ok(query)) = (err.locations.first(), self.query.lock()) else {
            return false;
        };
        let Some(line) = query.lines().nth(at.line.saturating_sub(1)) else {
            return false;
        };
        let rest: String = line.chars().skip(at.column.saturating_sub(1)).collect();
        rest.split_once(':')
            .is_some_and(|(_, value)| value.trim_start().starts_with('$'))
    }
}

/// Gives `err` `code` unless it already has one.
fn with_code(mut err: ServerError, code: &str) -> ServerError {
    let extensions = err
        .extensions
        .get_or_insert_with(async_graphql::ErrorExtensionValues::default);
    if extensions.get("code").is_none() {
        extensions.set("code", code);
    }
    err
}

#[async_trait::async_trait]
impl Extension for ResponseShaper {
    /// A document that does not parse: GRAPHQL_PARSE_FAILED, so a client
    /// tells a broken document from bad data.
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &async_graphql::Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let Ok(mut kept) = self.query.lock() {
            kept.clear();
            kept.push_str(query);
        }
        next.run(ctx, query, variables)
            .await
            .map_err(|err| with_code(err, "GRAPHQL_PARSE_FAILED"))
    }

    /// A document that does not fit the schema (unknown fields, wrong
    /// argument types, missing variables): GRAPHQL_VALIDATION_FAILED. A
    /// variable whose value has the wrong type is bad data, not a bad
    /// document: BAD_USER_INPUT. Limits keep their own codes.
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|err| {
                    // `classify` codes async-graphql's limits LIMIT_EXCEEDED.
                    if roster_resolvers::kernel::error::LIMIT_MESSAGES
                        .iter()
                        .any(|m| err.message.contains(m))
                    {
                        err
                    } else if self.bad_variable(&err) {
                        with_code(err, "BAD_USER_INPUT")
                    } else {
                        with_code(err, "GRAPHQL_VALIDATION_FAILED")
                    }
                })
                .collect()
        })
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let id = request_id(ctx);
        let response = next.run(ctx).await;
        self.state.shape(response, &id)
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let id = request_id(ctx);
        // Each event is resolved before it is yielded, so the state drained
        // here belongs to that event.
        let state = self.state.clone();
        next.run(ctx, stream)
            .map(move |response| state.shape(response, &id))
            .boxed()
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let path_node = info.path_node;
        let return_type = info.return_type;
        let result = next.run(ctx, info).await;
        let failed_here = result.is_err();
        if failed_here || self.state.failed.load(Ordering::Acquire) {
            self.state.record(path_node, return_type, failed_here);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{value, PathSegment};

    use super::{list_items_nullable, set_null};

    fn field(name: &str) -> PathSegment {
        PathSegment::Field(name.into())
    }

    #[test]
    fn nulls_are_written_where_fields_failed() {
        let mut data = value!(null);
        set_null(&mut data, &[field("viewer")]);
        assert_eq!(data, value!({ "viewer": null }));

        let mut data = value!({ "a": { "b": 1 }, "list": [{ "x": 1 }, { "x": 2 }] });
        set_null(&mut data, &[field("a"), field("c")]);
        set_null(&mut data, &[field("list"), PathSegment::Index(1)]);
        assert_eq!(
            data,
            value!({ "a": { "b": 1, "c": null }, "list": [{ "x": 1 }, null] })
        );
    }

    #[test]
    fn list_item_nullability() {
        assert!(list_items_nullable("[Node]!"));
        assert!(list_items_nullable("[Node]"));
        assert!(!list_items_nullable("[Node!]!"));
        assert!(!list_items_nullable("Node"));
    }
}
