//! Refuses introspection, when it is off, with an error that says so. Turned off, the schema
//! would otherwise answer `{"__schema": null}`: a client cannot tell a refusal from an
//! empty schema.

use crate::document_walk::each_field;
use crate::error::ErrorCode;
use async_graphql::ServerResult;
use async_graphql::parser::types::ExecutableDocument;

fn asks_about_schema(document: &ExecutableDocument) -> bool {
    let mut found = false;
    each_field(document, &mut |field| {
        found |= matches!(field.name.node.as_str(), "__schema" | "__type");
    });
    found
}

/// Refuses a document that asks about the schema.
pub(crate) fn check(document: &ExecutableDocument) -> ServerResult<()> {
    if asks_about_schema(document) {
        return Err(crate::error::request_refused(
            ErrorCode::BadRequest,
            "introspection is turned off on this server: the API is described by its \
             published schema (schema.graphql)"
                .to_owned(),
            None,
        ));
    }
    Ok(())
}
