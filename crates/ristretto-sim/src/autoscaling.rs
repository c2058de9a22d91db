//! Application Auto Scaling (`AnyScaleFrontendService.*`, PascalCase members): scalable targets
//! with their suspended state, and scaling policies.
//!
//! Registering an existing target again changes only what the request names; a partial
//! `SuspendedState` changes only the flags it contains, as on AWS. Registering a target for an
//! ECS service that does not exist is a `ValidationException`, as on AWS (targets of the world
//! file are not checked). A minimum above the maximum is a `ValidationException` and nothing is
//! stored. Registering moves the ECS service's desired count into `[min, max]`, as on AWS;
//! policies never scale here.
//!
//! The Application Auto Scaling SDK crate has no schema codec yet, so this module reads and
//! writes its few wire shapes with serde; policy configurations are kept as the JSON the client
//! sent and returned unchanged.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::Epoch;
use crate::ecs::paginate;
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};
use crate::world::World;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoScalingState {
    pub targets: Vec<ScalableTarget>,
    pub policies: Vec<ScalingPolicy>,
}

/// A scalable target, in its wire form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalableTarget {
    pub service_namespace: String,
    pub resource_id: String,
    pub scalable_dimension: String,
    pub min_capacity: i32,
    pub max_capacity: i32,
    #[serde(rename = "RoleARN")]
    pub role_arn: String,
    pub creation_time: Epoch,
    pub suspended_state: SuspendedState,
    #[serde(rename = "ScalableTargetARN")]
    pub scalable_target_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SuspendedState {
    pub dynamic_scaling_in_suspended: bool,
    pub dynamic_scaling_out_suspended: bool,
    pub scheduled_scaling_suspended: bool,
}

/// A scaling policy, in its wire form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalingPolicy {
    #[serde(rename = "PolicyARN")]
    pub policy_arn: String,
    pub policy_name: String,
    pub service_namespace: String,
    pub resource_id: String,
    pub scalable_dimension: String,
    pub policy_type: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub step_scaling_policy_configuration: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub target_tracking_scaling_policy_configuration: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub predictive_scaling_policy_configuration: Option<Value>,
    pub alarms: Vec<Alarm>,
    pub creation_time: Epoch,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    #[serde(rename = "AlarmName")]
    pub alarm_name: String,
    #[serde(rename = "AlarmARN")]
    pub alarm_arn: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct TargetKey {
    service_namespace: Option<String>,
    resource_id: Option<String>,
    scalable_dimension: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct RegisterInput {
    #[serde(flatten)]
    key: TargetKey,
    min_capacity: Option<i32>,
    max_capacity: Option<i32>,
    #[serde(rename = "RoleARN")]
    role_arn: Option<String>,
    suspended_state: Option<SuspendedInput>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct SuspendedInput {
    dynamic_scaling_in_suspended: Option<bool>,
    dynamic_scaling_out_suspended: Option<bool>,
    scheduled_scaling_suspended: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct DescribeInput {
    service_namespace: Option<String>,
    resource_ids: Vec<String>,
    resource_id: Option<String>,
    scalable_dimension: Option<String>,
    policy_names: Vec<String>,
    max_results: Option<i32>,
    next_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct PolicyInput {
    #[serde(flatten)]
    key: TargetKey,
    policy_name: Option<String>,
    policy_type: Option<String>,
    step_scaling_policy_configuration: Option<Value>,
    target_tracking_scaling_policy_configuration: Option<Value>,
    predictive_scaling_policy_configuration: Option<Value>,
}

fn parse<T: for<'de> Deserialize<'de> + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::serialization(e.to_string()))
}

fn json(value: &Value) -> ApiResult {
    Ok(value.to_string().into_bytes())
}

fn validation(message: impl Into<String>) -> ApiError {
    ApiError::new("ValidationException", message)
}

type Key = (String, String, String);

fn key(k: TargetKey) -> Result<Key, ApiError> {
    match (k.service_namespace, k.resource_id, k.scalable_dimension) {
        (Some(ns), Some(id), Some(dim)) => Ok((ns, id, dim)),
        _ => Err(validation(
            "ServiceNamespace, ResourceId and ScalableDimension are required.",
        )),
    }
}

fn not_registered(k: &Key) -> ApiError {
    ApiError::new(
        "ObjectNotFoundException",
        format!(
            "No scalable target registered for service namespace: {}, resource ID: {}, scalable dimension: {}",
            k.0, k.1, k.2
        ),
    )
}

fn ecs_role(account: &str) -> String {
    format!(
        "arn:aws:iam::{account}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService"
    )
}

pub fn seed(state: &mut State, ctx: &Ctx, world: &World) {
    for t in &world.scalable_targets {
        let arn = ctx.arn(
            "application-autoscaling",
            &format!("scalable-target/{}", state.ids.alnum_id(36)),
        );
        state.autoscaling.targets.push(ScalableTarget {
            service_namespace: "ecs".to_owned(),
            resource_id: t.resource_id.clone(),
            scalable_dimension: "ecs:service:DesiredCount".to_owned(),
            min_capacity: t.min_capacity,
            max_capacity: t.max_capacity,
            role_arn: ecs_role(&ctx.account),
            creation_time: ctx.now,
            suspended_state: SuspendedState {
                dynamic_scaling_in_suspended: t.dynamic_scaling_in_suspended,
                dynamic_scaling_out_suspended: t.dynamic_scaling_out_suspended,
                scheduled_scaling_suspended: t.scheduled_scaling_suspended,
            },
            scalable_target_arn: arn,
        });
    }
}

/// Handles one Application Auto Scaling operation; `None` when it is not simulated.
pub fn handle(state: &mut State, ctx: &Ctx, op: &str, body: &[u8]) -> Option<ApiResult> {
    Some(match op {
        "RegisterScalableTarget" => register(state, ctx, body),
        "DescribeScalableTargets" => describe_targets(state, body),
        "DeregisterScalableTarget" => deregister(state, body),
        "PutScalingPolicy" => put_policy(state, ctx, body),
        "DescribeScalingPolicies" => describe_policies(state, body),
        "DeleteScalingPolicy" => delete_policy(state, body),
        _ => return None,
    })
}

fn position(state: &State, k: &Key) -> Option<usize> {
    state.autoscaling.targets.iter().position(|t| {
        t.service_namespace == k.0 && t.resource_id == k.1 && t.scalable_dimension == k.2
    })
}

fn register(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input: RegisterInput = parse(body)?;
    let k = key(input.key)?;
    if k.0 == "ecs" {
        // AWS checks that the ECS service exists (`service/<cluster>/<service>`).
        let mut parts = k.1.splitn(3, '/');
        let exists = match (parts.next(), parts.next(), parts.next()) {
            (Some("service"), Some(cluster), Some(service)) => state
                .ecs
                .clusters
                .get(cluster)
                .and_then(|c| c.services.get(service))
                .is_some_and(|s| s.service.status() == Some("ACTIVE")),
            _ => false,
        };
        if !exists {
            return Err(validation(format!("ECS service doesn't exist: {}", k.1)));
        }
    }
    let suspended = input.suspended_state.unwrap_or_default();
    // API_RegisterScalableTarget: the new range is checked before anything is stored, so a
    // rejected request leaves an existing target as it was.
    let existing = position(state, &k);
    let current = existing.map(|i| &state.autoscaling.targets[i]);
    let (Some(min), Some(max)) = (
        input.min_capacity.or(current.map(|t| t.min_capacity)),
        input.max_capacity.or(current.map(|t| t.max_capacity)),
    ) else {
        return Err(validation(
            "MinCapacity and MaxCapacity are required when registering a new scalable target",
        ));
    };
    if min > max {
        return Err(validation(
            "Minimum capacity cannot be greater than maximum capacity",
        ));
    }
    let target = match existing {
        Some(i) => {
            let target = &mut state.autoscaling.targets[i];
            target.min_capacity = min;
            target.max_capacity = max;
            if let Some(role) = input.role_arn {
                target.role_arn = role;
            }
            let s = &mut target.suspended_state;
            if let Some(v) = suspended.dynamic_scaling_in_suspended {
                s.dynamic_scaling_in_suspended = v;
            }
            if let Some(v) = suspended.dynamic_scaling_out_suspended {
                s.dynamic_scaling_out_suspended = v;
            }
            if let Some(v) = suspended.scheduled_scaling_suspended {
                s.scheduled_scaling_suspended = v;
            }
            target.clone()
        }
        None => {
            let arn = ctx.arn(
                "application-autoscaling",
                &format!("scalable-target/{}", state.ids.alnum_id(36)),
            );
            let target = ScalableTarget {
                service_namespace: k.0,
                resource_id: k.1,
                scalable_dimension: k.2,
                min_capacity: min,
                max_capacity: max,
                role_arn: input.role_arn.unwrap_or_else(|| ecs_role(&ctx.account)),
                creation_time: ctx.now,
                suspended_state: SuspendedState {
                    dynamic_scaling_in_suspended: suspended
                        .dynamic_scaling_in_suspended
                        .unwrap_or(false),
                    dynamic_scaling_out_suspended: suspended
                        .dynamic_scaling_out_suspended
                        .unwrap_or(false),
                    scheduled_scaling_suspended: suspended
                        .scheduled_scaling_suspended
                        .unwrap_or(false),
                },
                scalable_target_arn: arn,
            };
            state.autoscaling.targets.push(target.clone());
            target
        }
    };
    clamp_desired_count(state, ctx, &target);
    json(&serde_json::json!({ "ScalableTargetARN": target.scalable_target_arn }))
}

/// API_RegisterScalableTarget: "If the specified resource is not active in the target service,
/// this operation does not change the resource's current capacity. Otherwise, it changes the
/// resource's current capacity to a value that is inside of this range." For an ECS service
/// that is its desired count, which the scheduler then acts on at once.
fn clamp_desired_count(state: &mut State, ctx: &Ctx, target: &ScalableTarget) {
    if target.service_namespace != "ecs" || target.scalable_dimension != "ecs:service:DesiredCount"
    {
        return;
    }
    let mut parts = target.resource_id.splitn(3, '/');
    let (Some("service"), Some(cluster), Some(service)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let Some(svc) = state
        .ecs
        .clusters
        .get_mut(cluster)
        .and_then(|c| c.services.get_mut(service))
        .filter(|s| s.service.status() == Some("ACTIVE"))
    else {
        return;
    };
    let desired = svc.service.desired_count;
    let clamped = desired.clamp(target.min_capacity, target.max_capacity);
    if clamped == desired {
        return;
    }
    svc.service.desired_count = clamped;
    svc.steady = false;
    if let Some(primary) = svc
        .service
        .deployments
        .as_mut()
        .and_then(|d| d.iter_mut().find(|d| d.status() == Some("PRIMARY")))
    {
        primary.desired_count = clamped;
    }
    let (cluster, service) = (cluster.to_owned(), service.to_owned());
    crate::ecs::scheduler::reconcile_now(state, ctx, &cluster, &service);
}

fn describe_targets(state: &mut State, body: &[u8]) -> ApiResult {
    let input: DescribeInput = parse(body)?;
    let ns = input
        .service_namespace
        .ok_or_else(|| validation("ServiceNamespace is required"))?;
    let targets: Vec<&ScalableTarget> = state
        .autoscaling
        .targets
        .iter()
        .filter(|t| t.service_namespace == ns)
        .filter(|t| input.resource_ids.is_empty() || input.resource_ids.contains(&t.resource_id))
        .filter(|t| {
            input
                .scalable_dimension
                .as_ref()
                .is_none_or(|d| &t.scalable_dimension == d)
        })
        .collect();
    let (page, next) = paginate(&targets, input.next_token.as_deref(), input.max_results, 50)?;
    let mut out = serde_json::json!({ "ScalableTargets": page });
    if let Some(next) = next {
        out["NextToken"] = Value::String(next);
    }
    json(&out)
}

fn deregister(state: &mut State, body: &[u8]) -> ApiResult {
    let k = key(parse::<TargetKey>(body)?)?;
    let i = position(state, &k).ok_or_else(|| not_registered(&k))?;
    state.autoscaling.targets.remove(i);
    state.autoscaling.policies.retain(|p| {
        !(p.service_namespace == k.0 && p.resource_id == k.1 && p.scalable_dimension == k.2)
    });
    json(&serde_json::json!({}))
}

fn put_policy(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input: PolicyInput = parse(body)?;
    let k = key(input.key)?;
    let name = input
        .policy_name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| validation("PolicyName is required"))?;
    if position(state, &k).is_none() {
        return Err(not_registered(&k));
    }
    let policy_type = input
        .policy_type
        .unwrap_or_else(|| "StepScaling".to_owned());
    let existing =
        state.autoscaling.policies.iter().position(|p| {
            p.policy_name == name && p.resource_id == k.1 && p.scalable_dimension == k.2
        });
    let arn = match existing {
        Some(i) => state.autoscaling.policies[i].policy_arn.clone(),
        None => ctx.arn(
            "autoscaling",
            &format!(
                "scalingPolicy:{}:resource/{}/{}:policyName/{name}",
                state.ids.uuid(),
                k.0,
                k.1
            ),
        ),
    };
    let alarms: Vec<Alarm> = if policy_type == "TargetTrackingScaling" {
        ["AlarmHigh", "AlarmLow"]
            .iter()
            .map(|kind| {
                let alarm = format!("TargetTracking-{}-{kind}-{}", k.1, state.ids.uuid());
                Alarm {
                    alarm_arn: ctx.arn("cloudwatch", &format!("alarm:{alarm}")),
                    alarm_name: alarm,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let policy = ScalingPolicy {
        policy_arn: arn.clone(),
        policy_name: name,
        service_namespace: k.0,
        resource_id: k.1,
        scalable_dimension: k.2,
        policy_type,
        step_scaling_policy_configuration: input.step_scaling_policy_configuration,
        target_tracking_scaling_policy_configuration: input
            .target_tracking_scaling_policy_configuration,
        predictive_scaling_policy_configuration: input.predictive_scaling_policy_configuration,
        alarms: alarms.clone(),
        creation_time: ctx.now,
    };
    match existing {
        Some(i) => state.autoscaling.policies[i] = policy,
        None => state.autoscaling.policies.push(policy),
    }
    json(&serde_json::json!({ "PolicyARN": arn, "Alarms": alarms }))
}

fn describe_policies(state: &mut State, body: &[u8]) -> ApiResult {
    let input: DescribeInput = parse(body)?;
    let ns = input
        .service_namespace
        .ok_or_else(|| validation("ServiceNamespace is required"))?;
    let policies: Vec<&ScalingPolicy> = state
        .autoscaling
        .policies
        .iter()
        .filter(|p| p.service_namespace == ns)
        .filter(|p| {
            input
                .resource_id
                .as_ref()
                .is_none_or(|r| &p.resource_id == r)
        })
        .filter(|p| {
            input
                .scalable_dimension
                .as_ref()
                .is_none_or(|d| &p.scalable_dimension == d)
        })
        .filter(|p| input.policy_names.is_empty() || input.policy_names.contains(&p.policy_name))
        .collect();
    let (page, next) = paginate(
        &policies,
        input.next_token.as_deref(),
        input.max_results,
        50,
    )?;
    let mut out = serde_json::json!({ "ScalingPolicies": page });
    if let Some(next) = next {
        out["NextToken"] = Value::String(next);
    }
    json(&out)
}

fn delete_policy(state: &mut State, body: &[u8]) -> ApiResult {
    let input: PolicyInput = parse(body)?;
    let k = key(input.key)?;
    let name = input.policy_name.unwrap_or_default();
    let before = state.autoscaling.policies.len();
    state.autoscaling.policies.retain(|p| {
        !(p.policy_name == name && p.resource_id == k.1 && p.scalable_dimension == k.2)
    });
    if state.autoscaling.policies.len() == before {
        return Err(ApiError::new(
            "ObjectNotFoundException",
            format!(
                "No scaling policy found for service namespace: {}, resource ID: {}, scalable dimension: {}, policy name: {name}",
                k.0, k.1, k.2
            ),
        ));
    }
    json(&serde_json::json!({}))
}
