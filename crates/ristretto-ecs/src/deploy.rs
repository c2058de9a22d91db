//! `deploy` and `create` for services with the ECS deployment controller
//! (rolling, and the native BLUE_GREEN / LINEAR / CANARY strategies, which
//! ECS runs itself once `UpdateService` starts a deployment).
//!
//! A [`Plan`] is computed first with read-only calls only; `--dry-run` prints
//! it and stops, so a dry run mutates nothing by construction. [`execute`]
//! then makes as few calls as possible: one `UpdateService` carries the new
//! task definition and every attribute of the service definition.

use std::collections::BTreeMap;

use aws_sdk_ecs::Client;
use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use aws_sdk_ecs::types::{DeploymentControllerType, DeploymentStrategy, Service, Tag};
use ristretto_core::definition::{WireError, api_json, update_service_input};

use crate::error::{AwsError, EcsError};
use ristretto_core::event::{Event, Events, short_task_definition};

/// How `deploy` behaves (ecspresso's flags).
#[derive(Debug, Clone, Default)]
pub struct DeployOptions {
    /// `--tasks`: the desired count; `None` keeps the definition's or the live one.
    pub tasks: Option<i32>,
    /// `--skip-task-definition`: keep the live task definition.
    pub skip_task_definition: bool,
    /// `--revision N`: deploy revision N of the live family.
    pub revision: Option<i64>,
    /// `--latest-task-definition`: deploy the family's latest revision.
    pub latest_task_definition: bool,
    /// `--force-new-deployment`.
    pub force_new_deployment: bool,
    /// `--[no-]update-service`: apply the service definition's attributes.
    pub update_service: bool,
    /// Tag keys the tool leaves alone (`ignore.tags`).
    pub ignore_tags: Vec<String>,
}

/// Which task definition the service will run.
#[derive(Debug, Clone)]
pub enum TaskDefinitionChoice {
    /// Register this one first.
    Register(Box<RegisterTaskDefinitionInput>),
    /// Use this existing revision (ARN).
    Existing(String),
}

/// What the service change is.
#[derive(Debug, Clone)]
pub enum ServiceChange {
    /// The service does not exist: create it. `task_definition` is filled in at execution.
    Create(Box<CreateServiceInput>),
    /// Update it. `task_definition` is filled in at execution.
    Update(Box<UpdateServiceInput>),
}

/// Everything `deploy` will do, decided before anything changes.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Cluster name.
    pub cluster: String,
    /// Service name.
    pub service: String,
    /// The task definition to run.
    pub task_definition: TaskDefinitionChoice,
    /// The service call.
    pub change: ServiceChange,
    /// Tags to add or change on the service.
    pub tag: Vec<Tag>,
    /// Tag keys to remove from the service.
    pub untag: Vec<String>,
    /// The live service's ARN (for tagging), when it exists.
    pub service_arn: Option<String>,
}

impl Plan {
    /// The plan as the ECS API's JSON, for `--dry-run`: `registerTaskDefinition`
    /// or `taskDefinition`, `createService` or `updateService`, and the tag
    /// changes.
    ///
    /// # Errors
    /// An SDK value cannot be written as JSON.
    pub fn to_json(&self) -> Result<serde_json::Value, WireError> {
        let mut out = serde_json::Map::new();
        match &self.task_definition {
            TaskDefinitionChoice::Register(input) => {
                out.insert("registerTaskDefinition".into(), api_json(input.as_ref())?);
            }
            TaskDefinitionChoice::Existing(arn) => {
                out.insert("taskDefinition".into(), arn.clone().into());
            }
        }
        match &self.change {
            ServiceChange::Create(input) => {
                out.insert("createService".into(), api_json(input.as_ref())?);
            }
            ServiceChange::Update(input) => {
                out.insert("updateService".into(), api_json(input.as_ref())?);
            }
        }
        if !self.tag.is_empty() {
            let tags: Vec<_> = self
                .tag
                .iter()
                .map(|t| serde_json::json!({"key": t.key(), "value": t.value()}))
                .collect();
            out.insert("tagResource".into(), tags.into());
        }
        if !self.untag.is_empty() {
            out.insert("untagResource".into(), self.untag.clone().into());
        }
        Ok(serde_json::Value::Object(out))
    }
}

impl Plan {
    /// The deployment strategy the deployment this plan starts will use: the service
    /// definition's, when the plan sends one (a deploy may switch strategies), else the live
    /// service's, else ROLLING (the API's default, API reference `DeploymentConfiguration`).
    ///
    /// An `UpdateService` whose `deploymentConfiguration` leaves `strategy` out is taken to
    /// keep the live strategy; the API reference does not say whether it resets it.
    #[must_use]
    pub fn strategy(&self, live: Option<&Service>) -> DeploymentStrategy {
        let planned = match &self.change {
            ServiceChange::Create(input) => input.deployment_configuration(),
            ServiceChange::Update(input) => input.deployment_configuration(),
        }
        .and_then(|c| c.strategy());
        planned
            .or_else(|| {
                live.and_then(Service::deployment_configuration)
                    .and_then(|c| c.strategy())
            })
            .cloned()
            .unwrap_or(DeploymentStrategy::Rolling)
    }
}

/// The files of the config, already loaded.
#[derive(Debug, Clone, Default)]
pub struct Definitions {
    /// The task definition file, when the plan needs it.
    pub task_definition: Option<RegisterTaskDefinitionInput>,
    /// The service definition file.
    pub service_definition: Option<CreateServiceInput>,
}

/// Computes the plan (read-only calls only).
///
/// # Errors
/// Conflicting options, an unsupported controller, missing definitions, AWS errors.
pub async fn plan(
    ecs: &Client,
    cluster: &str,
    service: &str,
    live: Option<&Service>,
    definitions: &Definitions,
    options: &DeployOptions,
) -> Result<Plan, EcsError> {
    if options.revision.is_some() && options.latest_task_definition {
        return Err(invalid(
            "`--revision` and `--latest-task-definition` exclude each other",
            None,
        ));
    }
    let Some(live) = live else {
        return plan_create(ecs, cluster, service, definitions, options).await;
    };
    match live.deployment_controller().map(|c| c.r#type()) {
        None | Some(DeploymentControllerType::Ecs) => {}
        Some(other) => {
            return Err(invalid(
                format!(
                    "service `{service}` uses the {} deployment controller",
                    other.as_str()
                ),
                Some(
                    "CODE_DEPLOY services are deployed through CodeDeploy; EXTERNAL ones are not supported",
                ),
            ));
        }
    }
    let task_definition = choose_task_definition(ecs, live, definitions, options).await?;
    let from_file = definitions
        .service_definition
        .as_ref()
        .filter(|_| options.update_service);
    let mut update = update_input(cluster, service, from_file, options.tasks)?;
    update.force_new_deployment = Some(options.force_new_deployment);

    let (tag, untag) = match from_file {
        Some(definition) => tag_changes(live.tags(), definition.tags(), &options.ignore_tags),
        None => (Vec::new(), Vec::new()),
    };
    Ok(Plan {
        cluster: cluster.to_owned(),
        service: service.to_owned(),
        task_definition,
        change: ServiceChange::Update(Box::new(update)),
        tag,
        untag,
        service_arn: live.service_arn().map(str::to_owned),
    })
}

async fn plan_create(
    ecs: &Client,
    cluster: &str,
    service: &str,
    definitions: &Definitions,
    options: &DeployOptions,
) -> Result<Plan, EcsError> {
    let Some(definition) = &definitions.service_definition else {
        return Err(EcsError::ServiceNotFound {
            cluster: cluster.to_owned(),
            service: service.to_owned(),
        });
    };
    let file = definitions.task_definition.as_ref().ok_or_else(|| {
        invalid(
            "creating a service needs `task_definition` in the config",
            None,
        )
    })?;
    let task_definition = if options.latest_task_definition || options.skip_task_definition {
        let family = file.family().unwrap_or_default();
        TaskDefinitionChoice::Existing(latest_revision(ecs, family).await?)
    } else {
        TaskDefinitionChoice::Register(Box::new(file.clone()))
    };
    let mut create = definition.clone();
    create.cluster = Some(cluster.to_owned());
    create.service_name = Some(service.to_owned());
    create.desired_count = options.tasks.or(create.desired_count);
    let ignored = |t: &Tag| {
        t.key()
            .is_some_and(|k| options.ignore_tags.iter().any(|i| i == k))
    };
    if let Some(tags) = create.tags.as_mut() {
        tags.retain(|t| !ignored(t));
    }
    Ok(Plan {
        cluster: cluster.to_owned(),
        service: service.to_owned(),
        task_definition,
        change: ServiceChange::Create(Box::new(create)),
        tag: Vec::new(),
        untag: Vec::new(),
        service_arn: None,
    })
}

/// The `UpdateService` input of a deploy: the service definition's
/// attributes (`from_file`, when the deploy applies it) or none, with
/// `--tasks` as the desired count.
///
/// # Errors
/// The service definition cannot be projected onto `UpdateService` (a bug).
pub fn update_input(
    cluster: &str,
    service: &str,
    from_file: Option<&CreateServiceInput>,
    tasks: Option<i32>,
) -> Result<UpdateServiceInput, EcsError> {
    let mut update = match from_file {
        Some(definition) => {
            update_service_input(definition, cluster).map_err(|m| invalid(m, None))?
        }
        None => UpdateServiceInput::builder()
            .cluster(cluster)
            .build()
            .map_err(|e| invalid(e.to_string(), None))?,
    };
    update.service = Some(service.to_owned());
    update.desired_count = tasks.or(update.desired_count);
    Ok(update)
}

/// Which task definition a deploy runs: `--revision`, `--latest-task-definition`,
/// `--skip-task-definition` (the live one), else the file's, to register.
///
/// # Errors
/// No task definition file when one is needed, an unknown revision, AWS errors.
pub async fn choose_task_definition(
    ecs: &Client,
    live: &Service,
    definitions: &Definitions,
    options: &DeployOptions,
) -> Result<TaskDefinitionChoice, EcsError> {
    let current = live.task_definition().unwrap_or_default();
    let family = || {
        short_task_definition(current)
            .split(':')
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    if let Some(revision) = options.revision {
        let name = format!("{}:{revision}", family());
        let described = ecs
            .describe_task_definition()
            .task_definition(&name)
            .send()
            .await
            // API_DescribeTaskDefinition.html: an unknown revision is a
            // ClientException; name the revision (issue 14, item 4).
            .map_err(|e| match e.as_service_error().map(|s| s.meta().code()) {
                Some(Some("ClientException")) => EcsError::Invalid {
                    message: format!(
                        "`--revision {revision}`: task definition {name} does not exist"
                    ),
                    hint: Some("list the revisions with `ristretto revisions`".to_owned()),
                },
                _ => EcsError::aws("DescribeTaskDefinition", e),
            })?;
        let arn = described
            .task_definition()
            .and_then(|t| t.task_definition_arn())
            .unwrap_or(&name);
        return Ok(TaskDefinitionChoice::Existing(arn.to_owned()));
    }
    if options.latest_task_definition {
        return Ok(TaskDefinitionChoice::Existing(
            latest_revision(ecs, &family()).await?,
        ));
    }
    if options.skip_task_definition {
        return Ok(TaskDefinitionChoice::Existing(current.to_owned()));
    }
    let file = definitions.task_definition.as_ref().ok_or_else(|| {
        invalid(
            "`task_definition` is not set in the config",
            Some("set it, or pass `--skip-task-definition`"),
        )
    })?;
    Ok(TaskDefinitionChoice::Register(Box::new(file.clone())))
}

/// The ARN of the latest ACTIVE revision of `family`.
///
/// # Errors
/// None registered, or AWS errors.
pub async fn latest_revision(ecs: &Client, family: &str) -> Result<String, EcsError> {
    crate::task_definition::latest(ecs, family)
        .await?
        .ok_or_else(|| {
            invalid(
                format!("no task definition of family `{family}` is registered"),
                None,
            )
        })
}

/// The tag changes that make the live tags the wanted ones, leaving ignored keys alone.
#[must_use]
pub fn tag_changes(live: &[Tag], wanted: &[Tag], ignore: &[String]) -> (Vec<Tag>, Vec<String>) {
    let keep = |t: &&Tag| t.key().is_some_and(|k| !ignore.iter().any(|i| i == k));
    let live: BTreeMap<&str, Option<&str>> = live
        .iter()
        .filter(keep)
        .filter_map(|t| t.key().map(|k| (k, t.value())))
        .collect();
    let wanted_map: BTreeMap<&str, Option<&str>> = wanted
        .iter()
        .filter(keep)
        .filter_map(|t| t.key().map(|k| (k, t.value())))
        .collect();
    let tag = wanted
        .iter()
        .filter(keep)
        .filter(|t| t.key().is_some_and(|k| live.get(k) != Some(&t.value())))
        .cloned()
        .collect();
    let untag = live
        .keys()
        .filter(|k| !wanted_map.contains_key(*k))
        .map(|k| (*k).to_owned())
        .collect();
    (tag, untag)
}

/// What [`execute`] started.
#[derive(Debug, Clone)]
pub struct Started {
    /// The task definition the service now wants.
    pub task_definition: String,
    /// The deployment started (or the current one when nothing changed).
    pub deployment: Option<String>,
    /// Server time the change was made (epoch seconds), to show events from.
    pub since: f64,
    /// The service as CreateService / UpdateService answered.
    pub service: Service,
}

/// Carries out `plan`.
///
/// # Errors
/// AWS errors.
pub async fn execute(ecs: &Client, plan: Plan, events: &Events) -> Result<Started, EcsError> {
    let (task_definition, registered) = match plan.task_definition {
        TaskDefinitionChoice::Existing(arn) => (arn, false),
        TaskDefinitionChoice::Register(input) => (register(ecs, *input, events).await?, true),
    };
    let changed = match plan.change {
        ServiceChange::Create(input) => {
            events.step(format!("creating service {}", plan.service));
            crate::send::create_service_builder(*input)
                .task_definition(&task_definition)
                .send_with(ecs)
                .await
                .map(|out| {
                    let service = out.service.unwrap_or_else(|| Service::builder().build());
                    events.emit(Event::ServiceCreated {
                        arn: service.service_arn().unwrap_or_default().to_owned(),
                    });
                    service
                })
                .map_err(|e| EcsError::aws("CreateService", e))
        }
        ServiceChange::Update(input) => {
            events.step(format!("updating service {}", plan.service));
            crate::send::update_service_builder(*input)
                .task_definition(&task_definition)
                .send_with(ecs)
                .await
                .map(|out| out.service.unwrap_or_else(|| Service::builder().build()))
                .map_err(|e| EcsError::aws("UpdateService", e))
        }
    };
    let service = match changed {
        Ok(service) => service,
        Err(error) => {
            if registered {
                after_failed_change(ecs, &task_definition, &error, events).await;
            }
            return Err(error);
        }
    };
    let deployment = service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .filter(|d| d.task_definition() == Some(task_definition.as_str()));
    let since = deployment
        .and_then(|d| d.created_at())
        .map_or(0.0, aws_smithy_types::DateTime::as_secs_f64);
    let deployment = deployment.and_then(|d| d.id()).map(str::to_owned);
    events.emit(Event::ServiceUpdated {
        task_definition: task_definition.clone(),
        deployment: deployment.clone(),
    });

    let arn = service
        .service_arn()
        .map(str::to_owned)
        .or(plan.service_arn);
    if let Some(arn) = arn {
        if !plan.tag.is_empty() {
            events.step(format!("tagging service: {}", describe_tags(&plan.tag)));
            ecs.tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(plan.tag))
                .send()
                .await
                .map_err(|e| EcsError::aws("TagResource", e))?;
        }
        if !plan.untag.is_empty() {
            events.step(format!("removing service tags: {}", plan.untag.join(", ")));
            ecs.untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(plan.untag))
                .send()
                .await
                .map_err(|e| EcsError::aws("UntagResource", e))?;
        }
    }
    Ok(Started {
        task_definition,
        deployment,
        since,
        service,
    })
}

/// Registers a task definition revision; returns its ARN.
///
/// # Errors
/// AWS errors.
pub async fn register(
    ecs: &Client,
    input: RegisterTaskDefinitionInput,
    events: &Events,
) -> Result<String, EcsError> {
    events.step(format!(
        "registering task definition {}",
        input.family().unwrap_or_default()
    ));
    let registered = crate::task_definition::register(ecs, input).await?;
    let arn = registered
        .task_definition_arn()
        .ok_or_else(|| {
            EcsError::Aws(AwsError::unexpected(
                "RegisterTaskDefinition",
                "the registered task definition has no ARN",
            ))
        })?
        .to_owned();
    events.emit(Event::TaskDefinitionRegistered { arn: arn.clone() });
    Ok(arn)
}

/// Whether AWS refused the request as invalid (`ClientException`, `InvalidParameterException`):
/// it changed nothing, and the request itself must change. Classified by error code.
#[must_use]
pub fn rejected(error: &EcsError) -> bool {
    matches!(
        error.code(),
        Some("ClientException" | "InvalidParameterException")
    )
}

/// The change that was to use the revision `arn` this run registered failed: when AWS refused
/// it, the revision is deregistered again ([`undo_register`]); otherwise (a network error, a
/// 5xx) the change may have happened after all, so the revision is kept and a step says so,
/// with the command that removes it if it is not in use (issue 14: say what was left behind).
pub async fn after_failed_change(ecs: &Client, arn: &str, error: &EcsError, events: &Events) {
    if rejected(error) {
        undo_register(ecs, arn, events).await;
    } else {
        let short = short_task_definition(arn);
        let revision = short.rsplit(':').next().unwrap_or_default();
        events.step(format!(
            "task definition {short} registered by this run is left ACTIVE: the change that was to use it failed and may not have happened; if nothing runs it, `ristretto deregister --revision {revision}` removes it"
        ));
    }
}

/// AWS refused the service change that would have used the revision `arn` this run registered:
/// deregister it again, so that the failed run leaves no new ACTIVE revision (the revision stays
/// listed as INACTIVE, as every deregistered one does, until it is deleted). Says what it did in
/// a step event; a failure to deregister is said too, with the command that finishes the job,
/// and does not hide AWS's answer to the service change.
async fn undo_register(ecs: &Client, arn: &str, events: &Events) {
    let short = short_task_definition(arn);
    match ecs
        .deregister_task_definition()
        .task_definition(arn)
        .send()
        .await
    {
        Ok(_) => events.step(format!(
            "deregistered task definition {short} again: AWS rejected the service change (it stays listed as INACTIVE)"
        )),
        Err(e) => events.step(format!(
            "could not deregister task definition {short} after AWS rejected the service change ({}); `aws ecs deregister-task-definition --task-definition {short}` removes it",
            EcsError::aws("DeregisterTaskDefinition", e)
        )),
    }
}

fn describe_tags(tags: &[Tag]) -> String {
    tags.iter()
        .map(|t| {
            format!(
                "{}={}",
                t.key().unwrap_or_default(),
                t.value().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn invalid(message: impl Into<String>, hint: Option<&str>) -> EcsError {
    EcsError::Invalid {
        message: message.into(),
        hint: hint.map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(k: &str, v: &str) -> Tag {
        Tag::builder().key(k).value(v).build()
    }

    #[test]
    fn tag_changes_add_change_and_remove_but_leave_ignored_keys() {
        let live = [
            tag("team", "a"),
            tag("old", "x"),
            tag("managed-by", "terraform"),
        ];
        let wanted = [tag("team", "b"), tag("new", "y")];
        let (add, remove) = tag_changes(&live, &wanted, &["managed-by".to_owned()]);
        assert_eq!(add, vec![tag("team", "b"), tag("new", "y")]);
        assert_eq!(remove, vec!["old".to_owned()]);
    }

    fn plan_with(strategy: Option<DeploymentStrategy>) -> Plan {
        let mut update = UpdateServiceInput::builder()
            .service("web")
            .build()
            .expect("an input");
        update.deployment_configuration = strategy.map(|s| {
            aws_sdk_ecs::types::DeploymentConfiguration::builder()
                .strategy(s)
                .build()
        });
        Plan {
            cluster: "default".into(),
            service: "web".into(),
            task_definition: TaskDefinitionChoice::Existing("web:1".into()),
            change: ServiceChange::Update(Box::new(update)),
            tag: Vec::new(),
            untag: Vec::new(),
            service_arn: None,
        }
    }

    // ecspresso-behaviour §11b: `ecs:<STAGE>` is validated against the strategy the deploy
    // will use, also when the service definition switches it in the same deploy.
    #[test]
    fn the_planned_strategy_is_the_definitions_else_the_live_one_else_rolling() {
        let blue_green = Service::builder()
            .deployment_configuration(
                aws_sdk_ecs::types::DeploymentConfiguration::builder()
                    .strategy(DeploymentStrategy::BlueGreen)
                    .build(),
            )
            .build();
        assert_eq!(
            plan_with(Some(DeploymentStrategy::Rolling)).strategy(Some(&blue_green)),
            DeploymentStrategy::Rolling
        );
        assert_eq!(
            plan_with(Some(DeploymentStrategy::Canary)).strategy(None),
            DeploymentStrategy::Canary
        );
        assert_eq!(
            plan_with(None).strategy(Some(&blue_green)),
            DeploymentStrategy::BlueGreen
        );
        assert_eq!(plan_with(None).strategy(None), DeploymentStrategy::Rolling);
    }

    #[test]
    fn unchanged_tags_make_no_calls() {
        let tags = [tag("team", "a")];
        assert_eq!(tag_changes(&tags, &tags, &[]), (vec![], vec![]));
    }
}
