//! SDK values back to the ECS API's JSON, the form `render`, `diff` and `init`
//! print: the SDK's own codec writes the wire JSON, then keys are sorted and
//! the text indented by two spaces.

use aws_smithy_json::codec::{JsonCodec, JsonCodecSettings};
use aws_smithy_schema::codec::Codec;
use aws_smithy_schema::serde::{SerializableStruct, ShapeSerializer};
use serde_json::Value;

/// An SDK value the codec could not write as JSON (a float that JSON cannot
/// hold, a bug in the codec). Never read as an empty document: an empty
/// document would look like "nothing to change".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot write `{shape}` as the ECS API's JSON: {message}")]
pub struct WireError {
    /// The shape's name.
    pub shape: String,
    /// What the codec said.
    pub message: String,
}

/// The API JSON of an SDK value (the body AWS would send or accept).
///
/// # Errors
/// The codec cannot write the value.
pub fn api_json(value: &dyn SerializableStruct) -> Result<Value, WireError> {
    let schema = value.schema();
    let error = |message: String| WireError {
        shape: schema.shape_id().shape_name().to_owned(),
        message,
    };
    let codec = JsonCodec::new(JsonCodecSettings::builder().build());
    let mut serializer = codec.create_serializer();
    serializer
        .write_struct(schema, value)
        .map_err(|e| error(e.to_string()))?;
    serde_json::from_slice(&serializer.finish()).map_err(|e| error(e.to_string()))
}

/// Pretty JSON with sorted keys, two-space indent and a trailing newline.
#[must_use]
pub fn to_pretty_json(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(&sorted(value)).unwrap_or_default();
    text.push('\n');
    text
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut entries: Vec<_> = object.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}
