//! The one error type of the API and its mapping to GraphQL error codes.
//!
//! Resolvers return `ApiResult<T>` and use `?` freely: async-graphql keeps the
//! `ApiError` as the error's `source`, and [`classify`] (called by the schema's
//! error extension for every error of every response) turns it into
//! `extensions.code`. Errors async-graphql raises itself (parse, validation,
//! limits, input coercion) get a code there too, so a client always finds one.

use async_graphql::{ErrorExtensionValues, ServerError, SimpleObject};
use sea_orm::DbErr;

pub type ApiResult<T> = async_graphql::Result<T>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    BadUserInput(String),
    #[error("{0}")]
    LimitExceeded(String),
    /// A rate limit: try again after `retry_after` seconds.
    #[error("{message}")]
    RateLimited { message: String, retry_after: u64 },
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated(_) => "UNAUTHENTICATED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::BadUserInput(_) => "BAD_USER_INPUT",
            ApiError::LimitExceeded(_) => "LIMIT_EXCEEDED",
            ApiError::RateLimited { .. } => "RATE_LIMITED",
            ApiError::Internal(_) => "INTERNAL",
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        ApiError::NotFound(what.into())
    }

    pub fn rate_limited(what: &str, limited: crate::kernel::throttle::Limited) -> Self {
        let retry_after = limited.retry_after.as_secs().max(1);
        ApiError::RateLimited {
            message: format!("Too many {what}; try again in {retry_after} s"),
            retry_after,
        }
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        ApiError::Internal(err.to_string())
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        ApiError::Internal(format!("database: {err}"))
    }
}

/// Messages async-graphql uses when a request exceeds a schema limit.
pub const LIMIT_MESSAGES: &[&str] = &[
    "Query is nested too deep.",
    "Query is too complex.",
    "The number of directives on the field",
    "The recursion depth of the query cannot be greater than",
];

/// Every `extensions.code` a response's errors can carry, with what it
/// means for a client. The README's error reference is generated from this
/// list and the `UserErrorCode` enum (`schema` crate, `error_reference`).
pub const ERROR_CODES: &[(&str, &str)] = &[
    ("UNAUTHENTICATED", "No valid session: sign in (`login`, `portalLogin`) and send `Authorization: Bearer <token>`."),
    ("FORBIDDEN", "Signed in, but the caller's role or permissions do not allow this operation."),
    ("NOT_FOUND", "The id does not exist, or belongs to another account."),
    ("BAD_USER_INPUT", "A value does not fit: a malformed id, a variable of the wrong type, an argument out of range."),
    ("GRAPHQL_PARSE_FAILED", "The document is not valid GraphQL."),
    ("GRAPHQL_VALIDATION_FAILED", "The document does not fit the schema (an unknown field, a missing argument)."),
    ("LIMIT_EXCEEDED", "A limit of the server was reached (query depth, list sizes, file size)."),
    ("COST_LIMIT_EXCEEDED", "The operation would cost more than the budget; `cost` and `limit` are in the extensions."),
    ("PERSISTED_QUERY_NOT_FOUND", "The server does not know the document of this `persistedQuery` hash (yet): send it again with its text."),
    ("PERSISTED_QUERY_NOT_IN_LIST", "The server runs only registered operations (trusted documents), and this one is not registered."),
    ("RATE_LIMITED", "Too many attempts or requests; retry after `retryAfter` seconds (also the `Retry-After` header)."),
    ("INTERNAL", "The server failed; the message carries a request id to report, details are in the server's log."),
];

/// Gives `err` its `extensions.code` and hides internal details. Called once
/// per error of every response, HTTP and WebSocket alike.
pub fn classify(err: &mut ServerError, request_id: &str) {
    if let Some(ApiError::RateLimited { retry_after, .. }) = err.source::<ApiError>() {
        let retry_after = *retry_after;
        err.extensions
            .get_or_insert_with(ErrorExtensionValues::default)
            .set("retryAfter", retry_after);
    }
    let api = err.source::<ApiError>().map(|api| {
        (
            api.code(),
            matches!(api, ApiError::Internal(_)),
            api.to_string(),
        )
    });
    let code = if let Some((code, internal, detail)) = api {
        if internal {
            tracing::error!(request_id, %detail, "internal error");
            err.message = format!("Internal error (request id {request_id})");
        }
        code
    } else if err.source.is_some() {
        // A resolver let a foreign error escape: never show it to the client.
        tracing::error!(request_id, detail = %err.message, "unclassified internal error");
        err.message = format!("Internal error (request id {request_id})");
        "INTERNAL"
    } else if has_code(err) {
        return;
    } else if LIMIT_MESSAGES.iter().any(|m| err.message.contains(m)) {
        "LIMIT_EXCEEDED"
    } else {
        // Parse, validation and input-coercion errors raised by async-graphql.
        "BAD_USER_INPUT"
    };
    err.extensions
        .get_or_insert_with(ErrorExtensionValues::default)
        .set("code", code);
}

fn has_code(err: &ServerError) -> bool {
    err.extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some())
}

/// Why a mutation's input was refused.
#[derive(
    async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize,
)]
pub enum UserErrorCode {
    /// A required value is missing or empty.
    Blank,
    /// The value is longer than allowed.
    TooLong,
    /// The value is shorter than allowed.
    TooShort,
    /// The value is malformed (for example an email without a domain).
    Invalid,
    /// The value must be unique and is already in use.
    Taken,
    /// A referenced record does not exist in this account.
    NotFound,
    /// The value is refused by a rule of the account.
    NotAllowed,
    /// The operation would exceed a limit of the account.
    LimitExceeded,
}

/// A validation problem with one input field of a mutation.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct UserError {
    /// Path to the input field, for example `["email"]`; empty when the
    /// problem concerns the input as a whole.
    pub field: Vec<String>,
    /// Machine-readable reason.
    pub code: UserErrorCode,
    /// Explanation for a person.
    pub message: String,
}

impl UserError {
    pub fn new(field: &str, code: UserErrorCode, message: impl Into<String>) -> Self {
        UserError {
            field: field.split('.').map(str::to_owned).collect(),
            code,
            message: message.into(),
        }
    }
}

/// True when `err` is a unique-constraint violation (a concurrent writer
/// took the value between our check and our insert).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classified(err: async_graphql::Error) -> ServerError {
        let mut server = err.into_server_error(async_graphql::Pos::default());
        classify(&mut server, "req-1");
        server
    }

    fn code(err: &ServerError) -> String {
        err.extensions
            .as_ref()
            .unwrap()
            .get("code")
            .unwrap()
            .to_string()
    }

    #[test]
    fn api_errors_get_their_code() {
        let err = classified(ApiError::Forbidden("no".into()).into());
        assert_eq!(code(&err), "\"FORBIDDEN\"");
        assert_eq!(err.message, "no");
    }

    #[test]
    fn internal_details_are_hidden() {
        let err = classified(ApiError::from(DbErr::Custom("secret table".into())).into());
        assert_eq!(code(&err), "\"INTERNAL\"");
        assert!(!err.message.contains("secret"), "{}", err.message);
        assert!(err.message.contains("req-1"));
    }

    #[test]
    fn every_code_is_in_the_reference() {
        let errors = [
            ApiError::Unauthenticated(String::new()),
            ApiError::Forbidden(String::new()),
            ApiError::NotFound(String::new()),
            ApiError::BadUserInput(String::new()),
            ApiError::LimitExceeded(String::new()),
            ApiError::RateLimited {
                message: String::new(),
                retry_after: 1,
            },
            ApiError::Internal(String::new()),
        ];
        for err in errors {
            assert!(
                ERROR_CODES.iter().any(|(code, _)| *code == err.code()),
                "{} is missing from ERROR_CODES",
                err.code()
            );
        }
    }

    #[test]
    fn foreign_errors_are_internal() {
        let err = classified(std::io::Error::other("disk path /x").into());
        assert_eq!(code(&err), "\"INTERNAL\"");
        assert!(!err.message.contains("/x"));
    }

    #[test]
    fn engine_errors_are_client_errors() {
        let err = classified(async_graphql::Error::new("Query is nested too deep."));
        assert_eq!(code(&err), "\"LIMIT_EXCEEDED\"");
        let err = classified(async_graphql::Error::new("Unknown field \"x\""));
        assert_eq!(code(&err), "\"BAD_USER_INPUT\"");
    }
}
