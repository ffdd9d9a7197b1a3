//! The audit chain: each audit row carries a hash over its fields and the previous row's hash,
//! so that an altered, deleted or reordered row breaks the chain.
//!
//! What the chain cannot show alone: rows cut off the end (the last rows deleted), and a chain
//! rewritten whole from some row on by someone who can write the table. `permanence audit
//! verify` prints the head ([`ChainSummary::head_hash`]); keeping that line outside the
//! database (a log, a ticket) and checking that a later head extends it closes both gaps.
//!
//! Two shapes of row share the chain. The first rows named one record each. A request's row
//! names every record the request read ([`AuditEntry::records`]), so that a page listing 50
//! cases is one row, not 50: its hash covers the list, record by record, in the order stored,
//! under its own tag, so that neither shape can pass for the other.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use thiserror::Error;

/// The `previous_hash` of the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Names the encoding, so that a future change of fields cannot collide with this one.
const DOMAIN_TAG: &[u8] = b"permanence-audit-v1";

/// The encoding of a request's row (one with a list of records).
const REQUEST_DOMAIN_TAG: &[u8] = b"permanence-audit-v2-request";

/// Values for [`AuditEntry::record_kind`] and [`AuditRecord::record_kind`].
pub mod record_kind {
    pub const CHILD: &str = "CHILD";
    pub const CASE: &str = "CASE";
    /// A request's row: the records it read are in [`super::AuditEntry::records`].
    pub const REQUEST: &str = "REQUEST";
}

/// The [`AuditEntry::action`] of a request's row (each record carries its own action).
pub const REQUEST_ACTION: &str = "REQUEST";

/// One record a request read, and how.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AuditRecord {
    /// The [`Action`](crate::Action) key (`READ_CASE`).
    pub action: String,
    /// [`record_kind::CHILD`] or [`record_kind::CASE`].
    pub record_kind: String,
    pub record_id: String,
    /// The API field or page it came through (`drift`, `page:/drift`).
    pub query: String,
}

/// One record read, as `permanence audit show` prints it: a row of one record, or one record
/// of a request's row, with the row's sequence, time and reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRead {
    pub sequence: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub record_kind: String,
    pub record_id: String,
    pub query: String,
}

/// One audit row: who touched which record, when, and through which query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// 1 for the first row, then gap-free.
    pub sequence: i64,
    /// When it happened. Hashed at microsecond precision (what PostgreSQL keeps), so store it
    /// with at least that.
    pub at: DateTime<Utc>,
    /// The principal's user id.
    pub actor: String,
    /// The [`Action`](crate::Action) key (`READ_CASE`).
    pub action: String,
    /// [`record_kind::CHILD`] or [`record_kind::CASE`].
    pub record_kind: String,
    pub record_id: String,
    /// The API operation it came through (`query CaseDetail { case }`, or the field path).
    pub query: String,
    /// `None` for a row of one record (the fields above). For a request's row
    /// ([`record_kind::REQUEST`]), every record the request read, in the order hashed.
    pub records: Option<Vec<AuditRecord>>,
}

impl AuditEntry {
    /// The records this row says were read, one line each.
    pub fn reads(&self) -> Vec<AuditRead> {
        let line = |action: &str, kind: &str, id: &str, query: &str| AuditRead {
            sequence: self.sequence,
            at: self.at,
            actor: self.actor.clone(),
            action: action.to_owned(),
            record_kind: kind.to_owned(),
            record_id: id.to_owned(),
            query: query.to_owned(),
        };
        match &self.records {
            None => vec![line(
                &self.action,
                &self.record_kind,
                &self.record_id,
                &self.query,
            )],
            Some(records) => records
                .iter()
                .map(|r| line(&r.action, &r.record_kind, &r.record_id, &r.query))
                .collect(),
        }
    }
}

/// The hash of `entry` chained to the row before it: SHA-256 over a tag, the previous hash and
/// every field, each prefixed by its length, so that no two different rows encode alike.
/// A request's row hashes its records after those fields: their number, then each record's
/// four fields, in the order stored (so a record changed, added, removed or moved is found).
pub fn chain_hash(previous_hash: &str, entry: &AuditEntry) -> String {
    let at = entry.at.to_rfc3339_opts(SecondsFormat::Micros, true);
    let sequence = entry.sequence.to_string();
    let mut hasher = Sha256::new();
    let tag = match entry.records {
        None => DOMAIN_TAG,
        Some(_) => REQUEST_DOMAIN_TAG,
    };
    for field in [
        tag,
        previous_hash.as_bytes(),
        sequence.as_bytes(),
        at.as_bytes(),
        entry.actor.as_bytes(),
        entry.action.as_bytes(),
        entry.record_kind.as_bytes(),
        entry.record_id.as_bytes(),
        entry.query.as_bytes(),
    ] {
        hash_field(&mut hasher, field);
    }
    if let Some(records) = &entry.records {
        hasher.update((records.len() as u64).to_be_bytes());
        for record in records {
            for field in [
                &record.action,
                &record.record_kind,
                &record.record_id,
                &record.query,
            ] {
                hash_field(&mut hasher, field.as_bytes());
            }
        }
    }
    hex::encode(hasher.finalize())
}

/// A field prefixed by its length, so that no two different rows encode alike.
fn hash_field(hasher: &mut Sha256, field: &[u8]) {
    hasher.update((field.len() as u64).to_be_bytes());
    hasher.update(field);
}

/// Where a chain is verified from: the start, or a row already verified (a checkpoint).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainAnchor {
    /// The sequence of the last row already verified (0 for the start).
    pub sequence: i64,
    /// That row's hash ([`GENESIS_HASH`] for the start).
    pub hash: String,
}

impl ChainAnchor {
    pub fn genesis() -> ChainAnchor {
        ChainAnchor {
            sequence: 0,
            hash: GENESIS_HASH.to_owned(),
        }
    }
}

/// A chain that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainSummary {
    /// Rows checked.
    pub rows: u64,
    /// The last row's sequence (the anchor's when no row was checked).
    pub last_sequence: i64,
    /// The last row's hash: keep it outside the database to detect truncation later.
    pub head_hash: String,
}

/// What is wrong at a break.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BreakReason {
    /// The row's stored hash is not the hash of its fields and the previous hash: this row was
    /// altered, or a row before it was (or was deleted and the rest renumbered).
    Altered,
    /// Rows are missing before this one.
    Missing { expected: i64 },
    /// This row comes after a row with the same or a higher sequence.
    OutOfOrder { previous: i64 },
}

/// The first place the chain does not hold.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("the audit chain is broken at row {sequence}: {}", describe(.reason))]
pub struct ChainBreak {
    pub sequence: i64,
    pub reason: BreakReason,
}

fn describe(reason: &BreakReason) -> String {
    match reason {
        BreakReason::Altered => "its hash does not match its contents and the row before it \
            (the row was altered, or one before it was altered or deleted)"
            .to_owned(),
        BreakReason::Missing { expected } => {
            format!("row {expected} is missing (a row was deleted)")
        }
        BreakReason::OutOfOrder { previous } => {
            format!("it follows row {previous} (rows were reordered or duplicated)")
        }
    }
}

/// Verifies rows in the order they are stored (by sequence), from the start.
pub fn verify_chain(
    rows: impl IntoIterator<Item = (AuditEntry, String)>,
) -> Result<ChainSummary, ChainBreak> {
    verify_chain_from(ChainAnchor::genesis(), rows)
}

/// Verifies rows that follow `anchor`, each with its stored hash; stops at the first break.
pub fn verify_chain_from(
    anchor: ChainAnchor,
    rows: impl IntoIterator<Item = (AuditEntry, String)>,
) -> Result<ChainSummary, ChainBreak> {
    let mut previous_sequence = anchor.sequence;
    let mut previous_hash = anchor.hash;
    let mut checked = 0u64;
    for (entry, stored_hash) in rows {
        let sequence = entry.sequence;
        let expected = previous_sequence.saturating_add(1);
        if sequence <= previous_sequence {
            return Err(ChainBreak {
                sequence,
                reason: BreakReason::OutOfOrder {
                    previous: previous_sequence,
                },
            });
        }
        if sequence != expected {
            return Err(ChainBreak {
                sequence,
                reason: BreakReason::Missing { expected },
            });
        }
        let computed = chain_hash(&previous_hash, &entry);
        if !bool::from(computed.as_bytes().ct_eq(stored_hash.as_bytes())) {
            return Err(ChainBreak {
                sequence,
                reason: BreakReason::Altered,
            });
        }
        previous_sequence = sequence;
        previous_hash = stored_hash;
        checked += 1;
    }
    Ok(ChainSummary {
        rows: checked,
        last_sequence: previous_sequence,
        head_hash: previous_hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn entry(sequence: i64) -> AuditEntry {
        let start = Utc
            .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
            .single()
            .expect("valid instant");
        AuditEntry {
            sequence,
            at: start + Duration::seconds(sequence),
            actor: format!("user-{}", sequence % 3),
            action: "READ_CASE".to_owned(),
            record_kind: record_kind::CASE.to_owned(),
            record_id: format!("case-{sequence}"),
            query: "case".to_owned(),
            records: None,
        }
    }

    fn record(kind: &str, id: &str) -> AuditRecord {
        AuditRecord {
            action: "LIST_CASES".to_owned(),
            record_kind: kind.to_owned(),
            record_id: id.to_owned(),
            query: "drift".to_owned(),
        }
    }

    /// A request's row naming three records.
    fn request_entry(sequence: i64) -> AuditEntry {
        AuditEntry {
            action: REQUEST_ACTION.to_owned(),
            record_kind: record_kind::REQUEST.to_owned(),
            record_id: String::new(),
            query: "POST /graphql".to_owned(),
            records: Some(vec![
                record(record_kind::CASE, "case-a"),
                record(record_kind::CASE, "case-b"),
                record(record_kind::CHILD, "child-c"),
            ]),
            ..entry(sequence)
        }
    }

    /// Rows of one record, then request rows, chained: the log as it is after the change.
    fn mixed_chain() -> Vec<(AuditEntry, String)> {
        let mut previous = GENESIS_HASH.to_owned();
        (1..=6)
            .map(|sequence| {
                let entry = if sequence <= 3 {
                    entry(sequence)
                } else {
                    request_entry(sequence)
                };
                let hash = chain_hash(&previous, &entry);
                previous = hash.clone();
                (entry, hash)
            })
            .collect()
    }

    #[test]
    fn rows_of_one_record_and_request_rows_verify_in_one_chain() {
        let rows = mixed_chain();
        assert_eq!(verify_chain(rows).map(|s| s.rows), Ok(6));
        // A request's row reads as one line per record, with the row's reader and time.
        let reads = request_entry(4).reads();
        assert_eq!(reads.len(), 3);
        assert_eq!(reads[2].record_id, "child-c");
        assert_eq!(reads[2].record_kind, record_kind::CHILD);
        assert_eq!(reads[2].sequence, 4);
        assert_eq!(reads[2].actor, request_entry(4).actor);
        assert_eq!(entry(2).reads()[0].record_id, "case-2");
    }

    #[test]
    fn a_changed_record_list_is_detected_at_its_row() {
        for alter in [
            (|records: &mut Vec<AuditRecord>| records[1].record_id = "case-z".to_owned())
                as fn(&mut Vec<AuditRecord>),
            |records| {
                records.remove(0);
            },
            |records| records.push(record(record_kind::CASE, "case-d")),
            |records| records.swap(0, 1),
            |records| records[0].action = "READ_CASE".to_owned(),
            |records| records[2].record_kind = record_kind::CASE.to_owned(),
            |records| records[0].query = "cases".to_owned(),
            |records| records.clear(),
        ] {
            let mut rows = mixed_chain();
            alter(rows[4].0.records.as_mut().expect("a request row"));
            assert_eq!(
                verify_chain(rows),
                Err(ChainBreak {
                    sequence: 5,
                    reason: BreakReason::Altered
                })
            );
        }
        // Pinned (computed independently with Python's hashlib), as the first encoding is.
        assert_eq!(
            chain_hash(GENESIS_HASH, &request_entry(1)),
            "268c4a619c1271e96ec1fa26cd2845f199cd70e75be1a700b5a5187ca76b0e23",
        );
        // A request's row passed off as a row of one record (its list dropped) is found too.
        let mut rows = mixed_chain();
        rows[3].0.records = None;
        assert_eq!(verify_chain(rows).map_err(|b| b.sequence), Err(4));
    }

    /// A well-formed chain of `n` rows, each with its stored hash.
    fn chain(n: i64) -> Vec<(AuditEntry, String)> {
        let mut previous = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|sequence| {
                let entry = entry(sequence);
                let hash = chain_hash(&previous, &entry);
                previous = hash.clone();
                (entry, hash)
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies_and_reports_its_head() {
        let rows = chain(5);
        let head = rows[4].1.clone();
        assert_eq!(
            verify_chain(rows),
            Ok(ChainSummary {
                rows: 5,
                last_sequence: 5,
                head_hash: head
            })
        );
        assert_eq!(
            verify_chain(Vec::new()),
            Ok(ChainSummary {
                rows: 0,
                last_sequence: 0,
                head_hash: GENESIS_HASH.to_owned()
            })
        );
    }

    #[test]
    fn an_altered_field_is_detected_at_its_row() {
        for alter in [
            (|e: &mut AuditEntry| e.actor.push('x')) as fn(&mut AuditEntry),
            |e| e.record_id = "case-99".to_owned(),
            |e| e.action = "LIST_CASES".to_owned(),
            |e| e.record_kind = record_kind::CHILD.to_owned(),
            |e| e.query = "cases".to_owned(),
            |e| e.at += Duration::microseconds(1),
        ] {
            let mut rows = chain(5);
            alter(&mut rows[2].0);
            assert_eq!(
                verify_chain(rows),
                Err(ChainBreak {
                    sequence: 3,
                    reason: BreakReason::Altered
                })
            );
        }
    }

    #[test]
    fn an_altered_stored_hash_is_detected_at_the_next_row() {
        let mut rows = chain(5);
        rows[2].1 = chain_hash(GENESIS_HASH, &rows[2].0);
        // Row 3's own hash no longer matches; were it recomputed to match, row 4 would break.
        assert_eq!(verify_chain(rows.clone()).map_err(|b| b.sequence), Err(3));
        let mut rewritten = chain(5);
        rewritten[2].0.actor = "someone-else".to_owned();
        rewritten[2].1 = chain_hash(&rewritten[1].1, &rewritten[2].0);
        assert_eq!(
            verify_chain(rewritten),
            Err(ChainBreak {
                sequence: 4,
                reason: BreakReason::Altered
            })
        );
    }

    #[test]
    fn a_deleted_row_is_detected() {
        let mut rows = chain(5);
        rows.remove(2);
        assert_eq!(
            verify_chain(rows),
            Err(ChainBreak {
                sequence: 4,
                reason: BreakReason::Missing { expected: 3 }
            })
        );
        let mut first_gone = chain(3);
        first_gone.remove(0);
        assert_eq!(
            verify_chain(first_gone),
            Err(ChainBreak {
                sequence: 2,
                reason: BreakReason::Missing { expected: 1 }
            })
        );
    }

    #[test]
    fn a_deleted_row_with_the_rest_renumbered_is_detected() {
        let mut rows = chain(5);
        rows.remove(2);
        for (entry, _) in rows.iter_mut().skip(2) {
            entry.sequence -= 1;
        }
        assert_eq!(
            verify_chain(rows),
            Err(ChainBreak {
                sequence: 3,
                reason: BreakReason::Altered
            })
        );
    }

    #[test]
    fn reordered_rows_are_detected() {
        let mut rows = chain(5);
        rows.swap(1, 2);
        assert_eq!(
            verify_chain(rows),
            Err(ChainBreak {
                sequence: 3,
                reason: BreakReason::Missing { expected: 2 }
            })
        );
        let mut swapped = chain(5);
        swapped.swap(3, 1);
        let broken = verify_chain(swapped).expect_err("reordering breaks the chain");
        assert_eq!(broken.sequence, 4);

        // Contents swapped between two rows, sequence numbers left in place.
        let mut contents_swapped = chain(5);
        let (second, third) = (contents_swapped[1].clone(), contents_swapped[2].clone());
        contents_swapped[1] = (
            AuditEntry {
                sequence: 2,
                ..third.0
            },
            third.1,
        );
        contents_swapped[2] = (
            AuditEntry {
                sequence: 3,
                ..second.0
            },
            second.1,
        );
        assert_eq!(
            verify_chain(contents_swapped),
            Err(ChainBreak {
                sequence: 2,
                reason: BreakReason::Altered
            })
        );
    }

    #[test]
    fn a_duplicated_row_is_detected() {
        let mut rows = chain(3);
        rows.insert(2, rows[1].clone());
        assert_eq!(
            verify_chain(rows),
            Err(ChainBreak {
                sequence: 2,
                reason: BreakReason::OutOfOrder { previous: 2 }
            })
        );
    }

    #[test]
    fn verification_resumes_from_a_checkpoint() {
        let rows = chain(6);
        let anchor = ChainAnchor {
            sequence: 3,
            hash: rows[2].1.clone(),
        };
        let summary = verify_chain_from(anchor, rows[3..].to_vec()).expect("verifies");
        assert_eq!(summary.rows, 3);
        assert_eq!(summary.last_sequence, 6);
        let wrong_anchor = ChainAnchor {
            sequence: 3,
            hash: rows[1].1.clone(),
        };
        assert!(verify_chain_from(wrong_anchor, rows[3..].to_vec()).is_err());
    }

    #[test]
    fn the_encoding_is_unambiguous_and_pinned() {
        let base = entry(1);
        let moved = AuditEntry {
            actor: format!("{}R", base.actor),
            action: base.action[1..].to_owned(),
            ..base.clone()
        };
        assert_eq!(
            format!("{}{}", base.actor, base.action),
            format!("{}{}", moved.actor, moved.action)
        );
        assert_ne!(
            chain_hash(GENESIS_HASH, &base),
            chain_hash(GENESIS_HASH, &moved)
        );
        // Pinned (computed independently with Python's hashlib): a change to the encoding
        // would orphan every stored chain.
        assert_eq!(
            chain_hash(GENESIS_HASH, &base),
            "61a20095df806ca99b6dff5fc5ab5302efbc602d412f780888b9f0b098210a31",
        );
    }

    #[test]
    fn sub_microsecond_precision_is_not_hashed() {
        let base = entry(1);
        let finer = AuditEntry {
            at: base.at + Duration::nanoseconds(999),
            ..base.clone()
        };
        assert_eq!(
            chain_hash(GENESIS_HASH, &base),
            chain_hash(GENESIS_HASH, &finer)
        );
        let break_message = ChainBreak {
            sequence: 7,
            reason: BreakReason::Missing { expected: 6 },
        }
        .to_string();
        assert_eq!(
            break_message,
            "the audit chain is broken at row 7: row 6 is missing (a row was deleted)"
        );
    }
}
