//! Task and service definitions: JSON documents of the ECS API, loaded into
//! the SDK's own input types and printed back as the API's JSON.
//!
//! The SDK types are the model: no mirror structs of ECS shapes are written
//! here, so every field AWS adds arrives with the next SDK release.

mod overrides;
mod project;
pub(crate) mod reader;
mod service;
mod task;
mod wire;

pub use overrides::parse_task_override;
pub use project::update_service_input;
pub use service::{check_service_definition, load_service_definition, parse_service_definition};
pub use task::{check_task_definition, load_task_definition, parse_task_definition};
pub use wire::{WireError, api_json, to_pretty_json};

use std::path::Path;

use aws_smithy_schema::Schema;
use serde_json::Value;

use crate::error::LoadError;
use crate::locate::{self, Position};
use reader::{ReadContext, ValueReader};

/// Parses JSON text, reporting the line and column of a syntax error; a key
/// that appears twice in one object is an error naming both places (a JSON
/// parser keeps the last silently, so the first would be lost unseen).
pub(crate) fn parse_json(text: &str, file: &Path) -> Result<Value, LoadError> {
    let value = parse_json_syntax(text, file)?;
    let duplicates = duplicate_keys(text);
    if duplicates.is_empty() {
        return Ok(value);
    }
    Err(LoadError::Invalid {
        file: file.to_owned(),
        what: "JSON document",
        problems: duplicates,
    })
}

/// Every key that appears a second time in the same object, located at its
/// second place, its message naming the first.
fn duplicate_keys(text: &str) -> Vec<crate::error::Problem> {
    use jsonc_parser::ast::Value as Node;
    fn walk(
        text: &str,
        node: &Node<'_>,
        path: &crate::path::JsonPath,
        out: &mut Vec<crate::error::Problem>,
    ) {
        match node {
            Node::Object(object) => {
                for (i, prop) in object.properties.iter().enumerate() {
                    let name = prop.name.as_str();
                    if let Some(first) = object.properties[..i]
                        .iter()
                        .find(|p| p.name.as_str() == name)
                    {
                        let at = Position::of_offset(text, first.range.start);
                        out.push(crate::error::Problem {
                            path: path.key(name),
                            position: Some(Position::of_offset(text, prop.range.start)),
                            kind: crate::error::ProblemKind::Invalid {
                                message: format!(
                                    "duplicate key `{name}`: it is also at line {}, column {}; only one can be used",
                                    at.line, at.column
                                ),
                            },
                        });
                    }
                    walk(text, &prop.value, &path.key(name), out);
                }
            }
            Node::Array(array) => {
                for (i, element) in array.elements.iter().enumerate() {
                    walk(text, element, &path.index(i), out);
                }
            }
            _ => {}
        }
    }
    let Ok(parsed) = jsonc_parser::parse_to_ast(text, &Default::default(), &Default::default())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(root) = &parsed.value {
        walk(text, root, &crate::path::JsonPath::root(), &mut out);
    }
    out
}

/// Locates `problems` in `text` and fails when there is any.
pub(crate) fn fail_on(
    text: &str,
    file: &Path,
    what: &'static str,
    mut problems: Vec<crate::error::Problem>,
) -> Result<(), LoadError> {
    if problems.is_empty() {
        return Ok(());
    }
    for problem in &mut problems {
        if problem.position.is_none() {
            problem.position = locate::in_json(text, &problem.path);
        }
    }
    problems.sort_by_key(|p| p.position.map(|p| (p.line, p.column)));
    Err(LoadError::Invalid {
        file: file.to_owned(),
        what,
        problems,
    })
}

fn parse_json_syntax(text: &str, file: &Path) -> Result<Value, LoadError> {
    serde_json::from_str(text).map_err(|e| LoadError::Syntax {
        file: file.to_owned(),
        position: (e.line() > 0).then(|| Position {
            line: e.line(),
            column: e.column(),
        }),
        format: "JSON",
        message: strip_position(&e.to_string()),
    })
}

/// serde_json appends " at line L column C"; the position is shown separately.
fn strip_position(message: &str) -> String {
    message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned()
}

/// The member names of `describe` that `input` does not have: the read-only
/// fields that describe output carries and a definition file may keep.
pub(crate) fn read_only_members(
    describe: &'static Schema<'static>,
    input: &Schema<'_>,
) -> Vec<&'static str> {
    describe
        .members()
        .iter()
        .filter_map(|m| m.member_name())
        .filter(|name| reader::find_member(input, name).is_none())
        .collect()
}

/// Runs a generated `deserialize` over `value` with `ctx`, then locates every
/// problem in `text` and fails when there is any.
fn read_document<T>(
    text: &str,
    file: &Path,
    what: &'static str,
    value: &Value,
    mut ctx: ReadContext,
    deserialize: impl FnOnce(
        &mut ValueReader<'_, '_>,
    ) -> Result<T, aws_smithy_schema::serde::SerdeError>,
) -> Result<T, LoadError> {
    let result = deserialize(&mut ValueReader::new(value, &mut ctx));
    let mut problems = ctx.problems;
    if let Err(e) = &result
        && problems.is_empty()
    {
        problems.push(crate::error::Problem {
            path: crate::path::JsonPath::root(),
            position: None,
            kind: crate::error::ProblemKind::Invalid {
                message: e.to_string(),
            },
        });
    }
    if problems.is_empty()
        && let Ok(value) = result
    {
        return Ok(value);
    }
    for problem in &mut problems {
        problem.position = locate::in_json(text, &problem.path);
    }
    problems.sort_by_key(|p| p.position.map(|p| (p.line, p.column)));
    Err(LoadError::Invalid {
        file: file.to_owned(),
        what,
        problems,
    })
}
