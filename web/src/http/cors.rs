//! CORS for single-page apps on other origins: only origins on the
//! allowlist (`--cors-origin`) get CORS headers; every other request is
//! served as before, without them, so a browser keeps it from the page.
//! (poem's own `Cors` answers 403 to unknown origins, which would also
//! refuse same-origin pages such as GraphiQL, whose POSTs carry `Origin`.)

use std::{collections::HashSet, sync::Arc};

use poem::{
    http::{header, HeaderValue, Method, StatusCode},
    Endpoint, IntoResponse, Request, Response, Result,
};

/// Headers a client may send cross-origin.
const ALLOWED_HEADERS: &str =
    "authorization, content-type, accept, apollo-require-preflight, x-apollo-operation-name, \
     x-request-id";
/// Headers a cross-origin page may read.
const EXPOSED_HEADERS: &str = "retry-after, x-request-id";
const ALLOWED_METHODS: &str = "GET, POST, OPTIONS";
/// How long a browser may cache a preflight answer, in seconds.
const MAX_AGE: &str = "600";

#[derive(Clone, Default)]
pub struct Cors {
    origins: Arc<HashSet<String>>,
}

impl Cors {
    pub fn new(origins: &[String]) -> Self {
        Cors {
            origins: Arc::new(
                origins
                    .iter()
                    .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
                    .collect(),
            ),
        }
    }

    fn allowed(&self, req: &Request) -> Option<HeaderValue> {
        let origin = req.headers().get(header::ORIGIN)?;
        let text = origin.to_str().ok()?.to_ascii_lowercase();
        self.origins.contains(&text).then(|| origin.clone())
    }

    /// Wraps `ep`: preflights are answered here, other requests get the
    /// CORS headers added when their origin is allowed.
    pub async fn handle<E: Endpoint>(&self, ep: &E, req: Request) -> Result<Response> {
        let allowed = self.allowed(&req);
        let preflight = req.method() == Method::OPTIONS
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        if preflight {
            let mut resp = Response::builder()
                .status(StatusCode::NO_CONTENT)
                .header(header::VARY, "Origin")
                .finish();
            if let Some(origin) = allowed {
                let headers = resp.headers_mut();
                headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
                headers.insert(
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    HeaderValue::from_static(ALLOWED_METHODS),
                );
                headers.insert(
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    HeaderValue::from_static(ALLOWED_HEADERS),
                );
                headers.insert(
                    header::ACCESS_CONTROL_MAX_AGE,
                    HeaderValue::from_static(MAX_AGE),
                );
            }
            return Ok(resp);
        }
        let mut resp = match ep.call(req).await {
            Ok(resp) => resp.into_response(),
            Err(err) => err.into_response(),
        };
        if let Some(origin) = allowed {
            let headers = resp.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSED_HEADERS),
            );
            headers.append(header::VARY, HeaderValue::from_static("Origin"));
        }
        Ok(resp)
    }
}
