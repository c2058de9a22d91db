//! `deploy`, `create` and `wait` for CODE_DEPLOY services: the task
//! definition goes to CodeDeploy in an AppSpec, and waiting follows the
//! CodeDeploy deployment (or, with none in progress, the service's task set).
//! Everything that can fail without changing anything (files, discovery,
//! the AppSpec) is checked before the first change.

use aws_sdk_codedeploy::types::AutoRollbackEvent;
use aws_sdk_ecs::types::Service;
use ristretto_codedeploy::rollback::{self, RollbackPlan};
use ristretto_codedeploy::wait::{
    TaskSetWait, WaitSpec, in_progress, wait_for_deployment, wait_for_task_set,
};
use ristretto_codedeploy::{CodeDeployError, Until, plan};
use ristretto_core::Config;
use ristretto_core::definition::to_pretty_json;
use ristretto_core::event::{Events, short_task_definition};
use ristretto_core::poll::{Budget, Interrupted, Pace, interruptible};
use ristretto_ecs::deploy::{Definitions, DeployOptions};
use ristretto_ecs::service::require_service;
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

/// Deploys `files` to the CODE_DEPLOY service `live` through CodeDeploy
/// (or, when only the desired count changes, updates only that).
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
    let settings = settings_of(config, service, &mode.rollback_events);
    // Read-only: what to deploy, where, and whether the AppSpec can be built.
    let plan = plan::plan(
        &clients.ecs,
        &clients.codedeploy,
        &settings,
        live,
        files,
        options,
    )
    .await?;
    if mode.dry_run {
        ctx.printer.info("dry run: nothing was changed; the plan:");
        ctx.printer.data(&to_pretty_json(&plan.to_json()?));
        mode.scaling
            .preview(ctx, &clients.autoscaling, cluster, service)
            .await?;
        return Ok(());
    }
    let (events, progress) = Progress::start(&ctx.printer, crate::commands::label(config));
    let work = async {
        let created = plan::execute(&clients.ecs, &clients.codedeploy, plan, &events).await?;
        if let (true, Some(created)) = (mode.open, &created) {
            crate::browser::open(ctx.settings.browser, &created.console_url, &events).await;
        }
        if !mode.wait {
            events.step(match created {
                Some(_) => "not waiting (--no-wait); follow it with `ristretto wait`",
                None => "not waiting (--no-wait)",
            });
            return Ok(());
        }
        match created {
            Some(created) => {
                follow(
                    ctx,
                    config,
                    clients,
                    service,
                    created.deployment_id,
                    mode.until,
                    started,
                    &events,
                )
                .await
            }
            None => wait_task_set(config, clients, service, started, &events).await,
        }
    };
    let result = mode
        .scaling
        .around(ctx, &clients.autoscaling, cluster, service, &events, work)
        .await;
    progress.finish(events).await;
    result
}

/// The config's CodeDeploy settings for `service`.
fn settings_of<'a>(
    config: &'a Config,
    service: &'a str,
    rollback_events: &'a [AutoRollbackEvent],
) -> plan::Settings<'a> {
    let names = config.codedeploy.as_ref();
    plan::Settings {
        cluster: &config.cluster,
        service,
        application: names.and_then(|n| n.application_name.as_deref()),
        group: names.and_then(|n| n.deployment_group_name.as_deref()),
        deployment_config_name: names.and_then(|n| n.deployment_config_name.as_deref()),
        appspec: config.appspec.as_ref(),
        rollback_events,
    }
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
    let settings = settings_of(config, service, &[]);
    let group = plan::group_of(&clients.codedeploy, &settings, live).await?;
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
        // The reads that found the deployment group and checked for a deployment in progress
        // come once, before anything changed; the budget counts the wait's own looks (and one
        // read before them, as for an ECS deployment).
        budget: Budget::new(Instant::now(), 1, ctx.clock_rate()),
        clock_rate: ctx.clock_rate(),
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
    match interruptible(wait).await {
        Ok(result) => result.map_err(CliError::from),
        Err(Interrupted(signal)) => {
            Err(crate::report::deployment_interrupted(signal, "CodeDeploy"))
        }
    }
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
    let settings = settings_of(config, service, &mode.rollback_events);
    let group = plan::group_of(&clients.codedeploy, &settings, &live).await?;
    let plan = rollback::plan(&clients.codedeploy, &clients.ecs, &group, &live).await?;
    let rolled_back = match &plan {
        RollbackPlan::Stop {
            task_definition, ..
        } => task_definition.clone(),
        RollbackPlan::Redeploy { from, .. } => Some(from.clone()),
        // CodeDeploy's own rollback: the revision it rolls back is not ours to deregister.
        RollbackPlan::Follow { .. } => None,
    };
    if mode.dry_run {
        let what = match &plan {
            RollbackPlan::Stop { deployment_id, .. } => {
                format!("would stop CodeDeploy deployment {deployment_id} with rollback")
            }
            RollbackPlan::Follow { deployment_id } => {
                format!("would follow rollback deployment {deployment_id}, already in progress")
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
        let started_rollback =
            rollback::execute(&clients.codedeploy, plan, &live, &group, &settings, &events).await?;
        match (&started_rollback.created, mode.open) {
            (Some(created), true) => {
                crate::browser::open(ctx.settings.browser, &created.console_url, &events).await;
            }
            (None, true) => events.step(
                "nothing to open in a browser: the deployment was stopped, no new one created",
            ),
            (_, false) => {}
        }
        if !mode.wait {
            return Ok(());
        }
        match started_rollback.follow {
            Some(id) => {
                if started_rollback.created.is_none() {
                    events.step(format!("following rollback deployment {id}"));
                }
                let until = Until::Finished;
                follow(ctx, config, &clients, service, id, until, started, &events).await?;
            }
            None => wait_task_set(config, &clients, service, started, &events).await?,
        }
        if let (true, Some(td)) = (mode.deregister, rolled_back) {
            ristretto_ecs::rollback::deregister(&clients.ecs, &td, &events).await?;
        }
        Ok(())
    }
    .await;
    progress.finish(events).await;
    result
}
