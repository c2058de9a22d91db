//! Deployment lifecycle hooks of native strategies (`deploymentConfiguration.lifecycleHooks`;
//! ECS developer guide, "deployment-lifecycle-hooks", "pause-lifecycle-hooks",
//! "lambda-lifecycle-hooks"; API_DeploymentLifecycleHook, API_DeploymentLifecycleHookDetail).
//!
//! A deployment that reaches a stage named in a hook's `lifecycleStages` stays there until
//! every hook of the stage has resolved:
//!
//! - a `PAUSE` hook waits for ContinueServiceDeployment (`AWAITING_ACTION`) until
//!   `timeoutConfiguration.timeoutInMinutes` (default 1440), then is `TIMED_OUT` and its
//!   `action` (default `ROLLBACK`) is taken;
//! - an `AWS_LAMBDA` hook is `IN_PROGRESS` and reports `SUCCEEDED` a few world seconds later,
//!   or `FAILED` / `TIMED_OUT` when an `ecsHookFailures` rule of the world file matches it
//!   (there is no Lambda in the simulator: the rule is its function's answer).
//!
//! A failed hook, or a timed-out one whose action is `ROLLBACK`, rolls the deployment back.
//! Each run of a hook is one entry of the service deployment's `lifecycleHookDetails`, kept
//! after it resolves (whether AWS drops resolved entries is not documented).

use aws_sdk_ecs::types::{
    DeploymentLifecycleHook, DeploymentLifecycleHookAction, DeploymentLifecycleHookDetail,
    DeploymentLifecycleHookStatus, DeploymentLifecycleHookTargetType,
};
use serde::{Deserialize, Serialize};

use super::ts;
use crate::clock::Epoch;
use crate::ecs::ServiceRecord;
use crate::state::Ids;
use crate::world::World;

/// World seconds a Lambda hook takes to report `SUCCEEDED` (AWS gives no figure; its function
/// is invoked and answers, the guide's default callback interval being 30 s).
pub const LAMBDA_SECONDS: f64 = 5.0;
/// World seconds until a failing Lambda hook reports `FAILED` when its rule gives none.
const LAMBDA_FAIL_SECONDS: f64 = 5.0;
/// API_DeploymentLifecycleHookTimeoutConfiguration: `timeoutInMinutes` default 1440.
pub const DEFAULT_TIMEOUT_MINUTES: i32 = 1440;

/// The native lifecycle of one deployment: the hook runs and where the production traffic
/// shift is.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lifecycle {
    /// Every hook run of the deployment, oldest first.
    #[serde(default)]
    pub hooks: Vec<HookRun>,
    /// Production traffic shift steps done.
    #[serde(default)]
    pub shifts: u32,
    /// Whether the current step's traffic has moved (its PRE_PRODUCTION_TRAFFIC_SHIFT hooks
    /// passed).
    #[serde(default)]
    pub shifted: bool,
}

/// One run of a hook at one stage (and production shift step).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookRun {
    pub hook_id: String,
    /// The hook stage (`DeploymentLifecycleHookStage`) it runs at.
    pub stage: String,
    /// The production shift step it belongs to (0 outside the traffic shift).
    pub round: u32,
    pub target_type: String,
    pub target_arn: Option<String>,
    pub status: String,
    pub expires_at: Epoch,
    pub timeout_action: String,
    /// When a pending run resolves by itself, and to what status.
    pub resolve_at: Epoch,
    pub resolve_to: String,
}

impl HookRun {
    pub fn is_pending(&self) -> bool {
        matches!(self.status.as_str(), "AWAITING_ACTION" | "IN_PROGRESS")
    }

    fn detail(&self) -> DeploymentLifecycleHookDetail {
        DeploymentLifecycleHookDetail::builder()
            .hook_id(&self.hook_id)
            .target_type(DeploymentLifecycleHookTargetType::from(
                self.target_type.as_str(),
            ))
            .set_target_arn(self.target_arn.clone())
            .status(DeploymentLifecycleHookStatus::from(self.status.as_str()))
            .expires_at(ts(self.expires_at))
            .timeout_action(DeploymentLifecycleHookAction::from(
                self.timeout_action.as_str(),
            ))
            .build()
    }
}

/// What the hooks of a stage say.
#[derive(Debug, PartialEq)]
pub enum Gate {
    /// Every hook of the stage succeeded (or there is none): the deployment moves on.
    Pass,
    /// A hook is still running or awaiting action.
    Wait,
    /// A hook failed or timed out with ROLLBACK: the reason to report.
    Rollback(String),
}

fn target_type(h: &DeploymentLifecycleHook) -> DeploymentLifecycleHookTargetType {
    h.target_type()
        .cloned()
        .unwrap_or(DeploymentLifecycleHookTargetType::AwsLambda)
}

/// Runs the hooks of `stage` (step `round`) for the PRIMARY deployment of `svc`: starts them
/// the first time, resolves the ones due at `now`, and says whether the deployment may go on.
pub fn gate(
    svc: &mut ServiceRecord,
    ids: &mut Ids,
    rules: &World,
    now: Epoch,
    stage: &str,
    round: u32,
) -> Gate {
    let hooks: Vec<DeploymentLifecycleHook> = svc
        .service
        .deployment_configuration()
        .map(|dc| dc.lifecycle_hooks().to_vec())
        .unwrap_or_default()
        .into_iter()
        .filter(|h| h.lifecycle_stages().iter().any(|s| s.as_str() == stage))
        .collect();
    if hooks.is_empty() {
        return Gate::Pass;
    }
    let Some(r) = svc.rollouts.first_mut() else {
        return Gate::Pass;
    };
    let started = r
        .lifecycle
        .hooks
        .iter()
        .any(|h| h.stage == stage && h.round == round);
    if !started {
        for h in &hooks {
            let run = start(h, ids, rules, now, stage, round);
            r.lifecycle.hooks.push(run);
        }
    }
    for run in &mut r.lifecycle.hooks {
        if run.stage == stage && run.round == round && run.is_pending() && now >= run.resolve_at {
            run.status.clone_from(&run.resolve_to);
        }
    }
    let runs: Vec<&HookRun> = r
        .lifecycle
        .hooks
        .iter()
        .filter(|h| h.stage == stage && h.round == round)
        .collect();
    // Wording of the reasons is not documented by AWS: plain ones.
    let verdict = if let Some(f) = runs.iter().find(|h| h.status == "FAILED") {
        Gate::Rollback(format!(
            "Lifecycle hook {} failed at stage {stage}.",
            f.hook_id
        ))
    } else if let Some(t) = runs
        .iter()
        .find(|h| h.status == "TIMED_OUT" && h.timeout_action == "ROLLBACK")
    {
        Gate::Rollback(format!(
            "Lifecycle hook {} timed out at stage {stage}.",
            t.hook_id
        ))
    } else if runs.iter().any(|h| h.is_pending()) {
        Gate::Wait
    } else {
        Gate::Pass
    };
    sync_details(svc);
    verdict
}

fn start(
    h: &DeploymentLifecycleHook,
    ids: &mut Ids,
    rules: &World,
    now: Epoch,
    stage: &str,
    round: u32,
) -> HookRun {
    let timeout = h.timeout_configuration();
    let minutes = timeout
        .and_then(|t| t.timeout_in_minutes())
        .unwrap_or(DEFAULT_TIMEOUT_MINUTES);
    let expires_at = now + f64::from(minutes.max(0)) * 60.0;
    let timeout_action = timeout
        .and_then(|t| t.action())
        .map_or("ROLLBACK", DeploymentLifecycleHookAction::as_str)
        .to_owned();
    let kind = target_type(h);
    let target_arn = h.hook_target_arn().map(str::to_owned);
    // pause-lifecycle-hooks shows `ecs-pause-` and 43 URL-safe characters; the form of a
    // Lambda hook's ID is not documented (the same form with `ecs-lambda-` is assumed).
    let hook_id = match kind {
        DeploymentLifecycleHookTargetType::Pause => format!("ecs-pause-{}", ids.alnum_id(43)),
        _ => format!("ecs-lambda-{}", ids.alnum_id(43)),
    };
    let (status, resolve_at, resolve_to) = match kind {
        DeploymentLifecycleHookTargetType::Pause => ("AWAITING_ACTION", expires_at, "TIMED_OUT"),
        _ => match rules.ecs_hook_failure_for(stage, target_arn.as_deref().unwrap_or_default()) {
            None => ("IN_PROGRESS", now + LAMBDA_SECONDS, "SUCCEEDED"),
            Some(rule) if rule.timed_out => ("IN_PROGRESS", expires_at, "TIMED_OUT"),
            Some(rule) => (
                "IN_PROGRESS",
                now + rule.after_seconds.unwrap_or(LAMBDA_FAIL_SECONDS).max(0.0),
                "FAILED",
            ),
        },
    };
    HookRun {
        hook_id,
        stage: stage.to_owned(),
        round,
        target_type: kind.as_str().to_owned(),
        target_arn: target_arn.filter(|_| kind != DeploymentLifecycleHookTargetType::Pause),
        status: status.to_owned(),
        expires_at,
        timeout_action,
        resolve_at,
        resolve_to: resolve_to.to_owned(),
    }
}

/// Writes the PRIMARY deployment's hook runs into its service deployment's
/// `lifecycleHookDetails`.
pub fn sync_details(svc: &mut ServiceRecord) {
    let Some(r) = svc.rollouts.first() else {
        return;
    };
    if r.lifecycle.hooks.is_empty() {
        return;
    }
    let details: Vec<DeploymentLifecycleHookDetail> =
        r.lifecycle.hooks.iter().map(HookRun::detail).collect();
    let arn = r.service_deployment_arn.clone();
    if let Some(sd) = svc
        .service_deployments
        .iter_mut()
        .find(|sd| sd.service_deployment_arn() == Some(arn.as_str()))
    {
        sd.lifecycle_hook_details = Some(details);
    }
}

/// The earliest time a pending hook run of `svc` resolves by itself, after `now`.
pub fn next_resolution(svc: &ServiceRecord, now: Epoch) -> Option<Epoch> {
    svc.rollouts
        .first()
        .into_iter()
        .flat_map(|r| r.lifecycle.hooks.iter())
        .filter(|h| h.is_pending() && h.resolve_at > now)
        .map(|h| h.resolve_at)
        .reduce(f64::min)
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{
        DeploymentLifecycleHookStatus, DeploymentRolloutState, ServiceDeploymentStatus,
    };
    use serde_json::{Value, json};

    use crate::testkit::{Kit, WORLD};

    const SMOKE: &str = "arn:aws:lambda:us-east-1:123456789012:function:smoke";

    /// A steady BLUE_GREEN service of 2 tasks (bake time 1 minute) with `hooks`, updated to
    /// `web:2` at 20. Returns the kit, the blue and the green deployment IDs.
    fn deploy_with(world: &str, hooks: Value) -> (Kit, String, String) {
        let mut kit = Kit::new(world);
        let dc = json!({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1, "lifecycleHooks": hooks});
        let (_, v2) = kit.steady_service(2, dc, "web:2");
        let blue = kit.deployment_ids("web")[0].clone();
        let green = kit.update(20.0, &v2);
        (kit, blue, green)
    }

    fn sd(kit: &Kit) -> &aws_sdk_ecs::types::ServiceDeployment {
        &kit.service("web").service_deployments.last().expect("sd").0
    }

    fn sd_arn(kit: &Kit) -> String {
        sd(kit)
            .service_deployment_arn()
            .unwrap_or_default()
            .to_owned()
    }

    fn lifecycle_stage(kit: &Kit) -> Option<String> {
        sd(kit).lifecycle_stage().map(|s| s.as_str().to_owned())
    }

    /// `(hookId, status)` of the service deployment's hooks, in order.
    fn hooks(kit: &Kit) -> Vec<(String, String)> {
        sd(kit)
            .lifecycle_hook_details()
            .iter()
            .map(|h| {
                (
                    h.hook_id().unwrap_or_default().to_owned(),
                    h.status()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                )
            })
            .collect()
    }

    fn status(kit: &Kit) -> Option<ServiceDeploymentStatus> {
        sd(kit).status().cloned()
    }

    /// Steps the world every second from `from` to `to`.
    fn run(kit: &mut Kit, from: u32, to: u32) {
        for t in from..=to {
            kit.step(f64::from(t));
        }
    }

    // API_ServiceDeployment, `lifecycleStage`, and the ECS developer guide,
    // "blue-green-deployment-how-it-works": PRE_SCALE_UP, SCALE_UP, POST_SCALE_UP,
    // TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT,
    // POST_PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, CLEAN_UP, in this order (Lambda hooks at every
    // hook stage make each one last a few seconds).
    #[test]
    fn every_stage_is_walked_in_order() {
        let stages = [
            "PRE_SCALE_UP",
            "POST_SCALE_UP",
            "TEST_TRAFFIC_SHIFT",
            "POST_TEST_TRAFFIC_SHIFT",
            "PRE_PRODUCTION_TRAFFIC_SHIFT",
            "PRODUCTION_TRAFFIC_SHIFT",
            "POST_PRODUCTION_TRAFFIC_SHIFT",
        ];
        let (mut kit, _, _) = deploy_with(
            WORLD,
            json!([{"targetType": "AWS_LAMBDA", "hookTargetArn": SMOKE, "roleArn": "arn:aws:iam::123456789012:role/hooks", "lifecycleStages": stages}]),
        );
        let mut seen: Vec<String> = lifecycle_stage(&kit).into_iter().collect();
        for t in 21..=200 {
            kit.step(f64::from(t));
            if let Some(s) = lifecycle_stage(&kit)
                && seen.last() != Some(&s)
            {
                seen.push(s);
            }
        }
        assert_eq!(
            seen,
            [
                "PRE_SCALE_UP",
                "SCALE_UP",
                "POST_SCALE_UP",
                "TEST_TRAFFIC_SHIFT",
                "POST_TEST_TRAFFIC_SHIFT",
                "PRODUCTION_TRAFFIC_SHIFT",
                "POST_PRODUCTION_TRAFFIC_SHIFT",
                "BAKE_TIME",
                "CLEAN_UP",
            ]
        );
        assert_eq!(status(&kit), Some(ServiceDeploymentStatus::Successful));
        let all = hooks(&kit);
        assert_eq!(all.len(), 7, "one run per hook stage: {all:?}");
        assert!(
            all.iter()
                .all(|(id, s)| s == "SUCCEEDED" && id.starts_with("ecs-lambda-"))
        );
    }

    // API_DeploymentLifecycleHook, RECONCILE_SERVICE: "only happens when you start a new service
    // deployment with more than 1 service revision in an ACTIVE state".
    #[test]
    fn reconcile_service_comes_first_when_two_revisions_are_active() {
        let mut kit = Kit::new(WORLD);
        let hooks = json!([{"hookTargetArn": SMOKE, "lifecycleStages": ["RECONCILE_SERVICE"]}]);
        let dc = json!({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1, "lifecycleHooks": hooks});
        let (_, v2) = kit.steady_service(2, dc, "web:2");
        kit.update(20.0, &v2);
        assert_eq!(lifecycle_stage(&kit).as_deref(), Some("SCALE_UP"));
        let v3 = kit.register("web", "web:3");
        kit.update(25.0, &v3);
        assert_eq!(lifecycle_stage(&kit).as_deref(), Some("RECONCILE_SERVICE"));
        kit.step(30.0);
        assert_eq!(lifecycle_stage(&kit).as_deref(), Some("SCALE_UP"));
    }

    fn pause_at(stage: &str, timeout: Value) -> Value {
        json!([{"targetType": "PAUSE", "lifecycleStages": [stage], "timeoutConfiguration": timeout}])
    }

    // Developer guide, "pause-lifecycle-hooks": the deployment stays at the stage, the hook is
    // AWAITING_ACTION with an `ecs-pause-` ID, `expiresAt` = start + timeoutInMinutes and its
    // timeoutAction; ContinueServiceDeployment CONTINUE moves it on to SUCCESSFUL.
    #[test]
    fn a_pause_hook_holds_the_deployment_until_continue() {
        let (mut kit, blue, green) = deploy_with(
            WORLD,
            pause_at(
                "POST_SCALE_UP",
                json!({"timeoutInMinutes": 10, "action": "CONTINUE"}),
            ),
        );
        kit.step(30.0);
        assert_eq!(lifecycle_stage(&kit).as_deref(), Some("POST_SCALE_UP"));
        let detail = sd(&kit).lifecycle_hook_details()[0].clone();
        assert!(
            detail
                .hook_id()
                .is_some_and(|h| h.starts_with("ecs-pause-"))
        );
        assert_eq!(
            detail.status(),
            Some(&DeploymentLifecycleHookStatus::AwaitingAction)
        );
        assert_eq!(detail.target_arn(), None);
        assert_eq!(
            detail
                .expires_at()
                .map(|t| (t.as_secs_f64() - kit.t0).round()),
            Some(30.0 + 600.0)
        );
        assert_eq!(
            detail.timeout_action().map(|a| a.as_str()),
            Some("CONTINUE")
        );
        run(&mut kit, 31, 500);
        assert_eq!(lifecycle_stage(&kit).as_deref(), Some("POST_SCALE_UP"));
        assert_eq!(kit.tasks_of("web", &blue), (0, 2, 0), "blue still serves");
        assert_eq!(kit.tasks_of("web", &green), (0, 2, 0));

        let hook = detail.hook_id().unwrap_or_default().to_owned();
        kit.call(
            "ecs",
            "ContinueServiceDeployment",
            501.0,
            json!({"serviceDeploymentArn": sd_arn(&kit), "hookId": hook}),
        );
        assert_eq!(hooks(&kit), [(hook.clone(), "SUCCEEDED".to_owned())]);
        assert_eq!(lifecycle_stage(&kit).as_deref(), Some("BAKE_TIME"));
        run(&mut kit, 502, 570);
        assert_eq!(status(&kit), Some(ServiceDeploymentStatus::Successful));
        assert_eq!(kit.deployment_ids("web"), [green]);

        // API_ContinueServiceDeployment: a hook that is not awaiting action is refused.
        let err = kit
            .try_call(
                "ecs",
                "ContinueServiceDeployment",
                571.0,
                json!({"serviceDeploymentArn": sd_arn(&kit), "hookId": hook}),
            )
            .expect_err("not awaiting");
        assert_eq!(err.code, "InvalidParameterException");
    }

    // API_ContinueServiceDeployment: ROLLBACK "rolls back the deployment to the previous service
    // revision": ROLLBACK_IN_PROGRESS, then ROLLBACK_SUCCESSFUL with blue serving, green gone.
    #[test]
    fn continue_with_rollback_reinstates_blue() {
        let (mut kit, blue, green) = deploy_with(WORLD, pause_at("POST_SCALE_UP", json!({})));
        kit.step(30.0);
        let hook = hooks(&kit)[0].0.clone();
        kit.call(
            "ecs",
            "ContinueServiceDeployment",
            40.0,
            json!({"serviceDeploymentArn": sd_arn(&kit), "hookId": hook, "action": "ROLLBACK"}),
        );
        assert_eq!(
            status(&kit),
            Some(ServiceDeploymentStatus::RollbackInProgress)
        );
        assert!(sd(&kit).rollback().is_some());
        assert_eq!(kit.tasks_of("web", &green), (0, 0, 2));
        assert_eq!(kit.tasks_of("web", &blue), (0, 2, 0));
        let s = &kit.service("web").service;
        assert_eq!(s.deployments()[0].id(), Some(blue.as_str()));
        assert_eq!(
            s.deployments()[1].rollout_state(),
            Some(&DeploymentRolloutState::Failed)
        );
        kit.step(42.0);
        assert_eq!(
            status(&kit),
            Some(ServiceDeploymentStatus::RollbackSuccessful)
        );
        assert_eq!(kit.deployment_ids("web"), [blue]);
        // All production traffic stays on the source revision.
        let weights = (
            sd(&kit)
                .target_service_revision()
                .and_then(|t| t.requested_production_traffic_weight()),
            sd(&kit).source_service_revisions()[0].requested_production_traffic_weight(),
        );
        assert_eq!(weights, (Some(0.0), Some(100.0)));
    }

    // API_DeploymentLifecycleHookTimeoutConfiguration: timeoutInMinutes default 1440, action
    // default ROLLBACK; API_DeploymentLifecycleHookDetail: TIMED_OUT.
    #[test]
    fn an_expired_pause_hook_takes_its_default_timeout_action() {
        let (mut kit, blue, _) = deploy_with(WORLD, pause_at("POST_TEST_TRAFFIC_SHIFT", json!({})));
        kit.step(30.0);
        assert_eq!(
            lifecycle_stage(&kit).as_deref(),
            Some("POST_TEST_TRAFFIC_SHIFT")
        );
        let expires = sd(&kit).lifecycle_hook_details()[0]
            .expires_at()
            .map(|t| (t.as_secs_f64() - kit.t0).round());
        assert_eq!(expires, Some(30.0 + 1440.0 * 60.0));
        let next = crate::ecs::scheduler::next_event(&kit.state.ecs, kit.t0 + 30.0);
        assert_eq!(
            next.map(|t| (t - kit.t0).round()),
            expires,
            "the expiry is a world event"
        );
        kit.step(30.0 + 86_400.0);
        assert_eq!(hooks(&kit)[0].1, "TIMED_OUT");
        assert_eq!(
            status(&kit),
            Some(ServiceDeploymentStatus::RollbackInProgress)
        );
        kit.step(30.0 + 86_402.0);
        assert_eq!(
            status(&kit),
            Some(ServiceDeploymentStatus::RollbackSuccessful)
        );
        assert_eq!(kit.deployment_ids("web"), [blue]);
    }

    // API_DeploymentLifecycleHookTimeoutConfiguration: action CONTINUE "proceeds the deployment
    // to the next lifecycle stage".
    #[test]
    fn an_expired_pause_hook_with_continue_moves_on() {
        let (mut kit, _, _) = deploy_with(
            WORLD,
            pause_at(
                "PRE_SCALE_UP",
                json!({"timeoutInMinutes": 1, "action": "CONTINUE"}),
            ),
        );
        assert_eq!(lifecycle_stage(&kit).as_deref(), Some("PRE_SCALE_UP"));
        kit.step(79.0);
        assert_eq!(
            kit.tasks_of("web", &kit.deployment_ids("web")[0]),
            (0, 0, 0),
            "green waits"
        );
        kit.step(80.0);
        assert_eq!(hooks(&kit)[0].1, "TIMED_OUT");
        assert_eq!(lifecycle_stage(&kit).as_deref(), Some("SCALE_UP"));
        assert_eq!(status(&kit), Some(ServiceDeploymentStatus::InProgress));
    }

    // Developer guide, "deployment-lifecycle-hooks": a Lambda hook answering FAILED rolls the
    // deployment back to the last successful deployment.
    #[test]
    fn a_failing_lambda_hook_rolls_back() {
        let world = format!(
            "{WORLD}ecsHookFailures:\n  - {{function: \"*:function:smoke\", stage: POST_SCALE_UP, afterSeconds: 3}}\n"
        );
        let (mut kit, blue, green) = deploy_with(
            &world,
            json!([{"hookTargetArn": SMOKE, "roleArn": "arn:aws:iam::123456789012:role/hooks", "lifecycleStages": ["PRE_SCALE_UP", "POST_SCALE_UP"]}]),
        );
        assert_eq!(hooks(&kit)[0].1, "IN_PROGRESS");
        kit.step(25.0);
        assert_eq!(hooks(&kit)[0].1, "SUCCEEDED", "no rule: success");
        kit.step(35.0);
        assert_eq!(lifecycle_stage(&kit).as_deref(), Some("POST_SCALE_UP"));
        kit.step(37.0);
        assert_eq!(hooks(&kit)[1].1, "IN_PROGRESS");
        kit.step(38.0);
        assert_eq!(hooks(&kit)[1].1, "FAILED");
        assert_eq!(
            status(&kit),
            Some(ServiceDeploymentStatus::RollbackInProgress)
        );
        assert_eq!(kit.tasks_of("web", &green), (0, 0, 2));
        kit.step(40.0);
        assert_eq!(
            status(&kit),
            Some(ServiceDeploymentStatus::RollbackSuccessful)
        );
        assert_eq!(kit.deployment_ids("web"), [blue]);
    }

    // API_DeploymentLifecycleHook, PRE_PRODUCTION_TRAFFIC_SHIFT: "For linear and canary
    // deployments, this stage is invoked before every traffic shift step"; PRODUCTION_TRAFFIC_SHIFT
    // "is invoked at every traffic shift step".
    #[test]
    fn production_shift_hooks_run_at_every_linear_step() {
        let mut kit = Kit::new(WORLD);
        let hooks_cfg = json!([{"hookTargetArn": SMOKE, "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT"]}]);
        let dc = json!({
            "strategy": "LINEAR",
            "linearConfiguration": {"stepPercent": 50.0, "stepBakeTimeInMinutes": 1},
            "lifecycleHooks": hooks_cfg,
        });
        let (_, v2) = kit.steady_service(2, dc, "web:2");
        kit.update(20.0, &v2);
        run(&mut kit, 21, 300);
        assert_eq!(status(&kit), Some(ServiceDeploymentStatus::Successful));
        let runs = &kit.service("web").rollouts[0].lifecycle.hooks;
        let stages: Vec<(&str, u32)> = runs.iter().map(|h| (h.stage.as_str(), h.round)).collect();
        assert_eq!(
            stages,
            [
                ("PRE_PRODUCTION_TRAFFIC_SHIFT", 0),
                ("PRODUCTION_TRAFFIC_SHIFT", 1),
                ("PRE_PRODUCTION_TRAFFIC_SHIFT", 1),
                ("PRODUCTION_TRAFFIC_SHIFT", 2),
            ]
        );
    }

    // API_ContinueServiceDeployment: ServiceDeploymentNotFoundException for an unknown
    // deployment; InvalidParameterException for an unknown hook.
    #[test]
    fn continue_refuses_unknown_deployments_and_hooks() {
        let (mut kit, _, _) = deploy_with(WORLD, pause_at("POST_SCALE_UP", json!({})));
        kit.step(30.0);
        let err = kit
            .try_call(
                "ecs",
                "ContinueServiceDeployment",
                31.0,
                json!({"serviceDeploymentArn": "arn:aws:ecs:us-east-1:123456789012:service-deployment/default/web/nope", "hookId": "ecs-pause-x"}),
            )
            .expect_err("unknown");
        assert_eq!(err.code, "ServiceDeploymentNotFoundException");
        let err = kit
            .try_call(
                "ecs",
                "ContinueServiceDeployment",
                31.0,
                json!({"serviceDeploymentArn": sd_arn(&kit), "hookId": "ecs-pause-x"}),
            )
            .expect_err("unknown hook");
        assert_eq!(err.code, "InvalidParameterException");
        assert_eq!(hooks(&kit)[0].1, "AWAITING_ACTION", "nothing changed");
    }

    // API_ServiceDeployment: a new deployment stops the one in progress ("superseded"), even
    // a paused one, whose hook can then no longer be continued (developer guide,
    // "continue-service-deployment": the deployment must be IN_PROGRESS); the new deployment
    // starts with RECONCILE_SERVICE (two revisions ACTIVE) and pauses at the hook in turn.
    #[test]
    fn a_new_deployment_supersedes_a_paused_one() {
        let (mut kit, _, _) = deploy_with(WORLD, pause_at("POST_SCALE_UP", json!({})));
        kit.step(30.0);
        let paused = sd_arn(&kit);
        let hook = hooks(&kit)[0].0.clone();
        let v3 = kit.register("web", "web:3");
        let third = kit.update(40.0, &v3);
        assert_eq!(lifecycle_stage(&kit).as_deref(), Some("SCALE_UP"));
        let err = kit
            .try_call(
                "ecs",
                "ContinueServiceDeployment",
                41.0,
                json!({"serviceDeploymentArn": paused, "hookId": hook}),
            )
            .expect_err("superseded");
        assert_eq!(err.code, "InvalidParameterException");
        kit.step(50.0);
        assert_eq!(lifecycle_stage(&kit).as_deref(), Some("POST_SCALE_UP"));
        let (hook, state) = hooks(&kit)[0].clone();
        assert_eq!(state, "AWAITING_ACTION");
        kit.call(
            "ecs",
            "ContinueServiceDeployment",
            60.0,
            json!({"serviceDeploymentArn": sd_arn(&kit), "hookId": hook}),
        );
        run(&mut kit, 61, 130);
        assert_eq!(status(&kit), Some(ServiceDeploymentStatus::Successful));
        assert_eq!(kit.deployment_ids("web"), [third]);
    }
}
