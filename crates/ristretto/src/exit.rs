//! The exit codes: a documented contract (README, `--help`), tested.

use ristretto_core::poll::Signal;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Success (and `diff` with no differences).
    Success,
    /// The operation failed: an AWS error, a deployment that failed or rolled back.
    Failure,
    /// `run`: the watched container exited with this (non-zero) code; `exec`: the
    /// session-manager-plugin did.
    Task(u8),
    /// Bad input (flags, config, template, definition); nothing was changed.
    BadInput,
    /// `diff --exit-code` found differences.
    Differs,
    /// Timed out while the deployment was still going.
    #[allow(dead_code)] // the waiting commands (deploy, wait) return it
    TimedOut,
    /// Interrupted by a signal while waiting (Ctrl-C, SIGTERM, SIGHUP).
    Interrupted(Signal),
}

impl Exit {
    /// The process exit status.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Failure => 1,
            Self::Task(code) => code,
            Self::BadInput => 2,
            Self::Differs => 3,
            Self::TimedOut => 4,
            Self::Interrupted(signal) => signal.exit_code(),
        }
    }
}

/// The exit code table as `--help` prints it.
pub const HELP: &str = "\
Exit codes:
  0    success (and `diff` with no differences)
  1    the operation failed (AWS error, deployment failed or rolled back)
  2    bad input (flags, config, template, definition): nothing was changed
  3    `diff --exit-code` found differences
  4    timed out while the deployment was still going
  130  interrupted by Ctrl-C (SIGINT); 143 by SIGTERM, 129 by SIGHUP: the deployment goes on
       (auto scaling paused by --pause-auto-scaling is resumed first); a second signal exits at once
  `run` exits with the watched container's exit code when it is not 0, `exec` with the
  session-manager-plugin's";
