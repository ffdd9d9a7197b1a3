//! Helpers for the store's queries: by-ids queries in chunks, and values kept as JSON text
//! in a column (one that does not read back is named in the error).

use crate::StoreError;

/// How many ids one `IN (...)` list holds: well under SQLite's bound-parameter limit.
pub(crate) const IN_LIST_CHUNK: usize = 500;

/// Runs a by-ids query in chunks and gathers the rows.
pub(crate) async fn in_chunks<K, M, F, Fut>(ids: &[K], query: F) -> Result<Vec<M>, StoreError>
where
    F: Fn(&[K]) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<M>, sea_orm::DbErr>>,
{
    let mut rows = Vec::new();
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        rows.extend(query(chunk).await.map_err(StoreError::from_db)?);
    }
    Ok(rows)
}

pub(crate) fn to_json_string<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn from_json_string<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}
