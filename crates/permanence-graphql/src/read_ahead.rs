//! What a list of cases reads before its items are resolved.
//!
//! A page of cases (a caseload, a drift page) whose items ask for each case's child or
//! deadlines would otherwise wait for the request's loaders: each waits a millisecond for the
//! batch to gather, on a timer thread, then spawns its query. The list already knows every
//! case it holds, so it reads the children and the deadlines it will need in one query each,
//! at once, and hands each case its own. The loaders remain for a case reached any other way.
//!
//! Nothing read ahead outlives the request, and nothing is shared between requests: the
//! same rows the loaders would have read, read sooner.

use crate::error::internal;
use async_graphql::{Context, Lookahead, Result};
use permanence_domain::{CaseId, ChildId, Deadline};
use permanence_engine::Engine;
use permanence_engine::store::{CaseRecord, ChildRecord};
use std::collections::HashMap;

/// A case's child and open deadlines, when the list it is on read them ahead.
#[derive(Clone, Debug, Default)]
pub struct ReadAhead {
    pub(crate) child: Option<ChildRecord>,
    /// Open deadlines, in the deadlines loader's order (`Store::deadlines_of_cases`).
    pub(crate) deadlines: Option<Vec<Deadline>>,
}

/// For each case (in order), its child and deadlines when `case` (the selection of one case
/// in the list) asks for them.
pub(crate) async fn cases_read_ahead<'r>(
    ctx: &Context<'_>,
    case: Lookahead<'_>,
    cases: impl IntoIterator<Item = &'r CaseRecord>,
) -> Result<HashMap<CaseId, ReadAhead>> {
    let cases: Vec<&CaseRecord> = cases.into_iter().collect();
    let wants_child = case.field("child").exists();
    let wants_deadlines = case.field("deadlines").exists();
    if cases.is_empty() || !(wants_child || wants_deadlines) {
        return Ok(HashMap::new());
    }
    let store = ctx.data::<Engine>()?.store();
    let case_ids: Vec<CaseId> = cases.iter().map(|c| c.id).collect();
    let child_ids: Vec<ChildId> = cases.iter().map(|c| c.child_id).collect();
    let (children, mut deadlines) = tokio::try_join!(
        async {
            if wants_child {
                store.children_by_ids(&child_ids).await.map(Some)
            } else {
                Ok(None)
            }
        },
        async {
            if wants_deadlines {
                store.deadlines_of_cases(&case_ids).await.map(Some)
            } else {
                Ok(None)
            }
        },
    )
    .map_err(internal)?;
    Ok(cases
        .iter()
        .map(|case| {
            let read = ReadAhead {
                child: children
                    .as_ref()
                    .and_then(|found| found.get(&case.child_id).cloned()),
                // A case with no open deadline has no row: read ahead, that is an empty list.
                deadlines: deadlines
                    .as_mut()
                    .map(|found| found.remove(&case.id).unwrap_or_default()),
            };
            (case.id, read)
        })
        .collect())
}
