//! Users, their bearer tokens, and the audit log.
//!
//! A token is stored only as its hash (`permanence_auth::hash_token`); looking a request's
//! token up is one indexed query that also brings its user. Whether the token may be used
//! (expired, revoked, user disabled) is the caller's decision, with `TokenStatus`.
//!
//! The audit log is a hash chain numbered gap-free from 1. An append locks the chain's head
//! (one row in `audit_head`: `SELECT … FOR UPDATE` on PostgreSQL; SQLite's write transaction
//! is exclusive already), numbers and hashes its entries after it, inserts them and moves the
//! head, in one transaction: several server processes on one PostgreSQL make one chain.
//!
//! A request appends one row naming every record it read; the same transaction writes that
//! row's entries in `audit_log_records` (record kind, id, row), the index `audit_of_record`
//! reads. Rows of one record each, from before, are found by their own columns.

use crate::rows::{from_json_string, to_json_string};
use crate::{Backend, Store, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use permanence_auth::{AuditEntry, AuditRead, AuditRecord, Principal, Role, chain_hash};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use uuid::Uuid;

// ----- records --------------------------------------------------------------------------------

/// A user to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    /// Unique, and the principal's user id: what cases record as the allocated worker.
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub teams: Vec<String>,
    /// ONS codes of the local authorities the user works for.
    pub local_authorities: Vec<String>,
}

/// A user as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub teams: Vec<String>,
    pub local_authorities: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// A disabled user's tokens are refused.
    pub disabled_at: Option<DateTime<Utc>>,
}

impl UserRecord {
    /// The user as the policy sees them; the user id is the username.
    pub fn principal(&self) -> Principal {
        Principal {
            user_id: self.username.clone(),
            name: self.display_name.clone(),
            role: self.role,
            teams: self.teams.clone(),
            local_authorities: self.local_authorities.clone(),
        }
    }

    pub fn is_disabled_at(&self, now: DateTime<Utc>) -> bool {
        self.disabled_at.is_some_and(|disabled| disabled <= now)
    }
}

/// A token as stored: never its secret, and its hash stays inside the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenRecord {
    pub fn status(&self, now: DateTime<Utc>) -> permanence_auth::TokenStatus {
        permanence_auth::TokenStatus::at(self.expires_at, self.revoked_at, now)
    }
}

/// An audit entry to append; the store gives it its sequence and hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAuditEntry {
    /// Kept to the microsecond.
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub record_kind: String,
    pub record_id: String,
    pub query: String,
    /// A request's records ([`NewAuditEntry::request`]); `None` for a row of one record.
    pub records: Option<Vec<AuditRecord>>,
}

impl NewAuditEntry {
    /// The one row of a request that read `records` (`None` when it read none), through
    /// `query` (the request's entry point). The records are kept sorted, each once.
    pub fn request(
        at: DateTime<Utc>,
        actor: &str,
        query: &str,
        records: impl IntoIterator<Item = AuditRecord>,
    ) -> Option<NewAuditEntry> {
        let records = crate::audit_records::canonical(records.into_iter().collect());
        if records.is_empty() {
            return None;
        }
        Some(NewAuditEntry {
            at,
            actor: actor.to_owned(),
            action: permanence_auth::REQUEST_ACTION.to_owned(),
            record_kind: permanence_auth::record_kind::REQUEST.to_owned(),
            record_id: String::new(),
            query: query.to_owned(),
            records: Some(records),
        })
    }
}

/// A stored audit row and its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    pub entry: AuditEntry,
    pub hash: String,
}

// ----- entities (private) ---------------------------------------------------------------------

pub(crate) mod users {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub username: String,
        pub display_name: String,
        pub role: String,
        pub teams: String,
        pub local_authorities: String,
        pub created_at: DateTimeUtc,
        pub disabled_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod api_tokens {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub token_hash: String,
        pub label: Option<String>,
        pub created_at: DateTimeUtc,
        pub expires_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::users::Entity",
            from = "Column::UserId",
            to = "super::users::Column::Id"
        )]
        User,
    }

    impl Related<super::users::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::User.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

mod audit_log {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub sequence: i64,
        pub at: DateTimeUtc,
        pub actor: String,
        pub action: String,
        pub record_kind: String,
        pub record_id: String,
        pub query: String,
        pub hash: String,
        pub records: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod audit_log_records {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log_records")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub record_kind: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub record_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub sequence: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod audit_head {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_head")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub sequence: i64,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The one row of `audit_head`.
const HEAD_ID: i32 = 1;

/// Audit rows per INSERT: 9 values each, well under SQLite's bound-parameter limit.
const AUDIT_INSERT_CHUNK: usize = 500;

/// Index entries per INSERT: 3 values each.
const AUDIT_INDEX_INSERT_CHUNK: usize = 5_000;

/// What PostgreSQL keeps of an instant, so that what is returned equals what is read back.
pub(crate) fn to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

const DUPLICATE_USERNAME: &str = "a user with this username already exists";

// ----- conversions ----------------------------------------------------------------------------

impl TryFrom<users::Model> for UserRecord {
    type Error = StoreError;

    fn try_from(m: users::Model) -> Result<Self, StoreError> {
        Ok(UserRecord {
            role: Role::from_key(&m.role)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown role {}", m.role)))?,
            teams: from_json_string(&m.teams, "user teams")?,
            local_authorities: from_json_string(&m.local_authorities, "user authorities")?,
            id: m.id,
            username: m.username,
            display_name: m.display_name,
            created_at: m.created_at,
            disabled_at: m.disabled_at,
        })
    }
}

impl From<api_tokens::Model> for TokenRecord {
    fn from(m: api_tokens::Model) -> Self {
        TokenRecord {
            id: m.id,
            user_id: m.user_id,
            label: m.label,
            created_at: m.created_at,
            expires_at: m.expires_at,
            revoked_at: m.revoked_at,
        }
    }
}

impl TryFrom<audit_log::Model> for AuditRow {
    type Error = StoreError;

    fn try_from(m: audit_log::Model) -> Result<Self, StoreError> {
        let records = match &m.records {
            None => None,
            Some(text) => Some(crate::audit_records::decode(text, m.sequence)?),
        };
        Ok(AuditRow {
            entry: AuditEntry {
                sequence: m.sequence,
                at: m.at,
                actor: m.actor,
                action: m.action,
                record_kind: m.record_kind,
                record_id: m.record_id,
                query: m.query,
                records,
            },
            hash: m.hash,
        })
    }
}

/// Maps a unique or foreign-key violation to the store's error for it.
fn refusal(err: DbErr, unique: &str) -> StoreError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict(unique.to_owned()),
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => StoreError::NotFound,
        _ => StoreError::from_db(err),
    }
}

impl Store {
    // ----- users --------------------------------------------------------------------------

    /// Creates a user with a fresh id. A username already taken is a `Conflict`.
    pub async fn create_user(
        &self,
        user: &NewUser,
        now: DateTime<Utc>,
    ) -> Result<UserRecord, StoreError> {
        let record = UserRecord {
            id: Uuid::now_v7(),
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: user.role,
            teams: user.teams.clone(),
            local_authorities: user.local_authorities.clone(),
            created_at: to_micros(now),
            disabled_at: None,
        };
        let model = users::ActiveModel {
            id: Set(record.id),
            username: Set(record.username.clone()),
            display_name: Set(record.display_name.clone()),
            role: Set(record.role.key().to_owned()),
            teams: Set(to_json_string(&record.teams)?),
            local_authorities: Set(to_json_string(&record.local_authorities)?),
            created_at: Set(record.created_at),
            disabled_at: Set(None),
        };
        users::Entity::insert(model)
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| refusal(e, DUPLICATE_USERNAME))?;
        Ok(record)
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        users::Entity::find()
            .filter(users::Column::Username.eq(username))
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .map(UserRecord::try_from)
            .transpose()
    }

    pub async fn user_by_id(&self, id: Uuid) -> Result<Option<UserRecord>, StoreError> {
        users::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .map(UserRecord::try_from)
            .transpose()
    }

    /// Every user, by username.
    pub async fn list_users(&self) -> Result<Vec<UserRecord>, StoreError> {
        users::Entity::find()
            .order_by_asc(users::Column::Username)
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .into_iter()
            .map(UserRecord::try_from)
            .collect()
    }

    /// Disables a user from `now`: their tokens are refused from then on. False when the user
    /// is unknown or already disabled.
    pub async fn disable_user(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let updated = users::Entity::update_many()
            .col_expr(users::Column::DisabledAt, Expr::value(Some(to_micros(now))))
            .filter(users::Column::Id.eq(id))
            .filter(users::Column::DisabledAt.is_null())
            .exec(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        Ok(updated.rows_affected == 1)
    }

    // ----- tokens -------------------------------------------------------------------------

    /// Stores a token's hash for a user. An unknown user is `NotFound`.
    pub async fn issue_token(
        &self,
        user_id: Uuid,
        token_hash: &str,
        label: Option<&str>,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<TokenRecord, StoreError> {
        let record = TokenRecord {
            id: Uuid::now_v7(),
            user_id,
            label: label.map(str::to_owned),
            created_at: to_micros(now),
            expires_at: expires_at.map(to_micros),
            revoked_at: None,
        };
        let model = api_tokens::ActiveModel {
            id: Set(record.id),
            user_id: Set(user_id),
            token_hash: Set(token_hash.to_owned()),
            label: Set(record.label.clone()),
            created_at: Set(record.created_at),
            expires_at: Set(record.expires_at),
            revoked_at: Set(None),
        };
        api_tokens::Entity::insert(model)
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| refusal(e, "a token with this hash already exists"))?;
        Ok(record)
    }

    /// The token with this hash and its user, in one query. The caller decides whether it may
    /// be used (expiry, revocation, a disabled user).
    pub async fn user_for_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(UserRecord, TokenRecord)>, StoreError> {
        let found = api_tokens::Entity::find()
            .filter(api_tokens::Column::TokenHash.eq(token_hash))
            .find_also_related(users::Entity)
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        match found {
            None => Ok(None),
            Some((token, Some(user))) => Ok(Some((
                UserRecord::try_from(user)?,
                TokenRecord::from(token),
            ))),
            Some((_, None)) => Err(StoreError::Corrupt("token without user".into())),
        }
    }

    /// Every token with its user's username, oldest first.
    pub async fn list_tokens(&self) -> Result<Vec<(TokenRecord, String)>, StoreError> {
        let rows = api_tokens::Entity::find()
            .find_also_related(users::Entity)
            .order_by_asc(api_tokens::Column::CreatedAt)
            .order_by_asc(api_tokens::Column::Id)
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        rows.into_iter()
            .map(|(token, user)| {
                let user = user.ok_or_else(|| StoreError::Corrupt("token without user".into()))?;
                Ok((TokenRecord::from(token), user.username))
            })
            .collect()
    }

    /// Revokes a token from `now`. False when it is unknown or already revoked.
    pub async fn revoke_token(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let updated = api_tokens::Entity::update_many()
            .col_expr(
                api_tokens::Column::RevokedAt,
                Expr::value(Some(to_micros(now))),
            )
            .filter(api_tokens::Column::Id.eq(id))
            .filter(api_tokens::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        Ok(updated.rows_affected == 1)
    }

    // ----- audit --------------------------------------------------------------------------

    /// Appends entries to the audit chain, in order, in one transaction, with the index
    /// entries of the request rows among them.
    pub async fn append_audit(&self, entries: &[NewAuditEntry]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let txn = self.begin_write().await?;
        let mut find_head = audit_head::Entity::find_by_id(HEAD_ID);
        if self.backend == Backend::Postgres {
            // Serialises appenders across server processes: the next one reads the new head.
            find_head = find_head.lock_exclusive();
        }
        let head = find_head
            .one(&txn)
            .await
            .map_err(StoreError::from_db)?
            .ok_or_else(|| StoreError::Corrupt("the audit head is missing".into()))?;
        let mut sequence = head.sequence;
        let mut previous = head.hash;
        let mut models = Vec::with_capacity(entries.len());
        let mut index = Vec::new();
        for new in entries {
            sequence += 1;
            let entry = AuditEntry {
                sequence,
                at: to_micros(new.at),
                actor: new.actor.clone(),
                action: new.action.clone(),
                record_kind: new.record_kind.clone(),
                record_id: new.record_id.clone(),
                query: new.query.clone(),
                records: new.records.clone(),
            };
            let hash = chain_hash(&previous, &entry);
            let records = match &entry.records {
                None => None,
                Some(records) => {
                    for (record_kind, record_id) in crate::audit_records::index_keys(records) {
                        index.push(audit_log_records::ActiveModel {
                            record_kind: Set(record_kind),
                            record_id: Set(record_id),
                            sequence: Set(sequence),
                        });
                    }
                    Some(crate::audit_records::encode(records)?)
                }
            };
            models.push(audit_log::ActiveModel {
                sequence: Set(entry.sequence),
                at: Set(entry.at),
                actor: Set(entry.actor),
                action: Set(entry.action),
                record_kind: Set(entry.record_kind),
                record_id: Set(entry.record_id),
                query: Set(entry.query),
                hash: Set(hash.clone()),
                records: Set(records),
            });
            previous = hash;
        }
        crate::bulk::insert_rows::<audit_log::Entity, _>(
            &txn,
            self.backend,
            models,
            AUDIT_INSERT_CHUNK,
        )
        .await?;
        crate::bulk::insert_rows::<audit_log_records::Entity, _>(
            &txn,
            self.backend,
            index,
            AUDIT_INDEX_INSERT_CHUNK,
        )
        .await?;
        let moved = audit_head::Entity::update_many()
            .col_expr(audit_head::Column::Sequence, Expr::value(sequence))
            .col_expr(audit_head::Column::Hash, Expr::value(previous))
            .filter(audit_head::Column::Id.eq(HEAD_ID))
            .filter(audit_head::Column::Sequence.eq(head.sequence))
            .exec(&txn)
            .await
            .map_err(StoreError::from_db)?;
        if moved.rows_affected != 1 {
            // Only reachable if the head moved under the lock: never commit a forked chain.
            txn.rollback().await.map_err(StoreError::from_db)?;
            return Err(StoreError::Corrupt(
                "the audit head moved during an append".into(),
            ));
        }
        txn.commit().await.map_err(StoreError::from_db)
    }

    /// The latest reads of one record, newest first: from request rows through the index,
    /// and from the rows of one record written before them. A request that read the record
    /// in several ways gives a line for each.
    pub async fn audit_of_record(
        &self,
        record_kind: &str,
        record_id: &str,
        limit: u64,
    ) -> Result<Vec<AuditRead>, StoreError> {
        let single = audit_log::Entity::find()
            .filter(audit_log::Column::RecordKind.eq(record_kind))
            .filter(audit_log::Column::RecordId.eq(record_id))
            .order_by_desc(audit_log::Column::Sequence)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        let indexed: Vec<i64> = audit_log_records::Entity::find()
            .select_only()
            .column(audit_log_records::Column::Sequence)
            .filter(audit_log_records::Column::RecordKind.eq(record_kind))
            .filter(audit_log_records::Column::RecordId.eq(record_id))
            .order_by_desc(audit_log_records::Column::Sequence)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        let requests = if indexed.is_empty() {
            Vec::new()
        } else {
            audit_log::Entity::find()
                .filter(audit_log::Column::Sequence.is_in(indexed))
                .all(&self.db)
                .await
                .map_err(StoreError::from_db)?
        };
        let mut reads = Vec::new();
        for model in single.into_iter().chain(requests) {
            let row = AuditRow::try_from(model)?;
            reads.extend(
                row.entry
                    .reads()
                    .into_iter()
                    .filter(|r| r.record_kind == record_kind && r.record_id == record_id),
            );
        }
        reads.sort_by_key(|r| std::cmp::Reverse(r.sequence));
        reads.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(reads)
    }

    /// Audit rows after a sequence, in sequence order: the chain read in pages.
    pub async fn audit_page(
        &self,
        after_sequence: i64,
        limit: u64,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let models = audit_log::Entity::find()
            .filter(audit_log::Column::Sequence.gt(after_sequence))
            .order_by_asc(audit_log::Column::Sequence)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        models.into_iter().map(AuditRow::try_from).collect()
    }

    /// The index's entries for rows `from..=to` (sequence, record kind, record id), in that
    /// order: for checking the index against the rows' lists.
    pub async fn audit_index_between(
        &self,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, String, String)>, StoreError> {
        audit_log_records::Entity::find()
            .select_only()
            .column(audit_log_records::Column::Sequence)
            .column(audit_log_records::Column::RecordKind)
            .column(audit_log_records::Column::RecordId)
            .filter(audit_log_records::Column::Sequence.between(from, to))
            .order_by_asc(audit_log_records::Column::Sequence)
            .order_by_asc(audit_log_records::Column::RecordKind)
            .order_by_asc(audit_log_records::Column::RecordId)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)
    }

    /// The chain's last sequence and hash (0 and `GENESIS_HASH` when the log is empty).
    pub async fn audit_head(&self) -> Result<(i64, String), StoreError> {
        let head = audit_head::Entity::find_by_id(HEAD_ID)
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .ok_or_else(|| StoreError::Corrupt("the audit head is missing".into()))?;
        Ok((head.sequence, head.hash))
    }
}
