//! What the measures read of each case (`CaseFacts`), kept beside the case for reports.
//!
//! A report reads every case of an authority; these rows let it read a few hundred bytes a
//! case, with the child's few facts joined in, instead of decoding each case's whole state
//! and fetching its child. They are written with the case row, in the same transaction (by
//! a command and by the import), so a row's version is its case's. Rows of another
//! [`FACTS_FORMAT`] are never read: [`Store::fill_report_facts`] (run by `migrate`) works
//! them out again from the cases' states, as it does for cases written before the table.

use crate::entities::{case_report_facts, children};
use crate::rows::IN_LIST_CHUNK;
use crate::{Store, StoreError};
use permanence_domain::codes::Sex;
use permanence_domain::measures::{CaseFacts, ChildFacts, FACTS_FORMAT};
use permanence_domain::{CaseId, CaseState};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Order, Query, SelectStatement};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect};
use std::collections::HashMap;
use uuid::Uuid;

/// One case as reports read it: its version, what the measures read of it, and its child.
#[derive(Clone, Debug)]
pub struct ReportFacts {
    pub version: i64,
    pub facts: CaseFacts,
    pub child: ChildFacts,
}

/// How many rows one read of an authority's facts asks for: small rows, so a page this size
/// is a few megabytes, and no single query holds a national table.
const PAGE: u64 = 10_000;

/// How many rows one write sends (six values each, well inside either database's limit).
const WRITE_BATCH: usize = 1_000;

/// The row for a case at `version`.
pub(crate) fn facts_row(
    state: &CaseState,
    version: i64,
) -> Result<case_report_facts::ActiveModel, StoreError> {
    let facts = postcard::to_allocvec(&CaseFacts::of(state))
        .map_err(|e| StoreError::Corrupt(format!("report facts: {e}")))?;
    Ok(case_report_facts::ActiveModel {
        case_id: Set(state.id.0),
        local_authority: Set(state.local_authority.clone()),
        child_id: Set(state.child_id.0),
        version: Set(version),
        format: Set(FACTS_FORMAT),
        facts: Set(facts),
    })
}

/// Writes the rows, each replacing the case's row if it has one.
pub(crate) async fn write_facts<C: ConnectionTrait>(
    db: &C,
    rows: Vec<case_report_facts::ActiveModel>,
) -> Result<(), sea_orm::DbErr> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<_> = rows.by_ref().take(WRITE_BATCH).collect();
        case_report_facts::Entity::insert_many(batch)
            .on_conflict(
                OnConflict::column(case_report_facts::Column::CaseId)
                    .update_columns([
                        case_report_facts::Column::LocalAuthority,
                        case_report_facts::Column::ChildId,
                        case_report_facts::Column::Version,
                        case_report_facts::Column::Format,
                        case_report_facts::Column::Facts,
                    ])
                    // A row is never replaced by one of an older version of its case: a
                    // fill that read a case just before a command changed it writes nothing.
                    .action_and_where(
                        Expr::col((
                            case_report_facts::Entity,
                            case_report_facts::Column::Version,
                        ))
                        .lte(Expr::cust("excluded.version")),
                    )
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Every case of an authority as reports read it, in case id order. Cases whose row is
    /// missing or of another format are left out: the caller works theirs out from the state.
    pub async fn report_facts(
        &self,
        local_authority: &str,
    ) -> Result<Vec<ReportFacts>, StoreError> {
        let mut out = Vec::new();
        let mut after: Option<Uuid> = None;
        loop {
            let mut query = facts_with_children();
            query.and_where(
                Expr::col((
                    case_report_facts::Entity,
                    case_report_facts::Column::LocalAuthority,
                ))
                .eq(local_authority),
            );
            if let Some(after) = after {
                query.and_where(
                    Expr::col((case_report_facts::Entity, case_report_facts::Column::CaseId))
                        .gt(after),
                );
            }
            query.limit(PAGE);
            let (page, last) = self.read_facts(&query).await?;
            let full_page = page.len() as u64 == PAGE;
            out.extend(page);
            match last {
                Some(last) if full_page => after = Some(last),
                _ => break,
            }
        }
        Ok(out)
    }

    /// The cases with these ids as reports read them (see [`Store::report_facts`]).
    pub async fn report_facts_by_ids(
        &self,
        ids: &[CaseId],
    ) -> Result<Vec<ReportFacts>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IN_LIST_CHUNK) {
            let mut query = facts_with_children();
            query.and_where(
                Expr::col((case_report_facts::Entity, case_report_facts::Column::CaseId))
                    .is_in(chunk.iter().map(|id| id.0)),
            );
            out.extend(self.read_facts(&query).await?.0);
        }
        Ok(out)
    }

    async fn read_facts(
        &self,
        query: &SelectStatement,
    ) -> Result<(Vec<ReportFacts>, Option<Uuid>), StoreError> {
        let rows = self
            .db
            .query_all(query)
            .await
            .map_err(StoreError::from_db)?;
        let mut last = None;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let get = |e: sea_orm::DbErr| StoreError::Corrupt(format!("report facts: {e}"));
            let case_id: Uuid = row.try_get("", "case_id").map_err(get)?;
            last = Some(case_id);
            let format: i32 = row.try_get("", "format").map_err(get)?;
            if format != FACTS_FORMAT {
                continue;
            }
            let bytes: Vec<u8> = row.try_get("", "facts").map_err(get)?;
            let facts: CaseFacts = postcard::from_bytes(&bytes)
                .map_err(|e| StoreError::Corrupt(format!("report facts: {e}")))?;
            let sex: String = row.try_get("", "sex").map_err(get)?;
            let reference: String = row.try_get("", "reference").map_err(get)?;
            out.push(ReportFacts {
                version: row.try_get("", "version").map_err(get)?,
                facts,
                child: ChildFacts {
                    birth_date: row.try_get("", "birth_date").map_err(get)?,
                    sex: Sex::parse(&sex)
                        .ok_or_else(|| StoreError::Corrupt("unknown sex code".into()))?,
                    ethnicity: row.try_get("", "ethnicity").map_err(get)?,
                    local_authority: row.try_get("", "child_local_authority").map_err(get)?,
                    reference: reference.into(),
                },
            });
        }
        Ok((out, last))
    }

    /// Works out the report facts of every case without a row at its version in this
    /// format: the cases written before the table, or last by a server of another format.
    /// Safe to run from several processes at once: each row written is the one its case's
    /// state gives at that version.
    pub async fn fill_report_facts(&self) -> Result<u64, StoreError> {
        let versions: Vec<(Uuid, i64)> = crate::entities::cases::Entity::find()
            .select_only()
            .column(crate::entities::cases::Column::Id)
            .column(crate::entities::cases::Column::Version)
            .order_by_asc(crate::entities::cases::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        let kept: HashMap<Uuid, (i64, i32)> = case_report_facts::Entity::find()
            .select_only()
            .column(case_report_facts::Column::CaseId)
            .column(case_report_facts::Column::Version)
            .column(case_report_facts::Column::Format)
            .into_tuple::<(Uuid, i64, i32)>()
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .into_iter()
            .map(|(id, version, format)| (id, (version, format)))
            .collect();
        let missing: Vec<CaseId> = versions
            .into_iter()
            .filter(|(id, version)| kept.get(id) != Some(&(*version, FACTS_FORMAT)))
            .map(|(id, _)| CaseId(id))
            .collect();
        let mut filled = 0;
        for chunk in missing.chunks(WRITE_BATCH) {
            let cases = self.cases_by_ids(chunk).await?;
            let rows = cases
                .values()
                .map(|case| facts_row(&case.state, case.version))
                .collect::<Result<Vec<_>, _>>()?;
            filled += rows.len() as u64;
            write_facts(&self.db, rows)
                .await
                .map_err(StoreError::from_db)?;
        }
        Ok(filled)
    }
}

/// `SELECT` the facts rows with their children's facts, in case id order.
fn facts_with_children() -> SelectStatement {
    let facts = |c: case_report_facts::Column| (case_report_facts::Entity, c);
    let child = |c: children::Column| (children::Entity, c);
    let mut query = Query::select();
    query
        .columns([
            facts(case_report_facts::Column::CaseId),
            facts(case_report_facts::Column::Version),
            facts(case_report_facts::Column::Format),
            facts(case_report_facts::Column::Facts),
        ])
        .columns([
            child(children::Column::BirthDate),
            child(children::Column::Sex),
            child(children::Column::Ethnicity),
            child(children::Column::Reference),
        ])
        .expr_as(
            Expr::col(child(children::Column::LocalAuthority)),
            "child_local_authority",
        )
        .from(case_report_facts::Entity)
        .inner_join(
            children::Entity,
            Expr::col(child(children::Column::Id))
                .equals(facts(case_report_facts::Column::ChildId)),
        )
        .order_by(facts(case_report_facts::Column::CaseId), Order::Asc);
    query
}
