//! One check of every text a request carries, before any resolver sees it: a NUL character
//! is refused. PostgreSQL's text cannot hold one (the insert fails, and the client saw
//! INTERNAL) while SQLite stores it; refused here, both databases answer alike, for every
//! free-text and code input, in variables or written in the query.

use crate::document_walk::each_field;
use crate::error::ErrorCode;
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerError, ServerResult, Value as ConstValue, Variables};
use std::convert::Infallible;

fn refused(field: &str) -> ServerError {
    crate::error::request_refused(
        ErrorCode::Validation,
        format!("{field}: must not contain a NUL character (U+0000)"),
        Some(field),
    )
}

/// The input field (the innermost object key, else the argument or variable) whose text
/// holds a NUL.
fn nul_in<'a>(values: impl Iterator<Item = (&'a ConstValue, &'a str)>) -> Option<String> {
    let mut stack: Vec<(&ConstValue, &str)> = values.collect();
    while let Some((value, field)) = stack.pop() {
        match value {
            ConstValue::String(text) if text.contains('\0') => return Some(field.to_owned()),
            ConstValue::List(items) => stack.extend(items.iter().map(|item| (item, field))),
            ConstValue::Object(fields) => {
                stack.extend(fields.iter().map(|(key, item)| (item, key.as_str())));
            }
            _ => {}
        }
    }
    None
}

fn nul_in_variables(variables: &Variables) -> Option<String> {
    nul_in(variables.iter().map(|(name, value)| (value, name.as_str())))
}

/// The same for values written in the query text: field arguments and variable defaults.
fn nul_in_document(document: &ExecutableDocument) -> Option<String> {
    let mut written: Vec<(ConstValue, String)> = Vec::new();
    each_field(document, &mut |field| {
        for (name, value) in &field.arguments {
            // Variables inside were checked as variables.
            let value = value
                .node
                .clone()
                .into_const_with(|_| Ok::<_, Infallible>(ConstValue::Null));
            let Ok(value) = value;
            written.push((value, name.node.to_string()));
        }
    });
    for (_, operation) in document.operations.iter() {
        for definition in &operation.node.variable_definitions {
            if let Some(default) = &definition.node.default_value {
                written.push((default.node.clone(), definition.node.name.node.to_string()));
            }
        }
    }
    nul_in(written.iter().map(|(value, name)| (value, name.as_str())))
}

/// Refuses a NUL character in the request's variables (before the query is parsed).
pub(crate) fn check_variables(variables: &Variables) -> ServerResult<()> {
    match nul_in_variables(variables) {
        Some(field) => Err(refused(&field)),
        None => Ok(()),
    }
}

/// Refuses a NUL character written into the query's arguments or variables' defaults.
pub(crate) fn check_document(document: &ExecutableDocument) -> ServerResult<()> {
    match nul_in_document(document) {
        Some(field) => Err(refused(&field)),
        None => Ok(()),
    }
}
