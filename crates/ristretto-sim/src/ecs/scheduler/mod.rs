//! The service scheduler: what ECS does between API calls.
//!
//! [`crate::state::State::advance`] moves the world from its last time to a new one, event by
//! event (a task becomes RUNNING, a container exits, a stop completes, a strategy stage ends),
//! and calls [`step`] at each one: every task transition due then, and every service is
//! reconciled:
//!
//! - **Rolling** (`ECS` controller, strategy `ROLLING` or none): the PRIMARY deployment is scaled
//!   up to the desired count without exceeding `maximumPercent` of it in RUNNING + PENDING tasks,
//!   and the tasks of older (ACTIVE) deployments are stopped while at least
//!   `minimumHealthyPercent` of the desired count stays RUNNING (AWS rounds the maximum down and
//!   the minimum up).
//! - **Native blue/green, linear, canary**: the green deployment is scaled to the full desired
//!   count, then production traffic moves (all at once, by `stepPercent` every
//!   `stepBakeTimeInMinutes`, or `canaryPercent` then the rest after `canaryBakeTimeInMinutes`),
//!   then `bakeTimeInMinutes` passes, then the blue tasks are stopped; the ten lifecycle stages
//!   and their lifecycle hooks are walked by `native` and `hooks`.
//! - **Circuit breaker**: failed tasks of the PRIMARY deployment are counted; at the threshold
//!   (by default half the desired count, at least 3 and at most 200) the deployment is FAILED and,
//!   with rollback, the last completed task definition becomes PRIMARY again.
//! - **Task sets** (`CODE_DEPLOY`, `EXTERNAL`): each task set is kept at its computed desired
//!   count (`scale` percent of the service's desired count).
//!
//! Service events use AWS's wording, newest first.
//!
//! # Modules
//! This module holds the entry points ([`step`], [`next_event`], [`reconcile_now`], [`prune`])
//! and the pass over one service; each mechanism has its own module: `rolling` (scale up, drain
//! old deployments), `native` (lifecycle stages of native strategies), `hooks` (their lifecycle
//! hooks), `circuit_breaker` (failure counting, back-off,
//! rollback trigger), `completion` (COMPLETED, counts), `task_sets` (task-set services),
//! `deployments` (creating and reinstating deployments), `launch` (starting and stopping tasks)
//! and `events` (service event messages). Unit tests drive [`step`] directly through
//! `crate::testkit`.

mod circuit_breaker;
mod completion;
mod deployments;
mod events;
mod health;
pub mod hooks;
mod launch;
mod native;
mod rolling;
mod task_sets;

use aws_sdk_ecs::types::{DeploymentStrategy, StabilityStatus};
use aws_smithy_types::DateTime;

use super::{ClusterRecord, EcsState, ServiceRecord};
use crate::clock::Epoch;
use crate::ecs::tasks::TaskEvent;
use crate::state::{Ctx, Ids, State};
use crate::world::World;

use circuit_breaker::{apply_task_events, check_breaker};
use completion::{complete_if_done, update_counts};
use health::{replace_unhealthy, unhealthy_until};
use rolling::reconcile_deployments;
use task_sets::reconcile_task_sets;

pub use deployments::{roll_back_primary, roll_back_to, start_deployment};
pub use events::push_event;
pub use hooks::sync_details as sync_hook_details;

/// Stopped tasks stay visible this long (world seconds), like on AWS.
const STOPPED_TASK_RETENTION: f64 = 3600.0;

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
                if let Some(t) = unhealthy_until(svc, task).filter(|t| *t > now) {
                    consider(t);
                }
            }
            if let Some(t) = hooks::next_resolution(svc, now) {
                consider(t);
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
        ..
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
    let services: Vec<String> = cluster.services.keys().cloned().collect();
    for service in services {
        let reserved = launch::reserved_outside(cluster, &service, tds);
        let instances = crate::ecs::container_instances::placeable(cluster);
        let place = Place {
            ctx: &ctx,
            cluster: name,
            cluster_arn: &cluster_arn,
            tds,
            rules,
            reserved: &reserved,
            instances: instances.as_deref(),
        };
        let Some(svc) = cluster.services.get_mut(&service) else {
            continue;
        };
        let mut events = Vec::new();
        let mut drained = Vec::new();
        for (id, t) in &mut svc.tasks {
            while let Some(ev) = t.step(now) {
                if ev == TaskEvent::Drained {
                    drained.push(id.clone());
                }
                events.push((t.owner.clone(), ev));
            }
        }
        let name = svc_name(svc);
        events::report_stopped(svc, ids, now, &name, &drained);
        apply_task_events(svc, ids, &events, now);
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
        ..
    } = ecs;
    let Some(c) = clusters.get_mut(cluster) else {
        return;
    };
    let cluster_arn = c.cluster.cluster_arn().unwrap_or_default().to_owned();
    let reserved = launch::reserved_outside(c, service, task_definitions);
    let instances = crate::ecs::container_instances::placeable(c);
    let place = Place {
        ctx,
        cluster,
        cluster_arn: &cluster_arn,
        tds: task_definitions,
        rules,
        reserved: &reserved,
        instances: instances.as_deref(),
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
    /// What the cluster's tasks outside the service hold on container instances
    /// ([`launch::reserved_outside`]).
    reserved: &'a [crate::ecs::placement::Held],
    /// The container instances that take new tasks, `None` when EC2 capacity is unlimited
    /// ([`crate::ecs::container_instances::placeable`]).
    instances: Option<&'a [crate::ecs::placement::Slot]>,
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

fn svc_name(svc: &ServiceRecord) -> String {
    svc.service.service_name().unwrap_or_default().to_owned()
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

/// One pass of the scheduler over a service.
fn reconcile_service(svc: &mut ServiceRecord, ids: &mut Ids, place: &Place<'_>) {
    let now = place.ctx.now;
    if svc.service.status() == Some("INACTIVE") {
        return;
    }
    // Target changes of the tasks' own timelines (registered, unhealthy) are reported before
    // the scheduler acts on them, the ones it causes (draining) after.
    crate::elbv2::targets::announce(svc, ids, now);
    if is_task_set_service(svc) {
        replace_unhealthy(svc, ids, now, place.rules.stop_delay());
        reconcile_task_sets(svc, ids, place);
    } else {
        replace_unhealthy(svc, ids, now, place.rules.stop_delay());
        check_breaker(svc, ids, now);
        reconcile_deployments(svc, ids, place);
        complete_if_done(svc, ids, now);
        update_counts(svc, now);
    }
    crate::elbv2::targets::announce(svc, ids, now);
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

/// Healthy tasks of a deployment: the ones that count towards it ([`super::TaskRecord::is_healthy`]).
fn healthy_count(svc: &ServiceRecord, owner: &str) -> i32 {
    svc.tasks
        .values()
        .filter(|t| t.owner.as_deref() == Some(owner) && t.is_healthy())
        .count() as i32
}

fn strategy(svc: &ServiceRecord) -> DeploymentStrategy {
    svc.service
        .deployment_configuration()
        .and_then(|c| c.strategy())
        .cloned()
        .unwrap_or(DeploymentStrategy::Rolling)
}
