//! The one error type of this crate.
//!
//! Whatever goes wrong while reading a template, evaluating Jsonnet or setting up plugins, the
//! caller gets a [`TemplateError`] that says where (file, line, column) and, whenever there is a
//! likely fix, a hint. The binary prints it as `error:` … `hint:`; exit code 2 (bad input).

use std::fmt;
use std::path::{Path, PathBuf};

/// A place in a file: 1-based line and column (in characters).
///
/// `line` and `column` are 0 when an error concerns a whole file rather than a place in it
/// (for example a plugin whose position in the config file the caller did not know).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Position {
    /// The file the position is in.
    pub file: PathBuf,
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// 1-based column in characters, 0 when unknown.
    pub column: usize,
}

impl Position {
    /// A position in `file` at `line`:`column` (both 1-based).
    pub fn new(file: impl Into<PathBuf>, line: usize, column: usize) -> Self {
        Self {
            file: file.into(),
            line,
            column,
        }
    }

    /// The position of byte offset `offset` in `source`, read from `file`.
    pub(crate) fn at_offset(file: &Path, source: &str, offset: usize) -> Self {
        let (line, column) = line_col(source, offset);
        Self::new(file, line, column)
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        Ok(())
    }
}

/// 1-based line and character column of byte `offset` in `source`.
pub(crate) fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// An error in a template, a Jsonnet file, an env file or a plugin set-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{position}: {message}")]
pub struct TemplateError {
    /// Where the error is.
    pub position: Position,
    /// What went wrong (lowercase, no trailing period).
    pub message: String,
    /// How to fix it, when we can tell.
    pub hint: Option<String>,
}

impl TemplateError {
    /// An error at `position`.
    pub fn new(position: Position, message: impl Into<String>) -> Self {
        Self {
            position,
            message: message.into(),
            hint: None,
        }
    }

    /// The same error with a hint (replacing any previous one).
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The file the error is in.
    pub fn file(&self) -> &Path {
        &self.position.file
    }

    /// 1-based line (0 when the error is about the whole file).
    pub fn line(&self) -> usize {
        self.position.line
    }

    /// 1-based column (0 when the error is about the whole file).
    pub fn column(&self) -> usize {
        self.position.column
    }
}

/// The error a template function returns; the evaluator adds the position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CallError {
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

impl CallError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub(crate) fn at(self, position: Position) -> TemplateError {
        TemplateError {
            position,
            message: self.message,
            hint: self.hint,
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// "did you mean `x`?" for the candidate closest to `name`, when one is close enough.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let src = "ab\ncé{{x";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 3), (2, 1));
        // `{` comes after `c` and the two-byte `é`
        assert_eq!(line_col(src, 6), (2, 3));
    }

    #[test]
    fn display_omits_unknown_line() {
        let e = TemplateError::new(Position::new("a.yaml", 0, 0), "boom");
        assert_eq!(e.to_string(), "a.yaml: boom");
        let e = TemplateError::new(Position::new("a.yaml", 3, 7), "boom");
        assert_eq!(e.to_string(), "a.yaml:3:7: boom");
    }
}
