//! `render`: the config, service definition or task definition as ristretto
//! reads it, after templates, Jsonnet and validation. No AWS call is made
//! unless a template function looks something up.

use ristretto_core::definition::{api_json, to_pretty_json};

use crate::cli::{RenderArgs, RenderTarget};
use crate::commands::Context;
use crate::exit::Exit;
use crate::report::CliError;

/// Prints each target of each config, in order.
///
/// # Errors
/// Load errors (exit code 2).
pub async fn run(args: &RenderArgs, ctx: &Context) -> Result<(), CliError> {
    for file in &ctx.settings.configs {
        let mut config = ctx.load_config(file)?;
        let needs_definitions = args.targets.iter().any(|t| *t != RenderTarget::Config);
        let definitions = if needs_definitions {
            Some(
                ctx.loader()
                    .definitions(&config, ctx.lookups(&config))?
                    .rules_as_warnings(),
            )
        } else {
            None
        };
        for target in &args.targets {
            let text = match (target, &definitions) {
                (RenderTarget::Config, _) => {
                    // The region every command of this config will use,
                    // wherever it comes from (issue 15, item 4).
                    config.region =
                        crate::aws::region(&ctx.settings, config.region.as_deref(), &ctx.target)
                            .await;
                    yaml_serde::to_string(&config).map_err(|e| CliError {
                        exit: Exit::Failure,
                        error: e.into(),
                        hint: None,
                    })?
                }
                (RenderTarget::Servicedef, Some(d)) => {
                    to_pretty_json(&api_json(&warned(ctx, d.service_definition()?))?)
                }
                (RenderTarget::Taskdef, Some(d)) => {
                    to_pretty_json(&api_json(&warned(ctx, d.task_definition()?))?)
                }
                (_, None) => continue,
            };
            ctx.printer.data(&text);
        }
    }
    Ok(())
}

/// The value, its broken AWS rules printed as warnings: `render` shows what
/// the file says; a command that would send it refuses it.
fn warned<T>(ctx: &Context, loaded: ristretto_core::Loaded<T>) -> T {
    for warning in &loaded.warnings {
        ctx.printer
            .warn(&format!("AWS would refuse this: {warning}"));
    }
    loaded.value
}
