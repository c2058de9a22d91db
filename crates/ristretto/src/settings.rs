//! Raw flags to the settings commands receive, resolved once: a flag wins over
//! `RISTRETTO_<FLAG>`, which wins over `ECSPRESSO_<FLAG>`, which wins over the
//! config. Commands never read flags or the environment themselves.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ristretto_core::LoadError;
use ristretto_template::{JsonnetVars, ProcessEnv};

use crate::cli::{ColorChoice, GlobalArgs, OutputArg, OutputFormat};
use crate::env_vars;
use crate::report::{CliError, bad_input};

/// Services handled at once by default, from ECS's request quotas
/// ([`crate::quota::ECS_QUOTAS`]): a deploy registers a task definition and
/// updates a service, and the smallest burst of those categories is
/// RegisterTaskDefinition's 20, so 20 services start their deployments within
/// AWS's burst; while they wait, at most 10 reads per minute each make 3.3
/// DescribeServices per second, a sixth of that category's sustained 20 per
/// second, leaving room for the account's other callers. More services queue
/// for a free slot; a larger `--parallel` is paced by [`crate::quota`] rather
/// than throttled.
pub const DEFAULT_PARALLEL: usize = 20;

/// Everything a command needs to know from the command line and environment.
#[derive(Clone)]
pub struct Settings {
    /// The config files, in order (globs expanded; discovered when none given).
    pub configs: Vec<PathBuf>,
    /// Variables for templates: the process environment with `--envfile` values on top.
    pub env: Arc<ProcessEnv>,
    /// `--ext-str` / `--ext-code`.
    pub jsonnet: JsonnetVars,
    /// `--timeout`, overriding the config's.
    pub timeout: Option<Duration>,
    /// `--no-progress-timeout`.
    pub no_progress_timeout: Option<Duration>,
    /// `--region`, overriding the config's.
    pub region: Option<String>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--endpoint-url`.
    pub endpoint_url: Option<String>,
    /// `--assume-role-arn`.
    pub assume_role_arn: Option<String>,
    /// `--local`: run against the in-process simulator.
    pub local: bool,
    /// `--local-world`.
    pub local_world: Option<PathBuf>,
    /// `RISTRETTO_LOCAL_SPEED`: how much faster than real time `--local` runs.
    pub local_speed: f64,
    /// `RISTRETTO_LOCAL_SPEED` was set: with `--endpoint-url` it names the speed of a
    /// `local serve --speed N` simulator there.
    pub local_speed_set: bool,
    /// `--parallel`: services handled at once.
    pub parallel: usize,
    /// `--output` (text for `markdown`, whose progress and messages are text).
    pub output: OutputFormat,
    /// `--output markdown`: `diff` writes a pull-request comment.
    pub markdown: bool,
    /// Whether stderr gets colours.
    pub color: bool,
    /// Whether progress is a live view: text output, stderr a terminal (not
    /// `TERM=dumb`), not CI.
    pub live: bool,
    /// Whether data on stdout (diffs) gets colours.
    pub color_data: bool,
    /// `RISTRETTO_DIFF_COMMAND`: the default of `diff --external`.
    pub diff_command: Option<String>,
    /// `RISTRETTO_FILTER_COMMAND`: the default of `--filter-command`.
    pub filter_command: Option<String>,
    /// Whether `--open` may start a browser: only for a person at a terminal.
    pub browser: Browser,
    /// `--debug`.
    #[allow(dead_code)] // no command logs debug lines yet
    pub debug: bool,
}

impl Settings {
    /// Resolves the global flags; `cwd` is where configs are discovered.
    ///
    /// # Errors
    /// Bad flag values (exit code 2).
    pub fn resolve(args: &GlobalArgs, cwd: &Path) -> Result<Self, CliError> {
        let output = match args.output {
            Some(o) => o,
            None => match env_vars::OUTPUT.found() {
                None => OutputArg::Text,
                Some(found) => match found.value.as_str() {
                    "text" => OutputArg::Text,
                    "json" => OutputArg::Json,
                    "markdown" => OutputArg::Markdown,
                    other => {
                        return Err(bad_input(
                            format!(
                                "`{}={other}` is not `text`, `json` or `markdown`",
                                found.from
                            ),
                            None,
                        ));
                    }
                },
            },
        };
        let markdown = output == OutputArg::Markdown;
        let output = match output {
            OutputArg::Json => OutputFormat::Json,
            OutputArg::Text | OutputArg::Markdown => OutputFormat::Text,
        };
        let color_choice = match args.color {
            Some(c) => c,
            None => match env_vars::COLOR.found() {
                None => ColorChoice::Auto,
                Some(found) => match found.value.as_str() {
                    "auto" => ColorChoice::Auto,
                    "always" => ColorChoice::Always,
                    "never" => ColorChoice::Never,
                    other => {
                        return Err(bad_input(
                            format!(
                                "`{}={other}` is not `auto`, `always` or `never`",
                                found.from
                            ),
                            None,
                        ));
                    }
                },
            },
        };
        let color = match color_choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !env_vars::no_color() && std::io::stderr().is_terminal(),
        };
        let color_data = match color_choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !env_vars::no_color() && std::io::stdout().is_terminal(),
        };

        let envfiles: Vec<PathBuf> = if args.envfile.is_empty() {
            env_vars::ENVFILE
                .get()
                .map(|v| v.split(',').map(PathBuf::from).collect())
                .unwrap_or_default()
        } else {
            args.envfile.clone()
        };
        let env = Arc::new(ProcessEnv::with_envfiles(&envfiles).map_err(LoadError::from)?);

        let jsonnet = JsonnetVars {
            ext_str: pairs(&args.ext_str, env_vars::EXT_STR, "--ext-str")?,
            ext_code: pairs(&args.ext_code, env_vars::EXT_CODE, "--ext-code")?,
        };

        let timeout = duration_flag(args.timeout.clone(), env_vars::TIMEOUT, "--timeout")?;
        let no_progress_timeout = duration_flag(
            args.no_progress_timeout.clone(),
            env_vars::NO_PROGRESS_TIMEOUT,
            "--no-progress-timeout",
        )?;

        let local_speed_set = env_vars::LOCAL_SPEED.found().is_some();
        let local_speed = match env_vars::LOCAL_SPEED.found() {
            None => crate::local::DEFAULT_SPEED,
            Some(found) => found
                .value
                .parse::<f64>()
                .ok()
                .filter(|s| *s > 0.0)
                .ok_or_else(|| {
                    bad_input(
                        format!("`{}={}` is not a positive number", found.from, found.value),
                        None,
                    )
                })?,
        };

        let parallel = match args.parallel {
            Some(n) => n,
            None => match env_vars::PARALLEL.found() {
                None => DEFAULT_PARALLEL,
                Some(found) => found.value.parse().map_err(|_| {
                    bad_input(
                        format!("`{}={}` is not a number", found.from, found.value),
                        None,
                    )
                })?,
            },
        };
        if parallel == 0 {
            return Err(bad_input("--parallel must be at least 1", None));
        }

        let region = flag_or_env(args.region.clone(), env_vars::REGION, "--region");
        if let Some((value, source)) = &region
            && let Some(message) = ristretto_core::validate::region(value)
        {
            return Err(bad_input(
                format!("{source}: {message}"),
                Some("write a region such as `us-east-1`"),
            ));
        }
        let endpoint_url = flag_or_env(
            args.endpoint_url.clone(),
            env_vars::ENDPOINT_URL,
            "--endpoint-url",
        );
        if let Some((value, source)) = &endpoint_url
            && let Err(message) = check_endpoint_url(value)
        {
            return Err(bad_input(
                format!("{source}: `{value}` is not an endpoint URL: {message}"),
                Some("write `http://HOST:PORT` or `https://HOST`, e.g. `http://127.0.0.1:4566`"),
            ));
        }
        // Without one of ours, the SDK reads `AWS_ENDPOINT_URL` itself: checked the same way.
        if endpoint_url.is_none()
            && let Ok(value) = std::env::var("AWS_ENDPOINT_URL")
            && !value.is_empty()
            && let Err(message) = check_endpoint_url(&value)
        {
            return Err(bad_input(
                format!("AWS_ENDPOINT_URL: `{value}` is not an endpoint URL: {message}"),
                Some("write `http://HOST:PORT` or `https://HOST`, e.g. `http://127.0.0.1:4566`"),
            ));
        }

        let config_args: Vec<String> = if args.config.is_empty() {
            env_vars::CONFIG.get().map(|c| vec![c]).unwrap_or_default()
        } else {
            args.config.clone()
        };
        let configs = expand_configs(&config_args, cwd)?;

        Ok(Self {
            configs,
            env,
            jsonnet,
            timeout,
            no_progress_timeout,
            live: output == OutputFormat::Text
                && std::io::stderr().is_terminal()
                && !env_vars::ci()
                && !env_vars::dumb_terminal(),
            region: region.map(|(value, _)| value),
            profile: args.profile.clone().or_else(|| env_vars::PROFILE.get()),
            endpoint_url: endpoint_url.map(|(value, _)| value),
            assume_role_arn: args
                .assume_role_arn
                .clone()
                .or_else(|| env_vars::ASSUME_ROLE_ARN.get()),
            local: args.local || env_vars::LOCAL.is_on(),
            local_world: args
                .local_world
                .clone()
                .or_else(|| env_vars::LOCAL_WORLD.get().map(PathBuf::from)),
            local_speed,
            local_speed_set,
            parallel,
            output,
            markdown,
            color,
            color_data,
            diff_command: env_vars::DIFF_COMMAND.get(),
            filter_command: env_vars::FILTER_COMMAND.get(),
            browser: if env_vars::ci() {
                Browser::Refused("`CI` is set")
            } else if std::io::stderr().is_terminal() {
                Browser::Allowed
            } else {
                Browser::Refused("stderr is not a terminal")
            },
            debug: args.debug || env_vars::DEBUG.is_on(),
        })
    }
}

/// Whether `--open` may start a browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browser {
    /// Someone is at the terminal.
    Allowed,
    /// Nobody would see it; why.
    Refused(&'static str),
}

/// `NAME=VALUE` flags, or the `;`-separated environment form ecspresso uses.
fn pairs(
    flags: &[String],
    var: env_vars::Var,
    flag: &str,
) -> Result<std::collections::BTreeMap<String, String>, CliError> {
    let items: Vec<String> = if flags.is_empty() {
        var.get()
            .map(|v| v.split(';').map(str::to_owned).collect())
            .unwrap_or_default()
    } else {
        flags.to_vec()
    };
    items
        .iter()
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| bad_input(format!("{flag} `{item}` is not NAME=VALUE"), None))
        })
        .collect()
}

/// Expands globs in `--config` values; with none, discovers the default file.
fn expand_configs(args: &[String], cwd: &Path) -> Result<Vec<PathBuf>, CliError> {
    if args.is_empty() {
        return Ok(vec![ristretto_core::config::discover(cwd)?]);
    }
    let mut configs = Vec::new();
    for arg in args {
        let is_glob = arg.contains(['*', '?', '[']);
        if !is_glob {
            configs.push(PathBuf::from(arg));
            continue;
        }
        let matches: Vec<PathBuf> = glob::glob(arg)
            .map_err(|e| bad_input(format!("--config `{arg}` is not a valid glob: {e}"), None))?
            .filter_map(Result::ok)
            .collect();
        if matches.is_empty() {
            return Err(bad_input(
                format!("--config `{arg}` matches no file"),
                Some("check the pattern; quote it so the shell does not expand it"),
            ));
        }
        configs.extend(matches);
    }
    Ok(configs)
}

/// A flag's value, else its environment variable's, with the name of where
/// it came from (`--region`, `ECSPRESSO_REGION`) for messages.
fn flag_or_env(value: Option<String>, var: env_vars::Var, flag: &str) -> Option<(String, String)> {
    match value {
        Some(v) => Some((v, flag.to_owned())),
        None => var.found().map(|f| (f.value, f.from)),
    }
}

/// `http(s)://host[:port][/path]`, the form the SDK's endpoint resolver
/// takes; anything else would fail at the first call with the SDK's text.
fn check_endpoint_url(url: &str) -> Result<(), &'static str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or("it must start with `http://` or `https://`")?;
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains a space");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
            (host, Some(port))
        }
        _ => (authority, None),
    };
    if host.is_empty() {
        return Err("it names no host");
    }
    let host_ok = host.starts_with('[')
        || host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !host_ok {
        return Err("the host name has characters a host name cannot have");
    }
    if let Some(port) = port
        && port.parse::<u16>().is_err()
    {
        return Err("the port is not a number from 0 to 65535");
    }
    Ok(())
}

/// A duration flag, else its environment variable.
fn duration_flag(
    value: Option<String>,
    var: env_vars::Var,
    flag: &str,
) -> Result<Option<Duration>, CliError> {
    let (text, source) = match (value, var.found()) {
        (Some(text), _) => (text, flag.to_owned()),
        (None, Some(found)) => (found.value, found.from),
        (None, None) => return Ok(None),
    };
    ristretto_core::duration::parse(&text)
        .map(Some)
        .map_err(|m| {
            bad_input(
                format!("{source}: {m}"),
                Some("write a duration like `10m`, `90s` or `1h30m`"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::check_endpoint_url;

    #[test]
    fn endpoint_urls() {
        for good in [
            "http://127.0.0.1:4566",
            "https://ecs.us-east-1.amazonaws.com",
            "http://localhost:8080/",
            "http://[::1]:4566",
        ] {
            assert_eq!(check_endpoint_url(good), Ok(()), "{good}");
        }
        for bad in [
            "not a url",
            "localhost:4566",
            "http://",
            "http://host:99999",
            "ftp://host",
            "http://ho st",
        ] {
            assert!(check_endpoint_url(bad).is_err(), "{bad}");
        }
    }
}
