//! The engine's errors: the domain's refusals, and what can go wrong around them.

use permanence_domain::DomainError;
use permanence_store::StoreError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum EngineError {
    #[error(transparent)]
    Domain(DomainError),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("the case was changed by someone else: reload it and try again")]
    VersionConflict,
    /// A uniqueness rule: the message is safe to show.
    #[error("{0}")]
    Conflict(String),
    /// Anything else: logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl EngineError {
    pub(crate) fn from_store(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => EngineError::NotFound("record"),
            StoreError::VersionConflict => EngineError::VersionConflict,
            StoreError::Conflict(message) => EngineError::Conflict(message),
            StoreError::CommandIdReused => command_id_reused(),
            other => EngineError::Internal(other.to_string()),
        }
    }
}

/// A command id sent with a command other than the one it was first used for. The answer
/// says nothing of that command (it may be another authority's).
pub(crate) fn command_id_reused() -> EngineError {
    EngineError::Domain(DomainError::validation(
        "commandId",
        "this command id was already used for a different command: send a new command id \
         (send the same id again only to repeat the same command)",
    ))
}
