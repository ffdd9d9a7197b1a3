//! How a request's audit row stores the records it read, and the index of rows by record.
//!
//! The list is stored as JSON, grouped into runs of records read the same way (action, kind,
//! query), which keeps a drift page's fifty cases to one short array of ids. Grouping takes
//! only consecutive records, so decoding gives back exactly the list, in the order hashed.

use permanence_auth::AuditRecord;
use serde::{Deserialize, Serialize};

/// Records read the same way, consecutive in the row's list.
#[derive(Serialize, Deserialize)]
struct Run {
    action: String,
    kind: String,
    query: String,
    ids: Vec<String>,
}

/// A request's records in the order they are hashed and stored: sorted, each once.
pub(crate) fn canonical(mut records: Vec<AuditRecord>) -> Vec<AuditRecord> {
    records.sort_by(|a, b| {
        (&a.action, &a.record_kind, &a.query, &a.record_id).cmp(&(
            &b.action,
            &b.record_kind,
            &b.query,
            &b.record_id,
        ))
    });
    records.dedup();
    records
}

pub(crate) fn encode(records: &[AuditRecord]) -> Result<String, crate::StoreError> {
    let mut runs: Vec<Run> = Vec::new();
    for record in records {
        match runs.last_mut() {
            Some(run)
                if run.action == record.action
                    && run.kind == record.record_kind
                    && run.query == record.query =>
            {
                run.ids.push(record.record_id.clone());
            }
            _ => runs.push(Run {
                action: record.action.clone(),
                kind: record.record_kind.clone(),
                query: record.query.clone(),
                ids: vec![record.record_id.clone()],
            }),
        }
    }
    crate::rows::to_json_string(&runs)
}

/// The list as stored; an unreadable list names its row, never its contents.
pub(crate) fn decode(text: &str, sequence: i64) -> Result<Vec<AuditRecord>, crate::StoreError> {
    let runs: Vec<Run> = serde_json::from_str(text).map_err(|_| {
        crate::StoreError::Corrupt(format!(
            "audit row {sequence}: its list of records is not readable (the row was altered)"
        ))
    })?;
    Ok(runs
        .into_iter()
        .flat_map(|run| {
            let Run {
                action,
                kind,
                query,
                ids,
            } = run;
            ids.into_iter().map(move |record_id| AuditRecord {
                action: action.clone(),
                record_kind: kind.clone(),
                record_id,
                query: query.clone(),
            })
        })
        .collect())
}

/// The index's entries for a row: each record once, whatever the ways it was read.
pub(crate) fn index_keys(records: &[AuditRecord]) -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = records
        .iter()
        .map(|r| (r.record_kind.clone(), r.record_id.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(action: &str, kind: &str, id: &str, query: &str) -> AuditRecord {
        AuditRecord {
            action: action.into(),
            record_kind: kind.into(),
            record_id: id.into(),
            query: query.into(),
        }
    }

    #[test]
    fn a_list_comes_back_as_it_went_in_and_grouped() {
        let records = canonical(vec![
            record("LIST_CASES", "CASE", "b", "drift"),
            record("READ_CHILD", "CHILD", "c", "drift"),
            record("LIST_CASES", "CASE", "a", "drift"),
            record("LIST_CASES", "CASE", "b", "drift"),
            record("READ_CASE", "CASE", "a", "case"),
        ]);
        assert_eq!(records.len(), 4);
        let text = encode(&records).expect("encodes");
        assert_eq!(text.matches("\"ids\"").count(), 3, "{text}");
        assert_eq!(decode(&text, 1).expect("decodes"), records);
        assert_eq!(
            index_keys(&records),
            [
                ("CASE".to_owned(), "a".to_owned()),
                ("CASE".to_owned(), "b".to_owned()),
                ("CHILD".to_owned(), "c".to_owned())
            ]
        );
        let unreadable = decode("[{\"ids\": 1}]", 7).expect_err("not a list");
        assert!(unreadable.to_string().contains("audit row 7"));
    }
}
