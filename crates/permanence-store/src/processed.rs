//! The record of processed commands: each command id is processed once, and a command sent
//! again is answered from its row.

use crate::entities::processed_commands;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, DatabaseTransaction, EntityTrait};
use uuid::Uuid;

impl Store {
    /// The row of a command id already processed, if any.
    pub(crate) async fn processed(
        &self,
        command_id: Uuid,
    ) -> Result<Option<processed_commands::Model>, StoreError> {
        processed_commands::Entity::find_by_id(command_id)
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)
    }
}

/// What a processed command's row records about it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ProcessedKey {
    pub(crate) command_id: Uuid,
    pub(crate) kind: &'static str,
    pub(crate) case_id: Option<Uuid>,
    pub(crate) child_id: Option<Uuid>,
}

pub(crate) async fn insert_processed(
    txn: &DatabaseTransaction,
    key: ProcessedKey,
    version: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let model = processed_commands::ActiveModel {
        command_id: Set(key.command_id),
        case_id: Set(key.case_id),
        child_id: Set(key.child_id),
        version: Set(version),
        recorded_at: Set(now),
        record_id: Set(None),
        command_kind: Set(Some(key.kind.to_owned())),
    };
    processed_commands::Entity::insert(model)
        .exec_without_returning(txn)
        .await
        .map_err(StoreError::from_db)?;
    Ok(())
}
