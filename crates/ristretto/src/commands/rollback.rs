//! `rollback`: back to the previous ACTIVE revision (or `--revision N`),
//! followed like a deployment; the rolled-back revision is deregistered only
//! once the rollback succeeded.

use ristretto_core::Config;
use ristretto_core::definition::to_pretty_json;
use ristretto_core::event::short_task_definition;
use ristretto_ecs::resume::Paused;
use ristretto_ecs::rollback;
use ristretto_ecs::service::require_service;
use ristretto_ecs::service_deployment;
use ristretto_ecs::{Target, WaitUntil};
use tokio::time::Instant;

use crate::cli::{RollbackArgs, WaitUntilArg};
use crate::commands::deploy::{
    check_lifecycle_until, service_name, spec_for, until_of, wait_interruptibly,
};
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
    if let Some(WaitUntilArg::Ecs(stage)) = args.wait.wait_until {
        return Err(bad_input(
            format!(
                "`rollback --wait-until ecs:{stage}`: a rollback is followed until it is deployed, stable or paused"
            ),
            Some("use `--wait-until deployed`, `stable` or `paused`"),
        ));
    }
    let until = until_of(args.wait.wait_until, WaitUntil::Stable);
    for_each_config(ctx, |config| {
        Box::pin(async move { rollback_one(args, ctx, &config, deregister, until).await })
    })
    .await
}

/// The hook holding the service's native deployment, when one awaits action: then `rollback`
/// rolls that deployment back (ContinueServiceDeployment ROLLBACK, as ecspresso) instead of
/// starting another deployment over it. A rolling service makes no call here.
async fn paused_deployment(
    ecs: &aws_sdk_ecs::Client,
    config: &Config,
    live: &aws_sdk_ecs::types::Service,
) -> Result<Option<Paused>, CliError> {
    let strategy = live.deployment_configuration().and_then(|c| c.strategy());
    if !ristretto_ecs::lifecycle::is_native(strategy) {
        return Ok(None);
    }
    let service = service_name(config)?;
    let Some(sd) = service_deployment::unfinished(ecs, &config.cluster, service).await? else {
        return Ok(None);
    };
    if sd.status() != Some(&aws_sdk_ecs::types::ServiceDeploymentStatus::InProgress) {
        return Ok(None);
    }
    // Any hook awaiting action rolls the whole deployment back; the first will do.
    Ok(ristretto_ecs::lifecycle::awaiting_hooks(&sd, None)
        .into_iter()
        .next()
        .map(|hook| Paused {
            service_deployment: sd.service_deployment_arn().unwrap_or_default().to_owned(),
            hook,
            stage: sd.lifecycle_stage().map(|s| s.as_str().to_owned()),
        }))
}

/// `rollback` of a paused native deployment: ContinueServiceDeployment(ROLLBACK), followed
/// until ECS says the rollback succeeded; then the paused deployment's revision is
/// deregistered (unless kept), as after any rollback.
#[allow(clippy::too_many_lines)]
async fn rollback_paused(
    args: &RollbackArgs,
    ctx: &Context,
    config: &Config,
    live: &aws_sdk_ecs::types::Service,
    paused: &Paused,
    deregister: bool,
    started: Instant,
) -> Result<(), CliError> {
    let service = service_name(config)?;
    let ecs = &ctx.clients(config).await.ecs;
    let short = ristretto_ecs::lifecycle::short_id(&paused.service_deployment);
    if let Some(revision) = args.revision {
        return Err(bad_input(
            format!(
                "service deployment {short} of `{service}` is paused by lifecycle hook {}; `--revision {revision}` would start another deployment over it",
                paused.hook.hook_id
            ),
            Some(
                "roll the paused deployment back first: `ristretto rollback` without `--revision`",
            ),
        ));
    }
    // The revision the paused deployment brings in, which the rollback makes unused.
    let from = live.task_definition().unwrap_or_default().to_owned();
    if args.dry_run {
        ctx.printer.info(&format!(
            "dry run: nothing was changed; service deployment {short} of {service}, paused by lifecycle hook {}, would be rolled back{}",
            paused.hook.hook_id,
            if deregister {
                format!(", then {} deregistered", short_task_definition(&from))
            } else {
                String::new()
            }
        ));
        let mut out = serde_json::json!({
            "continueServiceDeployment": {
                "serviceDeploymentArn": paused.service_deployment,
                "hookId": paused.hook.hook_id,
                "action": "ROLLBACK",
            },
        });
        if deregister {
            out["deregisterTaskDefinition"] = from.clone().into();
        }
        ctx.printer.data(&to_pretty_json(&out));
        return Ok(());
    }
    let (events, progress) = Progress::start(&ctx.printer, format!("{service}/{}", config.cluster));
    let result: Result<(), CliError> = async {
        ristretto_ecs::resume::execute(ecs, paused, true, &events).await?;
        if !args.wait.waits() {
            events.step("not waiting (--no-wait)");
            return Ok(());
        }
        let (target, since) = ristretto_ecs::wait::current_target(live, WaitUntil::Stable)?;
        let mut spec = spec_for(ctx, config, service, target, since, started);
        spec.lifecycle.service_deployment = Some(paused.service_deployment.clone());
        spec.lifecycle.continued_hook = Some(paused.hook.hook_id.clone());
        spec.lifecycle.rolling_back = true;
        wait_interruptibly(ecs, &spec, &events).await?;
        if deregister {
            let now = require_service(ecs, &config.cluster, service).await?;
            if now.task_definition() != Some(from.as_str()) && !from.is_empty() {
                rollback::deregister(ecs, &from, &events).await?;
            }
        }
        Ok(())
    }
    .await;
    progress.finish(events).await;
    result
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
        if args.wait.wait_until == Some(WaitUntilArg::Paused) {
            return Err(crate::commands::deploy::lifecycle_needs_ecs(
                WaitUntilArg::Paused,
                service,
            ));
        }
        return crate::commands::codedeploy::rollback_config(args, ctx, config).await;
    }
    if let Some(paused) = paused_deployment(ecs, config, &live).await? {
        return rollback_paused(args, ctx, config, &live, &paused, deregister, started).await;
    }
    let plan = rollback::plan(ecs, &live, args.revision).await?;
    let strategy = live
        .deployment_configuration()
        .and_then(|c| c.strategy())
        .cloned()
        .unwrap_or(aws_sdk_ecs::types::DeploymentStrategy::Rolling);
    let until = if args.wait.waits() {
        check_lifecycle_until(ctx, until, service, &strategy)?
    } else {
        until
    };
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
