//! ecspresso's template syntax: a subset of Go's `text/template`, written from its spec.
//!
//! No Rust crate implements Go templates faithfully, and ecspresso files must render
//! byte-for-byte as they did. The subset is what definition files use: text, `{{ }}` actions,
//! `{{- -}}` trimming, comments, string/number/bool literals, pipelines, parenthesised calls,
//! `if`/`else if`/`else`/`end`, the Go built-ins `and or not eq ne lt le gt ge len print printf
//! println`, and ristretto's functions. Anything else is an error naming the construct.

mod exec;
mod lex;
mod parse;

use std::collections::BTreeSet;
use std::path::Path;

use crate::env::Env;
use crate::error::{Position, TemplateError, did_you_mean};
use crate::functions::Functions;

pub(crate) use exec::BUILTINS;

/// Renders Go-syntax `source` (read from `file`); returns the text and the secrets it used.
pub(crate) fn render(
    source: &str,
    file: &Path,
    env: &dyn Env,
    functions: &Functions,
) -> Result<(String, BTreeSet<String>), TemplateError> {
    let syntax_error = |e: lex::LexError| {
        let mut err = TemplateError::new(Position::at_offset(file, source, e.offset), e.message);
        err.hint = e.hint;
        if let Some(hint) = crate::syntax::tera_hint(source) {
            err.hint = Some(hint);
        }
        if err.hint.is_none() {
            err.hint = Some(syntax_hint(&err.message).into());
        }
        err
    };
    let items = lex::lex(source).map_err(syntax_error)?;
    let is_function =
        |name: &str| BUILTINS.contains(&name) || functions.get(name).is_some_and(|d| d.syntaxes.go);
    let suggest = |name: &str| {
        let plugin_names = functions
            .iter()
            .filter(|(_, d)| d.syntaxes.go)
            .map(|(n, _)| n);
        let mut hint = did_you_mean(name, BUILTINS.iter().copied().chain(plugin_names));
        if hint.is_none() && crate::plugins::is_plugin_function(name) {
            hint = Some(format!(
                "`{name}` comes from a plugin: add it under `plugins:` in the config (and check its `func_prefix`)"
            ));
        }
        hint
    };
    let nodes = parse::parse(items, &is_function, &suggest).map_err(syntax_error)?;
    let mut exec = exec::Exec {
        env,
        functions,
        file,
        source,
        secrets: BTreeSet::new(),
    };
    let mut out = String::with_capacity(source.len());
    exec.run(&nodes, &mut out)?;
    Ok((out, exec.secrets))
}

/// A hint for a syntax error that has no more specific one.
fn syntax_hint(message: &str) -> &'static str {
    match message {
        "unexpected {{end}}" => {
            "no `{{ if }}` is open here: remove this `{{ end }}` or add the `{{ if … }}`"
        }
        "unexpected {{else}}" => "`{{ else }}` belongs between `{{ if … }}` and `{{ end }}`",
        "unterminated quoted string" => {
            "close the string with `\"` on the same line, or use a backquoted raw string"
        }
        "missing value for command" => {
            "an action needs a value or a call, e.g. ``{{ env `TAG` `latest` }}``"
        }
        _ => {
            "the syntax is Go's text/template: ``{{ function `arg` }}``, ``{{ … | json_escape }}``, \
             ``{{ if … }}…{{ else }}…{{ end }}``, `{{/* comment */}}`"
        }
    }
}
