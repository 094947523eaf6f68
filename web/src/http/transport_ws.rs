//! The `graphql-transport-ws` protocol (graphql-ws' PROTOCOL.md), served by
//! Roster itself so that every rule of the protocol holds:
//!
//! | close code | when |
//! | --- | --- |
//! | 4400 | a message that is not valid JSON of a known type |
//! | 4401 | `subscribe` before the connection was acknowledged |
//! | 4403 | `connection_init` with an invalid token |
//! | 4408 | no `connection_init` within the init timeout |
//! | 4409 | `subscribe` with the id of an operation still running |
//! | 4429 | a second `connection_init` |
//!
//! A staff socket follows its session: when the user signs out, is
//! suspended, deleted or changes role (on any instance), the socket checks
//! its token again and closes with 4403 unless nothing changed for it. The
//! server pings at the keep-alive interval and answers pings. Each
//! operation gets fresh dataloaders, so nothing cached outlives it, and a
//! connection runs at most `max_operations` operations at once (one more
//! gets an `error` message).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use poem::web::websocket::{CloseCode, Message, WebSocketStream};
use roster_resolvers::{
    kernel::auth::{Auth, Viewer},
    RequestContext,
};
use serde_json::{json, Value};
use tokio_stream::StreamMap;

use super::{auth, App};

/// Timeouts and limits of sockets.
#[derive(Clone, Copy, Debug)]
pub struct SocketSettings {
    /// How long a client has to send `connection_init`.
    pub init_timeout: Duration,
    /// How often the server pings.
    pub keepalive: Duration,
    /// Operations one connection may run at once.
    pub max_operations: usize,
}

impl Default for SocketSettings {
    fn default() -> Self {
        SocketSettings {
            init_timeout: Duration::from_secs(10),
            keepalive: Duration::from_secs(12),
            max_operations: 100,
        }
    }
}

struct Close(u16, String);

pub async fn serve(
    stream: WebSocketStream,
    app: App,
    header: Option<String>,
    client_address: Option<String>,
) {
    let settings = app.sockets;
    let (mut sink, mut incoming) = stream.split();
    let mut context: Option<RequestContext> = None;
    let mut credentials: Option<String> = None;
    let mut init_seen = false;
    let mut sessions = app.state.events.subscribe_sessions();
    // The staff user whose session this socket follows.
    let mut watching: Option<uuid::Uuid> = None;
    // The running operations, polled by this task: an event reaches the
    // socket without a task of its own to wake and a queue to cross.
    let mut running: StreamMap<String, Operation> = StreamMap::new();
    let init_deadline = tokio::time::sleep(settings.init_timeout);
    tokio::pin!(init_deadline);
    let mut keepalive = tokio::time::interval(settings.keepalive);
    keepalive.tick().await;

    let close: Option<Close> = loop {
        tokio::select! {
            () = &mut init_deadline, if context.is_none() => {
                break Some(Close(4408, "Connection initialisation timeout".into()));
            }
            _ = keepalive.tick() => {
                if sink.send(Message::Text(json!({ "type": "ping" }).to_string())).await.is_err() {
                    break None;
                }
            }
            changed = sessions.recv(), if watching.is_some() => {
                use tokio::sync::broadcast::error::RecvError;
                let recheck = match changed {
                    Ok(user_id) => Some(user_id) == watching,
                    // Missed events may have been about this session.
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => {
                        watching = None;
                        false
                    }
                };
                if recheck {
                    let before = context.as_ref().map(|c| &c.auth);
                    let now = Box::pin(auth::resolve(&app.state, credentials.as_deref())).await;
                    let unchanged = matches!((before, &now), (Some(Auth::Staff(a)), Ok(Auth::Staff(b))) if same_rights(a, b));
                    if !unchanged {
                        break Some(Close(4403, "Forbidden: the session ended or changed".into()));
                    }
                }
            }
            Some((id, step)) = running.next(), if !running.is_empty() => {
                let (text, done) = message_of(&id, step);
                if done {
                    running.remove(&id);
                }
                if let Some(text) = text {
                    if sink.send(Message::Text(text)).await.is_err() {
                        break None;
                    }
                }
            }
            message = incoming.next() => {
                let text = match message {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break None,
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Binary(_))) => {
                        break Some(Close(4400, "Binary messages are not part of the protocol".into()));
                    }
                };
                let Ok(message) = serde_json::from_str::<Value>(&text) else {
                    break Some(Close(4400, "Invalid message received".into()));
                };
                match message.get("type").and_then(Value::as_str) {
                    Some("connection_init") => {
                        if init_seen {
                            break Some(Close(4429, "Too many initialisation requests".into()));
                        }
                        init_seen = true;
                        let payload = message.get("payload").cloned().unwrap_or(Value::Null);
                        credentials = auth::from_init_payload(&payload).or_else(|| header.clone());
                        let request_id = auth::new_request_id();
                        // Boxed, as below: a session lookup is rare, and inline its
                        // future would triple the size of every socket's task.
                        let auth = match Box::pin(auth::resolve(&app.state, credentials.as_deref())).await {
                            Ok(auth) => auth,
                            Err(err) => {
                                tracing::error!(%err, request_id, "cannot resolve a socket's session");
                                break Some(Close(1011, "Service unavailable".into()));
                            }
                        };
                        if let Auth::Invalid(why) = &auth {
                            // A close reason holds at most 123 bytes.
                            let reason: String = format!("Forbidden: {why}").chars().take(100).collect();
                            break Some(Close(4403, reason));
                        }
                        if let Auth::Staff(viewer) = &auth {
                            watching = Some(viewer.user_id);
                        }
                        context = Some(RequestContext { request_id, auth, client_address: client_address.clone() });
                        if sink.send(Message::Text(json!({ "type": "connection_ack" }).to_string())).await.is_err() {
                            break None;
                        }
                    }
                    Some("ping") => {
                        let mut pong = json!({ "type": "pong" });
                        if let Some(payload) = message.get("payload") {
                            pong["payload"] = payload.clone();
                        }
                        if sink.send(Message::Text(pong.to_string())).await.is_err() {
                            break None;
                        }
                    }
                    Some("pong") => {}
                    Some("subscribe") => {
                        let Some(ctx) = &context else {
                            break Some(Close(4401, "Unauthorized".into()));
                        };
                        let (Some(id), Some(payload)) = (
                            message.get("id").and_then(Value::as_str).filter(|id| !id.is_empty()),
                            message.get("payload").filter(|p| p.get("query").is_some_and(Value::is_string)),
                        ) else {
                            break Some(Close(4400, "Invalid message received".into()));
                        };
                        if running.contains_key(id) {
                            break Some(Close(4409, format!("Subscriber for {id} already exists")));
                        }
                        if running.len() >= settings.max_operations {
                            let refusal = json!({ "type": "error", "id": id, "payload": [{
                                "message": format!("A connection may run at most {} operations at once", settings.max_operations),
                                "extensions": { "code": "LIMIT_EXCEEDED" },
                            }] });
                            if sink.send(Message::Text(refusal.to_string())).await.is_err() {
                                break None;
                            }
                            continue;
                        }
                        let request = match serde_json::from_value::<async_graphql::Request>(payload.clone()) {
                            Ok(request) => request,
                            Err(_) => break Some(Close(4400, "Invalid message received".into())),
                        };
                        // Every log line of the operation carries the socket's id.
                        let span = tracing::error_span!(
                            "operation",
                            id = %ctx.request_id,
                            operation = %id,
                            otel.name = %format!("graphql {}", request.operation_name.as_deref().unwrap_or("anonymous")),
                        );
                        let results = span.in_scope(|| roster_schema::execute_stream(&app.schema, request.data(ctx.clone()), None));
                        running.insert(id.to_owned(), Operation::new(results, span));
                    }
                    Some("complete") => {
                        if let Some(id) = message.get("id").and_then(Value::as_str) {
                            running.remove(id);
                        }
                    }
                    _ => break Some(Close(4400, "Invalid message received".into())),
                }
            }
        }
    };
    drop(running);
    crate::memory::socket_closed();
    if let Some(Close(code, reason)) = close {
        let _ = sink
            .send(Message::Close(Some((CloseCode::from(code), reason))))
            .await;
    }
    let _ = sink.close().await;
}

/// Whether a session still grants what it granted.
fn same_rights(before: &Viewer, now: &Viewer) -> bool {
    before.user_id == now.user_id
        && before.session_id == now.session_id
        && before.account_id == now.account_id
        && before.role == now.role
        && before.granted == now.granted
}

/// An operation's `next` or `error` message.
#[derive(serde::Serialize)]
struct Outgoing<'a, T: serde::Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    payload: &'a T,
}

/// One running operation: its responses, then `Step::End`, polled inside
/// the span that its log lines carry. Counted as open until dropped.
struct Operation {
    results: futures_util::stream::BoxStream<'static, async_graphql::Response>,
    span: tracing::Span,
    ended: bool,
    first: bool,
}

impl Operation {
    fn new(
        results: futures_util::stream::BoxStream<'static, async_graphql::Response>,
        span: tracing::Span,
    ) -> Self {
        crate::metrics::socket_operations(1);
        Operation {
            results,
            span,
            ended: false,
            first: true,
        }
    }
}

impl Drop for Operation {
    fn drop(&mut self) {
        crate::metrics::socket_operations(-1);
    }
}

/// A response, or the end of the operation.
enum Step {
    /// The operation's first response.
    First(async_graphql::Response),
    Next(async_graphql::Response),
    End,
}

impl futures_util::Stream for Operation {
    type Item = Step;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Step>> {
        use std::task::Poll;
        if self.ended {
            return Poll::Ready(None);
        }
        let this = &mut *self;
        let polled = {
            let _entered = this.span.enter();
            this.results.poll_next_unpin(cx)
        };
        Poll::Ready(Some(match polled {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(None) => {
                this.ended = true;
                Step::End
            }
            Poll::Ready(Some(response)) if std::mem::take(&mut this.first) => Step::First(response),
            Poll::Ready(Some(response)) => Step::Next(response),
        }))
    }
}

/// The message for an operation's result, and whether the operation is
/// over: a request that fails before it runs gets an `error` message; each
/// response a `next`; the end `complete`.
fn message_of(id: &str, step: Step) -> (Option<String>, bool) {
    let refused = |response: &async_graphql::Response| {
        response.data == async_graphql::Value::Null
            && !response.errors.is_empty()
            && response.errors.iter().all(|e| e.path.is_empty())
    };
    // Serialized straight from the response: going through a
    // `serde_json::Value` first would copy it once per subscriber.
    match step {
        Step::First(response) if refused(&response) => (
            serde_json::to_string(&Outgoing {
                kind: "error",
                id,
                payload: &response.errors,
            })
            .ok(),
            true,
        ),
        Step::First(response) | Step::Next(response) => (
            serde_json::to_string(&Outgoing {
                kind: "next",
                id,
                payload: &response,
            })
            .ok(),
            false,
        ),
        Step::End => (
            Some(json!({ "type": "complete", "id": id }).to_string()),
            true,
        ),
    }
}
