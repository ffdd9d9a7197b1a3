//! What every request must pass before its query runs: not nested too deep, no NUL character
//! in any text, not too many aliases, and no introspection where it is off.
//!
//! Over HTTP the checks run before the schema sees the request ([`ApiSchema::execute`]), not
//! as schema extensions: async-graphql runs each extension around every field a query
//! resolves, so five of them cost five boxed futures and a registry look-up per field even
//! when, as here, they only look at the parsed query. Over a WebSocket the same checks run as
//! one extension ([`CheckEachRequest`]), since the socket's protocol hands each message to the
//! schema itself.
//!
//! Parsing a query is a good part of a small request's cost (about a tenth of the server's
//! time answering one case by id), and clients send the same few documents over and over.
//! So over HTTP a document that passed the checks is kept by its text ([`CheckedDocuments`]),
//! and the same text later is given the kept document instead of being parsed again. The
//! checks on the variables run on every request, as they must; the checks on the document
//! depend only on its text and on limits fixed when the server starts.

use crate::{alias_limit, introspection_off, nesting_limit, text_input};
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerResult, Variables};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Documents kept at most; at the limit all are forgotten and the set fills again. Clients
/// (the pages, integrations) send a few dozen distinct documents.
const MAX_DOCUMENTS: usize = 512;

/// A query longer than this is parsed every time: kept documents are for the everyday ones.
const MAX_KEPT_QUERY_BYTES: usize = 16 * 1024;

/// The limits a request is checked against.
#[derive(Clone, Copy, Debug)]
pub struct RequestChecks {
    pub max_nesting: usize,
    pub max_aliases: usize,
    /// Whether clients may ask the schema about itself.
    pub introspection: bool,
}

impl RequestChecks {
    /// Checks on the raw text, before anything parses it (a deep value would overflow the
    /// parser's stack).
    fn before_parsing(&self, query: &str, variables: &Variables) -> ServerResult<()> {
        nesting_limit::check(query, variables, self.max_nesting)?;
        text_input::check_variables(variables)
    }

    /// Checks on the parsed document.
    fn after_parsing(&self, document: &ExecutableDocument) -> ServerResult<()> {
        if !self.introspection {
            introspection_off::check(document)?;
        }
        alias_limit::check(document, self.max_aliases)?;
        text_input::check_document(document)
    }

    /// Checks a request, parsing its query unless `documents` holds it already checked; the
    /// schema then runs the parsed query as it is.
    pub fn check(&self, request: &mut Request, documents: &CheckedDocuments) -> ServerResult<()> {
        self.before_parsing(&request.query, &request.variables)?;
        if let Some(document) = documents.get(&request.query) {
            request.set_parsed_query(document);
            return Ok(());
        }
        let query = request.query.clone();
        let document = request.parsed_query()?;
        self.after_parsing(document)?;
        documents.keep(query, document);
        Ok(())
    }
}

/// Parsed documents that passed [`RequestChecks`], by their text; shared by a schema's
/// requests. Only documents that passed are kept, so a refused one is refused afresh.
#[derive(Debug, Default)]
pub struct CheckedDocuments {
    by_text: RwLock<HashMap<String, Arc<ExecutableDocument>>>,
}

impl CheckedDocuments {
    fn get(&self, query: &str) -> Option<ExecutableDocument> {
        let by_text = self.by_text.read().unwrap_or_else(|e| e.into_inner());
        by_text.get(query).map(|document| (**document).clone())
    }

    fn keep(&self, query: String, document: &ExecutableDocument) {
        if query.len() > MAX_KEPT_QUERY_BYTES {
            return;
        }
        let mut by_text = self.by_text.write().unwrap_or_else(|e| e.into_inner());
        if by_text.len() >= MAX_DOCUMENTS {
            by_text.clear();
        }
        by_text.insert(query, Arc::new(document.clone()));
    }

    /// How many documents are kept.
    pub fn len(&self) -> usize {
        self.by_text.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The checks as a schema extension, for requests the schema receives itself (the WebSocket).
#[derive(Clone, Copy, Debug)]
pub struct CheckEachRequest(pub RequestChecks);

impl ExtensionFactory for CheckEachRequest {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_trait::async_trait]
impl Extension for CheckEachRequest {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        self.0.before_parsing(query, variables)?;
        let document = next.run(ctx, query, variables).await?;
        self.0.after_parsing(&document)?;
        Ok(document)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECKS: RequestChecks = RequestChecks {
        max_nesting: 32,
        max_aliases: 2,
        introspection: false,
    };

    fn request(query: &str, variables: serde_json::Value) -> Request {
        Request::new(query).variables(Variables::from_json(variables))
    }

    #[test]
    fn a_checked_document_is_kept_and_given_to_the_same_text() {
        let documents = CheckedDocuments::default();
        let query = "query($id: UUID!) { case(id: $id) { id } }";
        let mut first = request(query, serde_json::json!({ "id": "a" }));
        assert!(CHECKS.check(&mut first, &documents).is_ok());
        assert_eq!(documents.len(), 1);
        let mut second = request(query, serde_json::json!({ "id": "b" }));
        assert!(CHECKS.check(&mut second, &documents).is_ok());
        assert_eq!(documents.len(), 1);
        // What the same text is given is the kept document, not a parse of its own: a kept
        // document planted under another text shows it.
        let planted =
            async_graphql::parser::parse_query("{ planted: today }").expect("a valid document");
        documents.keep("{ today }".to_owned(), &planted);
        let mut request = request("{ today }", serde_json::json!({}));
        assert!(CHECKS.check(&mut request, &documents).is_ok());
        let given = request.parsed_query().map(|d| format!("{d:?}"));
        assert!(
            given.is_ok_and(|d| d.contains("planted")),
            "the kept document is given"
        );
    }

    #[test]
    fn the_variables_are_checked_every_time_and_refused_documents_are_not_kept() {
        let documents = CheckedDocuments::default();
        let query = "query($r: String!) { today(reference: $r) }";
        let mut clean = request(query, serde_json::json!({ "r": "A1" }));
        assert!(CHECKS.check(&mut clean, &documents).is_ok());
        // The same text, kept, with a NUL in a variable: still refused.
        let mut nul = request(query, serde_json::json!({ "r": "A\u{0}1" }));
        assert!(CHECKS.check(&mut nul, &documents).is_err());

        let too_many_aliases = "{ a: today b: today c: today }";
        for _ in 0..2 {
            let mut refused = request(too_many_aliases, serde_json::json!({}));
            assert!(CHECKS.check(&mut refused, &documents).is_err());
        }
        assert_eq!(documents.len(), 1, "only the document that passed is kept");
    }
}
