//! `init`: import a running service (or just a task definition) into a
//! config and definition files that `diff` finds identical to what runs.
//! Only reads from AWS; files that exist are left alone unless
//! `--force-overwrite`.

use crate::report::failure;
use std::path::{Path, PathBuf};

use aws_sdk_ecs::types::DeploymentControllerType;
use ristretto_codedeploy::{CodeDeployError, Wanted, discover};
use ristretto_core::config::CodeDeploy;
use ristretto_core::definition::{api_json, to_pretty_json};
use ristretto_core::jsonnet_writer::to_jsonnet;
use ristretto_core::normalize;
use serde::Serialize;
use serde_json::Value;

use crate::cli::InitArgs;
use crate::commands::Context;
use crate::commands::live;
use crate::exit::Exit;
use crate::report::{CliError, bad_input};

/// The config written when `--config` is not given.
pub const DEFAULT_CONFIG: &str = "ristretto.yml";

/// The config file as `init` writes it: keys in the order people read them.
#[derive(Debug, Serialize)]
struct InitConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    cluster: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_definition: Option<String>,
    task_definition: String,
    timeout: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    codedeploy: Option<CodeDeploy>,
}

/// Writes the config and definition files.
///
/// # Errors
/// A service or task definition that does not exist, AWS errors (exit 1),
/// files that cannot be written (exit 1).
pub async fn run(args: &InitArgs, ctx: &Context) -> Result<Exit, CliError> {
    let config_file = ctx
        .settings
        .configs
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
    let config_file = if args.jsonnet {
        jsonnet_path(&config_file, &["yml", "yaml", "json"])
    } else {
        config_file
    };
    let dir = config_file.parent().map(Path::to_owned).unwrap_or_default();
    let td_path = definition_path(&args.task_definition_path, args.jsonnet);
    let sv_path = definition_path(&args.service_definition_path, args.jsonnet);

    let probe = ristretto_core::Config {
        file: config_file.clone(),
        required_version: None,
        region: ctx.settings.region.clone(),
        cluster: args.cluster.clone(),
        service: args.service.clone(),
        service_definition: None,
        task_definition: None,
        timeout: ristretto_core::config::DEFAULT_TIMEOUT,
        plugins: Vec::new(),
        appspec: None,
        codedeploy: None,
        ignore: ristretto_core::config::Ignore::default(),
        filter_command: None,
    };
    let clients = ctx.clients(&probe).await;

    let mut codedeploy = None;
    let (service_doc, td_id) = match (&args.service, &args.task_definition) {
        (Some(name), _) => {
            let service = live::require_service(&clients, &ctx.printer, &args.cluster, name)
                .await
                .map_err(|mut e| {
                    e.hint = Some(
                        "check --service and --cluster (and the region: --region or AWS_REGION)"
                            .to_owned(),
                    );
                    e
                })?;
            let Some(td) = service.task_definition.clone() else {
                return Err(failure(
                    format!("service `{name}` has no task definition"),
                    None,
                ));
            };
            let is_codedeploy = service
                .deployment_controller()
                .is_some_and(|c| *c.r#type() == DeploymentControllerType::CodeDeploy);
            if is_codedeploy {
                codedeploy = find_codedeploy(ctx, &clients, &args.cluster, name, &service).await;
            }
            (
                Some(normalize::service_definition(&api_json(&service)?)),
                td,
            )
        }
        (None, Some(td)) => (None, td.clone()),
        (None, None) => {
            return Err(bad_input(
                "give --service or --task-definition",
                Some("`ristretto init --service <name>` imports a running service"),
            ));
        }
    };
    let (td, tags) = ristretto_ecs::task_definition::describe(&clients.ecs, &td_id)
        .await?
        .ok_or_else(|| {
            failure(
                format!("task definition `{td_id}` is not found"),
                Some("give `family`, `family:revision` or the ARN of a registered task definition"),
            )
        })?;
    let tags = Value::Array(tags.iter().map(|t| api_json(t)).collect::<Result<_, _>>()?);
    let mut td_doc = normalize::task_definition_file(&api_json(&td)?, Some(&tags));
    if args.sort {
        td_doc = normalize::task_definition(&td_doc, &[]);
    }

    let encode = |value: &Value| {
        if args.jsonnet {
            to_jsonnet(value)
        } else {
            to_pretty_json(value)
        }
    };
    let config = InitConfig {
        region: ctx.settings.region.clone().or(clients.region.clone()),
        cluster: args.cluster.clone(),
        service: args.service.clone(),
        service_definition: service_doc.as_ref().map(|_| sv_path.clone()),
        task_definition: td_path.clone(),
        timeout: ristretto_core::duration::format(ristretto_core::config::DEFAULT_TIMEOUT),
        codedeploy,
    };
    let config_text = if args.jsonnet {
        to_jsonnet(&serde_json::to_value(&config).unwrap_or_default())
    } else {
        let yaml = yaml_serde::to_string(&config).map_err(|e| failure(e.to_string(), None))?;
        format!("{}{yaml}", schema_comment())
    };

    let mut files = vec![(config_file.clone(), config_text)];
    if let Some(doc) = &service_doc {
        files.push((dir.join(&sv_path), encode(doc)));
    }
    files.push((dir.join(&td_path), encode(&td_doc)));
    for (path, text) in files {
        write(ctx, &path, &text, args.force_overwrite)?;
    }
    Ok(Exit::Success)
}

/// The CodeDeploy application and group of a CODE_DEPLOY service; a warning
/// (not an error) when they cannot be found.
async fn find_codedeploy(
    ctx: &Context,
    clients: &crate::aws::Clients,
    cluster: &str,
    service: &str,
    live: &aws_sdk_ecs::types::Service,
) -> Option<CodeDeploy> {
    let manual =
        "set `codedeploy.application_name` and `codedeploy.deployment_group_name` in the config";
    let wanted = Wanted {
        cluster,
        service,
        application: None,
        group: None,
        task_sets: live.task_sets(),
    };
    match discover(&clients.codedeploy, &wanted).await {
        Ok(group) => Some(CodeDeploy {
            application_name: Some(group.application_name),
            deployment_group_name: Some(group.deployment_group_name),
            deployment_config_name: None,
        }),
        Err(CodeDeployError::GroupNotFound { .. }) => {
            ctx.printer.warn(&format!(
                "no CodeDeploy deployment group deploys `{service}` in `{cluster}`: {manual}"
            ));
            None
        }
        Err(e) => {
            ctx.printer.warn(&format!(
                "cannot find the CodeDeploy deployment group of `{service}` ({e}): {manual}"
            ));
            None
        }
    }
}

fn write(ctx: &Context, path: &Path, text: &str, force: bool) -> Result<(), CliError> {
    if path.exists() && !force {
        ctx.printer.warn(&format!(
            "`{}` exists: left alone (use --force-overwrite to replace it)",
            path.display()
        ));
        return Ok(());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| failure(format!("cannot create `{}`: {e}", parent.display()), None))?;
    }
    std::fs::write(path, text)
        .map_err(|e| failure(format!("cannot write `{}`: {e}", path.display()), None))?;
    ctx.printer.info(&format!("wrote `{}`", path.display()));
    Ok(())
}

/// The first line of a YAML config `init` writes: editors with the YAML
/// language server complete and check the file against the config's schema
/// (`ristretto schema config` prints the same schema, for use offline).
fn schema_comment() -> String {
    format!(
        "# yaml-language-server: $schema={}\n",
        crate::commands::schema::url(ristretto_core::schema::Kind::Config)
    )
}

/// `path` with a `.jsonnet` extension when `jsonnet` and it ends in `.json`.
fn definition_path(path: &str, jsonnet: bool) -> String {
    if jsonnet {
        jsonnet_path(Path::new(path), &["json"])
            .to_string_lossy()
            .into_owned()
    } else {
        path.to_owned()
    }
}

fn jsonnet_path(path: &Path, from: &[&str]) -> PathBuf {
    let matches = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| from.iter().any(|f| f.eq_ignore_ascii_case(e)));
    if matches {
        path.with_extension("jsonnet")
    } else {
        path.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonnet_renames_json_and_yaml_paths() {
        assert_eq!(
            definition_path("ecs-task-def.json", true),
            "ecs-task-def.jsonnet"
        );
        assert_eq!(
            definition_path("ecs-task-def.json", false),
            "ecs-task-def.json"
        );
        assert_eq!(
            jsonnet_path(Path::new("dir/ecspresso.yml"), &["yml", "yaml"]),
            PathBuf::from("dir/ecspresso.jsonnet")
        );
    }
}
