//! Fresh dataloaders for every operation, whatever carried it: an HTTP
//! request, a request of a batch, or an operation on a long-lived socket of
//! either WebSocket protocol. What a loader caches never outlives its
//! operation, so an operation sent over a socket after a change made
//! elsewhere sees the change. (Subscriptions go further: each of their
//! events is resolved with fresh loaders, see `kernel::loaders::of`.)

use std::sync::Arc;

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest},
    Request, ServerResult,
};
use roster_resolvers::{kernel::loaders::Loaders, AppState};

pub struct OperationLoaders;

impl ExtensionFactory for OperationLoaders {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationLoaders)
    }
}

#[async_trait::async_trait]
impl Extension for OperationLoaders {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let request = match ctx.data_opt::<AppState>() {
            Some(state) => request.data(Loaders::new(&state.db)),
            None => request,
        };
        next.run(ctx, request).await
    }
}
