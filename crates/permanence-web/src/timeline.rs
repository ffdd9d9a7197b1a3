//! A line of a case's timeline: what happened, on what day, recorded by whom, with the note
//! the reader may see. The case's page lists them, and a form shows those recorded by others
//! after it was opened.

use crate::format;
use permanence_auth::Access;
use permanence_auth::view::{self, Personal};
use permanence_domain::RouteCatalog;
use permanence_domain::case::CaseState;
use permanence_engine::store::StoredEvent;

pub(crate) struct TimelineEntry {
    pub what: String,
    pub on: String,
    pub recorded_by: String,
    pub note: Option<String>,
}

pub(crate) fn timeline_entry(
    stored: &StoredEvent,
    state: &CaseState,
    catalog: &RouteCatalog,
    access: Access,
) -> TimelineEntry {
    TimelineEntry {
        what: permanence_domain::timeline::describe(&stored.event, state, catalog),
        on: format::date(stored.occurred_on),
        recorded_by: stored.actor.clone(),
        note: view::personal(access, Personal::FreeText, stored.note.clone()),
    }
}
