//! `render`: the config, service definition or task definition as ristretto
//! reads it, after templates, Jsonnet and validation. No AWS call is made
//! unless a template function looks something up.

use std::sync::Arc;

use ristretto_core::definition::{api_json, to_pretty_json};
use ristretto_template::NoAwsLookups;

use crate::cli::{RenderArgs, RenderTarget};
use crate::commands::{load_config, loader};
use crate::printer::Printer;
use crate::report::CliError;
use crate::settings::Settings;

/// Prints each target of each config, in order.
///
/// # Errors
/// Load errors (exit code 2).
pub fn run(args: &RenderArgs, settings: &Settings, printer: &Printer) -> Result<(), CliError> {
    for file in &settings.configs {
        let config = load_config(settings, printer, file)?;
        let needs_definitions = args.targets.iter().any(|t| *t != RenderTarget::Config);
        let definitions = if needs_definitions {
            Some(loader(settings).definitions(&config, Arc::new(NoAwsLookups))?)
        } else {
            None
        };
        for target in &args.targets {
            let text = match target {
                RenderTarget::Config => yaml_serde::to_string(&config).map_err(|e| CliError {
                    exit: crate::exit::Exit::Failure,
                    error: e.into(),
                    hint: None,
                })?,
                RenderTarget::Servicedef | RenderTarget::Taskdef => {
                    let Some(definitions) = &definitions else {
                        continue;
                    };
                    if *target == RenderTarget::Servicedef {
                        to_pretty_json(&api_json(&definitions.service_definition()?.value))
                    } else {
                        to_pretty_json(&api_json(&definitions.task_definition()?.value))
                    }
                }
            };
            printer.data(&text);
        }
    }
    Ok(())
}
