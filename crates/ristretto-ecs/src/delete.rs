//! `delete`: remove a service, optionally stopping its tasks at once, and
//! wait until ECS reports it INACTIVE.
//!
//! `DeleteService` is always sent with `force`, so a service still scaled up
//! is deleted too (its tasks drain as ECS stops them); `terminate` also stops
//! every task right away instead of letting it drain.

use std::time::Duration;

use aws_sdk_ecs::Client;
use tokio::time::Instant;

use crate::error::{Diagnosis, EcsError};
use crate::service::describe_service;
use ristretto_core::event::{Event, Events, Outcome};
use ristretto_core::poll::{Backoff, Limits, Look, Pace, poll};

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
    let mut backoff = Backoff::new(Pace::default());
    let mut last_status = String::new();
    let limits = Limits {
        deadline,
        no_progress: None,
        first_look: None,
    };
    let ended = poll(limits, events, async || {
        let Some(live) = describe_service(ecs, cluster, service).await? else {
            return Ok(Look::Done(()));
        };
        let status = format!(
            "{} running {} pending {}",
            live.status().unwrap_or("?"),
            live.running_count(),
            live.pending_count()
        );
        let changed = status != last_status;
        if changed {
            events.step(status.clone());
            last_status = status;
        }
        Ok::<_, EcsError>(Look::Again {
            changed,
            next: backoff.next(changed),
        })
    })
    .await?;
    match ended {
        Ok(()) => {
            events.emit(Event::Finished {
                outcome: Outcome::Succeeded,
                message: format!("service {service} is deleted"),
            });
            Ok(())
        }
        Err(_) => Err(EcsError::TimedOut {
            after: timeout,
            diagnosis: Diagnosis::default(),
        }),
    }
}
