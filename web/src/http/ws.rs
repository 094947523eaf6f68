//! GraphQL over WebSocket: `graphql-transport-ws` (served by
//! `transport_ws`), and the legacy `graphql-ws` subprotocol (by
//! async-graphql). The bearer token comes in the `connection_init` payload
//! (or the upgrade request's Authorization header); an invalid token
//! refuses the connection.

use async_graphql::{http::WebSocketProtocols, Data as GqlData};
use async_graphql_poem::{GraphQLProtocol, GraphQLWebSocket};
use poem::{
    handler,
    web::{websocket::WebSocket, Data},
    IntoResponse, Request,
};
use roster_resolvers::{kernel::auth::Auth, RequestContext};

use super::{auth, App};

#[handler]
pub async fn subscribe(
    req: &Request,
    protocol: GraphQLProtocol,
    websocket: WebSocket,
    Data(app): Data<&App>,
) -> impl IntoResponse {
    let app = app.clone();
    let header = auth::authorization(req.headers());
    let client_address = auth::client_address(req);
    // tungstenite reserves 128 KiB per direction by default; sockets mostly
    // idle between small messages, so small buffers keep 10,000 of them
    // cheap. Messages may still be as large as an HTTP body.
    let config = poem::web::websocket::WebSocketConfig::default()
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .max_message_size(Some(super::graphql::MAX_JSON_BYTES))
        .max_frame_size(Some(super::graphql::MAX_JSON_BYTES));
    websocket
        .config(config)
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        // Each protocol's future is boxed on its own, so a socket's task
        // holds its protocol's state and no room for the other's.
        .on_upgrade(
            move |stream| -> futures_util::future::BoxFuture<'static, ()> {
                if protocol.0 == WebSocketProtocols::GraphQLWS {
                    return Box::pin(super::transport_ws::serve(
                        stream,
                        app,
                        header,
                        client_address,
                    ));
                }
                Box::pin(legacy(stream, app, header, client_address, protocol))
            },
        )
}

/// The legacy `graphql-ws` protocol (subscriptions-transport-ws), served by
/// async-graphql's handler.
async fn legacy(
    stream: poem::web::websocket::WebSocketStream,
    app: App,
    header: Option<String>,
    client_address: Option<String>,
    protocol: GraphQLProtocol,
) {
    let executor = roster_schema::Executor(app.schema.clone());
    GraphQLWebSocket::new(stream, executor, protocol)
        .on_connection_init(move |payload| async move {
            let credentials = auth::from_init_payload(&payload).or(header);
            let request_id = auth::new_request_id();
            let auth = auth::resolve(&app.state, credentials.as_deref())
                .await
                .map_err(|err| {
                    tracing::error!(%err, request_id, "cannot resolve a socket's session");
                    async_graphql::Error::new("Service unavailable")
                })?;
            if let Auth::Invalid(why) = &auth {
                return Err(async_graphql::Error::new(why.clone()));
            }
            let mut data = GqlData::default();
            data.insert(RequestContext {
                request_id,
                auth,
                client_address: client_address.clone(),
            });
            Ok(data)
        })
        .serve()
        .await
}
