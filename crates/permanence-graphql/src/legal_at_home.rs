//! The Public Law Outline for a child who lives at home: the child's record, the mutation
//! that records a step, and the list of children with a round under way at home
//! (`permanence_domain::legal_at_home`).

use crate::context::{engine, loaders};
use crate::error::{ApiResult, internal};
use crate::guard;
use crate::mutation::{LegalStepKind, legal_step, meta};
use crate::scalars::Date;
use crate::types::{ChildNode, FinalOrder, LegalAtHomeNode};
use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use permanence_auth::Action;
use permanence_domain::ChildId;
use permanence_domain::legal_at_home::RecordAtHome;
use uuid::Uuid;

#[derive(InputObject)]
pub struct RecordLegalStepAtHomeInput {
    child_id: Uuid,
    step: LegalStepKind,
    occurred_on: Date,
    extension_weeks: Option<i32>,
    /// Not a care or placement order: either makes the child looked after, and is recorded
    /// on their case once they have entered care.
    final_order: Option<FinalOrder>,
    /// The team that holds the child's case: needed with the first step, and a change of
    /// team after.
    team: Option<String>,
    note: Option<String>,
    expected_version: Option<i64>,
    command_id: Option<Uuid>,
}

/// What `recordLegalStepAtHome` answers.
#[derive(SimpleObject)]
pub struct LegalAtHomePayload {
    child: ChildNode,
    legal_at_home: LegalAtHomeNode,
    /// The command id had been seen before: nothing new was recorded.
    duplicate: bool,
}

/// A child with a round of the Public Law Outline under way at home.
#[derive(SimpleObject)]
pub struct ChildAtHomeInProceedings {
    child: ChildNode,
    legal_at_home: LegalAtHomeNode,
}

#[derive(Default)]
pub struct LegalAtHomeMutation;

#[Object]
impl LegalAtHomeMutation {
    /// Records a step of the Public Law Outline for a child who lives at home: from the
    /// legal gateway meeting's decision to enter pre-proceedings to the final hearing. A
    /// child in care has their legal steps recorded on their case; a round under way when
    /// the child enters care goes on there.
    async fn record_legal_step_at_home(
        &self,
        ctx: &Context<'_>,
        input: RecordLegalStepAtHomeInput,
    ) -> Result<LegalAtHomePayload> {
        let meta = meta(ctx, input.note, input.expected_version, input.command_id)?;
        let step = legal_step(input.step, input.extension_weeks, input.final_order)?;
        let child_id = ChildId(input.child_id);
        // An act within the child's authority, as entering care is: an unknown child is
        // refused the same way as one in another authority.
        let child = loaders(ctx)?
            .children
            .load_one(child_id)
            .await
            .map_err(internal)?;
        let child = match child {
            Some(child) => {
                guard::in_authority(ctx, Action::RecordLegalStepAtHome, &child.local_authority)?;
                child
            }
            None => return Err(guard::missing(Action::RecordLegalStepAtHome)),
        };
        let outcome = engine(ctx)?
            .record_legal_step_at_home(
                &meta,
                child_id,
                RecordAtHome {
                    on: input.occurred_on.0,
                    step,
                    team: input.team,
                },
            )
            .await
            .api()?;
        Ok(LegalAtHomePayload {
            child: ChildNode(child),
            legal_at_home: LegalAtHomeNode(outcome.record),
            duplicate: outcome.duplicate,
        })
    }
}

/// The children with a round under way at home that the user reaches (whole authorities, or
/// their teams' and those with no team); every child listed is a read for the audit log.
pub(crate) async fn under_way(ctx: &Context<'_>) -> Result<Vec<ChildAtHomeInProceedings>> {
    let reach = guard::reach(ctx, Action::ReadDrift)?;
    let records = engine(ctx)?
        .store()
        .legal_at_home_under_way(&reach)
        .await
        .map_err(internal)?;
    let ids: Vec<ChildId> = records.iter().map(|r| r.child_id).collect();
    let mut children = loaders(ctx)?
        .children
        .load_many(ids)
        .await
        .map_err(internal)?;
    let mut out = Vec::with_capacity(records.len());
    for record in records {
        let Some(child) = children.remove(&record.child_id) else {
            continue;
        };
        guard::audit(
            ctx,
            Action::ReadDrift,
            guard::CHILD_RECORD,
            child.id.to_string(),
        );
        out.push(ChildAtHomeInProceedings {
            child: ChildNode(child),
            legal_at_home: LegalAtHomeNode(record),
        });
    }
    Ok(out)
}
