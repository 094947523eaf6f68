//! Running operations: the executor's entry points behind plain, boxed
//! functions of this crate.
//!
//! Release builds do not share generic code between crates: each crate
//! that awaited `Schema::execute…` compiled its own copy of the executor
//! (and, before async-graphql's `boxed-trait` feature was on, of every
//! resolver's state machine: about 190 s of the server crate's cold
//! release build). Behind these functions the copy is made once, here;
//! callers only poll a boxed future or stream.

use std::sync::Arc;

use async_graphql::{BatchRequest, BatchResponse, Data, Request, Response};
use futures_util::{future::BoxFuture, stream::BoxStream};

use crate::RosterSchema;

/// Runs a request or a batch (GraphQL over HTTP).
pub fn execute_batch(
    schema: &RosterSchema,
    batch: BatchRequest,
) -> BoxFuture<'static, BatchResponse> {
    let schema = schema.clone();
    Box::pin(async move { schema.execute_batch(batch).await })
}

/// Runs an operation of any kind as a stream of responses (one for a
/// query or mutation, one per event for a subscription).
pub fn execute_stream(
    schema: &RosterSchema,
    request: Request,
    session_data: Option<Arc<Data>>,
) -> BoxStream<'static, Response> {
    schema.execute_stream_with_session_data(request, session_data.unwrap_or_default())
}

/// The schema as an `async_graphql::Executor` for protocol handlers that
/// take one (the legacy `graphql-ws` handler), through the functions above.
#[derive(Clone)]
pub struct Executor(pub RosterSchema);

#[async_trait::async_trait]
impl async_graphql::Executor for Executor {
    async fn execute(&self, request: Request) -> Response {
        self.0.execute(request).await
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        execute_stream(&self.0, request, session_data)
    }
}
