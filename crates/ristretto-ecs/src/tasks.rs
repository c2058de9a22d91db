//! The tasks a service runs now, and where: what `status` lists under the deployments (each
//! task's capacity provider, or its launch type when it was started without a strategy); and
//! what `tasks` does with them: list a service's or a family's tasks, running or stopped,
//! stop them, and follow one task's state changes to its end ([`trace`]).

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_ecs::Client;
use aws_sdk_ecs::primitives::DateTime;
use aws_sdk_ecs::types::{DesiredStatus, Task};
use ristretto_core::event::Events;
use ristretto_core::poll::{Backoff, GaveUp, Limits, Look, Pace, poll};

use crate::error::EcsError;

/// API_DescribeTasks takes at most 100 tasks per call.
const DESCRIBE_LIMIT: usize = 100;

/// The `reason` ristretto gives StopTask (API_StopTask: "an optional message specified when a
/// task is stopped", which "appears in subsequent DescribeTasks" as the task's `stoppedReason`).
pub const STOP_REASON: &str = "Task stopped by ristretto";

/// Whose tasks to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// A service's (ListTasks `serviceName`).
    Service(&'a str),
    /// Every task of a task definition family, a service's or standalone (ListTasks `family`).
    Family(&'a str),
}

/// The service's tasks that are not stopped: ListTasks by `serviceName` (its default
/// `desiredStatus` is RUNNING, which also lists tasks still starting, API_ListTasks), every page,
/// then DescribeTasks 100 at a time. Ordered by start (creation) time, then task ARN.
///
/// # Errors
/// AWS errors (a missing cluster is `ClusterNotFoundException`, a missing service
/// `ServiceNotFoundException`).
pub async fn service_tasks(
    ecs: &Client,
    cluster: &str,
    service: &str,
) -> Result<Vec<Task>, EcsError> {
    list(
        ecs,
        cluster,
        Scope::Service(service),
        &[DesiredStatus::Running],
    )
    .await
}

/// The tasks of `scope` whose desired status is one of `statuses` (ListTasks takes one
/// `desiredStatus` per call, so one listing each; a task is listed once), every page, described
/// 100 at a time, ordered by creation time, then ARN.
///
/// # Errors
/// AWS errors.
pub async fn list(
    ecs: &Client,
    cluster: &str,
    scope: Scope<'_>,
    statuses: &[DesiredStatus],
) -> Result<Vec<Task>, EcsError> {
    let mut arns: Vec<String> = Vec::new();
    for status in statuses {
        let mut token = None;
        loop {
            let request = ecs
                .list_tasks()
                .cluster(cluster)
                .desired_status(status.clone())
                .set_next_token(token);
            let request = match scope {
                Scope::Service(name) => request.service_name(name),
                Scope::Family(name) => request.family(name),
            };
            let page = request
                .send()
                .await
                .map_err(|e| EcsError::aws("ListTasks", e))?;
            for arn in page.task_arns.unwrap_or_default() {
                if !arns.contains(&arn) {
                    arns.push(arn);
                }
            }
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
    }
    let mut tasks = describe(ecs, cluster, &arns).await?.tasks;
    tasks.sort_by(|a, b| {
        let key = |t: &Task| t.created_at().map(|c| (c.secs(), c.subsec_nanos()));
        key(a)
            .cmp(&key(b))
            .then_with(|| a.task_arn().cmp(&b.task_arn()))
    });
    Ok(tasks)
}

/// What DescribeTasks said about some tasks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Described {
    /// The tasks found, in the order asked.
    pub tasks: Vec<Task>,
    /// The IDs or ARNs ECS does not know (API_DescribeTasks `failures`, reason `MISSING`).
    pub missing: Vec<String>,
}

/// DescribeTasks for `ids` (task IDs or ARNs), 100 at a time.
///
/// # Errors
/// AWS errors.
pub async fn describe(ecs: &Client, cluster: &str, ids: &[String]) -> Result<Described, EcsError> {
    let mut described = Described::default();
    for chunk in ids.chunks(DESCRIBE_LIMIT) {
        let out = ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| EcsError::aws("DescribeTasks", e))?;
        described.missing.extend(
            out.failures()
                .iter()
                .filter_map(|f| f.arn().map(str::to_owned)),
        );
        described.tasks.extend(out.tasks.unwrap_or_default());
    }
    Ok(described)
}

/// Stops a task with StopTask and [`STOP_REASON`]; returns the task as ECS answered
/// (desired status STOPPED, on its way down).
///
/// # Errors
/// AWS errors (an unknown task is `InvalidParameterException`).
pub async fn stop(ecs: &Client, cluster: &str, task: &str) -> Result<Task, EcsError> {
    let out = ecs
        .stop_task()
        .cluster(cluster)
        .task(task)
        .reason(STOP_REASON)
        .send()
        .await
        .map_err(|e| EcsError::aws("StopTask", e))?;
    out.task.ok_or_else(|| EcsError::Invalid {
        message: format!("StopTask answered without the task `{task}`"),
        hint: None,
    })
}

/// The service that started a task, from its `group` (`service:NAME`, API_Task `group`).
#[must_use]
pub fn service_of(task: &Task) -> Option<&str> {
    task.group().and_then(|g| g.strip_prefix("service:"))
}

/// One change of a traced task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The first look: where the task is.
    Seen {
        /// `family:revision`.
        task_definition: String,
        /// Its last status.
        last_status: String,
        /// Its desired status.
        desired_status: String,
        /// Its health.
        health: String,
    },
    /// `lastStatus` moved.
    LastStatus {
        /// Before.
        from: String,
        /// Now.
        to: String,
    },
    /// `desiredStatus` moved (ECS or someone asked the task to stop).
    DesiredStatus {
        /// Now.
        to: String,
        /// The stop code and reason, once ECS gives them.
        reason: Option<String>,
    },
    /// `healthStatus` moved.
    Health {
        /// Before.
        from: String,
        /// Now.
        to: String,
    },
    /// A container stopped.
    ContainerExited {
        /// Its name.
        container: String,
        /// Its exit code, when it has one (a container that never started has none).
        exit_code: Option<i32>,
        /// ECS's reason, when it gives one.
        reason: Option<String>,
    },
    /// The task reached STOPPED.
    Stopped {
        /// `EssentialContainerExited`, `UserInitiated`, `TaskFailedToStart`, …
        stop_code: Option<String>,
        /// `stoppedReason`.
        reason: Option<String>,
    },
    /// A new event of the task's service.
    ServiceEvent {
        /// ECS's message.
        message: String,
    },
}

/// A change and when it happened, as far as ECS says (`None`: it gives no time for it).
#[derive(Debug, Clone, PartialEq)]
pub struct Traced {
    /// When.
    pub at: Option<DateTime>,
    /// What.
    pub change: Change,
}

/// The time ECS gives for a task reaching `status` (API_Task: `createdAt`, `pullStartedAt`,
/// `startedAt`, `stoppingAt`, `executionStoppedAt`, `stoppedAt`).
fn status_time(task: &Task, status: &str) -> Option<DateTime> {
    match status {
        "PROVISIONING" | "PENDING" => task.created_at().copied(),
        "ACTIVATING" => task.pull_started_at().or(task.connectivity_at()).copied(),
        "RUNNING" => task.started_at().copied(),
        "DEACTIVATING" | "STOPPING" => task.stopping_at().copied(),
        "DEPROVISIONING" => task.execution_stopped_at().copied(),
        "STOPPED" => task.stopped_at().copied(),
        _ => None,
    }
}

fn health(task: &Task) -> &str {
    task.health_status().map_or("UNKNOWN", |h| h.as_str())
}

/// What changed between two looks at one task (`before` is `None` at the first look), in the
/// order it happened: status first, then health, containers, and the stop itself last.
#[must_use]
pub fn changes(before: Option<&Task>, now: &Task) -> Vec<Traced> {
    let last = now.last_status().unwrap_or("-");
    let desired = now.desired_status().unwrap_or("-");
    let Some(before) = before else {
        let mut first = vec![Traced {
            at: status_time(now, last),
            change: Change::Seen {
                task_definition: ristretto_core::event::short_task_definition(
                    now.task_definition_arn().unwrap_or("-"),
                )
                .to_owned(),
                last_status: last.to_owned(),
                desired_status: desired.to_owned(),
                health: health(now).to_owned(),
            },
        }];
        if last == "STOPPED" {
            first.extend(exits(None, now));
            first.push(stopped(now));
        }
        return first;
    };
    let mut out = Vec::new();
    let was_desired = before.desired_status().unwrap_or("-");
    if was_desired != desired {
        out.push(Traced {
            at: if desired == "STOPPED" {
                now.stopping_at().copied()
            } else {
                None
            },
            change: Change::DesiredStatus {
                to: desired.to_owned(),
                reason: now.stopped_reason().map(|r| match now.stop_code() {
                    Some(code) => format!("{}: {r}", code.as_str()),
                    None => r.to_owned(),
                }),
            },
        });
    }
    let was = before.last_status().unwrap_or("-");
    if was != last && last != "STOPPED" {
        out.push(Traced {
            at: status_time(now, last),
            change: Change::LastStatus {
                from: was.to_owned(),
                to: last.to_owned(),
            },
        });
    }
    if health(before) != health(now) {
        out.push(Traced {
            at: None,
            change: Change::Health {
                from: health(before).to_owned(),
                to: health(now).to_owned(),
            },
        });
    }
    out.extend(exits(Some(before), now));
    if was != last && last == "STOPPED" {
        out.push(stopped(now));
    }
    out
}

/// The containers of `now` that stopped since `before` (every stopped one at the first look).
fn exits(before: Option<&Task>, now: &Task) -> Vec<Traced> {
    now.containers()
        .iter()
        .filter(|c| c.last_status() == Some("STOPPED"))
        .filter(|c| {
            before.is_none_or(|b| {
                b.containers()
                    .iter()
                    .find(|p| p.name() == c.name())
                    .is_none_or(|p| p.last_status() != Some("STOPPED"))
            })
        })
        .map(|c| Traced {
            // API_Container has no time of its own; a container of a task being stopped
            // stopped by `stoppingAt` (an exit is what makes ECS stop a task), else no time.
            at: if now.desired_status() == Some("STOPPED") {
                now.stopping_at().copied()
            } else {
                None
            },
            change: Change::ContainerExited {
                container: c.name().unwrap_or("-").to_owned(),
                exit_code: c.exit_code(),
                reason: c.reason().map(str::to_owned),
            },
        })
        .collect()
}

fn stopped(task: &Task) -> Traced {
    Traced {
        at: task.stopped_at().copied(),
        change: Change::Stopped {
            stop_code: task.stop_code().map(|c| c.as_str().to_owned()),
            reason: task.stopped_reason().map(str::to_owned),
        },
    }
}

/// How [`trace`] ended.
#[derive(Debug, Clone, PartialEq)]
pub enum TraceEnd {
    /// The task reached STOPPED (its last description).
    Stopped(Box<Task>),
    /// ECS no longer knows the task (stopped tasks are kept for a while only).
    Gone,
}

/// Follows `task` until it is STOPPED or `limits` end: DescribeTasks at each look, and the new
/// events of the task's service (its `group`), each change handed to `on` once, in order.
///
/// # Errors
/// AWS errors; an unknown task is [`EcsError::Invalid`].
pub async fn trace(
    ecs: &Client,
    cluster: &str,
    task: &str,
    limits: Limits,
    events: &Events,
    mut on: impl FnMut(Traced),
) -> Result<Result<TraceEnd, GaveUp>, EcsError> {
    let mut previous: Option<Task> = None;
    // Event IDs already there at the first look (or already reported).
    let mut seen_events: Option<HashSet<String>> = None;
    let mut backoff = Backoff::new(Pace {
        first: Duration::from_secs(1),
        max: Duration::from_secs(5),
        factor: 1.5,
        close: Duration::from_secs(1),
    });
    poll(limits, events, async || {
        let described = describe(ecs, cluster, &[task.to_owned()]).await?;
        let Some(now) = described.tasks.into_iter().next() else {
            if previous.is_none() {
                return Err(EcsError::Invalid {
                    message: format!("task `{task}` is not found in cluster `{cluster}`"),
                    hint: Some(
                        "`ristretto tasks --status ALL` lists the tasks ECS still knows".to_owned(),
                    ),
                });
            }
            return Ok(Look::Done(TraceEnd::Gone));
        };
        let mut found = changes(previous.as_ref(), &now);
        if let Some(service) = service_of(&now) {
            found.extend(new_service_events(ecs, cluster, service, &mut seen_events).await?);
        }
        let changed = !found.is_empty();
        for change in found {
            on(change);
        }
        if now.last_status() == Some("STOPPED") {
            return Ok(Look::Done(TraceEnd::Stopped(Box::new(now))));
        }
        previous = Some(now);
        Ok(Look::Again {
            changed,
            next: backoff.next(changed),
        })
    })
    .await
}

/// The events of `service` not in `seen` (all of them are only recorded at the first look),
/// oldest first.
async fn new_service_events(
    ecs: &Client,
    cluster: &str,
    service: &str,
    seen: &mut Option<HashSet<String>>,
) -> Result<Vec<Traced>, EcsError> {
    let Some(live) = crate::service::describe_service(ecs, cluster, service).await? else {
        return Ok(Vec::new());
    };
    let first = seen.is_none();
    let seen = seen.get_or_insert_with(HashSet::new);
    // DescribeServices lists events newest first (API_Service `events`).
    let mut new: Vec<Traced> = live
        .events()
        .iter()
        .filter(|e| e.id().is_some_and(|id| seen.insert(id.to_owned())))
        .filter(|_| !first)
        .map(|e| Traced {
            at: e.created_at().copied(),
            change: Change::ServiceEvent {
                message: e.message().unwrap_or_default().to_owned(),
            },
        })
        .collect();
    new.reverse();
    Ok(new)
}

/// Where a task runs: its capacity provider (API_Task `capacityProviderName`, set for tasks
/// started through a capacity provider strategy), else its launch type, else `-`.
#[must_use]
pub fn placement(task: &Task) -> &str {
    task.capacity_provider_name()
        .or_else(|| task.launch_type().map(|l| l.as_str()))
        .unwrap_or("-")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use aws_config::{BehaviorVersion, Region};
    use aws_sdk_ecs::types::{
        AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition, LaunchType,
        NetworkConfiguration, NetworkMode,
    };
    use ristretto_sim::{SimConfig, World};

    use super::*;

    async fn simulator() -> (ristretto_sim::SimHandle, Client) {
        simulator_with("clusters: [default]\ntaskStartJitter: 0\n").await
    }

    async fn simulator_with(world: &str) -> (ristretto_sim::SimHandle, Client) {
        let handle = ristretto_sim::start(
            SimConfig {
                world: World::from_yaml_str(world).unwrap(),
                state_file: None,
                speed: 0.0,
                request_log: None,
            },
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let config = aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new("test", "test", None, None, "static"),
                ),
            )
            .endpoint_url(handle.endpoint_url())
            .build();
        let client = Client::new(&config);
        (handle, client)
    }

    // API_ListTasks (`nextToken`: follow until absent; at most 100 per page) and
    // API_DescribeTasks (at most 100 tasks per call, refused beyond): a service of 150 tasks
    // is listed over two pages and described in two calls.
    #[tokio::test]
    async fn every_page_is_listed_and_described_a_hundred_at_a_time() {
        let (sim, ecs) = simulator().await;
        ecs.register_task_definition()
            .family("web")
            .requires_compatibilities(Compatibility::Fargate)
            .network_mode(NetworkMode::Awsvpc)
            .cpu("256")
            .memory("512")
            .container_definitions(
                ContainerDefinition::builder()
                    .name("app")
                    .image("web:1")
                    .essential(true)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        ecs.create_service()
            .service_name("web")
            .task_definition("web")
            .launch_type(LaunchType::Fargate)
            .desired_count(150)
            .network_configuration(
                NetworkConfiguration::builder()
                    .awsvpc_configuration(
                        AwsVpcConfiguration::builder()
                            .subnets("subnet-1")
                            .assign_public_ip(AssignPublicIp::Disabled)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        sim.advance(60.0);
        let tasks = service_tasks(&ecs, "default", "web").await.unwrap();
        assert_eq!(tasks.len(), 150);
        assert!(tasks.iter().all(|t| placement(t) == "FARGATE"));
        let mut arns: Vec<_> = tasks.iter().filter_map(|t| t.task_arn()).collect();
        arns.dedup();
        assert_eq!(arns.len(), 150, "no task listed twice");
    }

    async fn register(ecs: &Client, image: &str) {
        ecs.register_task_definition()
            .family("web")
            .requires_compatibilities(Compatibility::Fargate)
            .network_mode(NetworkMode::Awsvpc)
            .cpu("256")
            .memory("512")
            .container_definitions(
                ContainerDefinition::builder()
                    .name("app")
                    .image(image)
                    .essential(true)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }

    fn network() -> NetworkConfiguration {
        NetworkConfiguration::builder()
            .awsvpc_configuration(
                AwsVpcConfiguration::builder()
                    .subnets("subnet-1")
                    .assign_public_ip(AssignPublicIp::Disabled)
                    .build()
                    .unwrap(),
            )
            .build()
    }

    async fn run_one(ecs: &Client) -> String {
        ecs.run_task()
            .task_definition("web")
            .launch_type(LaunchType::Fargate)
            .network_configuration(network())
            .send()
            .await
            .unwrap()
            .tasks()[0]
            .task_arn()
            .unwrap()
            .to_owned()
    }

    // API_ListTasks: `serviceName` lists a service's tasks, `family` every task of the family
    // (a service's and a standalone RunTask's); `desiredStatus` STOPPED the stopped ones, one
    // status per call. API_StopTask: the task's desired status becomes STOPPED at once, with
    // the given `reason` as its `stoppedReason`.
    #[tokio::test]
    async fn a_service_a_family_and_stopped_tasks_are_listed_and_a_task_stopped() {
        let (sim, ecs) = simulator().await;
        register(&ecs, "web:1").await;
        ecs.create_service()
            .service_name("web")
            .task_definition("web")
            .launch_type(LaunchType::Fargate)
            .desired_count(2)
            .network_configuration(network())
            .send()
            .await
            .unwrap();
        let standalone = run_one(&ecs).await;
        sim.advance(60.0);
        let service = list(
            &ecs,
            "default",
            Scope::Service("web"),
            &[DesiredStatus::Running],
        )
        .await
        .unwrap();
        assert_eq!(service.len(), 2);
        assert!(service.iter().all(|t| service_of(t) == Some("web")));
        let family = list(
            &ecs,
            "default",
            Scope::Family("web"),
            &[DesiredStatus::Running],
        )
        .await
        .unwrap();
        assert_eq!(family.len(), 3, "the standalone task too");

        let victim = service[0].task_arn().unwrap().to_owned();
        let answer = stop(&ecs, "default", &victim).await.unwrap();
        assert_eq!(answer.desired_status(), Some("STOPPED"));
        assert_eq!(answer.stopped_reason(), Some(STOP_REASON));
        sim.advance(60.0);
        let stopped = list(
            &ecs,
            "default",
            Scope::Service("web"),
            &[DesiredStatus::Stopped],
        )
        .await
        .unwrap();
        assert_eq!(stopped.len(), 1);
        assert_eq!(stopped[0].task_arn(), Some(victim.as_str()));
        assert_eq!(stopped[0].last_status(), Some("STOPPED"));
        let both = list(
            &ecs,
            "default",
            Scope::Service("web"),
            &[DesiredStatus::Running, DesiredStatus::Stopped],
        )
        .await
        .unwrap();
        assert_eq!(
            both.len(),
            3,
            "two running (one replaced) and the stopped one"
        );

        let described = describe(&ecs, "default", &[standalone, "nope".to_owned()])
            .await
            .unwrap();
        assert_eq!(described.tasks.len(), 1);
        assert_eq!(described.missing, ["nope"]);
    }

    // What `tasks --trace` reports between looks, on the simulator's task timeline: the world
    // rule crashes the essential container 60 s after RUNNING with exit code 1 (ECS developer
    // guide, "task lifecycle": PROVISIONING → PENDING → ACTIVATING → RUNNING → … → STOPPED;
    // API_Container `exitCode`, API_Task `stopCode` EssentialContainerExited).
    #[tokio::test]
    async fn a_crashing_task_is_seen_running_then_its_container_exits_then_it_stops() {
        let (sim, ecs) = simulator_with(
            "clusters: [default]\ntaskStartJitter: 0\ntaskStartDelaySeconds: 10\ncontainers:\n  - {image: \"*:crashloop*\", crashAfterSeconds: 60, exitCode: 1}\n",
        )
        .await;
        register(&ecs, "web:crashloop").await;
        let arn = run_one(&ecs).await;
        let look = async || {
            describe(&ecs, "default", std::slice::from_ref(&arn))
                .await
                .unwrap()
                .tasks
                .remove(0)
        };
        let first = look().await;
        let seen = changes(None, &first);
        assert_eq!(seen.len(), 1);
        assert!(
            matches!(&seen[0].change, Change::Seen { desired_status, .. } if desired_status == "RUNNING")
        );
        assert_eq!(
            changes(Some(&first), &first),
            [],
            "nothing changed, nothing said"
        );

        sim.advance(20.0);
        let running = look().await;
        let found = changes(Some(&first), &running);
        assert!(
            found.iter().any(|c| c.change
                == Change::LastStatus {
                    from: first.last_status().unwrap().to_owned(),
                    to: "RUNNING".to_owned()
                }
                && c.at == running.started_at().copied()),
            "{found:?}"
        );

        sim.advance(120.0);
        let end = look().await;
        let found = changes(Some(&running), &end);
        let kinds: Vec<&Change> = found.iter().map(|c| &c.change).collect();
        assert!(
            matches!(
                kinds.as_slice(),
                [
                    Change::DesiredStatus { .. },
                    ..,
                    Change::ContainerExited {
                        exit_code: Some(1),
                        ..
                    },
                    Change::Stopped { .. }
                ]
            ),
            "{kinds:?}"
        );
        assert!(
            matches!(kinds.last(), Some(Change::Stopped { stop_code: Some(code), .. }) if code == "EssentialContainerExited")
        );
        assert_eq!(found.last().unwrap().at, end.stopped_at().copied());
    }

    #[test]
    fn a_task_seen_first_when_stopped_says_how_it_ended() {
        let task = Task::builder()
            .task_arn("arn:aws:ecs:us-east-1:1:task/default/abc")
            .task_definition_arn("arn:aws:ecs:us-east-1:1:task-definition/web:7")
            .last_status("STOPPED")
            .desired_status("STOPPED")
            .containers(
                aws_sdk_ecs::types::Container::builder()
                    .name("app")
                    .last_status("STOPPED")
                    .exit_code(3)
                    .build(),
            )
            .stop_code(aws_sdk_ecs::types::TaskStopCode::EssentialContainerExited)
            .build();
        let found = changes(None, &task);
        assert!(
            matches!(&found[0].change, Change::Seen { task_definition, .. } if task_definition == "web:7")
        );
        assert!(matches!(
            found[1].change,
            Change::ContainerExited {
                exit_code: Some(3),
                ..
            }
        ));
        assert!(matches!(found[2].change, Change::Stopped { .. }));
    }

    #[test]
    fn a_task_shows_its_capacity_provider_else_its_launch_type() {
        let spot = Task::builder()
            .launch_type(LaunchType::Fargate)
            .capacity_provider_name("FARGATE_SPOT")
            .build();
        assert_eq!(placement(&spot), "FARGATE_SPOT");
        let plain = Task::builder().launch_type(LaunchType::Ec2).build();
        assert_eq!(placement(&plain), "EC2");
        assert_eq!(placement(&Task::builder().build()), "-");
    }
}
