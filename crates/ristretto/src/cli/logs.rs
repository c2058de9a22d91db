//! Flags of `logs`.

use std::time::Duration;

use clap::Args;

/// `logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// One task's logs (its ID or ARN; a stopped task too); default: every running task of
    /// the service
    #[arg(long, value_name = "TASK")]
    pub id: Option<String>,
    /// Only this container's lines
    #[arg(long, value_name = "NAME")]
    pub container: Option<String>,
    /// Only lines written in this last span (`10m`, `1h30m`, `90s`)
    #[arg(long, value_name = "DURATION", value_parser = since)]
    pub since: Option<Duration>,
    /// Only lines matching this CloudWatch Logs filter pattern (`ERROR`, `"GET /health"`,
    /// `?ERROR ?WARN`, `-DEBUG`)
    #[arg(long, value_name = "PATTERN")]
    pub filter: Option<String>,
    /// Keep printing new lines until interrupted (Ctrl-C ends it with exit code 0)
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// With `--follow`: seconds between two reads
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0, value_parser = interval)]
    pub interval: f64,
}

fn since(text: &str) -> Result<Duration, String> {
    ristretto_core::duration::parse(text)
}

fn interval(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (0.1..=300.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{text}` is not a number of seconds between 0.1 and 300"
        )),
    }
}
