//! `--local`: the simulator started in-process for one run, its world kept in
//! `.ristretto/local-state.json` in the current folder so consecutive runs
//! see the same services.

use std::path::{Path, PathBuf};

use ristretto_sim::{SimConfig, SimHandle, World};

use crate::exit::Exit;
use crate::report::CliError;

/// Where `--local` keeps its world, relative to the current folder.
pub const STATE_FILE: &str = ".ristretto/local-state.json";
/// The world file `--local` reads beside the config when no `--local-world` is given.
pub const WORLD_FILE: &str = "local-world.yaml";
/// How much faster than real time the in-process world runs by default.
pub const DEFAULT_SPEED: f64 = 20.0;

/// A simulator running for the length of one command.
pub struct LocalSim {
    handle: SimHandle,
}

impl LocalSim {
    /// Starts it: world from `world` (else `local-world.yaml` beside
    /// `first_config`, else just the `default` cluster), state in `cwd`.
    ///
    /// # Errors
    /// An unreadable world file (exit 2) or a simulator that cannot start.
    pub async fn start(
        world: Option<&Path>,
        first_config: Option<&Path>,
        cwd: &Path,
        speed: f64,
    ) -> Result<Self, CliError> {
        let beside_config = first_config
            .and_then(Path::parent)
            .map(|dir| dir.join(WORLD_FILE))
            .filter(|p| p.is_file());
        let world_file: Option<PathBuf> = world.map(Path::to_owned).or(beside_config);
        let world = match &world_file {
            Some(file) => World::from_yaml_file(file).map_err(|e| CliError {
                exit: Exit::BadInput,
                error: anyhow::Error::new(e)
                    .context(format!("cannot load the local world `{}`", file.display())),
                hint: Some("see crates/ristretto-sim/world.example.yaml for the format".to_owned()),
            })?,
            None => World::default_world(),
        };
        let config = SimConfig {
            world,
            state_file: Some(cwd.join(STATE_FILE)),
            speed,
            request_log: None,
        };
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let handle = ristretto_sim::start(config, addr)
            .await
            .map_err(|e| {
                // A state file that cannot be decoded is bad input (exit 2),
                // kept as it is for the user to look at.
                let (exit, hint) = match &e {
                    ristretto_sim::SimError::LoadState { path, .. } => (
                        Exit::BadInput,
                        Some(format!(
                            "the file is left as it is; move `{}` away to start again from the world file",
                            path.display()
                        )),
                    ),
                    _ => (Exit::Failure, None),
                };
                CliError {
                    exit,
                    error: anyhow::Error::new(e).context("cannot start the local simulator"),
                    hint,
                }
            })?;
        Ok(Self { handle })
    }

    /// The endpoint every client should use.
    pub fn endpoint_url(&self) -> String {
        self.handle.endpoint_url()
    }

    /// Stops the simulator and saves its world.
    ///
    /// # Errors
    /// The state file could not be written.
    pub async fn stop(self) -> Result<(), CliError> {
        self.handle.shutdown().await.map_err(|e| CliError {
            exit: Exit::Failure,
            error: anyhow::Error::new(e).context("cannot save the local simulator's state"),
            hint: None,
        })
    }
}
