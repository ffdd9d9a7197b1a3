//! Subscriptions: a case's changes, as they are committed by this server process.

use crate::context::engine;
use crate::guard::{AuditTrail, AuditedRead};
use crate::loaders::Loaders;
use crate::types::CaseNode;
use async_graphql::{Context, Result, Subscription};
use futures_util::Stream;
use permanence_domain::CaseId;
use std::sync::Arc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;
use uuid::Uuid;

#[derive(Default)]
pub struct CaseSubscription;

#[Subscription]
impl CaseSubscription {
    /// The case each time a command changes it.
    async fn case_changed(
        &self,
        ctx: &Context<'_>,
        case_id: Uuid,
    ) -> Result<impl Stream<Item = CaseNode>> {
        // The subscriber must be allowed to read the case now; a later change of allocation
        // does not end the subscription (it ends with the connection).
        crate::guard::case_for(ctx, permanence_auth::Action::ReadCase, CaseId(case_id)).await?;
        let engine = engine(ctx)?.clone();
        let target = CaseId(case_id);
        let changes = BroadcastStream::new(engine.subscribe());
        // Each change delivered is a read of the case: noted here, written before the event
        // leaves (`connection_audit`).
        let trail = ctx.data::<Arc<AuditTrail>>().ok().cloned();
        Ok(changes
            .filter_map(move |change| match change {
                Ok(c) if c.case_id == target => Some(c.case_id),
                // A lagging subscriber skips ahead; the next change carries the whole case.
                _ => None,
            })
            .then(move |id| {
                let loaders = Loaders::new(&engine);
                async move { loaders.cases.load_one(id).await.ok().flatten() }
            })
            .filter_map(|found| found.map(CaseNode::new))
            .map(move |case| {
                if let Some(trail) = &trail {
                    trail.note(AuditedRead {
                        action: permanence_auth::Action::ReadCase.key(),
                        record_kind: crate::guard::CASE_RECORD,
                        record_id: case.0.id.to_string(),
                        query: "caseChanged".to_owned(),
                    });
                }
                case
            }))
    }
}
