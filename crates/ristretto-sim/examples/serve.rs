//! Runs the simulator as a server until Ctrl-C, for trying it with the AWS CLI or boto3:
//!
//! ```text
//! cargo run -p ristretto-sim --example serve -- 127.0.0.1:4566 [world.yaml] [state.json] [speed]
//! aws --endpoint-url http://127.0.0.1:4566 ecs list-clusters
//! ```
//! (`ristretto local serve` is the supported way; this example is for working on the simulator.)
#![allow(clippy::print_stderr)]

use std::path::PathBuf;

use ristretto_sim::{SimConfig, World};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:4566".to_owned())
        .parse()?;
    let world = match args.next() {
        Some(path) if !path.is_empty() => World::from_yaml_file(&PathBuf::from(path))?,
        _ => World::default_world(),
    };
    let state_file = args.next().filter(|s| !s.is_empty()).map(PathBuf::from);
    let speed = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1.0);
    let config = SimConfig {
        world,
        state_file,
        speed,
        request_log: None,
    };
    eprintln!("simulator listening on http://{addr} (speed {speed})");
    ristretto_sim::serve(config, addr, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
