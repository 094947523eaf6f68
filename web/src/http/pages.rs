//! GraphiQL and the health endpoints.

use async_graphql::http::GraphiQLSource;
use poem::{
    handler,
    http::StatusCode,
    web::{Data, Html, Json},
    IntoResponse, Response,
};
use serde_json::json;

use super::App;

/// GraphiQL, pointed at this server's HTTP and WebSocket endpoints.
#[handler]
pub fn graphiql() -> Html<String> {
    graphiql_page()
}

pub fn graphiql_page() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("Roster · GraphiQL")
            .finish(),
    )
}

/// The process is up.
#[handler]
pub fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// The process can serve: its database answers.
#[handler]
pub async fn readyz(Data(app): Data<&App>) -> Response {
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
