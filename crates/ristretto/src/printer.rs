//! All output goes through here: data on stdout, logs on stderr, colours only
//! where they help (a terminal, no `NO_COLOR`).

use std::io::Write;

use anstyle::{AnsiColor, Style};

use crate::cli::OutputFormat;

/// Writes data and messages.
#[derive(Debug, Clone)]
pub struct Printer {
    color: bool,
    data_color: bool,
    output: OutputFormat,
    debug: bool,
    live: Option<Live>,
    /// Secret values no output may show (see [`ristretto_core::secrets`]).
    secrets: ristretto_core::secrets::Secrets,
}

/// Live progress on a terminal: the views of the services being deployed,
/// drawn under everything else written to stderr.
#[derive(Debug, Clone)]
pub struct Live {
    /// Where the views are drawn.
    pub multi: indicatif::MultiProgress,
    /// One line per service (several services at once).
    pub compact: bool,
}

const BOLD_RED: Style = AnsiColor::Red.on_default().bold();
const BOLD_YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const BOLD_CYAN: Style = AnsiColor::Cyan.on_default().bold();
const BOLD_GREEN: Style = AnsiColor::Green.on_default().bold();
const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

/// `HH:MM:SS` (UTC) for progress lines.
fn time_of_day() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

impl Printer {
    /// A printer; `color` decides whether stderr gets ANSI styles.
    #[must_use]
    pub fn new(color: bool, output: OutputFormat) -> Self {
        Self {
            color,
            data_color: false,
            output,
            debug: false,
            live: None,
            secrets: ristretto_core::secrets::Secrets::new(),
        }
    }

    /// The secret values this printer masks in everything it writes; loaders
    /// add to it (clones share one set).
    #[must_use]
    pub fn secrets(&self) -> ristretto_core::secrets::Secrets {
        self.secrets.clone()
    }

    /// The same printer, drawing live progress views when `live` is set.
    #[must_use]
    pub fn with_live(mut self, live: Option<Live>) -> Self {
        self.live = live;
        self
    }

    /// Live progress, when stderr is a terminal that gets it.
    #[must_use]
    pub fn live(&self) -> Option<&Live> {
        self.live.as_ref()
    }

    /// The same printer, colouring data on stdout (diffs) when `color`.
    #[must_use]
    pub fn with_data_color(mut self, color: bool) -> Self {
        self.data_color = color;
        self
    }

    /// Whether data on stdout may carry ANSI styles.
    #[must_use]
    pub fn data_color(&self) -> bool {
        self.data_color
    }

    /// The same printer, showing debug lines when `debug` is set.
    #[must_use]
    pub fn with_debug(mut self, debug: bool) -> Self {
        self.debug = debug;
        self
    }

    /// A debug line on stderr (only with `--debug`).
    pub fn debug(&self, message: &str) {
        if self.debug {
            self.line(&format!("{}: {message}", self.paint(DIM, "debug")));
        }
    }

    /// The output format data should use.
    #[must_use]
    pub fn output(&self) -> OutputFormat {
        self.output
    }

    /// Data for stdout (rendered files, diffs, status). Written as given.
    pub fn data(&self, text: &str) {
        let text = self.secrets.mask(text);
        let mut out = std::io::stdout().lock();
        // A closed pipe (`ristretto render | head`) is not an error worth reporting.
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    /// An informational line on stderr.
    pub fn info(&self, message: &str) {
        self.line(message);
    }

    /// A progress line on stderr: `HH:MM:SS label message`.
    pub fn progress(&self, label: &str, message: &str) {
        let now = time_of_day();
        self.line(&format!(
            "{} {} {message}",
            self.paint(DIM, &now),
            self.paint(BOLD, label)
        ));
    }

    /// A progress event as one JSON line on stderr.
    pub fn progress_json(&self, value: &serde_json::Value) {
        self.line(&value.to_string());
    }

    /// A warning on stderr.
    pub fn warn(&self, message: &str) {
        self.line(&format!(
            "{}: {message}",
            self.paint(BOLD_YELLOW, "warning")
        ));
    }

    /// An error report on stderr: the error, its causes, the details and a hint.
    pub fn error(&self, message: &str, details: &[String], causes: &[String], hint: Option<&str>) {
        let mut text = format!("{}: {message}", self.paint(BOLD_RED, "error"));
        for detail in details {
            text.push_str(&format!("\n  {} {detail}", self.paint(BOLD, "-->")));
        }
        for cause in causes {
            text.push_str(&format!("\n  {}: {cause}", self.paint(BOLD, "caused by")));
        }
        if let Some(hint) = hint {
            text.push_str(&format!("\n{}: {hint}", self.paint(BOLD_CYAN, "hint")));
        }
        self.line(&text);
    }

    /// A check's result as `verify` shows it: `[OK]` green, `[NG]` red, `[SKIP]` cyan.
    pub fn result(&self, result: &str) -> String {
        let style = match result {
            "OK" => BOLD_GREEN,
            "NG" => BOLD_RED,
            _ => BOLD_CYAN,
        };
        self.paint(style, &format!("[{result}]"))
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }

    fn line(&self, text: &str) {
        let text = self.secrets.mask(text);
        let write = || {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "{text}");
        };
        match &self.live {
            // Above the live views, which are redrawn after.
            Some(live) => live.multi.suspend(write),
            None => write(),
        }
    }
}
