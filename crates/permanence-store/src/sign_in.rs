//! Signing in to the pages: passwords, sessions, failed attempts, and the users that people of
//! the council's identity provider become.
//!
//! The rules (hashing, expiry, how many failures are too many) are `permanence_auth`'s and the
//! web layer's; this module keeps the rows. A session is found by the hash of its cookie's
//! secret, in one indexed query that also brings its user.

use crate::access::{to_micros, users};
use crate::rows::to_json_string;
use crate::{NewUser, Store, StoreError, UserRecord};
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

/// Who a person signing in through the council's identity provider is here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SingleSignOnUser {
    /// Their user: made at their first sign-in, or found through its link and brought up to
    /// date with what the identity provider says now.
    Current(UserRecord),
    /// Their user is disabled: they may not sign in.
    Disabled,
    /// A user that is not theirs (a local account, never linked to the identity provider)
    /// already has the username they would get: they may not sign in as it.
    UsernameTaken,
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

mod single_sign_on_users {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "single_sign_on_users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub issuer: String,
        pub subject: String,
        pub linked_at: DateTimeUtc,
        pub last_signed_in_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

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

    /// The user a person of the identity provider `issuer` signs in as, in one transaction.
    /// `profile.username` is their subject (`sub`): the first time, a user is made from the
    /// profile (without a password) and linked to the issuer and subject; afterwards the
    /// linked user's name, role, teams and authorities are replaced by the profile's. Only a
    /// linked user is ever returned: a local user with that username is `UsernameTaken`.
    pub async fn single_sign_on_user(
        &self,
        issuer: &str,
        profile: &NewUser,
        now: DateTime<Utc>,
    ) -> Result<SingleSignOnUser, StoreError> {
        let now = to_micros(now);
        let txn = self.begin_write().await?;
        let link = single_sign_on_users::Entity::find()
            .filter(single_sign_on_users::Column::Issuer.eq(issuer))
            .filter(single_sign_on_users::Column::Subject.eq(profile.username.as_str()))
            .one(&txn)
            .await
            .map_err(StoreError::from_db)?;
        let outcome = match link {
            Some(link) => {
                let user = users::Entity::find_by_id(link.user_id)
                    .one(&txn)
                    .await
                    .map_err(StoreError::from_db)?
                    .ok_or_else(|| {
                        StoreError::Corrupt("single sign-on link without user".into())
                    })?;
                let user = UserRecord::try_from(user)?;
                if user.is_disabled_at(now) {
                    SingleSignOnUser::Disabled
                } else {
                    users::Entity::update_many()
                        .col_expr(
                            users::Column::DisplayName,
                            Expr::value(profile.display_name.clone()),
                        )
                        .col_expr(users::Column::Role, Expr::value(profile.role.key()))
                        .col_expr(
                            users::Column::Teams,
                            Expr::value(to_json_string(&profile.teams)?),
                        )
                        .col_expr(
                            users::Column::LocalAuthorities,
                            Expr::value(to_json_string(&profile.local_authorities)?),
                        )
                        .filter(users::Column::Id.eq(user.id))
                        .exec(&txn)
                        .await
                        .map_err(StoreError::from_db)?;
                    single_sign_on_users::Entity::update_many()
                        .col_expr(
                            single_sign_on_users::Column::LastSignedInAt,
                            Expr::value(now),
                        )
                        .filter(single_sign_on_users::Column::UserId.eq(user.id))
                        .exec(&txn)
                        .await
                        .map_err(StoreError::from_db)?;
                    SingleSignOnUser::Current(UserRecord {
                        display_name: profile.display_name.clone(),
                        role: profile.role,
                        teams: profile.teams.clone(),
                        local_authorities: profile.local_authorities.clone(),
                        ..user
                    })
                }
            }
            None => {
                let taken = users::Entity::find()
                    .filter(users::Column::Username.eq(profile.username.as_str()))
                    .one(&txn)
                    .await
                    .map_err(StoreError::from_db)?
                    .is_some();
                if taken {
                    SingleSignOnUser::UsernameTaken
                } else {
                    let user = UserRecord {
                        id: Uuid::now_v7(),
                        username: profile.username.clone(),
                        display_name: profile.display_name.clone(),
                        role: profile.role,
                        teams: profile.teams.clone(),
                        local_authorities: profile.local_authorities.clone(),
                        created_at: now,
                        disabled_at: None,
                    };
                    users::Entity::insert(users::ActiveModel {
                        id: Set(user.id),
                        username: Set(user.username.clone()),
                        display_name: Set(user.display_name.clone()),
                        role: Set(user.role.key().to_owned()),
                        teams: Set(to_json_string(&user.teams)?),
                        local_authorities: Set(to_json_string(&user.local_authorities)?),
                        created_at: Set(now),
                        disabled_at: Set(None),
                    })
                    .exec_without_returning(&txn)
                    .await
                    .map_err(StoreError::from_db)?;
                    single_sign_on_users::Entity::insert(single_sign_on_users::ActiveModel {
                        user_id: Set(user.id),
                        issuer: Set(issuer.to_owned()),
                        subject: Set(profile.username.clone()),
                        linked_at: Set(now),
                        last_signed_in_at: Set(now),
                    })
                    .exec_without_returning(&txn)
                    .await
                    .map_err(StoreError::from_db)?;
                    SingleSignOnUser::Current(user)
                }
            }
        };
        match outcome {
            SingleSignOnUser::Current(_) => txn.commit().await.map_err(StoreError::from_db)?,
            _ => txn.rollback().await.map_err(StoreError::from_db)?,
        }
        Ok(outcome)
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
