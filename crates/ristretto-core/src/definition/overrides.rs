//! `run --overrides-file`: a `TaskOverride` (`{"containerOverrides": [...],
//! "cpu": ...}`), or, for the common case of one container, a single
//! `ContainerOverride` (`{"name": "app", "command": [...]}`) or a list of
//! them. Unknown fields are errors with file, line and JSON path, as in
//! definitions.

use std::path::Path;

use aws_sdk_ecs::types::{ContainerOverride, TaskOverride};
use serde_json::Value;

use super::reader::ReadContext;
use super::{parse_json, read_document};
use crate::error::LoadError;
use crate::path::JsonPath;

/// The form of an overrides document, decided by its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Task,
    Container,
    Containers,
}

fn form_of(document: &Value) -> Form {
    match document {
        Value::Array(_) => Form::Containers,
        Value::Object(object) if object.keys().any(|k| k.eq_ignore_ascii_case("name")) => {
            Form::Container
        }
        _ => Form::Task,
    }
}

/// Loads an overrides document (already rendered) as a `TaskOverride`.
///
/// # Errors
/// Invalid JSON, an unknown field or a wrong type.
pub fn parse_task_override(text: &str, file: &Path) -> Result<TaskOverride, LoadError> {
    let document = parse_json(text, file)?;
    let ctx = || ReadContext {
        drop_empty_arrays: false,
        ignored_root_members: Vec::new(),
        root: JsonPath::root(),
        problems: Vec::new(),
    };
    match form_of(&document) {
        Form::Task => read_document(text, file, "task override", &document, ctx(), |reader| {
            TaskOverride::deserialize(reader)
        }),
        Form::Container => {
            let container = read_document(
                text,
                file,
                "container override",
                &document,
                ctx(),
                |reader| ContainerOverride::deserialize(reader),
            )?;
            Ok(TaskOverride::builder()
                .container_overrides(container)
                .build())
        }
        Form::Containers => {
            let wrapped = serde_json::json!({ "containerOverrides": document });
            let mut ctx = ctx();
            ctx.root = JsonPath::root();
            read_document(text, file, "container overrides", &wrapped, ctx, |reader| {
                TaskOverride::deserialize(reader)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_override_loads() {
        let o = parse_task_override(
            r#"{"containerOverrides": [{"name": "app", "command": ["migrate"]}], "cpu": "512"}"#,
            Path::new("o.json"),
        )
        .expect("loads");
        assert_eq!(o.container_overrides()[0].command(), ["migrate"]);
        assert_eq!(o.cpu(), Some("512"));
    }

    #[test]
    fn a_single_container_override_loads() {
        let o = parse_task_override(
            r#"{"name": "app", "environment": [{"name": "A", "value": "1"}]}"#,
            Path::new("o.json"),
        )
        .expect("loads");
        assert_eq!(o.container_overrides()[0].name(), Some("app"));
    }

    #[test]
    fn a_list_of_container_overrides_loads() {
        let o = parse_task_override(r#"[{"name": "a"}, {"name": "b"}]"#, Path::new("o.json"))
            .expect("loads");
        assert_eq!(o.container_overrides().len(), 2);
    }

    #[test]
    fn a_misspelt_field_is_an_error_with_its_path() {
        let err = parse_task_override(
            "{\"name\": \"app\",\n \"comand\": [\"x\"]}",
            Path::new("o.json"),
        )
        .expect_err("unknown field");
        let text = format!("{err} {:?}", err.details());
        assert!(text.contains("comand"), "{text}");
    }
}
