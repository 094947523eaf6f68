//! GraphQL over HTTP (graphql-over-http spec): POST with JSON or multipart
//! (uploads), GET for queries. Responses are `application/graphql-response+json`
//! when the client accepts it (request errors then get status 400) and
//! `application/json` otherwise (always 200 for a well-formed request).
//! Whatever the client sends, the answer is a GraphQL error document with an
//! `extensions.code`, never an empty 500.

use async_graphql::{
    http::{parse_query_string, receive_batch_body, MultipartOptions},
    parser::types::OperationType,
    BatchRequest, BatchResponse,
};
use poem::{
    handler,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    web::Data,
    Body, Request, Response,
};
use roster_resolvers::{kernel::auth::Auth, RequestContext};
use serde_json::json;
use tokio_util::compat::TokioAsyncReadCompatExt;

use super::{auth, pages, App};

/// Largest JSON request body: room for `addUsers` with 25,000 users.
pub const MAX_JSON_BYTES: usize = 8 * 1024 * 1024;
/// Largest uploaded file (multipart requests): the import's limit; each
/// upload field checks its own, smaller limit (avatars: 5 MiB).
const MAX_UPLOAD_BYTES: usize = roster_resolvers::imports::MAX_FILE_BYTES as usize;
/// Most operations in one batched request.
const MAX_BATCH: usize = 20;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `application/graphql-response+json`: status codes tell request errors.
    GraphqlResponse,
    /// Legacy `application/json`: 200 for every well-formed request.
    Json,
}

impl Format {
    fn mime(self) -> &'static str {
        match self {
            Format::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
        }
    }
}

/// Picks the response format from `Accept`; `None` when nothing we speak is
/// acceptable.
fn negotiate(headers: &HeaderMap) -> Option<Format> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Format::Json);
    };
    if accept.trim().is_empty() {
        return Some(Format::Json);
    }
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let refused = parts.any(|p| {
            let p = p.trim().replace(' ', "");
            p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
        });
        if refused {
            continue;
        }
        match essence.as_str() {
            GRAPHQL_RESPONSE_JSON => return Some(Format::GraphqlResponse),
            JSON | "application/*" | "*/*" => return Some(Format::Json),
            _ => {}
        }
    }
    None
}

/// A response that is a single GraphQL error.
fn error_response(
    status: StatusCode,
    format: Format,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, format.mime())
        .header(header::CACHE_CONTROL, "no-store")
        .header("x-request-id", request_id)
        .body(body.to_string())
}

fn graphql_response(resp: BatchResponse, format: Format, request_id: &str) -> Response {
    let status = match (&resp, format) {
        (BatchResponse::Single(r), Format::GraphqlResponse) if is_request_error(r) => {
            StatusCode::BAD_REQUEST
        }
        _ => StatusCode::OK,
    };
    let request_error = matches!(&resp, BatchResponse::Single(r) if is_request_error(r));
    // A request that never executed has no `data` entry (graphql-over-http).
    // Serialise directly otherwise: a detour through serde_json::Value would
    // sort the keys, and clients expect the order of their selection.
    let body = match &resp {
        BatchResponse::Single(r) if request_error => {
            serde_json::to_vec(&json!({ "errors": r.errors }))
        }
        _ => serde_json::to_vec(&resp),
    };
    let body = match body {
        Ok(body) => body,
        Err(err) => {
            tracing::error!(%err, request_id, "cannot serialise a response");
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                format,
                "INTERNAL",
                "Internal error",
                request_id,
            );
        }
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, format.mime())
        .header(header::CACHE_CONTROL, "no-store")
        .header("x-request-id", request_id)
        .body(body)
}

/// A request error (parse, validation, limits) stops the request before
/// execution: no data and no error has a path.
fn is_request_error(resp: &async_graphql::Response) -> bool {
    resp.data == async_graphql::Value::Null
        && !resp.errors.is_empty()
        && resp.errors.iter().all(|e| e.path.is_empty())
}

/// Resolves the caller, attaches the request context and runs the batch.
async fn execute(
    app: &App,
    req: &Request,
    batch: BatchRequest,
    format: Format,
    request_id: String,
) -> Response {
    let headers = req.headers();
    let started = std::time::Instant::now();
    if let BatchRequest::Batch(items) = &batch {
        if items.len() > MAX_BATCH {
            let msg = format!(
                "A batch may hold at most {MAX_BATCH} operations, got {}",
                items.len()
            );
            return error_response(
                StatusCode::BAD_REQUEST,
                format,
                "LIMIT_EXCEEDED",
                &msg,
                &request_id,
            );
        }
    }
    let token = auth::authorization(headers);
    if let Some(token) = token.as_deref() {
        if let Err(limited) = auth::spend_request(&app.state, token).await {
            return rate_limited(format, &request_id, limited);
        }
    }
    let auth = match auth::resolve(&app.state, token.as_deref()).await {
        Ok(auth) => auth,
        Err(err) => {
            tracing::error!(%err, request_id, "cannot resolve the session");
            let msg = format!("Service unavailable (request id {request_id})");
            return error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                format,
                "INTERNAL",
                &msg,
                &request_id,
            );
        }
    };
    if let Auth::Staff(viewer) = &auth {
        tracing::debug!(request_id, user_id = %viewer.user_id, "authenticated");
    }
    let ctx = RequestContext {
        request_id: request_id.clone(),
        auth,
        client_address: auth::client_address(req),
    };
    let names: Vec<Option<String>> = match &batch {
        BatchRequest::Single(r) => vec![r.operation_name.clone()],
        BatchRequest::Batch(rs) => rs.iter().map(|r| r.operation_name.clone()).collect(),
    };
    // Every log line of the request carries its id (an ERROR-level span,
    // so that no log filter drops it).
    let span = tracing::error_span!(
        "request",
        id = %request_id,
        otel.name = %span_name(&names),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
    );
    crate::telemetry::continue_trace(&span, headers);
    let resp = tracing::Instrument::instrument(
        roster_schema::execute_batch(&app.schema, batch.data(ctx)),
        span.clone(),
    )
    .await;
    if !resp.is_ok() {
        span.record("otel.status_code", "ERROR");
    }
    record(&names, &resp, started);
    let retry_after = retry_after(&resp);
    let mut response = graphql_response(resp, format, &request_id);
    if let Some(seconds) = retry_after {
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    response
}

/// A trace's name for the request: its operation names, as tracing
/// backends group by them.
fn span_name(names: &[Option<String>]) -> String {
    let named: Vec<&str> = names
        .iter()
        .map(|n| n.as_deref().unwrap_or("anonymous"))
        .collect();
    format!("graphql {}", named.join(", "))
}

/// Counts each operation by name and outcome, and the request's latency.
fn record(names: &[Option<String>], resp: &BatchResponse, started: std::time::Instant) {
    let responses: Vec<&async_graphql::Response> = match resp {
        BatchResponse::Single(r) => vec![r],
        BatchResponse::Batch(rs) => rs.iter().collect(),
    };
    for (i, r) in responses.iter().enumerate() {
        let outcome = if r.errors.is_empty() {
            "ok"
        } else if is_request_error(r) {
            "refused"
        } else {
            "error"
        };
        let name = names.get(i).and_then(|n| n.as_deref());
        crate::metrics::operation(name, outcome);
    }
    crate::metrics::request_duration(started.elapsed());
}

/// The longest `retryAfter` of the response's RATE_LIMITED errors.
fn retry_after(resp: &BatchResponse) -> Option<u64> {
    let responses: Vec<&async_graphql::Response> = match resp {
        BatchResponse::Single(r) => vec![r],
        BatchResponse::Batch(rs) => rs.iter().collect(),
    };
    responses
        .iter()
        .flat_map(|r| r.errors.iter())
        .filter_map(|e| e.extensions.as_ref()?.get("retryAfter"))
        .filter_map(|v| match v {
            async_graphql::Value::Number(n) => n.as_u64(),
            _ => None,
        })
        .max()
}

/// 429: the token spent its request budget.
fn rate_limited(
    format: Format,
    request_id: &str,
    limited: roster_resolvers::kernel::throttle::Limited,
) -> Response {
    let seconds = limited.retry_after.as_secs().max(1);
    let body = json!({ "errors": [{
        "message": format!("Too many requests with this token; try again in {seconds} s"),
        "extensions": { "code": "RATE_LIMITED", "retryAfter": seconds },
    }] });
    Response::builder()
        .status(StatusCode::TOO_MANY_REQUESTS)
        .header(header::CONTENT_TYPE, format.mime())
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::RETRY_AFTER, seconds.to_string())
        .header("x-request-id", request_id)
        .body(body.to_string())
}

#[handler]
pub async fn post(req: &Request, body: Body, Data(app): Data<&App>) -> Response {
    let request_id = auth::request_id(req.headers());
    let Some(format) = negotiate(req.headers()) else {
        return not_acceptable(&request_id);
    };
    let content_type = req.header(header::CONTENT_TYPE).map(str::to_owned);
    let essence = content_type
        .as_deref()
        .and_then(|ct| ct.split(';').next())
        .map(|ct| ct.trim().to_ascii_lowercase())
        .unwrap_or_default();

    let batch = match essence.as_str() {
        JSON | "application/graphql+json" => {
            let bytes = match body.into_bytes_limit(MAX_JSON_BYTES).await {
                Ok(bytes) => bytes,
                Err(poem::error::ReadBodyError::PayloadTooLarge) => {
                    let msg = format!("The request body is larger than {MAX_JSON_BYTES} bytes");
                    return error_response(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format,
                        "LIMIT_EXCEEDED",
                        &msg,
                        &request_id,
                    );
                }
                Err(err) => {
                    let msg = format!("Cannot read the request body: {err}");
                    return error_response(
                        StatusCode::BAD_REQUEST,
                        format,
                        "BAD_USER_INPUT",
                        &msg,
                        &request_id,
                    );
                }
            };
            receive_batch_body(Some(JSON), &bytes[..], MultipartOptions::default()).await
        }
        "multipart/form-data" => {
            let opts = MultipartOptions::default()
                .max_file_size(MAX_UPLOAD_BYTES)
                .max_num_files(8);
            receive_batch_body(
                content_type.as_deref(),
                body.into_async_read().compat(),
                opts,
            )
            .await
        }
        _ => {
            let msg = "Send GraphQL requests as `Content-Type: application/json` \
                       (or multipart/form-data for file uploads)";
            return error_response(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format,
                "BAD_USER_INPUT",
                msg,
                &request_id,
            );
        }
    };
    let batch = match batch {
        Ok(batch) => batch,
        Err(err) => return parse_error(err, format, &request_id),
    };
    execute(app, req, batch, format, request_id).await
}

#[handler]
pub async fn get(req: &Request, Data(app): Data<&App>) -> Response {
    let request_id = auth::request_id(req.headers());
    let query = req.uri().query().unwrap_or_default();
    if query.is_empty() && app.graphiql && accepts_html(req.headers()) {
        // A person opened /graphql in a browser: show GraphiQL.
        return poem::IntoResponse::into_response(pages::graphiql_page());
    }
    let Some(format) = negotiate(req.headers()) else {
        return not_acceptable(&request_id);
    };
    let request = match parse_query_string(query) {
        Ok(request) => request,
        Err(err) => return parse_error(err, format, &request_id),
    };
    if let Some(kind) = roster_schema::operation_type(&request) {
        if kind != OperationType::Query {
            let mut resp = error_response(
                StatusCode::METHOD_NOT_ALLOWED,
                format,
                "BAD_USER_INPUT",
                "Only queries can be sent with GET; send mutations and subscriptions with POST",
                &request_id,
            );
            resp.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return resp;
        }
    }
    // A persisted query's document is only known once it is looked up:
    // the persisted-query extension checks that it is a query.
    let request = request.data(roster_schema::QueriesOnly);
    execute(app, req, BatchRequest::Single(request), format, request_id).await
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

fn not_acceptable(request_id: &str) -> Response {
    error_response(
        StatusCode::NOT_ACCEPTABLE,
        Format::Json,
        "BAD_USER_INPUT",
        "Accept application/graphql-response+json or application/json",
        request_id,
    )
}

fn parse_error(
    err: async_graphql::ParseRequestError,
    format: Format,
    request_id: &str,
) -> Response {
    use async_graphql::ParseRequestError as E;
    let (status, code) = match &err {
        E::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "LIMIT_EXCEEDED"),
        _ => (StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
    };
    let message = match &err {
        E::PayloadTooLarge => format!("An uploaded file is larger than {MAX_UPLOAD_BYTES} bytes"),
        other => format!("Malformed GraphQL request: {other}"),
    };
    error_response(status, format, code, &message, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn accept_negotiation() {
        assert!(negotiate(&HeaderMap::new()) == Some(Format::Json));
        assert!(
            negotiate(&with_accept(
                "application/graphql-response+json, application/json"
            )) == Some(Format::GraphqlResponse)
        );
        assert!(negotiate(&with_accept("application/json;charset=utf-8")) == Some(Format::Json));
        assert!(negotiate(&with_accept("*/*")) == Some(Format::Json));
        assert!(
            negotiate(&with_accept(
                "application/graphql-response+json;q=0, application/json"
            )) == Some(Format::Json)
        );
        assert!(negotiate(&with_accept("text/plain")).is_none());
    }
}
