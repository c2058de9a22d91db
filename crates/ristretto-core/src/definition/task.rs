//! Task definitions: the input of `RegisterTaskDefinition`, as ecspresso reads it.

use std::path::Path;

use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::types::TaskDefinition;
use serde_json::Value;

use super::reader::ReadContext;
use super::{parse_json, read_document, read_only_members};
use crate::error::LoadError;
use crate::path::JsonPath;

/// Loads a task definition from JSON text (already rendered).
///
/// Accepted as ecspresso accepts them: the `RegisterTaskDefinition` input in
/// camelCase or PascalCase, or the whole output of
/// `aws ecs describe-task-definition` (a `taskDefinition` wrapper whose
/// read-only fields such as `taskDefinitionArn` and `revision` are ignored, as
/// are the `tags` beside it). `null` values and empty arrays are dropped.
///
/// # Errors
/// Invalid JSON, an unknown field or a wrong type, each with file, line and
/// JSON path.
pub fn parse_task_definition(
    text: &str,
    file: &Path,
) -> Result<RegisterTaskDefinitionInput, LoadError> {
    let document = parse_json(text, file)?;
    let (root, value) = match &document {
        Value::Object(object) => object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("taskDefinition"))
            .map_or((JsonPath::root(), &document), |(key, inner)| {
                (JsonPath::root().key(key), inner)
            }),
        _ => (JsonPath::root(), &document),
    };
    let ctx = ReadContext {
        drop_empty_arrays: true,
        ignored_root_members: read_only_members(
            TaskDefinition::SCHEMA,
            RegisterTaskDefinitionInput::SCHEMA,
        ),
        root,
        problems: Vec::new(),
    };
    read_document(text, file, "task definition", value, ctx, |reader| {
        RegisterTaskDefinitionInput::deserialize(reader)
    })
}
