//! Signing in to the pages: passwords, sessions and failed attempts.
//!
//! The rules (hashing, expiry, how many failures are too many) are `permanence_auth`'s and the
//! web layer's; this module keeps the rows. A session is found by the hash of its cookie's
//! secret, in one indexed query that also brings its user.

use crate::access::{to_micros, users};
use crate::{Store, StoreError, UserRecord};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

/// A user who may be signing in, with their password's stored hash if they have one.
#[derive(Clone, Debug)]
pub struct SignInCandidate {
    pub user: UserRecord,
    pub password_hash: Option<String>,
}

/// A session as stored: never its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

mod user_passwords {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_passwords")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub password_hash: String,
        pub set_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod web_sessions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "web_sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub secret_hash: String,
        pub user_id: Uuid,
        pub csrf_token: String,
        pub created_at: DateTimeUtc,
        pub last_seen_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "crate::access::users::Entity",
            from = "Column::UserId",
            to = "crate::access::users::Column::Id"
        )]
        User,
    }

    impl Related<crate::access::users::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::User.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

mod sign_in_failures {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sign_in_failures")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub subject: String,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

impl From<web_sessions::Model> for SessionRecord {
    fn from(m: web_sessions::Model) -> Self {
        SessionRecord {
            id: m.id,
            user_id: m.user_id,
            csrf_token: m.csrf_token,
            created_at: m.created_at,
            last_seen_at: m.last_seen_at,
            revoked_at: m.revoked_at,
        }
    }
}

impl Store {
    /// Sets a user's password (its Argon2id hash) and signs them out everywhere, in one
    /// transaction. An unknown user is `NotFound`.
    pub async fn set_password(
        &self,
        user_id: Uuid,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        let exists = users::Entity::find_by_id(user_id)
            .one(&txn)
            .await
            .map_err(StoreError::from_db)?
            .is_some();
        if !exists {
            txn.rollback().await.map_err(StoreError::from_db)?;
            return Err(StoreError::NotFound);
        }
        let row = user_passwords::ActiveModel {
            user_id: Set(user_id),
            password_hash: Set(password_hash.to_owned()),
            set_at: Set(to_micros(now)),
        };
        user_passwords::Entity::insert(row)
            .on_conflict(
                OnConflict::column(user_passwords::Column::UserId)
                    .update_columns([
                        user_passwords::Column::PasswordHash,
                        user_passwords::Column::SetAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await
            .map_err(StoreError::from_db)?;
        revoke_sessions(&txn, web_sessions::Column::UserId.eq(user_id), now).await?;
        txn.commit().await.map_err(StoreError::from_db)
    }

    /// The user with this username and their password hash, for a sign-in.
    pub async fn sign_in_candidate(
        &self,
        username: &str,
    ) -> Result<Option<SignInCandidate>, StoreError> {
        let Some(user) = self.user_by_username(username).await? else {
            return Ok(None);
        };
        let password_hash = user_passwords::Entity::find_by_id(user.id)
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .map(|row| row.password_hash);
        Ok(Some(SignInCandidate {
            user,
            password_hash,
        }))
    }

    /// Starts a session for a user. The caller made the secret and keeps it; only its hash is
    /// stored.
    pub async fn create_session(
        &self,
        user_id: Uuid,
        secret_hash: &str,
        csrf_token: &str,
        now: DateTime<Utc>,
    ) -> Result<SessionRecord, StoreError> {
        let now = to_micros(now);
        let row = web_sessions::Model {
            id: Uuid::now_v7(),
            secret_hash: secret_hash.to_owned(),
            user_id,
            csrf_token: csrf_token.to_owned(),
            created_at: now,
            last_seen_at: now,
            revoked_at: None,
        };
        let active = web_sessions::ActiveModel {
            id: Set(row.id),
            secret_hash: Set(row.secret_hash.clone()),
            user_id: Set(row.user_id),
            csrf_token: Set(row.csrf_token.clone()),
            created_at: Set(row.created_at),
            last_seen_at: Set(row.last_seen_at),
            revoked_at: Set(None),
        };
        web_sessions::Entity::insert(active)
            .exec_without_returning(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        Ok(row.into())
    }

    /// The session whose secret has this hash, and its user. Whether it may still be used is
    /// the caller's decision (`permanence_auth::SessionStatus`).
    pub async fn session_by_secret_hash(
        &self,
        secret_hash: &str,
    ) -> Result<Option<(SessionRecord, UserRecord)>, StoreError> {
        let found = web_sessions::Entity::find()
            .filter(web_sessions::Column::SecretHash.eq(secret_hash))
            .find_also_related(users::Entity)
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        match found {
            None => Ok(None),
            Some((session, Some(user))) => Ok(Some((session.into(), UserRecord::try_from(user)?))),
            Some((_, None)) => Err(StoreError::Corrupt("session without user".into())),
        }
    }

    /// Notes that a session was used at `now` (its idle expiry starts again).
    pub async fn touch_session(&self, id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError> {
        web_sessions::Entity::update_many()
            .col_expr(
                web_sessions::Column::LastSeenAt,
                Expr::value(to_micros(now)),
            )
            .filter(web_sessions::Column::Id.eq(id))
            .filter(web_sessions::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        Ok(())
    }

    /// Ends a session (signing out). Ending one already ended changes nothing.
    pub async fn revoke_session(&self, id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError> {
        revoke_sessions(&self.db, web_sessions::Column::Id.eq(id), now).await
    }

    /// Ends every session of a user (a new password, a disabled account).
    pub async fn revoke_sessions_of_user(
        &self,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        revoke_sessions(&self.db, web_sessions::Column::UserId.eq(user_id), now).await
    }

    /// Records a failed sign-in against each subject (an account, an address).
    pub async fn record_sign_in_failure(
        &self,
        subjects: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let rows = subjects
            .iter()
            .map(|subject| sign_in_failures::ActiveModel {
                id: Set(Uuid::now_v7()),
                subject: Set(subject.clone()),
                at: Set(to_micros(now)),
            });
        sign_in_failures::Entity::insert_many(rows)
            .exec_without_returning(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        Ok(())
    }

    /// How many sign-ins failed against a subject since an instant.
    pub async fn sign_in_failures_since(
        &self,
        subject: &str,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        sign_in_failures::Entity::find()
            .filter(sign_in_failures::Column::Subject.eq(subject))
            .filter(sign_in_failures::Column::At.gte(to_micros(since)))
            .count(&self.db)
            .await
            .map_err(StoreError::from_db)
    }

    /// Forgets a subject's failures (after a successful sign-in), and everyone's older than
    /// `older_than`, so that the table stays small.
    pub async fn forget_sign_in_failures(
        &self,
        subject: &str,
        older_than: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sign_in_failures::Entity::delete_many()
            .filter(
                sea_orm::Condition::any()
                    .add(sign_in_failures::Column::Subject.eq(subject))
                    .add(sign_in_failures::Column::At.lt(to_micros(older_than))),
            )
            .exec(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        Ok(())
    }
}

/// Ends the sessions that `which` selects and that are not ended already.
async fn revoke_sessions(
    db: &impl sea_orm::ConnectionTrait,
    which: sea_orm::sea_query::SimpleExpr,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    web_sessions::Entity::update_many()
        .col_expr(
            web_sessions::Column::RevokedAt,
            Expr::value(Some(to_micros(now))),
        )
        .filter(which)
        .filter(web_sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .map_err(StoreError::from_db)?;
    Ok(())
}
