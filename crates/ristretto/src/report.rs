//! Errors as the user sees them: `error:`, details, `caused by:`, `hint:`,
//! and the exit code each kind of failure maps to.

use ristretto_core::LoadError;

use crate::exit::Exit;
use crate::printer::Printer;

/// A failed command: what went wrong, and how the process exits.
#[derive(Debug)]
pub struct CliError {
    /// The exit code.
    pub exit: Exit,
    /// The error and its causes.
    pub error: anyhow::Error,
    /// What to do about it.
    pub hint: Option<String>,
}

impl From<LoadError> for CliError {
    fn from(error: LoadError) -> Self {
        let hint = error.hint();
        Self {
            exit: Exit::BadInput,
            error: error.into(),
            hint,
        }
    }
}

/// A bad-input error (exit code 2) with an optional hint.
pub fn bad_input(message: impl Into<String>, hint: Option<&str>) -> CliError {
    CliError {
        exit: Exit::BadInput,
        error: anyhow::anyhow!(message.into()),
        hint: hint.map(str::to_owned),
    }
}

/// Prints `error` through `printer`.
pub fn print(printer: &Printer, error: &CliError) {
    let details = error
        .error
        .downcast_ref::<LoadError>()
        .map(LoadError::details)
        .unwrap_or_default();
    let causes: Vec<String> = error
        .error
        .chain()
        .skip(1)
        .map(ToString::to_string)
        .collect();
    printer.error(
        &error.error.to_string(),
        &details,
        &causes,
        error.hint.as_deref(),
    );
}
