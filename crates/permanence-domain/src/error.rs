//! The domain's refusals. Messages are written for the social worker who made the request,
//! and never carry a child's details (names, dates of birth, or the dates of their history):
//! they travel back to clients and into logs.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// The input is malformed or impossible: the field and the reason.
    #[error("{field}: {reason}")]
    Validation { field: String, reason: String },
    /// The request is well formed but the case is not at a point where it can be done.
    #[error("{0}")]
    TransitionNotAllowed(String),
    /// A route definition or settings file is not coherent.
    #[error("invalid definition: {0}")]
    InvalidDefinition(String),
}

impl DomainError {
    pub fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn not_allowed(message: impl Into<String>) -> Self {
        Self::TransitionNotAllowed(message.into())
    }
}
