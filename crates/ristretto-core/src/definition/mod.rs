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
pub use service::parse_service_definition;
pub use task::parse_task_definition;
pub use wire::{WireError, api_json, to_pretty_json};

use std::path::Path;

use aws_smithy_schema::Schema;
use serde_json::Value;

use crate::error::LoadError;
use crate::locate::{self, Position};
use reader::{ReadContext, ValueReader};

/// Parses JSON text, reporting the line and column of a syntax error.
pub(crate) fn parse_json(text: &str, file: &Path) -> Result<Value, LoadError> {
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
fn read_only_members(describe: &'static Schema<'static>, input: &Schema<'_>) -> Vec<&'static str> {
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
