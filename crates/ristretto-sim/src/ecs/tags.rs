//! Tags of clusters, services, task definitions, tasks, task sets and container instances: TagResource,
//! UntagResource, ListTagsForResource. The resource is found by its ARN.

use aws_sdk_ecs::operation::list_tags_for_resource::{
    ListTagsForResourceInput, ListTagsForResourceOutput,
};
use aws_sdk_ecs::operation::tag_resource::{TagResourceInput, TagResourceOutput};
use aws_sdk_ecs::operation::untag_resource::{UntagResourceInput, UntagResourceOutput};
use aws_sdk_ecs::types::Tag;

use crate::codec::{Sdk, decode, encode};
use crate::error::{ApiError, ApiResult};
use crate::state::State;

fn not_found() -> ApiError {
    ApiError::invalid_parameter("The specified resource could not be found.")
}

/// Runs `f` on the tag list of the resource named by `arn`.
fn with_tags<R>(
    state: &mut State,
    arn: &str,
    f: impl FnOnce(&mut Vec<Tag>) -> R,
) -> Result<R, ApiError> {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
    let (kind, path) = resource.split_once('/').ok_or_else(not_found)?;
    let ecs = &mut state.ecs;
    match kind {
        "cluster" => {
            let c = ecs.clusters.get_mut(path).ok_or_else(not_found)?;
            Ok(f(c.cluster.tags.get_or_insert_with(Vec::new)))
        }
        "service" => {
            let (cluster, name) = path.split_once('/').ok_or_else(not_found)?;
            let s = ecs
                .clusters
                .get_mut(cluster)
                .and_then(|c| c.services.get_mut(name))
                .ok_or_else(not_found)?;
            Ok(f(s.service.tags.get_or_insert_with(Vec::new)))
        }
        "task-definition" => {
            let (family, rev) = path.rsplit_once(':').ok_or_else(not_found)?;
            let index = rev
                .parse::<usize>()
                .ok()
                .and_then(|r| r.checked_sub(1))
                .ok_or_else(not_found)?;
            let rec = ecs
                .task_definitions
                .get_mut(family)
                .and_then(|v| v.get_mut(index))
                .ok_or_else(not_found)?;
            let mut tags: Vec<Tag> = rec.tags.iter().map(|t| t.0.clone()).collect();
            let r = f(&mut tags);
            rec.tags = tags.into_iter().map(Sdk).collect();
            Ok(r)
        }
        "task" => {
            let (cluster, id) = path.split_once('/').ok_or_else(not_found)?;
            let c = ecs.clusters.get_mut(cluster).ok_or_else(not_found)?;
            let task = if c.tasks.contains_key(id) {
                c.tasks.get_mut(id)
            } else {
                c.services.values_mut().find_map(|s| s.tasks.get_mut(id))
            }
            .ok_or_else(not_found)?;
            Ok(f(task.task.tags.get_or_insert_with(Vec::new)))
        }
        "task-set" => {
            let mut parts = path.splitn(3, '/');
            let (cluster, service, id) = (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
            );
            let set = ecs
                .clusters
                .get_mut(cluster)
                .and_then(|c| c.services.get_mut(service))
                .and_then(|s| s.service.task_sets.as_mut())
                .and_then(|sets| sets.iter_mut().find(|t| t.id() == Some(id)))
                .ok_or_else(not_found)?;
            Ok(f(set.tags.get_or_insert_with(Vec::new)))
        }
        "container-instance" => {
            let (cluster, id) = path.split_once('/').ok_or_else(not_found)?;
            let ci = ecs
                .clusters
                .get_mut(cluster)
                .and_then(|c| c.container_instances.as_mut())
                .and_then(|list| {
                    list.iter_mut().find(|ci| {
                        ci.container_instance_arn()
                            .is_some_and(|a| a.ends_with(&format!("/{id}")))
                    })
                })
                .ok_or_else(not_found)?;
            Ok(f(ci.tags.get_or_insert_with(Vec::new)))
        }
        _ => Err(not_found()),
    }
}

pub fn tag_resource(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, TagResourceInput::deserialize)?;
    let new = input.tags().to_vec();
    with_tags(state, input.resource_arn().unwrap_or_default(), |tags| {
        for tag in new {
            tags.retain(|t| t.key() != tag.key());
            tags.push(tag);
        }
    })?;
    Ok(encode(&TagResourceOutput::builder().build()))
}

pub fn untag_resource(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, UntagResourceInput::deserialize)?;
    let keys = input.tag_keys().to_vec();
    with_tags(state, input.resource_arn().unwrap_or_default(), |tags| {
        tags.retain(|t| !t.key().is_some_and(|k| keys.iter().any(|x| x == k)));
    })?;
    Ok(encode(&UntagResourceOutput::builder().build()))
}

pub fn list_tags(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, ListTagsForResourceInput::deserialize)?;
    let tags = with_tags(state, input.resource_arn().unwrap_or_default(), |tags| {
        tags.clone()
    })?;
    Ok(encode(
        &ListTagsForResourceOutput::builder()
            .set_tags(Some(tags))
            .build(),
    ))
}
