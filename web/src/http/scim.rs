//! `/scim/v2/...`: hands SCIM requests to the resolvers' `scim` module and
//! writes its answers as `application/scim+json`.

use poem::{
    handler,
    http::{header, StatusCode},
    web::Data,
    Body, Request, Response,
};
use roster_resolvers::scim;

use super::App;

/// `http(s)://<host>/scim/v2`, as the client reached it.
fn base(req: &Request) -> String {
    let proto = req
        .header("x-forwarded-proto")
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    let host = req
        .header("x-forwarded-host")
        .or_else(|| req.header(header::HOST))
        .unwrap_or("localhost");
    format!("{proto}://{host}/scim/v2")
}

fn answer(r: scim::Response) -> Response {
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CACHE_CONTROL, "no-store");
    if let Some(etag) = r.etag {
        builder = builder.header(header::ETAG, etag);
    }
    if let Some(location) = r.location {
        builder = builder.header(header::LOCATION, location);
    }
    match r.body {
        Some(body) => builder
            .header(header::CONTENT_TYPE, scim::CONTENT_TYPE)
            .body(body.to_string()),
        None => builder.finish(),
    }
}

#[handler]
pub async fn endpoint(req: &Request, body: Body, Data(app): Data<&App>) -> Response {
    let path = req
        .uri()
        .path()
        .strip_prefix("/scim/v2")
        .unwrap_or_default()
        .to_owned();
    let query: Vec<(String, String)> = req.uri().query().map(url_pairs).unwrap_or_default();
    // One byte over the limit tells a body that is too large.
    let limit = scim::BULK_MAX_PAYLOAD + 1;
    let bytes = match body.into_bytes_limit(limit).await {
        Ok(b) => b.to_vec(),
        Err(_) => {
            let err = scim::error::ScimError::new(
                413,
                None,
                format!(
                    "a SCIM request body has at most {} bytes",
                    scim::BULK_MAX_PAYLOAD
                ),
            );
            return answer(scim::Response {
                status: 413,
                body: Some(err.body()),
                etag: None,
                location: None,
            });
        }
    };
    let request = scim::Request {
        method: req.method().as_str().to_ascii_uppercase(),
        path: percent_decode(&path),
        query,
        authorization: req.header(header::AUTHORIZATION).map(str::to_owned),
        if_match: req.header(header::IF_MATCH).map(str::to_owned),
        body: bytes,
        base: base(req),
    };
    answer(scim::handle(&app.state, request).await)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            // Hex digits from the bytes: `%` may be followed by any UTF-8.
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `a=1&b=x%20y` as pairs (`+` is a space in a query).
fn url_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_queries() {
        assert_eq!(
            url_pairs(
                "filter=userName%20eq%20%22a%2Bb%40x.io%22&count=2&attributes=name.givenName"
            ),
            vec![
                ("filter".to_owned(), "userName eq \"a+b@x.io\"".to_owned()),
                ("count".to_owned(), "2".to_owned()),
                ("attributes".to_owned(), "name.givenName".to_owned()),
            ]
        );
        assert_eq!(
            url_pairs("filter=a+eq+1"),
            vec![("filter".to_owned(), "a eq 1".to_owned())]
        );
        assert_eq!(percent_decode("/Schemas/urn%3Aietf"), "/Schemas/urn:ietf");
        assert_eq!(percent_decode("100%"), "100%");
        // A `%` before a multi-byte character is kept as it is.
        assert_eq!(percent_decode("%Aé"), "%Aé");
        assert_eq!(percent_decode("%é%41"), "%éA");
    }
}
