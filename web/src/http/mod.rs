//! The poem host: routes, and serving them until a shutdown signal.

mod auth;
mod avatars;
mod cors;
mod exports;
mod graphql;
mod pages;
mod scim;
mod transport_ws;
mod ws;

use std::{net::SocketAddr, time::Duration};

pub use cors::Cors;
use poem::{
    get,
    listener::{Acceptor, Listener, TcpListener},
    middleware::CatchPanic,
    EndpointExt, Route,
};
use roster_resolvers::AppState;
use roster_schema::RosterSchema;
pub use transport_ws::SocketSettings;

/// What every handler can reach.
#[derive(Clone)]
pub struct App {
    pub schema: RosterSchema,
    pub state: AppState,
    /// Origins allowed to call the API from a browser.
    pub cors: Cors,
    /// Whether GraphiQL is served (at `/` and `/graphiql`).
    pub graphiql: bool,
    /// Timeouts and limits of WebSocket connections.
    pub sockets: SocketSettings,
}

pub fn routes(app: App) -> impl poem::Endpoint {
    let mut route = Route::new();
    if app.graphiql {
        route = route
            .at("/", get(pages::graphiql))
            .at("/graphiql", get(pages::graphiql))
            .at("/graphiql/assets/:name", get(pages::graphiql_asset));
    }
    let cors = app.cors.clone();
    route
        .at("/accept-invitation", get(pages::accept_invitation))
        .at("/graphql", get(graphql::get).post(graphql::post))
        .at("/graphql/ws", get(ws::subscribe))
        .at("/healthz", get(pages::healthz))
        .at("/readyz", get(pages::readyz))
        .at("/metrics", get(pages::metrics))
        .at("/avatars/:name", get(avatars::avatar))
        .at("/exports/customers.csv", get(exports::customers))
        .at("/exports/customers-sample.csv", get(exports::sample))
        .at("/scim/v2", scim::endpoint)
        .at("/scim/v2/*path", scim::endpoint)
        .data(app)
        .with(CatchPanic::new())
        .around(move |ep, req| {
            let cors = cors.clone();
            async move { cors.handle(ep.as_ref(), req).await }
        })
}

/// Serves until SIGINT/SIGTERM. `on_bound` is called with the bound address
/// (useful with port 0) before the first request is accepted.
pub async fn serve(
    app: App,
    listen: SocketAddr,
    shutdown_delay: Duration,
    on_bound: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let stopping = app.state.stopping.clone();
    let acceptor = TcpListener::bind(listen)
        .into_acceptor()
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen} (ROSTER_LISTEN): {e}"))?;
    let bound = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .unwrap_or(listen);
    on_bound(bound);
    poem::Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(
            routes(app),
            async move {
                shutdown_signal().await;
                // Readiness fails first (and the workers head for a batch
                // boundary); the load balancer has `shutdown_delay` to stop
                // sending requests before the listener closes. Requests in
                // flight then get 10 s to finish.
                stopping.stop();
                tokio::time::sleep(shutdown_delay).await;
            },
            Some(Duration::from_secs(10)),
        )
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
}
