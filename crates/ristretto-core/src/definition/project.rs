//! Projections between ECS input shapes, driven by their schemas: the fields
//! of a loaded `CreateService` input that `UpdateService` also accepts make
//! the update. No list of fields is written here, so a field AWS adds to both
//! shapes flows through with the next SDK release.

use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use serde_json::Value;

use super::api_json;
use super::reader::{ReadContext, ValueReader, find_member};
use crate::path::JsonPath;

/// The `UpdateService` input that applies a service definition to the live
/// service: every field both shapes share, `service` from `serviceName`.
/// Fields only a new service can have (`launchType`, `schedulingStrategy`,
/// `role`, `tags`, …) are left out.
///
/// # Errors
/// Only if the SDK's serializer and deserializer disagree (a bug), with its message.
pub fn update_service_input(
    definition: &CreateServiceInput,
    cluster: &str,
) -> Result<UpdateServiceInput, String> {
    let mut update = serde_json::Map::new();
    let create = match api_json(definition).map_err(|e| e.to_string())? {
        Value::Object(create) => create,
        other => {
            return Err(format!(
                "a service definition is a JSON object, not `{other}`"
            ));
        }
    };
    for (key, value) in create {
        let key = if key == "serviceName" {
            "service".to_owned()
        } else {
            key
        };
        if find_member(UpdateServiceInput::SCHEMA, &key).is_some() {
            update.insert(key, value);
        }
    }
    update.insert("cluster".to_owned(), Value::String(cluster.to_owned()));
    let value = Value::Object(update);
    let mut ctx = ReadContext {
        drop_empty_arrays: false,
        ignored_root_members: Vec::new(),
        root: JsonPath::root(),
        problems: Vec::new(),
    };
    // The JSON came from the SDK's own serializer and holds only members of
    // the target shape, so reading it back meets no unknown field.
    let update = UpdateServiceInput::deserialize(&mut ValueReader::new(&value, &mut ctx))
        .map_err(|e| e.to_string())?;
    match ctx.problems.first() {
        Some(problem) => Err(problem.to_string()),
        None => Ok(update),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::{DeploymentConfiguration, LaunchType, Tag};

    #[test]
    fn keeps_shared_fields_and_drops_create_only_ones() {
        let create = CreateServiceInput::builder()
            .service_name("web")
            .desired_count(3)
            .launch_type(LaunchType::Fargate)
            .tags(Tag::builder().key("team").value("a").build())
            .deployment_configuration(
                DeploymentConfiguration::builder()
                    .maximum_percent(200)
                    .build(),
            )
            .build()
            .expect("valid");
        let update = update_service_input(&create, "prod").expect("projects");
        assert_eq!(update.service(), Some("web"));
        assert_eq!(update.cluster(), Some("prod"));
        assert_eq!(update.desired_count(), Some(3));
        assert_eq!(
            update
                .deployment_configuration()
                .and_then(|d| d.maximum_percent()),
            Some(200)
        );
        let json = api_json(&update).expect("writes");
        assert!(
            json.get("launchType").is_none() && json.get("tags").is_none(),
            "{json}"
        );
    }
}
