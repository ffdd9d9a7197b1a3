//! Recorded history: facts that happened before the engine held the case, brought in by an
//! import of an authority's national return.
//!
//! The route rules protect new work: a social worker cannot record a match before the
//! family finding, because that would be a mistake today. A past fact that a real return
//! contains is not a mistake to prevent; it is what happened (a child matched before the
//! placement order was made, which the national A2 definition itself counts as 0 days). So
//! an import decides each fact with `decide_recorded`: the rules that say what cannot be
//! true (a date in the future, a step the route does not have, a case already closed) still
//! refuse, and the rules that only keep live work in order are relaxed into a data-quality
//! note on the case (what, where it came from, which rule it would have broken). A step
//! recorded behind the route's current step takes its place in the route's order, so the
//! case stays at the step it has really reached.

use crate::DomainError;
use crate::case::recorded::LiveRules;
use crate::case::{CaseState, Command, DecisionContext, Event, decide_with};

pub use crate::case::recorded::{DataQualityKind, DataQualityNote, ImportedHistory};

/// Decides a fact of recorded history (see the module's documentation): the events to
/// record, followed by a `DataQualityNoted` for each rule of live work the fact breaks.
/// `source` says where the fact came from.
pub fn decide_recorded(
    state: Option<&CaseState>,
    command: &Command,
    ctx: &DecisionContext<'_>,
    source: Option<&str>,
) -> Result<Vec<Event>, DomainError> {
    let mut rules = LiveRules::recorded(source);
    let mut events = decide_with(state, command, ctx, &mut rules)?;
    events.extend(
        rules
            .into_notes()
            .into_iter()
            .map(|note| Event::DataQualityNoted { note }),
    );
    Ok(events)
}
