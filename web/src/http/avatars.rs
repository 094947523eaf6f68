//! `GET /avatars/<token>.png`: customer avatars. The token is random and
//! changes with every upload, so responses are cacheable forever; it is the
//! only way to reach an image, as `<img>` tags cannot send bearer tokens.

use poem::{
    handler,
    http::{header, StatusCode},
    web::{Data, Path},
    IntoResponse, Response,
};

use super::App;

#[handler]
pub async fn avatar(Path(name): Path<String>, Data(app): Data<&App>) -> Response {
    let Some(token) = name
        .strip_suffix(".png")
        .filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match roster_resolvers::directory::customers::avatar::load(&app.state.db, token).await {
        Ok(Some((content_type, bytes))) => Response::builder()
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
            .body(bytes),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            tracing::error!(%err, "cannot read an avatar");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
