//! `register` and `deregister`: task definition revisions outside a
//! deployment. `deregister` never takes away a revision something runs.

use ristretto_core::Config;
use ristretto_core::definition::{api_json, to_pretty_json};
use ristretto_core::event::Events;
use ristretto_core::event::short_task_definition;
use ristretto_ecs::EcsError;
use ristretto_ecs::deregister::{self, InUse};
use ristretto_ecs::service::describe_service;
use ristretto_ecs::task_definition::{active_revisions, split_revision};

use crate::cli::{DeregisterArgs, OutputFormat, RegisterArgs};
use crate::commands::confirm::confirm;
use crate::commands::{Context, for_each_config};
use crate::progress::Progress;
use crate::report::{CliError, bad_input};

/// `register` for every config: prints the new revision's ARN, or with
/// `--output json` the whole registered task definition.
///
/// # Errors
/// Input errors (2), AWS errors (1).
pub async fn register(args: &RegisterArgs, ctx: &Context) -> Result<(), CliError> {
    for_each_config(ctx, |config| {
        Box::pin(async move { register_one(args, ctx, &config).await })
    })
    .await
}

async fn register_one(args: &RegisterArgs, ctx: &Context, config: &Config) -> Result<(), CliError> {
    let definitions = ctx.loader().definitions(config, ctx.lookups(config))?;
    let input = definitions.task_definition()?.value;
    if args.dry_run {
        ctx.printer
            .info("dry run: nothing was changed; the task definition to register:");
        ctx.printer.data(&to_pretty_json(&api_json(&input)?));
        return Ok(());
    }
    let clients = ctx.clients(config).await;
    let td = ristretto_ecs::task_definition::register(&clients.ecs, input).await?;
    let arn = td.task_definition_arn().unwrap_or_default();
    ctx.printer.info(&format!("registered {arn}"));
    if ctx.printer.output() == OutputFormat::Json {
        ctx.printer.data(&to_pretty_json(&api_json(&td)?));
    } else {
        ctx.printer.data(&format!("{arn}\n"));
    }
    Ok(())
}

/// `deregister` for every config.
///
/// # Errors
/// Input errors and refusals (2), AWS errors (1).
pub async fn deregister(args: &DeregisterArgs, ctx: &Context) -> Result<(), CliError> {
    for_each_config(ctx, |config| {
        Box::pin(async move { deregister_one(args, ctx, &config).await })
    })
    .await
}

async fn deregister_one(
    args: &DeregisterArgs,
    ctx: &Context,
    config: &Config,
) -> Result<(), CliError> {
    let clients = ctx.clients(config).await;
    let ecs = &clients.ecs;
    let live = match &config.service {
        Some(service) => describe_service(ecs, &config.cluster, service).await?,
        None => None,
    };
    let family = match live.as_ref().and_then(|s| s.task_definition()) {
        Some(td) => split_revision(td)
            .map(|(f, _)| f.to_owned())
            .unwrap_or_default(),
        None => local_family(ctx, config)?,
    };
    let in_use = deregister::in_use(ecs, &config.cluster, &family, live.as_ref()).await?;
    let active = active_revisions(ecs, &family).await?;
    let chosen = match (&args.revision, args.keeps) {
        (Some(revision), _) => vec![one_revision(&family, revision, &active, &in_use)?],
        (None, Some(keeps)) => {
            for (name, why) in &in_use {
                ctx.printer
                    .info(&format!("{name} is in use by {why}: kept"));
            }
            deregister::to_deregister(&active, &in_use, keeps)
        }
        (None, None) => {
            return Err(bad_input(
                "`deregister` needs `--revision N` or `--keeps N`",
                None,
            ));
        }
    };
    if chosen.is_empty() {
        ctx.printer
            .info(&format!("{family}: nothing to deregister"));
        return Ok(());
    }
    let names: Vec<&str> = chosen.iter().map(|a| short_task_definition(a)).collect();
    let verb = if args.delete {
        "deregister and delete"
    } else {
        "deregister"
    };
    if args.dry_run {
        ctx.printer.info(&format!(
            "dry run: nothing was changed; would {verb} {}",
            names.join(", ")
        ));
        return Ok(());
    }
    confirm(
        &ctx.printer,
        args.force,
        &format!("{verb} {} revision(s)", names.len()),
        &format!(
            "about to {verb} {}; type `yes` to confirm:",
            names.join(", ")
        ),
        "yes",
    )?;
    let (events, progress) = Progress::start(&ctx.printer, family.clone());
    let result = deregister::deregister_all(ecs, &chosen, args.delete, &events).await;
    finish(ctx, progress, events, &names, result).await
}

async fn finish(
    ctx: &Context,
    progress: Progress,
    events: Events,
    names: &[&str],
    result: Result<Vec<(String, String)>, EcsError>,
) -> Result<(), CliError> {
    progress.finish(events).await;
    let failures = result?;
    for (name, reason) in &failures {
        ctx.printer.warn(&format!(
            "{name} was deregistered but not deleted: {reason}"
        ));
    }
    let mut out = names.join("\n");
    out.push('\n');
    ctx.printer.data(&out);
    Ok(())
}

/// `--revision N|latest`, refused when in use.
fn one_revision(
    family: &str,
    revision: &str,
    active: &[String],
    in_use: &InUse,
) -> Result<String, CliError> {
    let number: i64 = if revision == "latest" {
        active
            .iter()
            .filter_map(|a| split_revision(a).map(|(_, r)| r))
            .max()
            .ok_or_else(|| bad_input(format!("`{family}` has no ACTIVE revision"), None))?
    } else {
        revision.parse().map_err(|_| {
            bad_input(
                format!("`--revision {revision}` is not a revision number or `latest`"),
                None,
            )
        })?
    };
    let name = format!("{family}:{number}");
    if let Some(why) = in_use.get(&name) {
        return Err(bad_input(
            format!("{name} is in use by {why}; it was not deregistered"),
            Some("roll the service to another revision first"),
        ));
    }
    active
        .iter()
        .find(|a| short_task_definition(a) == name)
        .cloned()
        .ok_or_else(|| bad_input(format!("{name} is not an ACTIVE revision"), None))
}

fn local_family(ctx: &Context, config: &Config) -> Result<String, CliError> {
    let definitions = ctx.loader().definitions(config, ctx.lookups(config))?;
    let td = definitions.task_definition()?.value;
    td.family()
        .map(str::to_owned)
        .ok_or_else(|| bad_input("the task definition has no `family`", None))
}
