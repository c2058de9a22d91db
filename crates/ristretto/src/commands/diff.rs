//! `diff`: the service and task definition files against what runs. Both
//! sides are normalised by `ristretto_core::normalize`, so only differences a
//! deploy would make are shown; the comparison itself is
//! `ristretto_core::diff`. This module fetches, prints and colours;
//! `markdown` writes the pull-request comment of `--output markdown`.

mod markdown;

use std::path::Path;
use std::process::Command;

use anstyle::{AnsiColor, Style};
use aws_sdk_ecs::types::Tag;
use ristretto_core::definition::{WireError, api_json};
use ristretto_core::diff::{Comparison, LineKind, Subject, line_kind, mask_secrets};
use ristretto_core::{Config, normalize};
use serde_json::{Value, json};

use crate::cli::{DiffArgs, OutputFormat};
use crate::commands::Context;
use crate::commands::live;
use crate::exit::Exit;
use crate::report::CliError;

/// Lines of context around each change.
const CONTEXT: usize = 3;

/// Compares each config's files with the live objects and prints the
/// differences. `Exit::Differs` when `--exit-code` is given and any differ.
///
/// # Errors
/// Load errors (exit 2) before any AWS call; AWS errors (exit 1).
pub async fn run(args: &DiffArgs, ctx: &Context) -> Result<Exit, CliError> {
    if ctx.settings.markdown && args.external.is_some() {
        return Err(crate::report::bad_input(
            "`--external` and `--output markdown` do not go together",
            Some("the markdown comment carries ristretto's own unified diff"),
        ));
    }
    let external = args
        .external
        .clone()
        .or_else(|| ctx.settings.diff_command.clone())
        .filter(|c| !c.trim().is_empty());
    let mut differs = false;
    let mut sections = Vec::new();
    for file in &ctx.settings.configs {
        let config = ctx.load_config(file)?;
        let comparisons = compare(ctx, &config).await?;
        differs |= comparisons.iter().any(Comparison::differs);
        if ctx.settings.markdown {
            sections.push(markdown::Section {
                service: config.service.clone(),
                cluster: config.cluster.clone(),
                comparisons,
            });
        } else {
            print(ctx, &config, &comparisons, args, external.as_deref())?;
        }
    }
    if ctx.settings.markdown {
        ctx.printer
            .data(&markdown::document(&sections, args.no_unified, CONTEXT));
    }
    Ok(if differs && args.exit_code {
        Exit::Differs
    } else {
        Exit::Success
    })
}

/// The comparisons of one config: the service's (when it has one), then the
/// task definition's. Every file is loaded before AWS is asked anything.
async fn compare(ctx: &Context, config: &Config) -> Result<Vec<Comparison>, CliError> {
    let definitions = ctx
        .loader()
        .definitions(config, ctx.lookups(config))?
        .rules_as_warnings();
    let local_service = match &config.service {
        Some(_) => Some(warned(ctx, definitions.service_definition()?)),
        None => None,
    };
    let local_td = warned(ctx, definitions.task_definition()?);
    let clients = ctx.clients(config).await;
    let ignore = &config.ignore.tags;
    // Paths as the user would type them: relative to the current folder.
    let label = |p: Option<&Path>| {
        p.map(|p| p.strip_prefix(&ctx.cwd).unwrap_or(p).display().to_string())
            .unwrap_or_default()
    };

    let mut comparisons = Vec::new();
    let mut live_td_arn = None;
    if let (Some(name), Some(local)) = (&config.service, local_service) {
        let live = live::describe_service(&clients, &ctx.printer, &config.cluster, name).await?;
        if live.is_none() {
            ctx.printer.info(&format!(
                "service `{name}` is not found in cluster `{}`: comparing with nothing",
                config.cluster
            ));
        }
        live_td_arn = live.as_ref().and_then(|s| s.task_definition.clone());
        let live_json = match &live {
            Some(s) => Some(normalize::live_service(&api_json(s)?)),
            None => None,
        };
        let (mut live_doc, mut local_doc) =
            normalize::service_pair(live_json.as_ref(), &api_json(&local.value)?, ignore);
        mask_secrets(live_doc.as_mut(), &mut local_doc, &local.secrets);
        comparisons.push(Comparison {
            subject: Subject::Service,
            live_label: live.as_ref().and_then(|s| s.service_arn.clone()),
            local_label: label(config.service_definition.as_deref()),
            live: live_doc,
            local: local_doc,
        });
    }

    let local_json = api_json(&local_td.value)?;
    let family = local_json
        .get("family")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let arn = match live_td_arn {
        Some(arn) => Some(arn),
        None if family.is_empty() => None,
        None => ristretto_ecs::task_definition::latest(&clients.ecs, &family).await?,
    };
    let live_td = match &arn {
        Some(arn) => ristretto_ecs::task_definition::describe(&clients.ecs, arn).await?,
        None => None,
    };
    if live_td.is_none() {
        ctx.printer.info(&format!(
            "task definition `{family}` is not found: comparing with nothing"
        ));
    }
    let mut local_doc = normalize::task_definition(&local_json, ignore);
    let mut live_doc = match &live_td {
        Some((td, tags)) => {
            let live = normalize::live_task_definition(&api_json(td)?, Some(&tags_json(tags)?));
            Some(normalize::task_definition(&live, ignore))
        }
        None => None,
    };
    mask_secrets(live_doc.as_mut(), &mut local_doc, &local_td.secrets);
    comparisons.push(Comparison {
        subject: Subject::TaskDefinition,
        live_label: live_td
            .as_ref()
            .and_then(|(td, _)| td.task_definition_arn.clone()),
        local_label: label(config.task_definition.as_deref()),
        live: live_doc,
        local: local_doc,
    });
    Ok(comparisons)
}

fn tags_json(tags: &[Tag]) -> Result<Value, WireError> {
    Ok(Value::Array(
        tags.iter().map(|t| api_json(t)).collect::<Result<_, _>>()?,
    ))
}

fn print(
    ctx: &Context,
    config: &Config,
    comparisons: &[Comparison],
    args: &DiffArgs,
    external: Option<&str>,
) -> Result<(), CliError> {
    let name = config
        .service
        .clone()
        .unwrap_or_else(|| "task definition".to_owned());
    if ctx.printer.output() == OutputFormat::Json {
        let documents: Vec<Value> = comparisons
            .iter()
            .map(|c| {
                json!({
                    "subject": c.subject,
                    "live": c.live_label,
                    "local": c.local_label,
                    "differs": c.differs(),
                    "changes": c.changes(),
                })
            })
            .collect();
        let report = json!({
            "service": config.service,
            "cluster": config.cluster,
            "differs": comparisons.iter().any(Comparison::differs),
            "comparisons": documents,
        });
        let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
        text.push('\n');
        ctx.printer.data(&text);
        return Ok(());
    }
    let differing: Vec<&Comparison> = comparisons.iter().filter(|c| c.differs()).collect();
    if differing.is_empty() {
        ctx.printer.info(&format!("`{name}`: no differences"));
        return Ok(());
    }
    for (i, comparison) in differing.iter().enumerate() {
        if i > 0 {
            ctx.printer.data("\n");
        }
        if let Some(command) = external {
            run_external(ctx, command, comparison)?;
            continue;
        }
        let text = if args.no_unified {
            comparison.full()
        } else {
            comparison.unified(CONTEXT)
        };
        ctx.printer.data(&colour(&text, ctx.printer.data_color()));
    }
    Ok(())
}

/// Colours each line by what it is: removed red, added green, hunks cyan.
fn colour(text: &str, enabled: bool) -> String {
    if !enabled {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for line in text.split_inclusive('\n') {
        let style = match line_kind(line) {
            LineKind::Header => Style::new().bold(),
            LineKind::Hunk => AnsiColor::Cyan.on_default(),
            LineKind::Removed => AnsiColor::Red.on_default(),
            LineKind::Added => AnsiColor::Green.on_default(),
            LineKind::Context => {
                out.push_str(line);
                continue;
            }
        };
        let body = line.strip_suffix('\n').unwrap_or(line);
        out.push_str(&format!("{style}{body}{style:#}"));
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Runs `command <live file> <local file>` through `sh`, its output passed on.
/// Exit status 0 or 1 (the `diff` convention for "differences") is success.
fn run_external(ctx: &Context, command: &str, comparison: &Comparison) -> Result<(), CliError> {
    let failure = |error: anyhow::Error| CliError {
        exit: Exit::Failure,
        error,
        hint: Some(
            "the command gets the live and the local document as two file arguments".to_owned(),
        ),
    };
    let dir = tempfile::tempdir()
        .map_err(|e| failure(anyhow::Error::new(e).context("cannot create a temporary folder")))?;
    let stem = match comparison.subject {
        Subject::Service => "service",
        Subject::TaskDefinition => "task-definition",
    };
    let live = dir.path().join(format!("live-{stem}.json"));
    let local = dir.path().join(format!("local-{stem}.json"));
    for (path, text) in [
        (&live, comparison.live_text()),
        (&local, comparison.local_text()),
    ] {
        std::fs::write(path, text).map_err(|e| {
            failure(anyhow::Error::new(e).context(format!("cannot write `{}`", path.display())))
        })?;
    }
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("{command} \"$1\" \"$2\""))
        .arg("ristretto-diff")
        .arg(&live)
        .arg(&local)
        .output()
        .map_err(|e| failure(anyhow::Error::new(e).context(format!("cannot run `{command}`"))))?;
    ctx.printer.data(&String::from_utf8_lossy(&out.stdout));
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stderr.trim().is_empty() {
        ctx.printer.info(stderr.trim_end());
    }
    match out.status.code() {
        Some(0 | 1) => Ok(()),
        code => Err(failure(anyhow::anyhow!(
            "the external diff command `{command}` failed ({})",
            code.map_or_else(
                || "killed by a signal".to_owned(),
                |c| format!("exit code {c}")
            )
        ))),
    }
}

/// Prints the AWS rules a definition breaks as warnings: `diff` still shows
/// the difference; a command that would send it refuses it.
fn warned<T>(ctx: &Context, loaded: ristretto_core::Loaded<T>) -> ristretto_core::Loaded<T> {
    for warning in &loaded.warnings {
        ctx.printer
            .warn(&format!("AWS would refuse this: {warning}"));
    }
    loaded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_only_when_asked() {
        let text = "--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n z\n";
        assert_eq!(colour(text, false), text);
        let coloured = colour(text, true);
        assert!(coloured.contains("\u{1b}[31m-x\u{1b}[0m\n"), "{coloured:?}");
        assert!(coloured.contains("\u{1b}[32m+y\u{1b}[0m\n"), "{coloured:?}");
        assert!(coloured.ends_with(" z\n"));
    }
}
