//! One module per command. Each receives a [`Context`]: resolved settings, the
//! printer, and the way to AWS (or to the local simulator); none reads flags
//! or the environment.

pub mod appspec;
pub mod codedeploy;
pub mod completions;
mod confirm;
pub mod continue_;
pub mod delete;
pub mod deploy;
pub mod diff;
pub mod exec;
pub mod init;
pub mod live;
pub mod local;
pub mod logs;
pub mod man;
pub mod register;
pub mod render;
pub mod revisions;
pub mod rollback;
pub mod run;
pub mod scale;
mod scaling;
pub mod schema;
pub mod status;
pub mod tasks;
pub mod verify;

use std::path::Path;
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
    pub cwd: std::path::PathBuf,
    /// AWS, or the local simulator.
    pub target: Target,
}

impl Context {
    /// Seconds of the services' clock per real second: the simulator's
    /// speed with `--local`, else 1.
    pub fn clock_rate(&self) -> f64 {
        // A simulator served with `local serve --speed N` at `--endpoint-url` runs at the
        // speed `RISTRETTO_LOCAL_SPEED` names, when it is set.
        let served = self.settings.endpoint_url.is_some() && self.settings.local_speed_set;
        if self.settings.local || served {
            self.settings.local_speed
        } else {
            1.0
        }
    }

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
        self.printer.debug(&format!(
            "loaded {}: cluster `{}`, service `{}`, timeout {}",
            file.display(),
            config.cluster,
            config.service.as_deref().unwrap_or("-"),
            ristretto_core::duration::format(config.timeout)
        ));
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
        if config.region.is_none() {
            check_sdk_region_variable()?;
        }
        Ok(config)
    }

    /// The AWS reads of template functions, for `config`'s region.
    pub fn lookups(&self, config: &Config) -> Arc<dyn AwsLookups> {
        Arc::new(SdkLookups::new(
            self.settings.clone(),
            config.region.clone(),
            self.target.clone(),
            self.printer.secrets(),
        ))
    }

    /// AWS clients for `config`'s region.
    pub async fn clients(&self, config: &Config) -> Clients {
        Clients::new(&self.settings, config.region.as_deref(), &self.target).await
    }
}

/// Without a region from a flag or the config, the SDK takes `AWS_REGION`, else
/// `AWS_DEFAULT_REGION`: a malformed value there is bad input too, named by its variable,
/// before anything is called (the SDK would put it into a host name and fail later, with
/// exit 1 and no hint).
fn check_sdk_region_variable() -> Result<(), CliError> {
    for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        let Ok(value) = std::env::var(name) else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        return match ristretto_core::validate::region(&value) {
            Some(message) => Err(crate::report::bad_input(
                format!("{name}: {message}"),
                Some("write a region such as `us-east-1`, or set `region` in the config"),
            )),
            None => Ok(()),
        };
    }
    Ok(())
}

/// One service's share of a command.
pub type ServiceRun<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), CliError>> + 'a>>;

/// Runs `run` for every config: alone when there is one; otherwise
/// `--parallel` at a time, each failure reported with its service, then a
/// summary table, and the worst exit code. Every config is loaded first, so a
/// bad one stops the run before anything changes.
///
/// # Errors
/// The single config's error, or a summary error carrying the worst exit code.
pub async fn for_each_config<'a>(
    ctx: &'a Context,
    run: impl Fn(Config) -> ServiceRun<'a>,
) -> Result<(), CliError> {
    let configs: Vec<Config> = ctx
        .settings
        .configs
        .iter()
        .map(|file| ctx.load_config(file))
        .collect::<Result<_, _>>()?;
    if configs.len() == 1 {
        let config = configs
            .into_iter()
            .next()
            .ok_or_else(|| crate::report::bad_input("no config", None))?;
        let result = run(config).await;
        print_pacing(ctx);
        return result;
    }
    let permits = tokio::sync::Semaphore::new(ctx.settings.parallel);
    let runs = configs.into_iter().map(|config| {
        let label = label(&config);
        let permits = &permits;
        let future = run(config);
        async move {
            let _permit = permits.acquire().await;
            let result = future.await;
            if let Err(error) = &result {
                crate::report::print_labeled(&ctx.printer, Some(&label), error);
            }
            (label, result)
        }
    });
    let results = futures_util::future::join_all(runs).await;
    print_pacing(ctx);
    ctx.printer.info(&summary(&results));
    let failed: Vec<crate::exit::Exit> = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().err().map(|e| e.exit))
        .collect();
    match failed.iter().max() {
        None => Ok(()),
        Some(worst) => Err(CliError {
            exit: *worst,
            error: anyhow::anyhow!("{} of {} services failed", failed.len(), results.len()),
            hint: None,
        }),
    }
}

/// `service/cluster`, the label of a config's service in output.
pub fn label(config: &Config) -> String {
    format!(
        "{}/{}",
        config.service.as_deref().unwrap_or("-"),
        config.cluster
    )
}

/// With `--debug`: how the run's ECS calls were paced and which throttled
/// calls were sent again ([`crate::quota`]).
fn print_pacing(ctx: &Context) {
    for line in crate::quota::summaries() {
        ctx.printer.debug(&line);
    }
}

/// Services listed one per line in the summary up to this many; past it, the
/// services that succeeded are counted on one line (failures are always
/// listed, first).
const LISTED: usize = 10;

/// The summary table of a run over several configs: the failures first, with
/// their exit code and reason, then the services that succeeded, one per line
/// for a few, counted for many.
fn summary(results: &[(String, Result<(), CliError>)]) -> String {
    let mut rows: Vec<(String, String)> = results
        .iter()
        .filter_map(|(label, result)| {
            result.as_ref().err().map(|e| {
                (
                    label.clone(),
                    format!("failed (exit {}): {}", e.exit.code(), e.error),
                )
            })
        })
        .collect();
    let ok = results.iter().filter(|(_, r)| r.is_ok());
    if results.len() <= LISTED {
        rows.extend(ok.map(|(label, _)| (label.clone(), "ok".to_owned())));
    } else {
        match ok.count() {
            0 => {}
            1 => rows.push(("1 service".to_owned(), "ok".to_owned())),
            n => rows.push((format!("{n} services"), "ok".to_owned())),
        }
    }
    let width = rows
        .iter()
        .map(|(l, _)| l.len())
        .max()
        .unwrap_or(0)
        .max("service".len());
    let mut table = format!("{:<width$}  result\n", "service");
    for (label, outcome) in rows {
        table.push_str(&format!("{label:<width$}  {outcome}\n"));
    }
    table.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Exit;

    fn failed(exit: Exit, message: &str) -> Result<(), CliError> {
        Err(CliError {
            exit,
            error: anyhow::anyhow!(message.to_owned()),
            hint: None,
        })
    }

    #[test]
    fn a_few_services_are_listed_each_failures_first() {
        let results = vec![
            ("web/default".to_owned(), Ok(())),
            (
                "api/default".to_owned(),
                failed(Exit::Failure, "deployment failed"),
            ),
            ("worker/default".to_owned(), Ok(())),
        ];
        assert_eq!(
            summary(&results),
            "service         result\n\
             api/default     failed (exit 1): deployment failed\n\
             web/default     ok\n\
             worker/default  ok"
        );
    }

    #[test]
    fn many_services_list_their_failures_and_count_the_rest() {
        let mut results: Vec<(String, Result<(), CliError>)> = (1..=100)
            .map(|i| (format!("svc-{i:03}/default"), Ok(())))
            .collect();
        results[41].1 = failed(Exit::TimedOut, "timed out after 10m");
        results[6].1 = failed(Exit::Failure, "deployment failed");
        assert_eq!(
            summary(&results),
            "service          result\n\
             svc-007/default  failed (exit 1): deployment failed\n\
             svc-042/default  failed (exit 4): timed out after 10m\n\
             98 services      ok"
        );
        let all_ok: Vec<(String, Result<(), CliError>)> =
            (1..=11).map(|i| (format!("s{i}/c"), Ok(()))).collect();
        assert_eq!(summary(&all_ok), "service      result\n11 services  ok");
    }
}
