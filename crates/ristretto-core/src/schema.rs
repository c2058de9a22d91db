//! JSON Schemas of the files ristretto reads, for editors and CI checks
//! (`ristretto schema config|servicedef|taskdef|events`).
//!
//! They are generated from the code that reads those files, so they cannot
//! drift from it:
//!
//! - the config from the serde types `config::parse` reads it into (their
//!   `schemars` derives), with the key lists its unknown-key check uses;
//! - the definitions by driving the SDK's own generated `deserialize`
//!   functions — the ones the loader runs — over a [`Probe`] that records
//!   every member each structure asks for and how it reads it (string,
//!   number, list, map, nested structure, …). What the loader accepts on top
//!   of the API's shape is added the same way it is accepted: member names in
//!   any case (ecspresso's PascalCase files), `null` anywhere (dropped), `[]`
//!   for any task definition member (dropped), the read-only fields of
//!   `describe-*` output at the root (ignored), and the `taskDefinition`
//!   wrapper of `aws ecs describe-task-definition` output.
//!
//! The SDK's schema carries no enum values, lengths or required-ness: values
//! AWS refuses (an unknown `networkMode`, a missing `family`) are checked by
//! `validate` when a file is loaded, not here.
//!
//! Draft 7 is used: the draft editors' JSON and YAML language servers read
//! most completely.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::types::{Service, TaskDefinition};
use aws_smithy_schema::Schema;
use aws_smithy_schema::serde::{SerdeError, ShapeDeserializer};
use aws_smithy_types::{BigDecimal, BigInteger, Blob, DateTime, Document};
use serde_json::{Map, Value, json};

pub use crate::event::events_schema;

/// The JSON Schema dialect of every schema here.
pub const DRAFT: &str = "http://json-schema.org/draft-07/schema#";

/// One of the schemas `ristretto schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The config file (`ristretto.yml`).
    Config,
    /// A service definition file.
    ServiceDefinition,
    /// A task definition file.
    TaskDefinition,
    /// One line of `--output json` progress.
    Events,
}

impl Kind {
    /// Every kind, in the order they are listed.
    pub const ALL: [Self; 4] = [
        Self::Config,
        Self::ServiceDefinition,
        Self::TaskDefinition,
        Self::Events,
    ];

    /// The file name under `schemas/` in the repository.
    #[must_use]
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Config => "config.schema.json",
            Self::ServiceDefinition => "servicedef.schema.json",
            Self::TaskDefinition => "taskdef.schema.json",
            Self::Events => "events.schema.json",
        }
    }

    /// The schema itself.
    #[must_use]
    pub fn schema(self) -> Value {
        match self {
            Self::Config => crate::config::schema(),
            Self::ServiceDefinition => service_definition_schema(),
            Self::TaskDefinition => task_definition_schema(),
            Self::Events => events_schema(),
        }
    }

    /// The schema as the committed file holds it: keys sorted (whatever
    /// `serde_json` features a build unifies), two-space indent, a final newline.
    #[must_use]
    pub fn text(self) -> String {
        crate::definition::to_pretty_json(&self.schema())
    }
}

/// The task definition file: `RegisterTaskDefinition`'s input, or
/// `describe-task-definition` output (a `taskDefinition` wrapper).
#[must_use]
pub fn task_definition_schema() -> Value {
    let mut probe = Shapes::new(Absent::NullOrEmptyArray);
    let root = probe.definition(
        |reader| RegisterTaskDefinitionInput::deserialize(reader).map(drop),
        TaskDefinition::SCHEMA,
        RegisterTaskDefinitionInput::SCHEMA,
    );
    let reference = json!({"$ref": format!("#/definitions/{root}")});
    let wrapper = |key: &str| {
        json!({
            "type": "object",
            "description": "`aws ecs describe-task-definition` output: its `taskDefinition` is \
                            read, every other member (`tags`, …) is ignored",
            "required": [key],
            "properties": {key: reference.clone()},
        })
    };
    let mut schema = json!({
        "$schema": DRAFT,
        "title": "ristretto task definition",
        "description": "A task definition file (after templates are rendered): the input of \
                        RegisterTaskDefinition in camelCase or PascalCase, or the output of \
                        `aws ecs describe-task-definition`. Enum values, required members and \
                        limits are checked when the file is loaded.",
        "anyOf": [reference.clone(), wrapper("taskDefinition"), wrapper("TaskDefinition")],
    });
    schema["definitions"] = Value::Object(probe.into_definitions());
    schema
}

/// The service definition file: `CreateService`'s input, or a `Service` as
/// `describe-services` prints it.
#[must_use]
pub fn service_definition_schema() -> Value {
    let mut probe = Shapes::new(Absent::Null);
    let root = probe.definition(
        |reader| CreateServiceInput::deserialize(reader).map(drop),
        Service::SCHEMA,
        CreateServiceInput::SCHEMA,
    );
    let mut schema = json!({
        "$schema": DRAFT,
        "title": "ristretto service definition",
        "description": "A service definition file (after templates are rendered): the input of \
                        CreateService in camelCase or PascalCase, or a service as \
                        `aws ecs describe-services` prints it. `serviceName` is always the \
                        config's `service`. Enum values and limits are checked when the file is \
                        loaded.",
        "$ref": format!("#/definitions/{root}"),
    });
    schema["definitions"] = Value::Object(probe.into_definitions());
    schema
}

/// A regular expression matching `name` in any letter case (JSON Schema
/// patterns have no case-insensitive flag).
#[must_use]
pub fn any_case_pattern(name: &str) -> String {
    let mut pattern = String::from("^");
    for c in name.chars() {
        if c.is_ascii_alphabetic() {
            pattern.push('[');
            pattern.push(c.to_ascii_lowercase());
            pattern.push(c.to_ascii_uppercase());
            pattern.push(']');
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            pattern.push(c);
        } else {
            pattern.push('\\');
            pattern.push(c);
        }
    }
    pattern.push('$');
    pattern
}

/// What the loader drops as if the member were absent.
#[derive(Clone, Copy)]
enum Absent {
    /// `null` (service definitions).
    Null,
    /// `null` and `[]` (task definitions).
    NullOrEmptyArray,
}

/// The structures found so far, by shape name.
struct Shapes {
    definitions: BTreeMap<String, Value>,
    in_progress: BTreeSet<String>,
    absent: Absent,
}

impl Shapes {
    fn new(absent: Absent) -> Self {
        Self {
            definitions: BTreeMap::new(),
            in_progress: BTreeSet::new(),
            absent,
        }
    }

    /// Runs `deserialize` over a probe and returns the root structure's name,
    /// with the members of `describe` that `input` lacks accepted (and
    /// ignored) at the root, as the loader does.
    fn definition(
        &mut self,
        deserialize: impl FnOnce(&mut dyn ShapeDeserializer) -> Result<(), SerdeError>,
        describe: &'static Schema<'static>,
        input: &'static Schema<'static>,
    ) -> String {
        let mut probe = Probe {
            shapes: self,
            out: Value::Bool(true),
        };
        // A structure the probe cannot fill is still recorded as far as it read.
        let _ = deserialize(&mut probe);
        let root = input.shape_id().shape_name().to_owned();
        let ignored = crate::definition::read_only_members(describe, input);
        if let Some(Value::Object(def)) = self.definitions.get_mut(&root) {
            for name in ignored {
                let note = json!({
                    "description": "read-only field of the describe output; accepted and ignored"
                });
                if let Some(Value::Object(p)) = def.get_mut("properties") {
                    p.insert(name.to_owned(), note.clone());
                }
                if let Some(Value::Object(p)) = def.get_mut("patternProperties") {
                    p.insert(any_case_pattern(name), note);
                }
            }
        }
        root
    }

    fn into_definitions(self) -> Map<String, Value> {
        let mut out: Map<String, Value> = self.definitions.into_iter().collect();
        let absent = match self.absent {
            Absent::Null => json!({
                "description": "`null`: the same as leaving the member out",
                "type": "null",
            }),
            Absent::NullOrEmptyArray => json!({
                "description": "`null` or `[]`: the same as leaving the member out",
                "anyOf": [{"type": "null"}, {"type": "array", "maxItems": 0}],
            }),
        };
        out.insert("absent".to_owned(), absent);
        out
    }
}

/// A [`ShapeDeserializer`] that reads no document: each call records the
/// JSON Schema of what the generated code asked for in `out`.
struct Probe<'s> {
    shapes: &'s mut Shapes,
    out: Value,
}

impl Probe<'_> {
    fn child(&mut self) -> Probe<'_> {
        Probe {
            shapes: self.shapes,
            out: Value::Bool(true),
        }
    }

    fn integer(&mut self, min: i64, max: i64) {
        self.out = json!({"type": "integer", "minimum": min, "maximum": max});
    }
}

impl ShapeDeserializer for Probe<'_> {
    fn read_struct(
        &mut self,
        schema: &Schema<'_>,
        state: &mut dyn FnMut(&Schema<'_>, &mut dyn ShapeDeserializer) -> Result<(), SerdeError>,
    ) -> Result<(), SerdeError> {
        let name = schema.shape_id().shape_name().to_owned();
        self.out = json!({"$ref": format!("#/definitions/{name}")});
        // A shape that contains itself is described once.
        if !self.shapes.in_progress.insert(name.clone()) {
            return Ok(());
        }
        let mut properties = Map::new();
        let mut patterns = Map::new();
        for member in schema.members() {
            let Some(member_name) = member.member_name() else {
                continue;
            };
            let mut child = self.child();
            // A builder that refuses the probe's empty values still told its type.
            let _ = state(member, &mut child);
            let value = json!({"anyOf": [child.out, {"$ref": "#/definitions/absent"}]});
            patterns.insert(
                any_case_pattern(member_name),
                json!({"$ref": format!("#/definitions/{name}/properties/{member_name}")}),
            );
            properties.insert(member_name.to_owned(), value);
        }
        self.shapes.in_progress.remove(&name);
        let kind = if schema.is_union() {
            "a union: exactly one member"
        } else {
            "members match in any letter case"
        };
        self.shapes
            .definitions
            .entry(name.clone())
            .or_insert_with(|| {
                json!({
                    "type": "object",
                    "description": format!("{name} ({kind})"),
                    "properties": properties,
                    "patternProperties": patterns,
                    "additionalProperties": false,
                })
            });
        Ok(())
    }

    fn read_list(
        &mut self,
        _schema: &Schema<'_>,
        state: &mut dyn FnMut(&mut dyn ShapeDeserializer) -> Result<(), SerdeError>,
    ) -> Result<(), SerdeError> {
        let mut child = self.child();
        let _ = state(&mut child);
        self.out = json!({"type": "array", "items": child.out});
        Ok(())
    }

    fn read_map(
        &mut self,
        _schema: &Schema<'_>,
        state: &mut dyn FnMut(String, &mut dyn ShapeDeserializer) -> Result<(), SerdeError>,
    ) -> Result<(), SerdeError> {
        let mut child = self.child();
        let _ = state("key".to_owned(), &mut child);
        // Map keys (`dockerLabels`, log `options`) are the user's, in any case.
        self.out = json!({"type": "object", "additionalProperties": child.out});
        Ok(())
    }

    fn read_boolean(&mut self, _schema: &Schema<'_>) -> Result<bool, SerdeError> {
        self.out = json!({"type": "boolean"});
        Ok(false)
    }

    fn read_byte(&mut self, _schema: &Schema<'_>) -> Result<i8, SerdeError> {
        self.integer(i8::MIN.into(), i8::MAX.into());
        Ok(0)
    }

    fn read_short(&mut self, _schema: &Schema<'_>) -> Result<i16, SerdeError> {
        self.integer(i16::MIN.into(), i16::MAX.into());
        Ok(0)
    }

    fn read_integer(&mut self, _schema: &Schema<'_>) -> Result<i32, SerdeError> {
        self.integer(i32::MIN.into(), i32::MAX.into());
        Ok(0)
    }

    fn read_long(&mut self, _schema: &Schema<'_>) -> Result<i64, SerdeError> {
        self.out = json!({"type": "integer"});
        Ok(0)
    }

    fn read_float(&mut self, _schema: &Schema<'_>) -> Result<f32, SerdeError> {
        self.out = json!({"type": "number"});
        Ok(0.0)
    }

    fn read_double(&mut self, _schema: &Schema<'_>) -> Result<f64, SerdeError> {
        self.out = json!({"type": "number"});
        Ok(0.0)
    }

    fn read_big_integer(&mut self, _schema: &Schema<'_>) -> Result<BigInteger, SerdeError> {
        self.out = json!({"type": "number"});
        Ok(BigInteger::default())
    }

    fn read_big_decimal(&mut self, _schema: &Schema<'_>) -> Result<BigDecimal, SerdeError> {
        self.out = json!({"type": "number"});
        Ok(BigDecimal::default())
    }

    fn read_string(&mut self, _schema: &Schema<'_>) -> Result<String, SerdeError> {
        self.out = json!({"type": "string"});
        Ok(String::new())
    }

    fn read_blob(&mut self, _schema: &Schema<'_>) -> Result<Blob, SerdeError> {
        self.out = json!({"type": "string", "contentEncoding": "base64"});
        Ok(Blob::new(Vec::new()))
    }

    fn read_timestamp(&mut self, _schema: &Schema<'_>) -> Result<DateTime, SerdeError> {
        self.out = json!({
            "description": "epoch seconds or an RFC 3339 date and time",
            "anyOf": [{"type": "number"}, {"type": "string", "format": "date-time"}],
        });
        Ok(DateTime::from_secs(0))
    }

    fn read_document(&mut self, _schema: &Schema<'_>) -> Result<Document, SerdeError> {
        self.out = Value::Bool(true);
        Ok(Document::Null)
    }

    fn is_null(&self) -> bool {
        false
    }

    fn container_size(&self) -> Option<usize> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_case_pattern_matches_every_spelling_of_a_member() {
        assert_eq!(any_case_pattern("cpu"), "^[cC][pP][uU]$");
        assert_eq!(any_case_pattern("a_b-1"), "^[aA]_[bB]-1$");
    }

    #[test]
    fn the_probe_finds_nested_structures_lists_maps_and_numbers() {
        let schema = task_definition_schema();
        let defs = &schema["definitions"];
        let root = &defs["RegisterTaskDefinitionInput"]["properties"];
        assert_eq!(root["family"]["anyOf"][0], json!({"type": "string"}));
        assert_eq!(
            root["containerDefinitions"]["anyOf"][0],
            json!({"type": "array", "items": {"$ref": "#/definitions/ContainerDefinition"}})
        );
        let container = &defs["ContainerDefinition"]["properties"];
        assert_eq!(
            container["dockerLabels"]["anyOf"][0],
            json!({"type": "object", "additionalProperties": {"type": "string"}})
        );
        assert_eq!(container["cpu"]["anyOf"][0]["type"], "integer");
        assert_eq!(container["essential"]["anyOf"][0]["type"], "boolean");
        // describe-task-definition's read-only fields are accepted at the root.
        assert!(root.get("taskDefinitionArn").is_some());
        assert!(root.get("revision").is_some());
    }
}
