//! Brothers and sisters: `recordSiblingGroup` records a group and its placement decision (or
//! revises it), and `Case.siblingGroup` shows the group a case is in.
//!
//! Recording needs `RECORD_SIBLING_GROUP` on every case named and every member of the group
//! as it stands: a group links children's records, so whoever links them must reach each.
//! A reader sees, of the members, the cases they may read (each read noted for the audit, as
//! any case read is) and how many members there are; a leader sees the decision and the
//! counts, never which children.

use crate::context::engine;
use crate::error::ApiResult;
use crate::guard;
use crate::mutation::meta;
use crate::panel::{PanelItemNode, PanelMeetingNode, PanelPurpose, PanelRecommendation};
use crate::scalars::Date;
use crate::types::{CaseNode, SiblingApartReason, SiblingGroupNode, SiblingPlacing};
use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use permanence_auth::Action;
use permanence_domain::CaseId;
use permanence_domain::ids::{PanelMeetingId, SiblingGroupId};
use permanence_domain::siblings::PlacementDecision;
use permanence_engine::siblings::SiblingGroupOutcome;
use uuid::Uuid;

/// A sibling group and its placement decision: a new group, or a revision of one (the whole
/// group is named each time; the decision it replaces stays in the group's history).
#[derive(InputObject)]
pub struct RecordSiblingGroupInput {
    /// The group to revise; left out, a new group is recorded.
    sibling_group_id: Option<Uuid>,
    /// The children's cases: two or more, of one local authority, in no other group. A
    /// child who has left care stays listed.
    members: Vec<Uuid>,
    placing: SiblingPlacing,
    /// Why they are not all placed together; left out when they are.
    reason: Option<SiblingApartReason>,
    /// When some are placed together: the sets of cases placed together, each of two or more.
    placed_together: Option<Vec<Vec<Uuid>>>,
    /// The day the decision was made.
    decided_on: Date,
    /// The group's version the decision was made on (refused when it has moved on).
    expected_version: Option<i64>,
    command_id: Option<Uuid>,
}

/// What `recordSiblingGroup` answers.
#[derive(SimpleObject)]
pub struct SiblingGroupPayload {
    sibling_group: SiblingGroupNode,
    /// The command id had been seen before: nothing new was recorded.
    duplicate: bool,
}

#[derive(Default)]
pub struct SiblingMutation;

#[Object]
impl SiblingMutation {
    /// Records a sibling group and whether its children are placed together, apart or some
    /// together (with the reason, as a code), or revises the group's decision.
    async fn record_sibling_group(
        &self,
        ctx: &Context<'_>,
        input: RecordSiblingGroupInput,
    ) -> Result<SiblingGroupPayload> {
        let meta = meta(ctx, None, input.expected_version, input.command_id)?;
        let members: Vec<CaseId> = input.members.iter().copied().map(CaseId).collect();
        let group = input.sibling_group_id.map(SiblingGroupId);
        let mut reached = members.clone();
        if let Some(id) = group {
            // An unknown group reads as one out of reach, as an unknown case does.
            let current = engine(ctx)?
                .sibling_group(id)
                .await
                .api()?
                .ok_or_else(|| guard::missing(Action::RecordSiblingGroup))?;
            reached.extend(current.state.members.iter().copied());
        }
        reached.sort();
        reached.dedup();
        for case_id in reached {
            guard::case_for(ctx, Action::RecordSiblingGroup, case_id).await?;
        }
        let decision = PlacementDecision {
            placing: input.placing.into(),
            reason: input.reason.map(Into::into),
            placed_together: input
                .placed_together
                .unwrap_or_default()
                .into_iter()
                .map(|set| set.into_iter().map(CaseId).collect())
                .collect(),
            decided_on: input.decided_on.0,
        };
        let SiblingGroupOutcome { group, duplicate } = engine(ctx)?
            .record_sibling_group(&meta, group, members, decision)
            .await
            .api()?;
        Ok(SiblingGroupPayload {
            sibling_group: SiblingGroupNode(group),
            duplicate,
        })
    }
}

/// The panel's outcome for a sibling group heard as one agenda item.
#[derive(InputObject)]
pub struct RecordSiblingGroupPanelRecommendationInput {
    meeting_id: Uuid,
    sibling_group_id: Uuid,
    /// What the group was heard for: each member's item for it is recorded.
    purpose: PanelPurpose,
    recommendation: PanelRecommendation,
    deferral_reason: Option<String>,
    return_by: Option<Date>,
    note: Option<String>,
    command_id: Option<Uuid>,
}

/// What recording a sibling group's outcome answers.
#[derive(SimpleObject)]
pub struct SiblingPanelOutcomePayload {
    meeting: PanelMeetingNode,
    /// The group's items on the agenda for the purpose, in agenda order.
    items: Vec<PanelItemNode>,
    /// Their cases, each advanced along its route in the same transaction.
    cases: Vec<CaseNode>,
    duplicate: bool,
}

/// The panel's mutation for a sibling group heard as one item.
#[derive(Default)]
pub struct SiblingPanelMutation;

#[Object]
impl SiblingPanelMutation {
    /// Records the panel's recommendation for a sibling group heard as one agenda item: on the
    /// item of each brother and sister on the meeting's agenda for the purpose (two or more),
    /// all of them or none, each dated the day the panel sat.
    async fn record_sibling_group_panel_recommendation(
        &self,
        ctx: &Context<'_>,
        input: RecordSiblingGroupPanelRecommendationInput,
    ) -> Result<SiblingPanelOutcomePayload> {
        let meta = meta(ctx, input.note, None, input.command_id)?;
        let outcome =
            crate::panel::outcome_of(input.recommendation, input.deferral_reason, input.return_by)?;
        let group_id = SiblingGroupId(input.sibling_group_id);
        let group = engine(ctx)?
            .sibling_group(group_id)
            .await
            .api()?
            .ok_or_else(|| guard::missing(Action::RecordPanelRecommendation))?;
        for case_id in &group.state.members {
            guard::case_for(ctx, Action::RecordPanelRecommendation, *case_id).await?;
        }
        let done = engine(ctx)?
            .record_sibling_group_panel_outcome(
                &meta,
                PanelMeetingId(input.meeting_id),
                group_id,
                input.purpose.into(),
                outcome,
            )
            .await
            .api()?;
        Ok(SiblingPanelOutcomePayload {
            meeting: PanelMeetingNode(done.meeting),
            items: done.items.into_iter().map(PanelItemNode).collect(),
            cases: done.cases.into_iter().map(CaseNode::new).collect(),
            duplicate: done.duplicate,
        })
    }
}
