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
