//! `deploy` of a CODE_DEPLOY service as a value: what will be registered,
//! what `UpdateService` may still change, and the CodeDeploy deployment
//! (group, configuration, AppSpec). [`plan`] decides it with read-only calls,
//! so `--dry-run` prints it ([`Plan::to_json`]) without changing anything;
//! [`execute`] carries it out.

use aws_sdk_codedeploy::types::AutoRollbackEvent;
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use aws_sdk_ecs::types::Service;
use ristretto_core::definition::{WireError, api_json};
use ristretto_core::event::Events;
use ristretto_ecs::deploy::{self, Definitions, DeployOptions, TaskDefinitionChoice};
use serde_json::Value;

use crate::appspec::{self, AppSpec, Source};
use crate::discover::{Group, Wanted, discover};
use crate::error::{CodeDeployError, invalid};
use crate::start::{Created, DeploymentRequest, allowed_update, create_deployment};

/// Everything a CODE_DEPLOY `deploy` will do, decided before anything changes.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Service name.
    pub service: String,
    /// The task definition to deploy; `None` when only the desired count
    /// changes (`scale`), which needs no CodeDeploy deployment.
    pub task_definition: Option<TaskDefinitionChoice>,
    /// The `UpdateService` call, when it changes anything.
    pub update: Option<UpdateServiceInput>,
    /// The CodeDeploy deployment, unless only the desired count changes.
    pub deployment: Option<DeploymentRequest>,
}

/// The config's CodeDeploy settings and the flags that shape a deployment.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    /// Cluster name.
    pub cluster: &'a str,
    /// Service name.
    pub service: &'a str,
    /// `codedeploy.application_name`.
    pub application: Option<&'a str>,
    /// `codedeploy.deployment_group_name`.
    pub group: Option<&'a str>,
    /// `codedeploy.deployment_config_name`: overrides the group's.
    pub deployment_config_name: Option<&'a str>,
    /// The config's `appspec` block (its hooks).
    pub appspec: Option<&'a Value>,
    /// `--rollback-events`.
    pub rollback_events: &'a [AutoRollbackEvent],
}

/// Whether a deploy only changes the desired count: no new revision, no
/// service definition, no forced deployment (`scale`, or `deploy
/// --skip-task-definition --no-update-service`). Then no CodeDeploy
/// deployment is made, as in ecspresso.
#[must_use]
pub fn scales_only(options: &DeployOptions) -> bool {
    options.skip_task_definition && !options.update_service && !options.force_new_deployment
}

/// Decides the deploy of `files` to the CODE_DEPLOY service `live`, with
/// read-only calls only: the task definition, the deployment group, the
/// `UpdateService` input and the AppSpec (so a service the AppSpec cannot
/// be built for fails before anything changes).
///
/// # Errors
/// No deployment group, no load balancer for the AppSpec, AWS errors.
pub async fn plan(
    ecs: &aws_sdk_ecs::Client,
    cd: &aws_sdk_codedeploy::Client,
    settings: &Settings<'_>,
    live: &Service,
    files: &Definitions,
    options: &DeployOptions,
) -> Result<Plan, CodeDeployError> {
    let cluster = settings.cluster;
    if scales_only(options) {
        let update = UpdateServiceInput::builder()
            .cluster(cluster)
            .service(settings.service)
            .set_desired_count(options.tasks)
            .build()
            .map_err(|e| invalid(e.to_string(), None))?;
        return Ok(Plan {
            service: settings.service.to_owned(),
            task_definition: None,
            update: Some(update).filter(changes_anything),
            deployment: None,
        });
    }
    let choice = match deploy::choose_task_definition(ecs, live, files, options).await? {
        // `refresh`, `--skip-task-definition`: what the PRIMARY task set runs.
        TaskDefinitionChoice::Existing(_) if options.skip_task_definition => {
            TaskDefinitionChoice::Existing(running_task_definition(live).to_owned())
        }
        choice => choice,
    };
    let group = group_of(cd, settings, live).await?;
    crate::wait::refuse_if_busy(cd, &group).await?;
    let from_file = files
        .service_definition
        .as_ref()
        .filter(|_| options.update_service);
    let update = deploy::update_input(cluster, settings.service, from_file, options.tasks)?;
    let update = allowed_update(update)?;
    let source: Source<'_> = from_file.map_or_else(|| live.into(), Into::into);
    let placeholder = match &choice {
        TaskDefinitionChoice::Existing(arn) => arn.clone(),
        TaskDefinitionChoice::Register(input) => {
            format!("{} (to be registered)", input.family().unwrap_or_default())
        }
    };
    let appspec = appspec::build(source, &placeholder, settings.appspec)?;
    Ok(Plan {
        service: settings.service.to_owned(),
        task_definition: Some(choice),
        update: Some(update).filter(changes_anything),
        deployment: Some(DeploymentRequest {
            group,
            deployment_config_name: settings.deployment_config_name.map(str::to_owned),
            appspec,
            rollback_events: settings.rollback_events.to_vec(),
        }),
    })
}

/// The deployment group of `live`: the config's names, else the deployment
/// that created one of its task sets, else a search.
///
/// # Errors
/// No group deploys the service, AWS errors.
pub async fn group_of(
    cd: &aws_sdk_codedeploy::Client,
    settings: &Settings<'_>,
    live: &Service,
) -> Result<Group, CodeDeployError> {
    let wanted = Wanted {
        cluster: settings.cluster,
        service: settings.service,
        application: settings.application,
        group: settings.group,
        task_sets: live.task_sets(),
    };
    discover(cd, &wanted).await
}

/// The task definition the service runs: its PRIMARY task set's.
#[must_use]
pub fn running_task_definition(live: &Service) -> &str {
    live.task_sets()
        .iter()
        .find(|t| t.status() == Some("PRIMARY"))
        .and_then(|t| t.task_definition())
        .or(live.task_definition())
        .unwrap_or_default()
}

/// Whether `input` changes anything (more than naming the service). It holds
/// only what [`allowed_update`] keeps, so these are all its members.
#[must_use]
pub fn changes_anything(input: &UpdateServiceInput) -> bool {
    input.desired_count.is_some()
        || input.deployment_configuration.is_some()
        || input.health_check_grace_period_seconds.is_some()
        || input.placement_constraints.is_some()
        || input.placement_strategy.is_some()
        || input.enable_ecs_managed_tags.is_some()
        || input.propagate_tags.is_some()
}

impl Plan {
    /// The plan as the ECS API's JSON, for `--dry-run`: `registerTaskDefinition`
    /// or `taskDefinition`, `updateService` when it changes anything, and
    /// `createDeployment` with the AppSpec (the revision to be registered is
    /// named by its family).
    ///
    /// # Errors
    /// An SDK value cannot be written as JSON.
    pub fn to_json(&self) -> Result<Value, CodeDeployError> {
        let mut out = serde_json::Map::new();
        match &self.task_definition {
            Some(TaskDefinitionChoice::Register(input)) => {
                out.insert(
                    "registerTaskDefinition".into(),
                    api_json(input.as_ref()).map_err(wire)?,
                );
            }
            Some(TaskDefinitionChoice::Existing(arn)) => {
                out.insert("taskDefinition".into(), arn.clone().into());
            }
            None => {}
        }
        if let Some(update) = &self.update {
            out.insert("updateService".into(), api_json(update).map_err(wire)?);
        }
        if let Some(d) = &self.deployment {
            out.insert(
                "createDeployment".into(),
                serde_json::json!({
                    "applicationName": d.group.application_name,
                    "deploymentGroupName": d.group.deployment_group_name,
                    "deploymentConfigName": d.deployment_config_name.clone().or(d.group.deployment_config_name.clone()),
                    "autoRollbackEvents": d.rollback_events.iter().map(AutoRollbackEvent::as_str).collect::<Vec<_>>(),
                    "appSpec": d.appspec.to_yaml()?,
                }),
            );
        }
        Ok(Value::Object(out))
    }
}

fn wire(e: WireError) -> CodeDeployError {
    invalid(e.to_string(), None)
}

/// Carries out `plan`: registers the task definition, updates the service
/// when that changes anything, and creates the CodeDeploy deployment of the
/// registered revision. Returns the deployment, or `None` for a plan that
/// only changes the desired count.
///
/// # Errors
/// AWS errors.
pub async fn execute(
    ecs: &aws_sdk_ecs::Client,
    cd: &aws_sdk_codedeploy::Client,
    plan: Plan,
    events: &Events,
) -> Result<Option<Created>, CodeDeployError> {
    let (arn, registered) = match plan.task_definition {
        Some(TaskDefinitionChoice::Existing(arn)) => (Some(arn), false),
        Some(TaskDefinitionChoice::Register(input)) => {
            (Some(deploy::register(ecs, *input, events).await?), true)
        }
        None => (None, false),
    };
    let result = change(
        ecs,
        cd,
        plan.service,
        plan.update,
        plan.deployment,
        arn.clone(),
        events,
    )
    .await;
    if let (Err(CodeDeployError::Ecs(error)), Some(arn), true) = (&result, &arn, registered) {
        deploy::after_failed_change(ecs, arn, error, events).await;
    } else if let (Err(_), Some(arn), true) = (&result, &arn, registered) {
        // CreateDeployment failed: nothing runs the revision yet, but whether
        // CodeDeploy started anything is not known here; say what is left.
        let short = arn.rsplit('/').next().unwrap_or(arn);
        let revision = short.rsplit(':').next().unwrap_or_default();
        events.step(format!(
            "task definition {short} registered by this run is left ACTIVE: the CodeDeploy deployment that was to use it failed; if nothing runs it, `ristretto deregister --revision {revision}` removes it"
        ));
    }
    result
}

/// The service change and the CodeDeploy deployment of [`execute`], after
/// the task definition is chosen or registered.
async fn change(
    ecs: &aws_sdk_ecs::Client,
    cd: &aws_sdk_codedeploy::Client,
    service: String,
    update: Option<UpdateServiceInput>,
    deployment: Option<DeploymentRequest>,
    arn: Option<String>,
    events: &Events,
) -> Result<Option<Created>, CodeDeployError> {
    if let Some(update) = update {
        let service = &service;
        events.step(match (&deployment, update.desired_count) {
            (None, Some(count)) => format!(
                "updating the desired count of service {service} to {count} (CODE_DEPLOY: no new deployment)"
            ),
            _ => format!(
                "updating service {service} (CODE_DEPLOY: desired count and deployment settings only)"
            ),
        });
        ristretto_ecs::send::update_service_builder(update)
            .send_with(ecs)
            .await
            .map_err(|e| ristretto_ecs::EcsError::aws("UpdateService", e))?;
    }
    let (Some(mut request), Some(arn)) = (deployment, arn) else {
        return Ok(None);
    };
    request.appspec = request.appspec.with_task_definition(&arn);
    Ok(Some(create_deployment(cd, &request, events).await?))
}

impl AppSpec {
    /// The same AppSpec deploying `arn` instead.
    #[must_use]
    pub fn with_task_definition(mut self, arn: &str) -> Self {
        for resource in &mut self.resources {
            arn.clone_into(&mut resource.target_service.properties.task_definition);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_alone_makes_no_codedeploy_deployment() {
        let options = DeployOptions {
            skip_task_definition: true,
            update_service: false,
            ..DeployOptions::default()
        };
        assert!(scales_only(&options));
        let forced = DeployOptions {
            force_new_deployment: true,
            ..options.clone()
        };
        assert!(!scales_only(&forced));
    }

    #[test]
    fn naming_the_service_alone_changes_nothing() {
        let named = UpdateServiceInput::builder()
            .cluster("prod")
            .service("web")
            .build()
            .expect("builds");
        assert!(!changes_anything(&named));
        let counted = UpdateServiceInput::builder()
            .service("web")
            .desired_count(0)
            .build()
            .expect("builds");
        assert!(changes_anything(&counted));
    }

    #[test]
    fn the_running_revision_is_the_primary_task_sets() {
        use aws_sdk_ecs::types::TaskSet;
        let live = Service::builder()
            .task_definition("arn:td/web:1")
            .task_sets(
                TaskSet::builder()
                    .status("ACTIVE")
                    .task_definition("arn:td/web:3")
                    .build(),
            )
            .task_sets(
                TaskSet::builder()
                    .status("PRIMARY")
                    .task_definition("arn:td/web:2")
                    .build(),
            )
            .build();
        assert_eq!(running_task_definition(&live), "arn:td/web:2");
        assert_eq!(
            running_task_definition(&Service::builder().task_definition("arn:td/web:1").build()),
            "arn:td/web:1"
        );
    }
}
