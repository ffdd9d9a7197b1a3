//! Statutory visits by the child's social worker (CPPCR 2010 reg 28; DOMAIN.md §1).
//!
//! The worker visits within one week of any placement starting; then at intervals of not
//! more than six weeks in the placement's first year; after that, at intervals of not more
//! than three months when the placement is meant to last until the child is 18, and six
//! weeks otherwise. Each due date chains from the day the previous visit was actually held
//! (the law sets maximum intervals, as for reviews), and a new placement starts the chain
//! again.
//!
//! What this module decides, where the law leaves it to the reader:
//! - A *placement* is time with the same carer: an episode that changes only the legal
//!   status, or the placement code with the same carer (a long-term match confirmed, U3 to
//!   U1), continues it; a new carer begins a new one. Without carer references on either
//!   side, a new placement code, placement postcode or URN begins one.
//! - *Meant to last until 18* is a long-term foster placement (U1, U4): a confirmed
//!   long-term match needs one (the records-agree rule), so the code is the engine's fact.
//!   Nothing else counts as long-term: a special guardianship placement in care is a foster
//!   or connected-person placement until the order ends the care.
//! - A placement for adoption (A3 to A6) is visited under the Adoption Agencies Regulations
//!   2005 (reg 36), not reg 28: no reg 28 visit falls due while one is in force, and visits
//!   held then are not measured against reg 28.
//! - The weekly visits to a child placed with parents before their assessment, until the
//!   first review (DOMAIN.md §3.3), are not derived: the engine records no placement as made
//!   before the assessment, so such a placement meets the six-weekly rule here.
//! - An imported placement: the national return holds no visits, so a placement that began
//!   in recorded history has no visit the engine holds until a worker records one. Its next
//!   visit is *not known from the return* (never overdue), and the first visit recorded in
//!   it is not measured (its due date is not known); the chain runs from that visit. A
//!   placement begun live after the import starts its chain as any other.

use crate::case::{CaseState, Episode};
use crate::timescales::{
    FIRST_VISIT, LONG_TERM_VISIT_INTERVAL, Period, VISIT_FIRST_YEAR, VISIT_INTERVAL,
};
use chrono::NaiveDate;

pub use crate::case::placement::{Placement, current_placement, placements};

/// Where the rule lives, as deadlines cite it.
pub const VISITS_REFERENCE: &str = "CPPCR 2010 reg 28";

/// Whether reg 28 sets the visits while this episode is in force: not during a placement
/// for adoption, whose visits the Adoption Agencies Regulations 2005 set.
pub fn under_reg_28(episode: &Episode) -> bool {
    !episode.placement.is_placed_for_adoption()
}

/// Whether the placement is meant to last until the child is 18 while this episode is in
/// force: a long-term foster placement (U1, U4).
pub fn long_term(episode: &Episode) -> bool {
    episode.placement.is_long_term_foster()
}

/// The next visit in a placement that began on `began_on`, after the last visit held in it
/// (none: the first visit): the day its clock starts and the longest interval the law
/// allows from it (CPPCR 2010 reg 28).
pub fn next_visit(
    began_on: NaiveDate,
    long_term: bool,
    last: Option<NaiveDate>,
) -> (NaiveDate, Period) {
    match last {
        None => (began_on, FIRST_VISIT),
        // The interval follows the day of the last visit: one held in the first year
        // is followed within six weeks, whatever the placement.
        Some(last) if last < VISIT_FIRST_YEAR.after(began_on) => (last, VISIT_INTERVAL),
        Some(last) if long_term => (last, LONG_TERM_VISIT_INTERVAL),
        Some(last) => (last, VISIT_INTERVAL),
    }
}

/// The episode of a placement in force on a day (its first, for a day before it began).
pub fn episode_on<'a>(
    case: &'a CaseState,
    placement: &Placement,
    on: NaiveDate,
) -> Option<&'a Episode> {
    let episodes = case.episodes.get(placement.episodes.clone())?;
    episodes
        .iter()
        .rev()
        .find(|e| e.starts_on <= on)
        .or_else(|| episodes.first())
}

/// The visits held in a placement: from the day it began to the day before it ended, or to
/// the day the child left care.
pub fn visits_in(case: &CaseState, placement: &Placement) -> Vec<NaiveDate> {
    let left_care = case.closed.map(|c| c.on);
    case.visits
        .iter()
        .map(|v| v.on)
        .filter(|on| *on >= placement.began_on)
        .filter(|on| match placement.ended_on {
            None => true,
            Some(end) if Some(end) == left_care => *on <= end,
            Some(end) => *on < end,
        })
        .collect()
}
