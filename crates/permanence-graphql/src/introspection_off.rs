//! Refuses introspection, when it is off, with an error that says so. Turned off, the schema
//! would otherwise answer `{"__schema": null}`: a client cannot tell a refusal from an
//! empty schema.

use crate::document_walk::each_field;
use crate::error::ErrorCode;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerResult, Variables};
use std::sync::Arc;

#[derive(Clone, Copy, Debug)]
pub struct IntrospectionOff;

impl ExtensionFactory for IntrospectionOff {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

fn asks_about_schema(document: &ExecutableDocument) -> bool {
    let mut found = false;
    each_field(document, &mut |field| {
        found |= matches!(field.name.node.as_str(), "__schema" | "__type");
    });
    found
}

#[async_trait::async_trait]
impl Extension for IntrospectionOff {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if asks_about_schema(&document) {
            return Err(crate::error::request_refused(
                ErrorCode::BadRequest,
                "introspection is turned off on this server: the API is described by its \
                 published schema (schema.graphql)"
                    .to_owned(),
                None,
            ));
        }
        Ok(document)
    }
}
