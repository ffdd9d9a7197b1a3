//! The records the store hands out and takes in.

use crate::StoreError;
use crate::entities::{case_events, cases, children};
use chrono::{DateTime, NaiveDate, Utc};
use permanence_domain::child::ChildFacts;
use permanence_domain::codes::Sex;
use permanence_domain::{CaseId, CaseState, ChildId, Deadline, DriftStatus, Event, Route};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildRecord {
    pub id: ChildId,
    pub local_authority: String,
    pub reference: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub ethnicity: String,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    /// UPN, MOTHER, MC_DOB: none recorded for a child registered before they were kept.
    pub facts: ChildFacts,
}

impl TryFrom<children::Model> for ChildRecord {
    type Error = StoreError;
    fn try_from(m: children::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: ChildId(m.id),
            sex: Sex::parse(&m.sex)
                .ok_or_else(|| StoreError::Corrupt("unknown sex code".into()))?,
            local_authority: m.local_authority,
            reference: m.reference,
            birth_date: m.birth_date,
            ethnicity: m.ethnicity,
            name: m.name,
            created_at: m.created_at,
            facts: match m.return_facts.as_deref() {
                Some(json) => serde_json::from_str(json)
                    .map_err(|e| StoreError::Corrupt(format!("child facts: {e}")))?,
                None => ChildFacts::default(),
            },
        })
    }
}

/// A case as its projection holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseRecord {
    pub id: CaseId,
    pub child_id: ChildId,
    pub version: i64,
    /// Shared: a request's loaders hand each resolver that asks for the case its own copy of
    /// the record, and a case's state is most of it.
    pub state: Arc<CaseState>,
    pub updated_at: DateTime<Utc>,
}

impl CaseRecord {
    /// The record of a row whose state is already parsed (`case_states`).
    pub(crate) fn with_state(m: cases::Model, state: Arc<CaseState>) -> Self {
        Self {
            id: CaseId(m.id),
            child_id: ChildId(m.child_id),
            version: m.version,
            state,
            updated_at: m.updated_at,
        }
    }
}

impl TryFrom<cases::Model> for CaseRecord {
    type Error = StoreError;
    fn try_from(m: cases::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: CaseId(m.id),
            child_id: ChildId(m.child_id),
            version: m.version,
            state: Arc::new(
                serde_json::from_str(&m.state)
                    .map_err(|e| StoreError::Corrupt(format!("case state: {e}")))?,
            ),
            updated_at: m.updated_at,
        })
    }
}

/// An event with its envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    pub id: Uuid,
    pub case_id: CaseId,
    /// Gap-free per case, from 1.
    pub sequence: i64,
    pub event: Event,
    pub actor: String,
    pub occurred_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    pub command_id: Uuid,
    pub note: Option<String>,
    pub schema_version: i32,
}

impl TryFrom<case_events::Model> for StoredEvent {
    type Error = StoreError;
    fn try_from(m: case_events::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: m.id,
            case_id: CaseId(m.case_id),
            sequence: m.sequence,
            event: serde_json::from_str(&m.payload)
                .map_err(|e| StoreError::Corrupt(format!("event payload: {e}")))?,
            actor: m.actor,
            occurred_on: m.occurred_on,
            recorded_at: m.recorded_at,
            command_id: m.command_id,
            note: m.note,
            schema_version: m.schema_version,
        })
    }
}

/// An event to append, with the envelope fields the engine sets.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub id: Uuid,
    pub event: Event,
    pub actor: String,
    pub recorded_at: DateTime<Utc>,
    pub note: Option<String>,
}

/// What a command changes: events to append, and the projections that follow from them.
#[derive(Clone, Debug)]
pub struct Changes {
    pub events: Vec<NewEvent>,
    pub state: CaseState,
    pub deadlines: Vec<Deadline>,
    /// A panel item the command records an outcome or decision on, written in the same
    /// transaction so that the item and the case's route never disagree.
    pub panel_item: Option<crate::PanelItemChange>,
    /// A child entering care with a round of the Public Law Outline under way at home: the
    /// record at home notes, in the same transaction, that it goes on on this case.
    pub continues_from_home: Option<crate::ContinuesFromHome>,
}

#[derive(Clone, Debug)]
pub enum CommandOutcome {
    Applied {
        case_id: CaseId,
        version: i64,
        events: Vec<StoredEvent>,
    },
    /// The command id was seen before: nothing was recorded this time.
    AlreadyProcessed { case_id: CaseId, version: i64 },
}

/// Which cases to list. Unset fields do not filter.
#[derive(Clone, Debug, Default)]
pub struct CaseFilter {
    pub local_authority: Option<String>,
    pub route: Option<Route>,
    pub step: Option<String>,
    pub team: Option<String>,
    pub allocated_worker: Option<String>,
    pub open: Option<bool>,
    /// Cases with a deadline in this drift status on a date, with the due-soon window in days
    /// (on track: open cases with no known deadline overdue or due soon).
    pub drift: Option<(DriftStatus, NaiveDate, u32)>,
    /// The cases the requesting user may see.
    pub reach: Reach,
}

/// How a sorted list of cases is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CaseOrder {
    /// As they were opened.
    #[default]
    Registered,
    /// Cases with no social worker first (what a team manager must act on).
    UnallocatedFirst,
    /// The longest in care first.
    LongestInCare,
    /// The soonest open deadline first; cases with none (or only deadlines not known from
    /// the return) last.
    NextDeadline,
}

/// The cases a user may see, as the access policy gives them; unset parts do not narrow.
/// Lists apply it in the query, so that a page never holds what the user may not read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    pub local_authorities: Option<Vec<String>>,
    /// Cases of these teams, and cases with no team.
    pub teams_or_unassigned: Option<Vec<String>>,
    /// Cases allocated to this user.
    pub allocated_to: Option<String>,
    /// Cases on the agenda (not yet decided) of a meeting this user chairs or sits on.
    pub on_agenda_of: Option<String>,
}

impl From<permanence_auth::ListScope> for Reach {
    /// The policy's list scope as the query's narrowing: the API and the pages both list
    /// through this, so they reach the same cases.
    fn from(scope: permanence_auth::ListScope) -> Self {
        use permanence_auth::CaseFilter as Policy;
        let mut reach = Reach {
            local_authorities: Some(scope.local_authorities),
            ..Reach::default()
        };
        match scope.cases {
            Policy::All => {}
            Policy::TeamsAndUnallocated(teams) => reach.teams_or_unassigned = Some(teams),
            Policy::AllocatedTo(user) => reach.allocated_to = Some(user),
            Policy::OnPanelAgendaOf(user) => reach.on_agenda_of = Some(user),
        }
        reach
    }
}

/// Which drifting deadlines to list.
#[derive(Clone, Debug)]
pub struct DriftFilter {
    pub as_of: NaiveDate,
    pub due_soon_days: u32,
    pub route: Option<Route>,
    pub team: Option<String>,
    pub local_authority: Option<String>,
    pub after_panel_only: bool,
    /// Only the deadlines of cases whose primary plan is on this route and stands at this
    /// step (the case's stage now, as `cases.primary_step` holds it).
    pub step: Option<(Route, String)>,
    /// Only deadlines in this status on `as_of`; without one, those overdue or due soon.
    /// Deadlines not known from the return are listed only when asked for by their status.
    pub status: Option<DriftStatus>,
    /// The cases the requesting user may see.
    pub reach: Reach,
}

#[derive(Clone, Debug)]
pub struct DriftRow {
    pub case_id: CaseId,
    pub deadline: Deadline,
}
