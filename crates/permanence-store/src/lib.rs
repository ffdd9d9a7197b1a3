//! Storage of children, case events and the projections built from them, on SQLite or
//! PostgreSQL.
//!
//! The store owns the transaction of every command: it locks and loads the case, lets the
//! engine decide, then appends the events, updates the case and deadline projections and
//! records the command id, all in one transaction. sea-orm stays inside this crate: no
//! sea-orm type and no `DbErr` crosses its public API. It knows nothing of GraphQL or HTTP.

mod access;
mod audit_records;
mod bulk;
mod case_states;
mod connection_release;
mod credential_changes;
mod drift;
mod entities;
mod error;
mod form_drafts;
mod legal_at_home;
mod notifications;
mod panel;
mod records;
mod report_facts;
mod several_cases;
mod siblings;
mod sign_in;
mod sqlite_url;
mod ssda903;

pub use access::{AuditRow, NewAuditEntry, NewUser, TokenRecord, UserRecord};
pub use credential_changes::{CREDENTIALS_CHANNEL, CredentialChange, CredentialListener};
pub use drift::DriftCursor;
use drift::drift_condition;
pub use error::{RunError, StoreError};
pub use legal_at_home::{
    AtHomeOutcome, ContinuesFromHome, LegalAtHomeRecord, NewAtHomeEvent, RECORD_AT_HOME_KIND,
    StoredAtHomeEvent,
};
pub use notifications::{
    DeliveryAttempt, DeliveryStatus, EscalationCounts, NotificationAudience, NotificationRecord,
    SweepBatch, WebhookDelivery,
};
pub use panel::{
    ADD_AGENDA_ITEM_KIND, AwaitingDecisionCursor, NewPanelItem, NewPanelMeeting,
    PanelDocumentRecord, PanelHearing, PanelItemChange, PanelItemRecord, PanelMeetingCursor,
    PanelMeetingFilter, PanelMeetingRecord, PanelPoint, PanelQueueCursor, ProcessedCommand,
    SCHEDULE_PANEL_MEETING_KIND,
};
pub use records::{
    CaseFilter, CaseOrder, CaseRecord, Changes, ChildRecord, CommandOutcome, DriftFilter, DriftRow,
    NewEvent, Reach, StoredEvent,
};
pub use report_facts::ReportFacts;
pub use several_cases::{SeveralCasesCommandKey, SeveralCasesOutcome};
pub use siblings::{
    RECORD_SIBLING_GROUP_KIND, SiblingGroupEventRecord, SiblingGroupRecord, SiblingGroupWrite,
    SiblingWriteOutcome,
};
pub use sign_in::{SessionRecord, SignInCandidate, SingleSignOnUser};
pub use ssda903::{ImportedCaseWrite, ImportedChildCorrection, ImportedChildWrite};

use chrono::{DateTime, NaiveDate, Utc};
use entities::{case_deadlines, case_events, cases, children, processed_commands};
use permanence_domain::{CaseId, CaseState, ChildId, Deadline};
use permanence_migrations::{Migrator, MigratorTrait};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// Which database the store runs on.
/// An authority's count of cases and sum of their versions (see `Store::cases_fingerprint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CasesFingerprint {
    pub cases: i64,
    pub versions: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
    /// Kept so that another pool can be opened on the same database (several processes'
    /// worth, in tests and benchmarks). Never logged: it may hold a password.
    url: std::sync::Arc<str>,
    /// Cases' states as last parsed, shared by the store's clones (see `case_states`).
    case_states: std::sync::Arc<case_states::CaseStates>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

/// How long a SQLite writer waits for the lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A pooled PostgreSQL connection idle this long is checked before it is used again.
const POSTGRES_CHECK_IF_IDLE_FOR: Duration = Duration::from_secs(1);

impl Store {
    /// Connects to `sqlite://path` (the file is created when missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Config(
                "the database URL must start with sqlite: or postgres://".into(),
            ));
        };
        // `synchronous=normal` on a SQLite URL trades the last commits on a power cut for speed.
        let (sqlx_url, synchronous) = match backend {
            Backend::Sqlite => sqlite_url::synchronous(url)?,
            Backend::Postgres => (
                url.to_owned(),
                sea_orm::sqlx::sqlite::SqliteSynchronous::Full,
            ),
        };
        let mut options = ConnectOptions::new(sqlx_url);
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            // WAL lets readers run beside the one writer; FULL sync (the default) keeps a
            // committed step through a power cut; foreign keys are off by default in SQLite.
            options
                .max_connections(8)
                .map_sqlx_sqlite_opts(move |opts| {
                    opts.create_if_missing(true)
                        .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                        .synchronous(synchronous)
                        .busy_timeout(SQLITE_BUSY_TIMEOUT)
                        .foreign_keys(true)
                })
                .map_sqlx_sqlite_pool_opts(connection_release::discard_if_in_transaction);
        } else {
            // PostgreSQL ends a transaction whose COMMIT fails, but a connection whose
            // ROLLBACK did not go through must not be reused either.
            //
            // sqlx checks a connection with a round trip when it comes back to the pool, and
            // by default again when it is taken out: two round trips for every query beside
            // the query's own. A connection that passed the first check moments ago is checked
            // again only once it has been idle a while (a database restart takes longer),
            // so a busy server makes one check a query, not two.
            options
                .max_connections(16)
                .test_before_acquire_if_idle_for(POSTGRES_CHECK_IF_IDLE_FOR)
                .map_sqlx_postgres_pool_opts(connection_release::discard_if_in_transaction);
        }
        let db = Database::connect(options)
            .await
            .map_err(StoreError::from_db)?;
        Ok(Self {
            db,
            backend,
            url: url.into(),
            case_states: std::sync::Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL the store was opened with.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Applies every migration not yet applied.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None)
            .await
            .map_err(StoreError::from_db)?;
        self.backfill_primary_step_on().await?;
        self.fill_report_facts().await.map(|_| ())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.map_err(StoreError::from_db)
    }

    /// What SQLite's `PRAGMA integrity_check` finds wrong with the file (nothing when it
    /// answers `ok`). PostgreSQL checks its pages itself: nothing to report there.
    pub async fn integrity_problems(&self) -> Result<Vec<String>, StoreError> {
        if self.backend == Backend::Postgres {
            return Ok(Vec::new());
        }
        let rows = self
            .db
            .query_all_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                "PRAGMA integrity_check",
            ))
            .await
            .map_err(StoreError::from_db)?;
        let mut problems = Vec::new();
        for row in rows {
            let line: String = row.try_get_by_index(0).map_err(StoreError::from_db)?;
            if line != "ok" {
                problems.push(line);
            }
        }
        Ok(problems)
    }

    async fn begin_write(&self) -> Result<DatabaseTransaction, StoreError> {
        let options = match self.backend {
            // Taking the write lock at BEGIN avoids the deadlock of two readers upgrading.
            Backend::Sqlite => TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            },
            Backend::Postgres => TransactionOptions::default(),
        };
        self.db
            .begin_with_options(options)
            .await
            .map_err(StoreError::from_db)
    }

    // ----- children ------------------------------------------------------------------------

    /// Registers a child. The same command id twice registers one child and returns it.
    pub async fn register_child(
        &self,
        command_id: Uuid,
        id: ChildId,
        child: &permanence_domain::child::NewChild,
        now: DateTime<Utc>,
    ) -> Result<(ChildRecord, bool), StoreError> {
        match self.try_register_child(command_id, id, child, now).await {
            Err(err @ (StoreError::DuplicateCommand | StoreError::Conflict(_))) => {
                // A concurrent request with the same command id may have registered the child.
                match self.processed(command_id).await? {
                    Some(done) => Ok((self.registered_before(done, child).await?, false)),
                    None => Err(err),
                }
            }
            other => other,
        }
    }

    async fn processed(
        &self,
        command_id: Uuid,
    ) -> Result<Option<processed_commands::Model>, StoreError> {
        processed_commands::Entity::find_by_id(command_id)
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)
    }

    /// The child an earlier registration with this command id registered: only the same
    /// registration (the same reference in the same authority) is answered with it.
    async fn registered_before(
        &self,
        done: processed_commands::Model,
        child: &permanence_domain::child::NewChild,
    ) -> Result<ChildRecord, StoreError> {
        let same_kind = done
            .command_kind
            .as_deref()
            .is_none_or(|kind| kind == REGISTER_CHILD_KIND);
        let registered = match done.child_id {
            Some(id) if same_kind && done.case_id.is_none() => self.child(ChildId(id)).await?,
            _ => None,
        };
        registered
            .filter(|r| {
                r.local_authority == child.local_authority && r.reference == child.reference
            })
            .ok_or(StoreError::CommandIdReused)
    }

    async fn try_register_child(
        &self,
        command_id: Uuid,
        id: ChildId,
        child: &permanence_domain::child::NewChild,
        now: DateTime<Utc>,
    ) -> Result<(ChildRecord, bool), StoreError> {
        let txn = self.begin_write().await?;
        if let Some(done) = processed_commands::Entity::find_by_id(command_id)
            .one(&txn)
            .await
            .map_err(StoreError::from_db)?
        {
            txn.rollback().await.map_err(StoreError::from_db)?;
            return Ok((self.registered_before(done, child).await?, false));
        }
        let model = children::ActiveModel {
            id: Set(id.0),
            local_authority: Set(child.local_authority.clone()),
            reference: Set(child.reference.clone()),
            birth_date: Set(child.birth_date),
            sex: Set(child.sex.code().to_owned()),
            ethnicity: Set(child.ethnicity.clone()),
            name: Set(child.name.clone()),
            created_at: Set(now),
            return_facts: Set(facts_text(&child.facts)?),
        };
        children::Entity::insert(model)
            .exec_without_returning(&txn)
            .await
            .map_err(StoreError::from_db)?;
        let key = ProcessedKey {
            command_id,
            kind: REGISTER_CHILD_KIND,
            case_id: None,
            child_id: Some(id.0),
        };
        insert_processed(&txn, key, 0, now).await?;
        txn.commit().await.map_err(StoreError::from_db)?;
        let record = self.child(id).await?.ok_or(StoreError::NotFound)?;
        Ok((record, true))
    }

    pub async fn child(&self, id: ChildId) -> Result<Option<ChildRecord>, StoreError> {
        let model = children::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        model.map(ChildRecord::try_from).transpose()
    }

    pub async fn children_by_ids(
        &self,
        ids: &[ChildId],
    ) -> Result<HashMap<ChildId, ChildRecord>, StoreError> {
        let models = in_chunks(ids, |chunk| {
            children::Entity::find()
                .filter(children::Column::Id.is_in(chunk.iter().map(|id| id.0)))
                .all(&self.db)
        })
        .await?;
        models
            .into_iter()
            .map(|m| ChildRecord::try_from(m).map(|r| (r.id, r)))
            .collect()
    }

    /// A page of children in registration order, after the cursor.
    pub async fn children_page(
        &self,
        local_authority: Option<&str>,
        reach: &Reach,
        after: Option<ChildId>,
        limit: u64,
    ) -> Result<Vec<ChildRecord>, StoreError> {
        let mut query = children::Entity::find().order_by_asc(children::Column::Id);
        if let Some(la) = local_authority {
            query = query.filter(children::Column::LocalAuthority.eq(la));
        }
        if let Some(las) = &reach.local_authorities {
            query = query.filter(children::Column::LocalAuthority.is_in(las.iter().cloned()));
        }
        if reach.narrows_cases() {
            // A child is in reach through a case in reach; with a team reach, a child not yet
            // in care is in reach too (the team will take the case).
            let mut with_case = Query::select();
            with_case.column(cases::Column::ChildId).from(cases::Entity);
            reach.apply_to_cases(&mut with_case);
            let mut condition = sea_orm::Condition::any()
                .add(children::Column::Id.in_subquery(with_case.to_owned()));
            if reach.teams_or_unassigned.is_some() {
                let mut any_case = Query::select();
                any_case.column(cases::Column::ChildId).from(cases::Entity);
                condition =
                    condition.add(children::Column::Id.not_in_subquery(any_case.to_owned()));
            }
            query = query.filter(condition);
        }
        if let Some(after) = after {
            query = query.filter(children::Column::Id.gt(after.0));
        }
        let models = query
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        models.into_iter().map(ChildRecord::try_from).collect()
    }

    // ----- commands on cases ----------------------------------------------------------------

    /// Runs one command on a case in one transaction. `decide` receives the case as it stands
    /// (locked against concurrent writers) and its version, and answers with the changes to
    /// store or a refusal. A command id already processed returns `AlreadyProcessed` and
    /// records nothing.
    pub async fn run_case_command<E, F>(
        &self,
        case_id: CaseId,
        command: CaseCommandKey,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<CommandOutcome, RunError<E>>
    where
        F: FnOnce(Option<&CaseState>, i64) -> Result<Changes, E>,
    {
        let command_id = command.id;
        let result = self
            .try_run_case_command(case_id, command, now, decide)
            .await;
        match result {
            Err(RunError::Store(
                err @ (StoreError::DuplicateCommand | StoreError::Conflict(_)),
            )) => {
                // On PostgreSQL a concurrent request with the same command id may have won the
                // race (its unique violation surfaces only once it commits): answer as it did.
                match self.processed(command_id).await.map_err(RunError::Store)? {
                    Some(done) => {
                        already_processed(done, command, case_id).map_err(RunError::Store)
                    }
                    None => Err(RunError::Store(err)),
                }
            }
            other => other,
        }
    }

    async fn try_run_case_command<E, F>(
        &self,
        case_id: CaseId,
        command: CaseCommandKey,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<CommandOutcome, RunError<E>>
    where
        F: FnOnce(Option<&CaseState>, i64) -> Result<Changes, E>,
    {
        let store_err = |e: sea_orm::DbErr| RunError::Store(StoreError::from_db(e));
        let txn = self.begin_write().await.map_err(RunError::Store)?;
        if let Some(child) = command.opens_case_of {
            // Entering care and a legal step at home for the same child take turns, so that
            // the step sees the case once it is open (`legal_at_home`).
            self.lock_child(&txn, child)
                .await
                .map_err(RunError::Store)?;
        }
        let mut find = cases::Entity::find_by_id(case_id.0);
        if self.backend == Backend::Postgres {
            // Serialises commands on one case across server processes.
            find = find.lock_exclusive();
        }
        let current = find.one(&txn).await.map_err(store_err)?;
        let command_id = command.id;
        if let Some(done) = processed_commands::Entity::find_by_id(command_id)
            .one(&txn)
            .await
            .map_err(store_err)?
        {
            txn.rollback().await.map_err(store_err)?;
            return already_processed(done, command, case_id).map_err(RunError::Store);
        }
        let (state, version) = match &current {
            Some(model) => (
                Some(decode_state(&model.state).map_err(RunError::Store)?),
                model.version,
            ),
            None => (None, 0),
        };
        let changes = match decide(state.as_ref(), version) {
            Ok(changes) => changes,
            Err(refusal) => {
                txn.rollback().await.map_err(store_err)?;
                return Err(RunError::Rejected(refusal));
            }
        };
        if changes.events.is_empty() {
            txn.rollback().await.map_err(store_err)?;
            return Ok(CommandOutcome::Applied {
                case_id,
                version,
                events: vec![],
            });
        }
        let written = write_case_changes(
            &txn,
            case_id,
            current.is_some(),
            version,
            changes,
            command_id,
            now,
        )
        .await;
        let (new_version, stored) = match written {
            Ok(done) => done,
            Err(err) => {
                txn.rollback().await.map_err(store_err)?;
                return Err(RunError::Store(err));
            }
        };
        let key = ProcessedKey {
            command_id,
            kind: command.kind,
            case_id: Some(case_id.0),
            child_id: command.opens_case_of.map(|child| child.0),
        };
        insert_processed(&txn, key, new_version, now)
            .await
            .map_err(RunError::Store)?;
        txn.commit().await.map_err(store_err)?;
        Ok(CommandOutcome::Applied {
            case_id,
            version: new_version,
            events: stored,
        })
    }

    /// On PostgreSQL, locks a child's row until the transaction ends (SQLite's writers take
    /// turns already).
    pub(crate) async fn lock_child(
        &self,
        txn: &DatabaseTransaction,
        child: ChildId,
    ) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            children::Entity::find_by_id(child.0)
                .lock_exclusive()
                .one(txn)
                .await
                .map_err(StoreError::from_db)?;
        }
        Ok(())
    }

    /// Whether the child has a period of care open, as this transaction sees it.
    pub(crate) async fn has_open_case(
        txn: &DatabaseTransaction,
        child: ChildId,
    ) -> Result<bool, StoreError> {
        use sea_orm::PaginatorTrait;
        let open = cases::Entity::find()
            .filter(cases::Column::ChildId.eq(child.0))
            .filter(cases::Column::Status.eq(STATUS_OPEN))
            .count(txn)
            .await
            .map_err(StoreError::from_db)?;
        Ok(open > 0)
    }

    // ----- reads ---------------------------------------------------------------------------

    pub async fn case(&self, id: CaseId) -> Result<Option<CaseRecord>, StoreError> {
        let model = cases::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        model.map(|m| self.case_states.record(m)).transpose()
    }

    pub async fn cases_by_ids(
        &self,
        ids: &[CaseId],
    ) -> Result<HashMap<CaseId, CaseRecord>, StoreError> {
        if ids.len() > 1 {
            // A page's worth: unchanged states are not read again (see `case_states`).
            let mut out = HashMap::with_capacity(ids.len());
            for chunk in ids.chunks(IN_LIST_CHUNK) {
                let query = cases::Entity::find()
                    .filter(cases::Column::Id.is_in(chunk.iter().map(|id| id.0)));
                out.extend(
                    self.cases_of_select(query)
                        .await?
                        .into_iter()
                        .map(|r| (r.id, r)),
                );
            }
            return Ok(out);
        }
        let models = in_chunks(ids, |chunk| {
            cases::Entity::find()
                .filter(cases::Column::Id.is_in(chunk.iter().map(|id| id.0)))
                .all(&self.db)
        })
        .await?;
        models
            .into_iter()
            .map(|m| self.case_states.record(m).map(|r| (r.id, r)))
            .collect()
    }

    /// The periods of care of children, oldest first, for many children in one query.
    pub async fn cases_of_children(
        &self,
        ids: &[ChildId],
    ) -> Result<HashMap<ChildId, Vec<CaseRecord>>, StoreError> {
        let mut out: HashMap<ChildId, Vec<CaseRecord>> = HashMap::new();
        for chunk in ids.chunks(IN_LIST_CHUNK) {
            let models = cases::Entity::find()
                .filter(cases::Column::ChildId.is_in(chunk.iter().map(|id| id.0)))
                .order_by_asc(cases::Column::EnteredCareOn)
                .all(&self.db)
                .await
                .map_err(StoreError::from_db)?;
            for model in models {
                let record = self.case_states.record(model)?;
                out.entry(record.child_id).or_default().push(record);
            }
        }
        Ok(out)
    }

    /// A page of cases matching the filter, in creation order after the cursor.
    pub async fn cases_page(
        &self,
        filter: &CaseFilter,
        after: Option<CaseId>,
        limit: u64,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        let mut query = filtered_cases(filter).order_by_asc(cases::Column::Id);
        if let Some(after) = after {
            query = query.filter(cases::Column::Id.gt(after.0));
        }
        self.cases_of_select(query.limit(limit)).await
    }

    /// A page of the cases the filter admits, in a chosen order (ties by id), `offset` cases
    /// in: for lists a person sorts, where a page number is what they need.
    pub async fn cases_sorted(
        &self,
        filter: &CaseFilter,
        order: CaseOrder,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        use sea_orm::sea_query::{NullOrdering, Order};
        let query = filtered_cases(filter);
        let query = match order {
            CaseOrder::Registered => query,
            CaseOrder::UnallocatedFirst => query.order_by(
                Expr::col(cases::Column::AllocatedWorker).is_null(),
                Order::Desc,
            ),
            CaseOrder::LongestInCare => query.order_by_asc(cases::Column::EnteredCareOn),
            // The soonest open deadline the engine knows; cases with none last (a deadline
            // not known from the return has no due date to come first by). The same SQL on
            // both databases.
            CaseOrder::NextDeadline => query.order_by_with_nulls(
                Expr::cust(
                    "(SELECT MIN(case_deadlines.due_on) FROM case_deadlines \
                     WHERE case_deadlines.case_id = cases.id \
                     AND case_deadlines.not_known_from_return = FALSE)",
                ),
                Order::Asc,
                NullOrdering::Last,
            ),
        };
        self.cases_of_select(
            query
                .order_by_asc(cases::Column::Id)
                .offset(offset)
                .limit(limit),
        )
        .await
    }

    /// Every event of a case, in order.
    pub async fn case_events(&self, id: CaseId) -> Result<Vec<StoredEvent>, StoreError> {
        Ok(self
            .events_of_cases(&[id])
            .await?
            .remove(&id)
            .unwrap_or_default())
    }

    /// The events of many cases in one query per 500 cases.
    pub async fn events_of_cases(
        &self,
        ids: &[CaseId],
    ) -> Result<HashMap<CaseId, Vec<StoredEvent>>, StoreError> {
        let mut out: HashMap<CaseId, Vec<StoredEvent>> = HashMap::new();
        for chunk in ids.chunks(IN_LIST_CHUNK) {
            let models = case_events::Entity::find()
                .filter(case_events::Column::CaseId.is_in(chunk.iter().map(|id| id.0)))
                .order_by_asc(case_events::Column::CaseId)
                .order_by_asc(case_events::Column::Sequence)
                .all(&self.db)
                .await
                .map_err(StoreError::from_db)?;
            for model in models {
                let event = StoredEvent::try_from(model)?;
                out.entry(event.case_id).or_default().push(event);
            }
        }
        Ok(out)
    }

    /// The open deadlines of many cases, soonest first, those not known from the return
    /// last (the order `derive_deadlines` gives).
    pub async fn deadlines_of_cases(
        &self,
        ids: &[CaseId],
    ) -> Result<HashMap<CaseId, Vec<Deadline>>, StoreError> {
        let mut out: HashMap<CaseId, Vec<Deadline>> = HashMap::new();
        for chunk in ids.chunks(IN_LIST_CHUNK) {
            let models = case_deadlines::Entity::find()
                .filter(case_deadlines::Column::CaseId.is_in(chunk.iter().map(|id| id.0)))
                .order_by_asc(case_deadlines::Column::NotKnownFromReturn)
                .order_by_asc(case_deadlines::Column::DueOn)
                .order_by_asc(case_deadlines::Column::DeadlineKey)
                .all(&self.db)
                .await
                .map_err(StoreError::from_db)?;
            for model in models {
                let case_id = CaseId(model.case_id);
                out.entry(case_id)
                    .or_default()
                    .push(deadline_from_row(model)?);
            }
        }
        Ok(out)
    }

    /// The teams of the open cases in reach, in alphabetical order: what a list of cases can
    /// be narrowed to.
    pub async fn teams_in_reach(&self, reach: &Reach) -> Result<Vec<String>, StoreError> {
        let open_in_reach = CaseFilter {
            open: Some(true),
            reach: reach.clone(),
            ..CaseFilter::default()
        };
        filtered_cases(&open_in_reach)
            .select_only()
            .column(cases::Column::Team)
            .distinct()
            .filter(cases::Column::Team.is_not_null())
            .order_by_asc(cases::Column::Team)
            .into_tuple::<String>()
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)
    }

    /// Every case with its child, for reports over the whole service (or one authority),
    /// read in pages so that no single query holds the whole table.
    pub async fn cases_with_children(
        &self,
        local_authority: Option<&str>,
    ) -> Result<Vec<(CaseRecord, ChildRecord)>, StoreError> {
        const PAGE: u64 = 5_000;
        let mut out = Vec::new();
        let mut after: Option<Uuid> = None;
        loop {
            let mut query = cases::Entity::find().order_by_asc(cases::Column::Id);
            if let Some(la) = local_authority {
                query = query.filter(cases::Column::LocalAuthority.eq(la));
            }
            if let Some(after) = after {
                query = query.filter(cases::Column::Id.gt(after));
            }
            let models = query
                .limit(PAGE)
                .all(&self.db)
                .await
                .map_err(StoreError::from_db)?;
            let Some(last) = models.last() else { break };
            after = Some(last.id);
            let full_page = models.len() as u64 == PAGE;
            let cases = models
                .into_iter()
                .map(|m| self.case_states.record(m))
                .collect::<Result<Vec<_>, _>>()?;
            out.extend(self.with_children(cases).await?);
            if !full_page {
                break;
            }
        }
        Ok(out)
    }

    /// The open cases of these authorities whose primary plan stands at one of these steps
    /// of its route, with their children, in case id order.
    pub async fn open_cases_at_steps(
        &self,
        local_authorities: &[String],
        steps: &[(permanence_domain::Route, &str)],
    ) -> Result<Vec<(CaseRecord, ChildRecord)>, StoreError> {
        let mut at_a_step = sea_orm::Condition::any();
        for (route, step) in steps {
            at_a_step = at_a_step.add(
                sea_orm::Condition::all()
                    .add(cases::Column::PrimaryRoute.eq(route.key()))
                    .add(cases::Column::PrimaryStep.eq(*step)),
            );
        }
        let cases = cases::Entity::find()
            .filter(cases::Column::LocalAuthority.is_in(local_authorities.iter().cloned()))
            .filter(cases::Column::Status.eq(STATUS_OPEN))
            .filter(at_a_step)
            .order_by_asc(cases::Column::Id)
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .into_iter()
            .map(|m| self.case_states.record(m))
            .collect::<Result<Vec<_>, _>>()?;
        self.with_children(cases).await
    }

    /// How many cases an authority has, and the sum of their versions: one aggregate that
    /// moves whenever any of its cases changes or a case is added, because cases are never
    /// deleted and a version only grows. A report asks this before anything else.
    pub async fn cases_fingerprint(
        &self,
        local_authority: &str,
    ) -> Result<CasesFingerprint, StoreError> {
        let row: Option<(i64, i64)> = cases::Entity::find()
            .select_only()
            .expr_as(Expr::cust("COUNT(*)"), "cases")
            // PostgreSQL sums bigints as numeric: cast back.
            .expr_as(
                Expr::cust("CAST(COALESCE(SUM(version), 0) AS BIGINT)"),
                "versions",
            )
            .filter(cases::Column::LocalAuthority.eq(local_authority))
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        let (cases, versions) = row.unwrap_or_default();
        Ok(CasesFingerprint { cases, versions })
    }

    /// Every case of an authority with its version, in id order: enough to tell which
    /// cases changed since they were last read (a case's version moves with every command).
    pub async fn case_versions(
        &self,
        local_authority: &str,
    ) -> Result<Vec<(CaseId, i64)>, StoreError> {
        let rows: Vec<(Uuid, i64)> = cases::Entity::find()
            .select_only()
            .column(cases::Column::Id)
            .column(cases::Column::Version)
            .filter(cases::Column::LocalAuthority.eq(local_authority))
            .order_by_asc(cases::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        Ok(rows.into_iter().map(|(id, v)| (CaseId(id), v)).collect())
    }

    /// Cases with their children, by id (ids not found are left out).
    pub async fn cases_with_children_by_ids(
        &self,
        ids: &[CaseId],
    ) -> Result<Vec<(CaseRecord, ChildRecord)>, StoreError> {
        let cases = self.cases_by_ids(ids).await?;
        self.with_children(cases.into_values()).await
    }

    /// Each case with its child, read in one query for them all.
    async fn with_children(
        &self,
        cases: impl IntoIterator<Item = CaseRecord>,
    ) -> Result<Vec<(CaseRecord, ChildRecord)>, StoreError> {
        let cases: Vec<CaseRecord> = cases.into_iter().collect();
        let child_ids: Vec<ChildId> = cases.iter().map(|c| c.child_id).collect();
        let children = self.children_by_ids(&child_ids).await?;
        cases
            .into_iter()
            .map(|case| {
                // A child who came back into care has several cases: cloned for each.
                let child = children
                    .get(&case.child_id)
                    .cloned()
                    .ok_or_else(|| StoreError::Corrupt("case without child".into()))?;
                Ok((case, child))
            })
            .collect()
    }

    /// Every case id, for rebuilding projections and for checks.
    pub async fn all_case_ids(&self) -> Result<Vec<CaseId>, StoreError> {
        let ids: Vec<Uuid> = cases::Entity::find()
            .select_only()
            .column(cases::Column::Id)
            .order_by_asc(cases::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        Ok(ids.into_iter().map(CaseId).collect())
    }

    /// Runs a statement directly, for tests of the database's own guards (append-only).
    /// Returns the database's refusal as an error message.
    pub async fn execute_raw_for_tests(&self, sql: &str) -> Result<u64, String> {
        self.db
            .execute_unprepared(sql)
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| e.to_string())
    }
}

/// How many ids one `IN (...)` list holds: well under SQLite's bound-parameter limit.
const IN_LIST_CHUNK: usize = 500;

/// Runs a by-ids query in chunks and gathers the rows.
async fn in_chunks<K, M, F, Fut>(ids: &[K], query: F) -> Result<Vec<M>, StoreError>
where
    F: Fn(&[K]) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<M>, sea_orm::DbErr>>,
{
    let mut rows = Vec::new();
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        rows.extend(query(chunk).await.map_err(StoreError::from_db)?);
    }
    Ok(rows)
}

impl Reach {
    /// Whether the reach narrows cases beyond their authority.
    fn narrows_cases(&self) -> bool {
        self.teams_or_unassigned.is_some()
            || self.allocated_to.is_some()
            || self.on_agenda_of.is_some()
    }

    /// Narrows a `SELECT … FROM cases` to the cases in reach.
    fn apply_to_cases(&self, select: &mut sea_orm::sea_query::SelectStatement) {
        if let Some(las) = &self.local_authorities {
            select.and_where(
                Expr::col((cases::Entity, cases::Column::LocalAuthority))
                    .is_in(las.iter().cloned()),
            );
        }
        if let Some(teams) = &self.teams_or_unassigned {
            select.cond_where(
                sea_orm::Condition::any()
                    .add(
                        Expr::col((cases::Entity, cases::Column::Team))
                            .is_in(teams.iter().cloned()),
                    )
                    .add(Expr::col((cases::Entity, cases::Column::Team)).is_null()),
            );
        }
        if let Some(user) = &self.allocated_to {
            select.and_where(
                Expr::col((cases::Entity, cases::Column::AllocatedWorker)).eq(user.as_str()),
            );
        }
        if let Some(user) = &self.on_agenda_of {
            select.and_where(
                Expr::col((cases::Entity, cases::Column::Id))
                    .in_subquery(panel::cases_on_agenda_of(user)),
            );
        }
    }
}

/// The version of the event payload format; bumped when a payload's shape changes.
pub const EVENT_SCHEMA_VERSION: i32 = 1;
const STATUS_OPEN: &str = "OPEN";
const STATUS_CLOSED: &str = "CLOSED";

/// The kind recorded for a child's registration.
const REGISTER_CHILD_KIND: &str = "registerChild";

/// A command on a case as its idempotency record knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseCommandKey {
    /// The client's command id (or one generated for it).
    pub id: Uuid,
    /// What the command does (`recordReview`): the same id with another kind is another
    /// command.
    pub kind: &'static str,
    /// For the opening of a case, the child it is opened for: the case's id is new on each
    /// attempt, so the child is what makes two openings the same.
    pub opens_case_of: Option<ChildId>,
}

/// The answer to a command id seen before: the same command (same kind, same case, or for
/// an opening the same child) answers with what it did; anything else is a reuse of the id,
/// refused without saying what the id was used for.
fn already_processed(
    done: processed_commands::Model,
    command: CaseCommandKey,
    asked_for: CaseId,
) -> Result<CommandOutcome, StoreError> {
    // Rows recorded before kinds were kept are recognised by their target alone.
    let same_kind = done
        .command_kind
        .as_deref()
        .is_none_or(|kind| kind == command.kind);
    let same_target = match command.opens_case_of {
        Some(child) => done.child_id == Some(child.0),
        None => done.case_id == Some(asked_for.0) && done.child_id.is_none(),
    };
    match done.case_id {
        Some(case_id) if same_kind && same_target => Ok(CommandOutcome::AlreadyProcessed {
            case_id: CaseId(case_id),
            version: done.version,
        }),
        _ => Err(StoreError::CommandIdReused),
    }
}

/// What a processed command's row records about it.
#[derive(Clone, Copy, Debug)]
struct ProcessedKey {
    command_id: Uuid,
    kind: &'static str,
    case_id: Option<Uuid>,
    child_id: Option<Uuid>,
}

async fn insert_processed(
    txn: &DatabaseTransaction,
    key: ProcessedKey,
    version: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let model = processed_commands::ActiveModel {
        command_id: Set(key.command_id),
        case_id: Set(key.case_id),
        child_id: Set(key.child_id),
        version: Set(version),
        recorded_at: Set(now),
        record_id: Set(None),
        command_kind: Set(Some(key.kind.to_owned())),
    };
    processed_commands::Entity::insert(model)
        .exec_without_returning(txn)
        .await
        .map_err(StoreError::from_db)?;
    Ok(())
}

/// Writes one case's changes inside a command's transaction: the case's projection under its
/// version (another version refuses with `VersionConflict`), its events, deadlines and report
/// facts, and the panel item the command records on. Answers with the new version and the
/// events as stored.
async fn write_case_changes(
    txn: &DatabaseTransaction,
    case_id: CaseId,
    exists: bool,
    version: i64,
    changes: Changes,
    command_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(i64, Vec<StoredEvent>), StoreError> {
    let new_version = version + i64::try_from(changes.events.len()).unwrap_or(i64::MAX);
    let row = case_row(&changes.state, new_version, now)?;
    let facts = report_facts::facts_row(&changes.state, new_version)?;
    if exists {
        // The version check makes a lost update impossible even without the row lock.
        let updated = cases::Entity::update_many()
            .set(row)
            .filter(cases::Column::Id.eq(case_id.0))
            .filter(cases::Column::Version.eq(version))
            .exec(txn)
            .await
            .map_err(StoreError::from_db)?;
        if updated.rows_affected != 1 {
            return Err(StoreError::VersionConflict);
        }
    } else {
        cases::Entity::insert(row)
            .exec_without_returning(txn)
            .await
            .map_err(StoreError::from_db)?;
    }
    let mut stored = Vec::with_capacity(changes.events.len());
    let mut models = Vec::with_capacity(changes.events.len());
    for (offset, new_event) in changes.events.into_iter().enumerate() {
        let sequence = version + 1 + i64::try_from(offset).unwrap_or(i64::MAX);
        models.push(event_row(case_id, command_id, sequence, &new_event)?);
        stored.push(StoredEvent {
            id: new_event.id,
            case_id,
            sequence,
            occurred_on: new_event.event.occurred_on(),
            event: new_event.event,
            actor: new_event.actor,
            recorded_at: new_event.recorded_at,
            command_id,
            note: new_event.note,
            schema_version: EVENT_SCHEMA_VERSION,
        });
    }
    case_events::Entity::insert_many(models)
        .exec_without_returning(txn)
        .await
        .map_err(StoreError::from_db)?;
    replace_deadlines(txn, &changes.state, &changes.deadlines).await?;
    report_facts::write_facts(txn, vec![facts])
        .await
        .map_err(StoreError::from_db)?;
    if let Some(change) = &changes.panel_item {
        panel::apply_item_change(txn, change, now).await?;
    }
    if let Some(continues) = &changes.continues_from_home {
        legal_at_home::continue_in_care(txn, continues, command_id, now).await?;
    }
    Ok((new_version, stored))
}

/// The row of an event in a case's append-only history: the one place the stored format is
/// written, for commands and imports alike.
pub(crate) fn event_row(
    case_id: CaseId,
    command_id: Uuid,
    sequence: i64,
    new_event: &NewEvent,
) -> Result<case_events::ActiveModel, StoreError> {
    let payload =
        serde_json::to_string(&new_event.event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(case_events::ActiveModel {
        id: Set(new_event.id),
        case_id: Set(case_id.0),
        sequence: Set(sequence),
        event_type: Set(new_event.event.kind().to_owned()),
        schema_version: Set(EVENT_SCHEMA_VERSION),
        payload: Set(payload),
        actor: Set(new_event.actor.clone()),
        occurred_on: Set(new_event.event.occurred_on()),
        recorded_at: Set(new_event.recorded_at),
        command_id: Set(command_id),
        note: Set(new_event.note.clone()),
    })
}

fn decode_state(json: &str) -> Result<CaseState, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("case state: {e}")))
}

fn case_row(
    state: &CaseState,
    version: i64,
    now: DateTime<Utc>,
) -> Result<cases::ActiveModel, StoreError> {
    let json = serde_json::to_string(state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let primary = state.primary_plan();
    Ok(cases::ActiveModel {
        id: Set(state.id.0),
        child_id: Set(state.child_id.0),
        local_authority: Set(state.local_authority.clone()),
        team: Set(state.team.clone()),
        allocated_worker: Set(state.allocated_worker.clone()),
        entered_care_on: Set(state.entered_care_on),
        left_care_on: Set(state.closed.map(|c| c.on)),
        reason_ceased: Set(state.closed.map(|c| c.reason.code().to_owned())),
        primary_route: Set(primary.map(|p| p.route.key().to_owned())),
        primary_step: Set(primary.map(|p| p.current_step().to_owned())),
        parallel_route: Set(state.parallel_plan().map(|p| p.route.key().to_owned())),
        primary_step_on: Set(primary_step_on(state)),
        status: Set(if state.is_open() {
            STATUS_OPEN
        } else {
            STATUS_CLOSED
        }
        .to_owned()),
        version: Set(version),
        state: Set(json),
        updated_at: Set(now),
    })
}

/// A child's return facts as stored: none when nothing is recorded.
fn facts_text(facts: &permanence_domain::child::ChildFacts) -> Result<Option<String>, StoreError> {
    if *facts == Default::default() {
        return Ok(None);
    }
    serde_json::to_string(facts)
        .map(Some)
        .map_err(|e| StoreError::Corrupt(format!("child facts: {e}")))
}

/// Since when the primary plan has stood at its current step: how long a case has waited.
fn primary_step_on(state: &CaseState) -> Option<NaiveDate> {
    state.primary_plan().map(|p| p.current_step_on())
}

async fn replace_deadlines(
    txn: &DatabaseTransaction,
    state: &CaseState,
    deadlines: &[Deadline],
) -> Result<(), StoreError> {
    case_deadlines::Entity::delete_many()
        .filter(case_deadlines::Column::CaseId.eq(state.id.0))
        .exec(txn)
        .await
        .map_err(StoreError::from_db)?;
    if deadlines.is_empty() {
        return Ok(());
    }
    let rows = deadlines
        .iter()
        .map(|d| deadline_row(state, d))
        .collect::<Result<Vec<_>, _>>()?;
    case_deadlines::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await
        .map_err(StoreError::from_db)?;
    Ok(())
}

fn to_json_string<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json_string<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn deadline_row(
    state: &CaseState,
    d: &Deadline,
) -> Result<case_deadlines::ActiveModel, StoreError> {
    Ok(case_deadlines::ActiveModel {
        case_id: Set(state.id.0),
        deadline_key: Set(d.key.clone()),
        rule: Set(d.rule.clone()),
        label: Set(d.label.clone()),
        category: Set(to_json_string(&d.category)?),
        route: Set(d.route.map(|r| r.key().to_owned())),
        plan_id: Set(d.plan_id.and_then(|p| i32::try_from(p).ok())),
        started_on: Set(d.started_on),
        due_on: Set(d.due_on),
        period: Set(to_json_string(&d.period)?),
        basis: Set(to_json_string(&d.basis)?),
        reference: Set(d.reference.clone()),
        after_panel: Set(d.after_panel),
        local_authority: Set(state.local_authority.clone()),
        team: Set(state.team.clone()),
        not_known_from_return: Set(d.not_known_from_return),
    })
}

fn deadline_from_row(m: case_deadlines::Model) -> Result<Deadline, StoreError> {
    Ok(Deadline {
        key: m.deadline_key,
        rule: m.rule,
        label: m.label,
        category: from_json_string(&m.category, "deadline category")?,
        route: match m.route {
            Some(key) => Some(
                permanence_domain::Route::from_key(&key)
                    .ok_or_else(|| StoreError::Corrupt(format!("unknown route {key}")))?,
            ),
            None => None,
        },
        plan_id: m.plan_id.and_then(|p| u32::try_from(p).ok()),
        started_on: m.started_on,
        due_on: m.due_on,
        period: from_json_string(&m.period, "deadline period")?,
        basis: from_json_string(&m.basis, "deadline basis")?,
        reference: m.reference,
        after_panel: m.after_panel,
        not_known_from_return: m.not_known_from_return,
    })
}

/// The cases a list filter admits (no order): the API's lists and the pages' share it.
fn filtered_cases(filter: &CaseFilter) -> sea_orm::Select<cases::Entity> {
    let mut query = cases::Entity::find();
    if let Some(la) = &filter.local_authority {
        query = query.filter(cases::Column::LocalAuthority.eq(la.as_str()));
    }
    if let Some(route) = filter.route {
        query = query.filter(cases::Column::PrimaryRoute.eq(route.key()));
    }
    if let Some(step) = &filter.step {
        query = query.filter(cases::Column::PrimaryStep.eq(step.as_str()));
    }
    if let Some(team) = &filter.team {
        query = query.filter(cases::Column::Team.eq(team.as_str()));
    }
    if let Some(worker) = &filter.allocated_worker {
        query = query.filter(cases::Column::AllocatedWorker.eq(worker.as_str()));
    }
    if let Some(las) = &filter.reach.local_authorities {
        query = query.filter(cases::Column::LocalAuthority.is_in(las.iter().cloned()));
    }
    if filter.reach.narrows_cases() {
        let mut in_reach = Query::select();
        in_reach.column(cases::Column::Id).from(cases::Entity);
        filter.reach.apply_to_cases(&mut in_reach);
        query = query.filter(cases::Column::Id.in_subquery(in_reach.to_owned()));
    }
    if let Some(open) = filter.open {
        query =
            query.filter(cases::Column::Status.eq(if open { STATUS_OPEN } else { STATUS_CLOSED }));
    }
    if let Some((status, as_of, due_soon_days)) = filter.drift {
        use permanence_domain::DriftStatus;
        let mut sub = Query::select();
        sub.column(case_deadlines::Column::CaseId)
            .from(case_deadlines::Entity);
        query = if status == DriftStatus::OnTrack {
            // On track: nothing the engine knows is overdue or due soon. A closed case has no
            // deadlines, but it is not "on track" either.
            sub.cond_where(drift_condition(None, as_of, due_soon_days));
            query
                .filter(cases::Column::Status.eq(STATUS_OPEN))
                .filter(cases::Column::Id.not_in_subquery(sub.to_owned()))
        } else {
            sub.cond_where(drift_condition(Some(status), as_of, due_soon_days));
            query.filter(cases::Column::Id.in_subquery(sub.to_owned()))
        };
    }
    query
}
