//! A child's placements: time with the same carer, read from the case's episodes. What
//! continues a placement and what begins a new one is set out with the statutory visits that
//! follow placements (`crate::visits`).

use crate::case::{CaseState, Episode};
use chrono::NaiveDate;
use std::ops::Range;

/// A placement: consecutive episodes with the same carer (see `crate::visits`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub began_on: NaiveDate,
    /// The day the next placement began or the child left care; none while it lasts.
    pub ended_on: Option<NaiveDate>,
    /// The case's episodes that make it up.
    pub episodes: Range<usize>,
    /// It began in recorded history (an import), whose return holds no visits.
    pub from_history: bool,
}

/// Whether `next` continues the placement of `previous` rather than beginning a new one.
fn continues(previous: &Episode, next: &Episode) -> bool {
    match (&previous.carer, &next.carer) {
        (Some(a), Some(b)) => a == b,
        _ => {
            previous.placement == next.placement
                && previous.details.placement_postcode == next.details.placement_postcode
                && previous.details.urn == next.details.urn
        }
    }
}

/// The case's placements, oldest first.
pub fn placements(case: &CaseState) -> Vec<Placement> {
    let mut out: Vec<Placement> = Vec::new();
    for (i, episode) in case.episodes.iter().enumerate() {
        let continued = i > 0
            && case
                .episodes
                .get(i - 1)
                .is_some_and(|previous| continues(previous, episode));
        match out.last_mut() {
            Some(current) if continued => current.episodes.end = i + 1,
            _ => {
                if let Some(previous) = out.last_mut() {
                    previous.ended_on = Some(episode.starts_on);
                }
                out.push(Placement {
                    began_on: episode.starts_on,
                    ended_on: None,
                    episodes: i..i + 1,
                    from_history: i < case.episodes_from_history,
                });
            }
        }
    }
    if let (Some(last), Some(closed)) = (out.last_mut(), case.closed) {
        last.ended_on = Some(closed.on);
    }
    out
}

/// The placement the child is in now (or was in when they left care).
pub fn current_placement(case: &CaseState) -> Option<Placement> {
    placements(case).pop()
}
