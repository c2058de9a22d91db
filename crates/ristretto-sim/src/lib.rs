//! ristretto's local AWS simulator: ECS, CodeDeploy (ECS blue/green), Application Auto Scaling,
//! SSM Parameter Store, Secrets Manager, S3 GetObject, ELBv2 target groups, IAM roles, STS,
//! ECR and other container registries, and CloudWatch Logs on loopback, speaking the real AWS
//! wire protocol, with simulated
//! time so that deployments roll, fail and roll back like on AWS — only faster.
//!
//! It is ristretto's embedded default (`ristretto --local ...` starts it in-process with
//! [`start`]) and `ristretto local serve` runs it as a server ([`serve`]), so that the AWS CLI,
//! boto3 or any SDK can use it with `--endpoint-url`.
//!
//! # Map
//! - `server` (private): HTTP, routing on `X-Amz-Target`, the request log, faults, saving.
//! - [`codec`]: SDK input/output types ↔ wire JSON through the SDK's schema codec.
//! - [`state`]: the whole world as one value (the state file); [`clock`]: world time.
//! - [`world`]: the world file (initial resources and rules); [`faults`]: throttling and
//!   injected errors.
//! - One module per AWS service: [`ecs`] (with its [`ecs::scheduler`]), [`autoscaling`],
//!   [`ssm`], [`secrets`], [`s3`], [`elbv2`] (awsQuery), [`iam`] (IAM and STS, awsQuery),
//!   [`images`] (ECR and the Docker Registry HTTP API v2), [`logs`], and [`codedeploy`] (which drives the ECS task sets of
//!   `CODE_DEPLOY` services through [`ecs::task_sets`]).
//!
//! # Fidelity
//! Shapes are the SDK's own, so every answer parses like AWS's. Behaviour follows the AWS API
//! reference where a deploy tool depends on it (error codes and messages of the common
//! validation failures, deployments and their counts, service events, service deployments,
//! circuit breaker thresholds, task stop codes and exit codes, target health in the world file's
//! ELBv2 target groups). Known simplifications: no load balancers or listeners; native
//! strategy lifecycle hooks are not invoked; CodeDeploy hooks always succeed; Application Auto
//! Scaling never scales. Operations that are not simulated answer `UnknownOperationException`
//! (HTTP 400), never a 5xx that clients would retry.
//!
//! # Example
//! ```no_run
//! # async fn run() -> Result<(), ristretto_sim::SimError> {
//! use ristretto_sim::{SimConfig, World};
//! let config = SimConfig { world: World::default_world(), state_file: None, speed: 100.0, request_log: None };
//! let sim = ristretto_sim::start(config, "127.0.0.1:0".parse().expect("address")).await?;
//! let endpoint = sim.endpoint_url(); // point every AWS client here
//! # let _ = endpoint;
//! sim.shutdown().await?;
//! # Ok(()) }
//! ```

pub mod autoscaling;
pub mod clock;
pub mod codec;
pub mod codedeploy;
pub mod ecs;
pub mod elbv2;
mod error;
pub mod faults;
pub mod iam;
pub mod images;
pub mod logs;
#[cfg(test)]
mod operations_table;
pub mod quotas;
pub mod s3;
pub mod secrets;
mod server;
pub mod ssm;
pub mod state;
#[cfg(test)]
mod testkit;
pub mod world;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use error::{ApiError, ApiResult, SimError};
pub use world::World;

/// How to run the simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Initial resources (used only when there is no state file yet) and rules (always used).
    pub world: World,
    /// Where the world is kept between runs. Loaded at start when it exists; written after every
    /// successful mutating request and at shutdown.
    pub state_file: Option<PathBuf>,
    /// How many times faster than real time the world runs (1.0 = real time).
    pub speed: f64,
    /// Also write every request as a JSON line to this file (appended).
    pub request_log: Option<PathBuf>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            world: World::default_world(),
            state_file: None,
            speed: 1.0,
            request_log: None,
        }
    }
}

/// One request as the simulator saw it, e.g.
/// `{"service":"ecs","operation":"UpdateService","mutating":true,"status":200}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// `ecs`, `codedeploy`, `application-autoscaling`, `ssm`, `secretsmanager`, `s3`, or
    /// `unknown`.
    pub service: String,
    pub operation: String,
    /// Whether the operation changes anything (everything but Describe*, List*, Get*, ...).
    pub mutating: bool,
    /// HTTP status of the answer.
    pub status: u16,
    /// AWS error code of a failed request.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// A simulator running in the background, started by [`start`].
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), SimError>>,
}

impl SimHandle {
    /// `http://127.0.0.1:<port>`: the endpoint URL for every AWS client.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        server::lock(&self.shared.requests).clone()
    }

    /// Moves world time forward by `seconds` at once (tests, demos).
    pub fn advance(&self, seconds: f64) {
        let mut sim = server::lock(&self.shared.sim);
        sim.clock.skip(seconds);
        let now = sim.clock.now();
        sim.state.advance(now);
    }

    /// The current world time, in epoch seconds.
    pub fn world_time(&self) -> f64 {
        server::lock(&self.shared.sim).clock.now()
    }

    /// Writes the state file now (no-op without one).
    pub fn save(&self) -> Result<(), SimError> {
        self.shared.save()
    }

    /// Stops accepting requests, lets open ones finish, and saves the state.
    pub async fn shutdown(self) -> Result<(), SimError> {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(SimError::Server(e.to_string())),
        }
    }
}

/// Starts the simulator in the background on `addr` (port 0 picks a free port).
pub async fn start(config: SimConfig, addr: SocketAddr) -> Result<SimHandle, SimError> {
    let shared = Arc::new(server::Shared::new(&config)?);
    let listener = server::bind(addr).await?;
    let addr = listener
        .local_addr()
        .map_err(|source| SimError::Bind { addr, source })?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server::run(Arc::clone(&shared), listener, async move {
        let _ = stopped.await;
    }));
    tracing::debug!("simulator listening on {addr}");
    Ok(SimHandle {
        addr,
        shared,
        stop,
        task,
    })
}

/// Runs the simulator on `addr` until `shutdown` completes, then saves the state
/// (`ristretto local serve`).
pub async fn serve(
    config: SimConfig,
    addr: SocketAddr,
    shutdown: impl Future<Output = ()>,
) -> Result<(), SimError> {
    let shared = Arc::new(server::Shared::new(&config)?);
    let listener = server::bind(addr).await?;
    server::run(shared, listener, shutdown).await
}
