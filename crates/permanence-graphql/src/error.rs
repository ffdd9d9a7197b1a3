//! Client-facing error codes: one closed enum, carried in `extensions.code`.
//!
//! A client programs against these codes, so they change only by adding one; a test pins
//! the list. Messages are for people; internal errors are logged and shown only as INTERNAL.

use async_graphql::ErrorExtensions;
use permanence_domain::DomainError;
use permanence_engine::EngineError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// The record does not exist (or is not visible to the caller).
    NotFound,
    /// The input is malformed or impossible; `extensions.field` names the field.
    Validation,
    /// The case is not at a point where the step can be recorded.
    TransitionNotAllowed,
    /// The case changed since the version the client sent.
    VersionConflict,
    /// A uniqueness rule (one open period of care per child, one reference per child).
    Conflict,
    Unauthenticated,
    Forbidden,
    /// The request itself is not acceptable (size, content type, depth, complexity).
    BadRequest,
    /// Too many requests from one user in a minute (answered with HTTP 429).
    RateLimited,
    Internal,
}

impl ErrorCode {
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::NotFound,
        ErrorCode::Validation,
        ErrorCode::TransitionNotAllowed,
        ErrorCode::VersionConflict,
        ErrorCode::Conflict,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::BadRequest,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Validation => "VALIDATION",
            ErrorCode::TransitionNotAllowed => "TRANSITION_NOT_ALLOWED",
            ErrorCode::VersionConflict => "VERSION_CONFLICT",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

/// An error as the client sees it.
pub(crate) fn api_error(
    code: ErrorCode,
    message: impl Into<String>,
    field: Option<&str>,
) -> async_graphql::Error {
    let field = field.map(str::to_owned);
    async_graphql::Error::new(message.into()).extend_with(|_, ext| {
        ext.set("code", code.as_str());
        if let Some(field) = &field {
            ext.set("field", field.as_str());
        }
    })
}

/// A request refused before it runs (by a check on its text), with its code.
pub(crate) fn request_refused(
    code: ErrorCode,
    message: String,
    field: Option<&str>,
) -> async_graphql::ServerError {
    let mut error = async_graphql::ServerError::new(message, None);
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", code.as_str());
    if let Some(field) = field {
        extensions.set("field", field);
    }
    error
}

pub(crate) fn validation(field: &str, reason: impl Into<String>) -> async_graphql::Error {
    let reason = reason.into();
    api_error(
        ErrorCode::Validation,
        format!("{field}: {reason}"),
        Some(field),
    )
}

pub(crate) fn not_found(what: &str) -> async_graphql::Error {
    api_error(ErrorCode::NotFound, format!("{what} not found"), None)
}

/// Logs what must not leave the server, and answers with a bare INTERNAL.
pub(crate) fn internal(detail: impl std::fmt::Display) -> async_graphql::Error {
    tracing::error!(error = %detail, "internal error");
    api_error(ErrorCode::Internal, "internal error", None)
}

impl From<EngineErrorWrapper> for async_graphql::Error {
    fn from(value: EngineErrorWrapper) -> Self {
        match value.0 {
            EngineError::Domain(DomainError::Validation { field, reason }) => {
                validation(&field, reason)
            }
            EngineError::Domain(DomainError::TransitionNotAllowed(message)) => {
                api_error(ErrorCode::TransitionNotAllowed, message, None)
            }
            EngineError::Domain(err @ DomainError::InvalidDefinition(_)) => internal(err),
            EngineError::NotFound(what) => not_found(what),
            err @ EngineError::VersionConflict => {
                api_error(ErrorCode::VersionConflict, err.to_string(), None)
            }
            EngineError::Conflict(message) => api_error(ErrorCode::Conflict, message, None),
            err @ EngineError::Internal(_) => internal(err),
        }
    }
}

/// Lets `?` turn an engine error into a client error.
pub(crate) struct EngineErrorWrapper(pub EngineError);

impl From<EngineError> for EngineErrorWrapper {
    fn from(value: EngineError) -> Self {
        Self(value)
    }
}

pub(crate) trait ApiResult<T> {
    fn api(self) -> async_graphql::Result<T>;
}

impl<T> ApiResult<T> for Result<T, EngineError> {
    fn api(self) -> async_graphql::Result<T> {
        self.map_err(|e| EngineErrorWrapper(e).into())
    }
}

impl<T> ApiResult<T> for Result<T, permanence_engine::store::StoreError> {
    fn api(self) -> async_graphql::Result<T> {
        self.map_err(internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clients depend on these strings: this test fails if one is renamed or removed.
    #[test]
    fn error_codes_are_pinned() {
        let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            codes,
            [
                "NOT_FOUND",
                "VALIDATION",
                "TRANSITION_NOT_ALLOWED",
                "VERSION_CONFLICT",
                "CONFLICT",
                "UNAUTHENTICATED",
                "FORBIDDEN",
                "BAD_REQUEST",
                "RATE_LIMITED",
                "INTERNAL"
            ]
        );
    }

    #[test]
    fn internal_detail_is_not_shown() {
        let err: async_graphql::Error =
            EngineErrorWrapper(EngineError::Internal("secret sql detail".into())).into();
        assert_eq!(err.message, "internal error");
    }
}
