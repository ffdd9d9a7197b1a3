//! Where the pages' reads of children's and cases' records are written: the same audit log
//! as the API's, through the server's appender, as one row per request naming every record
//! the page read. The page is withheld when the row cannot be written, as an API answer is.
//!
//! A handler notes its reads ([`record_reads`], [`record`]) as it makes them; the layer
//! around every page ([`write_page_reads`]) writes them once the handler has made its answer
//! and before that answer leaves, whether the page succeeded or failed after reading. The
//! reads are gathered in a task-local so that no handler has to carry the collector.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use permanence_auth::AuditRecord;
use permanence_engine::store::NewAuditEntry;
use std::sync::{Arc, Mutex};

/// The audit log could not take the rows (the appender has logged why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditUnavailable;

/// Appends audit rows, returning once they are durable.
pub trait AuditSink: Send + Sync + 'static {
    fn append(
        &self,
        entries: Vec<NewAuditEntry>,
    ) -> BoxFuture<'static, Result<(), AuditUnavailable>>;
}

tokio::task_local! {
    /// The reads of the page being answered on this task.
    static PAGE_READS: Arc<PageReads>;
}

/// The records one page request has read, and by whom.
#[derive(Default)]
struct PageReads {
    reads: Mutex<Vec<(String, AuditRecord)>>,
}

impl PageReads {
    fn note(&self, actor: &str, records: Vec<AuditRecord>) {
        let mut reads = self.reads.lock().unwrap_or_else(|p| p.into_inner());
        reads.extend(records.into_iter().map(|r| (actor.to_owned(), r)));
    }

    /// One row per reader (a page has one), each naming the records they read.
    fn take(&self, at: chrono::DateTime<chrono::Utc>, entry_point: &str) -> Vec<NewAuditEntry> {
        let mut reads = std::mem::take(&mut *self.reads.lock().unwrap_or_else(|p| p.into_inner()));
        reads.sort_by(|a, b| a.0.cmp(&b.0));
        let mut entries = Vec::new();
        while let Some((actor, _)) = reads.first() {
            let actor = actor.clone();
            let split = reads.partition_point(|(a, _)| *a == actor);
            let rest = reads.split_off(split);
            entries.extend(NewAuditEntry::request(
                at,
                &actor,
                entry_point,
                reads.into_iter().map(|(_, record)| record),
            ));
            reads = rest;
        }
        entries
    }
}

/// The layer around the pages: gathers a request's reads and writes them as one row before
/// its answer leaves; a page whose reads cannot be written is not sent.
pub(crate) async fn write_page_reads(
    State(state): State<crate::WebState>,
    request: Request,
    next: Next,
) -> Response {
    // The path, not the query string: a search typed into a filter stays out of the log.
    let entry_point = format!("{} {}", request.method(), request.uri().path());
    let reads = Arc::new(PageReads::default());
    let response = PAGE_READS
        .scope(Arc::clone(&reads), next.run(request))
        .await;
    let entries = reads.take(state.engine.now(), &entry_point);
    if entries.is_empty() {
        return response;
    }
    match state.audit.append(entries).await {
        Ok(()) => response,
        Err(AuditUnavailable) => {
            crate::error::PageError::Internal("the audit log could not be written".into())
                .into_response()
        }
    }
}

/// Notes a read of each case a page read, named by the page's path.
pub(crate) async fn record_reads(
    state: &crate::WebState,
    signed_in: &crate::session::SignedIn,
    action: permanence_auth::Action,
    case_ids: impl IntoIterator<Item = permanence_domain::CaseId>,
    page: &str,
) -> Result<(), crate::error::PageError> {
    let ids: Vec<String> = case_ids.into_iter().map(|id| id.to_string()).collect();
    record(
        state,
        signed_in,
        action,
        permanence_auth::record_kind::CASE,
        ids,
        page,
    )
    .await
}

/// A child's record read on a page (its path), for the audit log.
pub(crate) async fn record_child_read(
    state: &crate::WebState,
    signed_in: &crate::session::SignedIn,
    child: &permanence_engine::store::ChildRecord,
    page: &str,
) -> Result<(), crate::error::PageError> {
    record(
        state,
        signed_in,
        permanence_auth::Action::ReadChild,
        permanence_auth::record_kind::CHILD,
        [child.id.0.to_string()],
        page,
    )
    .await
}

/// Notes a read of each record (of the kind named) a page read. Outside the pages' layer
/// (no request being gathered) the reads are written at once, so none goes unwritten.
pub(crate) async fn record(
    state: &crate::WebState,
    signed_in: &crate::session::SignedIn,
    action: permanence_auth::Action,
    record_kind: &str,
    record_ids: impl IntoIterator<Item = String>,
    page: &str,
) -> Result<(), crate::error::PageError> {
    let records: Vec<AuditRecord> = record_ids
        .into_iter()
        .map(|record_id| AuditRecord {
            action: action.key().to_owned(),
            record_kind: record_kind.to_owned(),
            record_id,
            query: format!("page:{page}"),
        })
        .collect();
    if records.is_empty() {
        return Ok(());
    }
    let actor = &signed_in.principal.user_id;
    let mut pending = Some(records);
    let gathered = PAGE_READS
        .try_with(|reads| {
            if let Some(records) = pending.take() {
                reads.note(actor, records);
            }
        })
        .is_ok();
    let Some(records) = pending.filter(|_| !gathered) else {
        return Ok(());
    };
    let entry = NewAuditEntry::request(state.engine.now(), actor, &format!("page:{page}"), records);
    state
        .audit
        .append(entry.into_iter().collect())
        .await
        .map_err(|_| crate::error::PageError::Internal("the audit log could not be written".into()))
}
