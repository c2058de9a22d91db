//! `continue`: resume a deployment that waits for a person, then follow it like `deploy`.
//! ECS BLUE_GREEN / LINEAR / CANARY services: `ContinueServiceDeployment` on the PAUSE hook
//! awaiting action (ROLLBACK with `--rollback`); CODE_DEPLOY services: `ContinueDeployment`
//! for a deployment in READY_WAIT or TERMINATION_WAIT.

use ristretto_core::Config;
use ristretto_ecs::WaitUntil;
use ristretto_ecs::lifecycle::is_native;
use ristretto_ecs::resume::{self, Seen};
use ristretto_ecs::service::require_service;
use ristretto_ecs::service_deployment;
use tokio::time::Instant;

use crate::cli::{ContinueArgs, WaitUntilArg};
use crate::commands::codedeploy::is_code_deploy;
use crate::commands::deploy::{service_name, spec_for, until_of, wait_interruptibly};
use crate::commands::{Context, for_each_config};
use crate::progress::Progress;
use crate::report::{CliError, bad_input};

/// `continue` for every config.
///
/// # Errors
/// Nothing paused (1), flags that do not fit the service (2), AWS or deployment failures (1),
/// timeouts (4), Ctrl-C (130).
pub async fn run(args: &ContinueArgs, ctx: &Context) -> Result<(), CliError> {
    if args.rollback && matches!(args.wait.wait_until, Some(WaitUntilArg::Ecs(_))) {
        return Err(bad_input(
            "`--wait-until ecs:<STAGE>` waits for a deployment to go forward; `--rollback` turns it back",
            Some("drop `--wait-until`: a rollback is followed until it ends"),
        ));
    }
    for_each_config(ctx, |config| {
        Box::pin(async move { continue_one(args, ctx, &config).await })
    })
    .await
}

/// The command that resumes `config`'s deployment: `ristretto [flags] --config FILE continue`,
/// with the global flags that choose where AWS is (`--local`, `--endpoint-url`, `--region`,
/// `--profile`, `--assume-role-arn`).
pub fn resume_command(ctx: &Context, config: &Config) -> String {
    let s = &ctx.settings;
    let mut words = vec!["ristretto".to_owned()];
    if s.local {
        words.push("--local".to_owned());
    }
    for (flag, value) in [
        ("--endpoint-url", &s.endpoint_url),
        ("--region", &s.region),
        ("--profile", &s.profile),
        ("--assume-role-arn", &s.assume_role_arn),
    ] {
        if let Some(value) = value {
            words.push(flag.to_owned());
            words.push(shell_word(value));
        }
    }
    let file = config
        .file
        .strip_prefix(&ctx.cwd)
        .unwrap_or(&config.file)
        .display()
        .to_string();
    words.push("--config".to_owned());
    words.push(shell_word(&file));
    words.push("continue".to_owned());
    words.join(" ")
}

/// `word` as one shell word: as is when it is plain, else in single quotes.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

async fn continue_one(args: &ContinueArgs, ctx: &Context, config: &Config) -> Result<(), CliError> {
    let started = Instant::now();
    let service = service_name(config)?;
    let clients = ctx.clients(config).await;
    let ecs = &clients.ecs;
    let live = require_service(ecs, &config.cluster, service).await?;
    if is_code_deploy(&live) {
        return continue_code_deploy(args, ctx, config, &clients, &live, started).await;
    }
    if let Some(WaitUntilArg::CodeDeploy(event)) = args.wait.wait_until {
        return Err(bad_input(
            format!(
                "`--wait-until codedeploy:{event}` needs a CODE_DEPLOY service; `{service}` uses the ECS deployment controller"
            ),
            Some("use `--wait-until deployed`, `stable`, `paused` or `ecs:<STAGE>`"),
        ));
    }
    let strategy = live
        .deployment_configuration()
        .and_then(|c| c.strategy())
        .map_or("ROLLING", |s| s.as_str());
    if let Some(WaitUntilArg::Ecs(stage)) = args.wait.wait_until
        && !is_native(Some(&strategy.into()))
    {
        return Err(crate::commands::deploy::stage_needs_native(
            stage, service, strategy,
        ));
    }
    let unfinished = service_deployment::unfinished(ecs, &config.cluster, service).await?;
    let latest = match &unfinished {
        Some(_) => None,
        None => service_deployment::latest(ecs, &config.cluster, service).await?,
    };
    let paused = resume::choose(
        Seen {
            service,
            strategy,
            unfinished: unfinished.as_ref(),
            latest: latest.as_ref(),
        },
        args.hook_id.as_deref(),
    )?;
    let (events, progress) = Progress::start(&ctx.printer, crate::commands::label(config));
    let result: Result<(), CliError> = async {
        resume::execute(ecs, &paused, args.rollback, &events).await?;
        if !args.wait.waits() {
            events.step("not waiting (--no-wait)");
            return Ok(());
        }
        let until = until_of(args.wait.wait_until, WaitUntil::Deployed);
        let (target, since) = ristretto_ecs::wait::current_target(&live, until)?;
        let mut spec = spec_for(ctx, config, service, target, since, started);
        spec.lifecycle.service_deployment = Some(paused.service_deployment.clone());
        spec.lifecycle.continued_hook = Some(paused.hook.hook_id.clone());
        spec.lifecycle.rolling_back = args.rollback;
        // Events from the pause on are news; the deployment's older ones were seen before.
        spec.events_since = paused_since(&unfinished).unwrap_or(since);
        wait_interruptibly(ecs, &spec, &events).await
    }
    .await;
    progress.finish(events).await;
    result
}

/// When the service deployment last changed (its pause), to show service events from.
fn paused_since(sd: &Option<aws_sdk_ecs::types::ServiceDeployment>) -> Option<f64> {
    sd.as_ref()?
        .updated_at()
        .map(aws_smithy_types::DateTime::as_secs_f64)
}

/// `continue` on a CODE_DEPLOY service: ContinueDeployment, then follow the deployment as
/// `wait` does.
async fn continue_code_deploy(
    args: &ContinueArgs,
    ctx: &Context,
    config: &Config,
    clients: &crate::aws::Clients,
    live: &aws_sdk_ecs::types::Service,
    started: Instant,
) -> Result<(), CliError> {
    let service = service_name(config)?;
    if args.rollback {
        return Err(bad_input(
            format!(
                "`continue --rollback` acts on ECS lifecycle hooks; `{service}` is deployed by CodeDeploy"
            ),
            Some(
                "`ristretto rollback` stops the CodeDeploy deployment with auto-rollback and follows the rollback",
            ),
        ));
    }
    if args.hook_id.is_some() {
        return Err(bad_input(
            format!(
                "`--hook-id` names an ECS lifecycle hook; `{service}` is deployed by CodeDeploy"
            ),
            Some("drop `--hook-id`: `continue` finds the CodeDeploy deployment that waits"),
        ));
    }
    let until = match args.wait.wait_until {
        Some(WaitUntilArg::CodeDeploy(event)) => ristretto_codedeploy::Until::Event(event),
        Some(other @ (WaitUntilArg::Paused | WaitUntilArg::Ecs(_))) => {
            return Err(crate::commands::deploy::lifecycle_needs_ecs(other, service));
        }
        _ => ristretto_codedeploy::Until::Finished,
    };
    let names = config.codedeploy.as_ref();
    let settings = ristretto_codedeploy::plan::Settings {
        cluster: &config.cluster,
        service,
        application: names.and_then(|n| n.application_name.as_deref()),
        group: names.and_then(|n| n.deployment_group_name.as_deref()),
        deployment_config_name: names.and_then(|n| n.deployment_config_name.as_deref()),
        appspec: config.appspec.as_ref(),
        rollback_events: &[],
    };
    let group = ristretto_codedeploy::plan::group_of(&clients.codedeploy, &settings, live).await?;
    let (events, progress) = Progress::start(&ctx.printer, crate::commands::label(config));
    let continued =
        ristretto_codedeploy::resume::continue_deployment(&clients.codedeploy, &group, &events)
            .await
            .map_err(CliError::from);
    progress.finish(events).await;
    continued?;
    if !args.wait.waits() {
        ctx.printer.info("not waiting (--no-wait)");
        return Ok(());
    }
    crate::commands::codedeploy::wait_one(ctx, config, clients, service, live, until, started).await
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn paths_with_spaces_or_quotes_stay_one_shell_word() {
        assert_eq!(
            shell_word("services/web/config.yaml"),
            "services/web/config.yaml"
        );
        assert_eq!(shell_word("my dir/c.yaml"), "'my dir/c.yaml'");
        assert_eq!(shell_word("it's.yaml"), r"'it'\''s.yaml'");
    }
}
