//! One module per command. Each receives a [`Context`]: resolved settings, the
//! printer, and the way to AWS (or to the local simulator); none reads flags
//! or the environment.

pub mod completions;
mod confirm;
pub mod delete;
pub mod deploy;
pub mod local;
pub mod register;
pub mod render;
pub mod rollback;
pub mod run;
pub mod scale;
mod scaling;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ristretto_core::{Config, Loader};
use ristretto_template::AwsLookups;

use crate::aws::{Clients, Target};
use crate::lookups::SdkLookups;
use crate::printer::Printer;
use crate::report::CliError;
use crate::settings::Settings;

/// What every command gets.
pub struct Context {
    /// Resolved flags and environment.
    pub settings: Settings,
    /// All output.
    pub printer: Printer,
    /// The current folder.
    pub cwd: PathBuf,
    /// AWS, or the local simulator.
    pub target: Target,
}

impl Context {
    /// The loader for configs and definitions.
    pub fn loader(&self) -> Loader {
        let version = semver::Version::parse(env!("CARGO_PKG_VERSION"))
            .unwrap_or_else(|_| semver::Version::new(0, 0, 0));
        Loader::new(
            self.settings.env.clone(),
            self.settings.jsonnet.clone(),
            version,
        )
    }

    /// Loads one config, printing its warnings and applying flag overrides.
    ///
    /// # Errors
    /// Any load error (exit code 2).
    pub fn load_config(&self, file: &Path) -> Result<Config, CliError> {
        let (mut config, warnings) = self.loader().load_config(file)?;
        for warning in warnings {
            self.printer
                .warn(&format!("{}: {}", file.display(), warning.0));
        }
        if let Some(timeout) = self.settings.timeout {
            config.timeout = timeout;
        }
        if let Some(region) = &self.settings.region {
            config.region = Some(region.clone());
        }
        Ok(config)
    }

    /// The AWS reads of template functions, for `config`'s region.
    pub fn lookups(&self, config: &Config) -> Arc<dyn AwsLookups> {
        Arc::new(SdkLookups::new(
            self.settings.clone(),
            config.region.clone(),
            self.target.clone(),
        ))
    }

    /// AWS clients for `config`'s region.
    pub async fn clients(&self, config: &Config) -> Clients {
        Clients::new(&self.settings, config.region.as_deref(), &self.target).await
    }
}
