//! The lifecycle-event walk of an ECS blue/green deployment (CodeDeploy user guide,
//! "reference-appspec-file-structure-hooks", list of lifecycle event hooks for an Amazon ECS
//! deployment): each event goes Pending → InProgress → Succeeded, hooks named in the AppSpec take
//! [`HOOK_SECONDS`](super::HOOK_SECONDS) and may fail by a world rule, the deployment waits where
//! the group says so, and ends Succeeded, Failed or Stopped. A rollback deployment
//! ([`start_rollback`]) walks its own, shorter path ([`advance_rollback`]).

use aws_sdk_codedeploy::types::{
    AutoRollbackEvent, DeploymentCreator, DeploymentInfo, DeploymentReadyAction, DeploymentStatus,
    Diagnostics, EcsTarget, ErrorCode, ErrorInformation, LifecycleErrorCode, LifecycleEvent,
    LifecycleEventStatus, RollbackInfo, TargetStatus,
};

use super::traffic::{self, GreenHealth, refresh_target};
use super::{
    CodeDeployState, DeploymentRecord, EVENTS, HOOK_SECONDS, HOOK_TIMEOUT_SECONDS, HOOKS,
    INSTALL_TIMEOUT_MINUTES, ROLLBACK_EVENTS, ROLLBACK_REROUTE_SECONDS, active, index_of, overview,
};
use crate::clock::{Epoch, timestamp};
use crate::state::State;
use crate::world::World;

/// The next time a deployment moves on its own.
pub fn next_event(cd: &CodeDeployState, now: Epoch) -> Option<Epoch> {
    cd.deployments
        .iter()
        .filter(|d| active(d))
        .flat_map(|d| [d.event_until, d.wait_until, d.install_until.unwrap_or(0.0)])
        .filter(|t| *t > now)
        .reduce(f64::min)
}

/// Moves every active deployment as far as it can go at `now`.
pub fn step(state: &mut State, now: Epoch) {
    // A deployment that ends may start a rollback deployment: that one moves in the same step.
    let mut done: Vec<String> = Vec::new();
    loop {
        let ids: Vec<String> = state
            .codedeploy
            .deployments
            .iter()
            .filter(|d| active(d))
            .filter_map(|d| d.info.deployment_id().map(str::to_owned))
            .filter(|id| !done.contains(id))
            .collect();
        if ids.is_empty() {
            break;
        }
        for id in ids {
            for _ in 0..32 {
                if !advance_one(state, now, &id) {
                    break;
                }
            }
            refresh_target(state, now, &id);
            done.push(id);
        }
    }
}

fn set_event(d: &mut DeploymentRecord, index: usize, status: LifecycleEventStatus, now: Epoch) {
    if let Some(e) = d
        .target
        .lifecycle_events
        .as_mut()
        .and_then(|e| e.get_mut(index))
    {
        if status == LifecycleEventStatus::InProgress || e.start_time.is_none() {
            e.start_time = Some(timestamp(now));
        }
        if matches!(
            status,
            LifecycleEventStatus::Succeeded | LifecycleEventStatus::Failed
        ) {
            e.end_time = Some(timestamp(now));
        }
        e.status = Some(status);
    }
}

fn event_status(d: &DeploymentRecord, index: usize) -> Option<LifecycleEventStatus> {
    d.target
        .lifecycle_events()
        .get(index)
        .and_then(|e| e.status())
        .cloned()
}

/// One transition of a deployment; `false` when it has to wait.
fn advance_one(state: &mut State, now: Epoch, id: &str) -> bool {
    let Some(index) = index_of(state, id) else {
        return false;
    };
    let d = &mut state.codedeploy.deployments[index];
    if !active(d) || now < d.wait_until && d.waiting.is_some() {
        return false;
    }
    if d.info.status() == Some(&DeploymentStatus::Created) {
        start(d, now);
        return true;
    }
    if let Some(kind) = d.waiting.take() {
        return wait_ran_out(state, now, id, &kind);
    }
    if d.rollback_of.is_some() {
        return advance_rollback(state, now, id, index);
    }
    if d.event >= EVENTS.len() {
        // Traffic has moved; the blue task set goes. API_DeploymentInfo,
        // `instanceTerminationWaitTimeStarted`: "'true' as soon as the termination wait period
        // starts" (set when the wait began; a wait of 0 minutes starts and ends here).
        d.info.instance_termination_wait_time_started |= terminates_blue(&d.info);
        traffic::delete_blue(state, now, index);
        finish(state, now, id, DeploymentStatus::Succeeded, None, false, "");
        return false;
    }
    match event_status(d, d.event) {
        Some(LifecycleEventStatus::Pending) => {
            begin_event(state, now, index);
            true
        }
        Some(LifecycleEventStatus::InProgress) => end_event(state, now, id, index),
        _ => false,
    }
}

/// CreateDeployment's Created → InProgress (API_DeploymentInfo: `startTime`).
fn start(d: &mut DeploymentRecord, now: Epoch) {
    d.info.status = Some(DeploymentStatus::InProgress);
    d.info.start_time = Some(timestamp(now));
    d.info.deployment_overview = Some(overview(0, 1, 0, 0));
    d.target.status = Some(TargetStatus::InProgress);
    d.event_until = now;
}

/// A wait ran out without ContinueDeployment: the ready wait stops the deployment (and rolls
/// back; `deploymentReadyOption.actionOnTimeout` STOP_DEPLOYMENT), the termination wait just
/// ends. `true` when the deployment moves on.
///
/// Whether the ready timeout's stop rolls back is not documented (API_DeploymentReadyOption says
/// only that the deployment becomes Stopped); production traffic never moved, so we roll back,
/// which removes the replacement task set.
fn wait_ran_out(state: &mut State, now: Epoch, id: &str, kind: &str) -> bool {
    if kind != "READY" {
        return true;
    }
    finish(
        state,
        now,
        id,
        DeploymentStatus::Stopped,
        None,
        true,
        "The deployment timed out while waiting for traffic to be rerouted",
    );
    false
}

/// World seconds lifecycle event `name` takes: a hook's run time, or none for the events
/// CodeDeploy runs itself.
fn event_seconds(rules: &World, d: &DeploymentRecord, name: &str) -> f64 {
    let hooked = HOOKS.contains(&name) && d.hooks.iter().any(|h| h == name);
    match failing_hook(rules, d, name) {
        Some((_, rule)) => rule.after_seconds.unwrap_or(if rule.timed_out {
            HOOK_TIMEOUT_SECONDS
        } else {
            HOOK_SECONDS
        }),
        None if hooked => HOOK_SECONDS,
        None => 0.0,
    }
}

/// Pending → InProgress of the current event: Install creates the green task set, AllowTraffic
/// makes the first traffic shift.
fn begin_event(state: &mut State, now: Epoch, index: usize) {
    let d = &mut state.codedeploy.deployments[index];
    let name = EVENTS[d.event];
    set_event(d, d.event, LifecycleEventStatus::InProgress, now);
    d.event_until = now + event_seconds(&state.rules, d, name);
    match name {
        "Install" => {
            let minutes = state
                .rules
                .code_deploy
                .install_timeout_minutes
                .unwrap_or(INSTALL_TIMEOUT_MINUTES);
            d.install_until = Some(now + minutes * 60.0);
            traffic::create_green(state, now, index);
        }
        "AllowTraffic" => traffic::shift(d, now),
        _ => {}
    }
}

/// InProgress → Succeeded (or Failed) of the current event once its time has come; `true` when
/// the deployment moves on.
fn end_event(state: &mut State, now: Epoch, id: &str, index: usize) -> bool {
    let d = &mut state.codedeploy.deployments[index];
    let name = EVENTS[d.event];
    if now < d.event_until {
        return false;
    }
    if let Some(error) = hook_failed(&state.rules, d, name) {
        fail(state, now, id, index, error);
        return false;
    }
    match name {
        "Install" => {
            let (cluster, service) = (d.cluster.clone(), d.service.clone());
            let green = d.green.clone().unwrap_or_default();
            // "deployment-steps-ecs" (Install): CodeDeploy waits for the replacement task set to
            // reach a steady state while ECS keeps replacing tasks that fail; only when the wait
            // runs out does the deployment fail (ECS_UPDATE_ERROR; the message is ours).
            let gave_up = d.install_until.is_some_and(|until| now >= until);
            let health = traffic::green_health(state, &cluster, &service, &green);
            match health {
                GreenHealth::Steady => {}
                _ if !gave_up => return false,
                GreenHealth::Starting => {
                    let error = ErrorInformation::builder()
                        .code(ErrorCode::EcsUpdateError)
                        .message("The ECS service cannot reach a steady state: the replacement task set did not become steady before the Install wait ran out.")
                        .build();
                    fail(state, now, id, index, error);
                    return false;
                }
                GreenHealth::Failed => {
                    let error = ErrorInformation::builder()
                        .code(ErrorCode::EcsUpdateError)
                        .message("The ECS service cannot reach a steady state: tasks of the replacement task set failed to start.")
                        .build();
                    fail(state, now, id, index, error);
                    return false;
                }
            }
        }
        "AllowTraffic" if d.traffic < 100.0 => {
            traffic::shift(d, now);
            return true;
        }
        "AllowTraffic" => traffic::make_green_primary(state, now, index),
        _ => {}
    }
    succeed_event(&mut state.codedeploy.deployments[index], now, name)
}

/// Records a failing hook's diagnostics on its lifecycle event and returns the deployment's
/// error (API_Diagnostics, API_ErrorInformation `HOOK_EXECUTION_FAILURE`).
fn hook_failed(rules: &World, d: &mut DeploymentRecord, name: &str) -> Option<ErrorInformation> {
    let (function, rule) = failing_hook(rules, d, name)?;
    let (diagnostic, message) = if rule.timed_out {
        (
            format!(
                "The Lambda function {function} did not report a status for {name} before the hook timed out"
            ),
            format!("Lifecycle event {name} failed: its hook timed out without reporting a status"),
        )
    } else {
        (
            format!("The Lambda function {function} reported Failed for {name}"),
            format!("Lifecycle event {name} failed: its hook reported Failed"),
        )
    };
    let diagnostics = Diagnostics::builder()
        .error_code(LifecycleErrorCode::UnknownError)
        .message(diagnostic)
        .build();
    if let Some(e) = d
        .target
        .lifecycle_events
        .as_mut()
        .and_then(|e| e.get_mut(d.event))
    {
        e.diagnostics = Some(diagnostics);
    }
    Some(
        ErrorInformation::builder()
            .code(ErrorCode::HookExecutionFailure)
            .message(message)
            .build(),
    )
}

/// Marks event `name` Succeeded and moves to the next one, unless the group makes the deployment
/// wait there: Ready after AfterAllowTestTraffic (`deploymentReadyOption`), the termination wait
/// after AfterAllowTraffic (`terminateBlueInstancesOnDeploymentSuccess`). `true` when the
/// deployment moves on.
fn succeed_event(d: &mut DeploymentRecord, now: Epoch, name: &str) -> bool {
    set_event(d, d.event, LifecycleEventStatus::Succeeded, now);
    d.event += 1;
    d.event_until = now;
    if name == "AfterAllowTestTraffic" {
        let bg = d.info.blue_green_deployment_configuration();
        let ready = bg.and_then(|b| b.deployment_ready_option());
        if ready.and_then(|r| r.action_on_timeout()) == Some(&DeploymentReadyAction::StopDeployment)
        {
            d.waiting = Some("READY".to_owned());
            d.wait_until = now + f64::from(ready.map_or(0, |r| r.wait_time_in_minutes)) * 60.0;
            d.info.status = Some(DeploymentStatus::Ready);
            d.target.status = Some(TargetStatus::Ready);
            return false;
        }
    }
    if d.info.status() == Some(&DeploymentStatus::Ready) {
        d.info.status = Some(DeploymentStatus::InProgress);
        d.target.status = Some(TargetStatus::InProgress);
    }
    if name == "AfterAllowTraffic" {
        let wait = d
            .info
            .blue_green_deployment_configuration()
            .and_then(|b| b.terminate_blue_instances_on_deployment_success())
            .map_or(0, |t| t.termination_wait_time_in_minutes);
        if wait > 0 {
            d.info.instance_termination_wait_time_started |= terminates_blue(&d.info);
            d.waiting = Some("TERMINATION".to_owned());
            d.wait_until = now + f64::from(wait) * 60.0;
            return false;
        }
    }
    true
}

/// The hook of lifecycle event `name` and the world's rule that makes it fail, if one does.
fn failing_hook<'a>(
    rules: &'a World,
    d: &DeploymentRecord,
    name: &str,
) -> Option<(String, &'a crate::world::HookFailureRule)> {
    if !HOOKS.contains(&name) {
        return None;
    }
    let function = d.hook_functions.get(name)?;
    rules
        .hook_failure_for(name, function)
        .map(|rule| (function.clone(), rule))
}

/// Whether the group ends the deployment by deleting the original task set
/// (`terminateBlueInstancesOnDeploymentSuccess.action` TERMINATE, the default) rather than
/// keeping it (KEEP_ALIVE).
fn terminates_blue(info: &DeploymentInfo) -> bool {
    info.blue_green_deployment_configuration()
        .and_then(|b| b.terminate_blue_instances_on_deployment_success())
        .and_then(|t| t.action())
        .is_none_or(|a| a.as_str() == "TERMINATE")
}

/// Whether `event` rolls deployment `d` back: its `autoRollbackConfiguration` is enabled and
/// lists the event (API_AutoRollbackConfiguration, `events`: "The event type or types that
/// trigger a rollback"). A rollback deployment is never rolled back itself (not documented; a
/// rollback of a rollback would undo what it restored).
pub(super) fn rolls_back_on(d: &DeploymentRecord, event: &AutoRollbackEvent) -> bool {
    d.rollback_of.is_none()
        && d.info
            .auto_rollback_configuration()
            .is_some_and(|c| c.enabled && c.events().contains(event))
}

/// Fails the current lifecycle event and the deployment (rolled back when its
/// `autoRollbackConfiguration` lists DEPLOYMENT_FAILURE).
fn fail(state: &mut State, now: Epoch, id: &str, index: usize, error: ErrorInformation) {
    let d = &mut state.codedeploy.deployments[index];
    set_event(d, d.event, LifecycleEventStatus::Failed, now);
    let rollback = rolls_back_on(d, &AutoRollbackEvent::DeploymentFailure);
    finish(
        state,
        now,
        id,
        DeploymentStatus::Failed,
        Some(error),
        rollback,
        "Deployment failed",
    );
}

/// Ends a deployment; with `rollback`, a rollback deployment starts that puts the blue task set
/// back. Returns the rollback deployment's ID.
pub(super) fn finish(
    state: &mut State,
    now: Epoch,
    id: &str,
    status: DeploymentStatus,
    error: Option<ErrorInformation>,
    rollback: bool,
    message: &str,
) -> Option<String> {
    let index = index_of(state, id)?;
    let d = &mut state.codedeploy.deployments[index];
    let success = status == DeploymentStatus::Succeeded;
    d.info.status = Some(status);
    d.info.complete_time = Some(timestamp(now));
    // API_DeploymentInfo, `deploymentStatusMessages`: "Messages that contain information about
    // the status of a deployment". What AWS writes there is not documented; ours says why a
    // deployment did not succeed.
    if !success {
        let why = error
            .as_ref()
            .and_then(|e| e.message())
            .unwrap_or(message)
            .to_owned();
        d.info
            .deployment_status_messages
            .get_or_insert_with(Vec::new)
            .push(why);
    }
    d.info.error_information = error;
    d.info.deployment_overview = Some(if success {
        overview(0, 0, 1, 0)
    } else {
        overview(0, 0, 0, 1)
    });
    d.target.status = Some(if success {
        TargetStatus::Succeeded
    } else {
        TargetStatus::Failed
    });
    d.waiting = None;
    if !success {
        // What was under way failed; what never started is skipped.
        for i in 0..EVENTS.len() {
            match event_status(d, i) {
                Some(LifecycleEventStatus::InProgress) => {
                    set_event(d, i, LifecycleEventStatus::Failed, now);
                }
                Some(LifecycleEventStatus::Pending) => {
                    set_event(d, i, LifecycleEventStatus::Skipped, now);
                }
                _ => {}
            }
        }
    }
    let rolled_back = d.rollback_of.clone();
    traffic::refresh_target(state, now, id);
    if let Some(triggering) = rolled_back {
        // API_RollbackInfo, `rollbackMessage`: "whether the deployment can't be rolled back, is
        // in progress, failed, or succeeded" (the wording is ours).
        let outcome = if success { "succeeded" } else { "failed" };
        if let Some(t) = index_of(state, &triggering) {
            let info = &mut state.codedeploy.deployments[t].info;
            let rollback = info
                .rollback_info
                .get_or_insert_with(|| RollbackInfo::builder().build());
            rollback.rollback_message = Some(format!("Rollback deployment {id} {outcome}"));
        }
        return None;
    }
    (rollback && !success).then(|| start_rollback(state, now, index))
}

/// Starts the rollback deployment of deployment `index` (user guide,
/// "deployments-rollback-and-redeploy": a rollback is a new deployment with its own ID; API
/// RollbackInfo: the failed or stopped deployment names it in `rollbackDeploymentId`, it names
/// the one it rolls back in `rollbackTriggeringDeploymentId`; API_DeploymentInfo `creator`
/// `codeDeployRollback`). Its revision is the group's last successful one, when there is one.
fn start_rollback(state: &mut State, now: Epoch, index: usize) -> String {
    let rollback_id = format!("d-{}", state.ids.alnum_id(9).to_uppercase());
    let d = &state.codedeploy.deployments[index];
    let triggering = d.info.deployment_id().unwrap_or_default().to_owned();
    let (app, group) = (
        d.info.application_name().map(str::to_owned),
        d.info.deployment_group_name().map(str::to_owned),
    );
    let last_good = state.codedeploy.deployments.iter().rev().find(|o| {
        o.info.status() == Some(&DeploymentStatus::Succeeded)
            && o.info.application_name() == app.as_deref()
            && o.info.deployment_group_name() == group.as_deref()
    });
    let revision = last_good.and_then(|o| o.info.revision().cloned());
    let task_definition = last_good.map_or_else(String::new, |o| o.task_definition.clone());
    let stamp = timestamp(now);
    let info = DeploymentInfo::builder()
        .set_application_name(app)
        .set_deployment_group_name(group)
        .set_deployment_config_name(d.info.deployment_config_name().map(str::to_owned))
        .deployment_id(&rollback_id)
        .set_revision(revision)
        .status(DeploymentStatus::Created)
        .create_time(stamp)
        .deployment_overview(overview(0, 0, 0, 0))
        .creator(DeploymentCreator::CodeDeployRollback)
        .rollback_info(
            RollbackInfo::builder()
                .rollback_triggering_deployment_id(&triggering)
                .build(),
        )
        .deployment_status_messages(format!("Rolling back deployment {triggering}"))
        .set_deployment_style(d.info.deployment_style().cloned())
        .set_load_balancer_info(d.info.load_balancer_info().cloned())
        .set_compute_platform(d.info.compute_platform().cloned())
        .build();
    let target = EcsTarget::builder()
        .deployment_id(&rollback_id)
        .set_target_id(d.target.target_id().map(str::to_owned))
        .set_target_arn(d.target.target_arn().map(str::to_owned))
        .last_updated_at(stamp)
        .set_lifecycle_events(Some(
            ROLLBACK_EVENTS
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
    let record = DeploymentRecord {
        info: crate::codec::Sdk(info),
        target: crate::codec::Sdk(target),
        cluster: d.cluster.clone(),
        service: d.service.clone(),
        task_definition,
        hooks: Vec::new(),
        hook_functions: std::collections::BTreeMap::new(),
        blue: d.blue.clone(),
        green: d.green.clone(),
        event: 0,
        event_until: now,
        // Production traffic as the failed deployment left it; the rollback moves it back.
        traffic: d.traffic,
        waiting: None,
        wait_until: 0.0,
        rollback_of: Some(triggering),
        install_until: None,
    };
    let d = &mut state.codedeploy.deployments[index];
    d.info.rollback_info = Some(
        RollbackInfo::builder()
            .rollback_deployment_id(&rollback_id)
            .rollback_message(format!("Rollback deployment {rollback_id} in progress"))
            .build(),
    );
    state.codedeploy.deployments.push(record);
    rollback_id.clone()
}

/// One transition of a rollback deployment: production traffic back to the original (blue) task
/// set, which becomes primary, over [`ROLLBACK_REROUTE_SECONDS`]; then the replacement (green)
/// task set is deleted, and the deployment succeeds once it is gone. `true` when it moves on.
fn advance_rollback(state: &mut State, now: Epoch, id: &str, index: usize) -> bool {
    let d = &mut state.codedeploy.deployments[index];
    if d.event >= ROLLBACK_EVENTS.len() {
        if traffic::task_set_exists(state, index, false) {
            state.codedeploy.deployments[index].event_until = now + 1.0;
        } else {
            finish(state, now, id, DeploymentStatus::Succeeded, None, false, "");
        }
        return false;
    }
    match event_status(d, d.event) {
        Some(LifecycleEventStatus::Pending) => {
            set_event(d, d.event, LifecycleEventStatus::InProgress, now);
            d.event_until = now + ROLLBACK_REROUTE_SECONDS;
            d.traffic = 0.0;
            traffic::make_blue_primary(state, now, index);
            true
        }
        Some(LifecycleEventStatus::InProgress) if now >= d.event_until => {
            set_event(d, d.event, LifecycleEventStatus::Succeeded, now);
            d.event += 1;
            traffic::delete_green(state, now, index);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_codedeploy::types::{DeploymentStatus, ErrorCode, LifecycleErrorCode};

    use super::EVENTS;
    use crate::testkit::{Kit, code_deploy_world};

    /// Steps the world every second from `from` to `to`, recording the lifecycle events in the
    /// order they succeed and each new green traffic weight.
    fn walk(kit: &mut Kit, id: &str, from: u32, to: u32) -> (Vec<String>, Vec<f64>) {
        let (mut succeeded, mut weights) = (Vec::new(), Vec::new());
        for t in from..=to {
            kit.step_all(f64::from(t));
            for (name, status) in kit.lifecycle(id) {
                if status == "Succeeded" && !succeeded.contains(&name) {
                    succeeded.push(name);
                }
            }
            if let Some(w) = kit.weight(id, "Green")
                && weights.last() != Some(&w)
            {
                weights.push(w);
                let blue = kit.weight(id, "Blue").unwrap_or(0.0);
                assert_eq!(blue + w, 100.0, "blue and green share the traffic");
            }
        }
        (succeeded, weights)
    }

    // CodeDeploy user guide, "reference-appspec-file-structure-hooks" (order of the lifecycle
    // events of an Amazon ECS deployment) and "deployment-configurations"
    // (CodeDeployDefault.ECSLinear10PercentEvery1Minutes).
    #[test]
    fn lifecycle_events_succeed_in_order_while_traffic_moves_ten_percent_a_minute() {
        let mut kit = Kit::new(&code_deploy_world(""));
        let (_, v2) = kit.code_deploy_service();
        let id = kit.create_deployment(20.0, &v2);
        let (succeeded, weights) = walk(&mut kit, &id, 20, 700);
        assert_eq!(succeeded, EVENTS);
        let expected: Vec<f64> = (0..=10).map(|i| f64::from(i) * 10.0).collect();
        assert_eq!(weights, expected);
        let d = kit.deployment(&id);
        assert_eq!(d.info.status(), Some(&DeploymentStatus::Succeeded));
        // The blue task set is gone; green, on web:2, is PRIMARY.
        let sets = kit.service("web").service.task_sets();
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].status(), Some("PRIMARY"));
        assert_eq!(sets[0].task_definition(), Some(v2.as_str()));
        assert_eq!(sets[0].id(), d.green.as_deref());
    }

    // CodeDeploy user guide, "reference-appspec-file-structure-hooks": a hook that reports
    // Failed fails its lifecycle event and the deployment (API_ErrorInformation
    // HOOK_EXECUTION_FAILURE); the events after it are Skipped; with DEPLOYMENT_FAILURE in the
    // group's autoRollbackConfiguration, a rollback deployment ("deployments-rollback-and-
    // redeploy") restores blue.
    #[test]
    fn a_failing_hook_fails_its_event_and_the_deployment_rolls_back() {
        let world = code_deploy_world(
            "hookFailures:\n  - {function: \"*:function:smoke\", event: AfterAllowTestTraffic}\n",
        );
        let mut kit = Kit::new(&world);
        let (v1, v2) = kit.code_deploy_service();
        let id = kit.create_deployment(20.0, &v2);
        let (succeeded, _) = walk(&mut kit, &id, 20, 60);
        assert_eq!(succeeded, EVENTS[..4]);
        let d = kit.deployment(&id);
        assert_eq!(d.info.status(), Some(&DeploymentStatus::Failed));
        let error = d.info.error_information().expect("error");
        assert_eq!(error.code(), Some(&ErrorCode::HookExecutionFailure));
        let rollback = d
            .info
            .rollback_info()
            .and_then(|r| r.rollback_deployment_id())
            .expect("a rollback deployment")
            .to_owned();
        assert_eq!(
            kit.deployment(&rollback).info.status(),
            Some(&DeploymentStatus::Succeeded)
        );
        let d = kit.deployment(&id);
        let statuses: Vec<String> = kit.lifecycle(&id).into_iter().map(|e| e.1).collect();
        assert_eq!(
            statuses[4..],
            ["Failed", "Skipped", "Skipped", "Skipped"].map(str::to_owned)
        );
        let failed = &d.target.lifecycle_events()[4];
        let diagnostics = failed.diagnostics().expect("diagnostics");
        assert_eq!(
            diagnostics.error_code(),
            Some(&LifecycleErrorCode::UnknownError)
        );
        // The hook ran HOOK_SECONDS: the deployment failed 5 s after the test traffic moved.
        assert!(
            diagnostics
                .message()
                .unwrap_or_default()
                .contains("function:smoke")
        );
        let sets = kit.service("web").service.task_sets();
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].task_definition(), Some(v1.as_str()));
    }

    // API_DeploymentReadyOption: with actionOnTimeout STOP_DEPLOYMENT the deployment waits,
    // Ready, after the test traffic; when waitTimeInMinutes runs out without ContinueDeployment
    // it is stopped and rolled back.
    #[test]
    fn a_ready_wait_that_runs_out_stops_the_deployment() {
        let world = code_deploy_world("").replace(
            "      autoRollbackConfiguration:",
            "      blueGreenDeploymentConfiguration:\n        deploymentReadyOption: {actionOnTimeout: STOP_DEPLOYMENT, waitTimeInMinutes: 1}\n      autoRollbackConfiguration:",
        );
        let mut kit = Kit::new(&world);
        let (v1, v2) = kit.code_deploy_service();
        let id = kit.create_deployment(20.0, &v2);
        walk(&mut kit, &id, 20, 94);
        // AfterAllowTestTraffic ended at 35: Ready until 95.
        assert_eq!(
            kit.deployment(&id).info.status(),
            Some(&DeploymentStatus::Ready)
        );
        walk(&mut kit, &id, 95, 110);
        let d = kit.deployment(&id);
        assert_eq!(d.info.status(), Some(&DeploymentStatus::Stopped));
        // API_DeploymentInfo, deploymentStatusMessages (the wording is ours).
        let messages = d.info.deployment_status_messages();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("timed out while waiting")),
            "{messages:?}"
        );
        assert!(
            d.info
                .rollback_info()
                .and_then(|r| r.rollback_deployment_id())
                .is_some()
        );
        let sets = kit.service("web").service.task_sets();
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].task_definition(), Some(v1.as_str()));
    }

    // CodeDeploy user guide, "deployment-steps-ecs" (Install): CodeDeploy waits for the
    // replacement task set to reach a steady state while ECS keeps replacing the tasks that fail;
    // only when the wait runs out (no figure documented: `installTimeoutMinutes`, 60 by default)
    // does the deployment fail, with ECS_UPDATE_ERROR.
    #[test]
    fn failing_green_tasks_fail_the_install_only_when_its_wait_runs_out() {
        let failures = "failures:\n  - {image: \"*:broken*\", exitCode: 2}\n";
        let world = code_deploy_world(failures)
            .replace("codeDeploy:\n", "codeDeploy:\n  installTimeoutMinutes: 3\n");
        let mut kit = Kit::new(&world);
        let (_, _) = kit.code_deploy_service();
        let broken = kit.register("web", "web:broken");
        let id = kit.create_deployment(20.0, &broken);
        walk(&mut kit, &id, 20, 190);
        // Three minutes after Install began (at 20), tasks still being replaced.
        let d = kit.deployment(&id);
        assert_eq!(d.info.status(), Some(&DeploymentStatus::InProgress));
        assert_eq!(kit.lifecycle(&id)[1].1, "InProgress", "Install");
        let stopped = kit
            .service("web")
            .tasks
            .values()
            .filter(|t| t.task.last_status() == Some("STOPPED"))
            .count();
        assert!(
            stopped > 3,
            "ECS keeps replacing the failing tasks: {stopped}"
        );
        walk(&mut kit, &id, 191, 210);
        let d = kit.deployment(&id);
        assert_eq!(d.info.status(), Some(&DeploymentStatus::Failed));
        assert_eq!(
            d.info.error_information().and_then(|e| e.code()),
            Some(&ErrorCode::EcsUpdateError)
        );
        assert_eq!(kit.lifecycle(&id)[1].1, "Failed", "Install");
    }

    // The default Install wait is an hour (INSTALL_TIMEOUT_MINUTES; no figure documented).
    #[test]
    fn install_waits_an_hour_by_default() {
        let world = code_deploy_world("failures:\n  - {image: \"*:broken*\", exitCode: 2}\n");
        let mut kit = Kit::new(&world);
        let (_, _) = kit.code_deploy_service();
        let broken = kit.register("web", "web:broken");
        let id = kit.create_deployment(20.0, &broken);
        walk(&mut kit, &id, 20, 60);
        let until = kit.deployment(&id).install_until.map(|u| u - kit.t0);
        assert_eq!(until, Some(20.0 + 3600.0));
        assert_eq!(
            kit.deployment(&id).info.status(),
            Some(&DeploymentStatus::InProgress)
        );
    }

    // API_AutoRollbackConfiguration, `events`: only the events listed trigger a rollback. A
    // group that rolls back on DEPLOYMENT_STOP_ON_ALARM only leaves a failed deployment as it is:
    // no rollback deployment, the replacement task set stays.
    #[test]
    fn a_group_without_deployment_failure_does_not_roll_back_a_failed_deployment() {
        let world = code_deploy_world(
            "hookFailures:\n  - {function: \"*:function:smoke\", event: AfterAllowTestTraffic}\n",
        )
        .replace(
            "events: [DEPLOYMENT_FAILURE]",
            "events: [DEPLOYMENT_STOP_ON_ALARM]",
        );
        let mut kit = Kit::new(&world);
        let (_, v2) = kit.code_deploy_service();
        let id = kit.create_deployment(20.0, &v2);
        walk(&mut kit, &id, 20, 60);
        let d = kit.deployment(&id);
        assert_eq!(d.info.status(), Some(&DeploymentStatus::Failed));
        assert!(d.info.rollback_info().is_none());
        assert_eq!(kit.state.codedeploy.deployments.len(), 1);
        assert_eq!(kit.service("web").service.task_sets().len(), 2);
    }
}
