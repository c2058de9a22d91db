//! `delete`: confirm (typed service name, or `--force`), delete, and wait
//! until the service is INACTIVE.

use ristretto_core::Config;
use ristretto_core::poll::{Interrupted, interruptible};
use ristretto_ecs::delete;
use ristretto_ecs::service::require_service;
use tokio::time::Instant;

use crate::cli::DeleteArgs;
use crate::commands::confirm::confirm;
use crate::commands::deploy::service_name;
use crate::commands::{Context, for_each_config};
use crate::progress::Progress;
use crate::report::CliError;

/// `delete` for every config.
///
/// # Errors
/// No confirmation (2 off a terminal, 1 for a wrong answer), AWS errors (1),
/// timeouts (4), Ctrl-C (130).
pub async fn run(args: &DeleteArgs, ctx: &Context) -> Result<(), CliError> {
    for_each_config(ctx, |config| {
        Box::pin(async move { delete_one(args, ctx, &config).await })
    })
    .await
}

async fn delete_one(args: &DeleteArgs, ctx: &Context, config: &Config) -> Result<(), CliError> {
    let started = Instant::now();
    let service = service_name(config)?;
    let clients = ctx.clients(config).await;
    let ecs = &clients.ecs;
    let live = require_service(ecs, &config.cluster, service).await?;
    let summary = format!(
        "service {service} in cluster {} ({}, desired {}, running {})",
        config.cluster,
        live.status().unwrap_or("?"),
        live.desired_count(),
        live.running_count()
    );
    if args.dry_run {
        ctx.printer.info(&format!(
            "dry run: nothing was changed; would delete {summary}{}",
            if args.terminate {
                ", stopping its tasks at once"
            } else {
                ""
            }
        ));
        return Ok(());
    }
    confirm(
        &ctx.printer,
        args.force,
        &format!("delete service `{service}`"),
        &format!("about to delete {summary}; type the service name to confirm:"),
        service,
    )?;
    let (events, progress) = Progress::start(&ctx.printer, format!("{service}/{}", config.cluster));
    let result = async {
        delete::delete_service(ecs, &config.cluster, service, args.terminate, &events).await?;
        if args.no_wait {
            events.step("not waiting (--no-wait)");
            return Ok(());
        }
        let deadline = started + config.timeout;
        let waited = delete::wait_inactive(
            ecs,
            &config.cluster,
            service,
            deadline,
            config.timeout,
            &events,
        );
        match interruptible(waited).await {
            Ok(result) => result.map_err(|e| {
                let mut error = CliError::from(e);
                error.hint = Some(
                    "the deletion goes on in ECS; check it with `ristretto status`".to_owned(),
                );
                error
            }),
            Err(Interrupted(signal)) => Err(crate::report::interrupted(
                signal,
                "the deletion goes on in ECS",
                None,
            )),
        }
    }
    .await;
    progress.finish(events).await;
    result
}
