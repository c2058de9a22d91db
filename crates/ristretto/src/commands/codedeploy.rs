//! `deploy`, `create` and `wait` for CODE_DEPLOY services: the task
//! definition goes to CodeDeploy in an AppSpec, and waiting follows the
//! CodeDeploy deployment (or, with none in progress, the service's task set).
//! Everything that can fail without changing anything (files, discovery,
//! the AppSpec) is checked before the first change.

use aws_sdk_codedeploy::types::AutoRollbackEvent;
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use aws_sdk_ecs::types::Service;
use ristretto_codedeploy::rollback::{self, RollbackPlan};
use ristretto_codedeploy::start::{
    DeploymentRequest, allowed_update, build_appspec, changes_anything, create_deployment,
};
use ristretto_codedeploy::wait::{
    TaskSetWait, WaitSpec, in_progress, wait_for_deployment, wait_for_task_set,
};
use ristretto_codedeploy::{CodeDeployError, Group, Until, Wanted, discover};
use ristretto_core::Config;
use ristretto_core::definition::{api_json, to_pretty_json, update_service_input};
use ristretto_ecs::Events;
use ristretto_ecs::deploy::{self, Definitions, DeployOptions, TaskDefinitionChoice};
use ristretto_ecs::event::short_task_definition;
use ristretto_ecs::service::require_service;
use ristretto_ecs::wait::Pace;
use tokio::time::Instant;

use crate::aws::Clients;
use crate::cli::RollbackArgs;
use crate::commands::Context;
use crate::commands::scaling::Scaling;
use crate::exit::Exit;
use crate::progress::Progress;
use crate::report::{CliError, bad_input};

/// How a CodeDeploy deploy behaves.
#[derive(Debug, Clone)]
pub struct Mode {
    /// `--dry-run`.
    pub dry_run: bool,
    /// Not `--no-wait`.
    pub wait: bool,
    /// `--wait-until`.
    pub until: Until,
    /// `--rollback-events`.
    pub rollback_events: Vec<AutoRollbackEvent>,
    /// Auto scaling changes around the deployment.
    pub scaling: Scaling,
    /// `--open`.
    pub open: bool,
}

/// Deploys `files` to the CODE_DEPLOY service `live` through CodeDeploy.
///
/// # Errors
/// No deployment group, no load balancer for the AppSpec, AWS errors, a
/// failed or stopped deployment (1), timeout (4), Ctrl-C (130).
#[allow(clippy::too_many_arguments)]
pub async fn deploy_one(
    ctx: &Context,
    config: &Config,
    clients: &Clients,
    service: &str,
    live: &Service,
    files: &Definitions,
    options: &DeployOptions,
    mode: &Mode,
    started: Instant,
) -> Result<(), CliError> {
    let cluster = config.cluster.as_str();
    if scales_only(options) {
        return scale_one(ctx, config, clients, service, options, mode, started).await;
    }
    // Read-only: what to deploy, where, and whether the AppSpec can be built.
    let choice = match deploy::choose_task_definition(&clients.ecs, live, files, options).await? {
        // `refresh`, `--skip-task-definition`: what the PRIMARY task set runs.
        TaskDefinitionChoice::Existing(_) if options.skip_task_definition => {
            TaskDefinitionChoice::Existing(running_task_definition(live))
        }
        choice => choice,
    };
    let group = group_of(config, clients, service, live).await?;
    let from_file = files
        .service_definition
        .as_ref()
        .filter(|_| options.update_service);
    let mut update = match from_file {
        Some(definition) => {
            update_service_input(definition, cluster).map_err(|m| CodeDeployError::Invalid {
                message: m,
                hint: None,
            })?
        }
        None => UpdateServiceInput::builder()
            .cluster(cluster)
            .build()
            .map_err(|e| CodeDeployError::Invalid {
                message: e.to_string(),
                hint: None,
            })?,
    };
    update.service = Some(service.to_owned());
    update.desired_count = options.tasks.or(update.desired_count);
    let update = allowed_update(update)?;
    let source = from_file.map_or_else(|| api_json(live), |d| api_json(d));
    let placeholder = match &choice {
        TaskDefinitionChoice::Existing(arn) => arn.clone(),
        TaskDefinitionChoice::Register(input) => {
            format!("{} (to be registered)", input.family().unwrap_or_default())
        }
    };
    let preview = build_appspec(&source, &placeholder, config.appspec.as_ref())?;
    let deployment_config_name = config
        .codedeploy
        .as_ref()
        .and_then(|c| c.deployment_config_name.clone());

    if mode.dry_run {
        let mut out = serde_json::Map::new();
        match &choice {
            TaskDefinitionChoice::Register(input) => {
                out.insert("registerTaskDefinition".into(), api_json(input.as_ref()));
            }
            TaskDefinitionChoice::Existing(arn) => {
                out.insert("taskDefinition".into(), arn.clone().into());
            }
        }
        if changes_anything(&update) {
            out.insert("updateService".into(), api_json(&update));
        }
        out.insert(
            "createDeployment".into(),
            serde_json::json!({
                "applicationName": group.application_name,
                "deploymentGroupName": group.deployment_group_name,
                "deploymentConfigName": deployment_config_name.clone().or(group.deployment_config_name.clone()),
                "autoRollbackEvents": mode.rollback_events.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
                "appSpec": preview.to_yaml(),
            }),
        );
        ctx.printer.info("dry run: nothing was changed; the plan:");
        ctx.printer
            .data(&to_pretty_json(&serde_json::Value::Object(out)));
        mode.scaling
            .preview(ctx, &clients.autoscaling, cluster, service)
            .await?;
        return Ok(());
    }

    let (events, progress) = Progress::start(&ctx.printer, crate::commands::label(config));
    let work = async {
        let arn = match choice {
            TaskDefinitionChoice::Existing(arn) => arn,
            TaskDefinitionChoice::Register(input) => {
                deploy::register(&clients.ecs, *input, &events).await?
            }
        };
        if changes_anything(&update) {
            events.step(format!(
                "updating service {service} (CODE_DEPLOY: desired count and deployment settings only)"
            ));
            ristretto_ecs::send::update_service_builder(update)
                .send_with(&clients.ecs)
                .await
                .map_err(|e| ristretto_ecs::EcsError::aws("UpdateService", e))?;
        }
        let appspec = build_appspec(&source, &arn, config.appspec.as_ref())?;
        let request = DeploymentRequest {
            group: group.clone(),
            deployment_config_name,
            appspec,
            rollback_events: mode.rollback_events.clone(),
        };
        let created = create_deployment(&clients.codedeploy, &request, &events).await?;
        if mode.open {
            crate::browser::open(ctx.settings.browser, &created.console_url, &events).await;
        }
        if !mode.wait {
            events.step("not waiting (--no-wait); follow it with `ristretto wait`");
            return Ok(());
        }
        let id = created.deployment_id;
        follow(
            ctx, config, clients, service, id, mode.until, started, &events,
        )
        .await
    };
    let result = mode
        .scaling
        .around(ctx, &clients.autoscaling, cluster, service, &events, work)
        .await;
    progress.finish(events).await;
    result
}

/// Whether a deploy only changes the desired count: no new revision, no
/// service definition, no forced deployment (`scale`, or `deploy
/// --skip-task-definition --no-update-service`). Then no CodeDeploy
/// deployment is made, as in ecspresso.
fn scales_only(options: &DeployOptions) -> bool {
    options.skip_task_definition && !options.update_service && !options.force_new_deployment
}

/// The task definition the service runs: its PRIMARY task set's.
fn running_task_definition(live: &Service) -> String {
    live.task_sets()
        .iter()
        .find(|t| t.status() == Some("PRIMARY"))
        .and_then(|t| t.task_definition())
        .or(live.task_definition())
        .unwrap_or_default()
        .to_owned()
}

/// `scale` of a CODE_DEPLOY service: `UpdateService` with the desired count
/// only (the task sets follow it), then a wait for one steady PRIMARY task set.
async fn scale_one(
    ctx: &Context,
    config: &Config,
    clients: &Clients,
    service: &str,
    options: &DeployOptions,
    mode: &Mode,
    started: Instant,
) -> Result<(), CliError> {
    let cluster = config.cluster.as_str();
    let update = UpdateServiceInput::builder()
        .cluster(cluster)
        .service(service)
        .set_desired_count(options.tasks)
        .build()
        .map_err(|e| CodeDeployError::Invalid {
            message: e.to_string(),
            hint: None,
        })?;
    if mode.dry_run {
        ctx.printer.info("dry run: nothing was changed; the plan:");
        let mut out = serde_json::Map::new();
        if changes_anything(&update) {
            out.insert("updateService".into(), api_json(&update));
        }
        ctx.printer
            .data(&to_pretty_json(&serde_json::Value::Object(out)));
        mode.scaling
            .preview(ctx, &clients.autoscaling, cluster, service)
            .await?;
        return Ok(());
    }
    let (events, progress) = Progress::start(&ctx.printer, crate::commands::label(config));
    let work = async {
        if let Some(count) = options.tasks {
            events.step(format!(
                "updating the desired count of service {service} to {count} (CODE_DEPLOY: no new deployment)"
            ));
            ristretto_ecs::send::update_service_builder(update)
                .send_with(&clients.ecs)
                .await
                .map_err(|e| ristretto_ecs::EcsError::aws("UpdateService", e))?;
        }
        if !mode.wait {
            events.step("not waiting (--no-wait)");
            return Ok(());
        }
        wait_task_set(config, clients, service, started, &events).await
    };
    let result = mode
        .scaling
        .around(ctx, &clients.autoscaling, cluster, service, &events, work)
        .await;
    progress.finish(events).await;
    result
}

/// `wait` on a CODE_DEPLOY service: the deployment in progress, else the task set.
///
/// # Errors
/// As [`deploy_one`].
pub async fn wait_one(
    ctx: &Context,
    config: &Config,
    clients: &Clients,
    service: &str,
    live: &Service,
    until: Until,
    started: Instant,
) -> Result<(), CliError> {
    let group = group_of(config, clients, service, live).await?;
    let current = in_progress(&clients.codedeploy, &group).await?;
    let (events, progress) = Progress::start(&ctx.printer, crate::commands::label(config));
    let result = match current {
        Some(id) => {
            events.step(format!("following CodeDeploy deployment {id}"));
            follow(ctx, config, clients, service, id, until, started, &events).await
        }
        None => {
            events.step(
                "no CodeDeploy deployment in progress; waiting for a steady PRIMARY task set",
            );
            wait_task_set(config, clients, service, started, &events).await
        }
    };
    progress.finish(events).await;
    result
}

/// Waits for the single steady PRIMARY task set of a service just created.
///
/// # Errors
/// Timeout (4), Ctrl-C (130), AWS errors.
pub async fn wait_task_set(
    config: &Config,
    clients: &Clients,
    service: &str,
    started: Instant,
    events: &Events,
) -> Result<(), CliError> {
    let spec = TaskSetWait {
        cluster: config.cluster.clone(),
        service: service.to_owned(),
        deadline: started + config.timeout,
        timeout: config.timeout,
        pace: Pace::default(),
    };
    interruptibly(wait_for_task_set(&clients.ecs, &spec, events)).await
}

#[allow(clippy::too_many_arguments)] // the same run context as deploy_one
async fn follow(
    ctx: &Context,
    config: &Config,
    clients: &Clients,
    service: &str,
    deployment_id: String,
    until: Until,
    started: Instant,
    events: &Events,
) -> Result<(), CliError> {
    let spec = WaitSpec {
        cluster: config.cluster.clone(),
        service: service.to_owned(),
        deployment_id,
        until,
        deadline: started + config.timeout,
        timeout: config.timeout,
        no_progress_timeout: ctx.settings.no_progress_timeout,
        pace: Pace::default(),
    };
    interruptibly(async {
        wait_for_deployment(&clients.codedeploy, &clients.ecs, &spec, events)
            .await
            .map(|_| ())
    })
    .await
}

/// Waits, or stops at Ctrl-C leaving the deployment running (exit 130).
async fn interruptibly(
    wait: impl std::future::Future<Output = Result<(), CodeDeployError>>,
) -> Result<(), CliError> {
    tokio::select! {
        result = wait => result.map_err(CliError::from),
        _ = tokio::signal::ctrl_c() => Err(CliError {
            exit: Exit::Interrupted,
            error: anyhow::anyhow!("interrupted; the deployment goes on in CodeDeploy"),
            hint: Some("follow it with `ristretto wait` (same --config)".to_owned()),
        }),
    }
}

/// The deployment group of `live`: the config's names, else the deployment
/// that created one of its task sets, else a search.
async fn group_of(
    config: &Config,
    clients: &Clients,
    service: &str,
    live: &Service,
) -> Result<Group, CliError> {
    let names = config.codedeploy.clone().unwrap_or_default();
    let wanted = Wanted {
        cluster: &config.cluster,
        service,
        application: names.application_name.as_deref(),
        group: names.deployment_group_name.as_deref(),
        task_sets: live.task_sets(),
    };
    Ok(discover(&clients.codedeploy, &wanted).await?)
}

/// Whether `service` is deployed by CodeDeploy.
pub fn is_code_deploy(service: &Service) -> bool {
    service
        .deployment_controller()
        .is_some_and(|c| c.r#type() == &aws_sdk_ecs::types::DeploymentControllerType::CodeDeploy)
}

/// `rollback` of one config's CODE_DEPLOY service (`rollback` dispatches here
/// when the live service uses the CODE_DEPLOY controller).
///
/// # Errors
/// `--no-wait` with deregistration (2), no previous revision, AWS errors,
/// a failed rollback (1), timeout (4).
pub(crate) async fn rollback_config(
    args: &RollbackArgs,
    ctx: &Context,
    config: &Config,
) -> Result<(), CliError> {
    let deregister = !args.no_deregister_task_definition;
    if deregister && !args.wait.waits() {
        return Err(bad_input(
            "`--deregister-task-definition` needs to wait for the rollback",
            Some("add `--no-deregister-task-definition` to `--no-wait`"),
        ));
    }
    let rollback_events = match &args.rollback_events {
        Some(list) => ristretto_codedeploy::start::parse_rollback_events(list)?,
        None => Vec::new(),
    };
    let mode = RollbackMode {
        dry_run: args.dry_run,
        wait: args.wait.waits(),
        deregister,
        rollback_events,
        open: args.open,
    };
    rollback_one(ctx, config, &mode).await
}

#[derive(Debug, Clone)]
struct RollbackMode {
    dry_run: bool,
    wait: bool,
    deregister: bool,
    rollback_events: Vec<AutoRollbackEvent>,
    open: bool,
}

async fn rollback_one(ctx: &Context, config: &Config, mode: &RollbackMode) -> Result<(), CliError> {
    let service = config.service.as_deref().ok_or_else(|| {
        bad_input(
            format!("`service` is not set in `{}`", config.file.display()),
            Some("add `service: <name>` to the config"),
        )
    })?;
    let started = Instant::now();
    let clients = ctx.clients(config).await;
    let live = require_service(&clients.ecs, &config.cluster, service).await?;
    if !is_code_deploy(&live) {
        return Err(CliError {
            exit: Exit::Failure,
            error: anyhow::anyhow!(
                "`rollback` of services with the ECS deployment controller is not available in this build"
            ),
            hint: Some(
                "deploy the previous revision with `ristretto deploy --revision N`".to_owned(),
            ),
        });
    }
    let group = group_of(config, &clients, service, &live).await?;
    let plan = rollback::plan(&clients.codedeploy, &clients.ecs, &group, &live).await?;
    let rolled_back = match &plan {
        RollbackPlan::Stop {
            task_definition, ..
        } => task_definition.clone(),
        RollbackPlan::Redeploy { from, .. } => Some(from.clone()),
    };
    if mode.dry_run {
        let what = match &plan {
            RollbackPlan::Stop { deployment_id, .. } => {
                format!("would stop CodeDeploy deployment {deployment_id} with rollback")
            }
            RollbackPlan::Redeploy { from, to } => format!(
                "would deploy {} in place of {} through CodeDeploy",
                short_task_definition(to),
                short_task_definition(from)
            ),
        };
        ctx.printer
            .info(&format!("dry run: nothing was changed; {what}"));
        if let (true, Some(td)) = (mode.deregister, &rolled_back) {
            ctx.printer
                .info(&format!("would deregister {}", short_task_definition(td)));
        }
        return Ok(());
    }
    let (events, progress) = Progress::start(&ctx.printer, crate::commands::label(config));
    let result: Result<(), CliError> = async {
        match plan {
            RollbackPlan::Stop { deployment_id, .. } => {
                let follow_up =
                    rollback::stop(&clients.codedeploy, &deployment_id, &events).await?;
                if mode.open {
                    events.step(
                        "nothing to open in a browser: the deployment was stopped, no new one created",
                    );
                }
                if !mode.wait {
                    return Ok(());
                }
                match follow_up {
                    Some(id) => {
                        events.step(format!("following rollback deployment {id}"));
                        follow(
                            ctx,
                            config,
                            &clients,
                            service,
                            id,
                            Until::Finished,
                            started,
                            &events,
                        )
                        .await?;
                    }
                    None => {
                        wait_task_set(config, &clients, service, started, &events).await?;
                    }
                }
            }
            RollbackPlan::Redeploy { from, to } => {
                events.step(format!(
                    "no CodeDeploy deployment in progress; deploying {} in place of {}",
                    short_task_definition(&to),
                    short_task_definition(&from)
                ));
                let appspec = build_appspec(&api_json(&live), &to, config.appspec.as_ref())?;
                let request = DeploymentRequest {
                    group: group.clone(),
                    deployment_config_name: config
                        .codedeploy
                        .as_ref()
                        .and_then(|c| c.deployment_config_name.clone()),
                    appspec,
                    rollback_events: mode.rollback_events.clone(),
                };
                let created = create_deployment(&clients.codedeploy, &request, &events).await?;
                if mode.open {
                    crate::browser::open(ctx.settings.browser, &created.console_url, &events)
                        .await;
                }
                if !mode.wait {
                    return Ok(());
                }
                follow(
                    ctx,
                    config,
                    &clients,
                    service,
                    created.deployment_id,
                    Until::Finished,
                    started,
                    &events,
                )
                .await?;
            }
        }
        if let (true, Some(td)) = (mode.deregister, rolled_back) {
            clients
                .ecs
                .deregister_task_definition()
                .task_definition(&td)
                .send()
                .await
                .map_err(|e| ristretto_ecs::EcsError::aws("DeregisterTaskDefinition", e))?;
            events.step(format!(
                "deregistered the rolled-back task definition {}",
                short_task_definition(&td)
            ));
        }
        Ok(())
    }
    .await;
    progress.finish(events).await;
    result
}
