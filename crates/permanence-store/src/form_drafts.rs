//! What a person had typed into a form when their session ended, kept for the session they
//! sign in to next: one draft per session, for one page, taken back (and deleted) by the
//! first visit to that page.

use crate::access::to_micros;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

mod web_form_drafts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "web_form_drafts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub session_id: Uuid,
        pub path: String,
        pub fields: String,
        pub saved_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

impl Store {
    /// Keeps a draft for a session (replacing any it had), and forgets drafts saved before
    /// `forget_before`: no session lives that long, so nobody could take them back.
    pub async fn save_form_draft(
        &self,
        session_id: Uuid,
        path: &str,
        fields: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        web_form_drafts::Entity::delete_many()
            .filter(web_form_drafts::Column::SavedAt.lt(to_micros(forget_before)))
            .exec(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        let row = web_form_drafts::ActiveModel {
            session_id: Set(session_id),
            path: Set(path.to_owned()),
            fields: Set(fields.to_owned()),
            saved_at: Set(to_micros(now)),
        };
        web_form_drafts::Entity::insert(row)
            .on_conflict(
                OnConflict::column(web_form_drafts::Column::SessionId)
                    .update_columns([
                        web_form_drafts::Column::Path,
                        web_form_drafts::Column::Fields,
                        web_form_drafts::Column::SavedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        Ok(())
    }

    /// The session's draft for the page at `path`, deleted as it is returned; `None` when the
    /// session has none for that page (a draft for another page stays).
    pub async fn take_form_draft(
        &self,
        session_id: Uuid,
        path: &str,
    ) -> Result<Option<String>, StoreError> {
        let found = web_form_drafts::Entity::find_by_id(session_id)
            .filter(web_form_drafts::Column::Path.eq(path))
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        let Some(draft) = found else {
            return Ok(None);
        };
        let deleted = web_form_drafts::Entity::delete_many()
            .filter(web_form_drafts::Column::SessionId.eq(session_id))
            .filter(web_form_drafts::Column::SavedAt.eq(draft.saved_at))
            .exec(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        // Two tabs opening the page at once: only the one that deleted it shows it.
        Ok((deleted.rows_affected == 1).then_some(draft.fields))
    }
}
