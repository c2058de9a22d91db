//! The command line as typed: clap definitions only. Nothing here reads the
//! environment or a file; `settings` turns these raw flags into the values
//! the commands receive.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod day2;
mod exec;
mod logs;
mod schema;
pub use day2::{
    AutoScalingFlags, DeleteArgs, DeregisterArgs, PropagateTagsArg, RefreshArgs, RegisterArgs,
    RollbackArgs, RunArgs, RunUntilArg, ScaleArgs, VerifyArgs,
};
pub use exec::ExecArgs;
pub use schema::SchemaArgs;
mod tasks;
pub use logs::LogsArgs;
pub use tasks::{PickFlags, TaskStatusArg, TasksArgs, TasksFormat};

/// A declarative deployer for Amazon ECS.
#[derive(Debug, Parser)]
#[command(name = "ristretto", version, about, after_help = crate::exit::HELP, disable_help_subcommand = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The whole command line as `--help`, the completions and the man pages show it: the
/// definition above plus the exit codes and environment variables after the long help.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command().after_long_help(format!(
        "{}\n\n{}",
        crate::exit::HELP,
        crate::env_vars::help()
    ))
}

/// Flags every command accepts (before or after the command name). Each can
/// also be set as `RISTRETTO_<FLAG>` (or `ECSPRESSO_<FLAG>`) in the environment.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Config file; repeat or use a glob (`services/*/config.yaml`) for several services.
    /// Default: the first of ristretto.yml, ristretto.yaml, ecspresso.yml, ecspresso.yaml,
    /// ecspresso.json, ecspresso.jsonnet in the current folder
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Vec<String>,
    /// `KEY=VALUE` file loaded before anything is rendered (repeatable; later files win)
    #[arg(long, global = true, value_name = "FILE")]
    pub envfile: Vec<PathBuf>,
    /// Jsonnet external string variable `NAME=VALUE` (repeatable)
    #[arg(long, global = true, value_name = "NAME=VALUE")]
    pub ext_str: Vec<String>,
    /// Jsonnet external code variable `NAME=CODE` (repeatable)
    #[arg(long, global = true, value_name = "NAME=CODE")]
    pub ext_code: Vec<String>,
    /// IAM role to assume for every AWS call
    #[arg(long, global = true, value_name = "ARN")]
    pub assume_role_arn: Option<String>,
    /// How long a command may wait in total (`10m`, `90s`, `1h30m`); overrides the config
    #[arg(long, global = true, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Fail (exit 4) when a deployment shows no progress (no task started or
    /// stopped, no new event) for this long (`5m`); default: only `timeout`
    #[arg(long, global = true, value_name = "DURATION")]
    pub no_progress_timeout: Option<String>,
    /// AWS region; overrides the config and the environment
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// AWS shared-config profile
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (an emulator)
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Run against the built-in AWS simulator instead of AWS (state in .ristretto/ here)
    #[arg(long, global = true)]
    pub local: bool,
    /// World file for a fresh `--local` state (default: local-world.yaml beside the config)
    #[arg(long, global = true, value_name = "FILE")]
    pub local_world: Option<PathBuf>,
    /// With several configs: how many services to handle at once
    #[arg(long, global = true, value_name = "N")]
    pub parallel: Option<usize>,
    /// Output format of data and progress (`markdown`: `diff` only)
    #[arg(long, global = true, value_enum)]
    pub output: Option<OutputArg>,
    /// When to use colours (`NO_COLOR` is respected)
    #[arg(long, global = true, value_enum)]
    pub color: Option<ColorChoice>,
    /// Show debug logs
    #[arg(long, global = true)]
    pub debug: bool,
}

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable text
    Text,
    /// JSON documents, and one JSON event per line for progress
    Json,
}

/// `--output` as typed: the printer's formats, and `markdown`, which only
/// `diff` writes (its progress and messages stay text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputArg {
    /// Human-readable text
    Text,
    /// JSON documents, and one JSON event per line for progress
    Json,
    /// A pull-request comment (`diff` only)
    Markdown,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless `NO_COLOR` is set
    Auto,
    /// Always colour
    Always,
    /// Never colour
    Never,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the service from the files and wait until it is stable
    Create(CreateArgs),
    /// Register the task definition, update the service and wait for the deployment
    Deploy(DeployArgs),
    /// Wait for the deployment in progress to finish
    Wait(WaitArgs),
    /// Resume a deployment paused by a lifecycle hook (or roll it back with `--rollback`) and wait
    Continue(ContinueArgs),
    /// Roll the service back to the previous task definition revision and wait
    Rollback(RollbackArgs),
    /// Start a new deployment of the current task definition (replace every task) and wait
    Refresh(RefreshArgs),
    /// Change the desired count and/or the auto scaling settings, and wait until stable
    Scale(ScaleArgs),
    /// Delete the service (asks for its name on a terminal; `--force` elsewhere)
    Delete(DeleteArgs),
    /// Register the task definition file as a new revision
    Register(RegisterArgs),
    /// Deregister task definition revisions (`--revision N` or `--keeps N`), never one in use
    Deregister(DeregisterArgs),
    /// Run a one-off task from the task definition; exits with its container's exit code
    Run(RunArgs),
    /// A shell or command in a task's container, or a port forwarded through it (ECS Exec,
    /// through AWS's session-manager-plugin); exits with the plugin's exit code
    Exec(ExecArgs),
    /// Print the containers' logs from CloudWatch Logs: a task's (`--id`) or the service's
    Logs(LogsArgs),
    /// Print the rendered config, service definition or task definition
    Render(RenderArgs),
    /// Compare the service and task definition files with the live ones
    Diff(DiffArgs),
    /// Show the service: deployments or task sets, auto scaling, recent events
    Status(StatusArgs),
    /// Print the CodeDeploy AppSpec for the service
    Appspec(AppspecArgs),
    /// Write a config and definition files from a running service or a task definition
    Init(InitArgs),
    /// List the task definition's revisions and which are in use, or print one
    Revisions(RevisionsArgs),
    /// List the service's tasks; stop one, or follow one until it stops (`--trace`)
    Tasks(TasksArgs),
    /// Check that the roles, images, secrets, log groups, files, target groups and cluster
    /// the definitions refer to exist and can be used, before deploying
    Verify(VerifyArgs),
    /// The local AWS simulator
    #[command(subcommand)]
    Local(LocalCommand),
    /// Print the JSON Schema of the config, the definition files or the JSON progress events
    Schema(SchemaArgs),
    /// Print shell completions
    Completions(CompletionsArgs),
    /// Print the version
    Version,
    /// Write a man page for ristretto and each command into DIR (for packagers)
    #[command(hide = true)]
    GenerateMan(GenerateManArgs),
}

/// When a deployment counts as finished: `deployed` (our deployment
/// completed and the service runs our task definition), `stable` (that, and
/// the old tasks are gone), `paused` (a lifecycle hook holds a native
/// deployment), `ecs:<STAGE>` (a native deployment reached that lifecycle
/// stage) or `codedeploy:<LifecycleEvent>` (that lifecycle event of the
/// CodeDeploy deployment succeeded; the deployment goes on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitUntilArg {
    /// Our deployment completed and the service runs our task definition
    Deployed,
    /// That, and the old tasks are gone: one deployment, running = desired
    Stable,
    /// A lifecycle hook awaits action (BLUE_GREEN, LINEAR, CANARY)
    Paused,
    /// The native deployment reached this lifecycle stage
    Ecs(ristretto_ecs::lifecycle::Stage),
    /// A lifecycle event of the CodeDeploy deployment succeeded
    CodeDeploy(&'static str),
}

impl WaitUntilArg {
    /// The value as typed (`ecs:BAKE_TIME`), for messages.
    pub fn text(self) -> String {
        match self {
            Self::Deployed => "deployed".to_owned(),
            Self::Stable => "stable".to_owned(),
            Self::Paused => "paused".to_owned(),
            Self::Ecs(stage) => format!("ecs:{stage}"),
            Self::CodeDeploy(event) => format!("codedeploy:{event}"),
        }
    }
}

/// Parses `--wait-until`. An unknown stage or lifecycle event is refused here, before any
/// AWS call (ecspresso-behaviour §11b: "an unknown stage is refused before anything changes").
fn parse_wait_until(value: &str) -> Result<WaitUntilArg, String> {
    match value {
        "deployed" => Ok(WaitUntilArg::Deployed),
        "stable" => Ok(WaitUntilArg::Stable),
        "paused" => Ok(WaitUntilArg::Paused),
        _ => {
            if let Some(stage) = value.strip_prefix("ecs:") {
                return ristretto_ecs::lifecycle::Stage::parse(stage).map(WaitUntilArg::Ecs);
            }
            match value.strip_prefix("codedeploy:") {
                Some(name) => ristretto_codedeploy::assess::lifecycle_event(name)
                    .map(WaitUntilArg::CodeDeploy)
                    .ok_or_else(|| {
                        format!(
                            "unknown lifecycle event `{name}`; one of {}",
                            ristretto_codedeploy::LIFECYCLE_EVENTS.join(", ")
                        )
                    }),
                None => Err(
                    "use `deployed`, `stable`, `paused`, `ecs:<STAGE>` (e.g. `ecs:BAKE_TIME`) or `codedeploy:<LifecycleEvent>` (e.g. `codedeploy:AfterAllowTestTraffic`)"
                        .to_owned(),
                ),
            }
        }
    }
}

/// Waiting flags shared by the commands that wait.
#[derive(Debug, Args, Clone)]
pub struct WaitFlags {
    /// Wait until the deployment finishes (`--no-wait` returns once it started)
    #[arg(long, overrides_with = "no_wait")]
    pub wait: bool,
    /// Return once the deployment started
    #[arg(long)]
    pub no_wait: bool,
    /// When to stop waiting: deployed, stable, paused, ecs:<STAGE>, codedeploy:<LifecycleEvent>
    /// (see "Waiting for the deployment" in the README)
    #[arg(long, value_parser = parse_wait_until, value_name = "WHEN")]
    pub wait_until: Option<WaitUntilArg>,
}

impl WaitFlags {
    /// Whether to wait.
    pub fn waits(&self) -> bool {
        !self.no_wait
    }
}

/// `deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Show what would be done and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Desired count (default: the service definition's, else unchanged)
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = task_count)]
    pub tasks: Option<i32>,
    /// Keep the live task definition (do not register the file's); with
    /// `--revision` or `--latest-task-definition`, deploy that one instead
    #[arg(long)]
    pub skip_task_definition: bool,
    /// Deploy revision N of the live task definition family
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = revision_number, conflicts_with = "latest_task_definition")]
    pub revision: Option<i64>,
    /// Deploy the latest registered revision of the family
    #[arg(long)]
    pub latest_task_definition: bool,
    /// Start a new deployment even when nothing changed
    #[arg(long)]
    pub force_new_deployment: bool,
    /// Apply the service definition's attributes (default)
    #[arg(long, overrides_with = "no_update_service")]
    pub update_service: bool,
    /// Change only the task definition and desired count
    #[arg(long)]
    pub no_update_service: bool,
    /// CODE_DEPLOY services: roll back on these events (comma-separated
    /// DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST);
    /// default: the deployment group's setting
    #[arg(long, value_name = "EVENTS")]
    pub rollback_events: Option<String>,
    /// CODE_DEPLOY services: open the new deployment's console page in a browser (only when
    /// stderr is a terminal and `CI` is unset; `BROWSER` chooses the browser)
    #[arg(long)]
    pub open: bool,
    #[command(flatten)]
    pub auto_scaling: AutoScalingFlags,
    #[command(flatten)]
    pub wait: WaitFlags,
}

/// `create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Show what would be done and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Desired count (default: the service definition's)
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = task_count)]
    pub tasks: Option<i32>,
    #[command(flatten)]
    pub wait: WaitFlags,
}

/// `wait`.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// When to stop waiting (default: stable): deployed, stable, paused, ecs:<STAGE>,
    /// codedeploy:<LifecycleEvent>
    #[arg(long, value_parser = parse_wait_until, value_name = "WHEN")]
    pub wait_until: Option<WaitUntilArg>,
}

/// `continue`.
#[derive(Debug, Args)]
#[command(after_help = "\
ECS BLUE_GREEN, LINEAR and CANARY services: ContinueServiceDeployment on the PAUSE lifecycle \
hook that holds the deployment in progress (CONTINUE, or ROLLBACK with --rollback), then wait \
like `deploy`. CODE_DEPLOY services: ContinueDeployment for a deployment waiting to reroute \
traffic (READY_WAIT) or to terminate the original task set (TERMINATION_WAIT).")]
pub struct ContinueArgs {
    /// Roll the paused deployment back instead of continuing it
    #[arg(long)]
    pub rollback: bool,
    /// The lifecycle hook to act on, when several await action (see `ristretto status`)
    #[arg(long, value_name = "ID")]
    pub hook_id: Option<String>,
    #[command(flatten)]
    pub wait: WaitFlags,
}

/// `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// What to print, in order
    #[arg(required = true, value_enum)]
    pub targets: Vec<RenderTarget>,
}

/// `diff`.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 no differences (or without --exit-code), 1 AWS error, \
2 bad input, 3 differences found with --exit-code\n\n\
--output markdown writes one pull-request comment for every config: a summary of what \
changes per service and the diff folded under it, starting with `<!-- ristretto-diff -->`"
)]
pub struct DiffArgs {
    /// Unified diff with 3 lines of context (the default)
    #[arg(long, overrides_with = "no_unified")]
    pub unified: bool,
    /// Print both documents in full, every line marked ` `, `-` or `+`
    #[arg(long)]
    pub no_unified: bool,
    /// Exit with 3 when anything differs
    #[arg(long)]
    pub exit_code: bool,
    /// Show differences with this command instead, given the live and the local
    /// document as two file arguments (e.g. `difft --color=always`);
    /// also `RISTRETTO_DIFF_COMMAND`
    #[arg(long, value_name = "CMD")]
    pub external: Option<String>,
}

/// `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// How many of the latest service events to show
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub events: usize,
}

/// `appspec`.
#[derive(Debug, Args)]
pub struct AppspecArgs {
    /// `latest` (the family's newest revision), `current` (the service's), a task
    /// definition ARN or `family:revision`
    #[arg(long, default_value = "latest", value_name = "WHICH")]
    pub task_definition: String,
    /// Take load balancer, network and capacity settings from the local service
    /// definition (the default)
    #[arg(long, overrides_with = "no_update_service")]
    pub update_service: bool,
    /// Take them from the live service instead
    #[arg(long)]
    pub no_update_service: bool,
}

/// `init`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("from").required(true).args(["service", "task_definition"])))]
pub struct InitArgs {
    /// The running service to import
    #[arg(long)]
    pub service: Option<String>,
    /// The task definition to import (`family`, `family:revision` or ARN) when there
    /// is no service
    #[arg(long, value_name = "ID")]
    pub task_definition: Option<String>,
    /// The service's cluster
    #[arg(long, default_value = "default")]
    pub cluster: String,
    /// Where to write the task definition, relative to the config
    #[arg(long, default_value = "ecs-task-def.json", value_name = "PATH")]
    pub task_definition_path: String,
    /// Where to write the service definition, relative to the config
    #[arg(long, default_value = "ecs-service-def.json", value_name = "PATH")]
    pub service_definition_path: String,
    /// Write Jsonnet (`.jsonnet` files) instead of JSON and YAML
    #[arg(long)]
    pub jsonnet: bool,
    /// Sort lists the way `diff` does (environment, secrets, containers, …)
    #[arg(long)]
    pub sort: bool,
    /// Replace files that exist (otherwise they are left alone)
    #[arg(long)]
    pub force_overwrite: bool,
}

/// `revisions`.
#[derive(Debug, Args)]
pub struct RevisionsArgs {
    /// Print one revision as JSON: a number, `current` (the service's) or `latest`
    #[arg(long, value_name = "N")]
    pub revision: Option<String>,
    /// List format (`--output json` also selects `json`)
    #[arg(long, value_enum)]
    pub format: Option<RevisionsFormat>,
}

/// How `revisions` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RevisionsFormat {
    /// Aligned columns with a header
    Table,
    /// A JSON array of `{name, in_use}`
    Json,
    /// `name<TAB>in_use` lines, no header
    Tsv,
}

/// What `render` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RenderTarget {
    /// The resolved config (defaults filled in, paths resolved), as YAML
    Config,
    /// The service definition, as the ECS API's JSON
    #[value(alias = "service-definition")]
    Servicedef,
    /// The task definition, as the ECS API's JSON
    #[value(alias = "task-definition")]
    Taskdef,
}

/// `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    pub shell: clap_complete::Shell,
}

/// `generate-man` (hidden: packagers run it, users read the pages it writes).
#[derive(Debug, Args)]
pub struct GenerateManArgs {
    /// Folder to write `ristretto.1` and `ristretto-<command>.1` into (created if missing)
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// `local`.
#[derive(Debug, Subcommand)]
pub enum LocalCommand {
    /// Run the simulator as a server until interrupted, for the AWS CLI, boto3 or any SDK
    /// (`--endpoint-url http://127.0.0.1:PORT`)
    Serve(ServeArgs),
}

/// `local serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1
    #[arg(long, default_value_t = 4566)]
    pub port: u16,
    /// State file: loaded at start when it exists, saved after every change
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// World file for a fresh state (clusters, parameters, failure and throttling rules)
    #[arg(long, value_name = "FILE")]
    pub world: Option<PathBuf>,
    /// Write one JSON line per request to this file
    #[arg(long, value_name = "FILE")]
    pub request_log: Option<PathBuf>,
    /// How many times faster than real time the world runs
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
}

/// `--tasks N`: a desired count, 0 or more (checked here, before anything is
/// registered: UpdateService would refuse it only after RegisterTaskDefinition).
///
/// # Errors
/// Not a whole number, or negative.
pub fn task_count(text: &str) -> Result<i32, String> {
    let n: i32 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number of tasks"))?;
    if n < 0 {
        return Err(format!("{n} tasks: a desired count is 0 or more"));
    }
    Ok(n)
}

/// `--revision N`: a task definition revision, which AWS numbers from 1.
///
/// # Errors
/// Not a whole number, or below 1.
pub fn revision_number(text: &str) -> Result<i64, String> {
    let n: i64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a revision number"))?;
    if n < 1 {
        return Err(format!(
            "there is no revision {n}: task definition revisions are numbered from 1"
        ));
    }
    Ok(n)
}
