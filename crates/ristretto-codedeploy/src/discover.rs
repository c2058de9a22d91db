//! Which CodeDeploy application and deployment group deploy a service.
//!
//! The config's `codedeploy` names win. Without them, the service's own task
//! sets usually say: a task set that a CodeDeploy deployment created carries
//! the deployment's ID in `externalId`, so `GetDeployment` names the
//! application and group, and `GetDeploymentGroup` confirms that the group
//! lists the service — two calls, however many applications the account has.
//! A service whose task sets came from ECS (just created, never deployed by
//! CodeDeploy) has no such ID; then every application is listed, the likely
//! ones (their name contains the service's) are examined first, and the
//! search stops at the first group whose `ecsServices` holds the cluster and
//! service. ecspresso's users were throttled here.

use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::types::{ComputePlatform, DeploymentGroupInfo};
use aws_sdk_ecs::types::TaskSet;

use crate::error::CodeDeployError;

/// `BatchGet*` take at most this many names.
const BATCH: usize = 100;

/// The deployment group of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The application.
    pub application_name: String,
    /// The deployment group.
    pub deployment_group_name: String,
    /// The group's deployment configuration.
    pub deployment_config_name: Option<String>,
}

/// What to look for.
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    /// Cluster name.
    pub cluster: &'a str,
    /// Service name.
    pub service: &'a str,
    /// `codedeploy.application_name` of the config.
    pub application: Option<&'a str>,
    /// `codedeploy.deployment_group_name` of the config.
    pub group: Option<&'a str>,
    /// The live service's task sets (from the `DescribeServices` already made).
    pub task_sets: &'a [TaskSet],
}

/// Finds the group deploying the service.
///
/// Calls: with a config name, as below from that application or group (both
/// names: one call). Otherwise, when a task set carries a CodeDeploy
/// deployment ID, `GetDeployment` and `GetDeploymentGroup`. Otherwise (or
/// when those do not lead to a group of this service): the pages of
/// `ListApplications`, then per 100 applications (most likely first) one
/// `BatchGetApplications`, and per ECS application the pages of
/// `ListDeploymentGroups` and one `BatchGetDeploymentGroups` per 100 groups,
/// until a group matches.
///
/// # Errors
/// [`CodeDeployError::GroupNotFound`] naming what was searched, AWS errors.
pub async fn discover(cd: &Client, wanted: &Wanted<'_>) -> Result<Group, CodeDeployError> {
    let Wanted {
        cluster,
        service,
        application,
        group,
        task_sets,
    } = *wanted;
    if application.is_none()
        && group.is_none()
        && let Some(found) = from_task_sets(cd, cluster, service, task_sets).await
    {
        return Ok(found);
    }
    let not_found = |detail: String| CodeDeployError::GroupNotFound {
        cluster: cluster.to_owned(),
        service: service.to_owned(),
        detail,
    };
    let mut applications = match application {
        Some(app) => vec![app.to_owned()],
        None => list_applications(cd).await?,
    };
    if applications.is_empty() {
        return Err(not_found(
            ": there are no CodeDeploy applications".to_owned(),
        ));
    }
    applications.sort_by_key(|a| likeness(a, cluster, service));
    let mut searched = 0usize;
    for chunk in applications.chunks(BATCH) {
        // The config's application is taken as it is: no platform check.
        let ecs_apps = if application.is_some() {
            chunk.to_vec()
        } else {
            ecs_applications(cd, chunk).await?
        };
        for app in ecs_apps {
            searched += 1;
            let names = match group {
                Some(g) => vec![g.to_owned()],
                None => list_groups(cd, &app).await?,
            };
            for names in names.chunks(BATCH) {
                let out = cd
                    .batch_get_deployment_groups()
                    .application_name(&app)
                    .set_deployment_group_names(Some(names.to_vec()))
                    .send()
                    .await
                    .map_err(|e| CodeDeployError::aws("BatchGetDeploymentGroups", e))?;
                if let Some(found) = out
                    .deployment_groups_info()
                    .iter()
                    .find(|g| serves(g, cluster, service))
                {
                    return Ok(Group {
                        application_name: app.clone(),
                        deployment_group_name: found
                            .deployment_group_name()
                            .unwrap_or_default()
                            .to_owned(),
                        deployment_config_name: found.deployment_config_name().map(str::to_owned),
                    });
                }
            }
        }
    }
    Err(not_found(match (application, group) {
        (Some(a), Some(g)) => format!(": group `{g}` of application `{a}` does not list it"),
        (Some(a), None) => format!(": no group of application `{a}` lists it"),
        _ => format!(": searched {searched} ECS applications"),
    }))
}

/// The group of the deployment that created one of `task_sets` (the
/// PRIMARY one first), when that group deploys the service. Two calls at
/// most; any failure just means "not found this way".
async fn from_task_sets(
    cd: &Client,
    cluster: &str,
    service: &str,
    task_sets: &[TaskSet],
) -> Option<Group> {
    let deployment_id = task_sets
        .iter()
        .filter(|t| t.status() == Some("PRIMARY"))
        .chain(task_sets.iter().filter(|t| t.status() != Some("PRIMARY")))
        .find_map(|t| t.external_id().filter(|id| id.starts_with("d-")))?;
    let info = cd
        .get_deployment()
        .deployment_id(deployment_id)
        .send()
        .await
        .ok()?
        .deployment_info?;
    let application = info.application_name?;
    let out = cd
        .get_deployment_group()
        .application_name(&application)
        .deployment_group_name(info.deployment_group_name?)
        .send()
        .await
        .ok()?;
    let found = out
        .deployment_group_info()
        .filter(|g| serves(g, cluster, service))?;
    Some(Group {
        application_name: application,
        deployment_group_name: found.deployment_group_name()?.to_owned(),
        deployment_config_name: found.deployment_config_name().map(str::to_owned),
    })
}

/// Sort key: applications named after the service first, then after the cluster.
fn likeness(app: &str, cluster: &str, service: &str) -> u8 {
    if app.contains(service) {
        0
    } else if app.contains(cluster) {
        1
    } else {
        2
    }
}

fn serves(group: &DeploymentGroupInfo, cluster: &str, service: &str) -> bool {
    group.ecs_services().iter().any(|s| {
        s.service_name() == Some(service)
            && s.cluster_name().is_some_and(|c| {
                c == cluster || c.rsplit_once('/').is_some_and(|(_, name)| name == cluster)
            })
    })
}

async fn list_applications(cd: &Client) -> Result<Vec<String>, CodeDeployError> {
    let mut names = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = cd
            .list_applications()
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| CodeDeployError::aws("ListApplications", e))?;
        names.extend(out.applications().iter().cloned());
        match out.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_owned()),
            _ => return Ok(names),
        }
    }
}

async fn ecs_applications(cd: &Client, names: &[String]) -> Result<Vec<String>, CodeDeployError> {
    let out = cd
        .batch_get_applications()
        .set_application_names(Some(names.to_vec()))
        .send()
        .await
        .map_err(|e| CodeDeployError::aws("BatchGetApplications", e))?;
    let ecs: Vec<&str> = out
        .applications_info()
        .iter()
        .filter(|a| a.compute_platform() == Some(&ComputePlatform::Ecs))
        .filter_map(|a| a.application_name())
        .collect();
    // Keep the likely-first order of `names`.
    Ok(names
        .iter()
        .filter(|n| ecs.contains(&n.as_str()))
        .cloned()
        .collect())
}

async fn list_groups(cd: &Client, application: &str) -> Result<Vec<String>, CodeDeployError> {
    let mut names = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = cd
            .list_deployment_groups()
            .application_name(application)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| CodeDeployError::aws("ListDeploymentGroups", e))?;
        names.extend(out.deployment_groups().iter().cloned());
        match out.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_owned()),
            _ => return Ok(names),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applications_named_after_the_service_are_searched_first() {
        let mut apps = vec!["billing", "prod-apps", "AppECS-prod-web", "other"];
        apps.sort_by_key(|a| likeness(a, "prod", "web"));
        assert_eq!(apps, ["AppECS-prod-web", "prod-apps", "billing", "other"]);
    }
}
