//! Tags of CodeDeploy applications and deployment groups: TagResource, UntagResource,
//! ListTagsForResource, and the `tags` CreateApplication / CreateDeploymentGroup take.
//!
//! Sources: API_TagResource, API_UntagResource, API_ListTagsForResource (the exceptions are the
//! ones the service model declares for each operation); the ARN forms are those of the CodeDeploy
//! user guide's "resource ARNs" table: `arn:aws:codedeploy:REGION:ACCOUNT:application:NAME` and
//! `…:deploymentgroup:APPLICATION/GROUP`. AWS's exact messages are not known: ours are plain.

use aws_sdk_codedeploy::operation::list_tags_for_resource::{
    ListTagsForResourceInput, ListTagsForResourceOutput,
};
use aws_sdk_codedeploy::operation::tag_resource::{TagResourceInput, TagResourceOutput};
use aws_sdk_codedeploy::operation::untag_resource::{UntagResourceInput, UntagResourceOutput};
use aws_sdk_codedeploy::types::Tag;

use super::applications::{app_exists, find_group};
use super::cd_error;
use crate::codec::{Sdk, decode, encode};
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};

/// The ARN of an application.
pub(super) fn application_arn(ctx: &Ctx, name: &str) -> String {
    format!(
        "arn:aws:codedeploy:{}:{}:application:{name}",
        ctx.region, ctx.account
    )
}

/// The ARN of a deployment group.
pub(super) fn group_arn(ctx: &Ctx, app: &str, group: &str) -> String {
    format!(
        "arn:aws:codedeploy:{}:{}:deploymentgroup:{app}/{group}",
        ctx.region, ctx.account
    )
}

/// Sets `tags` on `arn`: a key given again takes the new value.
pub(super) fn put(state: &mut State, arn: &str, tags: &[Tag]) {
    let kept = state.codedeploy.tags.entry(arn.to_owned()).or_default();
    for tag in tags {
        kept.retain(|t| t.key() != tag.key());
        kept.push(Sdk(tag.clone()));
    }
}

/// Checks that `arn` names an application or deployment group that exists.
fn resource(state: &State, arn: Option<&str>) -> Result<String, ApiError> {
    let arn = arn
        .filter(|a| !a.is_empty())
        .ok_or_else(|| cd_error("ResourceArnRequiredException", "A resource ARN is required"))?;
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, service, _, _, resource] = parts[..] else {
        return Err(cd_error(
            "InvalidArnException",
            format!("Invalid ARN: {arn}"),
        ));
    };
    if !arn.starts_with("arn:") || service != "codedeploy" {
        return Err(cd_error(
            "InvalidArnException",
            format!("Invalid ARN: {arn}"),
        ));
    }
    match resource.split_once(':') {
        Some(("application", name)) => app_exists(state, name)?,
        Some(("deploymentgroup", path)) => {
            let (app, group) = path
                .split_once('/')
                .ok_or_else(|| cd_error("InvalidArnException", format!("Invalid ARN: {arn}")))?;
            find_group(state, app, group)?;
        }
        _ => {
            return Err(cd_error(
                "ArnNotSupportedException",
                format!("Tags are supported on applications and deployment groups, not {arn}"),
            ));
        }
    }
    Ok(arn.to_owned())
}

pub(super) fn tag_resource(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, TagResourceInput::deserialize)?;
    let arn = resource(state, input.resource_arn())?;
    if input.tags().is_empty() {
        return Err(cd_error(
            "TagRequiredException",
            "At least one tag is required",
        ));
    }
    put(state, &arn, input.tags());
    Ok(encode(&TagResourceOutput::builder().build()))
}

pub(super) fn untag_resource(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, UntagResourceInput::deserialize)?;
    let arn = resource(state, input.resource_arn())?;
    if input.tag_keys().is_empty() {
        return Err(cd_error(
            "TagRequiredException",
            "At least one tag key is required",
        ));
    }
    if let Some(kept) = state.codedeploy.tags.get_mut(&arn) {
        kept.retain(|t| {
            !t.key()
                .is_some_and(|k| input.tag_keys().iter().any(|g| g == k))
        });
    }
    Ok(encode(&UntagResourceOutput::builder().build()))
}

pub(super) fn list_tags(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, ListTagsForResourceInput::deserialize)?;
    let arn = resource(state, input.resource_arn())?;
    let tags = state
        .codedeploy
        .tags
        .get(&arn)
        .map(|kept| kept.iter().map(|t| t.0.clone()).collect())
        .unwrap_or_default();
    Ok(encode(
        &ListTagsForResourceOutput::builder()
            .set_tags(Some(tags))
            .build(),
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testkit::{Kit, code_deploy_world};

    // API_TagResource / API_UntagResource / API_ListTagsForResource: tags of an application and
    // of a deployment group by their ARNs; CreateApplication's and CreateDeploymentGroup's `tags`
    // are the resource's first tags; errors as the service model declares them.
    #[test]
    fn applications_and_groups_carry_tags_by_arn() {
        let mut kit = Kit::new(&code_deploy_world(""));
        kit.call(
            "codedeploy",
            "CreateApplication",
            1.0,
            json!({"applicationName": "api", "computePlatform": "ECS",
                   "tags": [{"Key": "team", "Value": "web"}]}),
        );
        let app = "arn:aws:codedeploy:us-east-1:123456789012:application:api";
        let tags = |kit: &mut Kit, arn: &str| {
            kit.call(
                "codedeploy",
                "ListTagsForResource",
                2.0,
                json!({"ResourceArn": arn}),
            )["Tags"]
                .clone()
        };
        assert_eq!(
            tags(&mut kit, app),
            json!([{"Key": "team", "Value": "web"}])
        );
        kit.call(
            "codedeploy",
            "TagResource",
            3.0,
            json!({"ResourceArn": app, "Tags": [{"Key": "team", "Value": "api"}, {"Key": "env", "Value": "prod"}]}),
        );
        assert_eq!(
            tags(&mut kit, app),
            json!([{"Key": "team", "Value": "api"}, {"Key": "env", "Value": "prod"}])
        );
        kit.call(
            "codedeploy",
            "UntagResource",
            4.0,
            json!({"ResourceArn": app, "TagKeys": ["team"]}),
        );
        assert_eq!(
            tags(&mut kit, app),
            json!([{"Key": "env", "Value": "prod"}])
        );

        let group = "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:web/web-dg";
        assert_eq!(tags(&mut kit, group), json!([]));

        let code = |kit: &mut Kit, op: &str, body| {
            kit.try_call("codedeploy", op, 5.0, body)
                .map(|_| ())
                .map_err(|e| e.code)
        };
        let missing_group = "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:web/nope";
        assert_eq!(
            code(
                &mut kit,
                "ListTagsForResource",
                json!({"ResourceArn": missing_group})
            ),
            Err("DeploymentGroupDoesNotExistException".into())
        );
        assert_eq!(
            code(
                &mut kit,
                "TagResource",
                json!({"ResourceArn": app, "Tags": []})
            ),
            Err("TagRequiredException".into())
        );
        assert_eq!(
            code(
                &mut kit,
                "ListTagsForResource",
                json!({"ResourceArn": "not-an-arn"})
            ),
            Err("InvalidArnException".into())
        );
        assert_eq!(
            code(
                &mut kit,
                "ListTagsForResource",
                json!({"ResourceArn": "arn:aws:codedeploy:us-east-1:123456789012:deploymentconfig:X"})
            ),
            Err("ArnNotSupportedException".into())
        );
    }
}
