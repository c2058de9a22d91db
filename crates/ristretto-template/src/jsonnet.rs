//! Jsonnet evaluation: `.jsonnet` files (and ecspresso's `.json` configs) become JSON text.
//!
//! Engine: `rsjsonnet-lang` 0.5, not `jrsonnet-evaluator`. rsjsonnet-lang is a stable release
//! (jrsonnet's evaluator is a long series of `0.5.0-preNN` pre-releases whose API moves), is
//! pure Rust with `#![forbid(unsafe_code)]` and few dependencies, and hands back structured
//! errors with source spans, which we turn into file:line:col. Its front-end crate prints
//! errors to stderr, so this module does the small front-end work itself: reading files,
//! resolving imports relative to the importing file, ext vars, and native functions.
//!
//! Native functions (`std.native('name')(…)`): `env(name, default)` (the variable when set and
//! non-empty, else `default`), `must_env(name)`, and every plugin function that Jsonnet can
//! call, with its required parameters (`tfstate(address)`, `ssm(name)`,
//! `ssm_list(name, index)`, `secretsmanager_arn(id)`, `cfn_output(stack, key)`,
//! `cfn_export(name)`), prefixed as configured.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rsjsonnet_lang::arena::Arena;
use rsjsonnet_lang::interner::InternedStr;
use rsjsonnet_lang::lexer::LexError;
use rsjsonnet_lang::parser::{ExpectedToken, ParseError};
use rsjsonnet_lang::program::{
    AnalyzeError, Callbacks, EvalError, EvalErrorKind, EvalStackTraceItem, ImportError, LoadError,
    NativeError, Program, Thunk, Value as JValue, ValueKind,
};
use rsjsonnet_lang::span::{SourceId, SpanContext, SpanId};

use crate::builtins;
use crate::error::{CallError, Position, TemplateError, line_col};
use crate::render::{Rendered, Renderer};
use crate::value::Value;

/// `--ext-str` and `--ext-code` values for `std.extVar`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonnetVars {
    /// `--ext-str NAME=VALUE`: strings.
    pub ext_str: BTreeMap<String, String>,
    /// `--ext-code NAME=CODE`: Jsonnet expressions.
    pub ext_code: BTreeMap<String, String>,
}

impl Renderer {
    /// Evaluates the Jsonnet file `file` into JSON text (pretty-printed with 3-space indents,
    /// as the `jsonnet` tool does), with imports relative to the importing file.
    pub fn evaluate_jsonnet(
        &self,
        file: &Path,
        vars: &JsonnetVars,
    ) -> Result<Rendered, TemplateError> {
        let source = std::fs::read_to_string(file).map_err(|e| {
            TemplateError::new(
                Position::new(file, 0, 0),
                format!("failed to read jsonnet file: {e}"),
            )
        })?;
        self.evaluate_jsonnet_source(&source, file, vars)
    }

    /// Evaluates Jsonnet `source` as if read from `file` (imports resolve next to `file`).
    pub fn evaluate_jsonnet_source(
        &self,
        source: &str,
        file: &Path,
        vars: &JsonnetVars,
    ) -> Result<Rendered, TemplateError> {
        let arena = Arena::new();
        let mut program = Program::new(&arena);
        let mut host = Host {
            renderer: self,
            sources: HashMap::new(),
            cache: HashMap::new(),
            natives: HashMap::new(),
            failure: None,
            secrets: BTreeSet::new(),
        };
        host.register_natives(&mut program);
        host.add_ext_vars(&mut program, vars)?;
        let thunk = host
            .load(&mut program, file, source.to_string())
            .map_err(|e| host.load_error(&program, &e))?;
        let value = program
            .eval_value(&thunk, &mut host)
            .map_err(|e| host.eval_error(&program, &e, file))?;
        let text = program
            .manifest_json(&value, true)
            .map_err(|e| host.eval_error(&program, &e, file))?;
        Ok(Rendered {
            text,
            secrets: host.secrets,
        })
    }
}

enum Native {
    Env,
    MustEnv,
    Plugin(String),
}

struct Host<'r, 'p> {
    renderer: &'r Renderer,
    /// Each loaded source: its path (for errors and relative imports) and text.
    sources: HashMap<SourceId, (PathBuf, String)>,
    cache: HashMap<PathBuf, Thunk<'p>>,
    natives: HashMap<InternedStr<'p>, Native>,
    /// Why the last native call or import failed (rsjsonnet's errors carry no detail).
    failure: Option<TemplateError>,
    secrets: BTreeSet<String>,
}

impl<'p> Host<'_, 'p> {
    fn register_natives(&mut self, program: &mut Program<'p>) {
        let mut add = |program: &mut Program<'p>, name: &str, params: &[&str], kind: Native| {
            let name = program.intern_str(name);
            if self.natives.contains_key(&name) {
                return;
            }
            let params: Vec<_> = params.iter().map(|p| program.intern_str(p)).collect();
            program.register_native_func(name, &params);
            self.natives.insert(name, kind);
        };
        add(program, "env", &["name", "default"], Native::Env);
        add(program, "must_env", &["name"], Native::MustEnv);
        for (name, def) in self.renderer.functions.iter() {
            if !def.syntaxes.jsonnet {
                continue;
            }
            let params = if def.variadic {
                &def.params[..def.required]
            } else {
                def.params
            };
            add(program, name, params, Native::Plugin(name.to_string()));
        }
    }

    fn add_ext_vars(
        &mut self,
        program: &mut Program<'p>,
        vars: &JsonnetVars,
    ) -> Result<(), TemplateError> {
        for (name, value) in &vars.ext_str {
            let thunk = program.value_to_thunk(&JValue::string(value));
            let name = program.intern_str(name);
            program.add_ext_var(name, &thunk);
        }
        for (name, code) in &vars.ext_code {
            if vars.ext_str.contains_key(name) {
                return Err(TemplateError::new(
                    Position::new(format!("<ext-code {name}>"), 0, 0),
                    format!("external variable `{name}` is given both as --ext-str and --ext-code"),
                )
                .with_hint("give each external variable once"));
            }
            let repr = PathBuf::from(format!("<ext-code {name}>"));
            let (ctx, id) = program.span_manager_mut().insert_source_context(code.len());
            self.sources.insert(id, (repr.clone(), code.clone()));
            let thunk = program
                .load_source(ctx, code.as_bytes(), true, &repr.display().to_string())
                .map_err(|e| self.load_error(program, &e))?;
            let name = program.intern_str(name);
            program.add_ext_var(name, &thunk);
        }
        Ok(())
    }

    fn load(
        &mut self,
        program: &mut Program<'p>,
        path: &Path,
        text: String,
    ) -> Result<Thunk<'p>, LoadError> {
        let (ctx, id) = program.span_manager_mut().insert_source_context(text.len());
        let loaded = program.load_source(ctx, text.as_bytes(), true, &path.display().to_string());
        self.sources.insert(id, (path.to_path_buf(), text));
        loaded
    }

    fn position(&self, program: &Program<'p>, span: SpanId) -> Option<Position> {
        let (ctx, start, _) = program.span_manager().get_span(span);
        let SpanContext::Source(id) = *program.span_manager().get_context(ctx);
        let (path, text) = self.sources.get(&id)?;
        let (line, column) = line_col(text, start);
        Some(Position::new(path, line, column))
    }

    fn snippet(&self, program: &Program<'p>, span: SpanId) -> String {
        let (ctx, start, end) = program.span_manager().get_span(span);
        let SpanContext::Source(id) = *program.span_manager().get_context(ctx);
        self.sources
            .get(&id)
            .and_then(|(_, t)| t.get(start..end))
            .map_or_else(String::new, |s| s.chars().take(40).collect())
    }

    fn load_error(&self, program: &Program<'p>, e: &LoadError) -> TemplateError {
        let mut hint = None;
        let (span, message) = match e {
            LoadError::Lex(e) => lex_message(e),
            LoadError::Parse(ParseError::Expected { span, expected, .. }) => {
                let found = self.snippet(program, *span);
                let found = if found.is_empty() {
                    "end of file".into()
                } else {
                    format!("`{found}`")
                };
                let wanted: Vec<String> = expected.iter().map(expected_token).collect();
                hint = Some(format!("expected {}", wanted.join(" or ")));
                (*span, format!("syntax error: unexpected {found}"))
            }
            LoadError::Analyze(e) => analyze_message(e),
        };
        let position = self
            .position(program, span)
            .unwrap_or_else(|| Position::new("<jsonnet>", 0, 0));
        let mut err = TemplateError::new(position, message);
        err.hint = hint.or_else(|| {
            Some("see https://jsonnet.org/ref/language.html for the Jsonnet syntax".into())
        });
        err
    }

    fn eval_error(&mut self, program: &Program<'p>, e: &EvalError, file: &Path) -> TemplateError {
        let (span, message) = eval_message(&e.kind);
        let span = span.or_else(|| {
            e.stack_trace.iter().rev().find_map(|item| match item {
                EvalStackTraceItem::Expr { span }
                | EvalStackTraceItem::Variable { span, .. }
                | EvalStackTraceItem::Import { span } => Some(*span),
                EvalStackTraceItem::Call { span, .. }
                | EvalStackTraceItem::ArrayItem { span, .. }
                | EvalStackTraceItem::ObjectField { span, .. } => *span,
                _ => None,
            })
        });
        let position = span
            .and_then(|s| self.position(program, s))
            .unwrap_or_else(|| Position::new(file, 0, 0));
        let failed_call = matches!(
            e.kind,
            EvalErrorKind::NativeCallFailed | EvalErrorKind::ImportFailed { .. }
        );
        if let Some(mut failure) = self.failure.take().filter(|_| failed_call) {
            if failure.position.file.as_os_str().is_empty() {
                failure.position = position;
            }
            return failure;
        }
        let mut err = TemplateError::new(position, message);
        if let EvalErrorKind::UnknownExtVar { name } = &e.kind {
            err.hint = Some(format!(
                "pass it with `--ext-str {name}=…` or `--ext-code {name}=…`"
            ));
        }
        err
    }

    fn call_native(&mut self, native: &Native, args: &[JValue<'p>]) -> Result<String, CallError> {
        let values: Vec<Value> = args.iter().map(to_value).collect::<Result<_, _>>()?;
        let string = |i: usize, what: &str| -> Result<String, CallError> {
            match values.get(i) {
                Some(Value::Str(s)) => Ok(s.clone()),
                _ => Err(CallError::new(format!("{what}: name must be a string"))),
            }
        };
        let env = &*self.renderer.env;
        match native {
            Native::Env => {
                let name = string(0, "env")?;
                let default = match values.get(1) {
                    Some(Value::Str(s)) => Some(s.clone()),
                    Some(Value::Nil) | None => None,
                    Some(other) => Some(other.to_string()),
                };
                Ok(builtins::env_named(env, &name, default.as_deref()))
            }
            Native::MustEnv => builtins::must_env(env, &string(0, "must_env")?),
            Native::Plugin(name) => {
                let Some(def) = self.renderer.functions.get(name) else {
                    return Err(CallError::new(format!(
                        "native function {name} is not available"
                    )));
                };
                let out = (def.call)(&values)?;
                if def.secret && !out.is_empty() {
                    self.secrets.insert(out.clone());
                }
                Ok(out)
            }
        }
    }

    fn resolve_import(&self, program: &Program<'p>, from: SpanId, path: &str) -> PathBuf {
        let (ctx, _, _) = program.span_manager().get_span(from);
        let SpanContext::Source(id) = *program.span_manager().get_context(ctx);
        let dir = self
            .sources
            .get(&id)
            .and_then(|(p, _)| p.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        dir.join(path)
    }

    fn read_import(
        &mut self,
        program: &Program<'p>,
        from: SpanId,
        path: &str,
    ) -> Result<(PathBuf, Vec<u8>), ImportError> {
        let full = self.resolve_import(program, from, path);
        std::fs::read(&full)
            .map(|b| (full.clone(), b))
            .map_err(|e| {
                let position = self
                    .position(program, from)
                    .unwrap_or_else(|| Position::new(&full, 0, 0));
                self.failure = Some(
                    TemplateError::new(position, format!("failed to import `{path}`: {e}"))
                        .with_hint(format!(
                            "imports are relative to the importing file; looked for {}",
                            full.display()
                        )),
                );
                ImportError
            })
    }
}

fn to_value(v: &JValue<'_>) -> Result<Value, CallError> {
    Ok(match v.kind() {
        ValueKind::Null => Value::Nil,
        ValueKind::Bool(b) => Value::Bool(b),
        ValueKind::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Value::Int(n as i64),
        ValueKind::Number(n) => Value::Float(n),
        ValueKind::String(s) => Value::Str(s),
        ValueKind::Array(_) | ValueKind::Object(_) | ValueKind::Function => {
            return Err(CallError::new(
                "native function arguments must be strings, numbers, booleans or null",
            ));
        }
    })
}

impl<'p> Callbacks<'p> for Host<'_, 'p> {
    fn import(
        &mut self,
        program: &mut Program<'p>,
        from: SpanId,
        path: &str,
    ) -> Result<Thunk<'p>, ImportError> {
        let (full, bytes) = self.read_import(program, from, path)?;
        let key = full.canonicalize().unwrap_or_else(|_| full.clone());
        if let Some(thunk) = self.cache.get(&key) {
            return Ok(thunk.clone());
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        match self.load(program, &full, text) {
            Ok(thunk) => {
                self.cache.insert(key, thunk.clone());
                Ok(thunk)
            }
            Err(e) => {
                self.failure = Some(self.load_error(program, &e));
                Err(ImportError)
            }
        }
    }

    fn import_str(
        &mut self,
        program: &mut Program<'p>,
        from: SpanId,
        path: &str,
    ) -> Result<String, ImportError> {
        let (_, bytes) = self.read_import(program, from, path)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn import_bin(
        &mut self,
        program: &mut Program<'p>,
        from: SpanId,
        path: &str,
    ) -> Result<Vec<u8>, ImportError> {
        Ok(self.read_import(program, from, path)?.1)
    }

    fn trace(&mut self, _: &mut Program<'p>, _: &str, _: &[EvalStackTraceItem]) {}

    fn native_call(
        &mut self,
        _program: &mut Program<'p>,
        name: InternedStr<'p>,
        args: &[JValue<'p>],
    ) -> Result<JValue<'p>, NativeError> {
        let Some(native) = self.natives.get(&name) else {
            return Err(NativeError);
        };
        let native = match native {
            Native::Env => Native::Env,
            Native::MustEnv => Native::MustEnv,
            Native::Plugin(n) => Native::Plugin(n.clone()),
        };
        match self.call_native(&native, args) {
            Ok(s) => Ok(JValue::string(&s)),
            Err(e) => {
                let mut err = e.at(Position::default());
                err.message = format!("error calling {}: {}", name.value(), err.message);
                self.failure = Some(err);
                Err(NativeError)
            }
        }
    }
}

fn lex_message(e: &LexError) -> (SpanId, String) {
    match e {
        LexError::InvalidChar { span, chr } => (*span, format!("invalid character {chr:?}")),
        LexError::InvalidUtf8 { span, .. } => (*span, "invalid UTF-8".into()),
        LexError::UnfinishedMultilineComment { span } => {
            (*span, "unfinished multi-line comment".into())
        }
        LexError::LeadingZeroInNumber { span } => (*span, "leading zero in number".into()),
        LexError::MissingFracDigits { span } => {
            (*span, "missing digits after `.` in number".into())
        }
        LexError::MissingExpDigits { span } => (*span, "missing exponent digits in number".into()),
        LexError::MissingDigitAfterUnderscore { span } => {
            (*span, "missing digit after `_` in number".into())
        }
        LexError::ExpOverflow { span } => (*span, "exponent overflow in number".into()),
        LexError::InvalidEscapeInString { span, chr } => {
            (*span, format!("invalid escape `\\{chr}` in string"))
        }
        LexError::IncompleteUnicodeEscape { span } => {
            (*span, "incomplete unicode escape in string".into())
        }
        LexError::InvalidUtf16EscapeSequence { span, .. } => {
            (*span, "invalid unicode escape in string".into())
        }
        LexError::UnfinishedString { span } => (*span, "unterminated string".into()),
        LexError::MissingLineBreakAfterTextBlockStart { span } => {
            (*span, "missing line break after `|||`".into())
        }
        LexError::MissingWhitespaceTextBlockStart { span } => {
            (*span, "missing indentation in text block".into())
        }
        LexError::InvalidTextBlockTermination { span } => {
            (*span, "text block is not terminated correctly".into())
        }
    }
}

fn analyze_message(e: &AnalyzeError) -> (SpanId, String) {
    match e {
        AnalyzeError::UnknownVariable { span, name } => {
            (*span, format!("unknown variable `{name}`"))
        }
        AnalyzeError::SelfOutsideObject { self_span } => {
            (*self_span, "`self` outside an object".into())
        }
        AnalyzeError::SuperOutsideObject { super_span } => {
            (*super_span, "`super` outside an object".into())
        }
        AnalyzeError::DollarOutsideObject { dollar_span } => {
            (*dollar_span, "`$` outside an object".into())
        }
        AnalyzeError::RepeatedLocalName {
            repeated_span,
            name,
            ..
        } => (*repeated_span, format!("local `{name}` is defined twice")),
        AnalyzeError::RepeatedFieldName {
            repeated_span,
            name,
            ..
        } => (*repeated_span, format!("field `{name}` is defined twice")),
        AnalyzeError::RepeatedParamName {
            repeated_span,
            name,
            ..
        } => (
            *repeated_span,
            format!("parameter `{name}` is defined twice"),
        ),
        AnalyzeError::PositionalArgAfterNamed { arg_span } => {
            (*arg_span, "positional argument after a named one".into())
        }
        AnalyzeError::TextBlockAsImportPath { span } => {
            (*span, "a text block cannot be an import path".into())
        }
        AnalyzeError::ComputedImportPath { span } => {
            (*span, "import paths must be string literals".into())
        }
    }
}

fn eval_message(kind: &EvalErrorKind) -> (Option<SpanId>, String) {
    use EvalErrorKind as K;
    let t = |v: &rsjsonnet_lang::program::EvalErrorValueType| format!("{v:?}").to_lowercase();
    match kind {
        K::StackOverflow => (None, "stack overflow".into()),
        K::InfiniteRecursion => (None, "infinite recursion".into()),
        K::InvalidIndexedType { span, got_type } => (
            Some(*span),
            format!("cannot index a value of type {}", t(got_type)),
        ),
        K::UnknownObjectField { span, field_name } => {
            (Some(*span), format!("field `{field_name}` does not exist"))
        }
        K::NumericIndexOutOfRange {
            span,
            index,
            length,
        } => (
            Some(*span),
            format!("index {index} is out of range (length {length})"),
        ),
        K::CalleeIsNotFunction { span, got_type } => {
            (*span, format!("calling a value of type {}", t(got_type)))
        }
        K::TooManyCallArgs { span, num_params } => (
            *span,
            format!("too many arguments: the function takes {num_params}"),
        ),
        K::UnknownCallParam { span, param_name } => {
            (*span, format!("unknown parameter `{param_name}`"))
        }
        K::CallParamNotBound { span, param_name } => {
            (*span, format!("missing argument `{param_name}`"))
        }
        K::InvalidBinaryOpTypes {
            span,
            op,
            lhs_type,
            rhs_type,
        } => (
            *span,
            format!(
                "invalid operand types for {op:?}: {} and {}",
                t(lhs_type),
                t(rhs_type)
            ),
        ),
        K::AssertFailed { span, message } => (
            Some(*span),
            format!(
                "assertion failed{}",
                message.as_ref().map_or(String::new(), |m| format!(": {m}"))
            ),
        ),
        K::ExplicitError { span, message } => (Some(*span), format!("error: {message}")),
        K::ImportFailed { span, path } => (Some(*span), format!("failed to import `{path}`")),
        K::UnknownExtVar { name } => (None, format!("undefined external variable `{name}`")),
        K::NativeCallFailed => (None, "native function call failed".into()),
        K::ManifestFunction => (None, "a function cannot be manifested as JSON".into()),
        K::Other { span, message } => (*span, message.clone()),
        other => (None, format!("{other:?}")),
    }
}

fn expected_token(t: &ExpectedToken) -> String {
    use rsjsonnet_lang::token::STokenKind as S;
    match t {
        ExpectedToken::EndOfFile => "end of file".into(),
        ExpectedToken::Ident => "an identifier".into(),
        ExpectedToken::Number => "a number".into(),
        ExpectedToken::String => "a string".into(),
        ExpectedToken::TextBlock => "a text block".into(),
        ExpectedToken::Expr => "an expression".into(),
        ExpectedToken::BinaryOp => "an operator".into(),
        ExpectedToken::Simple(k) => {
            let s = match k {
                S::LeftParen => "(",
                S::RightParen => ")",
                S::LeftBracket => "[",
                S::RightBracket => "]",
                S::LeftBrace => "{",
                S::RightBrace => "}",
                S::Comma => ",",
                S::Dot => ".",
                S::Colon => ":",
                S::Semicolon => ";",
                S::Eq => "=",
                S::Then => "then",
                S::Else => "else",
                S::In => "in",
                _ => return format!("{k:?}").to_lowercase(),
            };
            format!("`{s}`")
        }
    }
}
