//! Asking before destroying something: on a terminal the user types an
//! answer; anywhere else (CI, pipes) there is nobody to ask, so the command
//! refuses unless `--force` said yes beforehand.

use std::io::{BufRead, IsTerminal};

use crate::exit::Exit;
use crate::printer::Printer;
use crate::report::{CliError, bad_input};

/// Asks `question` and expects `expected` typed back; `force` skips asking.
///
/// # Errors
/// Not on a terminal without `force` (exit 2), or a different answer (exit 1).
pub fn confirm(
    printer: &Printer,
    force: bool,
    what: &str,
    question: &str,
    expected: &str,
) -> Result<(), CliError> {
    if force {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() || !std::io::stderr().is_terminal() {
        return Err(bad_input(
            format!("refusing to {what} without confirmation: not on a terminal"),
            Some("pass `--force` to go ahead without being asked"),
        ));
    }
    printer.info(question);
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer).map_err(|e| CliError {
        exit: Exit::Failure,
        error: anyhow::Error::new(e).context("cannot read the answer"),
        hint: None,
    })?;
    if answer.trim() == expected {
        Ok(())
    } else {
        Err(CliError {
            exit: Exit::Failure,
            error: anyhow::anyhow!("aborted: the answer was not `{expected}`; nothing was changed"),
            hint: None,
        })
    }
}
