//! The one place secret values are kept so that no output shows them: every
//! source of a secret (a template's `ssm` SecureString lookup, a Secrets
//! Manager value) adds it here, and every writer (plans, diffs, events, debug
//! lines, JSON, errors) passes its text through [`Secrets::mask`].
//!
//! A dry run's plan is what CI logs keep (issue 14, item 5): masking at the
//! printer, rather than in each command, means a new output cannot forget it.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use crate::diff::MASK;

/// Secret values seen so far, shared by the loader and the printer.
#[derive(Debug, Clone, Default)]
pub struct Secrets(Arc<Mutex<BTreeSet<String>>>);

impl Secrets {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers `values` (empty ones are ignored: they would mask nothing
    /// useful and everything else).
    pub fn add<'a>(&self, values: impl IntoIterator<Item = &'a String>) {
        let mut set = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        set.extend(values.into_iter().filter(|v| !v.is_empty()).cloned());
    }

    /// `text` with every secret replaced by [`MASK`], also where it appears
    /// escaped inside a JSON string; the longest secrets first, so one that
    /// contains another is masked whole.
    #[must_use]
    pub fn mask(&self, text: &str) -> String {
        let set = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if set.is_empty() {
            return text.to_owned();
        }
        let mut secrets: Vec<&String> = set.iter().collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let mut out = text.to_owned();
        for secret in secrets {
            out = out.replace(secret.as_str(), MASK);
            let escaped = serde_json::to_string(secret).unwrap_or_default();
            let inner = escaped
                .strip_prefix('"')
                .and_then(|e| e.strip_suffix('"'))
                .unwrap_or_default();
            if !inner.is_empty() && inner != secret.as_str() {
                out = out.replace(inner, MASK);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_plain_and_json_escaped_values_longest_first() {
        let secrets = Secrets::new();
        secrets.add(&["pa\"ss".to_owned(), "pa".to_owned(), String::new()]);
        let json = serde_json::json!({"value": "pa\"ss"}).to_string();
        assert_eq!(secrets.mask(&json), "{\"value\":\"********\"}");
        assert_eq!(secrets.mask("x pa\"ss pa y"), "x ******** ******** y");
        assert_eq!(Secrets::new().mask("pa"), "pa");
    }
}
