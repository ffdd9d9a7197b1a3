//! The engine: turns a user's command into one transaction.
//!
//! It generates ids (UUID v7), takes the time from its clock, loads the case through the
//! store, asks the domain to `decide`, evolves the state, recomputes the case's deadlines,
//! and hands the changes to the store to commit atomically; then it tells subscribers.
//! It holds no SQL (that is the store's) and no HTTP or GraphQL (the server's and API's).

mod clock;
mod drift_as_of;
mod error;
pub mod escalation;
pub mod import;
pub mod legal_at_home;
pub mod panel;
pub mod reports;
pub mod sibling_panel;
pub mod siblings;

pub use clock::{Clock, FixedClock, SystemClock};
pub use error::EngineError;
pub use permanence_store as store;

use chrono::NaiveDate;
use permanence_domain::case::{DecisionContext, OpenCase};
use permanence_domain::child::NewChild;
use permanence_domain::codes::{LegalStatus, PlacementProvider, PlacementType};
use permanence_domain::{
    CaseId, CaseState, ChildId, Command, RouteCatalog, Timescales, decide, derive_deadlines,
    evolve, replay,
};
use permanence_store::{
    CaseCommandKey, CaseRecord, Changes, ChildRecord, CommandOutcome, ContinuesFromHome, NewEvent,
    PanelItemChange, RunError, Store, StoredEvent,
};
use std::sync::Arc;
use tokio::sync::broadcast;
use uuid::Uuid;

/// Longest note accepted on a recorded step.
pub const MAX_NOTE_LEN: usize = 2000;
/// How many times a command without `expectedVersion` is retried after losing a race.
const CONFLICT_RETRIES: usize = 3;

/// Refuses an over-long note before anything else is looked at.
pub(crate) fn check_note(meta: &CommandMeta) -> Result<(), EngineError> {
    match &meta.note {
        Some(note) if note.chars().count() > MAX_NOTE_LEN => Err(EngineError::Domain(
            permanence_domain::DomainError::validation(
                "note",
                format!("must be at most {MAX_NOTE_LEN} characters"),
            ),
        )),
        _ => Ok(()),
    }
}

/// Who is acting: taken from the authenticated request, never from a mutation's input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor(pub String);

/// The envelope of a command a user sends.
#[derive(Clone, Debug)]
pub struct CommandMeta {
    pub actor: Actor,
    /// Client-supplied id: the same id twice records once.
    pub command_id: Option<Uuid>,
    /// The case version the user saw; a different current version refuses the command.
    pub expected_version: Option<i64>,
    pub note: Option<String>,
}

/// A case after a command, and what the command recorded.
#[derive(Clone, Debug)]
pub struct CaseOutcome {
    pub case: CaseRecord,
    pub recorded: Vec<StoredEvent>,
    /// The command id had been processed before: nothing new was recorded.
    pub duplicate: bool,
}

/// A case changed: sent to subscribers after commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseChanged {
    pub case_id: CaseId,
    pub version: i64,
}

/// Opening a case: what the social worker enters.
#[derive(Clone, Debug)]
pub struct EnterCare {
    pub child_id: ChildId,
    pub entered_care_on: NaiveDate,
    pub legal_status: LegalStatus,
    pub placement: PlacementType,
    pub provider: Option<PlacementProvider>,
    pub carer: Option<String>,
    pub team: Option<String>,
    pub allocated_worker: Option<String>,
    /// Postcodes, URN and category of need (the national return's episode columns).
    pub details: permanence_domain::return_facts::PlacementDetails,
}

/// The settings an engine runs with.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub catalog: Arc<RouteCatalog>,
    pub timescales: Arc<Timescales>,
}

impl EngineConfig {
    /// The standard route definitions and the given timescales.
    pub fn standard(timescales: Timescales) -> Result<Self, EngineError> {
        timescales.validate().map_err(EngineError::Domain)?;
        Ok(Self {
            catalog: Arc::new(RouteCatalog::standard().map_err(EngineError::Domain)?),
            timescales: Arc::new(timescales),
        })
    }
}

#[derive(Clone)]
pub struct Engine {
    store: Store,
    config: EngineConfig,
    clock: Arc<dyn Clock>,
    changes: broadcast::Sender<CaseChanged>,
    /// Notifications recorded by any process, as this process's relay reads them.
    notifications: broadcast::Sender<permanence_store::NotificationRecord>,
    /// Cases kept between reports (see `reports`).
    report_cache: Arc<reports::ReportCache>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("store", &self.store)
            .finish()
    }
}

impl Engine {
    pub fn new(store: Store, config: EngineConfig, clock: Arc<dyn Clock>) -> Self {
        let (changes, _) = broadcast::channel(1024);
        let (notifications, _) = broadcast::channel(1024);
        Self {
            store,
            config,
            clock,
            changes,
            notifications,
            report_cache: Arc::default(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn catalog(&self) -> &RouteCatalog {
        &self.config.catalog
    }

    pub fn timescales(&self) -> &Timescales {
        &self.config.timescales
    }

    /// The engine's clock: when tokens expire, audit rows are stamped.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    /// Changes to cases, as they are committed in this process.
    pub fn subscribe(&self) -> broadcast::Receiver<CaseChanged> {
        self.changes.subscribe()
    }

    /// Registers a child; the same command id twice registers one child.
    pub async fn register_child(
        &self,
        meta: &CommandMeta,
        mut child: NewChild,
    ) -> Result<ChildRecord, EngineError> {
        child.validate(self.today()).map_err(EngineError::Domain)?;
        child.facts = child
            .facts
            .normalised(child.sex, child.birth_date, self.today())
            .map_err(EngineError::Domain)?;
        let command_id = meta.command_id.unwrap_or_else(Uuid::now_v7);
        let (record, _created) = self
            .store
            .register_child(
                command_id,
                ChildId(Uuid::now_v7()),
                &child,
                self.clock.now(),
            )
            .await
            .map_err(EngineError::from_store)?;
        Ok(record)
    }

    /// Opens a period of care for a registered child. A round of the Public Law Outline
    /// under way while the child lived at home goes on on the new case, and the record at
    /// home says so, in the same transaction.
    pub async fn enter_care(
        &self,
        meta: &CommandMeta,
        input: EnterCare,
    ) -> Result<CaseOutcome, EngineError> {
        check_note(meta)?;
        let child = self
            .store
            .child(input.child_id)
            .await
            .map_err(EngineError::from_store)?
            .ok_or(EngineError::NotFound("child"))?;
        let command_id = meta.command_id.unwrap_or_else(Uuid::now_v7);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let case_id = CaseId(Uuid::now_v7());
            // Read on each attempt: a conflict means the record at home changed meanwhile.
            let continues =
                legal_at_home::continuation(self, meta, &child, &input, case_id).await?;
            let command = Command::OpenCase(OpenCase {
                case_id,
                child_id: child.id,
                local_authority: child.local_authority.clone(),
                child_birth_date: child.birth_date,
                entered_care_on: input.entered_care_on,
                legal_status: input.legal_status,
                placement: input.placement,
                provider: input.provider,
                carer: input.carer.clone(),
                team: input.team.clone(),
                allocated_worker: input.allocated_worker.clone(),
                details: input.details.clone(),
                legal_round_from_home: continues.as_ref().map(|(round, _)| Box::new(round.clone())),
            });
            let outcome = self
                .run_once(
                    meta,
                    case_id,
                    command_id,
                    &command,
                    None,
                    continues.map(|(_, write)| write),
                )
                .await;
            match outcome {
                Err(EngineError::VersionConflict) if attempt < CONFLICT_RETRIES => continue,
                other => return other,
            }
        }
    }

    /// Runs a command on an existing case.
    pub async fn execute(
        &self,
        meta: &CommandMeta,
        case_id: CaseId,
        command: Command,
    ) -> Result<CaseOutcome, EngineError> {
        if matches!(command, Command::OpenCase(_)) {
            return Err(EngineError::Internal("open a case with enter_care".into()));
        }
        self.run(meta, case_id, command).await
    }

    async fn run(
        &self,
        meta: &CommandMeta,
        case_id: CaseId,
        command: Command,
    ) -> Result<CaseOutcome, EngineError> {
        check_note(meta)?;
        let command_id = meta.command_id.unwrap_or_else(Uuid::now_v7);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self
                .run_once(meta, case_id, command_id, &command, None, None)
                .await;
            match outcome {
                Err(EngineError::VersionConflict)
                    if meta.expected_version.is_none() && attempt < CONFLICT_RETRIES =>
                {
                    // The user did not pin a version: another writer got in first, so decide again
                    // on the new state (or find the command already processed).
                    continue;
                }
                other => return other,
            }
        }
    }

    async fn run_once(
        &self,
        meta: &CommandMeta,
        case_id: CaseId,
        command_id: Uuid,
        command: &Command,
        panel_item: Option<PanelItemChange>,
        continues_from_home: Option<ContinuesFromHome>,
    ) -> Result<CaseOutcome, EngineError> {
        let now = self.clock.now();
        let opens_case_of = match command {
            Command::OpenCase(open) => Some(open.child_id),
            _ => None,
        };
        let opening = opens_case_of.is_some();
        let key = CaseCommandKey {
            id: command_id,
            kind: command.kind(),
            opens_case_of,
        };
        let expected = meta.expected_version;
        let outcome = self
            .store
            .run_case_command(case_id, key, now, |state: Option<&CaseState>, version| {
                if state.is_none() && !opening {
                    return Err(EngineError::NotFound("case"));
                }
                if let Some(expected) = expected
                    && expected != version
                {
                    return Err(EngineError::VersionConflict);
                }
                let mut changes = self.case_changes(meta, state, command, panel_item, now)?;
                changes.continues_from_home = continues_from_home;
                Ok(changes)
            })
            .await;
        let (case_id, recorded, duplicate) = match outcome {
            Ok(CommandOutcome::Applied {
                case_id, events, ..
            }) => (case_id, events, false),
            Ok(CommandOutcome::AlreadyProcessed { case_id, .. }) => (case_id, vec![], true),
            Err(RunError::Rejected(refusal)) => return Err(refusal),
            Err(RunError::Store(err)) => return Err(EngineError::from_store(err)),
        };
        let case = self
            .store
            .case(case_id)
            .await
            .map_err(EngineError::from_store)?
            .ok_or(EngineError::NotFound("case"))?;
        if !recorded.is_empty() {
            // No subscriber is not an error.
            let _ = self.changes.send(CaseChanged {
                case_id,
                version: case.version,
            });
        }
        Ok(CaseOutcome {
            case,
            recorded,
            duplicate,
        })
    }

    /// What a command changes on a case as it stands: the domain's events (each with the
    /// actor, the time and the note), the state they leave and its deadlines, and the panel
    /// item the command records on.
    pub(crate) fn case_changes(
        &self,
        meta: &CommandMeta,
        state: Option<&CaseState>,
        command: &Command,
        panel_item: Option<PanelItemChange>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Changes, EngineError> {
        let ctx = DecisionContext {
            today: self.clock.today(),
            catalog: &self.config.catalog,
        };
        let events = decide(state, command, &ctx).map_err(EngineError::Domain)?;
        let new_state = events
            .iter()
            .fold(state.cloned(), evolve)
            .ok_or_else(|| EngineError::Internal("no state after events".into()))?;
        let deadlines = derive_deadlines(&new_state, ctx.catalog, &self.config.timescales);
        Ok(Changes {
            events: events
                .into_iter()
                .map(|event| NewEvent {
                    id: Uuid::now_v7(),
                    event,
                    actor: meta.actor.0.clone(),
                    recorded_at: now,
                    note: meta.note.clone(),
                })
                .collect(),
            state: new_state,
            deadlines,
            panel_item,
            continues_from_home: None,
        })
    }

    /// Replays a case's events and compares the result with its stored projection.
    pub async fn verify_projection(&self, case_id: CaseId) -> Result<bool, EngineError> {
        let record = self
            .store
            .case(case_id)
            .await
            .map_err(EngineError::from_store)?
            .ok_or(EngineError::NotFound("case"))?;
        let events = self
            .store
            .case_events(case_id)
            .await
            .map_err(EngineError::from_store)?;
        let gap_free = events
            .iter()
            .enumerate()
            .all(|(i, e)| e.sequence == i64::try_from(i).unwrap_or(i64::MAX) + 1);
        let replayed = replay(events.iter().map(|e| &e.event));
        let deadlines_match = {
            let stored = self
                .store
                .deadlines_of_cases(&[case_id])
                .await
                .map_err(EngineError::from_store)?
                .remove(&case_id)
                .unwrap_or_default();
            let derived =
                derive_deadlines(&record.state, &self.config.catalog, &self.config.timescales);
            stored == derived
        };
        Ok(gap_free
            && replayed.as_ref() == Some(&record.state)
            && record.version == i64::try_from(events.len()).unwrap_or(i64::MAX)
            && deadlines_match)
    }
}
