//! Cases' states as last parsed, so that a read of a case that has not changed does not parse
//! its state again.
//!
//! A case's state is a JSON document of a few kilobytes, and parsing it (dates as text,
//! maps, lists) was the largest single cost of reading a page of cases: about 15% of the
//! server's CPU on a drift page of 50 cases. A state is only ever written with a new
//! version, so a case's id, version and time of writing name one state for good: the row
//! read says which state it holds, and when this process has parsed that state before, the
//! parsed one is shared (`CaseRecord.state` is an `Arc`). The row itself is still read every
//! time, so a change made by another process is seen as soon as it commits, exactly as
//! without this: what is kept is a parse, never a decision about what is current.
//!
//! The time of writing is part of the key so that a database restored from a backup under a
//! running server, whose cases then go on to a version they had before, cannot be mistaken
//! for the state this process parsed the first time.
//!
//! A page of cases goes further (`Store::cases_of_select`): it first reads each case's
//! identity (id, child, version, time of writing), then the state's text only of the cases
//! whose state this process has not parsed, so that an unchanged page moves a few bytes a
//! case from the database rather than kilobytes. A single case is read in one query, as
//! before: for it a second round trip would cost more than the text.
//!
//! Memory is bounded by two generations of at most [`ENTRIES_PER_GENERATION`] cases: when the
//! current one is full it becomes the previous one, and what is read from the previous one
//! moves back into the current one, so the cases in use stay and the others age out.

use crate::entities::cases;
use crate::records::CaseRecord;
use crate::rows::in_chunks;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use permanence_domain::{CaseId, CaseState, ChildId};
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Select};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use uuid::Uuid;

/// Cases kept per generation: a caseload, a drift board and the cases opened today, for a
/// large authority, stay in the current one. A state is a few kilobytes parsed.
pub(crate) const ENTRIES_PER_GENERATION: usize = 8_192;

/// The process's parsed states, shared by the store's clones.
#[derive(Default)]
pub(crate) struct CaseStates {
    generations: Mutex<Generations>,
}

impl std::fmt::Debug for CaseStates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CaseStates")
    }
}

#[derive(Default)]
struct Generations {
    current: HashMap<CaseId, Parsed>,
    previous: HashMap<CaseId, Parsed>,
}

#[derive(Clone)]
struct Parsed {
    version: i64,
    updated_at: DateTime<Utc>,
    state: Arc<CaseState>,
}

impl Parsed {
    fn is_of(&self, version: i64, updated_at: DateTime<Utc>) -> bool {
        self.version == version && self.updated_at == updated_at
    }
}

/// What names a case's stored state: enough to tell whether it is parsed already.
#[derive(Debug, FromQueryResult)]
struct CaseHead {
    id: Uuid,
    child_id: Uuid,
    version: i64,
    updated_at: DateTime<Utc>,
}

impl CaseStates {
    fn generations(&self) -> MutexGuard<'_, Generations> {
        // Nothing is ever left half-changed under the lock that would matter: recover it.
        self.generations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The record of a row read from `cases`, its state parsed once per version.
    pub(crate) fn record(&self, row: cases::Model) -> Result<CaseRecord, StoreError> {
        let id = CaseId(row.id);
        if let Some(state) = self.parsed(id, row.version, row.updated_at) {
            return Ok(CaseRecord::with_state(row, state));
        }
        let version = row.version;
        let updated_at = row.updated_at;
        let record = CaseRecord::try_from(row)?;
        self.keep(
            id,
            Parsed {
                version,
                updated_at,
                state: Arc::clone(&record.state),
            },
        );
        Ok(record)
    }

    /// The record of a case named by its head, when its state is parsed already.
    fn record_of_head(&self, head: &CaseHead) -> Option<CaseRecord> {
        let state = self.parsed(CaseId(head.id), head.version, head.updated_at)?;
        Some(CaseRecord {
            id: CaseId(head.id),
            child_id: ChildId(head.child_id),
            version: head.version,
            state,
            updated_at: head.updated_at,
        })
    }

    fn parsed(
        &self,
        id: CaseId,
        version: i64,
        updated_at: DateTime<Utc>,
    ) -> Option<Arc<CaseState>> {
        let mut generations = self.generations();
        if let Some(parsed) = generations.current.get(&id) {
            return parsed
                .is_of(version, updated_at)
                .then(|| Arc::clone(&parsed.state));
        }
        let parsed = generations.previous.remove(&id)?;
        if !parsed.is_of(version, updated_at) {
            return None;
        }
        let state = Arc::clone(&parsed.state);
        generations.insert(id, parsed);
        Some(state)
    }

    fn keep(&self, id: CaseId, parsed: Parsed) {
        self.generations().insert(id, parsed);
    }

    #[cfg(test)]
    fn len(&self) -> (usize, usize) {
        let generations = self.generations();
        (generations.current.len(), generations.previous.len())
    }
}

impl Store {
    /// The cases a query selects, in its order: each case's head first, then the whole rows
    /// of only those whose state this process has not parsed. A case changed between the
    /// two reads is given as the second read found it.
    pub(crate) async fn cases_of_select(
        &self,
        query: Select<cases::Entity>,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        let heads = query
            .select_only()
            .columns([
                cases::Column::Id,
                cases::Column::ChildId,
                cases::Column::Version,
                cases::Column::UpdatedAt,
            ])
            .into_model::<CaseHead>()
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        let mut found: Vec<(Uuid, Option<CaseRecord>)> = heads
            .iter()
            .map(|head| (head.id, self.case_states.record_of_head(head)))
            .collect();
        let missing: Vec<Uuid> = found
            .iter()
            .filter(|(_, record)| record.is_none())
            .map(|(id, _)| *id)
            .collect();
        if !missing.is_empty() {
            let rows = in_chunks(&missing, |chunk| {
                cases::Entity::find()
                    .filter(cases::Column::Id.is_in(chunk.iter().copied()))
                    .all(&self.db)
            })
            .await?;
            let mut read: HashMap<Uuid, CaseRecord> = HashMap::with_capacity(rows.len());
            for row in rows {
                read.insert(row.id, self.case_states.record(row)?);
            }
            for (id, record) in &mut found {
                if record.is_none() {
                    // Cases are never deleted: a head without its row is a damaged store.
                    let row = read
                        .remove(id)
                        .ok_or_else(|| StoreError::Corrupt("a case vanished while read".into()))?;
                    *record = Some(row);
                }
            }
        }
        Ok(found.into_iter().filter_map(|(_, record)| record).collect())
    }
}

impl Generations {
    fn insert(&mut self, id: CaseId, parsed: Parsed) {
        if self.current.len() >= ENTRIES_PER_GENERATION && !self.current.contains_key(&id) {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(id, parsed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use permanence_domain::ChildId;
    use permanence_domain::case::{Event, evolve};
    use permanence_domain::codes::{LegalStatus, PlacementType};
    use uuid::Uuid;

    fn state_in_team(id: Uuid, team: &str) -> CaseState {
        let opened = Event::CaseOpened {
            case_id: CaseId(id),
            child_id: ChildId(Uuid::nil()),
            local_authority: "E10000003".into(),
            child_birth_date: NaiveDate::from_ymd_opt(2020, 1, 1).expect("valid"),
            entered_care_on: NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid"),
            legal_status: LegalStatus::C2,
            placement: PlacementType::U3,
            provider: None,
            carer: None,
            team: Some(team.into()),
            allocated_worker: None,
            details: Default::default(),
        };
        evolve(None, &opened).expect("a case opens")
    }

    fn row(state: &CaseState, version: i64, at_second: u32) -> cases::Model {
        cases::Model {
            id: state.id.0,
            child_id: Uuid::nil(),
            local_authority: state.local_authority.clone(),
            team: state.team.clone(),
            allocated_worker: None,
            entered_care_on: state.entered_care_on,
            left_care_on: None,
            reason_ceased: None,
            primary_route: None,
            primary_step: None,
            parallel_route: None,
            primary_step_on: None,
            status: "open".into(),
            version,
            state: serde_json::to_string(state).expect("valid"),
            updated_at: Utc
                .with_ymd_and_hms(2026, 12, 5, 10, 0, at_second)
                .single()
                .expect("a valid time"),
        }
    }

    #[test]
    fn the_same_row_shares_one_parse_and_another_version_or_time_is_parsed_afresh() {
        let states = CaseStates::default();
        let id = Uuid::now_v7();
        let north = state_in_team(id, "North");
        let south = state_in_team(id, "South");

        let first = states.record(row(&north, 1, 0)).expect("read");
        let again = states.record(row(&north, 1, 0)).expect("read");
        assert!(Arc::ptr_eq(&first.state, &again.state), "one parse, shared");
        assert_eq!(again.state.team.as_deref(), Some("North"));

        let next_version = states.record(row(&south, 2, 1)).expect("valid");
        assert_eq!(next_version.state.team.as_deref(), Some("South"));

        // Restored from a backup, and on to version 2 again with other content: the time of
        // writing tells the two apart.
        let restored = states.record(row(&north, 2, 7)).expect("valid");
        assert_eq!(restored.state.team.as_deref(), Some("North"));
        assert_eq!(restored.version, 2);
    }

    #[test]
    fn memory_is_two_generations_and_the_cases_in_use_stay() {
        let states = CaseStates::default();
        let kept = state_in_team(Uuid::now_v7(), "North");
        let first = states.record(row(&kept, 1, 0)).expect("valid");
        for _ in 0..ENTRIES_PER_GENERATION {
            states
                .record(row(&state_in_team(Uuid::now_v7(), "East"), 1, 0))
                .expect("valid");
        }
        assert_eq!(states.len(), (1, ENTRIES_PER_GENERATION));
        // Read from the previous generation, it moves back into the current one.
        let again = states.record(row(&kept, 1, 0)).expect("valid");
        assert!(Arc::ptr_eq(&first.state, &again.state));
        assert_eq!(states.len(), (2, ENTRIES_PER_GENERATION - 1));
    }
}
