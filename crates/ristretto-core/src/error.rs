//! Errors from turning files into validated values: every one names the file,
//! and where it can the line, the JSON path and a hint that says what to do.
//!
//! All of them are input errors: the CLI exits with code 2 and nothing has
//! been sent to AWS.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::locate::Position;
use crate::path::JsonPath;

/// One thing wrong at one place in a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Where in the document.
    pub path: JsonPath,
    /// Where in the file, once located.
    pub position: Option<Position>,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// What is wrong with a value.
#[derive(Debug, Clone, PartialEq)]
pub enum ProblemKind {
    /// A key the shape does not have.
    UnknownField {
        /// The closest known key.
        suggestion: Option<String>,
    },
    /// A value of the wrong JSON type.
    WrongType {
        /// What the shape wants ("a string").
        expected: &'static str,
        /// What the file has ("a number").
        found: &'static str,
    },
    /// A value of the right type that is still not acceptable.
    Invalid {
        /// Why.
        message: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = &self.path;
        match &self.kind {
            ProblemKind::UnknownField { suggestion } => {
                let key = match path.segments().last() {
                    Some(crate::path::Segment::Key(k)) => k.as_str(),
                    _ => "",
                };
                write!(f, "unknown field `{key}` at `{path}`")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean `{s}`?)")?;
                }
                Ok(())
            }
            ProblemKind::WrongType { expected, found } => {
                write!(f, "`{path}` must be {expected}, found {found}")
            }
            ProblemKind::Invalid { message } => write!(f, "`{path}`: {message}"),
        }
    }
}

/// Why a config or definition file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// No `--config` was given and none of the default names exists.
    #[error("no config file found in `{}` (looked for {})", dir.display(), tried.join(", "))]
    NoConfig {
        /// Where we looked.
        dir: PathBuf,
        /// The names tried, in order.
        tried: Vec<&'static str>,
    },
    /// The file's extension selects no format.
    #[error("`{}` has an unsupported extension", path.display())]
    UnsupportedExtension {
        /// The file.
        path: PathBuf,
        /// The extensions that work.
        supported: &'static str,
    },
    /// The text is not valid JSON, YAML or Jsonnet.
    #[error("{} is not valid {format}: {message}", located(file, *position))]
    Syntax {
        /// The file.
        file: PathBuf,
        /// Where the parser stopped.
        position: Option<Position>,
        /// "JSON", "YAML", …
        format: &'static str,
        /// The parser's message.
        message: String,
    },
    /// The document parsed but does not fit its shape.
    #[error("`{}` is not a valid {what}", file.display())]
    Invalid {
        /// The file.
        file: PathBuf,
        /// "task definition", "service definition", "config".
        what: &'static str,
        /// Everything wrong with it, with positions.
        problems: Vec<Problem>,
    },
    /// A config value that cannot be used (bad timeout, version constraint…).
    #[error("{}: {message}", located(file, *position))]
    Value {
        /// The file.
        file: PathBuf,
        /// Where.
        position: Option<Position>,
        /// What is wrong.
        message: String,
        /// What to do.
        hint: Option<String>,
    },
    /// A template, Jsonnet file, env file or plugin failed.
    #[error(transparent)]
    Template(#[from] ristretto_template::TemplateError),
    /// The binary does not satisfy the config's `required_version`.
    #[error("ristretto {version} does not satisfy `required_version: {constraint}` in `{}`", file.display())]
    VersionMismatch {
        /// The config file.
        file: PathBuf,
        /// The constraint.
        constraint: String,
        /// This binary's version.
        version: String,
    },
}

/// `file:line:column`, the form editors and terminals can jump to.
pub(crate) fn located(file: &Path, position: Option<Position>) -> String {
    match position {
        Some(p) => format!("{}:{}:{}", file.display(), p.line, p.column),
        None => file.display().to_string(),
    }
}

impl LoadError {
    /// Lines that detail the error (one per problem), shown under it.
    #[must_use]
    pub fn details(&self) -> Vec<String> {
        match self {
            Self::Invalid { file, problems, .. } => problems
                .iter()
                .map(|p| format!("{}: {p}", located(file, p.position)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// What the user can do about it.
    #[must_use]
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound => Some(
                "check that the file exists; paths in a config are relative to the config file's folder"
                    .to_owned(),
            ),
            Self::Read { .. } => None,
            Self::NoConfig { .. } => {
                Some("pass `--config FILE`, or run `ristretto init` to write one".to_owned())
            }
            Self::UnsupportedExtension { supported, .. } => Some(format!("use one of {supported}")),
            Self::Syntax { format, .. } => Some(format!("fix the {format} syntax at the position shown")),
            Self::Invalid { what, problems, .. } => {
                let unknown = problems
                    .iter()
                    .any(|p| matches!(p.kind, ProblemKind::UnknownField { .. }));
                Some(if *what == "config" {
                    "config.yaml.example documents every key and its type".to_owned()
                } else if unknown {
                    "field names follow the ECS API reference (camelCase); fix or remove the fields shown"
                        .to_owned()
                } else {
                    "values follow the ECS API reference; fix the fields shown".to_owned()
                })
            }
            Self::Value { hint, .. } => hint.clone(),
            Self::Template(e) => e.hint.clone(),
            Self::VersionMismatch { .. } => Some(
                "install a ristretto version that satisfies the constraint, or change `required_version`"
                    .to_owned(),
            ),
        }
    }
}
