//! SCIM error responses (RFC 7644 §3.12): an HTTP status, a `scimType` for
//! the 400s and 409s a client can act on, and a readable detail.

use serde_json::{json, Value};

use crate::kernel::error::ApiError;

pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

pub type ScimResult<T> = Result<T, ScimError>;

impl ScimError {
    pub fn new(status: u16, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidFilter"), detail)
    }
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidPath"), detail)
    }
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidValue"), detail)
    }
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidSyntax"), detail)
    }
    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::new(400, Some("noTarget"), detail)
    }
    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::new(400, Some("mutability"), detail)
    }
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(409, Some("uniqueness"), detail)
    }
    pub fn too_many(detail: impl Into<String>) -> Self {
        Self::new(400, Some("tooMany"), detail)
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, None, detail)
    }
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(401, None, detail)
    }
    pub fn precondition_failed() -> Self {
        Self::new(
            412,
            None,
            "the resource changed since that version (If-Match): read it again",
        )
    }
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "SCIM request failed");
        Self::new(500, None, "internal error")
    }

    pub fn body(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        body
    }
}

impl From<sea_orm::DbErr> for ScimError {
    fn from(err: sea_orm::DbErr) -> Self {
        ScimError::internal(err)
    }
}

impl From<ApiError> for ScimError {
    fn from(err: ApiError) -> Self {
        match err {
            ApiError::Unauthenticated(m) => ScimError::unauthorized(m),
            ApiError::Forbidden(m) => ScimError::forbidden(m),
            ApiError::NotFound(m) => ScimError::not_found(format!("{m} not found")),
            ApiError::BadUserInput(m) => ScimError::invalid_value(m),
            ApiError::LimitExceeded(m) => ScimError::new(400, Some("tooMany"), m),
            ApiError::RateLimited { message, .. } => ScimError::new(429, None, message),
            ApiError::Internal(m) => ScimError::internal(m),
        }
    }
}

impl From<crate::kernel::error::UserError> for ScimError {
    fn from(err: crate::kernel::error::UserError) -> Self {
        use crate::kernel::error::UserErrorCode as C;
        let detail = format!("{}: {}", err.field.join("."), err.message);
        match err.code {
            C::Taken => ScimError::uniqueness(detail),
            C::NotFound => ScimError::invalid_value(detail),
            _ => ScimError::invalid_value(detail),
        }
    }
}
