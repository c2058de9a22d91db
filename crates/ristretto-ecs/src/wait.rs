//! Following a deployment to its end: one `DescribeServices` per poll, which
//! also brings the events to print. Polls come quickly after something
//! changed and back off while nothing does, so the end is noticed soon
//! without hammering the API.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::Service;
use tokio::time::Instant;

use crate::assess::{Assessment, Target, assess};
use crate::error::{Diagnosis, EcsError};
use crate::event::{DeploymentProgress, Event, Events, short_task_definition};
use crate::service::{require_service, stopped_tasks};

/// How often to poll.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// The interval right after a change.
    pub first: Duration,
    /// The longest interval while nothing changes.
    pub max: Duration,
    /// Growth of the interval per quiet poll.
    pub factor: f64,
}

impl Default for Pace {
    fn default() -> Self {
        Self {
            first: Duration::from_millis(1000),
            max: Duration::from_secs(10),
            factor: 1.5,
        }
    }
}

/// Where and how long to wait.
#[derive(Debug, Clone)]
pub struct WaitSpec {
    /// Cluster name.
    pub cluster: String,
    /// Service name.
    pub service: String,
    /// What finishing means.
    pub target: Target,
    /// Give up (timed out) at this instant.
    pub deadline: Instant,
    /// The timeout, for the message.
    pub timeout: Duration,
    /// Print service events newer than this (epoch seconds).
    pub events_since: f64,
    /// Poll pace.
    pub pace: Pace,
}

/// Polls until the deployment succeeds, fails or the deadline passes.
///
/// # Errors
/// [`EcsError::DeploymentFailed`] with a diagnosis, [`EcsError::TimedOut`],
/// or AWS errors.
pub async fn wait_for_deployment(
    ecs: &Client,
    spec: &WaitSpec,
    events: &Events,
) -> Result<Service, EcsError> {
    let mut seen_events: HashSet<String> = HashSet::new();
    let mut last_progress: Option<Vec<DeploymentProgress>> = None;
    let mut interval = spec.pace.first;
    loop {
        let service = require_service(ecs, &spec.cluster, &spec.service).await?;
        let mut changed = report_events(&service, spec.events_since, &mut seen_events, events);
        let progress = progress_of(&service);
        if last_progress.as_ref() != Some(&progress) {
            events.emit(Event::Deployments {
                deployments: progress.clone(),
            });
            last_progress = Some(progress);
            changed = true;
        }
        match assess(&service, &spec.target) {
            Assessment::Succeeded => {
                events.emit(Event::Finished {
                    outcome: "succeeded".into(),
                    message: format!(
                        "service {} runs {}",
                        spec.service,
                        short_task_definition(&spec.target.task_definition)
                    ),
                });
                return Ok(service);
            }
            Assessment::Failed(reason) => {
                let diagnosis = diagnose(ecs, spec, &service).await;
                events.emit(Event::Finished {
                    outcome: "failed".into(),
                    message: reason.clone(),
                });
                return Err(EcsError::DeploymentFailed { reason, diagnosis });
            }
            Assessment::InProgress => {}
        }
        let now = Instant::now();
        if now >= spec.deadline {
            let diagnosis = diagnose(ecs, spec, &service).await;
            events.emit(Event::Finished {
                outcome: "timed_out".into(),
                message: "still in progress".into(),
            });
            return Err(EcsError::TimedOut {
                after: spec.timeout,
                diagnosis,
            });
        }
        interval = if changed {
            spec.pace.first
        } else {
            interval.mul_f64(spec.pace.factor).min(spec.pace.max)
        };
        tokio::time::sleep(interval.min(spec.deadline - now)).await;
    }
}

/// Emits events newer than `since` not yet seen, oldest first; whether any was new.
fn report_events(
    service: &Service,
    since: f64,
    seen: &mut HashSet<String>,
    events: &Events,
) -> bool {
    let mut new: Vec<_> = service
        .events()
        .iter()
        .filter(|e| e.created_at().is_some_and(|t| t.as_secs_f64() >= since))
        .filter(|e| e.id().is_some_and(|id| !seen.contains(id)))
        .collect();
    new.sort_by(|a, b| {
        let key =
            |e: &&aws_sdk_ecs::types::ServiceEvent| e.created_at().map_or(0.0, |t| t.as_secs_f64());
        key(a).total_cmp(&key(b))
    });
    for e in &new {
        if let Some(id) = e.id() {
            seen.insert(id.to_owned());
        }
        events.emit(Event::ServiceEvent {
            at: e
                .created_at()
                .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
                .unwrap_or_default(),
            message: e.message().unwrap_or_default().to_owned(),
        });
    }
    !new.is_empty()
}

/// The deployments of a service, PRIMARY first.
#[must_use]
pub fn progress_of(service: &Service) -> Vec<DeploymentProgress> {
    let mut list: Vec<DeploymentProgress> = service
        .deployments()
        .iter()
        .map(|d| DeploymentProgress {
            id: d.id().unwrap_or_default().to_owned(),
            status: d.status().unwrap_or_default().to_owned(),
            task_definition: short_task_definition(d.task_definition().unwrap_or_default())
                .to_owned(),
            desired: d.desired_count(),
            pending: d.pending_count(),
            running: d.running_count(),
            failed: d.failed_tasks(),
            rollout_state: d
                .rollout_state()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
        })
        .collect();
    list.sort_by_key(|d| d.status != "PRIMARY");
    list
}

/// The last events and the stopped tasks of our deployment. Best effort: a
/// failing lookup leaves that part empty rather than hiding the real error.
async fn diagnose(ecs: &Client, spec: &WaitSpec, service: &Service) -> Diagnosis {
    let mut events: Vec<_> = service
        .events()
        .iter()
        .take(5)
        .filter_map(|e| e.message().map(str::to_owned))
        .collect();
    events.reverse();
    let stopped = match &spec.target.deployment {
        Some(id) => stopped_tasks(ecs, &spec.cluster, id, 5)
            .await
            .unwrap_or_default(),
        None => Vec::new(),
    };
    Diagnosis {
        events,
        stopped_tasks: stopped,
    }
}
