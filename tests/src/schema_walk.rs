//! The API's schema as data, read from its SDL, to build queries that select every field
//! reachable from a root field, and to tell which fields of an answer held data.
//!
//! A test that walks the whole schema keeps up with the API by itself: a field added later
//! is selected, and checked, without anyone remembering to add it to the test.

use anyhow::{Context, bail};
use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A field's type: the named type at its core, and how it is written in a query.
#[derive(Clone, Debug)]
pub struct TypeRef {
    pub named: String,
    pub written: String,
    pub non_null: bool,
    pub list: bool,
}

impl TypeRef {
    fn from_parsed(ty: &Type) -> Self {
        let mut core = ty;
        let mut list = false;
        while let BaseType::List(inner) = &core.base {
            list = true;
            core = inner;
        }
        let named = match &core.base {
            BaseType::Named(name) => name.to_string(),
            BaseType::List(_) => String::new(),
        };
        Self {
            named,
            written: ty.to_string(),
            non_null: !ty.nullable,
            list,
        }
    }
}

/// An argument, or a field of an input object.
#[derive(Clone, Debug)]
pub struct InputField {
    pub name: String,
    pub ty: TypeRef,
    pub has_default: bool,
}

impl InputField {
    /// Must be given: non-null with no default.
    pub fn required(&self) -> bool {
        self.ty.non_null && !self.has_default
    }
}

#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub args: Vec<InputField>,
    pub ty: TypeRef,
}

/// The object, input and enum types of a schema, and its roots.
#[derive(Debug, Default)]
pub struct ApiSchema {
    objects: BTreeMap<String, Vec<Field>>,
    inputs: BTreeMap<String, Vec<InputField>>,
    enums: BTreeMap<String, Vec<String>>,
    pub query: String,
    pub mutation: Option<String>,
    pub subscription: Option<String>,
}

impl ApiSchema {
    pub fn parse(sdl: &str) -> anyhow::Result<Self> {
        let document = parse_schema(sdl).context("parsing the SDL")?;
        let mut schema = ApiSchema {
            query: "Query".to_owned(),
            ..ApiSchema::default()
        };
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(s) => {
                    if let Some(q) = &s.node.query {
                        schema.query = q.node.to_string();
                    }
                    schema.mutation = s.node.mutation.as_ref().map(|m| m.node.to_string());
                    schema.subscription = s.node.subscription.as_ref().map(|m| m.node.to_string());
                }
                TypeSystemDefinition::Type(t) => {
                    let name = t.node.name.node.to_string();
                    match &t.node.kind {
                        TypeKind::Object(object) => {
                            let fields = object
                                .fields
                                .iter()
                                .map(|f| Field {
                                    name: f.node.name.node.to_string(),
                                    args: f.node.arguments.iter().map(|a| input(&a.node)).collect(),
                                    ty: TypeRef::from_parsed(&f.node.ty.node),
                                })
                                .collect();
                            schema.objects.insert(name, fields);
                        }
                        TypeKind::InputObject(object) => {
                            let fields = object.fields.iter().map(|f| input(&f.node)).collect();
                            schema.inputs.insert(name, fields);
                        }
                        TypeKind::Enum(e) => {
                            let values = e
                                .values
                                .iter()
                                .map(|v| v.node.value.node.to_string())
                                .collect();
                            schema.enums.insert(name, values);
                        }
                        TypeKind::Scalar => {}
                        TypeKind::Interface(_) | TypeKind::Union(_) => {
                            bail!("{name}: interfaces and unions are not walked yet")
                        }
                    }
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        Ok(schema)
    }

    pub fn fields(&self, object: &str) -> &[Field] {
        self.objects.get(object).map_or(&[], Vec::as_slice)
    }

    pub fn field(&self, object: &str, name: &str) -> Option<&Field> {
        self.fields(object).iter().find(|f| f.name == name)
    }

    pub fn input_fields(&self, input: &str) -> &[InputField] {
        self.inputs.get(input).map_or(&[], Vec::as_slice)
    }

    pub fn enum_values(&self, name: &str) -> &[String] {
        self.enums.get(name).map_or(&[], Vec::as_slice)
    }

    pub fn is_object(&self, name: &str) -> bool {
        self.objects.contains_key(name)
    }

    pub fn is_input(&self, name: &str) -> bool {
        self.inputs.contains_key(name)
    }

    /// The selection set of every field of `object` down to `depth` levels of objects, never
    /// entering a type already on the path (so `Case { child { cases } }` stops at `cases`:
    /// the children's cases are walked from `children`). Fields with required arguments
    /// are left out. Each `Type.field` selected is added to `asked`.
    pub fn selection(&self, object: &str, depth: usize, asked: &mut BTreeSet<String>) -> String {
        let mut path = vec![object.to_owned()];
        self.select(object, depth, &mut path, asked)
    }

    fn select(
        &self,
        object: &str,
        depth: usize,
        path: &mut Vec<String>,
        asked: &mut BTreeSet<String>,
    ) -> String {
        let mut parts = Vec::new();
        for field in self.fields(object) {
            if field.args.iter().any(InputField::required) {
                continue;
            }
            let named = &field.ty.named;
            if !self.is_object(named) {
                asked.insert(format!("{object}.{}", field.name));
                parts.push(field.name.clone());
                continue;
            }
            if depth == 0 || path.contains(named) {
                continue;
            }
            path.push(named.clone());
            let inner = self.select(named, depth - 1, path, asked);
            path.pop();
            if !inner.is_empty() {
                asked.insert(format!("{object}.{}", field.name));
                parts.push(format!("{} {inner}", field.name));
            }
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("{{ {} }}", parts.join(" "))
        }
    }

    /// Adds to `seen` each `Type.field` of an answer of type `object` that holds a value
    /// (not null, not an empty list).
    pub fn note_data(&self, object: &str, value: &Value, seen: &mut BTreeSet<String>) {
        match value {
            Value::Array(items) => {
                for item in items {
                    self.note_data(object, item, seen);
                }
            }
            Value::Object(map) => {
                for (key, inner) in map {
                    let Some(field) = self.field(object, key) else {
                        continue;
                    };
                    let empty = inner.is_null() || inner.as_array().is_some_and(Vec::is_empty);
                    if !empty {
                        seen.insert(format!("{object}.{key}"));
                    }
                    if self.is_object(&field.ty.named) {
                        self.note_data(&field.ty.named, inner, seen);
                    }
                }
            }
            _ => {}
        }
    }
}

fn input(value: &async_graphql::parser::types::InputValueDefinition) -> InputField {
    InputField {
        name: value.name.node.to_string(),
        ty: TypeRef::from_parsed(&value.ty.node),
        has_default: value.default_value.is_some(),
    }
}

/// `($a: T, ...)` and `(a: $a, ...)` for the arguments given in `variables`.
pub fn argument_lists(field: &Field, variables: &Value) -> (String, String) {
    let given: Vec<&InputField> = field
        .args
        .iter()
        .filter(|a| variables.get(&a.name).is_some())
        .collect();
    if given.is_empty() {
        return (String::new(), String::new());
    }
    let definitions: Vec<String> = given
        .iter()
        .map(|a| format!("${}: {}", a.name, a.ty.written))
        .collect();
    let uses: Vec<String> = given
        .iter()
        .map(|a| format!("{}: ${}", a.name, a.name))
        .collect();
    (
        format!("({})", definitions.join(", ")),
        format!("({})", uses.join(", ")),
    )
}
