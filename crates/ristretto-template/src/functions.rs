//! The plugin function registry, with ecspresso's loading rules.
//!
//! Rules (ecspresso `plugin.go`): the default plugins `ssm` and `secretsmanager` are always
//! loaded first, then the config's plugins in order; plugin names are case-insensitive;
//! `func_prefix` is prepended to each function a plugin provides; a name that an earlier plugin
//! already provides is an error telling to set `func_prefix`, except that a default plugin's
//! clash is skipped silently.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::error::{CallError, Position, TemplateError};
use crate::lookups::AwsLookups;
use crate::plugins;
use crate::value::Value;

/// A function body: positional arguments in, text out.
pub(crate) type CallFn = dyn Fn(&[Value]) -> Result<String, CallError> + Send + Sync;

/// Which syntaxes can call a function.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Syntaxes {
    pub(crate) go: bool,
    pub(crate) tera: bool,
    pub(crate) jsonnet: bool,
}

impl Syntaxes {
    pub(crate) const ALL: Self = Self {
        go: true,
        tera: true,
        jsonnet: true,
    };
    pub(crate) const TEMPLATES: Self = Self {
        go: true,
        tera: true,
        jsonnet: false,
    };
    pub(crate) const JSONNET: Self = Self {
        go: false,
        tera: false,
        jsonnet: true,
    };
}

/// One function a plugin provides.
#[derive(Clone)]
pub(crate) struct FunctionDef {
    /// Parameter names in positional order (tera and Jsonnet call by these names).
    pub(crate) params: &'static [&'static str],
    /// How many leading parameters are required.
    pub(crate) required: usize,
    /// The last parameter takes any number of values (a list in tera).
    pub(crate) variadic: bool,
    /// Results are secrets, recorded so that diffs and logs can mask them.
    pub(crate) secret: bool,
    pub(crate) syntaxes: Syntaxes,
    pub(crate) call: Arc<CallFn>,
}

impl FunctionDef {
    /// Checks the argument count, as Go's template executor does.
    pub(crate) fn check_arity(&self, name: &str, got: usize) -> Result<(), CallError> {
        let max_ok = self.variadic || got <= self.params.len();
        if got >= self.required && max_ok {
            return Ok(());
        }
        let want = if self.variadic {
            format!("at least {}", self.required)
        } else if self.required == self.params.len() {
            self.required.to_string()
        } else {
            format!("{} to {}", self.required, self.params.len())
        };
        Err(CallError::new(format!(
            "wrong number of args for {name}: want {want} got {got}"
        ))
        .with_hint(format!("`{name}` takes {}", self.signature())))
    }

    pub(crate) fn signature(&self) -> String {
        let mut parts = Vec::new();
        for (i, p) in self.params.iter().enumerate() {
            let last = i + 1 == self.params.len();
            let mut s = (*p).to_string();
            if last && self.variadic {
                s.push('…');
            }
            if i >= self.required {
                s = format!("[{s}]");
            }
            parts.push(s);
        }
        if parts.is_empty() {
            "no arguments".into()
        } else {
            parts.join(" ")
        }
    }
}

/// A `plugins:` entry of the config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PluginSpec {
    /// Plugin name (`tfstate`, `ssm`, `secretsmanager`, `cloudformation`), case-insensitive.
    pub name: String,
    /// Its `config` object (`{"path": …}` or `{"url": …}` for tfstate).
    pub config: serde_json::Value,
    /// Prepended to every function name the plugin provides.
    pub func_prefix: String,
    /// Where the entry is in the config file, for errors (line/column 0 when unknown).
    pub position: Position,
}

/// The functions that plugins provide, by (prefixed) name.
#[derive(Clone, Default)]
pub struct Functions {
    defs: BTreeMap<String, FunctionDef>,
}

impl std::fmt::Debug for Functions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.defs.keys()).finish()
    }
}

/// Plugins loaded whether or not the config lists them.
const DEFAULT_PLUGINS: [&str; 2] = ["ssm", "secretsmanager"];

impl Functions {
    /// No plugin functions at all: what a config file itself is rendered with (ecspresso v2
    /// renders configs with the default functions only).
    pub fn none() -> Self {
        Self::default()
    }

    /// The default plugins, then `specs` in order. `base_dir` resolves relative tfstate
    /// `path`s (the config file's folder); `lookups` performs the AWS reads.
    pub fn with_plugins(
        specs: &[PluginSpec],
        base_dir: &Path,
        lookups: Arc<dyn AwsLookups>,
    ) -> Result<Self, TemplateError> {
        let mut functions = Self::default();
        let defaults = DEFAULT_PLUGINS.iter().map(|name| PluginSpec {
            name: (*name).to_string(),
            config: serde_json::Value::Null,
            func_prefix: String::new(),
            position: Position::default(),
        });
        for spec in defaults.chain(specs.iter().cloned()) {
            let provided = plugins::setup(&spec, base_dir, &lookups)?;
            let is_default = DEFAULT_PLUGINS.contains(&spec.name.to_ascii_lowercase().as_str());
            let mut added = BTreeMap::new();
            for (name, def) in provided {
                let full = format!("{}{name}", spec.func_prefix);
                if functions.defs.contains_key(&full) {
                    if is_default {
                        continue;
                    }
                    return Err(TemplateError::new(
                        spec.position.clone(),
                        format!("template function `{full}` already exists"),
                    )
                    .with_hint(format!(
                        "set func_prefix to {} plugin, e.g. `func_prefix: second_`, and call `second_{name}`",
                        spec.name
                    )));
                }
                added.insert(full, def);
            }
            functions.defs.extend(added);
        }
        Ok(functions)
    }

    /// The names of all functions, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.defs.keys().map(String::as_str)
    }

    pub(crate) fn get(&self, name: &str) -> Option<&FunctionDef> {
        self.defs.get(name)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &FunctionDef)> {
        self.defs.iter().map(|(k, v)| (k.as_str(), v))
    }
}
