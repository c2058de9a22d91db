//! `revisions`: the task definition family's ACTIVE revisions and what uses
//! each (the service's deployments and task sets, tasks that still run), or
//! one revision in full.

use crate::report::failure;
use ristretto_core::Config;
use ristretto_core::definition::{api_json, to_pretty_json};
use serde::Serialize;
use serde_json::Value;

use crate::cli::{OutputFormat, RevisionsArgs, RevisionsFormat};
use crate::commands::Context;
use crate::commands::live;
use crate::exit::Exit;
use crate::report::{CliError, bad_input};

/// One revision and what uses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// `family:revision`.
    pub name: String,
    /// `PRIMARY deployment`, `RUNNING task`, … or empty.
    pub in_use: String,
}

/// Lists (or prints one of) the revisions of each config's family.
///
/// # Errors
/// A bad `--revision` or an unloadable task definition file (exit 2), a
/// revision that does not exist, AWS errors (exit 1).
pub async fn run(args: &RevisionsArgs, ctx: &Context) -> Result<Exit, CliError> {
    for file in &ctx.settings.configs {
        let config = ctx.load_config(file)?;
        let clients = ctx.clients(&config).await;
        let service = match &config.service {
            Some(name) => {
                live::describe_service(&clients, &ctx.printer, &config.cluster, name).await?
            }
            None => None,
        };
        let current = service
            .as_ref()
            .and_then(|s| s.task_definition())
            .map(str::to_owned);
        let family = match &current {
            Some(arn) => ristretto_ecs::task_definition::family_of(arn).to_owned(),
            None => local_family(ctx, &config)?,
        };
        if let Some(revision) = &args.revision {
            let id = match revision.as_str() {
                "current" => current.clone().ok_or_else(|| {
                    failure(
                        "there is no current revision: the service does not exist".to_owned(),
                        Some("use a revision number or `latest`"),
                    )
                })?,
                "latest" => family.clone(),
                n => match n.parse::<u32>() {
                    Ok(n) if n > 0 => format!("{family}:{n}"),
                    _ => {
                        return Err(bad_input(
                            format!("--revision `{n}` is not a revision number"),
                            Some("use a number, `current` or `latest`"),
                        ));
                    }
                },
            };
            let (td, _) = ristretto_ecs::task_definition::describe(&clients.ecs, &id)
                .await?
                .ok_or_else(|| {
                    failure(
                        format!("task definition `{id}` is not found"),
                        Some("`ristretto revisions` lists the revisions that exist"),
                    )
                })?;
            ctx.printer.data(&to_pretty_json(&api_json(&td)?));
            continue;
        }
        let uses = ristretto_ecs::deregister::in_use(
            &clients.ecs,
            &config.cluster,
            &family,
            service.as_ref(),
        )
        .await?;
        let rows: Vec<Row> =
            ristretto_ecs::task_definition::active_revisions(&clients.ecs, &family)
                .await?
                .iter()
                .map(|arn| {
                    let name = ristretto_core::event::short_task_definition(arn).to_owned();
                    let in_use = uses.get(&name).cloned().unwrap_or_default();
                    Row { name, in_use }
                })
                .collect();
        let format = args.format.unwrap_or(match ctx.printer.output() {
            OutputFormat::Json => RevisionsFormat::Json,
            OutputFormat::Text => RevisionsFormat::Table,
        });
        ctx.printer.data(&render(&rows, format));
    }
    Ok(Exit::Success)
}

pub(crate) fn local_family(ctx: &Context, config: &Config) -> Result<String, CliError> {
    let definitions = ctx.loader().definitions(config, ctx.lookups(config))?;
    let td = api_json(&definitions.task_definition()?.value)?;
    td.get("family")
        .and_then(Value::as_str)
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| bad_input("the task definition has no `family`", None))
}

/// The rows as a table, JSON or TSV.
#[must_use]
pub fn render(rows: &[Row], format: RevisionsFormat) -> String {
    match format {
        RevisionsFormat::Json => {
            let mut text = serde_json::to_string_pretty(rows).unwrap_or_default();
            text.push('\n');
            text
        }
        RevisionsFormat::Tsv => rows
            .iter()
            .map(|r| format!("{}\t{}\n", r.name, r.in_use))
            .collect(),
        RevisionsFormat::Table => {
            let width = rows
                .iter()
                .map(|r| r.name.len())
                .chain(["NAME".len()])
                .max()
                .unwrap_or(0);
            let line = |name: &str, in_use: &str| {
                format!("{name:<width$}  {in_use}").trim_end().to_owned() + "\n"
            };
            std::iter::once(line("NAME", "IN USE"))
                .chain(rows.iter().map(|r| line(&r.name, &r.in_use)))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Row> {
        vec![
            Row {
                name: "web:9".to_owned(),
                in_use: String::new(),
            },
            Row {
                name: "web:10".to_owned(),
                in_use: "PRIMARY deployment".to_owned(),
            },
        ]
    }

    #[test]
    fn table_tsv_and_json() {
        assert_eq!(
            render(&rows(), RevisionsFormat::Table),
            "NAME    IN USE\nweb:9\nweb:10  PRIMARY deployment\n"
        );
        assert_eq!(
            render(&rows(), RevisionsFormat::Tsv),
            "web:9\t\nweb:10\tPRIMARY deployment\n"
        );
        let json: Value =
            serde_json::from_str(&render(&rows(), RevisionsFormat::Json)).expect("JSON");
        assert_eq!(json[1]["in_use"], "PRIMARY deployment");
    }
}
