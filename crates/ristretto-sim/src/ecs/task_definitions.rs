//! Task definitions: register, describe (with tags), list (filters, sort, pagination),
//! deregister and delete.

use aws_sdk_ecs::operation::delete_task_definitions::{
    DeleteTaskDefinitionsInput, DeleteTaskDefinitionsOutput,
};
use aws_sdk_ecs::operation::deregister_task_definition::{
    DeregisterTaskDefinitionInput, DeregisterTaskDefinitionOutput,
};
use aws_sdk_ecs::operation::describe_task_definition::{
    DescribeTaskDefinitionInput, DescribeTaskDefinitionOutput,
};
use aws_sdk_ecs::operation::list_task_definition_families::{
    ListTaskDefinitionFamiliesInput, ListTaskDefinitionFamiliesOutput,
};
use aws_sdk_ecs::operation::list_task_definitions::{
    ListTaskDefinitionsInput, ListTaskDefinitionsOutput,
};
use aws_sdk_ecs::operation::register_task_definition::{
    RegisterTaskDefinitionInput, RegisterTaskDefinitionOutput,
};
use aws_sdk_ecs::types::{
    Failure, SortOrder, TaskDefinition, TaskDefinitionFamilyStatus, TaskDefinitionField,
    TaskDefinitionStatus,
};

use super::{EcsState, TaskDefRecord, paginate, short_name};
use crate::codec::{Sdk, convert, decode, encode};
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};

fn unable_to_describe() -> ApiError {
    ApiError::client("Unable to describe task definition.")
}

/// Resolves `family`, `family:revision` or a task definition ARN. A bare family resolves to its
/// latest ACTIVE revision.
pub fn resolve<'a>(ecs: &'a EcsState, id: &str) -> Option<&'a TaskDefRecord> {
    let tail = id.rsplit('/').next().unwrap_or(id);
    let (family, revision) = match tail.rsplit_once(':') {
        Some((f, r)) => (f, Some(r.parse::<usize>().ok()?)),
        None => (tail, None),
    };
    let revisions = ecs.task_definitions.get(family)?;
    match revision {
        Some(r) => revisions.get(r.checked_sub(1)?),
        None => revisions
            .iter()
            .rev()
            .find(|t| t.task_definition.status() == Some(&TaskDefinitionStatus::Active)),
    }
}

fn resolve_mut<'a>(ecs: &'a mut EcsState, id: &str) -> Option<&'a mut TaskDefRecord> {
    let arn = resolve(ecs, id)?
        .task_definition
        .task_definition_arn()?
        .to_owned();
    let tail = arn.rsplit('/').next()?;
    let (family, revision) = tail.rsplit_once(':')?;
    let index = revision.parse::<usize>().ok()?.checked_sub(1)?;
    ecs.task_definitions.get_mut(family)?.get_mut(index)
}

pub fn register(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, RegisterTaskDefinitionInput::deserialize)?;
    super::validate::register_task_definition(&input)?;
    let family = input.family().unwrap_or_default().to_owned();
    let mut td = convert(&input, TaskDefinition::deserialize)?;
    let revisions = state
        .ecs
        .task_definitions
        .entry(family.clone())
        .or_default();
    let revision = revisions.len() as i32 + 1;
    td.task_definition_arn = Some(ctx.arn("ecs", &format!("task-definition/{family}:{revision}")));
    td.revision = revision;
    td.status = Some(TaskDefinitionStatus::Active);
    td.registered_at = Some(crate::clock::timestamp(ctx.now));
    td.registered_by = Some(format!("arn:aws:iam::{}:root", ctx.account));
    td.compatibilities = Some(super::validate::compatibilities(&input));
    // `networkMode` is kept as given and left out when not given. API_RegisterTaskDefinition
    // only says "If no network mode is specified, the default is bridge" and, for Windows
    // instances, that `<default>` (no mode) is a choice of its own, so AWS keeps the absence
    // rather than writing `bridge`; the reference does not show the member being filled in.
    // Placement treats an absent mode as bridge (`container_instances::host_ports`).
    with_lists(&mut td);
    let tags = input.tags().to_vec();
    revisions.push(TaskDefRecord {
        task_definition: Sdk(td.clone()),
        tags: tags.iter().cloned().map(Sdk).collect(),
    });
    Ok(encode(
        &RegisterTaskDefinitionOutput::builder()
            .task_definition(td)
            .set_tags((!tags.is_empty()).then_some(tags))
            .build(),
    ))
}

/// The list members AWS always answers, empty or not: DescribeTaskDefinition's and
/// RegisterTaskDefinition's `taskDefinition` carries `volumes`, `placementConstraints`,
/// `requiresAttributes` and `compatibilities` even when empty (API_DescribeTaskDefinition's
/// response syntax; AWS CLI output). `requiresAttributes` stays empty here: AWS derives it from
/// the definition (docker API versions, task ENI, …) by rules that are not documented.
fn with_lists(td: &mut TaskDefinition) {
    td.volumes.get_or_insert_with(Vec::new);
    td.placement_constraints.get_or_insert_with(Vec::new);
    td.requires_attributes.get_or_insert_with(Vec::new);
    td.compatibilities.get_or_insert_with(Vec::new);
}

pub fn describe(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, DescribeTaskDefinitionInput::deserialize)?;
    let rec = resolve(&state.ecs, input.task_definition().unwrap_or_default())
        .filter(|r| r.task_definition.status() != Some(&TaskDefinitionStatus::DeleteInProgress))
        .ok_or_else(unable_to_describe)?;
    // Revisions saved by an older simulator may lack the lists.
    let mut td = rec.task_definition.0.clone();
    with_lists(&mut td);
    let mut out = DescribeTaskDefinitionOutput::builder().task_definition(td);
    if input.include().contains(&TaskDefinitionField::Tags) {
        out = out.set_tags(Some(rec.tags.iter().map(|t| t.0.clone()).collect()));
    }
    Ok(encode(&out.build()))
}

pub fn list(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, ListTaskDefinitionsInput::deserialize)?;
    let status = input
        .status()
        .cloned()
        .unwrap_or(TaskDefinitionStatus::Active);
    let mut arns: Vec<(String, i32, String)> = state
        .ecs
        .task_definitions
        .iter()
        .filter(|(family, _)| input.family_prefix().is_none_or(|p| family.as_str() == p))
        .flat_map(|(family, revs)| revs.iter().map(move |r| (family, r)))
        .filter(|(_, r)| r.task_definition.status() == Some(&status))
        .filter_map(|(family, r)| {
            Some((
                family.clone(),
                r.task_definition.revision,
                r.task_definition.task_definition_arn()?.to_owned(),
            ))
        })
        .collect();
    arns.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    if input.sort() == Some(&SortOrder::Desc) {
        arns.reverse();
    }
    let arns: Vec<String> = arns.into_iter().map(|a| a.2).collect();
    let (page, next) = paginate(&arns, input.next_token(), input.max_results(), 100)?;
    Ok(encode(
        &ListTaskDefinitionsOutput::builder()
            .set_task_definition_arns(Some(page))
            .set_next_token(next)
            .build(),
    ))
}

pub fn list_families(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, ListTaskDefinitionFamiliesInput::deserialize)?;
    let status = input
        .status()
        .cloned()
        .unwrap_or(TaskDefinitionFamilyStatus::Active);
    let families: Vec<String> = state
        .ecs
        .task_definitions
        .iter()
        .filter(|(f, _)| input.family_prefix().is_none_or(|p| f.starts_with(p)))
        .filter(|(_, revs)| {
            let active = revs
                .iter()
                .any(|r| r.task_definition.status() == Some(&TaskDefinitionStatus::Active));
            match status {
                TaskDefinitionFamilyStatus::Active => active,
                TaskDefinitionFamilyStatus::Inactive => !active,
                _ => true,
            }
        })
        .map(|(f, _)| f.clone())
        .collect();
    let (page, next) = paginate(&families, input.next_token(), input.max_results(), 100)?;
    Ok(encode(
        &ListTaskDefinitionFamiliesOutput::builder()
            .set_families(Some(page))
            .set_next_token(next)
            .build(),
    ))
}

pub fn deregister(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, DeregisterTaskDefinitionInput::deserialize)?;
    let id = input.task_definition().unwrap_or_default();
    // API_DeregisterTaskDefinition, `taskDefinition`: "The family and revision
    // (family:revision) or full Amazon Resource Name (ARN) of the task definition to
    // deregister. You must specify a revision." A bare family is refused before it is looked up
    // (an unknown family without a revision gets the same answer). AWS's exact message is not
    // documented; the exception is the operation's ClientException.
    if !short_name(id).contains(':') {
        let family = short_name(id);
        return Err(ApiError::client(format!(
            "You must specify a revision: {family}:REVISION or the task definition's full ARN."
        )));
    }
    let rec = resolve_mut(&mut state.ecs, id).ok_or_else(unable_to_describe)?;
    if rec.task_definition.status() == Some(&TaskDefinitionStatus::Active) {
        rec.task_definition.status = Some(TaskDefinitionStatus::Inactive);
        rec.task_definition.deregistered_at = Some(crate::clock::timestamp(ctx.now));
    }
    Ok(encode(
        &DeregisterTaskDefinitionOutput::builder()
            .task_definition(rec.task_definition.0.clone())
            .build(),
    ))
}

pub fn delete(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, DeleteTaskDefinitionsInput::deserialize)?;
    let mut out = DeleteTaskDefinitionsOutput::builder();
    for id in input.task_definitions() {
        match resolve_mut(&mut state.ecs, id).filter(|_| id.contains(':')) {
            Some(rec) if rec.task_definition.status() == Some(&TaskDefinitionStatus::Inactive) => {
                rec.task_definition.status = Some(TaskDefinitionStatus::DeleteInProgress);
                rec.task_definition.delete_requested_at = Some(crate::clock::timestamp(ctx.now));
                out = out.task_definitions(rec.task_definition.0.clone());
            }
            Some(rec) => {
                out = out.failures(
                    Failure::builder()
                        .set_arn(rec.task_definition.task_definition_arn().map(str::to_owned))
                        .reason("The specified task definition is still in ACTIVE status. Please deregister the target and try again.")
                        .build(),
                );
            }
            None => {
                out = out.failures(
                    Failure::builder()
                        .arn(id)
                        .reason("The specified task definition does not exist.")
                        .build(),
                );
            }
        }
    }
    Ok(encode(&out.build()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use serde_json::json;

    use crate::testkit::{Kit, WORLD};

    // API_DescribeTaskDefinition / API_RegisterTaskDefinition response syntax: `volumes`,
    // `placementConstraints`, `requiresAttributes` and `compatibilities` are always in the
    // answer (AWS sends them empty; clients index them without a check).
    #[test]
    fn task_definitions_always_carry_their_lists() {
        let mut kit = Kit::new(WORLD);
        let registered = kit.call(
            "ecs",
            "RegisterTaskDefinition",
            0.0,
            json!({
                "family": "worker",
                "containerDefinitions": [{"name": "app", "image": "a", "memory": 128}],
            }),
        );
        let described = kit.call(
            "ecs",
            "DescribeTaskDefinition",
            1.0,
            json!({"taskDefinition": "worker"}),
        );
        for answer in [&registered, &described] {
            let td = &answer["taskDefinition"];
            for member in [
                "volumes",
                "placementConstraints",
                "requiresAttributes",
                "compatibilities",
            ] {
                assert!(td[member].is_array(), "{member} in {td}");
            }
            assert_eq!(td["volumes"], json!([]));
            assert_eq!(td["compatibilities"], json!(["EC2"]));
        }
    }
}
