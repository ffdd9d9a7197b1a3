//! A limit on how deeply a request nests, checked on the raw text before anything parses it.
//!
//! Parsing, validating and dropping a GraphQL value recurse once per level: a value nested a
//! few hundred levels deep (`case(id: [[[[…]]]])`, `{a: {a: …}}`), a few kilobytes from any
//! signed-in user, overflows a runtime thread's stack and aborts the whole process. The
//! depth limit on selection sets runs only after parsing, so it cannot stop this. Counting
//! brackets needs no recursion, so it is safe on any input.

use crate::error::ErrorCode;
use async_graphql::{ServerError, ServerResult, Value as ConstValue, Variables};

pub fn too_deep_message(max: usize) -> String {
    format!(
        "the request is nested too deep: at most {max} levels of braces, brackets and \
         parentheses are allowed"
    )
}

pub(crate) fn too_deep(max: usize) -> ServerError {
    crate::error::request_refused(ErrorCode::BadRequest, too_deep_message(max), None)
}

/// Whether GraphQL text nests `{`, `[` and `(` more than `max` deep, outside strings and
/// comments.
pub fn query_too_deep(query: &str, max: usize) -> bool {
    let bytes = query.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => i = skip_past(bytes, i, b'\n'),
            b'"' if bytes[i..].starts_with(b"\"\"\"") => i = skip_block_string(bytes, i + 3),
            b'"' => i = skip_string(bytes, i + 1, true),
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > max {
                    return true;
                }
                i += 1;
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    false
}

/// Whether a JSON document nests objects and arrays more than `max` deep.
pub fn json_too_deep(json: &[u8], max: usize) -> bool {
    let mut depth = 0usize;
    let mut i = 0;
    while i < json.len() {
        match json[i] {
            b'"' => i = skip_string(json, i + 1, false),
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return true;
                }
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    false
}

/// The index after the next `end` from `from` (or the end of the text).
fn skip_past(bytes: &[u8], from: usize, end: u8) -> usize {
    bytes[from..]
        .iter()
        .position(|b| *b == end)
        .map_or(bytes.len(), |p| from + p + 1)
}

/// The index after a string's closing quote; `from` is just inside the opening one. A
/// GraphQL string also ends at a line break (the parser refuses it there).
fn skip_string(bytes: &[u8], from: usize, ends_at_line: bool) -> usize {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' | b'\r' if ends_at_line => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn skip_block_string(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"\\\"\"\"") {
            i += 4;
        } else if bytes[i..].starts_with(b"\"\"\"") {
            return i + 3;
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// Whether parsed variables nest more than `max` deep (they came through a JSON parser with
/// its own, higher, limit). Walked with a stack of its own, not by recursion.
pub fn variables_too_deep(variables: &Variables, max: usize) -> bool {
    let mut stack: Vec<(&ConstValue, usize)> = variables.values().map(|v| (v, 1)).collect();
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &ConstValue>> = match value {
            ConstValue::List(items) => Box::new(items.iter()),
            ConstValue::Object(fields) => Box::new(fields.values()),
            _ => continue,
        };
        if depth > max {
            return true;
        }
        stack.extend(children.map(|child| (child, depth + 1)));
    }
    false
}

/// Refuses a query or variables nested more than `max` levels deep, before parsing.
pub(crate) fn check(query: &str, variables: &Variables, max: usize) -> ServerResult<()> {
    if query_too_deep(query, max) || variables_too_deep(variables, max) {
        return Err(too_deep(max));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_brackets_outside_strings_and_comments() {
        assert!(!query_too_deep("{ a(x: [[1]]) { b } }", 4));
        assert!(query_too_deep("{ a(x: [[[1]]]) { b } }", 4));
        assert!(!query_too_deep("{ a(x: \"[[[[[[\") }", 3));
        assert!(!query_too_deep("{ a(x: \"\"\"[[[[\\\"\"\"[[[\"\"\") }", 3));
        assert!(!query_too_deep("{ a # [[[[[[\n }", 1));
        assert!(!query_too_deep("{ a(x: \"\\\"[[[[\") }", 3));
    }

    #[test]
    fn counts_json_nesting_outside_strings() {
        assert!(!json_too_deep(br#"{"a": [[1]], "b": "[[[[[[["}"#, 3));
        assert!(json_too_deep(br#"{"a": [[[1]]]}"#, 3));
        assert!(!json_too_deep(br#"{"a": "\"[[[[[["}"#, 1));
    }

    #[test]
    fn counts_variables_without_recursion() {
        let mut value = ConstValue::Number(1.into());
        for _ in 0..10 {
            value = ConstValue::List(vec![value]);
        }
        let variables = Variables::from_value(ConstValue::Object(
            [(async_graphql::Name::new("v"), value)]
                .into_iter()
                .collect(),
        ));
        assert!(variables_too_deep(&variables, 9));
        assert!(!variables_too_deep(&variables, 10));
    }
}
