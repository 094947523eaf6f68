//! GraphiQL (served from the binary, so it works without internet access)
//! and the health endpoints.

use poem::{
    handler,
    http::{header, StatusCode},
    web::{Data, Html, Json, Path},
    IntoResponse, Response,
};
use serde_json::json;

use super::App;

const GRAPHIQL_HTML: &str = include_str!("../../assets/graphiql/index.html");

/// Files the GraphiQL page loads, by name (see assets/graphiql/).
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
    (
        "graphql-ws.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphql-ws.min.js"),
    ),
    (
        "THIRD_PARTY_LICENSES.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../../assets/graphiql/THIRD_PARTY_LICENSES.txt"),
    ),
];

/// The page an invitation link opens: choose a password and accept (or
/// decline), through the `acceptInvitation` mutation.
#[handler]
pub fn accept_invitation() -> Html<&'static str> {
    Html(include_str!("../../assets/accept-invitation.html"))
}

/// GraphiQL, pointed at this server's HTTP and WebSocket endpoints.
#[handler]
pub fn graphiql() -> Html<&'static str> {
    graphiql_page()
}

pub fn graphiql_page() -> Html<&'static str> {
    Html(GRAPHIQL_HTML)
}

#[handler]
pub fn graphiql_asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, bytes)) => Response::builder()
            .header(header::CONTENT_TYPE, *content_type)
            .header(header::CACHE_CONTROL, "public, max-age=86400")
            .body(*bytes),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Prometheus metrics.
#[handler]
pub async fn metrics(Data(app): Data<&super::App>) -> Response {
    Response::builder()
        .header(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )
        .body(crate::metrics::render(&app.state.db).await)
}

/// The process is up.
#[handler]
pub fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// The process can serve: its database answers.
#[handler]
pub async fn readyz(Data(app): Data<&App>) -> Response {
    if app.state.stopping.is_set() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": "shutting down" })),
        )
            .into_response();
    }
    match app.state.db.ping().await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(err) => {
            tracing::warn!(%err, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "reason": "database does not answer" })),
            )
                .into_response()
        }
    }
}
