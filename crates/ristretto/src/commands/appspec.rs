//! `appspec`: the CodeDeploy AppSpec for the service, for pipelines that
//! start CodeDeploy deployments themselves. The AppSpec itself is built by
//! `ristretto_core::appspec`, the same function a CodeDeploy deploy uses.

use ristretto_codedeploy::appspec;

use crate::cli::{AppspecArgs, OutputFormat};
use crate::commands::Context;
use crate::commands::live;
use crate::exit::Exit;
use crate::report::{CliError, bad_input};

/// Prints the AppSpec of each config's service.
///
/// # Errors
/// No service in the config or a bad `--task-definition` (exit 2); a missing
/// service, task definition or load balancer, AWS errors (exit 1).
pub async fn run(args: &AppspecArgs, ctx: &Context) -> Result<Exit, CliError> {
    for file in &ctx.settings.configs {
        let config = ctx.load_config(file)?;
        let Some(name) = &config.service else {
            return Err(bad_input(
                format!("`{}` names no service", file.display()),
                Some("add `service: <name>` to the config"),
            ));
        };
        let local = if args.no_update_service {
            None
        } else {
            let definitions = ctx.loader().definitions(&config, ctx.lookups(&config))?;
            Some(definitions.service_definition()?.value)
        };
        let clients = ctx.clients(&config).await;
        let service = live::require_service(&clients, &ctx.printer, &config.cluster, name).await?;
        let current = service.task_definition().unwrap_or_default();
        let arn = match args.task_definition.as_str() {
            "current" if !current.is_empty() => current.to_owned(),
            "current" => return Err(not_found("the service has no task definition")),
            "latest" => {
                let family = ristretto_ecs::task_definition::family_of(current);
                ristretto_ecs::task_definition::latest(&clients.ecs, family)
                    .await?
                    .ok_or_else(|| {
                        not_found(&format!("no ACTIVE revision of `{family}` is found"))
                    })?
            }
            "" => {
                return Err(bad_input(
                    "--task-definition is empty",
                    Some("use `latest`, `current`, an ARN or `family:revision`"),
                ));
            }
            id => ristretto_ecs::task_definition::describe(&clients.ecs, id)
                .await?
                .and_then(|(td, _)| td.task_definition_arn)
                .ok_or_else(|| not_found(&format!("task definition `{id}` is not found")))?,
        };
        let source = local.as_ref().map_or_else(|| (&service).into(), Into::into);
        let spec = appspec::build(source, &arn, config.appspec.as_ref()).map_err(|e| CliError {
            exit: Exit::Failure,
            error: e.into(),
            hint: Some(
                "CodeDeploy shifts traffic through a load balancer: set `loadBalancers` with `containerName` and `containerPort` in the service definition"
                    .to_owned(),
            ),
        })?;
        ctx.printer.data(
            &match ctx.printer.output() {
                OutputFormat::Text => spec.to_yaml(),
                OutputFormat::Json => spec.to_json(),
            }
            .map_err(ristretto_codedeploy::CodeDeployError::from)?,
        );
    }
    Ok(Exit::Success)
}

fn not_found(message: &str) -> CliError {
    CliError {
        exit: Exit::Failure,
        error: anyhow::anyhow!("{message}"),
        hint: Some(
            "register one with `ristretto register`, or pass `--task-definition <ARN>`".to_owned(),
        ),
    }
}
