//! Jsonnet evaluation (placeholder).
use std::collections::BTreeMap;

/// `--ext-str` and `--ext-code` values.
#[derive(Debug, Clone, Default)]
pub struct JsonnetVars {
    /// `--ext-str NAME=VALUE`.
    pub ext_str: BTreeMap<String, String>,
    /// `--ext-code NAME=CODE`.
    pub ext_code: BTreeMap<String, String>,
}
