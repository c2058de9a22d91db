//! The service scheduler: what ECS does between API calls.
//!
//! [`advance`] moves the world from its last time to a new one, event by event (a task becomes
//! RUNNING, a container exits, a stop completes, a strategy stage ends). After each event every
//! service is reconciled:
//!
//! - **Rolling** (`ECS` controller, strategy `ROLLING` or none): the PRIMARY deployment is scaled
//!   up to the desired count without exceeding `maximumPercent` of it in RUNNING + PENDING tasks,
//!   and the tasks of older (ACTIVE) deployments are stopped while at least
//!   `minimumHealthyPercent` of the desired count stays RUNNING (AWS rounds the maximum down and
//!   the minimum up).
//! - **Native blue/green, linear, canary**: the green deployment is scaled to the full desired
//!   count, then production traffic moves (all at once, by `stepPercent` every
//!   `stepBakeTimeInMinutes`, or `canaryPercent` then the rest after `canaryBakeTimeInMinutes`),
//!   then `bakeTimeInMinutes` passes, then the blue tasks are stopped.
//! - **Circuit breaker**: failed tasks of the PRIMARY deployment are counted; at the threshold
//!   (by default half the desired count, at least 3 and at most 200) the deployment is FAILED and,
//!   with rollback, the last completed task definition becomes PRIMARY again.
//! - **Task sets** (`CODE_DEPLOY`, `EXTERNAL`): each task set is kept at its computed desired
//!   count (`scale` percent of the service's desired count).
//!
//! Service events use AWS's wording, newest first.

use aws_sdk_ecs::types::{
    Deployment, DeploymentRolloutState, DeploymentStrategy, LaunchType,
    ServiceCurrentRevisionSummary, ServiceDeploymentLifecycleStage,
    ServiceDeploymentRollbackMonitorsStatus, ServiceDeploymentStatus, ServiceEvent,
    ServiceRevisionSummary, StabilityStatus, TaskStopCode, ThresholdType,
};
use aws_smithy_types::DateTime;

use super::tasks::{TaskEvent, TaskSpec, new_task};
use super::{ClusterRecord, EcsState, LastGood, Rollout, ServiceRecord};
use crate::clock::Epoch;
use crate::state::{Ctx, Ids, State};
use crate::world::World;

/// Stopped tasks stay visible this long (world seconds), like on AWS.
const STOPPED_TASK_RETENTION: f64 = 3600.0;
/// Events kept per service.
const MAX_EVENTS: usize = 100;

fn ts(t: Epoch) -> DateTime {
    crate::clock::timestamp(t)
}

/// Processes one moment of the world: every task transition due at `now`, then every service.
pub fn step(state: &mut State, now: Epoch) {
    let State {
        ecs, ids, rules, ..
    } = state;
    step_all(ecs, ids, rules, now);
}

/// The earliest pending change in the world after (or, for tasks, at) `now`.
pub fn next_event(ecs: &EcsState, now: Epoch) -> Option<Epoch> {
    let mut next: Option<Epoch> = None;
    let mut consider = |t: Epoch| {
        if next.is_none_or(|n| t < n) {
            next = Some(t);
        }
    };
    for cluster in ecs.clusters.values() {
        for task in cluster.tasks.values() {
            if let Some(t) = task.next_event() {
                consider(t);
            }
        }
        for svc in cluster.services.values() {
            for task in svc.tasks.values() {
                if let Some(t) = task.next_event() {
                    consider(t);
                }
            }
            for r in &svc.rollouts {
                if r.stage.is_some() && r.stage_until > now {
                    consider(r.stage_until);
                }
                if r.launch_after > now {
                    consider(r.launch_after);
                }
            }
        }
    }
    next
}

/// The task definitions, for starting tasks.
pub type TaskDefs = std::collections::BTreeMap<String, Vec<super::TaskDefRecord>>;

fn step_all(ecs: &mut EcsState, ids: &mut Ids, rules: &World, now: Epoch) {
    let EcsState {
        clusters,
        task_definitions,
    } = ecs;
    for (name, cluster) in clusters.iter_mut() {
        step_cluster(cluster, name, task_definitions, ids, rules, now);
    }
}

fn step_cluster(
    cluster: &mut ClusterRecord,
    name: &str,
    tds: &TaskDefs,
    ids: &mut Ids,
    rules: &World,
    now: Epoch,
) {
    for task in cluster.tasks.values_mut() {
        while task.step(now).is_some() {}
    }
    let ctx = cluster_ctx(cluster, now);
    let cluster_arn = cluster.cluster.cluster_arn().unwrap_or_default().to_owned();
    let place = Place {
        ctx: &ctx,
        cluster: name,
        cluster_arn: &cluster_arn,
        tds,
        rules,
    };
    for svc in cluster.services.values_mut() {
        let mut events = Vec::new();
        for t in svc.tasks.values_mut() {
            while let Some(ev) = t.step(now) {
                events.push((t.owner.clone(), ev));
            }
        }
        apply_task_events(svc, &events, now);
        reconcile_service(svc, ids, &place);
    }
}

/// Reconciles one service right away (after an API call changed it).
pub fn reconcile_now(state: &mut State, ctx: &Ctx, cluster: &str, service: &str) {
    let State {
        ecs, ids, rules, ..
    } = state;
    let EcsState {
        clusters,
        task_definitions,
    } = ecs;
    let Some(c) = clusters.get_mut(cluster) else {
        return;
    };
    let cluster_arn = c.cluster.cluster_arn().unwrap_or_default().to_owned();
    let place = Place {
        ctx,
        cluster,
        cluster_arn: &cluster_arn,
        tds: task_definitions,
        rules,
    };
    if let Some(svc) = c.services.get_mut(service) {
        reconcile_service(svc, ids, &place);
    }
}

/// Where and with what a service's tasks are started.
struct Place<'a> {
    ctx: &'a Ctx,
    cluster: &'a str,
    cluster_arn: &'a str,
    tds: &'a TaskDefs,
    rules: &'a World,
}

/// A context whose ARNs use the cluster's region and account.
fn cluster_ctx(cluster: &ClusterRecord, now: Epoch) -> Ctx {
    let arn = cluster.cluster.cluster_arn().unwrap_or_default();
    let parts: Vec<&str> = arn.split(':').collect();
    Ctx {
        now,
        region: parts.get(3).copied().unwrap_or("us-east-1").to_owned(),
        account: parts.get(4).copied().unwrap_or("123456789012").to_owned(),
    }
}

/// Forgets tasks stopped more than an hour ago.
pub fn prune(ecs: &mut EcsState, now: Epoch) {
    let keep = |t: &super::TaskRecord| {
        t.stopped_at
            .is_none_or(|s| now - s < STOPPED_TASK_RETENTION)
    };
    for cluster in ecs.clusters.values_mut() {
        cluster.tasks.retain(|_, t| keep(t));
        for svc in cluster.services.values_mut() {
            svc.tasks.retain(|_, t| keep(t));
        }
    }
}

/// Adds a service event (newest first).
pub fn push_event(svc: &mut ServiceRecord, ids: &mut Ids, now: Epoch, message: String) {
    let event = ServiceEvent::builder()
        .id(ids.uuid())
        .created_at(ts(now))
        .message(message)
        .build();
    let events = svc.service.events.get_or_insert_with(Vec::new);
    events.insert(0, event);
    events.truncate(MAX_EVENTS);
}

fn svc_name(svc: &ServiceRecord) -> String {
    svc.service.service_name().unwrap_or_default().to_owned()
}

/// Counts failures of each deployment and applies the restart back-off.
fn apply_task_events(svc: &mut ServiceRecord, events: &[(Option<String>, TaskEvent)], now: Epoch) {
    let breaker_on = breaker(svc).is_some();
    for (owner, ev) in events {
        let Some(owner) = owner else { continue };
        if let TaskEvent::Exited { .. } = ev {
            if let Some(d) = svc
                .service
                .deployments
                .iter_mut()
                .flatten()
                .find(|d| d.id() == Some(owner))
            {
                d.failed_tasks += 1;
            }
            if let Some(r) = svc.rollouts.iter_mut().find(|r| &r.deployment_id == owner) {
                r.breaker_failures += 1;
                if !breaker_on {
                    // ECS slows down relaunching tasks that keep failing.
                    let backoff = (5.0 * 2f64.powi(r.breaker_failures.min(8) - 1)).min(900.0);
                    r.launch_after = now + backoff;
                }
            }
        }
    }
}

/// The circuit breaker's `(rollback, threshold)` when it is enabled.
fn breaker(svc: &ServiceRecord) -> Option<(bool, i32)> {
    let cb = svc
        .service
        .deployment_configuration()?
        .deployment_circuit_breaker()?;
    if !cb.enable {
        return None;
    }
    let desired = svc.service.desired_count.max(0);
    let threshold = match cb.threshold_configuration() {
        Some(tc) if tc.r#type == ThresholdType::Count => tc.value.max(1),
        Some(tc) if tc.r#type == ThresholdType::UnboundedPercent => {
            ceil_pct(desired, tc.value).max(1)
        }
        Some(tc) => ceil_pct(desired, tc.value).clamp(3, 200),
        None => ceil_pct(desired, 50).clamp(3, 200),
    };
    Some((cb.rollback, threshold))
}

fn ceil_pct(n: i32, pct: i32) -> i32 {
    (i64::from(n) * i64::from(pct) + 99).div_euclid(100) as i32
}

fn floor_pct(n: i32, pct: i32) -> i32 {
    (i64::from(n) * i64::from(pct)).div_euclid(100) as i32
}

fn is_task_set_service(svc: &ServiceRecord) -> bool {
    matches!(
        svc.service
            .deployment_controller()
            .map(|c| c.r#type().as_str()),
        Some("CODE_DEPLOY" | "EXTERNAL")
    )
}

/// Creates a new PRIMARY deployment of `task_definition`, the previous ones becoming ACTIVE.
/// Returns the new deployment's ID.
pub fn start_deployment(
    svc: &mut ServiceRecord,
    ids: &mut Ids,
    ctx: &Ctx,
    task_definition: &str,
    container_images: Vec<aws_sdk_ecs::types::ContainerImage>,
) -> String {
    let now = ctx.now;
    let id = format!("ecs-svc/{}", ids.digits_id());
    let s = &svc.service;
    let cluster = super::short_name(s.cluster_arn().unwrap_or_default()).to_owned();
    let name = svc_name(svc);
    let revision_arn = ctx.arn(
        "ecs",
        &format!("service-revision/{cluster}/{name}/{}", ids.digits_id()),
    );
    let sd_arn = ctx.arn(
        "ecs",
        &format!("service-deployment/{cluster}/{name}/{}", ids.alnum_id(22)),
    );
    let revision = aws_sdk_ecs::types::ServiceRevision::builder()
        .service_revision_arn(&revision_arn)
        .set_service_arn(s.service_arn().map(str::to_owned))
        .set_cluster_arn(s.cluster_arn().map(str::to_owned))
        .task_definition(task_definition)
        .set_capacity_provider_strategy(s.capacity_provider_strategy.clone())
        .set_launch_type(s.launch_type().cloned())
        .set_platform_version(s.platform_version().map(str::to_owned))
        .set_platform_family(s.platform_family().map(str::to_owned))
        .set_load_balancers(s.load_balancers.clone())
        .set_service_registries(s.service_registries.clone())
        .set_network_configuration(s.network_configuration().cloned())
        .set_container_images(Some(container_images))
        .created_at(ts(now))
        .build();
    let deployment = Deployment::builder()
        .id(&id)
        .status("PRIMARY")
        .task_definition(task_definition)
        .desired_count(s.desired_count)
        .pending_count(0)
        .running_count(0)
        .failed_tasks(0)
        .created_at(ts(now))
        .updated_at(ts(now))
        .set_capacity_provider_strategy(s.capacity_provider_strategy.clone())
        .set_launch_type(s.launch_type().cloned())
        .set_platform_version(s.platform_version().map(str::to_owned))
        .set_platform_family(s.platform_family().map(str::to_owned))
        .set_network_configuration(s.network_configuration().cloned())
        .rollout_state(DeploymentRolloutState::InProgress)
        .rollout_state_reason(format!("ECS deployment {id} in progress."))
        .build();
    // Supersede the deployment in progress, if any.
    for sd in &mut svc.service_deployments {
        if matches!(
            sd.status(),
            Some(ServiceDeploymentStatus::InProgress | ServiceDeploymentStatus::Pending)
        ) {
            sd.status = Some(ServiceDeploymentStatus::Stopped);
            sd.status_reason =
                Some("Service deployment was superseded by a new deployment.".to_owned());
            sd.stopped_at = Some(ts(now));
            sd.updated_at = Some(ts(now));
        }
    }
    let sources: Vec<ServiceRevisionSummary> = svc
        .rollouts
        .iter()
        .map(|r| {
            ServiceRevisionSummary::builder()
                .arn(&r.revision_arn)
                .build()
        })
        .collect();
    let breaker = breaker(svc);
    let sd = aws_sdk_ecs::types::ServiceDeployment::builder()
        .service_deployment_arn(&sd_arn)
        .set_service_arn(svc.service.service_arn().map(str::to_owned))
        .set_cluster_arn(svc.service.cluster_arn().map(str::to_owned))
        .created_at(ts(now))
        .started_at(ts(now))
        .updated_at(ts(now))
        .set_source_service_revisions((!sources.is_empty()).then_some(sources))
        .target_service_revision(ServiceRevisionSummary::builder().arn(&revision_arn).build())
        .status(ServiceDeploymentStatus::InProgress)
        .set_deployment_configuration(svc.service.deployment_configuration().cloned())
        .deployment_circuit_breaker(
            aws_sdk_ecs::types::ServiceDeploymentCircuitBreaker::builder()
                .status(if breaker.is_some() {
                    ServiceDeploymentRollbackMonitorsStatus::Monitoring
                } else {
                    ServiceDeploymentRollbackMonitorsStatus::Disabled
                })
                .failure_count(0)
                .threshold(breaker.map_or(0, |b| b.1))
                .build(),
        )
        .build();
    for d in svc.service.deployments.iter_mut().flatten() {
        d.status = Some("ACTIVE".to_owned());
        d.updated_at = Some(ts(now));
    }
    for r in &mut svc.rollouts {
        r.halted = true;
    }
    svc.service
        .deployments
        .get_or_insert_with(Vec::new)
        .insert(0, deployment);
    svc.rollouts.insert(
        0,
        Rollout {
            deployment_id: id.clone(),
            service_deployment_arn: sd_arn.clone(),
            revision_arn,
            breaker_failures: 0,
            launch_after: 0.0,
            halted: false,
            is_rollback: false,
            stage: None,
            stage_until: 0.0,
            traffic: 0.0,
        },
    );
    svc.service.current_service_deployment = Some(sd_arn);
    svc.service.task_definition = Some(task_definition.to_owned());
    svc.service_deployments.push(crate::codec::Sdk(sd));
    svc.revisions.push(crate::codec::Sdk(revision));
    svc.steady = false;
    id
}

/// One pass of the scheduler over a service.
fn reconcile_service(svc: &mut ServiceRecord, ids: &mut Ids, place: &Place<'_>) {
    let now = place.ctx.now;
    if svc.service.status() == Some("INACTIVE") {
        return;
    }
    if is_task_set_service(svc) {
        reconcile_task_sets(svc, ids, place);
    } else {
        check_breaker(svc, ids, now);
        reconcile_deployments(svc, ids, place);
        complete_if_done(svc, ids, now);
        update_counts(svc, now);
    }
    if svc.service.status() == Some("DRAINING") && svc.tasks.values().all(|t| t.is_stopped()) {
        svc.service.status = Some("INACTIVE".to_owned());
        svc.service.running_count = 0;
        svc.service.pending_count = 0;
        return;
    }
    let steady = is_steady(svc);
    if steady && !svc.steady {
        let name = svc_name(svc);
        push_event(
            svc,
            ids,
            now,
            format!("(service {name}) has reached a steady state."),
        );
    }
    svc.steady = steady;
}

fn is_steady(svc: &ServiceRecord) -> bool {
    let s = &svc.service;
    if s.status() != Some("ACTIVE") {
        return false;
    }
    let counts_ok = s.running_count == s.desired_count && s.pending_count == 0;
    if is_task_set_service(svc) {
        counts_ok
            && s.task_sets()
                .iter()
                .all(|ts| ts.stability_status() == Some(&StabilityStatus::SteadyState))
    } else {
        counts_ok && s.deployments().len() == 1
    }
}

/// Trips the circuit breaker of the PRIMARY deployment when its failures reach the threshold.
fn check_breaker(svc: &mut ServiceRecord, ids: &mut Ids, now: Epoch) {
    let Some((rollback, threshold)) = breaker(svc) else {
        return;
    };
    let Some(r) = svc.rollouts.first() else {
        return;
    };
    let Some(d) = svc.service.deployments().first() else {
        return;
    };
    // A rollback is not rolled back again.
    if r.halted || r.is_rollback || d.rollout_state() != Some(&DeploymentRolloutState::InProgress) {
        return;
    }
    let failures = r.breaker_failures;
    if let Some(sd) = svc
        .service_deployments
        .iter_mut()
        .find(|sd| sd.service_deployment_arn() == Some(r.service_deployment_arn.as_str()))
        && let Some(cb) = sd.deployment_circuit_breaker.as_mut()
    {
        cb.failure_count = failures;
    }
    if failures < threshold {
        return;
    }
    let name = svc_name(svc);
    let failed_id = r.deployment_id.clone();
    let sd_arn = r.service_deployment_arn.clone();
    let reason = "ECS deployment circuit breaker: tasks failed to start.".to_owned();
    if let Some(d) = svc.service.deployments.iter_mut().flatten().next() {
        d.rollout_state = Some(DeploymentRolloutState::Failed);
        d.rollout_state_reason = Some(reason.clone());
        d.updated_at = Some(ts(now));
    }
    svc.rollouts[0].halted = true;
    svc.rollouts[0].stage = None;
    push_event(
        svc,
        ids,
        now,
        format!(
            "(service {name}) (deployment {failed_id}) deployment failed: tasks failed to start."
        ),
    );
    let target = svc.last_good.clone().filter(|g| {
        rollback
            && svc
                .service
                .deployments()
                .first()
                .and_then(|d| d.task_definition())
                != Some(&g.task_definition)
    });
    let sd = svc
        .service_deployments
        .iter_mut()
        .find(|sd| sd.service_deployment_arn() == Some(sd_arn.as_str()));
    let Some(good) = target else {
        if let Some(sd) = sd {
            sd.status = Some(ServiceDeploymentStatus::Stopped);
            sd.status_reason = Some(reason);
            sd.stopped_at = Some(ts(now));
            sd.updated_at = Some(ts(now));
            if let Some(cb) = sd.deployment_circuit_breaker.as_mut() {
                cb.status = Some(ServiceDeploymentRollbackMonitorsStatus::Triggered);
            }
        }
        return;
    };
    if let Some(sd) = sd {
        sd.status = Some(ServiceDeploymentStatus::RollbackInProgress);
        sd.status_reason = Some(reason.clone());
        sd.updated_at = Some(ts(now));
        sd.rollback = Some(
            aws_sdk_ecs::types::Rollback::builder()
                .reason(&reason)
                .started_at(ts(now))
                .service_revision_arn(&good.revision_arn)
                .build(),
        );
        if let Some(cb) = sd.deployment_circuit_breaker.as_mut() {
            cb.status = Some(ServiceDeploymentRollbackMonitorsStatus::Triggered);
        }
    }
    roll_back_to(svc, ids, now, &good, &sd_arn);
    push_event(
        svc,
        ids,
        now,
        format!(
            "(service {name}) rolling back to deployment {}.",
            good.deployment_id
        ),
    );
}

/// Makes `good`'s task definition PRIMARY again: an ACTIVE deployment that still runs it is
/// promoted, otherwise a new deployment is created. Used by the circuit breaker and by
/// StopServiceDeployment with ROLLBACK.
pub fn roll_back_to(
    svc: &mut ServiceRecord,
    ids: &mut Ids,
    now: Epoch,
    good: &LastGood,
    sd_arn: &str,
) {
    let reason = format!(
        "ECS deployment circuit breaker: rolling back to deploymentId {}.",
        good.deployment_id
    );
    let existing = svc.service.deployments().iter().position(|d| {
        d.status() == Some("ACTIVE") && d.task_definition() == Some(good.task_definition.as_str())
    });
    let desired = svc.service.desired_count;
    let deployments = svc.service.deployments.get_or_insert_with(Vec::new);
    for d in deployments.iter_mut() {
        d.status = Some("ACTIVE".to_owned());
    }
    let new_id = match existing {
        Some(i) => {
            let mut d = deployments.remove(i);
            let mut r = svc.rollouts.remove(i);
            d.status = Some("PRIMARY".to_owned());
            d.rollout_state = Some(DeploymentRolloutState::InProgress);
            d.rollout_state_reason = Some(reason);
            d.updated_at = Some(ts(now));
            let id = d.id().unwrap_or_default().to_owned();
            deployments.insert(0, d);
            r.halted = false;
            r.is_rollback = true;
            r.stage = None;
            r.traffic = 100.0;
            r.service_deployment_arn = sd_arn.to_owned();
            svc.rollouts.insert(0, r);
            id
        }
        None => {
            let id = format!("ecs-svc/{}", ids.digits_id());
            let template = deployments
                .first()
                .cloned()
                .unwrap_or_else(|| Deployment::builder().build());
            let mut d = template;
            d.id = Some(id.clone());
            d.status = Some("PRIMARY".to_owned());
            d.task_definition = Some(good.task_definition.clone());
            d.desired_count = desired;
            d.pending_count = 0;
            d.running_count = 0;
            d.failed_tasks = 0;
            d.created_at = Some(ts(now));
            d.updated_at = Some(ts(now));
            d.rollout_state = Some(DeploymentRolloutState::InProgress);
            d.rollout_state_reason = Some(reason);
            deployments.insert(0, d);
            svc.rollouts.insert(
                0,
                Rollout {
                    deployment_id: id.clone(),
                    service_deployment_arn: sd_arn.to_owned(),
                    revision_arn: good.revision_arn.clone(),
                    breaker_failures: 0,
                    launch_after: 0.0,
                    halted: false,
                    is_rollback: true,
                    stage: None,
                    stage_until: 0.0,
                    traffic: 0.0,
                },
            );
            id
        }
    };
    for r in svc.rollouts.iter_mut().skip(1) {
        r.halted = true;
        r.stage = None;
    }
    let _ = new_id;
    svc.service.task_definition = Some(good.task_definition.clone());
    svc.steady = false;
}

/// Alive (pending, running) task counts of a deployment.
fn counts(svc: &ServiceRecord, owner: &str) -> (i32, i32) {
    svc.tasks
        .values()
        .filter(|t| t.owner.as_deref() == Some(owner))
        .fold((0, 0), |(p, r), t| {
            if t.is_running() {
                (p, r + 1)
            } else if t.is_pending() {
                (p + 1, r)
            } else {
                (p, r)
            }
        })
}

fn strategy(svc: &ServiceRecord) -> DeploymentStrategy {
    svc.service
        .deployment_configuration()
        .and_then(|c| c.strategy())
        .cloned()
        .unwrap_or(DeploymentStrategy::Rolling)
}

fn reconcile_deployments(svc: &mut ServiceRecord, ids: &mut Ids, place: &Place<'_>) {
    let now = place.ctx.now;
    let draining = svc.service.status() != Some("ACTIVE");
    let desired = if draining {
        0
    } else {
        svc.service.desired_count.max(0)
    };
    let name = svc_name(svc);
    let mut started: Vec<String> = Vec::new();
    let mut stopped: Vec<String> = Vec::new();
    let stop_delay = place.rules.stop_delay();

    if draining {
        for t in svc.tasks.values_mut().filter(|t| t.is_alive()) {
            t.request_stop(
                now,
                stop_delay,
                TaskStopCode::ServiceSchedulerInitiated,
                "Service is being deleted",
            );
            stopped.push(t.id().to_owned());
        }
        report(svc, ids, now, &name, &started, &stopped);
        return;
    }
    let Some(primary) = svc.rollouts.first().cloned() else {
        return;
    };
    let dc = svc.service.deployment_configuration().cloned();
    let max_pct = dc.as_ref().and_then(|c| c.maximum_percent()).unwrap_or(200);
    let min_pct = dc
        .as_ref()
        .and_then(|c| c.minimum_healthy_percent())
        .unwrap_or(100);
    let native = !primary.is_rollback && strategy(svc) != DeploymentStrategy::Rolling;
    let old_alive = svc
        .tasks
        .values()
        .any(|t| t.is_alive() && t.owner.as_deref() != Some(primary.deployment_id.as_str()));
    let (p_pending, p_running) = counts(svc, &primary.deployment_id);
    let total_alive = svc.tasks.values().filter(|t| t.is_alive()).count() as i32;

    // Scale the PRIMARY deployment.
    if !primary.halted && now >= primary.launch_after {
        let have = p_pending + p_running;
        if have < desired {
            let room = if native && old_alive {
                desired - have
            } else {
                floor_pct(desired, max_pct).max(1) - total_alive
            };
            let n = (desired - have).min(room);
            for _ in 0..n.max(0) {
                if let Some(id) = launch(svc, ids, place, &primary.deployment_id) {
                    started.push(id);
                }
            }
        }
    }
    let (p_pending, p_running) = counts(svc, &primary.deployment_id);
    if p_pending + p_running > desired {
        let extra = (p_pending + p_running - desired) as usize;
        stopped.extend(stop_some(
            svc,
            &primary.deployment_id,
            extra,
            now,
            stop_delay,
            "Scaling activity initiated by (deployment {id})",
        ));
    }

    if native && old_alive && !primary.halted {
        advance_stages(
            svc,
            now,
            p_running >= desired && p_pending == 0,
            &mut stopped,
            stop_delay,
        );
    } else if !primary.halted || primary.is_rollback {
        // Rolling: drain older deployments while keeping the minimum healthy.
        let min_healthy = ceil_pct(desired, min_pct);
        let owners: Vec<String> = svc
            .rollouts
            .iter()
            .skip(1)
            .map(|r| r.deployment_id.clone())
            .collect();
        let owner_is_old = |o: &Option<String>| o.as_ref().is_none_or(|o| owners.contains(o));
        // Old tasks not yet running are never healthy: stop them first.
        let pending_old: Vec<String> = svc
            .tasks
            .values()
            .filter(|t| t.is_pending() && owner_is_old(&t.owner))
            .map(|t| t.id().to_owned())
            .collect();
        for id in &pending_old {
            if let Some(t) = svc.tasks.get_mut(id) {
                let reason = format!(
                    "Scaling activity initiated by (deployment {})",
                    primary.deployment_id
                );
                t.request_stop(
                    now,
                    stop_delay,
                    TaskStopCode::ServiceSchedulerInitiated,
                    &reason,
                );
            }
        }
        stopped.extend(pending_old);
        let healthy = svc.tasks.values().filter(|t| t.is_running()).count() as i32;
        let can_stop = (healthy - min_healthy).max(0) as usize;
        let running_old: Vec<String> = svc
            .tasks
            .values()
            .filter(|t| t.is_running() && owner_is_old(&t.owner))
            .map(|t| t.id().to_owned())
            .take(can_stop)
            .collect();
        for id in &running_old {
            if let Some(t) = svc.tasks.get_mut(id) {
                let reason = format!(
                    "Scaling activity initiated by (deployment {})",
                    primary.deployment_id
                );
                t.request_stop(
                    now,
                    stop_delay,
                    TaskStopCode::ServiceSchedulerInitiated,
                    &reason,
                );
            }
        }
        stopped.extend(running_old);
    }
    report(svc, ids, now, &name, &started, &stopped);
}

/// Walks the native strategy stages of the PRIMARY (green) deployment.
fn advance_stages(
    svc: &mut ServiceRecord,
    now: Epoch,
    green_ready: bool,
    stopped: &mut Vec<String>,
    stop_delay: f64,
) {
    let dc = svc
        .service
        .deployment_configuration()
        .cloned()
        .unwrap_or_else(|| aws_sdk_ecs::types::DeploymentConfiguration::builder().build());
    let strategy = strategy(svc);
    let bake = f64::from(dc.bake_time_in_minutes().unwrap_or(0).max(0)) * 60.0;
    let (step, step_bake) = match strategy {
        DeploymentStrategy::Linear => {
            let lc = dc.linear_configuration();
            (
                lc.and_then(|l| l.step_percent())
                    .unwrap_or(10.0)
                    .clamp(1.0, 100.0),
                f64::from(
                    lc.and_then(|l| l.step_bake_time_in_minutes())
                        .unwrap_or(1)
                        .max(0),
                ) * 60.0,
            )
        }
        DeploymentStrategy::Canary => {
            let cc = dc.canary_configuration();
            (
                cc.and_then(|c| c.canary_percent())
                    .unwrap_or(10.0)
                    .clamp(0.1, 100.0),
                f64::from(
                    cc.and_then(|c| c.canary_bake_time_in_minutes())
                        .unwrap_or(1)
                        .max(0),
                ) * 60.0,
            )
        }
        _ => (100.0, 0.0),
    };
    let r = &mut svc.rollouts[0];
    loop {
        match r.stage.as_deref() {
            None | Some("SCALE_UP") => {
                r.stage = Some("SCALE_UP".to_owned());
                if !green_ready {
                    return;
                }
                r.stage = Some("TEST_TRAFFIC_SHIFT".to_owned());
            }
            Some("TEST_TRAFFIC_SHIFT") => {
                r.stage = Some("PRODUCTION_TRAFFIC_SHIFT".to_owned());
                r.traffic = step.min(100.0);
                r.stage_until = now + if r.traffic >= 100.0 { 0.0 } else { step_bake };
            }
            Some("PRODUCTION_TRAFFIC_SHIFT") => {
                if now < r.stage_until {
                    return;
                }
                if r.traffic >= 100.0 {
                    r.stage = Some("BAKE_TIME".to_owned());
                    r.stage_until = now + bake;
                } else {
                    r.traffic = if strategy == DeploymentStrategy::Canary {
                        100.0
                    } else {
                        (r.traffic + step).min(100.0)
                    };
                    r.stage_until = now + if r.traffic >= 100.0 { 0.0 } else { step_bake };
                }
            }
            Some("BAKE_TIME") => {
                if now < r.stage_until {
                    return;
                }
                r.stage = Some("CLEAN_UP".to_owned());
                let id = r.deployment_id.clone();
                let reason = format!("Scaling activity initiated by (deployment {id})");
                for t in svc.tasks.values_mut() {
                    if t.is_alive() && t.owner.as_deref() != Some(id.as_str()) {
                        t.request_stop(
                            now,
                            stop_delay,
                            TaskStopCode::ServiceSchedulerInitiated,
                            &reason,
                        );
                        stopped.push(t.id().to_owned());
                    }
                }
                return;
            }
            _ => return,
        }
    }
}

fn launch(
    svc: &mut ServiceRecord,
    ids: &mut Ids,
    place: &Place<'_>,
    owner: &str,
) -> Option<String> {
    let td_arn = svc
        .service
        .deployments()
        .iter()
        .find(|d| d.id() == Some(owner))
        .and_then(|d| d.task_definition())
        .or_else(|| {
            svc.service
                .task_sets()
                .iter()
                .find(|t| t.id() == Some(owner))
                .and_then(|t| t.task_definition())
        })?
        .to_owned();
    launch_td(svc, ids, place, owner, &td_arn)
}

fn launch_td(
    svc: &mut ServiceRecord,
    ids: &mut Ids,
    place: &Place<'_>,
    owner: &str,
    td_arn: &str,
) -> Option<String> {
    let tail = super::short_name(td_arn);
    let (family, rev) = tail.rsplit_once(':')?;
    let td = place
        .tds
        .get(family)?
        .get(rev.parse::<usize>().ok()?.checked_sub(1)?)?
        .task_definition
        .0
        .clone();
    let name = svc_name(svc);
    let tags = if svc.service.propagate_tags().map(|p| p.as_str()) == Some("SERVICE") {
        svc.service.tags().to_vec()
    } else {
        Vec::new()
    };
    let rec = new_task(
        ids,
        place.ctx,
        place.rules,
        TaskSpec {
            cluster_arn: place.cluster_arn,
            cluster: place.cluster,
            task_definition: &td,
            started_by: Some(owner.to_owned()),
            group: format!("service:{name}"),
            launch_type: svc
                .service
                .launch_type()
                .cloned()
                .or(Some(LaunchType::Fargate)),
            owner: Some(owner.to_owned()),
            tags,
        },
    );
    let id = rec.id().to_owned();
    svc.tasks.insert(id.clone(), rec);
    Some(id)
}

/// Stops up to `n` alive tasks of `owner`, pending ones first.
fn stop_some(
    svc: &mut ServiceRecord,
    owner: &str,
    n: usize,
    now: Epoch,
    delay: f64,
    reason: &str,
) -> Vec<String> {
    let mut ids: Vec<(bool, String)> = svc
        .tasks
        .values()
        .filter(|t| t.is_alive() && t.owner.as_deref() == Some(owner))
        .map(|t| (t.is_running(), t.id().to_owned()))
        .collect();
    ids.sort();
    let reason = reason.replace("{id}", owner);
    ids.into_iter()
        .take(n)
        .map(|(_, id)| {
            if let Some(t) = svc.tasks.get_mut(&id) {
                t.request_stop(now, delay, TaskStopCode::ServiceSchedulerInitiated, &reason);
            }
            id
        })
        .collect()
}

fn report(
    svc: &mut ServiceRecord,
    ids: &mut Ids,
    now: Epoch,
    name: &str,
    started: &[String],
    stopped: &[String],
) {
    if !stopped.is_empty() {
        let list: Vec<String> = stopped.iter().map(|id| format!("(task {id})")).collect();
        push_event(
            svc,
            ids,
            now,
            format!(
                "(service {name}) has stopped {} running tasks: {}.",
                stopped.len(),
                list.join(" ")
            ),
        );
    }
    if !started.is_empty() {
        let list: Vec<String> = started.iter().map(|id| format!("(task {id})")).collect();
        push_event(
            svc,
            ids,
            now,
            format!(
                "(service {name}) has started {} tasks: {}.",
                started.len(),
                list.join(" ")
            ),
        );
    }
    if !started.is_empty() || !stopped.is_empty() {
        svc.steady = false;
    }
}

/// Completes the PRIMARY deployment once it runs the desired count alone.
fn complete_if_done(svc: &mut ServiceRecord, ids: &mut Ids, now: Epoch) {
    let Some(primary) = svc.rollouts.first().cloned() else {
        return;
    };
    // Drop older deployments once their last task has stopped.
    let alive_owners: Vec<String> = svc
        .tasks
        .values()
        .filter(|t| !t.is_stopped())
        .filter_map(|t| t.owner.clone())
        .collect();
    let keep: Vec<bool> = svc
        .rollouts
        .iter()
        .enumerate()
        .map(|(i, r)| i == 0 || alive_owners.contains(&r.deployment_id))
        .collect();
    if keep.iter().any(|k| !k) {
        let mut i = 0;
        svc.rollouts.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        if let Some(ds) = svc.service.deployments.as_mut() {
            let mut i = 0;
            ds.retain(|_| {
                i += 1;
                keep.get(i - 1).copied().unwrap_or(false)
            });
        }
    }
    let Some(d) = svc.service.deployments().first() else {
        return;
    };
    if d.rollout_state() != Some(&DeploymentRolloutState::InProgress) {
        return;
    }
    let desired = svc.service.desired_count;
    let (pending, running) = counts(svc, &primary.deployment_id);
    let native_pending = primary.stage.as_deref().is_some_and(|s| s != "CLEAN_UP");
    if svc.rollouts.len() > 1 || pending > 0 || running != desired || native_pending {
        return;
    }
    let name = svc_name(svc);
    if let Some(d) = svc.service.deployments.iter_mut().flatten().next() {
        d.rollout_state = Some(DeploymentRolloutState::Completed);
        // A completed rollback keeps saying why it happened.
        if !primary.is_rollback {
            d.rollout_state_reason = Some(format!(
                "ECS deployment {} completed.",
                primary.deployment_id
            ));
        }
        d.updated_at = Some(ts(now));
    }
    if let Some(r) = svc.rollouts.first_mut() {
        r.stage = None;
        r.traffic = 100.0;
    }
    if let Some(sd) = svc
        .service_deployments
        .iter_mut()
        .find(|sd| sd.service_deployment_arn() == Some(primary.service_deployment_arn.as_str()))
    {
        sd.status = Some(if primary.is_rollback {
            ServiceDeploymentStatus::RollbackSuccessful
        } else {
            ServiceDeploymentStatus::Successful
        });
        sd.finished_at = Some(ts(now));
        sd.updated_at = Some(ts(now));
        sd.lifecycle_stage = None;
        // A native strategy ends with all production traffic on the target revision.
        if let Some(t) = sd.target_service_revision.as_mut()
            && t.requested_production_traffic_weight.is_some()
        {
            t.requested_production_traffic_weight = Some(100.0);
            for s in sd.source_service_revisions.iter_mut().flatten() {
                s.requested_production_traffic_weight = Some(0.0);
            }
        }
        if let Some(cb) = sd.deployment_circuit_breaker.as_mut()
            && cb.status() == Some(&ServiceDeploymentRollbackMonitorsStatus::Monitoring)
        {
            cb.status = Some(ServiceDeploymentRollbackMonitorsStatus::MonitoringComplete);
        }
    }
    let td = svc
        .service
        .deployments()
        .first()
        .and_then(|d| d.task_definition())
        .unwrap_or_default()
        .to_owned();
    svc.last_good = Some(LastGood {
        deployment_id: primary.deployment_id.clone(),
        task_definition: td,
        revision_arn: primary.revision_arn.clone(),
    });
    push_event(
        svc,
        ids,
        now,
        format!(
            "(service {name}) (deployment {}) deployment completed.",
            primary.deployment_id
        ),
    );
}

/// Refreshes the counts of the service, its deployments, revisions and service deployments.
fn update_counts(svc: &mut ServiceRecord, now: Epoch) {
    let mut total = (0, 0);
    let mut per: Vec<(String, i32, i32)> = Vec::new();
    for r in &svc.rollouts {
        let (p, run) = counts(svc, &r.deployment_id);
        total.0 += p;
        total.1 += run;
        per.push((r.deployment_id.clone(), p, run));
    }
    let desired = svc.service.desired_count;
    let mut changed = false;
    for (i, d) in svc.service.deployments.iter_mut().flatten().enumerate() {
        let Some((_, p, run)) = per.get(i) else {
            continue;
        };
        let want_desired = if i == 0 { desired } else { p + run };
        if d.pending_count != *p || d.running_count != *run || d.desired_count != want_desired {
            d.pending_count = *p;
            d.running_count = *run;
            d.desired_count = want_desired;
            d.updated_at = Some(ts(now));
            changed = true;
        }
    }
    svc.service.pending_count = total.0;
    svc.service.running_count = total.1;
    // Current revisions and the service deployments in progress.
    let summaries: Vec<ServiceCurrentRevisionSummary> = svc
        .rollouts
        .iter()
        .zip(svc.service.deployments())
        .map(|(r, d)| {
            ServiceCurrentRevisionSummary::builder()
                .arn(&r.revision_arn)
                .requested_task_count(d.desired_count)
                .running_task_count(d.running_count)
                .pending_task_count(d.pending_count)
                .build()
        })
        .collect();
    svc.service.current_service_revisions = Some(summaries.clone());
    let stage_of = |r: &Rollout| -> Option<ServiceDeploymentLifecycleStage> {
        r.stage
            .as_deref()
            .map(ServiceDeploymentLifecycleStage::from)
    };
    let primary = svc.rollouts.first().cloned();
    for sd in &mut svc.service_deployments {
        if !matches!(
            sd.status(),
            Some(ServiceDeploymentStatus::InProgress | ServiceDeploymentStatus::RollbackInProgress)
        ) {
            continue;
        }
        let summary = |arn: &str, traffic: Option<f64>| {
            let s = summaries.iter().find(|s| s.arn() == Some(arn));
            ServiceRevisionSummary::builder()
                .arn(arn)
                .requested_task_count(s.map_or(0, |s| s.requested_task_count))
                .running_task_count(s.map_or(0, |s| s.running_task_count))
                .pending_task_count(s.map_or(0, |s| s.pending_task_count))
                .set_requested_production_traffic_weight(traffic)
                .build()
        };
        let green_traffic = primary
            .as_ref()
            .filter(|p| p.stage.is_some())
            .map(|p| p.traffic);
        if let Some(target) = sd
            .target_service_revision
            .as_ref()
            .and_then(|t| t.arn())
            .map(str::to_owned)
        {
            sd.target_service_revision = Some(summary(&target, green_traffic));
        }
        if let Some(sources) = sd.source_service_revisions.as_mut() {
            for s in sources.iter_mut() {
                if let Some(arn) = s.arn().map(str::to_owned) {
                    *s = summary(&arn, green_traffic.map(|g| 100.0 - g));
                }
            }
        }
        if let Some(p) = primary.as_ref().filter(|p| {
            p.service_deployment_arn.as_str() == sd.service_deployment_arn().unwrap_or_default()
        }) {
            sd.lifecycle_stage = stage_of(p);
        }
        if changed {
            sd.updated_at = Some(ts(now));
        }
    }
}

fn reconcile_task_sets(svc: &mut ServiceRecord, ids: &mut Ids, place: &Place<'_>) {
    let now = place.ctx.now;
    let draining = svc.service.status() != Some("ACTIVE");
    let desired = if draining {
        0
    } else {
        svc.service.desired_count.max(0)
    };
    let name = svc_name(svc);
    let stop_delay = place.rules.stop_delay();
    let mut started = Vec::new();
    let mut stopped = Vec::new();
    let sets: Vec<(String, String, i32)> = svc
        .service
        .task_sets()
        .iter()
        .map(|ts| {
            let computed = if draining || ts.status() == Some("DRAINING") {
                0
            } else {
                let pct = ts.scale().map_or(100.0, |s| s.value).clamp(0.0, 100.0);
                (f64::from(desired) * pct / 100.0).ceil() as i32
            };
            (
                ts.id().unwrap_or_default().to_owned(),
                ts.task_definition().unwrap_or_default().to_owned(),
                computed,
            )
        })
        .collect();
    for (id, td, computed) in &sets {
        let (p, r) = counts(svc, id);
        if p + r < *computed {
            for _ in 0..(computed - p - r) {
                if let Some(t) = launch_td(svc, ids, place, id, td) {
                    started.push(t);
                }
            }
        } else if p + r > *computed {
            stopped.extend(stop_some(
                svc,
                id,
                (p + r - computed) as usize,
                now,
                stop_delay,
                "Scaling activity initiated by (deployment {id})",
            ));
        }
    }
    // Tasks of deleted task sets.
    let known: Vec<&String> = sets.iter().map(|s| &s.0).collect();
    let orphans: Vec<String> = svc
        .tasks
        .values()
        .filter(|t| t.is_alive() && t.owner.as_ref().is_none_or(|o| !known.contains(&o)))
        .map(|t| t.id().to_owned())
        .collect();
    for id in &orphans {
        if let Some(t) = svc.tasks.get_mut(id) {
            t.request_stop(
                now,
                stop_delay,
                TaskStopCode::ServiceSchedulerInitiated,
                "Task set was deleted",
            );
        }
    }
    stopped.extend(orphans);
    report(svc, ids, now, &name, &started, &stopped);
    // Counts and stability.
    let mut total = (0, 0);
    let mut per = Vec::new();
    for (id, _, computed) in &sets {
        let (p, r) = counts(svc, id);
        total.0 += p;
        total.1 += r;
        per.push((p, r, *computed));
    }
    let mut drained = Vec::new();
    for (ts_, (p, r, computed)) in svc.service.task_sets.iter_mut().flatten().zip(per) {
        let stable = p == 0 && r == computed;
        let status = if stable {
            StabilityStatus::SteadyState
        } else {
            StabilityStatus::Stabilizing
        };
        if ts_.pending_count != p
            || ts_.running_count != r
            || ts_.computed_desired_count != computed
            || ts_.stability_status() != Some(&status)
        {
            ts_.pending_count = p;
            ts_.running_count = r;
            ts_.computed_desired_count = computed;
            ts_.stability_status = Some(status);
            ts_.stability_status_at = Some(ts(now));
            ts_.updated_at = Some(ts(now));
        }
        if ts_.status() == Some("DRAINING") && p + r == 0 {
            drained.push(ts_.id().unwrap_or_default().to_owned());
        }
    }
    if let Some(sets) = svc.service.task_sets.as_mut() {
        sets.retain(|t| !drained.iter().any(|d| Some(d.as_str()) == t.id()));
    }
    svc.service.pending_count = total.0;
    svc.service.running_count = total.1;
}
