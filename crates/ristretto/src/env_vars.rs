//! Every environment variable ristretto reads, in one place.
//!
//! Flags can be set as `RISTRETTO_<FLAG>`; `ECSPRESSO_<FLAG>` is read too, so
//! existing pipelines keep working. A flag on the command line wins over both.

/// `RISTRETTO_DIFF_COMMAND` (or `ECSPRESSO_DIFF_COMMAND`): the command
/// `diff` shows differences with, as `diff --external` does.
pub const DIFF_COMMAND: &str = "DIFF_COMMAND";

/// The prefixes, in order of precedence.
pub const PREFIXES: [&str; 2] = ["RISTRETTO_", "ECSPRESSO_"];

/// The value of flag `name` (`CONFIG`, `TIMEOUT`, …) from the environment:
/// `RISTRETTO_<name>`, else `ECSPRESSO_<name>`. Empty values count as unset.
#[must_use]
pub fn flag(name: &str) -> Option<String> {
    PREFIXES
        .iter()
        .filter_map(|prefix| std::env::var(format!("{prefix}{name}")).ok())
        .find(|v| !v.is_empty())
}

/// Whether a boolean flag is set in the environment (`1`, `true`, `yes`).
#[must_use]
pub fn flag_bool(name: &str) -> bool {
    flag(name)
        .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
}

/// `NO_COLOR` (<https://no-color.org>): any non-empty value turns colour off.
#[must_use]
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Whether this runs in CI (`CI` set to anything but `false`/`0`): no live
/// views, no browser. (`BROWSER`, the browser `--open` starts, is read by the
/// `webbrowser` crate.)
#[must_use]
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}
