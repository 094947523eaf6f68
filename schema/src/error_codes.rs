//! Gives every error of every response (HTTP and WebSocket) its
//! `extensions.code`, via `roster_resolvers::error::classify`.

use std::sync::Arc;

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest, NextSubscribe},
    Response,
};
use futures_util::{stream::BoxStream, StreamExt};
use roster_resolvers::{error::classify, RequestContext};

pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

fn request_id(ctx: &ExtensionContext<'_>) -> String {
    ctx.data_opt::<RequestContext>()
        .map(|r| r.request_id.clone())
        .unwrap_or_default()
}

fn classify_all(mut response: Response, request_id: &str) -> Response {
    for err in &mut response.errors {
        classify(err, request_id);
    }
    response
}

#[async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let id = request_id(ctx);
        classify_all(next.run(ctx).await, &id)
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let id = request_id(ctx);
        next.run(ctx, stream)
            .map(move |response| classify_all(response, &id))
            .boxed()
    }
}
