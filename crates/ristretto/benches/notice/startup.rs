//! Issue 17 item 5: how long the binary takes for the commands that barely wait on AWS, so that a
//! start-up regression shows in the same output: `ristretto version`, `render` of the rolling
//! example, and `diff` of it against a simulator where it is deployed. Each is a separate process
//! timed from spawn to exit.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ristretto_sim::{SimConfig, World};

use super::tools::ristretto;

/// A command's times, sorted.
pub struct Timing {
    pub label: &'static str,
    pub times: Vec<Duration>,
}

/// Times each command `runs` times. Panics when the set-up fails (the example does not deploy
/// on the simulator, a command exits non-zero).
pub fn measure_all(runs: usize) -> Vec<Timing> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let world = World::from_yaml_file(&repo.join("examples/rolling/local-world.yaml"))
        .expect("the rolling example's world loads");
    // Fast world time: the example's deployment is set-up here, not measured.
    let config = SimConfig {
        world,
        state_file: None,
        speed: 50.0,
        request_log: None,
    };
    let sim = runtime
        .block_on(ristretto_sim::start(
            config,
            "127.0.0.1:0".parse().expect("addr"),
        ))
        .expect("the simulator starts");
    let endpoint = sim.endpoint_url();
    let config = ["--config", "examples/rolling/config.yaml"];
    let deployed = ristretto(&repo, &endpoint, &[&config[..], &["deploy"]].concat())
        .status()
        .is_ok_and(|s| s.success());
    assert!(deployed, "the rolling example deploys on the simulator");
    let timings = vec![
        Timing {
            label: "ristretto version",
            times: time(runs, || ristretto(&repo, &endpoint, &["version"])),
        },
        Timing {
            label: "ristretto render config taskdef servicedef",
            times: time(runs, || {
                ristretto(
                    &repo,
                    &endpoint,
                    &[&config[..], &["render", "config", "taskdef", "servicedef"]].concat(),
                )
            }),
        },
        Timing {
            label: "ristretto diff (deployed example, simulator)",
            times: time(runs, || {
                ristretto(&repo, &endpoint, &[&config[..], &["diff"]].concat())
            }),
        },
    ];
    let _ = runtime.block_on(sim.shutdown());
    timings
}

fn time(runs: usize, command: impl Fn() -> Command) -> Vec<Duration> {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let mut command = command();
            let start = Instant::now();
            let status = command.status();
            let elapsed = start.elapsed();
            assert!(status.is_ok_and(|s| s.success()), "{command:?} exits 0");
            elapsed
        })
        .collect();
    times.sort();
    times
}

/// The value at quantile `q` (0 to 1) of sorted `times`.
pub fn quantile(times: &[Duration], q: f64) -> Duration {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((times.len().saturating_sub(1)) as f64 * q).round() as usize;
    times.get(i).copied().unwrap_or_default()
}
