//! Which CodeDeploy application and deployment group deploy an ECS service:
//! the names from the config when it has them, otherwise the first ECS
//! deployment group whose `ecsServices` lists the service. Read-only calls.

use aws_sdk_codedeploy::types::ComputePlatform;

use crate::aws::Clients;
use crate::commands::live::aws_failure;
use crate::report::CliError;

/// A deployment group of an ECS service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The application.
    pub application_name: String,
    /// The deployment group.
    pub deployment_group_name: String,
    /// The group's deployment config.
    pub deployment_config_name: Option<String>,
}

/// Finds the group deploying `service` in `cluster`. `application` and
/// `group` narrow the search when the config names them. `Ok(None)` when no
/// group matches.
pub async fn find(
    clients: &Clients,
    cluster: &str,
    service: &str,
    application: Option<&str>,
    group: Option<&str>,
) -> Result<Option<Group>, CliError> {
    let cd = &clients.codedeploy;
    let mut applications = Vec::new();
    if let Some(app) = application {
        applications.push(app.to_owned());
    } else {
        let mut next = None;
        loop {
            let out = cd
                .list_applications()
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| aws_failure("cannot list CodeDeploy applications", &e))?;
            applications.extend(out.applications.unwrap_or_default());
            match out.next_token {
                Some(t) if !t.is_empty() => next = Some(t),
                _ => break,
            }
        }
    }
    let mut ecs_applications = Vec::new();
    for chunk in applications.chunks(100) {
        let out = cd
            .batch_get_applications()
            .set_application_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| aws_failure("cannot read CodeDeploy applications", &e))?;
        ecs_applications.extend(
            out.applications_info
                .unwrap_or_default()
                .into_iter()
                .filter(|a| a.compute_platform() == Some(&ComputePlatform::Ecs))
                .filter_map(|a| a.application_name),
        );
    }
    for app in ecs_applications {
        let mut groups = Vec::new();
        if let Some(group) = group {
            groups.push(group.to_owned());
        } else {
            let mut next = None;
            loop {
                let out = cd
                    .list_deployment_groups()
                    .application_name(&app)
                    .set_next_token(next.take())
                    .send()
                    .await
                    .map_err(|e| {
                        aws_failure(&format!("cannot list deployment groups of `{app}`"), &e)
                    })?;
                groups.extend(out.deployment_groups.unwrap_or_default());
                match out.next_token {
                    Some(t) if !t.is_empty() => next = Some(t),
                    _ => break,
                }
            }
        }
        for chunk in groups.chunks(100) {
            let out = cd
                .batch_get_deployment_groups()
                .application_name(&app)
                .set_deployment_group_names(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| {
                    aws_failure(&format!("cannot read deployment groups of `{app}`"), &e)
                })?;
            for info in out.deployment_groups_info.unwrap_or_default() {
                let serves = info.ecs_services().iter().any(|s| {
                    s.cluster_name() == Some(cluster) && s.service_name() == Some(service)
                });
                if serves && let Some(name) = info.deployment_group_name {
                    return Ok(Some(Group {
                        application_name: app.clone(),
                        deployment_group_name: name,
                        deployment_config_name: info.deployment_config_name,
                    }));
                }
            }
        }
    }
    Ok(None)
}
