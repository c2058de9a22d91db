//! Where `env` and `must_env` read variables from, and `--envfile` parsing.
//!
//! Rendering never reads `std::env` directly: it asks an [`Env`], so that tests can give a fixed
//! set of variables and `--envfile` values can be layered over the process environment without
//! mutating it (ecspresso calls `godotenv.Overload`, which sets them process-wide).

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Position, TemplateError};

/// A source of environment variables.
pub trait Env: Send + Sync {
    /// The value of `name`, or `None` when it is not set. A variable set to `""` is `Some("")`.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment overlaid with values from `--envfile` files (the overlay wins,
/// as with ecspresso, which overloads the process environment with them).
#[derive(Debug, Clone, Default)]
pub struct ProcessEnv {
    overlay: BTreeMap<String, String>,
}

impl ProcessEnv {
    /// The process environment alone.
    pub fn new() -> Self {
        Self::default()
    }

    /// The process environment overlaid with `pairs` (later pairs win).
    pub fn with_overlay(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self {
            overlay: pairs.into_iter().collect(),
        }
    }

    /// The process environment overlaid with the variables of `files` (later files win).
    pub fn with_envfiles<P: AsRef<Path>>(files: &[P]) -> Result<Self, TemplateError> {
        Ok(Self::with_overlay(load_envfiles(files)?))
    }
}

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        if let Some(v) = self.overlay.get(name) {
            return Some(v.clone());
        }
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    }
}

/// A fixed set of variables, for tests and for callers that resolved the environment already.
#[derive(Debug, Clone, Default)]
pub struct MapEnv(pub BTreeMap<String, String>);

impl MapEnv {
    /// A map environment from `(name, value)` pairs.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl Env for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

/// Reads `KEY=VALUE` env files (`export KEY=V`, quotes, `#` comments, `${VAR}` expansion)
/// and returns their pairs in order; when a key repeats, the later file wins.
pub fn load_envfiles<P: AsRef<Path>>(files: &[P]) -> Result<Vec<(String, String)>, TemplateError> {
    let mut merged: BTreeMap<String, String> = BTreeMap::new();
    for file in files {
        for (k, v) in parse_envfile(file.as_ref())? {
            merged.insert(k, v);
        }
    }
    Ok(merged.into_iter().collect())
}

/// The `(key, value)` pairs of one env file, in file order.
pub fn parse_envfile(file: &Path) -> Result<Vec<(String, String)>, TemplateError> {
    let source = std::fs::read_to_string(file).map_err(|e| {
        TemplateError::new(
            Position::new(file, 0, 0),
            format!("failed to read env file: {e}"),
        )
        .with_hint("check the path given to `--envfile`")
    })?;
    let mut pairs = Vec::new();
    for item in dotenvy::from_read_iter(source.as_bytes()) {
        match item {
            Ok(pair) => pairs.push(pair),
            Err(dotenvy::Error::LineParse(line, index)) => {
                let line_no = source
                    .lines()
                    .position(|l| l.trim_end() == line.trim_end() || l.contains(line.trim()))
                    .map_or(0, |i| i + 1);
                let column = line.get(..index).map_or(1, |s| s.chars().count() + 1);
                return Err(TemplateError::new(
                    Position::new(file, line_no, if line_no == 0 { 0 } else { column }),
                    format!("invalid line in env file: `{}`", line.trim_end()),
                )
                .with_hint(
                    "each line must be `KEY=VALUE` or `export KEY=VALUE`; quote values with spaces",
                ));
            }
            Err(e) => {
                return Err(TemplateError::new(
                    Position::new(file, 0, 0),
                    format!("failed to read env file: {e}"),
                ));
            }
        }
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("write {name}: {e}"));
        p
    }

    #[test]
    fn envfile_accepts_export_quotes_and_comments() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let f = write(
            dir.path(),
            "envfile",
            "# comment\nexport ECSPRESSO_TEST=ok\nA=\"x y\"\nB='single # not comment'\nC=plain # trailing\n\nD=\n",
        );
        let pairs = parse_envfile(&f).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            pairs,
            vec![
                ("ECSPRESSO_TEST".into(), "ok".into()),
                ("A".into(), "x y".into()),
                ("B".into(), "single # not comment".into()),
                ("C".into(), "plain".into()),
                ("D".into(), String::new()),
            ]
        );
    }

    #[test]
    fn later_envfiles_win() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let a = write(dir.path(), "envfile", "export ECSPRESSO_TEST=ok\n");
        let b = write(
            dir.path(),
            "envfile2",
            "export ECSPRESSO_TEST=ok2\nECSPRESSO_TEST2=ok2\n",
        );
        let env = ProcessEnv::with_envfiles(&[a, b]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(env.var("ECSPRESSO_TEST").as_deref(), Some("ok2"));
        assert_eq!(env.var("ECSPRESSO_TEST2").as_deref(), Some("ok2"));
    }

    #[test]
    fn envfile_syntax_error_has_line_and_hint() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let f = write(dir.path(), "bad", "A=1\n0BAD=2\n");
        let err = parse_envfile(&f)
            .err()
            .unwrap_or_else(|| panic!("expected an error"));
        assert_eq!(err.file(), f.as_path());
        assert_eq!(err.line(), 2);
        assert_eq!(err.column(), 1);
        assert!(err.hint.is_some());
    }

    #[test]
    fn missing_envfile_is_an_error() {
        let err = parse_envfile(Path::new("/nonexistent/envfile"))
            .err()
            .unwrap_or_else(|| panic!("expected an error"));
        assert!(err.message.contains("failed to read env file"), "{err}");
    }
}
