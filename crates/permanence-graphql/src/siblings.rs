//! Brothers and sisters: `recordSiblingGroup` records a group and its placement decision (or
//! revises it), and `Case.siblingGroup` shows the group a case is in.
//!
//! Recording needs `RECORD_SIBLING_GROUP` on every case named and every member of the group
//! as it stands: a group links children's records, so whoever links them must reach each.
//! A reader sees, of the members, the cases they may read (each read noted for the audit, as
//! any case read is) and how many members there are; a leader sees the decision and the
//! counts, never which children.

use crate::error::{ApiResult, internal};
use crate::guard;
use crate::mutation::meta;
use crate::panel::{PanelItemNode, PanelMeetingNode, PanelPurpose, PanelRecommendation};
use crate::scalars::Date;
use crate::types::{CaseNode, engine};
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};
use permanence_auth::{Access, Action};
use permanence_domain::CaseId;
use permanence_domain::ids::{PanelMeetingId, SiblingGroupId};
use permanence_domain::siblings::{self, ApartReason, PlacementDecision};
use permanence_engine::siblings::SiblingGroupOutcome;
use permanence_engine::store::SiblingGroupRecord;
use uuid::Uuid;

/// Whether the children of a sibling group are placed together.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiblingPlacing {
    Together,
    Apart,
    /// Some of them together: `placedTogether` names which.
    SomeTogether,
}

impl From<siblings::Placing> for SiblingPlacing {
    fn from(value: siblings::Placing) -> Self {
        match value {
            siblings::Placing::Together => Self::Together,
            siblings::Placing::Apart => Self::Apart,
            siblings::Placing::SomeTogether => Self::SomeTogether,
        }
    }
}

impl From<SiblingPlacing> for siblings::Placing {
    fn from(value: SiblingPlacing) -> Self {
        match value {
            SiblingPlacing::Together => Self::Together,
            SiblingPlacing::Apart => Self::Apart,
            SiblingPlacing::SomeTogether => Self::SomeTogether,
        }
    }
}

/// Why the children of a sibling group are not all placed together.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiblingApartReason {
    /// The children's assessed needs (a together-or-apart assessment).
    AssessedNeeds,
    /// No carers able to take the whole group.
    NoCarersForGroup,
    /// A court's decision.
    CourtDecision,
    /// The children's wishes and feelings.
    WishesAndFeelings,
    /// The safety of one child from another.
    SafetyOfAChild,
}

impl From<ApartReason> for SiblingApartReason {
    fn from(value: ApartReason) -> Self {
        match value {
            ApartReason::AssessedNeeds => Self::AssessedNeeds,
            ApartReason::NoCarersForGroup => Self::NoCarersForGroup,
            ApartReason::CourtDecision => Self::CourtDecision,
            ApartReason::WishesAndFeelings => Self::WishesAndFeelings,
            ApartReason::SafetyOfAChild => Self::SafetyOfAChild,
        }
    }
}

impl From<SiblingApartReason> for ApartReason {
    fn from(value: SiblingApartReason) -> Self {
        match value {
            SiblingApartReason::AssessedNeeds => Self::AssessedNeeds,
            SiblingApartReason::NoCarersForGroup => Self::NoCarersForGroup,
            SiblingApartReason::CourtDecision => Self::CourtDecision,
            SiblingApartReason::WishesAndFeelings => Self::WishesAndFeelings,
            SiblingApartReason::SafetyOfAChild => Self::SafetyOfAChild,
        }
    }
}

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

/// The group a case is in, for `Case.siblingGroup`.
pub(crate) async fn group_of_case(
    ctx: &Context<'_>,
    case_id: CaseId,
) -> Result<Option<SiblingGroupNode>> {
    Ok(crate::types::loaders(ctx)?
        .sibling_groups
        .load_one(case_id)
        .await
        .map_err(internal)?
        .map(SiblingGroupNode))
}

/// Brothers and sisters whose cases are planned for together, and the decision whether they
/// are placed together.
pub struct SiblingGroupNode(pub SiblingGroupRecord);

/// A child's case in a sibling group, as the reader may see it.
#[derive(SimpleObject)]
#[graphql(name = "SiblingGroupMember")]
pub struct SiblingGroupMemberNode {
    case: CaseNode,
    /// The child has left care; they stay listed in the group.
    left_care: bool,
    /// The other members placed with this child under the current decision (those the
    /// reader may see).
    placed_with: Vec<Uuid>,
}

/// A decision in a group's history.
#[derive(SimpleObject)]
#[graphql(name = "SiblingGroupDecision")]
pub struct SiblingGroupDecisionNode {
    placing: SiblingPlacing,
    reason: Option<SiblingApartReason>,
    decided_on: Date,
    /// How many children the group held then.
    member_count: i32,
    /// Who recorded it (a user id); not shown to leaders.
    recorded_by: Option<String>,
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[Object(name = "SiblingGroup")]
impl SiblingGroupNode {
    async fn id(&self) -> Uuid {
        self.0.id.0
    }
    /// Increases by one with every decision; send it back as `expectedVersion`.
    async fn version(&self) -> i64 {
        self.0.version
    }
    async fn local_authority(&self) -> &str {
        &self.0.local_authority
    }
    async fn placing(&self) -> SiblingPlacing {
        self.0.state.decision.placing.into()
    }
    /// Why they are not all placed together; null when they are.
    async fn reason(&self) -> Option<SiblingApartReason> {
        self.0.state.decision.reason.map(Into::into)
    }
    /// The reason in words ("no carers able to take the whole group").
    async fn reason_label(&self) -> Option<&'static str> {
        self.0.state.decision.reason.map(ApartReason::label)
    }
    async fn decided_on(&self) -> Date {
        Date(self.0.state.decision.decided_on)
    }
    /// How many children the group holds, including those who have left care.
    async fn member_count(&self) -> i32 {
        count(self.0.state.members.len())
    }
    /// The members whose cases the reader may see (a leader sees none: the counts only).
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<SiblingGroupMemberNode>> {
        if guard::access(ctx) == Access::Pseudonymised {
            return Ok(vec![]);
        }
        let cases = crate::types::loaders(ctx)?
            .cases
            .load_many(self.0.state.members.iter().copied())
            .await
            .map_err(internal)?;
        let mut readable = Vec::with_capacity(cases.len());
        for case_id in &self.0.state.members {
            let Some(case) = cases.get(case_id) else {
                continue;
            };
            if guard::may_read_case(ctx, case).await? {
                guard::audit(
                    ctx,
                    Action::ReadCase,
                    guard::CASE_RECORD,
                    case.id.to_string(),
                );
                readable.push(case.clone());
            }
        }
        let shown: Vec<CaseId> = readable.iter().map(|c| c.id).collect();
        Ok(readable
            .into_iter()
            .map(|case| SiblingGroupMemberNode {
                left_care: !case.state.is_open(),
                placed_with: self
                    .0
                    .state
                    .placed_with(case.id)
                    .into_iter()
                    .filter(|c| shown.contains(c))
                    .map(|c| c.0)
                    .collect(),
                case: CaseNode::new(case),
            })
            .collect())
    }
    /// How many members the reader is not shown (out of their reach, or all of them for a
    /// leader).
    async fn members_not_shown(&self, ctx: &Context<'_>) -> Result<i32> {
        let shown = self.members(ctx).await?.len();
        Ok(count(self.0.state.members.len().saturating_sub(shown)))
    }
    /// How many of the children have left care.
    async fn left_care_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let cases = crate::types::loaders(ctx)?
            .cases
            .load_many(self.0.state.members.iter().copied())
            .await
            .map_err(internal)?;
        Ok(count(cases.values().filter(|c| !c.state.is_open()).count()))
    }
    /// Every decision on the group, oldest first (the current one last).
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<SiblingGroupDecisionNode>> {
        let full = guard::access(ctx) == Access::Full;
        let events = engine(ctx)?.sibling_group_history(self.0.id).await.api()?;
        Ok(events
            .into_iter()
            .map(|record| {
                let siblings::SiblingEvent::SiblingGroupRecorded {
                    members, decision, ..
                } = record.event;
                SiblingGroupDecisionNode {
                    placing: decision.placing.into(),
                    reason: decision.reason.map(Into::into),
                    decided_on: Date(decision.decided_on),
                    member_count: count(members.len()),
                    recorded_by: full.then_some(record.actor),
                }
            })
            .collect())
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
