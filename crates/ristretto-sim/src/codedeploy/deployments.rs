//! Deployments as the API sees them: CreateDeployment (AppSpec, group defaults),
//! GetDeployment, BatchGetDeployments, ListDeployments, StopDeployment and ContinueDeployment.
//! What a deployment does over time is in [`super::lifecycle`].

use aws_sdk_codedeploy::operation::batch_get_deployments::{
    BatchGetDeploymentsInput, BatchGetDeploymentsOutput,
};
use aws_sdk_codedeploy::operation::continue_deployment::{
    ContinueDeploymentInput, ContinueDeploymentOutput,
};
use aws_sdk_codedeploy::operation::create_deployment::{
    CreateDeploymentInput, CreateDeploymentOutput,
};
use aws_sdk_codedeploy::operation::get_deployment::{GetDeploymentInput, GetDeploymentOutput};
use aws_sdk_codedeploy::operation::list_deployments::{
    ListDeploymentsInput, ListDeploymentsOutput,
};
use aws_sdk_codedeploy::operation::stop_deployment::{StopDeploymentInput, StopDeploymentOutput};
use aws_sdk_codedeploy::types::{
    AutoRollbackEvent, ComputePlatform, DeploymentCreator, DeploymentInfo, DeploymentStatus,
    DeploymentWaitType, EcsTarget, LifecycleEvent, LifecycleEventStatus, StopStatus, TargetStatus,
};

use super::applications::{app_exists, find_group};
use super::configs::{config, config_missing};
use super::lifecycle::{finish, rolls_back_on, step};
use super::{DeploymentRecord, EVENTS, active, cd_error, overview};
use crate::clock::timestamp;
use crate::codec::{Sdk, decode, encode};
use crate::ecs::{self};
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};

/// The task definition and hooks (lifecycle event, function) of an ECS AppSpec (YAML or JSON).
pub(super) fn parse_appspec(content: &str) -> Result<(String, Vec<(String, String)>), ApiError> {
    let invalid = |m: &str| {
        cd_error(
            "InvalidRevisionException",
            format!("The AppSpec file is invalid: {m}"),
        )
    };
    let doc: serde_json::Value =
        yaml_serde::from_str(content).map_err(|e| invalid(&e.to_string()))?;
    let td = doc
        .get("Resources")
        .and_then(|r| r.as_array())
        .and_then(|r| r.first())
        .and_then(|r| r.as_object())
        .and_then(|r| r.values().next())
        .and_then(|r| r.pointer("/Properties/TaskDefinition"))
        .and_then(|t| t.as_str())
        .ok_or_else(|| invalid("Resources[0].<name>.Properties.TaskDefinition is missing"))?
        .to_owned();
    let hooks = doc
        .get("Hooks")
        .and_then(|h| h.as_array())
        .map(|hooks| {
            hooks
                .iter()
                .filter_map(|h| h.as_object())
                .flat_map(|h| {
                    h.iter().map(|(event, function)| {
                        (
                            event.clone(),
                            function.as_str().unwrap_or_default().to_owned(),
                        )
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok((td, hooks))
}

/// The AppSpec's `Resources[0].<name>.Properties.LoadBalancerInfo` (`ContainerName`,
/// `ContainerPort`), when it has one.
fn appspec_load_balancer(content: &str) -> Option<(String, Option<i64>)> {
    let doc: serde_json::Value = yaml_serde::from_str(content).ok()?;
    let info = doc
        .get("Resources")?
        .as_array()?
        .first()?
        .as_object()?
        .values()
        .next()?
        .pointer("/Properties/LoadBalancerInfo")?;
    let name = info.get("ContainerName")?.as_str()?.to_owned();
    let port = info.get("ContainerPort").and_then(|p| {
        p.as_i64()
            .or_else(|| p.as_str().and_then(|s| s.parse().ok()))
    });
    Some((name, port))
}

/// The AppSpec's `LoadBalancerInfo` must name a container of the task definition and one of its
/// `portMappings[].containerPort` (user guide, "reference-appspec-file-structure-resources": "the
/// name of the Amazon ECS container … that contains your Amazon ECS application" and "the port on
/// the container where traffic will be routed"; API_LoadBalancer, `containerPort`: "This port
/// must correspond to a containerPort in the task definition"), and, when the service has load
/// balancers, match one of them. Whether AWS checks this at CreateDeployment or only fails the
/// deployment when ECS creates the task set is not documented; we refuse it at once with
/// InvalidRevisionException (a CreateDeployment error of the model), in our own words.
fn check_load_balancer_info(
    state: &State,
    content: &str,
    td_ref: &str,
    service_load_balancers: &[(String, i32)],
) -> Result<(), ApiError> {
    let Some((name, port)) = appspec_load_balancer(content) else {
        return Ok(());
    };
    let invalid = |m: String| cd_error("InvalidRevisionException", m);
    let container = ecs::task_definitions::resolve(&state.ecs, td_ref)
        .and_then(|rec| {
            rec.task_definition
                .container_definitions()
                .iter()
                .find(|c| c.name() == Some(name.as_str()))
        })
        .ok_or_else(|| {
            invalid(format!(
                "The AppSpec's LoadBalancerInfo names container {name}, which the task definition {td_ref} does not have."
            ))
        })?;
    let Some(port) = port else {
        return Err(invalid(
            "The AppSpec's LoadBalancerInfo has no ContainerPort.".to_owned(),
        ));
    };
    if !container
        .port_mappings()
        .iter()
        .any(|m| m.container_port().map(i64::from) == Some(port))
    {
        return Err(invalid(format!(
            "The AppSpec's LoadBalancerInfo names port {port} of container {name}, which has no such containerPort in the task definition {td_ref}."
        )));
    }
    if !service_load_balancers.is_empty()
        && !service_load_balancers
            .iter()
            .any(|(n, p)| *n == name && i64::from(*p) == port)
    {
        return Err(invalid(format!(
            "The AppSpec's LoadBalancerInfo ({name}:{port}) does not match a load balancer of the ECS service."
        )));
    }
    Ok(())
}

pub(super) fn create_deployment(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, CreateDeploymentInput::deserialize)?;
    let app = input.application_name().unwrap_or_default().to_owned();
    let group_name = input.deployment_group_name().unwrap_or_default().to_owned();
    let group = find_group(state, &app, &group_name)?.clone();
    if let Some(d) = state.codedeploy.deployments.iter().find(|d| {
        active(d)
            && d.info.application_name() == Some(app.as_str())
            && d.info.deployment_group_name() == Some(group_name.as_str())
    }) {
        // API_CreateDeployment, Errors: DeploymentLimitExceededException, "The number of allowed
        // deployments was exceeded": one deployment in progress per group, a rollback deployment
        // included. The message AWS writes is not documented; ours names the deployment.
        return Err(cd_error(
            "DeploymentLimitExceededException",
            format!(
                "The Deployment Group '{group_name}' already has an active Deployment '{}'",
                d.info.deployment_id().unwrap_or_default()
            ),
        ));
    }
    let config_name = input
        .deployment_config_name()
        .or(group.deployment_config_name())
        .unwrap_or("CodeDeployDefault.ECSAllAtOnce")
        .to_owned();
    config(&config_name).ok_or_else(|| config_missing(&config_name))?;
    let revision = input
        .revision()
        .ok_or_else(|| cd_error("RevisionRequiredException", "Revision is required"))?;
    let content = revision
        .app_spec_content()
        .and_then(|c| c.content())
        .or_else(|| revision.string().and_then(|s| s.content()))
        .ok_or_else(|| {
            cd_error(
                "InvalidRevisionException",
                "The revision must be an AppSpecContent or String revision.",
            )
        })?;
    let (td_ref, hooks) = parse_appspec(content)?;
    let ecs_service = group.ecs_services().first().ok_or_else(|| {
        cd_error(
            "InvalidECSServiceException",
            "The deployment group has no ECS service.",
        )
    })?;
    let cluster = ecs_service.cluster_name().unwrap_or("default").to_owned();
    let service_name = ecs_service.service_name().unwrap_or_default().to_owned();
    let svc = state
        .ecs
        .clusters
        .get(&cluster)
        .and_then(|c| c.services.get(&service_name))
        .filter(|s| s.service.status() == Some("ACTIVE"))
        .ok_or_else(|| {
            cd_error(
                "InvalidECSServiceException",
                format!("The ECS service {service_name} in cluster {cluster} does not exist."),
            )
        })?;
    let service_arn = svc.service.service_arn().unwrap_or_default().to_owned();
    let svc_load_balancers: Vec<(String, i32)> = svc
        .service
        .load_balancers()
        .iter()
        .filter_map(|lb| Some((lb.container_name()?.to_owned(), lb.container_port()?)))
        .collect();
    let svc_load_balancers = svc_load_balancers.as_slice();
    let (task_definition, _) = ecs::services::task_definition_for_service(&state.ecs, &td_ref)
        .map_err(|_| {
            cd_error(
                "InvalidRevisionException",
                format!("The task definition {td_ref} does not exist."),
            )
        })?;
    check_load_balancer_info(state, content, &td_ref, svc_load_balancers)?;
    let id = format!("d-{}", state.ids.alnum_id(9).to_uppercase());
    let now = timestamp(ctx.now);
    let info = DeploymentInfo::builder()
        .application_name(&app)
        .deployment_group_name(&group_name)
        .deployment_config_name(&config_name)
        .deployment_id(&id)
        .revision(revision.clone())
        .status(DeploymentStatus::Created)
        .create_time(now)
        .deployment_overview(overview(0, 0, 0, 0))
        .set_description(input.description().map(str::to_owned))
        .creator(DeploymentCreator::User)
        .set_auto_rollback_configuration(
            input
                .auto_rollback_configuration()
                .cloned()
                .or(group.auto_rollback_configuration().cloned()),
        )
        .set_deployment_style(group.deployment_style().cloned())
        .set_blue_green_deployment_configuration(
            group.blue_green_deployment_configuration().cloned(),
        )
        .set_load_balancer_info(group.load_balancer_info().cloned())
        .compute_platform(ComputePlatform::Ecs)
        .build();
    let target = EcsTarget::builder()
        .deployment_id(&id)
        .target_id(format!("{cluster}:{service_name}"))
        .target_arn(service_arn)
        .last_updated_at(now)
        .set_lifecycle_events(Some(
            EVENTS
                .iter()
                .map(|e| {
                    LifecycleEvent::builder()
                        .lifecycle_event_name(*e)
                        .status(LifecycleEventStatus::Pending)
                        .build()
                })
                .collect(),
        ))
        .status(TargetStatus::Pending)
        .build();
    state.codedeploy.deployments.push(DeploymentRecord {
        info: Sdk(info),
        target: Sdk(target),
        cluster,
        service: service_name,
        task_definition,
        hooks: hooks.iter().map(|(event, _)| event.clone()).collect(),
        hook_functions: hooks.into_iter().collect(),
        blue: None,
        green: None,
        event: 0,
        event_until: ctx.now,
        traffic: 0.0,
        waiting: None,
        wait_until: 0.0,
        rollback_of: None,
        install_until: None,
    });
    step(state, ctx.now);
    Ok(encode(
        &CreateDeploymentOutput::builder().deployment_id(id).build(),
    ))
}

pub(super) fn find_deployment<'a>(
    state: &'a mut State,
    id: &str,
) -> Result<&'a mut DeploymentRecord, ApiError> {
    if id.is_empty() {
        return Err(cd_error(
            "DeploymentIdRequiredException",
            "Deployment ID is required",
        ));
    }
    state
        .codedeploy
        .deployments
        .iter_mut()
        .find(|d| d.info.deployment_id() == Some(id))
        .ok_or_else(|| {
            cd_error(
                "DeploymentDoesNotExistException",
                format!("The deployment {id} could not be found."),
            )
        })
}

pub(super) fn get_deployment(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, GetDeploymentInput::deserialize)?;
    let d = find_deployment(state, input.deployment_id().unwrap_or_default())?;
    Ok(encode(
        &GetDeploymentOutput::builder()
            .deployment_info(d.info.0.clone())
            .build(),
    ))
}

pub(super) fn batch_get_deployments(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, BatchGetDeploymentsInput::deserialize)?;
    let mut out = BatchGetDeploymentsOutput::builder();
    for id in input.deployment_ids() {
        if let Ok(d) = find_deployment(state, id) {
            out = out.deployments_info(d.info.0.clone());
        }
    }
    Ok(encode(&out.build()))
}

pub(super) fn list_deployments(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, ListDeploymentsInput::deserialize)?;
    // API_ListDeployments, `applicationName`: "If applicationName is specified, then
    // deploymentGroupName must be specified. If it is not specified, then deploymentGroupName
    // must not be specified." The model declares ApplicationNameRequiredException and
    // DeploymentGroupNameRequiredException for it (the messages are ours: AWS's are not known).
    match (input.application_name(), input.deployment_group_name()) {
        (Some(app), Some(group)) => {
            find_group(state, app, group)?;
        }
        (Some(app), None) => {
            app_exists(state, app)?;
            return Err(cd_error(
                "DeploymentGroupNameRequiredException",
                "Deployment Group name is required when an application name is given",
            ));
        }
        (None, Some(_)) => {
            return Err(cd_error(
                "ApplicationNameRequiredException",
                "Application name is required when a deployment group name is given",
            ));
        }
        (None, None) => {}
    }
    let ids: Vec<String> = state
        .codedeploy
        .deployments
        .iter()
        .rev()
        .filter(|d| {
            input
                .application_name()
                .is_none_or(|a| d.info.application_name() == Some(a))
        })
        .filter(|d| {
            input
                .deployment_group_name()
                .is_none_or(|g| d.info.deployment_group_name() == Some(g))
        })
        .filter(|d| {
            input.include_only_statuses().is_empty()
                || d.info
                    .status()
                    .is_some_and(|s| input.include_only_statuses().contains(s))
        })
        .filter_map(|d| d.info.deployment_id().map(str::to_owned))
        .collect();
    let (page, next) = ecs::paginate(&ids, input.next_token(), None, 100)?;
    Ok(encode(
        &ListDeploymentsOutput::builder()
            .set_deployments(Some(page))
            .set_next_token(next)
            .build(),
    ))
}

pub(super) fn stop_deployment(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, StopDeploymentInput::deserialize)?;
    let id = input.deployment_id().unwrap_or_default().to_owned();
    let d = find_deployment(state, &id)?;
    if !active(d) {
        return Err(cd_error(
            "DeploymentAlreadyCompletedException",
            format!("Deployment {id} has already completed"),
        ));
    }
    // API_StopDeployment, `autoRollbackEnabled`: whether what was updated is rolled back; left
    // out, the deployment's `autoRollbackConfiguration` decides, by its
    // DEPLOYMENT_STOP_ON_REQUEST event (API_AutoRollbackConfiguration).
    let rollback = d.rollback_of.is_none()
        && input
            .auto_rollback_enabled()
            .unwrap_or_else(|| rolls_back_on(d, &AutoRollbackEvent::DeploymentStopOnRequest));
    let started = finish(
        state,
        ctx.now,
        &id,
        DeploymentStatus::Stopped,
        None,
        rollback,
        "Deployment stopped by the user",
    );
    step(state, ctx.now);
    // API_StopDeployment, `status`: "Pending: The stop operation is pending. Succeeded: The stop
    // operation was successful." A stop that started a rollback is pending until the rollback
    // deployment ends; the status messages are ours (AWS's are not documented).
    let out = match started {
        Some(rollback_id) => StopDeploymentOutput::builder()
            .status(StopStatus::Pending)
            .status_message(format!(
                "Stopped deployment {id}; rollback deployment {rollback_id} in progress"
            )),
        None => StopDeploymentOutput::builder()
            .status(StopStatus::Succeeded)
            .status_message(format!("Stopped deployment {id}")),
    };
    Ok(encode(&out.build()))
}

pub(super) fn continue_deployment(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, ContinueDeploymentInput::deserialize)?;
    let id = input.deployment_id().unwrap_or_default().to_owned();
    let d = find_deployment(state, &id)?;
    let wanted = match input.deployment_wait_type() {
        Some(DeploymentWaitType::TerminationWait) => "TERMINATION",
        _ => "READY",
    };
    if d.waiting.as_deref() != Some(wanted) {
        return Err(cd_error(
            "DeploymentIsNotInReadyStateException",
            format!("The deployment {id} is not waiting for a continue ({wanted} wait)."),
        ));
    }
    d.waiting = None;
    d.wait_until = ctx.now;
    step(state, ctx.now);
    Ok(encode(&ContinueDeploymentOutput::builder().build()))
}

#[cfg(test)]
mod tests {
    use aws_sdk_codedeploy::types::{DeploymentCreator, DeploymentStatus};
    use serde_json::json;

    use crate::testkit::{Kit, code_deploy_world};

    // API_ListDeployments, `applicationName`: "If applicationName is specified, then
    // deploymentGroupName must be specified. If it is not specified, then deploymentGroupName
    // must not be specified." (both exceptions are declared for the operation in the model).
    #[test]
    fn list_deployments_takes_an_application_and_its_group_together_or_neither() {
        let mut kit = Kit::new(&code_deploy_world(""));
        let (_, v2) = kit.code_deploy_service();
        let id = kit.create_deployment(20.0, &v2);
        let code = |kit: &mut Kit, body| {
            kit.try_call("codedeploy", "ListDeployments", 21.0, body)
                .map(|_| ())
                .map_err(|e| e.code)
        };
        assert_eq!(
            code(&mut kit, json!({"applicationName": "web"})),
            Err("DeploymentGroupNameRequiredException".into())
        );
        assert_eq!(
            code(&mut kit, json!({"deploymentGroupName": "web-dg"})),
            Err("ApplicationNameRequiredException".into())
        );
        assert_eq!(
            code(
                &mut kit,
                json!({"applicationName": "web", "deploymentGroupName": "nope"})
            ),
            Err("DeploymentGroupDoesNotExistException".into())
        );
        for body in [
            json!({}),
            json!({"applicationName": "web", "deploymentGroupName": "web-dg"}),
        ] {
            let listed = kit.call("codedeploy", "ListDeployments", 21.0, body);
            assert_eq!(listed["deployments"], json!([id]));
        }
    }

    /// The IDs of a deployment's rollback deployment and of the deployment a rollback
    /// deployment rolls back, from its `rollbackInfo`.
    fn rollback_ids(kit: &Kit, id: &str) -> (Option<String>, Option<String>) {
        let info = kit.deployment(id).info.rollback_info();
        (
            info.and_then(|r| r.rollback_deployment_id())
                .map(str::to_owned),
            info.and_then(|r| r.rollback_triggering_deployment_id())
                .map(str::to_owned),
        )
    }

    // API_StopDeployment (autoRollbackEnabled): the deployment is Stopped, what was under way
    // fails, the rest is skipped. User guide "deployments-rollback-and-redeploy": the rollback is
    // a new deployment with its own ID; API_RollbackInfo: the two name each other
    // (`rollbackDeploymentId`, `rollbackTriggeringDeploymentId`); API_DeploymentInfo `creator`
    // `codeDeployRollback`; API_StopDeployment `status` Pending ("The stop operation is
    // pending") while the rollback runs; API_CreateDeployment DeploymentLimitExceededException
    // while it is in progress. The rollback takes world time: traffic back on the original task
    // set, then the replacement task set goes.
    #[test]
    fn stop_with_rollback_starts_a_rollback_deployment_that_restores_the_blue_task_set() {
        let mut kit = Kit::new(&code_deploy_world(""));
        let (v1, v2) = kit.code_deploy_service();
        let id = kit.create_deployment(20.0, &v2);
        kit.step_all(30.0); // green runs; the AfterAllowTestTraffic hook is under way
        let out = kit.call(
            "codedeploy",
            "StopDeployment",
            32.0,
            json!({"deploymentId": id, "autoRollbackEnabled": true}),
        );
        assert_eq!(out["status"], "Pending");
        let d = kit.deployment(&id);
        assert_eq!(d.info.status(), Some(&DeploymentStatus::Stopped));
        let (Some(rollback), None) = rollback_ids(&kit, &id) else {
            panic!("the stopped deployment names its rollback deployment");
        };
        assert_ne!(rollback, id);
        assert_eq!(rollback_ids(&kit, &rollback), (None, Some(id.clone())));
        let r = kit.deployment(&rollback);
        assert_eq!(
            r.info.creator(),
            Some(&DeploymentCreator::CodeDeployRollback)
        );
        // API_DeploymentInfo, deploymentStatusMessages (the wording is ours).
        assert_eq!(
            r.info.deployment_status_messages(),
            [format!("Rolling back deployment {id}")]
        );
        assert_eq!(r.info.status(), Some(&DeploymentStatus::InProgress));
        let statuses: Vec<String> = kit.lifecycle(&id).into_iter().map(|e| e.1).collect();
        assert_eq!(
            statuses,
            [
                "Succeeded",
                "Succeeded",
                "Succeeded",
                "Succeeded",
                "Failed",
                "Skipped",
                "Skipped",
                "Skipped"
            ]
            .map(str::to_owned)
        );
        // One deployment at a time per group, the rollback included.
        let err = kit
            .try_call(
                "codedeploy",
                "CreateDeployment",
                33.0,
                json!({"applicationName": "web", "deploymentGroupName": "web-dg",
                       "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": "x"}}}),
            )
            .expect_err("limit");
        assert_eq!(err.code, "DeploymentLimitExceededException");
        // Not at once: blue is primary again, green still there while traffic moves back.
        kit.step_all(34.0);
        let sets = kit.service("web").service.task_sets();
        assert_eq!(sets.len(), 2);
        let primary = sets.iter().find(|s| s.status() == Some("PRIMARY"));
        assert_eq!(primary.and_then(|s| s.task_definition()), Some(v1.as_str()));
        assert_eq!(kit.weight(&rollback, "Blue"), Some(100.0));
        for t in 35..=45 {
            kit.step_all(f64::from(t));
        }
        let r = kit.deployment(&rollback);
        assert_eq!(r.info.status(), Some(&DeploymentStatus::Succeeded));
        assert_eq!(
            kit.lifecycle(&rollback),
            [("AllowTraffic".to_owned(), "Succeeded".to_owned())]
        );
        let sets = kit.service("web").service.task_sets();
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].task_definition(), Some(v1.as_str()));
        assert_eq!(sets[0].status(), Some("PRIMARY"));
        let message = kit
            .deployment(&id)
            .info
            .rollback_info()
            .and_then(|r| r.rollback_message())
            .map(str::to_owned);
        assert_eq!(
            message,
            Some(format!("Rollback deployment {rollback} succeeded"))
        );

        let err = kit
            .try_call(
                "codedeploy",
                "StopDeployment",
                50.0,
                json!({"deploymentId": id}),
            )
            .expect_err("already stopped");
        assert_eq!(err.code, "DeploymentAlreadyCompletedException");
    }

    // API_StopDeployment `autoRollbackEnabled` left out: the deployment's
    // autoRollbackConfiguration decides, and only DEPLOYMENT_STOP_ON_REQUEST among its `events`
    // rolls a stop back (API_AutoRollbackConfiguration). The testkit group lists
    // DEPLOYMENT_FAILURE only: the stop succeeds at once and both task sets stay.
    #[test]
    fn stop_rolls_back_only_when_the_group_lists_stop_on_request() {
        let mut kit = Kit::new(&code_deploy_world(""));
        let (_, v2) = kit.code_deploy_service();
        let id = kit.create_deployment(20.0, &v2);
        kit.step_all(30.0);
        let out = kit.call(
            "codedeploy",
            "StopDeployment",
            32.0,
            json!({"deploymentId": id}),
        );
        assert_eq!(out["status"], "Succeeded");
        assert_eq!(rollback_ids(&kit, &id), (None, None));
        kit.step_all(60.0);
        assert_eq!(kit.service("web").service.task_sets().len(), 2);

        let world = code_deploy_world("").replace(
            "events: [DEPLOYMENT_FAILURE]",
            "events: [DEPLOYMENT_STOP_ON_REQUEST]",
        );
        let mut kit = Kit::new(&world);
        let (_, v2) = kit.code_deploy_service();
        let id = kit.create_deployment(20.0, &v2);
        kit.step_all(30.0);
        let out = kit.call(
            "codedeploy",
            "StopDeployment",
            32.0,
            json!({"deploymentId": id}),
        );
        assert_eq!(out["status"], "Pending");
        assert!(rollback_ids(&kit, &id).0.is_some());
    }

    // API_ContinueDeployment: READY_WAIT lets traffic move before the ready wait runs out;
    // TERMINATION_WAIT ends the wait for the blue task set's termination
    // (terminateBlueInstancesOnDeploymentSuccess).
    #[test]
    fn continue_skips_the_ready_and_termination_waits() {
        let world = code_deploy_world("").replace(
            "      autoRollbackConfiguration:",
            "      blueGreenDeploymentConfiguration:\n        deploymentReadyOption: {actionOnTimeout: STOP_DEPLOYMENT, waitTimeInMinutes: 60}\n        terminateBlueInstancesOnDeploymentSuccess: {action: TERMINATE, terminationWaitTimeInMinutes: 30}\n      autoRollbackConfiguration:",
        );
        let mut kit = Kit::new(&world);
        let (_, v2) = kit.code_deploy_service();
        let id = kit.create_deployment(20.0, &v2);
        for t in 20..=40 {
            kit.step_all(f64::from(t));
        }
        assert_eq!(kit.deployment(&id).waiting.as_deref(), Some("READY"));
        assert!(
            !kit.deployment(&id)
                .info
                .instance_termination_wait_time_started
        );
        let body = json!({"deploymentId": id, "deploymentWaitType": "READY_WAIT"});
        kit.call("codedeploy", "ContinueDeployment", 41.0, body);
        // Linear 10 % a minute: all traffic has moved ten minutes later, then the wait.
        for t in 41..=700 {
            kit.step_all(f64::from(t));
        }
        let d = kit.deployment(&id);
        assert_eq!(d.waiting.as_deref(), Some("TERMINATION"));
        assert_eq!(d.info.status(), Some(&DeploymentStatus::InProgress));
        // API_DeploymentInfo, instanceTerminationWaitTimeStarted: "'true' as soon as the
        // termination wait period starts".
        assert!(d.info.instance_termination_wait_time_started);
        assert_eq!(kit.weight(&id, "Green"), Some(100.0));
        let body = json!({"deploymentId": id, "deploymentWaitType": "TERMINATION_WAIT"});
        kit.call("codedeploy", "ContinueDeployment", 701.0, body);
        let d = kit.deployment(&id);
        assert_eq!(d.info.status(), Some(&DeploymentStatus::Succeeded));
        kit.step_all(703.0); // the blue tasks have stopped
        assert_eq!(kit.service("web").service.task_sets().len(), 1);
    }

    // API_ContinueDeployment: only a deployment that waits can be continued.
    #[test]
    fn continue_needs_a_waiting_deployment() {
        let mut kit = Kit::new(&code_deploy_world(""));
        let (_, v2) = kit.code_deploy_service();
        let id = kit.create_deployment(20.0, &v2);
        let err = kit
            .try_call(
                "codedeploy",
                "ContinueDeployment",
                21.0,
                json!({"deploymentId": id, "deploymentWaitType": "READY_WAIT"}),
            )
            .expect_err("not waiting");
        assert_eq!(err.code, "DeploymentIsNotInReadyStateException");
        // One deployment at a time per group.
        let err = kit
            .try_call(
                "codedeploy",
                "CreateDeployment",
                22.0,
                json!({"applicationName": "web", "deploymentGroupName": "web-dg",
                       "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": "x"}}}),
            )
            .expect_err("limit");
        assert_eq!(err.code, "DeploymentLimitExceededException");
    }

    // User guide "reference-appspec-file-structure-resources" (ECS): LoadBalancerInfo's
    // ContainerName is "the name of the Amazon ECS container that contains your Amazon ECS
    // application"; a name the task definition lacks is refused before anything starts
    // (InvalidRevisionException and its wording are ours: AWS's answer is not documented).
    #[test]
    fn an_appspec_naming_an_unknown_container_is_refused() {
        let mut kit = Kit::new(&code_deploy_world(""));
        let (_, v2) = kit.code_deploy_service();
        let appspec = |container: &str| {
            format!(
                "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: \"{v2}\"\n        LoadBalancerInfo:\n          ContainerName: {container}\n          ContainerPort: 80\n"
            )
        };
        let create = |kit: &mut Kit, content: String| {
            kit.try_call(
                "codedeploy",
                "CreateDeployment",
                20.0,
                json!({"applicationName": "web", "deploymentGroupName": "web-dg",
                       "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": content}}}),
            )
        };
        let err = create(&mut kit, appspec("web")).expect_err("no container `web`");
        assert_eq!(err.code, "InvalidRevisionException");
        assert!(err.message.contains("container web"), "{}", err.message);
        // `app` exists but has no port mapping for 80.
        let err = create(&mut kit, appspec("app")).expect_err("no port 80");
        assert!(err.message.contains("port 80"), "{}", err.message);
        assert!(kit.state.codedeploy.deployments.is_empty());
    }
}
