//! Signals that ask ristretto to stop: SIGINT (Ctrl-C), SIGTERM (what CI
//! cancellation and container runtimes send) and SIGHUP are all handled
//! alike. The first one during a wait stops the wait
//! (`ristretto_core::poll::interruptible`): the command resumes auto scaling
//! it paused, says where the deployment stands and exits 128 + the signal's
//! number (130, 143, 129). A signal outside a wait, or a second one, ends the
//! process at once with the same code.

use ristretto_core::poll::{self, Signal};

use crate::cli::OutputFormat;
use crate::printer::Printer;

/// Starts listening for the signals for the rest of the process.
pub fn listen() {
    tokio::spawn(async {
        let mut signals = match Signals::new() {
            Ok(signals) => signals,
            // Without handlers the signals keep their default action (the
            // process ends at once), which is all we could do anyway.
            Err(_) => return,
        };
        while let Some(signal) = signals.next().await {
            if !poll::deliver(signal) {
                Printer::new(false, OutputFormat::Text).warn(&format!(
                    "{}: stopping at once; what was under way goes on in AWS",
                    signal.name()
                ));
                std::process::exit(i32::from(signal.exit_code()));
            }
        }
    });
}

#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    async fn next(&mut self) -> Option<Signal> {
        tokio::select! {
            s = self.interrupt.recv() => s.map(|()| Signal::Interrupt),
            s = self.terminate.recv() => s.map(|()| Signal::Terminate),
            s = self.hangup.recv() => s.map(|()| Signal::Hangup),
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn next(&mut self) -> Option<Signal> {
        tokio::signal::ctrl_c()
            .await
            .ok()
            .map(|()| Signal::Interrupt)
    }
}
