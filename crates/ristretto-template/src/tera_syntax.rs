//! tera 2 for new files (`*.tera`): the same functions, called with named arguments.
//!
//! `{{ must_env(name="TAG") }}`, `{{ env(name="TAG", default="latest") }}`,
//! `{{ x | json_escape }}`, `{{ tfstate(address="aws_subnet.a.id") }}`,
//! `{{ ssm(name="/p", index=1) }}`, `{{ tfstatef(format="x['%s'].id", args=["a"]) }}`.
//! In tera, `env`'s default is a literal (not looked up as a variable, unlike the Go syntax)
//! and defaults to `""`. Autoescaping is off: the output is JSON/YAML, not HTML.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use tera::{Context, ErrorKind, Kwargs, State, Tera};

use crate::builtins;
use crate::env::Env;
use crate::error::{CallError, Position, TemplateError};
use crate::functions::{FunctionDef, Functions};
use crate::value::Value;

/// What function calls leave behind during one render.
#[derive(Default)]
struct Trace {
    secrets: BTreeSet<String>,
    /// The hint of the last failed call: tera keeps only the message.
    hint: Option<String>,
}

type Shared = Arc<Mutex<Trace>>;

fn lock(t: &Shared) -> std::sync::MutexGuard<'_, Trace> {
    t.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Renders tera `source` (read from `file`); returns the text and the secrets it used.
pub(crate) fn render(
    source: &str,
    file: &Path,
    env: &Arc<dyn Env>,
    functions: &Functions,
) -> Result<(String, BTreeSet<String>), TemplateError> {
    let trace: Shared = Arc::default();
    let mut tera = Tera::new();
    tera.autoescape_on(Vec::<&str>::new());
    register_builtins(&mut tera, env, &trace);
    for (name, def) in functions.iter().filter(|(_, d)| d.syntaxes.tera) {
        register(&mut tera, name, def.clone(), &trace);
    }
    match tera.render_str(source, &Context::new(), false) {
        Ok(text) => {
            let secrets = std::mem::take(&mut lock(&trace).secrets);
            Ok((text, secrets))
        }
        Err(e) => {
            let hint = lock(&trace).hint.take();
            let mut known = vec!["env", "must_env"];
            known.extend(
                functions
                    .iter()
                    .filter(|(_, d)| d.syntaxes.tera)
                    .map(|(n, _)| n),
            );
            Err(convert_error(&e, source, file, hint, &known))
        }
    }
}

fn fail(trace: &Shared, e: CallError) -> tera::Error {
    lock(trace).hint = e.hint;
    tera::Error::message(e.message)
}

fn register_builtins(tera: &mut Tera, env: &Arc<dyn Env>, trace: &Shared) {
    let (e, t) = (Arc::clone(env), Arc::clone(trace));
    tera.register_function("env", move |kwargs: Kwargs, _: &State| {
        let args =
            positional("env", &["name", "default"], 1, false, &kwargs).map_err(|c| fail(&t, c))?;
        let name = string_arg("env", &args, 0).map_err(|c| fail(&t, c))?;
        let default = match args.get(1) {
            Some(Value::Nil) | None => None,
            Some(_) => Some(string_arg("env", &args, 1).map_err(|c| fail(&t, c))?),
        };
        Ok::<_, tera::Error>(builtins::env_named(&*e, &name, default.as_deref()))
    });
    let (e, t) = (Arc::clone(env), Arc::clone(trace));
    tera.register_function("must_env", move |kwargs: Kwargs, _: &State| {
        let args = positional("must_env", &["name"], 1, false, &kwargs).map_err(|c| fail(&t, c))?;
        let name = string_arg("must_env", &args, 0).map_err(|c| fail(&t, c))?;
        builtins::must_env(&*e, &name).map_err(|c| fail(&t, c))
    });
    let t = Arc::clone(trace);
    tera.register_filter(
        "json_escape",
        move |value: tera::Value, _: Kwargs, _: &State| match value.as_str() {
            Some(s) => Ok(builtins::json_escape(s)),
            None => Err(fail(
                &t,
                CallError::new(format!(
                    "json_escape expects a string, got {}",
                    value.name()
                )),
            )),
        },
    );
}

fn register(tera: &mut Tera, name: &str, def: FunctionDef, trace: &Shared) {
    let t = Arc::clone(trace);
    let fname = name.to_string();
    tera.register_function(name.to_string(), move |kwargs: Kwargs, _: &State| {
        let args = positional(&fname, def.params, def.required, def.variadic, &kwargs)
            .map_err(|c| fail(&t, c))?;
        let out = (def.call)(&args).map_err(|c| fail(&t, c))?;
        if def.secret && !out.is_empty() {
            lock(&t).secrets.insert(out.clone());
        }
        Ok::<_, tera::Error>(out)
    });
}

/// Named arguments in parameter order; a variadic last parameter takes a list.
fn positional(
    name: &str,
    params: &[&str],
    required: usize,
    variadic: bool,
    kwargs: &Kwargs,
) -> Result<Vec<Value>, CallError> {
    let signature = || {
        let list: Vec<String> = params
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if i < required {
                    format!("{p}=…")
                } else {
                    format!("[{p}=…]")
                }
            })
            .collect();
        format!("call it as `{name}({})`", list.join(", "))
    };
    for (key, _) in kwargs.iter() {
        let key = key.to_string();
        if !params.contains(&key.as_str()) {
            return Err(
                CallError::new(format!("unknown argument `{key}` for `{name}`"))
                    .with_hint(signature()),
            );
        }
    }
    let mut out = Vec::new();
    for (i, p) in params.iter().enumerate() {
        let v: Option<tera::Value> = kwargs
            .get(p)
            .map_err(|e| CallError::new(format!("argument `{p}` of `{name}`: {e}")))?;
        let Some(v) = v.filter(|v| !v.is_undefined()) else {
            if i < required {
                return Err(
                    CallError::new(format!("missing argument `{p}` for `{name}`"))
                        .with_hint(signature()),
                );
            }
            continue;
        };
        if let Some(items) = v.as_array().filter(|_| i + 1 == params.len() && variadic) {
            for item in items {
                out.push(from_tera(item, name, p)?);
            }
            continue;
        }
        // optional parameters are positional: fill a gap with nil so that the next lands right
        while out.len() < i {
            out.push(Value::Nil);
        }
        out.push(from_tera(&v, name, p)?);
    }
    Ok(out)
}

fn from_tera(v: &tera::Value, func: &str, param: &str) -> Result<Value, CallError> {
    if let Some(s) = v.as_str() {
        return Ok(Value::Str(s.to_string()));
    }
    if let Some(b) = v.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(i) = v.as_i64() {
        return Ok(Value::Int(i));
    }
    if let Some(f) = v.as_f64() {
        return Ok(Value::Float(f));
    }
    if v.is_none() {
        return Ok(Value::Nil);
    }
    Err(CallError::new(format!(
        "argument `{param}` of `{func}` must be a string or a number, not {}",
        v.name()
    )))
}

fn string_arg(func: &str, args: &[Value], i: usize) -> Result<String, CallError> {
    match args.get(i) {
        Some(Value::Str(s)) => Ok(s.clone()),
        Some(other) => Err(CallError::new(format!(
            "argument {} of `{func}` must be a string, not {}",
            i + 1,
            other.type_name()
        ))),
        None => Err(CallError::new(format!(
            "missing argument {} of `{func}`",
            i + 1
        ))),
    }
}

fn convert_error(
    e: &tera::Error,
    source: &str,
    file: &Path,
    hint: Option<String>,
    known: &[&str],
) -> TemplateError {
    let (position, message) = match e.kind() {
        ErrorKind::SyntaxError(report) | ErrorKind::RenderingError(report) => {
            let span = report.span();
            (
                Position::new(file, span.start_line, span.start_col + 1),
                lowercase_first(report.message()),
            )
        }
        ErrorKind::Msg(text) => parse_report(text, file)
            .unwrap_or_else(|| (Position::new(file, 0, 0), lowercase_first(text))),
        other => (
            Position::new(file, 0, 0),
            lowercase_first(&other.to_string()),
        ),
    };
    let mut err = TemplateError::new(position, message);
    err.hint = hint.or_else(|| {
        if err.message.starts_with("unknown function") {
            let name = err.message.split('`').nth(1).unwrap_or("");
            crate::error::did_you_mean(name, known.iter().copied()).or_else(|| {
                crate::plugins::is_plugin_function(name).then(|| {
                    format!("`{name}` comes from a plugin: add it under `plugins:` in the config (and check its `func_prefix`)")
                })
            })
        } else {
            None
        }
    });
    if err.hint.is_none() {
        err.hint = crate::syntax::go_hint(source);
    }
    if err.hint.is_none() && err.message.starts_with("variable `") {
        err.hint = Some(
            "templates are rendered without variables: read the environment with \
             `env(name=\"…\")` or `must_env(name=\"…\")`"
                .into(),
        );
    }
    if err.hint.is_none() && matches!(e.kind(), ErrorKind::SyntaxError(_)) {
        err.hint = Some(
            "tera syntax: `{{ function(name=value) }}`, `{% if … %}…{% else %}…{% endif %}`, \
             `{# comment #}`; see https://keats.github.io/tera/docs/"
                .into(),
        );
    }
    err
}

/// Reads the first `error: MSG` / `--> name:LINE:COL` pair of a tera report.
fn parse_report(text: &str, file: &Path) -> Option<(Position, String)> {
    let mut lines = text.lines();
    let message = lines.next()?.strip_prefix("error: ")?.to_string();
    let locus = lines.next()?.trim_start().strip_prefix("--> ")?;
    let mut parts = locus.rsplitn(3, ':');
    let column: usize = parts.next()?.parse().ok()?;
    let line: usize = parts.next()?.parse().ok()?;
    Some((Position::new(file, line, column), lowercase_first(&message)))
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f
            .to_lowercase()
            .chain(c)
            .collect::<String>()
            .trim_end_matches('.')
            .to_string(),
        None => String::new(),
    }
}
