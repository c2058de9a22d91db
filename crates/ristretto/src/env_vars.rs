//! Every environment variable ristretto reads, declared once: its name, what
//! it means and its default. Settings read them through this module only;
//! `--help` and the README list them from [`ALL`] (a test keeps the README
//! in step).
//!
//! Flags can be set as `RISTRETTO_<FLAG>`; `ECSPRESSO_<FLAG>` is read too, so
//! existing pipelines keep working. A flag on the command line wins over both.

/// An environment variable ristretto reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Var {
    /// The name: without prefix for flag variables (`TIMEOUT` is read as
    /// `RISTRETTO_TIMEOUT`, then `ECSPRESSO_TIMEOUT`), else the whole name.
    pub name: &'static str,
    /// Whether it is a flag variable, read with the two prefixes.
    pub prefixed: bool,
    /// What it sets.
    pub meaning: &'static str,
    /// What applies when it is unset.
    pub default: &'static str,
}

const fn flag_var(name: &'static str, meaning: &'static str, default: &'static str) -> Var {
    Var {
        name,
        prefixed: true,
        meaning,
        default,
    }
}

/// `--config`.
pub const CONFIG: Var = flag_var(
    "CONFIG",
    "the config file (`--config`)",
    "ristretto.yml, …, ecspresso.jsonnet in the current folder",
);
/// `--envfile`.
pub const ENVFILE: Var = flag_var(
    "ENVFILE",
    "files of variables for templates, comma-separated (`--envfile`)",
    "none",
);
/// `--ext-str`.
pub const EXT_STR: Var = flag_var(
    "EXT_STR",
    "Jsonnet external strings, `NAME=VALUE;…` (`--ext-str`)",
    "none",
);
/// `--ext-code`.
pub const EXT_CODE: Var = flag_var(
    "EXT_CODE",
    "Jsonnet external code, `NAME=CODE;…` (`--ext-code`)",
    "none",
);
/// `--assume-role-arn`.
pub const ASSUME_ROLE_ARN: Var = flag_var(
    "ASSUME_ROLE_ARN",
    "a role to assume for every AWS call (`--assume-role-arn`)",
    "none",
);
/// `--timeout`.
pub const TIMEOUT: Var = flag_var(
    "TIMEOUT",
    "how long to wait for a deployment (`--timeout`)",
    "the config's `timeout`, else 10m",
);
/// `--no-progress-timeout`.
pub const NO_PROGRESS_TIMEOUT: Var = flag_var(
    "NO_PROGRESS_TIMEOUT",
    "give up when nothing changed for this long (`--no-progress-timeout`)",
    "never",
);
/// `--region`.
pub const REGION: Var = flag_var(
    "REGION",
    "the AWS region (`--region`)",
    "the config's `region`, else AWS_REGION or the profile's",
);
/// `--profile`.
pub const PROFILE: Var = flag_var(
    "PROFILE",
    "the AWS profile (`--profile`)",
    "AWS_PROFILE, else the default profile",
);
/// `--endpoint-url`.
pub const ENDPOINT_URL: Var = flag_var(
    "ENDPOINT_URL",
    "send every AWS call to this URL (`--endpoint-url`)",
    "AWS_ENDPOINT_URL*, else AWS",
);
/// `--local`.
pub const LOCAL: Var = flag_var(
    "LOCAL",
    "`1`/`true`: run against the built-in simulator (`--local`)",
    "off",
);
/// `--local-world`.
pub const LOCAL_WORLD: Var = flag_var(
    "LOCAL_WORLD",
    "the simulator's world file for a fresh state (`--local-world`)",
    "local-world.yaml beside the config",
);
/// How much faster than real time `--local` runs.
pub const LOCAL_SPEED: Var = flag_var(
    "LOCAL_SPEED",
    "how many times faster than real time the `--local` world runs (when set, also a `local serve --speed` one at `--endpoint-url`)",
    "20",
);
/// `--parallel`.
pub const PARALLEL: Var = flag_var(
    "PARALLEL",
    "services handled at once with several configs (`--parallel`)",
    "20",
);
/// `--output`.
pub const OUTPUT: Var = flag_var(
    "OUTPUT",
    "`text`, `json` or `markdown` (`diff` only) (`--output`)",
    "text",
);
/// `--color`.
pub const COLOR: Var = flag_var("COLOR", "`auto`, `always` or `never` (`--color`)", "auto");
/// `--debug`.
pub const DEBUG: Var = flag_var("DEBUG", "`1`/`true`: debug output (`--debug`)", "off");
/// `diff --external`.
pub const DIFF_COMMAND: Var = flag_var(
    "DIFF_COMMAND",
    "the command `diff` hands both files to (`diff --external`)",
    "the built-in unified diff",
);
/// `tasks --filter-command` (and every command that chooses a task).
pub const FILTER_COMMAND: Var = flag_var(
    "FILTER_COMMAND",
    "a command that chooses one task among several: candidates on its stdin, the chosen line on its stdout (`--filter-command`)",
    "the config's `filter_command`, else the built-in picker",
);
/// <https://no-color.org>.
pub const NO_COLOR: Var = Var {
    name: "NO_COLOR",
    prefixed: false,
    meaning: "any value: no colours",
    default: "colours on a terminal",
};
/// Set by CI systems.
pub const CI: Var = Var {
    name: "CI",
    prefixed: false,
    meaning: "set (not `false`/`0`): plain log lines instead of the live view; `--open` starts no browser",
    default: "unset",
};
/// The terminal type.
pub const TERM: Var = Var {
    name: "TERM",
    prefixed: false,
    meaning: "`dumb`: plain log lines instead of the live view",
    default: "",
};
/// Read by the `webbrowser` crate for `--open`.
pub const BROWSER: Var = Var {
    name: "BROWSER",
    prefixed: false,
    meaning: "the browser `--open` starts",
    default: "the system's",
};

/// Every variable, in the order `--help` lists them.
pub const ALL: [Var; 23] = [
    CONFIG,
    ENVFILE,
    EXT_STR,
    EXT_CODE,
    ASSUME_ROLE_ARN,
    TIMEOUT,
    NO_PROGRESS_TIMEOUT,
    REGION,
    PROFILE,
    ENDPOINT_URL,
    LOCAL,
    LOCAL_WORLD,
    LOCAL_SPEED,
    PARALLEL,
    OUTPUT,
    COLOR,
    DEBUG,
    DIFF_COMMAND,
    FILTER_COMMAND,
    NO_COLOR,
    CI,
    TERM,
    BROWSER,
];

/// The prefixes of flag variables, in order of precedence.
pub const PREFIXES: [&str; 2] = ["RISTRETTO_", "ECSPRESSO_"];

/// A value read from the environment, and the variable it came from (for
/// messages that must name the true source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The value.
    pub value: String,
    /// The whole variable name, e.g. `ECSPRESSO_OUTPUT`.
    pub from: String,
}

impl Var {
    /// The value and its variable: `RISTRETTO_<name>`, else
    /// `ECSPRESSO_<name>` (or the bare name for other variables). Empty
    /// values count as unset.
    #[must_use]
    pub fn found(&self) -> Option<Found> {
        let names: Vec<String> = if self.prefixed {
            PREFIXES
                .iter()
                .map(|p| format!("{p}{}", self.name))
                .collect()
        } else {
            vec![self.name.to_owned()]
        };
        names.into_iter().find_map(|from| {
            std::env::var(&from)
                .ok()
                .filter(|v| !v.is_empty())
                .map(|value| Found { value, from })
        })
    }

    /// The value, when set.
    #[must_use]
    pub fn get(&self) -> Option<String> {
        self.found().map(|f| f.value)
    }

    /// Whether a boolean variable is set (`1`, `true`, `yes`, `on`).
    #[must_use]
    pub fn is_on(&self) -> bool {
        self.get()
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
    }

    /// How `--help` and the README name it: `RISTRETTO_TIMEOUT` or `CI`.
    #[must_use]
    pub fn display_name(&self) -> String {
        if self.prefixed {
            format!("{}{}", PREFIXES[0], self.name)
        } else {
            self.name.to_owned()
        }
    }
}

/// `NO_COLOR` (<https://no-color.org>): any non-empty value turns colour off.
#[must_use]
pub fn no_color() -> bool {
    NO_COLOR.found().is_some()
}

/// Whether this runs in CI (`CI` set to anything but `false`/`0`): no live
/// views, no browser.
#[must_use]
pub fn ci() -> bool {
    CI.get().is_some_and(|v| v != "false" && v != "0")
}

/// Whether the terminal is a dumb one (`TERM=dumb`, or no `TERM` at all).
#[must_use]
pub fn dumb_terminal() -> bool {
    TERM.get().is_none_or(|t| t == "dumb")
}

/// The table of variables for `--help`.
#[must_use]
pub fn help() -> String {
    let width = ALL
        .iter()
        .map(|v| v.display_name().len())
        .max()
        .unwrap_or(0);
    let mut text = String::from(
        "Environment (RISTRETTO_<FLAG> may also be spelt ECSPRESSO_<FLAG>; a flag wins over both):\n",
    );
    for var in ALL {
        let default = if var.default.is_empty() {
            String::new()
        } else {
            format!(" [default: {}]", var.default)
        };
        text.push_str(&format!(
            "  {:<width$}  {}{default}\n",
            var.display_name(),
            var.meaning
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variable_is_listed_once_in_the_help() {
        let help = help();
        for var in ALL {
            assert_eq!(
                help.matches(&format!("  {} ", var.display_name())).count(),
                1,
                "{} in\n{help}",
                var.display_name()
            );
        }
    }

    #[test]
    fn the_readme_lists_every_variable_as_declared() {
        let readme = include_str!("../../../README.md");
        for var in ALL {
            let row = format!(
                "| `{}` | {} | {} |",
                var.display_name(),
                var.meaning.replace('|', "\\|"),
                var.default
            );
            assert!(
                readme.contains(&row),
                "README.md's environment table lacks the row\n{row}"
            );
        }
    }
}
