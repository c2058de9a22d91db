//! `refresh` and `scale`: deployments of the service's current task
//! definition, through the same plan, execution and wait as `deploy`. Neither
//! registers anything or applies the service definition, and neither creates
//! a missing service. On a CODE_DEPLOY service, as in ecspresso, `refresh`
//! is a new CodeDeploy deployment of the running revision, and `scale` only
//! changes the desired count (the task sets follow; no deployment).

use ristretto_core::Config;
use ristretto_ecs::WaitUntil;
use ristretto_ecs::autoscaling;
use ristretto_ecs::deploy::DeployOptions;
use ristretto_ecs::service::require_service;

use crate::cli::{RefreshArgs, ScaleArgs};
use crate::commands::deploy::{Mode, run_one, service_name, until_of};
use crate::commands::scaling::Scaling;
use crate::commands::{Context, for_each_config};
use crate::progress::Progress;
use crate::report::{CliError, bad_input};

/// `refresh` for every config: a new deployment replacing every task.
///
/// # Errors
/// As `deploy`.
pub async fn refresh(args: &RefreshArgs, ctx: &Context) -> Result<(), CliError> {
    let options = DeployOptions {
        skip_task_definition: true,
        force_new_deployment: true,
        update_service: false,
        ..DeployOptions::default()
    };
    let mode = Mode {
        dry_run: args.dry_run,
        wait: args.wait.waits(),
        until: until_of(args.wait.wait_until, WaitUntil::Deployed),
        codedeploy_until: ristretto_codedeploy::Until::Finished,
        create_only: false,
        scaling: Scaling::default(),
        rollback_events: Vec::new(),
        open: args.open,
    };
    for_each_config(ctx, |config| {
        let options = options.clone();
        let mode = mode.clone();
        Box::pin(async move {
            let clients = ctx.clients(&config).await;
            require_service(&clients.ecs, &config.cluster, service_name(&config)?).await?;
            run_one(ctx, &config, options, mode).await
        })
    })
    .await
}

/// `scale` for every config: the desired count and/or auto scaling.
///
/// # Errors
/// Nothing asked (2), as `deploy` otherwise.
pub async fn scale(args: &ScaleArgs, ctx: &Context) -> Result<(), CliError> {
    let scaling = Scaling::from_flags(&args.auto_scaling)?;
    if args.tasks.is_none() && scaling.is_empty() {
        return Err(bad_input(
            "`scale` needs `--tasks N` or an auto scaling flag",
            Some("e.g. `ristretto scale --tasks 3`, or `--resume-auto-scaling`"),
        ));
    }
    let until = until_of(args.wait.wait_until, WaitUntil::Stable);
    for_each_config(ctx, |config| {
        Box::pin(async move { scale_one(args, ctx, &config, scaling, until).await })
    })
    .await
}

async fn scale_one(
    args: &ScaleArgs,
    ctx: &Context,
    config: &Config,
    scaling: Scaling,
    until: WaitUntil,
) -> Result<(), CliError> {
    let service = service_name(config)?;
    let clients = ctx.clients(config).await;
    require_service(&clients.ecs, &config.cluster, service).await?;
    let Some(tasks) = args.tasks else {
        // Only auto scaling changes: no UpdateService, nothing to wait for.
        if args.dry_run {
            scaling
                .preview(ctx, &clients.autoscaling, &config.cluster, service)
                .await?;
            return Ok(());
        }
        let (events, progress) =
            Progress::start(&ctx.printer, format!("{service}/{}", config.cluster));
        let result = scaling
            .around(
                ctx,
                &clients.autoscaling,
                &config.cluster,
                service,
                &events,
                async { Ok(()) },
            )
            .await;
        progress.finish(events).await;
        return result;
    };
    if !scaling.pause
        && scaling.change.suspend != Some(true)
        && scaling.change.min.is_none()
        && scaling.change.max.is_none()
    {
        let targets =
            autoscaling::scalable_targets(&clients.autoscaling, &config.cluster, service).await?;
        if let Some(warning) = autoscaling::outside_bounds(tasks, &targets) {
            ctx.printer.warn(&warning);
        }
    }
    let options = DeployOptions {
        tasks: Some(tasks),
        skip_task_definition: true,
        update_service: false,
        ..DeployOptions::default()
    };
    let mode = Mode {
        dry_run: args.dry_run,
        wait: args.wait.waits(),
        until,
        codedeploy_until: ristretto_codedeploy::Until::Finished,
        create_only: false,
        scaling,
        rollback_events: Vec::new(),
        open: false,
    };
    run_one(ctx, config, options, mode).await
}
