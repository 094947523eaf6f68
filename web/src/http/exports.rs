//! CSV downloads: `GET /exports/customers.csv?filter=<keyword>` (with an
//! `Authorization: Bearer` header, or `?token=` from `customerExportUrl`)
//! streams the export; `GET /exports/customers-sample.csv` is the sample.

use poem::{
    handler,
    http::{header, StatusCode},
    web::{Data, Query},
    Body, IntoResponse, Request, Response,
};
use roster_resolvers::{
    exports,
    kernel::auth::Auth,
    kernel::permissions::{self, Permission},
    ApiError,
};
use serde::Deserialize;
use serde_json::json;

use super::{auth, App};

#[derive(Deserialize)]
pub struct ExportParams {
    /// Keyword filter, as in the `customers` query (`keyword` is accepted too).
    filter: Option<String>,
    keyword: Option<String>,
    /// A download token from `customerExportUrl`.
    token: Option<String>,
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(body.to_string())
}

fn csv_response(body: Body, filename: &str) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
}

#[handler]
pub async fn customers(
    req: &Request,
    Query(params): Query<ExportParams>,
    Data(app): Data<&App>,
) -> Response {
    let unavailable = |err: &dyn std::fmt::Display| {
        tracing::error!(%err, "export unavailable");
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "INTERNAL",
            "Service unavailable",
        )
    };
    let (account_id, keyword) =
        match &params.token {
            Some(token) => match exports::resolve_link(&app.state.db, token).await {
                Ok(Some(link)) => link,
                Ok(None) => {
                    return error(
                        StatusCode::UNAUTHORIZED,
                        "UNAUTHENTICATED",
                        "The download link is invalid or has expired",
                    )
                }
                Err(err) => return unavailable(&err),
            },
            None => {
                let viewer =
                    match auth::resolve(&app.state, auth::authorization(req.headers()).as_deref())
                        .await
                    {
                        Ok(Auth::Staff(viewer)) => viewer,
                        Ok(other) => {
                            let err = other.staff().err().unwrap_or_else(|| {
                                ApiError::Unauthenticated("Sign in first".into())
                            });
                            let status = match err {
                                ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
                                _ => StatusCode::UNAUTHORIZED,
                            };
                            return error(status, err.code(), &err.to_string());
                        }
                        Err(err) => return unavailable(&err),
                    };
                if let Err(err) = permissions::authorize(&viewer, Permission::ExportCustomers) {
                    return error(StatusCode::FORBIDDEN, "FORBIDDEN", &err.to_string());
                }
                (
                    viewer.account_id,
                    params
                        .filter
                        .or(params.keyword)
                        .filter(|k| !k.trim().is_empty()),
                )
            }
        };
    let stream = exports::customers_csv(app.state.db.clone(), account_id, keyword);
    csv_response(Body::from_bytes_stream(stream), "customers.csv")
}

#[handler]
pub fn sample() -> impl IntoResponse {
    csv_response(
        Body::from_string(exports::SAMPLE.to_owned()),
        "customers-sample.csv",
    )
}
