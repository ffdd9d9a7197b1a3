//! Where the pages' reads of children's and cases' records are written: the same audit log
//! as the API's, through the server's appender. The page is withheld when the rows cannot be
//! written, as an API answer is.

use futures_util::future::BoxFuture;
use permanence_engine::store::NewAuditEntry;

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

/// Writes one audit row per case a page read, named by the page's path, and returns once
/// they are durable; the page is withheld otherwise.
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

/// Writes one audit row per record (of the kind named) a page read.
pub(crate) async fn record(
    state: &crate::WebState,
    signed_in: &crate::session::SignedIn,
    action: permanence_auth::Action,
    record_kind: &str,
    record_ids: impl IntoIterator<Item = String>,
    page: &str,
) -> Result<(), crate::error::PageError> {
    let at = state.engine.now();
    let entries: Vec<NewAuditEntry> = record_ids
        .into_iter()
        .map(|record_id| NewAuditEntry {
            at,
            actor: signed_in.principal.user_id.clone(),
            action: action.key().to_owned(),
            record_kind: record_kind.to_owned(),
            record_id,
            query: format!("page:{page}"),
        })
        .collect();
    if entries.is_empty() {
        return Ok(());
    }
    state
        .audit
        .append(entries)
        .await
        .map_err(|_| crate::error::PageError::Internal("the audit log could not be written".into()))
}
