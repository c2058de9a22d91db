//! `run`: a one-off task (a migration, a batch job) from the task definition,
//! with the service's networking, followed to the end. ristretto exits with
//! the watched container's exit code, so `ristretto run && next-step` in a
//! pipeline behaves as if the container ran in the pipeline itself.

use std::path::Path;

use aws_sdk_ecs::types::{PropagateTags, Tag, TaskOverride};
use ristretto_core::definition::{api_json, parse_task_override, to_pretty_json};
use ristretto_core::event::short_task_definition;
use ristretto_core::event::{Event, Events, Outcome};
use ristretto_core::poll::{Interrupted, interruptible};
use ristretto_core::{Config, Definitions};
use ristretto_ecs::EcsError;
use ristretto_ecs::deploy::{TaskDefinitionChoice, register};
use ristretto_ecs::run::{self, Followed, RunUntil, Verdict};
use ristretto_ecs::service::describe_service;
use tokio::time::Instant;

use crate::cli::{PropagateTagsArg, RunArgs, RunUntilArg};
use crate::commands::{Context, for_each_config};
use crate::exit::Exit;
use crate::progress::Progress;
use crate::report::{CliError, bad_input};

/// `run` for every config.
///
/// # Errors
/// Input errors (2), a task that failed to start or AWS errors (1), the
/// container's exit code, timeouts (4), Ctrl-C (130).
pub async fn run(args: &RunArgs, ctx: &Context) -> Result<(), CliError> {
    for_each_config(ctx, |config| {
        Box::pin(async move { run_one(args, ctx, &config).await })
    })
    .await
}

async fn run_one(args: &RunArgs, ctx: &Context, config: &Config) -> Result<(), CliError> {
    let started = Instant::now();
    let definitions = ctx.loader().definitions(config, ctx.lookups(config))?;
    let overrides = load_overrides(args, &definitions)?;
    let service_definition = match &config.service_definition {
        Some(_) => Some(definitions.service_definition()?.value),
        None => None,
    };
    let local = match (&args.task_def, &config.task_definition) {
        (Some(file), _) => Some(definitions.task_definition_file(&ctx.cwd.join(file))?.value),
        (None, Some(_)) => Some(definitions.task_definition()?.value),
        (None, None) => None,
    };
    let mut tags = parse_tags(&args.tags)?;

    let clients = ctx.clients(config).await;
    let ecs = &clients.ecs;
    let live = match &config.service {
        Some(service) => describe_service(ecs, &config.cluster, service).await?,
        None => None,
    };
    let request = run::RunRequest {
        own_file: args.task_def.is_some(),
        local,
        live: live.as_ref(),
        revision: args.revision,
        latest: args.latest_task_definition,
        skip: args.skip_task_definition,
        watch: args.watch_container.as_deref(),
    };
    // The watched container is checked before anything changes.
    let run::RunPlan {
        family,
        task_definition: choice,
        watch,
        logs: log_source,
    } = run::plan(ecs, request).await?;
    let propagate = match args.propagate_tags {
        Some(PropagateTagsArg::Service) => {
            let service = live.as_ref().and_then(|s| s.service_arn()).ok_or_else(|| {
                bad_input(
                    "--propagate-tags SERVICE: the service does not exist",
                    Some("create the service first, or use `--propagate-tags TASK_DEFINITION`"),
                )
            })?;
            tags.extend(ristretto_ecs::service::tags(ecs, service).await?);
            None
        }
        Some(PropagateTagsArg::TaskDefinition) => Some(PropagateTags::TaskDefinition),
        Some(PropagateTagsArg::None) | None => None,
    };
    let extras = |input: aws_sdk_ecs::operation::run_task::builders::RunTaskInputBuilder| {
        input
            .set_tags((!tags.is_empty()).then(|| tags.clone()))
            .set_propagate_tags(propagate.clone())
            .set_client_token(args.client_token.clone())
    };
    let until = match args.wait_until {
        RunUntilArg::Running => RunUntil::Running,
        RunUntilArg::Stopped => RunUntil::Stopped,
    };

    if args.dry_run {
        let task_definition = match &choice {
            TaskDefinitionChoice::Register(input) => {
                ctx.printer
                    .info("dry run: nothing was changed; would register:");
                ctx.printer
                    .data(&to_pretty_json(&api_json(input.as_ref())?));
                format!("{family}:<new revision>")
            }
            TaskDefinitionChoice::Existing(arn) => arn.clone(),
        };
        let input = extras(run::run_task_input(
            &config.cluster,
            &task_definition,
            args.count,
            overrides,
            service_definition.as_ref(),
            live.as_ref(),
        ));
        ctx.printer.info(&format!(
            "dry run: would run and watch container `{watch}`:"
        ));
        if let Ok(input) = input.build() {
            ctx.printer.data(&to_pretty_json(&api_json(&input)?));
        }
        return Ok(());
    }

    let label = config.service.clone().unwrap_or_else(|| family.clone());
    let (events, progress) = Progress::start(&ctx.printer, format!("{label}/{}", config.cluster));
    let result = async {
        let task_definition = match choice {
            TaskDefinitionChoice::Register(input) => register(ecs, *input, &events).await?,
            TaskDefinitionChoice::Existing(arn) => arn,
        };
        let input = extras(run::run_task_input(
            &config.cluster,
            &task_definition,
            args.count,
            overrides,
            service_definition.as_ref(),
            live.as_ref(),
        ));
        let arns = run::start(ecs, input, &events)
            .await
            .map_err(start_failed)?;
        if args.no_wait {
            events.step("not waiting (--no-wait)");
            ctx.printer.data(&format!("{}\n", arns.join("\n")));
            return Ok(());
        }
        events.step(format!("watching container `{watch}`"));
        let mut logs = run::RunLogs::new(clients.logs.clone(), &log_source, &watch, &arns);
        if let ristretto_ecs::logs::Source::Elsewhere { reason, hint } = &log_source {
            events.step(format!("not showing its logs: {reason} ({hint})"));
        }
        let deadline = started + config.timeout;
        let follow = run::follow(
            ecs,
            &config.cluster,
            &arns,
            &watch,
            until,
            deadline,
            &events,
            logs.as_mut(),
        );
        let followed = match interruptible(follow).await {
            Ok(followed) => followed,
            Err(Interrupted(signal)) => {
                return Err(crate::report::interrupted(
                    signal,
                    "the task goes on in ECS",
                    Some(format!(
                        "stop it with `aws ecs stop-task --cluster {} --task {}`",
                        config.cluster,
                        arns.first().map_or("<task>", |a| short_task_definition(a))
                    )),
                ));
            }
        };
        let followed = followed?;
        if let (
            Followed::Done(Verdict::Exited { .. } | Verdict::FailedToStart { .. }),
            Some(logs),
        ) = (&followed, &logs)
        {
            logs.replay(&events);
        }
        outcome(followed, &watch, config, &events)
    }
    .await;
    progress.finish(events).await;
    result
}

/// The verdict as the command's result.
fn outcome(
    followed: Followed,
    watch: &str,
    config: &Config,
    events: &Events,
) -> Result<(), CliError> {
    match followed {
        Followed::TimedOut => Err(CliError {
            exit: Exit::TimedOut,
            error: anyhow::anyhow!(
                "timed out after {} while the task was still going",
                ristretto_core::duration::format(config.timeout)
            ),
            hint: Some(
                "the task goes on in ECS; raise `timeout` (or `--timeout`) to wait longer"
                    .to_owned(),
            ),
        }),
        Followed::Done(Verdict::Succeeded | Verdict::InProgress) => {
            events.emit(Event::Finished {
                outcome: Outcome::Succeeded,
                message: format!("container `{watch}` succeeded"),
            });
            Ok(())
        }
        Followed::Done(Verdict::Exited { task, code, reason }) => {
            events.emit(Event::Finished {
                outcome: Outcome::Failed,
                message: format!("container `{watch}` exited with code {code}"),
            });
            Err(CliError {
                exit: u8::try_from(code)
                    .ok()
                    .filter(|c| *c != 0)
                    .map_or(Exit::Failure, Exit::Task),
                error: anyhow::anyhow!(
                    "container `{watch}` of task {task} exited with code {code}: {reason}"
                ),
                hint: None,
            })
        }
        Followed::Done(Verdict::FailedToStart { task, reason }) => {
            events.emit(Event::Finished {
                outcome: Outcome::Failed,
                message: format!("task {task} failed"),
            });
            Err(CliError {
                exit: Exit::Failure,
                error: anyhow::anyhow!("task {task} failed to start: {reason}"),
                hint: None,
            })
        }
    }
}

fn start_failed(e: EcsError) -> CliError {
    let mut error = CliError::from(e);
    if error.hint.is_none() {
        error.hint = Some(
            "check the cluster's capacity, and the service definition's networkConfiguration"
                .to_owned(),
        );
    }
    error
}

fn load_overrides(
    args: &RunArgs,
    definitions: &Definitions,
) -> Result<Option<TaskOverride>, CliError> {
    if let Some(file) = &args.overrides_file {
        return Ok(Some(definitions.task_override(file)?.value));
    }
    if let Some(text) = &args.overrides {
        return Ok(Some(parse_task_override(text, Path::new("--overrides"))?));
    }
    Ok(None)
}

/// `--tags KEY=VALUE,KEY2=VALUE2` (the flag may repeat).
fn parse_tags(values: &[String]) -> Result<Vec<Tag>, CliError> {
    let mut tags = Vec::new();
    for pair in values
        .iter()
        .flat_map(|v| v.split(','))
        .filter(|p| !p.is_empty())
    {
        let Some((key, value)) = pair.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Err(bad_input(
                format!("--tags: `{pair}` is not KEY=VALUE"),
                Some("write tags as `--tags team=data,job=migrate`"),
            ));
        };
        tags.push(Tag::builder().key(key).value(value).build());
    }
    Ok(tags)
}
