//! Cleaning up task definition revisions (`deregister`) without ever taking
//! away a revision that something still runs: a deployment or task set of
//! the service, or any task of the family in the cluster that has not
//! stopped yet.

use std::collections::BTreeMap;

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{DesiredStatus, Service};

use crate::error::EcsError;
use crate::task_definition::split_revision;
use ristretto_core::event::short_task_definition;

/// Revisions in use (`family:revision` → why), e.g. `web:3` → `PRIMARY deployment`.
pub type InUse = BTreeMap<String, String>;

/// The revisions of `family` in use in `cluster`: tasks that have not
/// stopped, and the deployments and task sets of `service` when given.
///
/// # Errors
/// AWS errors.
pub async fn in_use(
    ecs: &Client,
    cluster: &str,
    family: &str,
    service: Option<&Service>,
) -> Result<InUse, EcsError> {
    let mut uses = InUse::new();
    for status in [DesiredStatus::Running, DesiredStatus::Stopped] {
        let mut token: Option<String> = None;
        loop {
            let out = ecs
                .list_tasks()
                .cluster(cluster)
                .family(family)
                .desired_status(status.clone())
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| EcsError::aws("ListTasks", e))?;
            let arns = out.task_arns().to_vec();
            if !arns.is_empty() {
                let tasks = ecs
                    .describe_tasks()
                    .cluster(cluster)
                    .set_tasks(Some(arns))
                    .send()
                    .await
                    .map_err(|e| EcsError::aws("DescribeTasks", e))?;
                for task in tasks.tasks() {
                    let last = task.last_status().unwrap_or_default();
                    if last == "STOPPED" {
                        continue;
                    }
                    if let Some(td) = task.task_definition_arn() {
                        uses.entry(short_task_definition(td).to_owned())
                            .or_insert_with(|| format!("{last} task"));
                    }
                }
            }
            match out.next_token {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => break,
            }
        }
    }
    if let Some(service) = service {
        if let Some(td) = service.task_definition() {
            uses.insert(
                short_task_definition(td).to_owned(),
                "the service".to_owned(),
            );
        }
        for d in service.deployments() {
            if let Some(td) = d.task_definition() {
                uses.insert(
                    short_task_definition(td).to_owned(),
                    format!("{} deployment", d.status().unwrap_or("a")),
                );
            }
        }
        for set in service.task_sets() {
            if let Some(td) = set.task_definition() {
                uses.insert(
                    short_task_definition(td).to_owned(),
                    format!("{} task set", set.status().unwrap_or("a")),
                );
            }
        }
    }
    Ok(uses)
}

/// Which revisions `--keeps N` deregisters: of the ACTIVE revisions (`active`,
/// any order) that are not in use, all but the newest `keeps`, oldest first.
/// Revisions in use are never candidates and do not count towards `keeps`.
#[must_use]
pub fn to_deregister(active: &[String], in_use: &InUse, keeps: usize) -> Vec<String> {
    let mut candidates: Vec<(i64, &String)> = active
        .iter()
        .filter(|arn| !in_use.contains_key(short_task_definition(arn)))
        .filter_map(|arn| Some((split_revision(arn)?.1, arn)))
        .collect();
    candidates.sort_by_key(|(revision, _)| *revision);
    let excess = candidates.len().saturating_sub(keeps);
    candidates
        .into_iter()
        .take(excess)
        .map(|(_, arn)| arn.clone())
        .collect()
}

/// Deregisters `arns`, then (with `delete`) deletes them; returns the names
/// that could not be deleted, with the reason.
///
/// # Errors
/// AWS errors.
pub async fn deregister_all(
    ecs: &Client,
    arns: &[String],
    delete: bool,
    events: &ristretto_core::event::Events,
) -> Result<Vec<(String, String)>, EcsError> {
    for arn in arns {
        crate::rollback::deregister(ecs, arn, events).await?;
    }
    let mut failures = Vec::new();
    if delete {
        for chunk in arns.chunks(10) {
            events.step(format!(
                "deleting {}",
                chunk
                    .iter()
                    .map(|a| short_task_definition(a))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            let out = ecs
                .delete_task_definitions()
                .set_task_definitions(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| EcsError::aws("DeleteTaskDefinitions", e))?;
            for f in out.failures() {
                failures.push((
                    short_task_definition(f.arn().unwrap_or("?")).to_owned(),
                    f.reason().unwrap_or("no reason given").to_owned(),
                ));
            }
        }
    }
    Ok(failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arns(revisions: &[i64]) -> Vec<String> {
        revisions
            .iter()
            .map(|r| format!("arn:aws:ecs:us-east-1:1:task-definition/web:{r}"))
            .collect()
    }

    fn uses(names: &[&str]) -> InUse {
        names
            .iter()
            .map(|n| ((*n).to_owned(), "PRIMARY deployment".to_owned()))
            .collect()
    }

    #[test]
    fn keeps_deregisters_the_oldest_revisions_beyond_n() {
        let active = arns(&[1, 2, 3, 4, 5]);
        assert_eq!(to_deregister(&active, &InUse::new(), 2), arns(&[1, 2, 3]));
    }

    #[test]
    fn keeps_never_deregisters_a_revision_in_use_even_the_oldest() {
        let active = arns(&[1, 2, 3, 4, 5]);
        let got = to_deregister(&active, &uses(&["web:1", "web:5"]), 2);
        assert_eq!(got, arns(&[2]));
    }

    #[test]
    fn revisions_in_use_do_not_count_towards_keeps() {
        let active = arns(&[1, 2, 3]);
        assert_eq!(
            to_deregister(&active, &uses(&["web:3"]), 2),
            Vec::<String>::new()
        );
    }

    #[test]
    fn order_of_the_listing_does_not_matter() {
        let active = arns(&[5, 1, 3, 2, 4]);
        assert_eq!(to_deregister(&active, &InUse::new(), 3), arns(&[1, 2]));
    }
}
