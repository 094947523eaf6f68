//! Who is calling, from the `Authorization` header or a WebSocket
//! `connection_init` payload.

use poem::http::HeaderMap;
use roster_resolvers::{kernel::auth::Auth, sessions::resolve as session, ApiError, AppState};

/// The caller of a request carrying `header` (the Authorization value).
pub async fn resolve(state: &AppState, header: Option<&str>) -> Result<Auth, ApiError> {
    match session::bearer_token(header) {
        None => Ok(Auth::Anonymous),
        Some(Err(err)) => Ok(Auth::Invalid(err.to_string())),
        Some(Ok(token)) => session::authenticate(state, Some(token)).await,
    }
}

/// Counts one request against the budget of the bearer token in `header`.
pub async fn spend_request(
    state: &AppState,
    header: &str,
) -> Result<(), roster_resolvers::kernel::throttle::Limited> {
    let Some(Ok(token)) = session::bearer_token(Some(header)) else {
        return Ok(());
    };
    let key = roster_resolvers::kernel::auth::token::digest(token);
    state
        .throttle
        .hit(state.throttle.limits.requests_per_token, &key)
        .await
}

/// The client's IP address (the peer of the connection).
pub fn client_address(req: &poem::Request) -> Option<String> {
    req.remote_addr()
        .as_socket_addr()
        .map(|addr| addr.ip().to_string())
}

pub fn authorization(headers: &HeaderMap) -> Option<String> {
    headers
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Finds the credentials in a `connection_init` payload. Clients put them in
/// different places; all of these are accepted:
/// `{"Authorization": "Bearer t"}`, `{"authorization": ...}`,
/// `{"headers": {"Authorization": ...}}`, `{"token": "t"}`, `{"authToken": "t"}`.
pub fn from_init_payload(payload: &serde_json::Value) -> Option<String> {
    let field = |obj: &serde_json::Value, names: &[&str]| {
        names
            .iter()
            .find_map(|n| obj.get(*n).and_then(|v| v.as_str()).map(str::to_owned))
    };
    field(payload, &["Authorization", "authorization"])
        .or_else(|| {
            payload
                .get("headers")
                .and_then(|h| field(h, &["Authorization", "authorization"]))
        })
        .or_else(|| field(payload, &["token", "authToken"]).map(|t| format!("Bearer {t}")))
}

pub fn new_request_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// The client's `x-request-id` when it is reasonable, else a new one.
pub fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
        .unwrap_or_else(new_request_id)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::from_init_payload;

    #[test]
    fn init_payload_shapes() {
        let want = Some("Bearer t".to_string());
        assert_eq!(
            from_init_payload(&json!({"Authorization": "Bearer t"})),
            want
        );
        assert_eq!(
            from_init_payload(&json!({"authorization": "Bearer t"})),
            want
        );
        assert_eq!(
            from_init_payload(&json!({"headers": {"Authorization": "Bearer t"}})),
            want
        );
        assert_eq!(from_init_payload(&json!({"token": "t"})), want);
        assert_eq!(from_init_payload(&json!({"authToken": "t"})), want);
        assert_eq!(from_init_payload(&json!({})), None);
        assert_eq!(from_init_payload(&json!(null)), None);
    }
}
