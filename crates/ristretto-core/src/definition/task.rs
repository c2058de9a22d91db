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
    parse_located(text, file).map(|(input, _)| input)
}

/// [`parse_task_definition`], then the rules AWS applies
/// ([`crate::validate::task_definition`] and the 64 KiB size limit), so a
/// definition AWS would refuse stops before any call.
///
/// # Errors
/// As [`parse_task_definition`], and every broken rule with its line and JSON
/// path.
pub fn load_task_definition(
    text: &str,
    file: &Path,
) -> Result<RegisterTaskDefinitionInput, LoadError> {
    match check_task_definition(text, file)? {
        (_, Some(broken)) => Err(broken),
        (input, None) => Ok(input),
    }
}

/// [`parse_task_definition`], and separately the rules AWS applies that the
/// loaded value breaks, as one [`LoadError::Invalid`] (for `render` and
/// `diff`, which show a definition AWS would refuse, with warnings).
///
/// # Errors
/// As [`parse_task_definition`].
pub fn check_task_definition(
    text: &str,
    file: &Path,
) -> Result<(RegisterTaskDefinitionInput, Option<LoadError>), LoadError> {
    let (input, root) = parse_located(text, file)?;
    let mut problems = crate::validate::task_definition(&input, &root);
    if let Ok(json) = super::api_json(&input) {
        let size = serde_json::to_vec(&json).map_or(0, |b| b.len());
        problems.extend(crate::validate::task_definition_size(size, &root));
    }
    let broken = super::fail_on(text, file, "task definition", problems).err();
    Ok((input, broken))
}

/// The task definition and the path of its root in the file.
fn parse_located(
    text: &str,
    file: &Path,
) -> Result<(RegisterTaskDefinitionInput, JsonPath), LoadError> {
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
        root: root.clone(),
        problems: Vec::new(),
    };
    let input = read_document(text, file, "task definition", value, ctx, |reader| {
        RegisterTaskDefinitionInput::deserialize(reader)
    })?;
    Ok((input, root))
}
