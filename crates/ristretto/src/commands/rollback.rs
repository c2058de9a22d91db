//! `rollback`: back to the previous ACTIVE revision (or `--revision N`),
//! followed like a deployment; the rolled-back revision is deregistered only
//! once the rollback succeeded.

use ristretto_core::Config;
use ristretto_core::definition::to_pretty_json;
use ristretto_core::event::short_task_definition;
use ristretto_ecs::rollback;
use ristretto_ecs::service::require_service;
use ristretto_ecs::{Target, WaitUntil};
use tokio::time::Instant;

use crate::cli::RollbackArgs;
use crate::commands::deploy::{service_name, spec_for, until_of, wait_interruptibly};
use crate::commands::{Context, for_each_config};
use crate::progress::Progress;
use crate::report::{CliError, bad_input};

/// Whether to deregister the rolled-back revision: by default only when
/// waiting, because only a finished rollback proves it is no longer needed.
///
/// # Errors
/// `--deregister-task-definition` with `--no-wait` (exit 2).
pub fn deregisters(args: &RollbackArgs) -> Result<bool, CliError> {
    let waits = args.wait.waits();
    if args.deregister_task_definition && !args.no_deregister_task_definition && !waits {
        return Err(bad_input(
            "`--deregister-task-definition` needs the rollback to finish, so it excludes `--no-wait`",
            Some("drop one of them; without waiting the revision stays registered"),
        ));
    }
    Ok(!args.no_deregister_task_definition && waits)
}

/// `rollback` for every config.
///
/// # Errors
/// Input errors (2), AWS or deployment failures (1), timeouts (4), Ctrl-C (130).
pub async fn run(args: &RollbackArgs, ctx: &Context) -> Result<(), CliError> {
    let deregister = deregisters(args)?;
    let until = until_of(args.wait.wait_until, WaitUntil::Stable);
    for_each_config(ctx, |config| {
        Box::pin(async move { rollback_one(args, ctx, &config, deregister, until).await })
    })
    .await
}

async fn rollback_one(
    args: &RollbackArgs,
    ctx: &Context,
    config: &Config,
    deregister: bool,
    until: WaitUntil,
) -> Result<(), CliError> {
    let started = Instant::now();
    let service = service_name(config)?;
    let clients = ctx.clients(config).await;
    let ecs = &clients.ecs;
    let live = require_service(ecs, &config.cluster, service).await?;
    if crate::commands::codedeploy::is_code_deploy(&live) {
        return crate::commands::codedeploy::rollback_config(args, ctx, config).await;
    }
    let plan = rollback::plan(ecs, &live, args.revision).await?;
    if args.dry_run {
        ctx.printer.info(&format!(
            "dry run: nothing was changed; {service} would roll back from {} to {}{}",
            short_task_definition(&plan.from),
            short_task_definition(&plan.to),
            if deregister {
                format!(", then deregister {}", short_task_definition(&plan.from))
            } else {
                String::new()
            }
        ));
        let mut out = serde_json::json!({
            "updateService": {
                "cluster": config.cluster,
                "service": service,
                "taskDefinition": plan.to,
            },
        });
        if deregister {
            out["deregisterTaskDefinition"] = plan.from.clone().into();
        }
        ctx.printer.data(&to_pretty_json(&out));
        return Ok(());
    }
    let (events, progress) = Progress::start(&ctx.printer, format!("{service}/{}", config.cluster));
    let result: Result<(), CliError> = async {
        let (deployment, since) =
            rollback::execute(ecs, &config.cluster, service, &plan, &events).await?;
        if !args.wait.waits() {
            events.step("not waiting (--no-wait)");
            return Ok(());
        }
        let target = Target {
            deployment,
            task_definition: plan.to.clone(),
            until,
        };
        let spec = spec_for(ctx, config, service, target, since, started);
        wait_interruptibly(ecs, &spec, &events).await?;
        if deregister {
            rollback::deregister(ecs, &plan.from, &events).await?;
        }
        Ok(())
    }
    .await;
    progress.finish(events).await;
    result
}
