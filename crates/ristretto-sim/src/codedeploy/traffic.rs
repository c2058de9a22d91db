//! What a deployment does to the ECS service: the green task set, the health of its tasks,
//! traffic weights that move by the deployment configuration, the primary task set, and the
//! task-set view of the deployment target (`taskSetsInfo`). ECS itself is driven only through
//! [`crate::ecs::task_sets`], as CodeDeploy drives ECS through the task-set API.

use aws_sdk_codedeploy::types::{EcsTaskSet, TargetGroupInfo, TargetLabel, TrafficRoutingType};

use super::configs::config;
use super::{DeploymentRecord, index_of};
use crate::clock::{Epoch, timestamp};
use crate::ecs::{self, task_sets};
use crate::state::{Ctx, State};

/// Install: creates the green task set (scale 100 %) beside the PRIMARY (blue) one. As in AWS,
/// it carries the deployment's ID as `externalId` and `CODE_DEPLOY` as `startedBy`.
pub(super) fn create_green(state: &mut State, now: Epoch, index: usize) {
    let d = &state.codedeploy.deployments[index];
    let (cluster, service, td) = (
        d.cluster.clone(),
        d.service.clone(),
        d.task_definition.clone(),
    );
    let dep_id = d.info.deployment_id().unwrap_or_default().to_owned();
    let mut created = None;
    with_service(state, &cluster, &service, now, |svc, ids, ctx| {
        let blue = svc
            .service
            .task_sets()
            .iter()
            .find(|t| t.status() == Some("PRIMARY"))
            .and_then(|t| t.id())
            .map(str::to_owned);
        if let Ok(set) =
            task_sets::create_task_set(svc, ids, ctx, &td, 100.0, Some(dep_id), Some("CODE_DEPLOY"))
        {
            created = Some((blue, set.id().unwrap_or_default().to_owned()));
        }
    });
    let d = &mut state.codedeploy.deployments[index];
    if let Some((blue, green)) = created {
        d.blue = blue;
        d.green = Some(green);
    }
}

/// AllowTraffic: moves production traffic one step by the deployment configuration (API
/// TrafficRoutingConfig): all at once; linear, `linearPercentage` every `linearInterval`
/// minutes; canary, `canaryPercentage` then the rest after `canaryInterval` minutes. The next
/// step is due `interval` minutes later, at once when all traffic has moved.
pub(super) fn shift(d: &mut DeploymentRecord, now: Epoch) {
    let (kind, pct, interval) = config(d.info.deployment_config_name().unwrap_or_default())
        .unwrap_or((TrafficRoutingType::AllAtOnce, 100, 0));
    let first = d.traffic <= 0.0;
    d.traffic = match kind {
        TrafficRoutingType::AllAtOnce => 100.0,
        TrafficRoutingType::TimeBasedLinear => (d.traffic + f64::from(pct)).min(100.0),
        _ if first => f64::from(pct),
        _ => 100.0,
    };
    d.event_until = now
        + if d.traffic >= 100.0 {
            0.0
        } else {
            f64::from(interval) * 60.0
        };
}

/// The end of AllowTraffic: the green task set becomes PRIMARY.
pub(super) fn make_green_primary(state: &mut State, now: Epoch, index: usize) {
    let d = &state.codedeploy.deployments[index];
    let (cluster, service, green) = (d.cluster.clone(), d.service.clone(), d.green.clone());
    if let Some(green) = green {
        with_service(state, &cluster, &service, now, |svc, _, _| {
            let _ = task_sets::make_primary(svc, &green, now);
        });
    }
}

/// After the termination wait: the blue task set goes.
pub(super) fn delete_blue(state: &mut State, now: Epoch, index: usize) {
    let d = &state.codedeploy.deployments[index];
    let (cluster, service, blue) = (d.cluster.clone(), d.service.clone(), d.blue.clone());
    if let Some(blue) = blue {
        with_service(state, &cluster, &service, now, |svc, _, _| {
            let _ = task_sets::delete_task_set(svc, &blue, true, now);
        });
    }
}

/// A rollback deployment's first step: the original (blue) task set is primary again.
pub(super) fn make_blue_primary(state: &mut State, now: Epoch, index: usize) {
    let d = &state.codedeploy.deployments[index];
    let (cluster, service, blue) = (d.cluster.clone(), d.service.clone(), d.blue.clone());
    if let Some(blue) = blue {
        with_service(state, &cluster, &service, now, |svc, _, _| {
            let _ = task_sets::make_primary(svc, &blue, now);
        });
    }
}

/// A rollback deployment's last step: the replacement (green) task set goes.
pub(super) fn delete_green(state: &mut State, now: Epoch, index: usize) {
    let d = &state.codedeploy.deployments[index];
    let (cluster, service, green) = (d.cluster.clone(), d.service.clone(), d.green.clone());
    if let Some(green) = green {
        with_service(state, &cluster, &service, now, |svc, _, _| {
            let _ = task_sets::delete_task_set(svc, &green, true, now);
        });
    }
}

/// Whether the deployment's blue (or green) task set is still on the service.
pub(super) fn task_set_exists(state: &State, index: usize, blue: bool) -> bool {
    let d = &state.codedeploy.deployments[index];
    let Some(id) = (if blue { &d.blue } else { &d.green }) else {
        return false;
    };
    state
        .ecs
        .clusters
        .get(&d.cluster)
        .and_then(|c| c.services.get(&d.service))
        .is_some_and(|svc| {
            svc.service
                .task_sets()
                .iter()
                .any(|t| t.id() == Some(id.as_str()))
        })
}

fn ctx_for(state: &State, cluster: &str, now: Epoch) -> Ctx {
    let arn = state
        .ecs
        .clusters
        .get(cluster)
        .and_then(|c| c.cluster.cluster_arn())
        .unwrap_or_default();
    let parts: Vec<&str> = arn.split(':').collect();
    Ctx {
        now,
        region: parts.get(3).copied().unwrap_or("us-east-1").to_owned(),
        account: parts.get(4).copied().unwrap_or("123456789012").to_owned(),
    }
}

pub(super) enum GreenHealth {
    Starting,
    Steady,
    Failed,
}

pub(super) fn green_health(
    state: &State,
    cluster: &str,
    service: &str,
    green: &str,
) -> GreenHealth {
    let Some(svc) = state
        .ecs
        .clusters
        .get(cluster)
        .and_then(|c| c.services.get(service))
    else {
        return GreenHealth::Failed;
    };
    let failures = svc
        .tasks
        .values()
        .filter(|t| t.owner.as_deref() == Some(green))
        .filter(|t| {
            matches!(
                t.task.stop_code().map(|c| c.as_str()),
                Some("EssentialContainerExited" | "TaskFailedToStart")
            )
        })
        .count();
    let set = svc
        .service
        .task_sets()
        .iter()
        .find(|t| t.id() == Some(green));
    let desired = set.map_or(0, |s| s.computed_desired_count).max(1) as usize;
    if failures >= desired.max(3) {
        return GreenHealth::Failed;
    }
    match set {
        Some(s)
            if s.stability_status().map(|x| x.as_str()) == Some("STEADY_STATE")
                && s.running_count == s.computed_desired_count =>
        {
            GreenHealth::Steady
        }
        Some(_) => GreenHealth::Starting,
        None => GreenHealth::Failed,
    }
}

/// Runs `f` on a service record, then lets the ECS scheduler react.
fn with_service(
    state: &mut State,
    cluster: &str,
    service: &str,
    now: Epoch,
    f: impl FnOnce(&mut ecs::ServiceRecord, &mut crate::state::Ids, &Ctx),
) {
    let ctx = ctx_for(state, cluster, now);
    let State { ecs, ids, .. } = state;
    if let Some(svc) = ecs
        .clusters
        .get_mut(cluster)
        .and_then(|c| c.services.get_mut(service))
    {
        f(svc, ids, &ctx);
    }
    ecs::scheduler::reconcile_now(state, &ctx, cluster, service);
}

/// Copies the task sets' counts and traffic weights into the deployment target.
pub(super) fn refresh_target(state: &mut State, now: Epoch, id: &str) {
    let Some(index) = index_of(state, id) else {
        return;
    };
    let d = &state.codedeploy.deployments[index];
    let Some(svc) = state
        .ecs
        .clusters
        .get(&d.cluster)
        .and_then(|c| c.services.get(&d.service))
    else {
        return;
    };
    let groups: Vec<String> = d
        .info
        .load_balancer_info()
        .and_then(|l| l.target_group_pair_info_list().first())
        .map(|p| {
            p.target_groups()
                .iter()
                .filter_map(|t| t.name().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut infos = Vec::new();
    for (label, set_id, weight) in [
        (TargetLabel::Blue, d.blue.as_ref(), 100.0 - d.traffic),
        (TargetLabel::Green, d.green.as_ref(), d.traffic),
    ] {
        let Some(set) = set_id.and_then(|s| {
            svc.service
                .task_sets()
                .iter()
                .find(|t| t.id() == Some(s.as_str()))
        }) else {
            continue;
        };
        let group = groups
            .get(usize::from(label == TargetLabel::Green))
            .cloned();
        infos.push(
            EcsTaskSet::builder()
                .set_identifer(set.id().map(str::to_owned))
                .desired_count(i64::from(set.computed_desired_count))
                .pending_count(i64::from(set.pending_count))
                .running_count(i64::from(set.running_count))
                .set_status(set.status().map(str::to_owned))
                .traffic_weight(weight)
                .set_target_group(group.map(|g| TargetGroupInfo::builder().name(g).build()))
                .task_set_label(label)
                .build(),
        );
    }
    let d = &mut state.codedeploy.deployments[index];
    if d.target.task_sets_info.as_ref() != Some(&infos) {
        d.target.task_sets_info = Some(infos);
        d.target.last_updated_at = Some(timestamp(now));
    }
}

#[cfg(test)]
mod tests {
    use super::shift;
    use crate::testkit::{Kit, code_deploy_world};

    /// The traffic steps of a deployment configuration: `(green %, seconds to the next step)`.
    fn steps(config: &str) -> Vec<(f64, f64)> {
        let mut kit = Kit::new(&code_deploy_world(""));
        let (_, v2) = kit.code_deploy_service();
        let id = kit.create_deployment(20.0, &v2);
        let d = kit
            .state
            .codedeploy
            .deployments
            .iter_mut()
            .find(|d| d.info.deployment_id() == Some(id.as_str()))
            .expect("deployment");
        d.info.deployment_config_name = Some(config.to_owned());
        d.traffic = 0.0;
        let mut out = Vec::new();
        while d.traffic < 100.0 {
            shift(d, 0.0);
            out.push((d.traffic, d.event_until));
        }
        out
    }

    // CodeDeploy user guide, "deployment-configurations": the predefined ECS configurations.
    #[test]
    fn traffic_moves_by_the_deployment_configuration() {
        assert_eq!(steps("CodeDeployDefault.ECSAllAtOnce"), [(100.0, 0.0)]);
        assert_eq!(
            steps("CodeDeployDefault.ECSCanary10Percent5Minutes"),
            [(10.0, 300.0), (100.0, 0.0)]
        );
        let linear = steps("CodeDeployDefault.ECSLinear10PercentEvery3Minutes");
        assert_eq!(linear.len(), 10);
        assert_eq!(linear[0], (10.0, 180.0));
        assert_eq!(linear[9], (100.0, 0.0));
    }
}
