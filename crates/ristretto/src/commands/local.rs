//! `local serve`: the simulator as a server, for the AWS CLI, boto3 or any SDK.

use ristretto_sim::{SimConfig, World};

use crate::cli::ServeArgs;
use crate::exit::Exit;
use crate::printer::Printer;
use crate::report::CliError;

/// Serves until Ctrl-C (or SIGTERM), then saves the state.
///
/// # Errors
/// A bad world file (exit 2), a port in use, an unwritable state file.
pub async fn serve(args: &ServeArgs, printer: &Printer) -> Result<(), CliError> {
    let world = match &args.world {
        Some(file) => World::from_yaml_file(file).map_err(|e| CliError {
            exit: Exit::BadInput,
            error: anyhow::Error::new(e)
                .context(format!("cannot load the world file `{}`", file.display())),
            hint: Some("see crates/ristretto-sim/world.example.yaml for the format".to_owned()),
        })?,
        None => World::default_world(),
    };
    if args.speed.is_nan() || args.speed <= 0.0 {
        return Err(crate::report::bad_input(
            "--speed must be a positive number",
            None,
        ));
    }
    let config = SimConfig {
        world,
        state_file: args.state.clone(),
        speed: args.speed,
        request_log: args.request_log.clone(),
    };
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], args.port));
    printer.info(&format!(
        "local AWS simulator on http://{addr} (Ctrl-C to stop)"
    ));
    ristretto_sim::serve(config, addr, shutdown_signal())
        .await
        .map_err(|e| CliError {
            exit: Exit::Failure,
            error: anyhow::Error::new(e).context("the local simulator stopped"),
            hint: Some(format!(
                "is port {} free? choose another with --port",
                args.port
            )),
        })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
