//! The lifecycle-event walk of an ECS blue/green deployment (CodeDeploy user guide,
//! "reference-appspec-file-structure-hooks", list of lifecycle event hooks for an Amazon ECS
//! deployment): each event goes Pending → InProgress → Succeeded, hooks named in the AppSpec take
//! [`HOOK_SECONDS`](super::HOOK_SECONDS) and may fail by a world rule, the deployment waits where
//! the group says so, and ends Succeeded, Failed or Stopped (with rollback).

use aws_sdk_codedeploy::types::{
    DeploymentReadyAction, DeploymentStatus, Diagnostics, ErrorCode, ErrorInformation,
    LifecycleErrorCode, LifecycleEventStatus, RollbackInfo, TargetStatus,
};

use super::traffic::{self, GreenHealth, refresh_target};
use super::{
    CodeDeployState, DeploymentRecord, EVENTS, HOOK_SECONDS, HOOK_TIMEOUT_SECONDS, HOOKS, active,
    index_of, overview,
};
use crate::clock::{Epoch, timestamp};
use crate::state::State;
use crate::world::World;

/// The next time a deployment moves on its own.
pub fn next_event(cd: &CodeDeployState, now: Epoch) -> Option<Epoch> {
    cd.deployments
        .iter()
        .filter(|d| active(d))
        .flat_map(|d| [d.event_until, d.wait_until])
        .filter(|t| *t > now)
        .reduce(f64::min)
}

/// Moves every active deployment as far as it can go at `now`.
pub fn step(state: &mut State, now: Epoch) {
    let ids: Vec<String> = state
        .codedeploy
        .deployments
        .iter()
        .filter(|d| active(d))
        .filter_map(|d| d.info.deployment_id().map(str::to_owned))
        .collect();
    for id in ids {
        for _ in 0..32 {
            if !advance_one(state, now, &id) {
                break;
            }
        }
        refresh_target(state, now, &id);
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
    if d.event >= EVENTS.len() {
        // Traffic has moved; the blue task set goes.
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
        "Install" => traffic::create_green(state, now, index),
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
            match traffic::green_health(state, &cluster, &service, &green) {
                GreenHealth::Steady => {}
                GreenHealth::Starting => return false,
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

/// Fails the current lifecycle event and the deployment (rolled back when auto-rollback is on).
fn fail(state: &mut State, now: Epoch, id: &str, index: usize, error: ErrorInformation) {
    let d = &mut state.codedeploy.deployments[index];
    set_event(d, d.event, LifecycleEventStatus::Failed, now);
    let rollback = d
        .info
        .auto_rollback_configuration()
        .is_some_and(|c| c.enabled);
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

/// Ends a deployment; with `rollback`, the blue task set serves again and the green one goes.
pub(super) fn finish(
    state: &mut State,
    now: Epoch,
    id: &str,
    status: DeploymentStatus,
    error: Option<ErrorInformation>,
    rollback: bool,
    message: &str,
) {
    let Some(index) = index_of(state, id) else {
        return;
    };
    let d = &mut state.codedeploy.deployments[index];
    let success = status == DeploymentStatus::Succeeded;
    d.info.status = Some(status);
    d.info.complete_time = Some(timestamp(now));
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
    if rollback && !success {
        d.traffic = 0.0;
        d.info.rollback_info = Some(
            RollbackInfo::builder()
                .rollback_message(format!("{message}; rolled back to the original task set"))
                .build(),
        );
        traffic::restore_blue(state, now, index);
    }
    traffic::refresh_target(state, now, id);
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
    // HOOK_EXECUTION_FAILURE); the events after it are Skipped; auto-rollback restores blue.
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
        assert!(d.info.rollback_info().is_some());
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
        walk(&mut kit, &id, 95, 100);
        let d = kit.deployment(&id);
        assert_eq!(d.info.status(), Some(&DeploymentStatus::Stopped));
        let rollback = d.info.rollback_info().and_then(|r| r.rollback_message());
        assert!(
            rollback.is_some_and(|m| m.contains("timed out while waiting")),
            "{rollback:?}"
        );
        let sets = kit.service("web").service.task_sets();
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].task_definition(), Some(v1.as_str()));
    }

    // CodeDeploy user guide, "deployment-steps-ecs" (Install): replacement tasks that fail to
    // start fail the deployment with ECS_UPDATE_ERROR.
    #[test]
    fn failing_green_tasks_fail_the_install() {
        let world = code_deploy_world("failures:\n  - {image: \"*:broken*\", exitCode: 2}\n");
        let mut kit = Kit::new(&world);
        let (_, _) = kit.code_deploy_service();
        let broken = kit.register("web", "web:broken");
        let id = kit.create_deployment(20.0, &broken);
        walk(&mut kit, &id, 20, 120);
        let d = kit.deployment(&id);
        assert_eq!(d.info.status(), Some(&DeploymentStatus::Failed));
        assert_eq!(
            d.info.error_information().and_then(|e| e.code()),
            Some(&ErrorCode::EcsUpdateError)
        );
        assert_eq!(kit.lifecycle(&id)[1].1, "Failed", "Install");
    }
}
