//! The store's errors. Database messages are kept for the server's log and never shown to
//! clients: the engine maps these to client error codes.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database configuration: {0}")]
    Config(String),
    #[error("record not found")]
    NotFound,
    /// The case changed since it was read.
    #[error("the case was changed by someone else")]
    VersionConflict,
    /// A unique rule of the data was broken; the text says which, without record contents.
    #[error("{0}")]
    Conflict(String),
    /// Another request with the same command id committed first.
    #[error("the command was already processed")]
    DuplicateCommand,
    /// A command id was sent again for a different kind of command.
    #[error("the command id was already used for another command")]
    CommandIdReused,
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(String),
}

impl StoreError {
    pub(crate) fn from_db(err: sea_orm::DbErr) -> Self {
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(message)) = err.sql_err() {
            if message.contains("processed_commands") {
                return StoreError::DuplicateCommand;
            }
            if message.contains("sibling_group_members") {
                return StoreError::Conflict(
                    "a child's case is already in another sibling group: revise that group instead"
                        .into(),
                );
            }
            if message.contains("panel_items") {
                return StoreError::Conflict(
                    "the case is already on a panel agenda or waiting for a decision for this purpose"
                        .into(),
                );
            }
            if message.contains("child_legal_events") {
                // Another writer appended to the child's record at home first.
                return StoreError::VersionConflict;
            }
            if message.contains("children") {
                return StoreError::Conflict(
                    "a child with this reference is already registered in this local authority"
                        .into(),
                );
            }
            if message.contains("cases") {
                return StoreError::Conflict(
                    "the child already has an open period of care: close it before opening another"
                        .into(),
                );
            }
        }
        StoreError::Database(err.to_string())
    }
}

/// The outcome of running a command: the store failed, or the engine refused.
#[derive(Debug, Error)]
pub enum RunError<E> {
    #[error(transparent)]
    Store(StoreError),
    #[error("command refused")]
    Rejected(E),
}
