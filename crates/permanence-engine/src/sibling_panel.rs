//! The panel hears a sibling group as one agenda item: one outcome, recorded on the item of
//! each brother and sister on the meeting's agenda for the same purpose, in one transaction.
//!
//! Each child's case still takes the outcome as its own command (`RecordPanelOutcome`,
//! decided by the same rules against its own route), so the per-case path and this one
//! cannot disagree; if any case refuses, none is recorded. The group's command id is recorded
//! once: sending it again records nothing more.

use crate::error::command_id_reused;
use crate::panel::outcome_change;
use crate::{CONFLICT_RETRIES, CaseChanged, CommandMeta, Engine, EngineError};
use permanence_domain::ids::{PanelMeetingId, SiblingGroupId};
use permanence_domain::panel::{PanelItemStatus, PanelOutcome, PanelPurpose};
use permanence_domain::words::with_article;
use permanence_domain::{CaseId, Command, DomainError};
use permanence_store::{
    CaseRecord, PanelItemChange, PanelItemRecord, PanelMeetingRecord, RunError,
    SeveralCasesCommandKey, SeveralCasesOutcome,
};
use std::collections::HashMap;
use uuid::Uuid;

/// The kind a group's outcome is recorded under in `processed_commands`.
pub const SIBLING_GROUP_RECOMMENDATION_KIND: &str = "recordSiblingGroupPanelRecommendation";

/// A sibling group's items after the panel's outcome was recorded on them.
#[derive(Clone, Debug)]
pub struct SiblingPanelOutcome {
    pub meeting: PanelMeetingRecord,
    /// The group's items on the meeting's agenda for the purpose, in agenda order.
    pub items: Vec<PanelItemRecord>,
    /// Their cases as they now stand.
    pub cases: Vec<CaseRecord>,
    /// The command id had been processed before: nothing new was recorded.
    pub duplicate: bool,
}

impl Engine {
    /// The group's items on a meeting's agenda for a purpose (withdrawn ones left out).
    async fn group_items(
        &self,
        meeting: PanelMeetingId,
        group: SiblingGroupId,
        purpose: PanelPurpose,
    ) -> Result<Vec<PanelItemRecord>, EngineError> {
        let group = self
            .sibling_group(group)
            .await?
            .ok_or(EngineError::NotFound("sibling group"))?;
        let mut items: Vec<PanelItemRecord> = self
            .store
            .panel_items_of_meetings(&[meeting])
            .await
            .map_err(EngineError::from_store)?
            .remove(&meeting)
            .unwrap_or_default()
            .into_iter()
            .filter(|i| {
                i.purpose == purpose
                    && i.status != PanelItemStatus::Withdrawn
                    && group.state.members.contains(&i.case_id)
            })
            .collect();
        items.sort_by_key(|i| i.position);
        Ok(items)
    }

    /// Records the panel's outcome for a sibling group heard as one item: on the scheduled
    /// item of each member on the meeting's agenda for `purpose` (two or more), all of them
    /// or none.
    pub async fn record_sibling_group_panel_outcome(
        &self,
        meta: &CommandMeta,
        meeting_id: PanelMeetingId,
        group_id: SiblingGroupId,
        purpose: PanelPurpose,
        outcome: PanelOutcome,
    ) -> Result<SiblingPanelOutcome, EngineError> {
        crate::check_note(meta)?;
        let outcome = match outcome {
            PanelOutcome::Deferred { reason, return_by } => PanelOutcome::Deferred {
                reason: reason.trim().to_owned(),
                return_by,
            },
            other => other,
        };
        outcome.validate_text().map_err(EngineError::Domain)?;
        let command_id = meta.command_id.unwrap_or_else(Uuid::now_v7);
        let key = SeveralCasesCommandKey {
            id: command_id,
            kind: SIBLING_GROUP_RECOMMENDATION_KIND,
            record_id: group_id.0,
        };
        // The case versions are not the chair's to pin: they saw the agenda.
        let case_meta = CommandMeta {
            expected_version: None,
            ..meta.clone()
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let meeting = self
                .store
                .panel_meeting(meeting_id)
                .await
                .map_err(EngineError::from_store)?
                .ok_or(EngineError::NotFound("panel meeting"))?;
            let items = self.group_items(meeting_id, group_id, purpose).await?;
            if let Some(done) = self
                .store
                .processed_command(command_id)
                .await
                .map_err(EngineError::from_store)?
            {
                if done.kind.as_deref() != Some(SIBLING_GROUP_RECOMMENDATION_KIND)
                    || done.record_id != Some(group_id.0)
                {
                    return Err(command_id_reused());
                }
                return self.group_outcome(meeting, items, true).await;
            }
            let scheduled: Vec<&PanelItemRecord> = items
                .iter()
                .filter(|i| i.status == PanelItemStatus::Scheduled)
                .collect();
            if scheduled.len() < 2 {
                return Err(EngineError::Domain(DomainError::not_allowed(format!(
                    "fewer than two of the sibling group's children wait on this agenda for {}: record the panel's outcome on each item",
                    with_article(purpose.label())
                ))));
            }
            let mut prepared: HashMap<CaseId, (Command, PanelItemChange)> = HashMap::new();
            for item in &scheduled {
                prepared.insert(
                    item.case_id,
                    outcome_change(item, &meeting, self.today(), &outcome)?,
                );
            }
            let case_ids: Vec<CaseId> = prepared.keys().copied().collect();
            let now = self.clock.now();
            let result = self
                .store
                .run_several_cases_command(key, &case_ids, now, |case_id, state, _version| {
                    let (command, change) = prepared
                        .get(&case_id)
                        .ok_or_else(|| EngineError::Internal("a case not prepared".into()))?;
                    self.case_changes(&case_meta, Some(state), command, Some(change.clone()), now)
                })
                .await;
            match result {
                Ok(SeveralCasesOutcome::Applied(applied)) => {
                    for (case_id, version, events) in &applied {
                        if !events.is_empty() {
                            // No subscriber is not an error.
                            let _ = self.changes.send(CaseChanged {
                                case_id: *case_id,
                                version: *version,
                            });
                        }
                    }
                    let meeting = self
                        .store
                        .panel_meeting(meeting_id)
                        .await
                        .map_err(EngineError::from_store)?
                        .ok_or(EngineError::NotFound("panel meeting"))?;
                    let items = self.group_items(meeting_id, group_id, purpose).await?;
                    return self.group_outcome(meeting, items, false).await;
                }
                Ok(SeveralCasesOutcome::AlreadyProcessed) => {
                    let items = self.group_items(meeting_id, group_id, purpose).await?;
                    return self.group_outcome(meeting, items, true).await;
                }
                Err(RunError::Rejected(EngineError::VersionConflict))
                | Err(RunError::Store(permanence_store::StoreError::VersionConflict))
                    if attempt < CONFLICT_RETRIES =>
                {
                    // An item or a case changed after it was read: decide again on what stands.
                    continue;
                }
                Err(RunError::Rejected(refusal)) => return Err(refusal),
                Err(RunError::Store(err)) => return Err(EngineError::from_store(err)),
            }
        }
    }

    async fn group_outcome(
        &self,
        meeting: PanelMeetingRecord,
        items: Vec<PanelItemRecord>,
        duplicate: bool,
    ) -> Result<SiblingPanelOutcome, EngineError> {
        let ids: Vec<CaseId> = items.iter().map(|i| i.case_id).collect();
        let mut found = self
            .store
            .cases_by_ids(&ids)
            .await
            .map_err(EngineError::from_store)?;
        let cases = ids.iter().filter_map(|id| found.remove(id)).collect();
        Ok(SiblingPanelOutcome {
            meeting,
            items,
            cases,
            duplicate,
        })
    }
}
