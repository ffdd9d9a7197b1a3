//! Every field a parsed document selects, in its operations and fragments. Recursion here is
//! bounded: the nesting limit refused anything deep before the document was parsed.

use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};

/// Calls `visit` with every field selected anywhere in the document.
pub(crate) fn each_field<'a>(document: &'a ExecutableDocument, visit: &mut impl FnMut(&'a Field)) {
    for (_, operation) in document.operations.iter() {
        each_field_in(&operation.node.selection_set.node, visit);
    }
    for fragment in document.fragments.values() {
        each_field_in(&fragment.node.selection_set.node, visit);
    }
}

fn each_field_in<'a>(set: &'a SelectionSet, visit: &mut impl FnMut(&'a Field)) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                visit(&field.node);
                each_field_in(&field.node.selection_set.node, visit);
            }
            Selection::InlineFragment(fragment) => {
                each_field_in(&fragment.node.selection_set.node, visit);
            }
            Selection::FragmentSpread(_) => {}
        }
    }
}
