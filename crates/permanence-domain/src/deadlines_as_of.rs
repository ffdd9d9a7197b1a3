//! Deadlines as they stood on a past date, as the engine now knows it.
//!
//! The stored deadlines (`case_deadlines`) are today's: a step recorded since a past date has
//! closed the deadline it met, so applying that date to them hides what was drifting then.
//! Replaying a case's history up to the date gives the case as it stood, and its deadlines
//! follow by the same rules as today's.
//!
//! "Up to the date" is by the day each event happened (`occurred_on`), not the day it was
//! recorded: a step that happened on 20 March and was recorded on 2 April had met its
//! deadline on 31 March. The answer is what was drifting on that date as we now know it,
//! not what the system showed then.

use crate::deadlines::{Deadline, derive_deadlines};
use crate::{Event, RouteCatalog, Timescales, replay};
use chrono::NaiveDate;

/// The open deadlines of a case on `as_of`, from its events that happened on or before it
/// (in the order they were recorded). None when the case was not yet open on that date.
pub fn deadlines_as_of<'a>(
    events: impl IntoIterator<Item = &'a Event>,
    as_of: NaiveDate,
    catalog: &RouteCatalog,
    settings: &Timescales,
) -> Option<Vec<Deadline>> {
    let state = replay(events.into_iter().filter(|e| e.occurred_on() <= as_of))?;
    Some(derive_deadlines(&state, catalog, settings))
}
