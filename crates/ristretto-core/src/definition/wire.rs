//! SDK values back to the ECS API's JSON, the form `render`, `diff` and `init`
//! print: the SDK's own codec writes the wire JSON, then keys are sorted and
//! the text indented by two spaces.

use aws_smithy_json::codec::{JsonCodec, JsonCodecSettings};
use aws_smithy_schema::codec::Codec;
use aws_smithy_schema::serde::{SerializableStruct, ShapeSerializer};
use serde_json::Value;

/// The API JSON of an SDK value (the body AWS would send or accept).
#[must_use]
pub fn api_json(value: &dyn SerializableStruct) -> Value {
    let codec = JsonCodec::new(JsonCodecSettings::builder().build());
    let mut serializer = codec.create_serializer();
    // Writing an in-memory SDK value cannot fail; an error would leave the
    // document empty, which every caller prints as `{}`.
    if serializer.write_struct(value.schema(), value).is_err() {
        return Value::Object(serde_json::Map::new());
    }
    serde_json::from_slice(&serializer.finish())
        .unwrap_or_else(|_| Value::Object(serde_json::Map::new()))
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
