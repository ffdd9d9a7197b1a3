//! Sibling groups: recording a group of brothers and sisters and the decision to place them
//! together or apart, and revising it.
//!
//! The engine reads what the rules need of each member's case (its authority, whether the
//! child is in care, the group it is in), lets the domain decide, and has the store write the
//! decision in one transaction under the group's version. A case that closes between the read
//! and the write is still listed: a member who leaves care stays in the group.

use crate::error::command_id_reused;
use crate::{CONFLICT_RETRIES, CommandMeta, Engine, EngineError};
use permanence_domain::CaseId;
use permanence_domain::ids::SiblingGroupId;
use permanence_domain::siblings::{
    MemberFacts, PlacementDecision, RecordSiblingGroup, SiblingGroupState, decide, evolve,
};
use permanence_store::{
    SiblingGroupEventRecord, SiblingGroupRecord, SiblingGroupWrite, SiblingWriteOutcome,
};
use uuid::Uuid;

/// A group after a decision was recorded.
#[derive(Clone, Debug)]
pub struct SiblingGroupOutcome {
    pub group: SiblingGroupRecord,
    /// The command id had been processed before: nothing new was recorded.
    pub duplicate: bool,
}

impl Engine {
    pub async fn sibling_group(
        &self,
        id: SiblingGroupId,
    ) -> Result<Option<SiblingGroupRecord>, EngineError> {
        self.store
            .sibling_group(id)
            .await
            .map_err(EngineError::from_store)
    }

    /// The group a case is in, if any.
    pub async fn sibling_group_of_case(
        &self,
        case_id: CaseId,
    ) -> Result<Option<SiblingGroupRecord>, EngineError> {
        let Some(id) = self
            .store
            .sibling_groups_of_cases(&[case_id])
            .await
            .map_err(EngineError::from_store)?
            .remove(&case_id)
        else {
            return Ok(None);
        };
        self.sibling_group(id).await
    }

    /// Every decision on a group, oldest first, with who recorded it.
    pub async fn sibling_group_history(
        &self,
        id: SiblingGroupId,
    ) -> Result<Vec<SiblingGroupEventRecord>, EngineError> {
        self.store
            .sibling_group_events(id)
            .await
            .map_err(EngineError::from_store)
    }

    /// Replays a group's events and compares the result with its stored state, version and
    /// members: every change to a group is in its events.
    pub async fn verify_sibling_group(&self, id: SiblingGroupId) -> Result<bool, EngineError> {
        let record = self
            .sibling_group(id)
            .await?
            .ok_or(EngineError::NotFound("sibling group"))?;
        let events = self.sibling_group_history(id).await?;
        let gap_free = events
            .iter()
            .enumerate()
            .all(|(i, e)| e.sequence == i64::try_from(i).unwrap_or(i64::MAX) + 1);
        let replayed = permanence_domain::siblings::replay(events.iter().map(|e| &e.event));
        let members = self
            .store
            .sibling_groups_of_cases(&record.state.members)
            .await
            .map_err(EngineError::from_store)?;
        Ok(gap_free
            && replayed.as_ref() == Some(&record.state)
            && record.version == i64::try_from(events.len()).unwrap_or(i64::MAX)
            && record
                .state
                .members
                .iter()
                .all(|m| members.get(m) == Some(&id)))
    }

    /// Records a new group (`group` none) or revises one, with its placement decision. The
    /// same command id twice records once; `meta.expected_version` is the group's version.
    pub async fn record_sibling_group(
        &self,
        meta: &CommandMeta,
        group: Option<SiblingGroupId>,
        members: Vec<CaseId>,
        decision: PlacementDecision,
    ) -> Result<SiblingGroupOutcome, EngineError> {
        let command_id = meta.command_id.unwrap_or_else(Uuid::now_v7);
        let command = RecordSiblingGroup {
            new_group_id: SiblingGroupId(Uuid::now_v7()),
            members,
            decision,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.record_once(meta, command_id, group, &command).await {
                Err(EngineError::VersionConflict)
                    if meta.expected_version.is_none() && attempt < CONFLICT_RETRIES =>
                {
                    continue;
                }
                other => return other,
            }
        }
    }

    async fn record_once(
        &self,
        meta: &CommandMeta,
        command_id: Uuid,
        group: Option<SiblingGroupId>,
        command: &RecordSiblingGroup,
    ) -> Result<SiblingGroupOutcome, EngineError> {
        if let Some(done) = self
            .store
            .sibling_group_of_command(command_id)
            .await
            .map_err(EngineError::from_store)?
        {
            return self.repeated(done, group).await;
        }
        let current = match group {
            Some(id) => Some(
                self.sibling_group(id)
                    .await?
                    .ok_or(EngineError::NotFound("sibling group"))?,
            ),
            None => None,
        };
        let version = current.as_ref().map_or(0, |g| g.version);
        if let Some(expected) = meta.expected_version
            && current.is_some()
            && expected != version
        {
            return Err(EngineError::VersionConflict);
        }
        let state = current.as_ref().map(|g| &g.state);
        let facts = self.member_facts(state, &command.members).await?;
        let events = decide(state, command, &facts, self.today()).map_err(EngineError::Domain)?;
        let Some(event) = events.into_iter().next() else {
            return Err(EngineError::Internal("a decision without its event".into()));
        };
        let after = evolve(state.cloned(), &event)
            .ok_or_else(|| EngineError::Internal("no group after its event".into()))?;
        let group_id = after.id;
        let write = SiblingGroupWrite {
            command_id,
            group_id,
            expected_version: version,
            event_id: Uuid::now_v7(),
            event,
            state: after,
            actor: meta.actor.0.clone(),
        };
        let outcome = self
            .store
            .record_sibling_group(&write, self.clock.now())
            .await
            // A new group that lost a race for one of its cases is a CONFLICT that says so.
            .map_err(EngineError::from_store)?;
        match outcome {
            SiblingWriteOutcome::Recorded => Ok(SiblingGroupOutcome {
                group: self
                    .sibling_group(group_id)
                    .await?
                    .ok_or(EngineError::NotFound("sibling group"))?,
                duplicate: false,
            }),
            SiblingWriteOutcome::AlreadyProcessed(done) => self.repeated(done, group).await,
        }
    }

    /// The answer to a command id seen before: the group it recorded, if it is the group asked
    /// about (or a new group was asked for).
    async fn repeated(
        &self,
        done: SiblingGroupId,
        asked: Option<SiblingGroupId>,
    ) -> Result<SiblingGroupOutcome, EngineError> {
        if asked.is_some_and(|asked| asked != done) {
            return Err(command_id_reused());
        }
        Ok(SiblingGroupOutcome {
            group: self
                .sibling_group(done)
                .await?
                .ok_or(EngineError::NotFound("sibling group"))?,
            duplicate: true,
        })
    }

    /// What the rules need of every case named and every member of the group as it stands.
    async fn member_facts(
        &self,
        state: Option<&SiblingGroupState>,
        named: &[CaseId],
    ) -> Result<Vec<MemberFacts>, EngineError> {
        let mut ids: Vec<CaseId> = named.to_vec();
        if let Some(group) = state {
            ids.extend(group.members.iter().copied());
        }
        ids.sort();
        ids.dedup();
        let cases = self
            .store
            .cases_by_ids(&ids)
            .await
            .map_err(EngineError::from_store)?;
        let groups = self
            .store
            .sibling_groups_of_cases(&ids)
            .await
            .map_err(EngineError::from_store)?;
        ids.iter()
            .map(|id| {
                let case = cases.get(id).ok_or(EngineError::NotFound("case"))?;
                Ok(MemberFacts {
                    case_id: *id,
                    local_authority: case.state.local_authority.clone(),
                    open: case.state.is_open(),
                    group: groups.get(id).copied(),
                })
            })
            .collect()
    }
}
