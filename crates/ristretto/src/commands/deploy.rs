//! `deploy`, `create` and `wait`: load every file first (a bad file changes
//! nothing), plan with read-only calls, then act and follow the deployment to
//! its end. CODE_DEPLOY services branch to [`super::codedeploy`].

use ristretto_codedeploy::Until as CodeDeployUntil;
use ristretto_core::Config;
use ristretto_core::definition::to_pretty_json;
use ristretto_core::event::Events;
use ristretto_core::poll::{Interrupted, Pace, interruptible};
use ristretto_ecs::deploy::{self, DeployOptions, Plan};
use ristretto_ecs::service::{describe_service, require_service};
use ristretto_ecs::wait::{LifecycleSpec, WaitSpec, wait_for_deployment};
use ristretto_ecs::{Target, WaitUntil};
use tokio::time::Instant;

use crate::cli::{CreateArgs, DeployArgs, WaitArgs, WaitUntilArg};
use crate::commands::codedeploy::{self, is_code_deploy};
use crate::commands::scaling::Scaling;
use crate::commands::{Context, for_each_config};
use crate::exit::Exit;
use crate::progress::Progress;
use crate::report::{CliError, bad_input};

/// `deploy` for every config.
///
/// # Errors
/// Input errors (2), AWS or deployment failures (1), timeouts (4), Ctrl-C (130).
pub async fn deploy(args: &DeployArgs, ctx: &Context) -> Result<(), CliError> {
    let options = DeployOptions {
        tasks: args.tasks,
        skip_task_definition: args.skip_task_definition,
        revision: args.revision,
        latest_task_definition: args.latest_task_definition,
        force_new_deployment: args.force_new_deployment,
        update_service: !args.no_update_service,
        ignore_tags: Vec::new(),
    };
    let until = until_of(args.wait.wait_until, WaitUntil::Deployed);
    let scaling = Scaling::from_flags(&args.auto_scaling)?;
    let rollback_events = match &args.rollback_events {
        Some(list) => ristretto_codedeploy::start::parse_rollback_events(list)?,
        None => Vec::new(),
    };
    let mode = Mode {
        dry_run: args.dry_run,
        wait: args.wait.waits(),
        until,
        codedeploy_until: codedeploy_until_of(args.wait.wait_until),
        create_only: false,
        scaling,
        rollback_events,
        open: args.open,
    };
    for_each_config(ctx, |config| {
        let options = options.clone();
        let mode = mode.clone();
        Box::pin(async move { run_one(ctx, &config, options, mode).await })
    })
    .await
}

/// `create` for every config.
///
/// # Errors
/// As [`deploy`]; an existing service is an error.
pub async fn create(args: &CreateArgs, ctx: &Context) -> Result<(), CliError> {
    let options = DeployOptions {
        tasks: args.tasks,
        update_service: true,
        ..DeployOptions::default()
    };
    let until = until_of(args.wait.wait_until, WaitUntil::Stable);
    let mode = Mode {
        dry_run: args.dry_run,
        wait: args.wait.waits(),
        until,
        codedeploy_until: codedeploy_until_of(args.wait.wait_until),
        create_only: true,
        scaling: Scaling::default(),
        rollback_events: Vec::new(),
        open: false,
    };
    for_each_config(ctx, |config| {
        let options = options.clone();
        let mode = mode.clone();
        Box::pin(async move { run_one(ctx, &config, options, mode).await })
    })
    .await
}

/// `wait` for every config: follow the deployment in progress.
///
/// # Errors
/// As [`deploy`].
pub async fn wait(args: &WaitArgs, ctx: &Context) -> Result<(), CliError> {
    let until = until_of(args.wait_until, WaitUntil::Stable);
    let codedeploy_until = codedeploy_until_of(args.wait_until);
    for_each_config(ctx, |config| {
        Box::pin(async move { wait_one(ctx, &config, until, codedeploy_until).await })
    })
    .await
}

async fn wait_one(
    ctx: &Context,
    config: &Config,
    until: WaitUntil,
    codedeploy_until: CodeDeployUntil,
) -> Result<(), CliError> {
    let service = service_name(config)?;
    let started = Instant::now();
    let clients = ctx.clients(config).await;
    let live = require_service(&clients.ecs, &config.cluster, service).await?;
    if is_code_deploy(&live) {
        if let Some(arg) = lifecycle_arg(until) {
            return Err(lifecycle_needs_ecs(arg, service));
        }
        return codedeploy::wait_one(
            ctx,
            config,
            &clients,
            service,
            &live,
            codedeploy_until,
            started,
        )
        .await;
    }
    refuse_codedeploy_until(codedeploy_until, service)?;
    let strategy = live
        .deployment_configuration()
        .and_then(|c| c.strategy())
        .cloned()
        .unwrap_or(aws_sdk_ecs::types::DeploymentStrategy::Rolling);
    let until = check_lifecycle_until(ctx, until, service, &strategy)?;
    let (target, since) = ristretto_ecs::wait::current_target(&live, until)?;
    follow(ctx, config, &clients.ecs, target, since, started).await
}

/// How [`run_one`] runs (shared with `refresh` and `scale`).
#[derive(Debug, Clone)]
pub(crate) struct Mode {
    pub(crate) dry_run: bool,
    pub(crate) wait: bool,
    pub(crate) until: WaitUntil,
    pub(crate) codedeploy_until: CodeDeployUntil,
    pub(crate) create_only: bool,
    /// Auto scaling changes around the deployment.
    pub(crate) scaling: Scaling,
    pub(crate) rollback_events: Vec<aws_sdk_codedeploy::types::AutoRollbackEvent>,
    /// `--open`: the console page of a CodeDeploy deployment, in a browser.
    pub(crate) open: bool,
}

pub(crate) async fn run_one(
    ctx: &Context,
    config: &Config,
    mut options: DeployOptions,
    mode: Mode,
) -> Result<(), CliError> {
    let started = Instant::now();
    let service = service_name(config)?;
    options.ignore_tags.clone_from(&config.ignore.tags);

    // Every file is loaded before the first AWS call: a bad file changes nothing.
    let definitions = ctx.loader().definitions(config, ctx.lookups(config))?;
    // `scale`, `refresh`, `--skip-task-definition`, `--revision` and
    // `--latest-task-definition` keep a registered revision: the file (and
    // the variables its template needs) is not read.
    let needs_task_definition = mode.create_only
        || !(options.skip_task_definition
            || options.revision.is_some()
            || options.latest_task_definition);
    let task_definition = match (&config.task_definition, needs_task_definition) {
        (Some(_), true) => Some(definitions.task_definition()?.value),
        _ => None,
    };
    let service_definition = match &config.service_definition {
        Some(_) => Some(definitions.service_definition()?.value),
        None => None,
    };
    let files = deploy::Definitions {
        task_definition,
        service_definition,
    };

    let clients = ctx.clients(config).await;
    let ecs = &clients.ecs;
    let live = describe_service(ecs, &config.cluster, service).await?;
    if mode.create_only && live.is_some() {
        return Err(CliError {
            exit: Exit::Failure,
            error: anyhow::anyhow!(
                "service `{service}` already exists in cluster `{}`",
                config.cluster
            ),
            hint: Some("update it with `ristretto deploy`".to_owned()),
        });
    }
    if let Some(live) = live.as_ref().filter(|l| is_code_deploy(l)) {
        if let Some(arg) = lifecycle_arg(mode.until) {
            return Err(lifecycle_needs_ecs(arg, service));
        }
        let cd_mode = codedeploy::Mode {
            dry_run: mode.dry_run,
            wait: mode.wait,
            until: mode.codedeploy_until,
            rollback_events: mode.rollback_events.clone(),
            scaling: mode.scaling,
            open: mode.open,
        };
        return codedeploy::deploy_one(
            ctx, config, &clients, service, live, &files, &options, &cd_mode, started,
        )
        .await;
    }
    let created_code_deploy = live.is_none()
        && files
            .service_definition
            .as_ref()
            .and_then(|d| d.deployment_controller())
            .is_some_and(|c| {
                c.r#type() == &aws_sdk_ecs::types::DeploymentControllerType::CodeDeploy
            });
    if !created_code_deploy {
        refuse_codedeploy_until(mode.codedeploy_until, service)?;
    }
    let plan = deploy::plan(
        ecs,
        &config.cluster,
        service,
        live.as_ref(),
        &files,
        &options,
    )
    .await?;
    // `--wait-until paused|ecs:<STAGE>` against the strategy this deploy will use: refused
    // (or warned about) before anything changes.
    let until = if created_code_deploy {
        if let Some(arg) = lifecycle_arg(mode.until) {
            return Err(lifecycle_needs_ecs(arg, service));
        }
        mode.until
    } else if mode.wait {
        check_lifecycle_until(ctx, mode.until, service, &plan.strategy(live.as_ref()))?
    } else {
        mode.until
    };
    if mode.dry_run {
        print_plan(ctx, &plan)?;
        mode.scaling
            .preview(ctx, &clients.autoscaling, &config.cluster, service)
            .await?;
        return Ok(());
    }

    let (events, progress) = Progress::start(&ctx.printer, format!("{service}/{}", config.cluster));
    let work = async {
        let started_deployment = deploy::execute(ecs, plan, &events).await?;
        if !mode.wait {
            events.step("not waiting (--no-wait)");
            return Ok(());
        }
        if created_code_deploy {
            // Its first task set comes with the service; no CodeDeploy deployment yet.
            return codedeploy::wait_task_set(config, &clients, service, started, &events).await;
        }
        let target = Target {
            deployment: started_deployment.deployment,
            task_definition: started_deployment.task_definition,
            until,
        };
        let mut spec = spec_for(
            ctx,
            config,
            service,
            target,
            started_deployment.since,
            started,
        );
        spec.answer = Some(started_deployment.service);
        spec.elbv2 = Some(clients.elbv2.clone());
        spec.reads_before = clients.reads.get();
        wait_interruptibly(ecs, &spec, &events).await
    };
    let result = mode
        .scaling
        .around(
            ctx,
            &clients.autoscaling,
            &config.cluster,
            service,
            &events,
            work,
        )
        .await;
    progress.finish(events).await;
    result
}

async fn follow(
    ctx: &Context,
    config: &Config,
    ecs: &aws_sdk_ecs::Client,
    target: Target,
    since: f64,
    started: Instant,
) -> Result<(), CliError> {
    let service = service_name(config)?;
    let (events, progress) = Progress::start(&ctx.printer, format!("{service}/{}", config.cluster));
    let mut spec = spec_for(ctx, config, service, target, since, started);
    // `wait` follows a deployment that may be finished already.
    spec.just_started = false;
    let result = wait_interruptibly(ecs, &spec, &events).await;
    progress.finish(events).await;
    result
}

pub(crate) fn spec_for(
    ctx: &Context,
    config: &Config,
    service: &str,
    target: Target,
    since: f64,
    started: Instant,
) -> WaitSpec {
    WaitSpec {
        cluster: config.cluster.clone(),
        service: service.to_owned(),
        target,
        deadline: started + config.timeout,
        timeout: config.timeout,
        no_progress_timeout: ctx.settings.no_progress_timeout,
        events_since: since,
        pace: Pace::DEPLOYMENT,
        clock_rate: ctx.clock_rate(),
        just_started: true,
        lifecycle: LifecycleSpec {
            resume: crate::commands::continue_::resume_command(ctx, config),
            ..LifecycleSpec::default()
        },
        started,
        // Every caller read the service once before (DescribeServices).
        reads_before: 1,
        answer: None,
        elbv2: None,
    }
}

/// Waits, or stops at Ctrl-C leaving the deployment running (exit 130).
pub(crate) async fn wait_interruptibly(
    ecs: &aws_sdk_ecs::Client,
    spec: &WaitSpec,
    events: &Events,
) -> Result<(), CliError> {
    match interruptible(wait_for_deployment(ecs, spec, events)).await {
        Ok(result) => result.map(|_| ()).map_err(CliError::from),
        Err(Interrupted(signal)) => Err(crate::report::deployment_interrupted(signal, "ECS")),
    }
}

fn print_plan(ctx: &Context, plan: &Plan) -> Result<(), CliError> {
    let json = plan.to_json()?;
    ctx.printer.info("dry run: nothing was changed; the plan:");
    ctx.printer.data(&to_pretty_json(&json));
    Ok(())
}

pub(crate) fn service_name(config: &Config) -> Result<&str, CliError> {
    config.service.as_deref().ok_or_else(|| {
        bad_input(
            format!("`service` is not set in `{}`", config.file.display()),
            Some("add `service: <name>` to the config"),
        )
    })
}

pub(crate) fn until_of(arg: Option<WaitUntilArg>, default: WaitUntil) -> WaitUntil {
    match arg {
        None | Some(WaitUntilArg::CodeDeploy(_)) => default,
        Some(WaitUntilArg::Deployed) => WaitUntil::Deployed,
        Some(WaitUntilArg::Stable) => WaitUntil::Stable,
        Some(WaitUntilArg::Paused) => WaitUntil::Paused,
        Some(WaitUntilArg::Ecs(stage)) => WaitUntil::Stage(stage),
    }
}

/// The `--wait-until` value of a lifecycle wait (`paused`, `ecs:<STAGE>`), if `until` is one.
fn lifecycle_arg(until: WaitUntil) -> Option<WaitUntilArg> {
    match until {
        WaitUntil::Paused => Some(WaitUntilArg::Paused),
        WaitUntil::Stage(stage) => Some(WaitUntilArg::Ecs(stage)),
        WaitUntil::Deployed | WaitUntil::Stable => None,
    }
}

/// `--wait-until paused|ecs:<STAGE>` on a CODE_DEPLOY service (exit 2).
pub(crate) fn lifecycle_needs_ecs(arg: WaitUntilArg, service: &str) -> CliError {
    bad_input(
        format!(
            "`--wait-until {}` follows ECS lifecycle stages and hooks of BLUE_GREEN, LINEAR and CANARY deployments; `{service}` is deployed by CodeDeploy",
            arg.text()
        ),
        Some(
            "use `--wait-until codedeploy:<LifecycleEvent>` (e.g. `codedeploy:AfterAllowTestTraffic`)",
        ),
    )
}

/// `--wait-until ecs:<STAGE>` for a deployment without lifecycle stages (exit 2).
pub(crate) fn stage_needs_native(
    stage: ristretto_ecs::lifecycle::Stage,
    service: &str,
    strategy: &str,
) -> CliError {
    bad_input(
        format!(
            "`--wait-until ecs:{stage}` needs a BLUE_GREEN, LINEAR or CANARY deployment; service `{service}` deploys with the {strategy} strategy, which has no lifecycle stages"
        ),
        Some(
            "use `--wait-until deployed` or `stable`, or set `deploymentConfiguration.strategy` in the service definition",
        ),
    )
}

/// Checks a lifecycle `--wait-until` against the deployment `strategy`: `ecs:<STAGE>` needs a
/// native strategy (exit 2); `paused` on ROLLING warns that it cannot pause and waits until
/// deployed (as ecspresso). Returns what to wait for.
///
/// # Errors
/// `ecs:<STAGE>` with a ROLLING strategy.
pub(crate) fn check_lifecycle_until(
    ctx: &Context,
    until: WaitUntil,
    service: &str,
    strategy: &aws_sdk_ecs::types::DeploymentStrategy,
) -> Result<WaitUntil, CliError> {
    let native = ristretto_ecs::lifecycle::is_native(Some(strategy));
    match until {
        WaitUntil::Stage(stage) if !native => {
            Err(stage_needs_native(stage, service, strategy.as_str()))
        }
        WaitUntil::Paused if !native => {
            ctx.printer.warn(&format!(
                "`--wait-until paused`: service `{service}` deploys with the {} strategy, which cannot pause; waiting until the deployment is deployed",
                strategy.as_str()
            ));
            Ok(WaitUntil::Deployed)
        }
        other => Ok(other),
    }
}

fn codedeploy_until_of(arg: Option<WaitUntilArg>) -> CodeDeployUntil {
    match arg {
        Some(WaitUntilArg::CodeDeploy(event)) => CodeDeployUntil::Event(event),
        _ => CodeDeployUntil::Finished,
    }
}

/// `--wait-until codedeploy:<event>` on a service that CodeDeploy does not deploy.
fn refuse_codedeploy_until(until: CodeDeployUntil, service: &str) -> Result<(), CliError> {
    match until {
        CodeDeployUntil::Finished => Ok(()),
        CodeDeployUntil::Event(event) => Err(bad_input(
            format!(
                "`--wait-until codedeploy:{event}` needs a CODE_DEPLOY service; `{service}` uses the ECS deployment controller"
            ),
            Some("use `--wait-until deployed` or `--wait-until stable`"),
        )),
    }
}
