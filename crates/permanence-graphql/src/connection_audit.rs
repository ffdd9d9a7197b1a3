//! The audit of answers sent over a WebSocket: each event of a subscription (and each answer
//! to a query sent over the socket) is released only once the reads behind it are in the
//! audit log, as an HTTP answer is.
//!
//! The server gives each connection a [`ConnectionAudit`] in its data: the connection's trail
//! (where resolvers note their reads, as for HTTP) and a way to write it. [`AuditEachAnswer`]
//! wraps every answer stream of the schema and, before each answer leaves, writes what the
//! trail holds. Writing holds the connection's lock: an answer whose reads another answer
//! took into its own row waits until that row is written, so none leaves before its reads.

use crate::guard::{AuditTrail, AuditedRead};
use async_graphql::Response;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextSubscribe};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use std::sync::Arc;

/// The audit log could not take a connection's reads (the writer has logged why).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadsNotWritten;

/// Writes a connection's reads as one audit row, returning once it is durable.
pub trait ReadsWriter: Send + Sync + 'static {
    fn write(&self, reads: Vec<AuditedRead>) -> BoxFuture<'static, Result<(), ReadsNotWritten>>;
}

/// A WebSocket connection's reads and where they go.
pub struct ConnectionAudit {
    trail: Arc<AuditTrail>,
    writer: Box<dyn ReadsWriter>,
    writing: tokio::sync::Mutex<()>,
}

impl ConnectionAudit {
    pub fn new(trail: Arc<AuditTrail>, writer: Box<dyn ReadsWriter>) -> Self {
        Self {
            trail,
            writer,
            writing: tokio::sync::Mutex::new(()),
        }
    }

    /// The answer, once the reads behind it are written; an error in its place otherwise.
    async fn release(&self, answer: Response) -> Response {
        let _writing = self.writing.lock().await;
        let reads = self.trail.take();
        if reads.is_empty() {
            return answer;
        }
        match self.writer.write(reads).await {
            Ok(()) => answer,
            Err(ReadsNotWritten) => Response::from_errors(vec![crate::error::request_refused(
                crate::ErrorCode::Internal,
                "internal error".to_owned(),
                None,
            )]),
        }
    }
}

/// The extension that holds each answer of a stream until its reads are written.
#[derive(Clone, Copy, Debug)]
pub struct AuditEachAnswer;

impl ExtensionFactory for AuditEachAnswer {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

impl Extension for AuditEachAnswer {
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let audit = ctx.data_opt::<Arc<ConnectionAudit>>().cloned();
        let answers = next.run(ctx, stream);
        match audit {
            Some(audit) => answers
                .then(move |answer| {
                    let audit = Arc::clone(&audit);
                    async move { audit.release(answer).await }
                })
                .boxed(),
            // The server gives every connection its audit; a schema run in process without
            // one (the tests') has no log to write to.
            None => answers,
        }
    }
}
