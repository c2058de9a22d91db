//! The `ristretto` binary: glue between the command line and the library
//! crates. Flags are parsed, resolved into [`settings::Settings`] once, and
//! handed to one command; the command's result becomes the exit code.

mod aws;
mod browser;
mod cli;
mod commands;
mod env_vars;
mod exit;
mod local;
mod lookups;
mod pick;
mod printer;
mod progress;
mod quota;
mod report;
mod settings;
mod signals;
mod view;

use std::process::ExitCode;

use clap::FromArgMatches;

use crate::aws::Target;
use crate::cli::{Cli, Command, LocalCommand, OutputFormat};
use crate::commands::Context;
use crate::exit::Exit;
use crate::printer::Printer;
use crate::report::CliError;

#[tokio::main]
async fn main() -> ExitCode {
    signals::listen();
    let cli = match cli::command()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches))
    {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::BadInput
            } else {
                Exit::Success
            };
            let _ = e.print();
            return ExitCode::from(code.code());
        }
    };
    let fallback = Printer::new(false, OutputFormat::Text);
    match run(cli).await {
        Ok(exit) => ExitCode::from(exit.code()),
        Err((printer, error)) => {
            report::print(printer.as_ref().unwrap_or(&fallback), &error);
            ExitCode::from(error.exit.code())
        }
    }
}

async fn run(mut cli: Cli) -> Result<Exit, (Option<Printer>, CliError)> {
    let plain = Printer::new(false, OutputFormat::Text);
    match &cli.command {
        Command::Version => {
            plain.data(&format!("ristretto {}\n", env!("CARGO_PKG_VERSION")));
            return Ok(Exit::Success);
        }
        Command::Completions(args) => {
            commands::completions::run(args, &plain);
            return Ok(Exit::Success);
        }
        Command::Schema(args) => {
            commands::schema::run(args, &plain);
            return Ok(Exit::Success);
        }
        Command::GenerateMan(args) => {
            return commands::man::run(args, &plain)
                .map(|()| Exit::Success)
                .map_err(|e| (None, e));
        }
        Command::Local(LocalCommand::Serve(args)) => {
            return commands::local::serve(args, &plain)
                .await
                .map(|()| Exit::Success)
                .map_err(|e| (None, e));
        }
        // `init` writes the config, so there is none to discover yet.
        Command::Init(_) if cli.global.config.is_empty() && env_vars::CONFIG.get().is_none() => {
            cli.global
                .config
                .push(commands::init::DEFAULT_CONFIG.to_owned());
        }
        _ => {}
    }
    let cwd = std::env::current_dir().map_err(|e| {
        let error = anyhow::Error::new(e).context("cannot read the current folder");
        (
            None,
            CliError {
                exit: Exit::Failure,
                error,
                hint: None,
            },
        )
    })?;
    let settings = settings::Settings::resolve(&cli.global, &cwd).map_err(|e| (None, e))?;
    if settings.markdown && !matches!(cli.command, Command::Diff(_)) {
        return Err((
            None,
            report::bad_input(
                "`--output markdown` is only for `diff`",
                Some("use `--output text` or `--output json` with this command"),
            ),
        ));
    }
    let live = settings.live.then(|| printer::Live {
        multi: indicatif::MultiProgress::new(),
        compact: settings.configs.len() > 1,
    });
    let printer = Printer::new(settings.color, settings.output)
        .with_live(live)
        .with_data_color(settings.color_data)
        .with_debug(settings.debug);
    let sim = if settings.local {
        let first = settings.configs.first().map(std::path::PathBuf::as_path);
        let sim = local::LocalSim::start(
            settings.local_world.as_deref(),
            first,
            &cwd,
            settings.local_speed,
        )
        .await
        .map_err(|e| (Some(printer.clone()), e))?;
        Some(sim)
    } else {
        None
    };
    let target = sim
        .as_ref()
        .map_or(Target::Aws, |s| Target::Local(s.endpoint_url()));
    if let Target::Local(url) = &target {
        printer.debug(&format!("local simulator at {url}"));
    }
    let ctx = Context {
        settings,
        printer: printer.clone(),
        cwd,
        target,
    };
    let result = match &cli.command {
        Command::Render(args) => commands::render::run(args, &ctx)
            .await
            .map(|()| Exit::Success),
        Command::Deploy(args) => commands::deploy::deploy(args, &ctx)
            .await
            .map(|()| Exit::Success),
        Command::Create(args) => commands::deploy::create(args, &ctx)
            .await
            .map(|()| Exit::Success),
        Command::Wait(args) => commands::deploy::wait(args, &ctx)
            .await
            .map(|()| Exit::Success),
        Command::Continue(args) => commands::continue_::run(args, &ctx)
            .await
            .map(|()| Exit::Success),
        Command::Rollback(args) => commands::rollback::run(args, &ctx)
            .await
            .map(|()| Exit::Success),
        Command::Refresh(args) => commands::scale::refresh(args, &ctx)
            .await
            .map(|()| Exit::Success),
        Command::Scale(args) => commands::scale::scale(args, &ctx)
            .await
            .map(|()| Exit::Success),
        Command::Delete(args) => commands::delete::run(args, &ctx)
            .await
            .map(|()| Exit::Success),
        Command::Register(args) => commands::register::register(args, &ctx)
            .await
            .map(|()| Exit::Success),
        Command::Deregister(args) => commands::register::deregister(args, &ctx)
            .await
            .map(|()| Exit::Success),
        Command::Run(args) => commands::run::run(args, &ctx).await.map(|()| Exit::Success),
        Command::Logs(args) => commands::logs::run(args, &ctx).await,
        Command::Diff(args) => commands::diff::run(args, &ctx).await,
        Command::Exec(args) => commands::exec::run(args, &ctx).await,
        Command::Status(args) => commands::status::run(args, &ctx).await,
        Command::Appspec(args) => commands::appspec::run(args, &ctx).await,
        Command::Init(args) => commands::init::run(args, &ctx).await,
        Command::Revisions(args) => commands::revisions::run(args, &ctx).await,
        Command::Tasks(args) => commands::tasks::run(args, &ctx).await,
        Command::Verify(args) => commands::verify::run(args, &ctx)
            .await
            .map(|()| Exit::Success),
        Command::Version
        | Command::Completions(_)
        | Command::Schema(_)
        | Command::GenerateMan(_)
        | Command::Local(_) => Ok(Exit::Success),
    };
    let result = result.map_err(|e| {
        let endpoint = match (&ctx.target, &ctx.settings.endpoint_url) {
            (Target::Local(url), _) => report::Endpoint::Local(url),
            (Target::Aws, Some(url)) => report::Endpoint::Given(url),
            (Target::Aws, None) => report::Endpoint::Aws(ctx.settings.region.as_deref()),
        };
        report::with_endpoint(e, &endpoint)
    });
    let stopped = match sim {
        Some(sim) => sim.stop().await,
        None => Ok(()),
    };
    result
        .and_then(|exit| stopped.map(|()| exit))
        .map_err(|e| (Some(printer), e))
}
