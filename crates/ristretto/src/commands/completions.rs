//! `completions`: shell completion scripts, generated from the clap definitions.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::printer::Printer;

/// Prints the completion script for the requested shell.
pub fn run(args: &CompletionsArgs, printer: &Printer) {
    let mut buffer = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "ristretto", &mut buffer);
    printer.data(&String::from_utf8_lossy(&buffer));
}
