//! SQLite's durability setting, chosen in the database URL.
//!
//! `synchronous=full` (the default) makes every committed command survive a power cut;
//! `synchronous=normal` in WAL mode can lose the last commits on a power cut (never on a
//! crash of the process) but not corrupt the file, and commits faster on slow disks. sqlx
//! refuses query parameters it does not know, so the store takes this one out of the URL.

use crate::StoreError;
use sea_orm::sqlx::sqlite::SqliteSynchronous;

/// The URL without its `synchronous` parameter, and the setting it asked for.
pub(crate) fn synchronous(url: &str) -> Result<(String, SqliteSynchronous), StoreError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), SqliteSynchronous::Full));
    };
    let mut setting = SqliteSynchronous::Full;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("synchronous", value)) => {
                setting = match value.to_ascii_lowercase().as_str() {
                    "full" => SqliteSynchronous::Full,
                    "normal" => SqliteSynchronous::Normal,
                    other => {
                        return Err(StoreError::Config(format!(
                            "synchronous={other}: SQLite's setting is full (the default) or normal"
                        )));
                    }
                }
            }
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, setting))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;
    use sea_orm::{ConnectionTrait, Statement};

    #[test]
    fn the_parameter_is_taken_out_of_the_url() {
        let (url, setting) = synchronous("sqlite:///tmp/a.sqlite?mode=rwc&synchronous=NORMAL")
            .expect("a valid setting");
        assert_eq!(url, "sqlite:///tmp/a.sqlite?mode=rwc");
        assert!(matches!(setting, SqliteSynchronous::Normal));
        let (url, setting) = synchronous("sqlite:///tmp/a.sqlite?mode=rwc").expect("no setting");
        assert_eq!(url, "sqlite:///tmp/a.sqlite?mode=rwc");
        assert!(matches!(setting, SqliteSynchronous::Full));
        let (url, _) = synchronous("sqlite://a.sqlite?synchronous=full").expect("full");
        assert_eq!(url, "sqlite://a.sqlite");
        assert!(synchronous("sqlite://a.sqlite?synchronous=off").is_err());
    }

    async fn pragma_synchronous(url: &str) -> i64 {
        let store = Store::connect(url).await.expect("connects");
        let row = store
            .db
            .query_one_raw(Statement::from_string(
                store.db.get_database_backend(),
                "PRAGMA synchronous",
            ))
            .await
            .expect("pragma answers")
            .expect("one row");
        row.try_get_by_index::<i64>(0).expect("a number")
    }

    #[tokio::test]
    async fn the_store_applies_it_and_defaults_to_full() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("s.sqlite");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        // SQLite's numbers: 2 is FULL, 1 is NORMAL.
        assert_eq!(pragma_synchronous(&url).await, 2);
        assert_eq!(
            pragma_synchronous(&format!("{url}&synchronous=normal")).await,
            1
        );
    }
}
