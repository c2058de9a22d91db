//! The plugins a config can load, and the functions each one provides.
//!
//! Each plugin module turns its `config` into named [`FunctionDef`]s; the registry in
//! `functions.rs` applies prefixes and the clash rules.

mod cloudformation;
mod secretsmanager;
mod ssm;
pub(crate) mod tfstate;

use std::path::Path;
use std::sync::Arc;

use crate::error::{CallError, TemplateError, did_you_mean};
use crate::functions::{FunctionDef, PluginSpec};
use crate::lookups::AwsLookups;
use crate::value::Value;

/// The plugin names ristretto knows.
pub(crate) const KNOWN: [&str; 4] = ["cloudformation", "secretsmanager", "ssm", "tfstate"];

/// The functions that plugin `spec` provides, unprefixed.
pub(crate) fn setup(
    spec: &PluginSpec,
    base_dir: &Path,
    lookups: &Arc<dyn AwsLookups>,
) -> Result<Vec<(&'static str, FunctionDef)>, TemplateError> {
    let name = spec.name.to_ascii_lowercase();
    match name.as_str() {
        "tfstate" => tfstate::setup(spec, base_dir, lookups),
        "ssm" => Ok(ssm::setup(lookups)),
        "secretsmanager" => Ok(secretsmanager::setup(lookups)),
        "cloudformation" => Ok(cloudformation::setup(lookups)),
        _ => {
            let mut hint = format!("known plugins: {}", KNOWN.join(", "));
            if let Some(suggestion) = did_you_mean(&name, KNOWN) {
                hint = format!("{suggestion} ({hint})");
            }
            Err(TemplateError::new(
                spec.position.clone(),
                format!("plugin {} is not available", spec.name),
            )
            .with_hint(hint))
        }
    }
}

/// Argument `index` of `func` as a string, with Go's type error otherwise.
pub(crate) fn str_arg<'a>(
    func: &str,
    args: &'a [Value],
    index: usize,
) -> Result<&'a str, CallError> {
    match args.get(index) {
        Some(Value::Str(s)) => Ok(s),
        Some(other) => Err(CallError::new(format!(
            "wrong type for value; expected string; got {} (argument {} of {func})",
            other.type_name(),
            index + 1
        ))),
        None => Err(CallError::new(format!(
            "missing argument {} of {func}",
            index + 1
        ))),
    }
}

/// A function taking only strings and returning text.
pub(crate) fn simple(
    params: &'static [&'static str],
    secret: bool,
    syntaxes: crate::functions::Syntaxes,
    call: impl Fn(&[Value]) -> Result<String, CallError> + Send + Sync + 'static,
) -> FunctionDef {
    FunctionDef {
        params,
        required: params.len(),
        variadic: false,
        secret,
        syntaxes,
        call: Arc::new(call),
    }
}

/// Whether `name` is a function that some plugin provides (ignoring prefixes).
pub(crate) fn is_plugin_function(name: &str) -> bool {
    [
        "tfstate",
        "tfstatef",
        "ssm",
        "secretsmanager_arn",
        "cfn_output",
        "cfn_export",
    ]
    .iter()
    .any(|f| name == *f || name.ends_with(&format!("_{f}")))
}
