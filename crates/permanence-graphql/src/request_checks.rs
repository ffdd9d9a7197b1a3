//! What every request must pass before its query runs: not nested too deep, no NUL character
//! in any text, not too many aliases, and no introspection where it is off.
//!
//! Over HTTP the checks run before the schema sees the request ([`ApiSchema::execute`]), not
//! as schema extensions: async-graphql runs each extension around every field a query
//! resolves, so five of them cost five boxed futures and a registry look-up per field even
//! when, as here, they only look at the parsed query. Over a WebSocket the same checks run as
//! one extension ([`CheckEachRequest`]), since the socket's protocol hands each message to the
//! schema itself.

use crate::{alias_limit, introspection_off, nesting_limit, text_input};
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerResult, Variables};
use std::sync::Arc;

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

    /// Checks a request, parsing its query; the schema then runs the parsed query as it is.
    pub fn check(&self, request: &mut Request) -> ServerResult<()> {
        self.before_parsing(&request.query, &request.variables)?;
        let document = request.parsed_query()?;
        self.after_parsing(document)
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
