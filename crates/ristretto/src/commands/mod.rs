//! One module per command. Each receives resolved [`Settings`] and a
//! [`Printer`]; none reads flags or the environment.

pub mod completions;
pub mod render;

use ristretto_core::{Config, Loader};

use crate::printer::Printer;
use crate::report::CliError;
use crate::settings::Settings;

/// The loader every command uses, built from the settings.
pub fn loader(settings: &Settings) -> Loader {
    let version = semver::Version::parse(env!("CARGO_PKG_VERSION"))
        .unwrap_or_else(|_| semver::Version::new(0, 0, 0));
    Loader::new(settings.env.clone(), settings.jsonnet.clone(), version)
}

/// Loads one config, printing its warnings.
///
/// # Errors
/// Any load error (exit code 2).
pub fn load_config(
    settings: &Settings,
    printer: &Printer,
    file: &std::path::Path,
) -> Result<Config, CliError> {
    let (mut config, warnings) = loader(settings).load_config(file)?;
    for warning in warnings {
        printer.warn(&format!("{}: {}", file.display(), warning.0));
    }
    if let Some(timeout) = settings.timeout {
        config.timeout = timeout;
    }
    if let Some(region) = &settings.region {
        config.region = Some(region.clone());
    }
    Ok(config)
}
