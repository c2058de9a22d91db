//! `delete`: remove a service, optionally stopping its tasks at once, and
//! wait until ECS reports it INACTIVE.
//!
//! `DeleteService` is always sent with `force`, so a service still scaled up
//! is deleted too (its tasks drain as ECS stops them); `terminate` also stops
//! every task right away instead of letting it drain.

use std::time::Duration;

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::ServiceField;
use tokio::time::Instant;

use crate::error::{Diagnosis, EcsError};
use crate::event::{Event, Events};
use crate::wait::Pace;

/// Deletes the service; with `terminate`, first stops its tasks.
///
/// # Errors
/// AWS errors.
pub async fn delete_service(
    ecs: &Client,
    cluster: &str,
    service: &str,
    terminate: bool,
    events: &Events,
) -> Result<(), EcsError> {
    if terminate {
        let arns = ecs
            .list_tasks()
            .cluster(cluster)
            .service_name(service)
            .send()
            .await
            .map_err(|e| EcsError::aws("ListTasks", e))?
            .task_arns
            .unwrap_or_default();
        events.step(format!("stopping {} task(s) of {service}", arns.len()));
        for arn in arns {
            ecs.stop_task()
                .cluster(cluster)
                .task(&arn)
                .reason("stopped by ristretto delete --terminate")
                .send()
                .await
                .map_err(|e| EcsError::aws("StopTask", e))?;
        }
    }
    events.step(format!("deleting service {service}"));
    ecs.delete_service()
        .cluster(cluster)
        .service(service)
        .force(true)
        .send()
        .await
        .map_err(|e| EcsError::aws("DeleteService", e))?;
    Ok(())
}

/// Polls until the service is INACTIVE (or gone).
///
/// # Errors
/// [`EcsError::TimedOut`] at `deadline`, AWS errors.
pub async fn wait_inactive(
    ecs: &Client,
    cluster: &str,
    service: &str,
    deadline: Instant,
    timeout: Duration,
    events: &Events,
) -> Result<(), EcsError> {
    let pace = Pace::default();
    let mut interval = pace.first;
    let mut last_status = String::new();
    loop {
        let out = ecs
            .describe_services()
            .cluster(cluster)
            .services(service)
            .include(ServiceField::Tags)
            .send()
            .await
            .map_err(|e| EcsError::aws("DescribeServices", e))?;
        let live = out
            .services()
            .iter()
            .find(|s| s.status() != Some("INACTIVE"));
        let Some(live) = live else {
            events.emit(Event::Finished {
                outcome: "succeeded".into(),
                message: format!("service {service} is deleted"),
            });
            return Ok(());
        };
        let status = format!(
            "{} running {} pending {}",
            live.status().unwrap_or("?"),
            live.running_count(),
            live.pending_count()
        );
        if status == last_status {
            interval = interval.mul_f64(pace.factor).min(pace.max);
        } else {
            events.step(status.clone());
            last_status = status;
            interval = pace.first;
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(EcsError::TimedOut {
                after: timeout,
                diagnosis: Diagnosis::default(),
            });
        }
        tokio::time::sleep(interval.min(deadline - now)).await;
    }
}
