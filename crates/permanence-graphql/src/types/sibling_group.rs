//! A sibling group as the API shows it (`Case.siblingGroup`): the group, the members the
//! reader may see and the history of its placement decisions.

use super::CaseNode;
use crate::context::{engine, loaders};
use crate::error::{ApiResult, internal};
use crate::guard;
use crate::scalars::Date;
use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use permanence_auth::{Access, Action};
use permanence_domain::CaseId;
use permanence_domain::siblings::{self, ApartReason};
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

/// The group a case is in, for `Case.siblingGroup`.
pub(crate) async fn group_of_case(
    ctx: &Context<'_>,
    case_id: CaseId,
) -> Result<Option<SiblingGroupNode>> {
    Ok(loaders(ctx)?
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
        let cases = loaders(ctx)?
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
        let cases = loaders(ctx)?
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
