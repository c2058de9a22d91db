//! The `ristretto` binary: glue between the command line and the library
//! crates. Flags are parsed, resolved into [`settings::Settings`] once, and
//! handed to one command; the command's result becomes the exit code.

mod cli;
mod commands;
mod env_vars;
mod exit;
mod printer;
mod report;
mod settings;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, OutputFormat};
use crate::exit::Exit;
use crate::printer::Printer;
use crate::report::CliError;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
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
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err((printer, error)) => {
            report::print(printer.as_ref().unwrap_or(&fallback), &error);
            ExitCode::from(error.exit.code())
        }
    }
}

fn run(cli: Cli) -> Result<(), (Option<Printer>, CliError)> {
    match &cli.command {
        Command::Version => {
            Printer::new(false, OutputFormat::Text)
                .data(&format!("ristretto {}\n", env!("CARGO_PKG_VERSION")));
            return Ok(());
        }
        Command::Completions(args) => {
            commands::completions::run(args, &Printer::new(false, OutputFormat::Text));
            return Ok(());
        }
        _ => {}
    }
    let cwd = std::env::current_dir().map_err(|e| {
        (
            None,
            CliError {
                exit: Exit::Failure,
                error: anyhow::Error::new(e).context("cannot read the current folder"),
                hint: None,
            },
        )
    })?;
    let settings = settings::Settings::resolve(&cli.global, &cwd).map_err(|e| (None, e))?;
    let printer = Printer::new(settings.color, settings.output);
    let result = match &cli.command {
        Command::Render(args) => commands::render::run(args, &settings, &printer),
        Command::Version | Command::Completions(_) => Ok(()),
    };
    result.map_err(|e| (Some(printer), e))
}
