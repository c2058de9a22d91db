//! The wire format: SDK input types decoded from, and SDK output types encoded to, awsJson 1.1
//! with the SDK's own schema codec, so every shape is correct by construction and nothing mirrors
//! an AWS shape by hand.
//!
//! [`Sdk`] wraps an SDK value so that it can live inside serde-serialised state (the state file):
//! it goes through the same codec, as the JSON AWS would send.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::LazyLock;

use aws_smithy_json::codec::{JsonCodec, JsonCodecSettings};
use aws_smithy_schema::codec::Codec;
use aws_smithy_schema::serde::{
    SerdeError, SerializableStruct, ShapeDeserializer, ShapeSerializer,
};

use crate::error::ApiError;

static CODEC: LazyLock<JsonCodec> = LazyLock::new(|| {
    // awsJson 1.1: member names as they are (no @jsonName), timestamps as epoch seconds.
    JsonCodec::new(JsonCodecSettings::builder().use_json_name(false).build())
});

/// Decodes a request body into an SDK input type (`XxxInput::deserialize`).
pub fn decode<T>(
    body: &[u8],
    deserialize: impl FnOnce(&mut dyn ShapeDeserializer) -> Result<T, SerdeError>,
) -> Result<T, ApiError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    let mut de = CODEC.create_deserializer(body);
    deserialize(&mut de).map_err(|e| ApiError::serialization(format!("cannot decode request: {e}")))
}

/// Encodes an SDK output (or any SDK structure) as JSON bytes.
pub fn encode(value: &dyn SerializableStruct) -> Vec<u8> {
    let mut ser = CODEC.create_serializer();
    match ser.write_struct(value.schema(), value) {
        Ok(()) => ser.finish(),
        Err(e) => {
            tracing::error!("cannot encode {}: {e}", value.schema().shape_id().as_str());
            b"{}".to_vec()
        }
    }
}

/// Converts an SDK value into another SDK type through its JSON form: members with the same
/// name carry over (for example a `RegisterTaskDefinitionInput` becomes a `TaskDefinition`).
pub fn convert<T>(
    value: &dyn SerializableStruct,
    deserialize: impl FnOnce(&mut dyn ShapeDeserializer) -> Result<T, SerdeError>,
) -> Result<T, ApiError> {
    decode(&encode(value), deserialize)
}

/// Encodes an SDK value as a `serde_json::Value`.
pub fn to_json(value: &dyn SerializableStruct) -> serde_json::Value {
    serde_json::from_slice(&encode(value)).unwrap_or(serde_json::Value::Null)
}

/// An SDK structure that can be decoded by the codec.
pub trait Shape: SerializableStruct + Sized {
    fn decode_shape(de: &mut dyn ShapeDeserializer) -> Result<Self, SerdeError>;
}

macro_rules! shapes {
    ($($t:ty),* $(,)?) => {
        $(impl Shape for $t {
            fn decode_shape(de: &mut dyn ShapeDeserializer) -> Result<Self, SerdeError> {
                <$t>::deserialize(de)
            }
        })*
    };
}

shapes!(
    aws_sdk_ecs::types::CapacityProvider,
    aws_sdk_ecs::types::Cluster,
    aws_sdk_ecs::types::ContainerInstance,
    aws_sdk_ecs::types::TaskDefinition,
    aws_sdk_ecs::types::Service,
    aws_sdk_ecs::types::Task,
    aws_sdk_ecs::types::Tag,
    aws_sdk_ecs::types::ServiceDeployment,
    aws_sdk_ecs::types::ServiceRevision,
    aws_sdk_codedeploy::types::ApplicationInfo,
    aws_sdk_codedeploy::types::DeploymentGroupInfo,
    aws_sdk_codedeploy::types::DeploymentInfo,
    aws_sdk_codedeploy::types::EcsTarget,
    aws_sdk_codedeploy::types::Tag,
);

/// An SDK value stored in the simulator's state; serialised through the SDK codec.
#[derive(Clone, PartialEq)]
pub struct Sdk<T>(pub T);

impl<T> Deref for Sdk<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Sdk<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for Sdk<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: Shape> serde::Serialize for Sdk<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let value: serde_json::Value =
            serde_json::from_slice(&encode(&self.0)).map_err(serde::ser::Error::custom)?;
        value.serialize(s)
    }
}

impl<'de, T: Shape> serde::Deserialize<'de> for Sdk<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        let bytes = serde_json::to_vec(&value).map_err(serde::de::Error::custom)?;
        let mut de = CODEC.create_deserializer(&bytes);
        T::decode_shape(&mut de)
            .map(Sdk)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
    use aws_sdk_ecs::types::TaskDefinition;

    #[test]
    fn register_input_converts_to_task_definition() {
        let body = br#"{"family":"web","containerDefinitions":[{"name":"app","image":"nginx:1"}],"cpu":"256"}"#;
        let input = decode(body, RegisterTaskDefinitionInput::deserialize).expect("decode");
        let td = convert(&input, TaskDefinition::deserialize).expect("convert");
        assert_eq!(td.family(), Some("web"));
        assert_eq!(td.cpu(), Some("256"));
        assert_eq!(td.container_definitions()[0].image(), Some("nginx:1"));
    }

    #[test]
    fn timestamps_are_epoch_seconds() {
        let td = TaskDefinition::builder()
            .registered_at(crate::clock::timestamp(1_700_000_000.5))
            .build();
        let json = to_json(&td);
        assert_eq!(json["registeredAt"], serde_json::json!(1_700_000_000.5));
    }
}
