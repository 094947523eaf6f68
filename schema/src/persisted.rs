//! Persisted queries (Apollo's protocol: `extensions.persistedQuery` =
//! `{ version: 1, sha256Hash }`) and trusted documents.
//!
//! - A hash without text runs the document the server learnt under that
//!   hash, or fails with PERSISTED_QUERY_NOT_FOUND (message
//!   `PersistedQueryNotFound`), upon which clients send hash and text.
//! - A hash with text is checked against the text, learnt, and run.
//! - With trusted documents configured, only registered documents run
//!   (by hash, or by their exact text); anything else fails with
//!   PERSISTED_QUERY_NOT_IN_LIST, and nothing new is learnt.
//!
//! GET requests carry `QueriesOnly`: the document a hash stands for must
//! be a query there too.

use std::sync::Arc;

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest},
    parser::types::{DocumentOperations, OperationType},
    Request, ServerError, ServerResult,
};
use roster_resolvers::{kernel::documents, AppState};

/// Request data of a GET request: only queries may run.
pub struct QueriesOnly;

pub struct PersistedQueries;

impl ExtensionFactory for PersistedQueries {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PersistedQueries)
    }
}

fn error(code: &str, message: &str) -> ServerError {
    let mut err = ServerError::new(message, None);
    err.extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    err
}

fn not_in_list() -> ServerError {
    error(
        "PERSISTED_QUERY_NOT_IN_LIST",
        "This server runs only registered operations, and this one is not registered",
    )
}

/// The hash of the request's `persistedQuery` extension, if it has one.
fn persisted_hash(request: &mut Request) -> ServerResult<Option<String>> {
    let Some(value) = request.extensions.remove("persistedQuery") else {
        return Ok(None);
    };
    let json = value
        .into_json()
        .map_err(|_| error("BAD_USER_INPUT", "Invalid `persistedQuery` extension"))?;
    if json.get("version").and_then(|v| v.as_i64()) != Some(1) {
        return Err(error(
            "BAD_USER_INPUT",
            "Only version 1 of the `persistedQuery` extension is supported",
        ));
    }
    let hash = json
        .get("sha256Hash")
        .and_then(|h| h.as_str())
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| {
            error(
                "BAD_USER_INPUT",
                "`persistedQuery.sha256Hash` must be a SHA-256 in hex",
            )
        })?;
    Ok(Some(hash.to_ascii_lowercase()))
}

/// Replaces the request's persisted reference by its document.
async fn resolve(docs: &documents::Documents, request: &mut Request) -> ServerResult<()> {
    let hash = persisted_hash(request)?;
    if let Some(trusted) = &docs.trusted {
        let text = match &hash {
            Some(hash) => trusted.get(hash).ok_or_else(not_in_list)?,
            None if trusted.contains_text(&request.query) => return Ok(()),
            None => return Err(not_in_list()),
        };
        if !request.query.is_empty() && *request.query != *text {
            return Err(not_in_list());
        }
        request.query = text.to_string();
        return Ok(());
    }
    let Some(hash) = hash else {
        return Ok(());
    };
    if request.query.is_empty() {
        let text = docs
            .get(&hash)
            .await
            .ok_or_else(|| error("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound"))?;
        request.query = text.to_string();
    } else {
        if documents::hash(&request.query) != hash {
            return Err(error("BAD_USER_INPUT", "provided sha does not match query"));
        }
        docs.put(&hash, &request.query).await;
    }
    Ok(())
}

/// The type of the operation `request` will run, when it can be told: a
/// broken document, or several operations without `operationName`, give
/// `None` (and fail later with their own error).
pub fn operation_type(request: &Request) -> Option<OperationType> {
    let doc = async_graphql::parser::parse_query(&request.query).ok()?;
    match doc.operations {
        DocumentOperations::Single(op) => Some(op.node.ty),
        // Named operations: the one asked for, or the only one.
        DocumentOperations::Multiple(ops) => match request.operation_name.as_deref() {
            Some(name) => ops.get(name).map(|op| op.node.ty),
            None if ops.len() == 1 => ops.values().next().map(|op| op.node.ty),
            None => None,
        },
    }
}

#[async_trait::async_trait]
impl Extension for PersistedQueries {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if let Some(state) = ctx.data_opt::<AppState>() {
            let referenced = request.query.is_empty();
            resolve(&state.documents, &mut request).await?;
            let get = request
                .data
                .contains_key(&std::any::TypeId::of::<QueriesOnly>());
            if get
                && referenced
                && operation_type(&request).is_some_and(|ty| ty != OperationType::Query)
            {
                return Err(error(
                    "BAD_USER_INPUT",
                    "Only queries can be sent with GET; send mutations and subscriptions with POST",
                ));
            }
        }
        next.run(ctx, request).await
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{parser::types::OperationType, Request};

    use super::operation_type;

    #[test]
    fn operation_types() {
        let q = |s: &str| Request::new(s);
        assert_eq!(
            operation_type(&q("{ viewer { id } }")),
            Some(OperationType::Query)
        );
        assert_eq!(
            operation_type(&q("mutation { logout { ended } }")),
            Some(OperationType::Mutation)
        );
        // Named, without operationName: the only operation.
        assert_eq!(
            operation_type(&q("mutation SignOut { logout { ended } }")),
            Some(OperationType::Mutation)
        );
        assert_eq!(operation_type(&q("{ broken")), None);
        assert_eq!(operation_type(&q("query A { a } mutation B { b }")), None);
        let multi = q("query A { a } mutation B { b }").operation_name("B");
        assert_eq!(operation_type(&multi), Some(OperationType::Mutation));
    }
}
