//! Evaluates a parsed Go-syntax template.
//!
//! Go's rules: a pipeline's previous result is the last argument of the next command; `if`
//! uses Go truth (false, 0, "", nil are false); `and`/`or` stop at the deciding argument and
//! return it; an action prints its value (`<no value>` for nil).

use std::collections::BTreeSet;
use std::path::Path;

use super::parse::{Arg, Cmd, Node, Pipe};
use crate::builtins;
use crate::env::Env;
use crate::error::{CallError, Position, TemplateError};
use crate::functions::Functions;
use crate::printf::sprintf;
use crate::value::Value;

/// Functions every Go-syntax template can call besides the plugin functions.
pub(crate) const BUILTINS: [&str; 16] = [
    "and",
    "or",
    "not",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "len",
    "print",
    "printf",
    "println",
    "env",
    "must_env",
    "json_escape",
];

pub(crate) struct Exec<'a> {
    pub(crate) env: &'a dyn Env,
    pub(crate) functions: &'a Functions,
    pub(crate) file: &'a Path,
    pub(crate) source: &'a str,
    pub(crate) secrets: BTreeSet<String>,
}

impl Exec<'_> {
    pub(crate) fn run(&mut self, nodes: &[Node], out: &mut String) -> Result<(), TemplateError> {
        for node in nodes {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Action(pipe) => {
                    let v = self.pipe(pipe)?;
                    match v {
                        Value::Str(s) => out.push_str(&s),
                        other => out.push_str(&other.to_string()),
                    }
                }
                Node::If(if_node) => {
                    let mut taken = false;
                    for (cond, body) in &if_node.branches {
                        if self.pipe(cond)?.is_true() {
                            self.run(body, out)?;
                            taken = true;
                            break;
                        }
                    }
                    if let Some(body) = if_node.otherwise.as_ref().filter(|_| !taken) {
                        self.run(body, out)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn position(&self, offset: usize) -> Position {
        Position::at_offset(self.file, self.source, offset)
    }

    fn pipe(&mut self, pipe: &Pipe) -> Result<Value, TemplateError> {
        let mut last: Option<Value> = None;
        for cmd in &pipe.cmds {
            last = Some(self.cmd(cmd, last.take())?);
        }
        Ok(last.unwrap_or(Value::Nil))
    }

    fn cmd(&mut self, cmd: &Cmd, piped: Option<Value>) -> Result<Value, TemplateError> {
        match &cmd.args[0] {
            Arg::Func(name, at) => self.call(name, *at, &cmd.args[1..], piped),
            Arg::Lit(v, _) => Ok(v.clone()),
            Arg::Sub(p) => self.pipe(p),
        }
    }

    fn arg(&mut self, arg: &Arg) -> Result<Value, TemplateError> {
        match arg {
            // a function named as an argument is called without arguments, as in Go
            Arg::Func(name, at) => self.call(name, *at, &[], None),
            Arg::Lit(v, _) => Ok(v.clone()),
            Arg::Sub(p) => self.pipe(p),
        }
    }

    fn call(
        &mut self,
        name: &str,
        at: usize,
        args: &[Arg],
        piped: Option<Value>,
    ) -> Result<Value, TemplateError> {
        let fail = |e: CallError, this: &Self| {
            let mut err = e.at(this.position(at));
            err.message = format!("error calling {name}: {}", err.message);
            if err.hint.is_none() {
                err.hint = Some(usage(name, this.functions));
            }
            err
        };
        if name == "and" || name == "or" {
            let count = args.len() + usize::from(piped.is_some());
            if count == 0 {
                return Err(fail(
                    CallError::new(format!(
                        "wrong number of args for {name}: want at least 1 got 0"
                    )),
                    self,
                ));
            }
            let mut last = Value::Nil;
            for a in args {
                last = self.arg(a)?;
                if last.is_true() == (name == "or") {
                    return Ok(last);
                }
            }
            if let Some(p) = piped {
                last = p;
            }
            return Ok(last);
        }
        let mut values = Vec::with_capacity(args.len() + 1);
        for a in args {
            values.push(self.arg(a)?);
        }
        values.extend(piped);
        self.call_values(name, &values).map_err(|e| fail(e, self))
    }

    fn call_values(&mut self, name: &str, v: &[Value]) -> Result<Value, CallError> {
        let strs = |v: &[Value]| -> Result<Vec<String>, CallError> {
            v.iter()
                .map(|x| match x {
                    Value::Str(s) => Ok(s.clone()),
                    other => Err(CallError::new(format!(
                        "wrong type for value; expected string; got {}",
                        other.type_name()
                    ))),
                })
                .collect()
        };
        let arity = |want: usize| -> Result<(), CallError> {
            if v.len() == want {
                Ok(())
            } else {
                Err(CallError::new(format!(
                    "wrong number of args for {name}: want {want} got {}",
                    v.len()
                )))
            }
        };
        match name {
            "env" => {
                let keys = strs(v)?;
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                Ok(Value::Str(builtins::env_go(self.env, &keys)))
            }
            "must_env" => {
                arity(1)?;
                let key = strs(v)?.remove(0);
                builtins::must_env(self.env, &key).map(Value::Str)
            }
            "json_escape" => {
                arity(1)?;
                Ok(Value::Str(builtins::json_escape(&strs(v)?.remove(0))))
            }
            "not" => {
                arity(1)?;
                Ok(Value::Bool(!v[0].is_true()))
            }
            "eq" => {
                if v.len() < 2 {
                    return Err(CallError::new("missing argument for comparison"));
                }
                for other in &v[1..] {
                    if compare(&v[0], other)? == std::cmp::Ordering::Equal {
                        return Ok(Value::Bool(true));
                    }
                }
                Ok(Value::Bool(false))
            }
            "ne" | "lt" | "le" | "gt" | "ge" => {
                arity(2)?;
                if matches!(name, "lt" | "le" | "gt" | "ge")
                    && (matches!(v[0], Value::Bool(_) | Value::Nil)
                        || matches!(v[1], Value::Bool(_) | Value::Nil))
                {
                    return Err(CallError::new("invalid type for comparison"));
                }
                let ord = compare(&v[0], &v[1])?;
                use std::cmp::Ordering::{Equal, Greater, Less};
                Ok(Value::Bool(match name {
                    "ne" => ord != Equal,
                    "lt" => ord == Less,
                    "le" => ord != Greater,
                    "gt" => ord == Greater,
                    _ => ord != Less,
                }))
            }
            "len" => {
                arity(1)?;
                match &v[0] {
                    Value::Str(s) => Ok(Value::Int(i64::try_from(s.len()).unwrap_or(i64::MAX))),
                    other => Err(CallError::new(format!("len of type {}", other.type_name()))),
                }
            }
            "print" => Ok(Value::Str(go_sprint(v))),
            "println" => {
                let parts: Vec<String> = v.iter().map(go_v).collect();
                Ok(Value::Str(format!("{}\n", parts.join(" "))))
            }
            "printf" => {
                let Some(Value::Str(format)) = v.first() else {
                    return Err(CallError::new(match v.first() {
                        None => "wrong number of args for printf: want at least 1 got 0".into(),
                        Some(o) => format!(
                            "wrong type for value; expected string; got {}",
                            o.type_name()
                        ),
                    }));
                };
                Ok(Value::Str(sprintf(format, &v[1..])))
            }
            _ => {
                let Some(def) = self.functions.get(name).filter(|d| d.syntaxes.go) else {
                    return Err(CallError::new(format!("function \"{name}\" not defined")));
                };
                def.check_arity(name, v.len())?;
                let out = (def.call)(v)?;
                if def.secret && !out.is_empty() {
                    self.secrets.insert(out.clone());
                }
                Ok(Value::Str(out))
            }
        }
    }
}

/// Go's comparison of basic values; different kinds are an error.
fn compare(a: &Value, b: &Value) -> Result<std::cmp::Ordering, CallError> {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Ok(x.cmp(y)),
        (Value::Int(x), Value::Int(y)) => Ok(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => Ok(x.partial_cmp(y).unwrap_or(Ordering::Less)),
        (Value::Bool(x), Value::Bool(y)) => Ok(x.cmp(y)),
        (Value::Nil, Value::Nil) => Ok(Ordering::Equal),
        (Value::Nil, _) | (_, Value::Nil) => Ok(Ordering::Less),
        _ => Err(CallError::new("incompatible types for comparison")),
    }
}

/// `%v` as `print` and `println` print it.
fn go_v(v: &Value) -> String {
    match v {
        Value::Nil => "<nil>".into(),
        other => other.to_string(),
    }
}

/// Go's `fmt.Sprint`: a space between operands when neither is a string.
fn go_sprint(v: &[Value]) -> String {
    let mut out = String::new();
    for (i, x) in v.iter().enumerate() {
        if i > 0 && !matches!(x, Value::Str(_)) && !matches!(v[i - 1], Value::Str(_)) {
            out.push(' ');
        }
        out.push_str(&go_v(x));
    }
    out
}

/// How to call `name`, for hints.
fn usage(name: &str, functions: &Functions) -> String {
    let how = match name {
        "env" => "``env `NAME` [`DEFAULT`]`` (strings)",
        "must_env" => "``must_env `NAME` ``",
        "json_escape" => "``json_escape `TEXT` `` or ``… | json_escape``",
        "and" | "or" => "``and A B…`` / ``or A B…`` (returns the deciding argument)",
        "not" => "``not VALUE``",
        "eq" | "ne" | "lt" | "le" | "gt" | "ge" => {
            "compare values of the same type, e.g. ``eq (env `MODE` ``) `prod` ``"
        }
        "len" => "``len `TEXT` ``",
        "printf" => "``printf `FORMAT` ARGS…`` (Go's fmt verbs: %s %d %v %q)",
        "print" | "println" => "``print ARGS…``",
        _ => {
            return functions.get(name).map_or_else(
                || format!("`{name}` is not a known function"),
                |d| format!("`{name}` takes {}", d.signature()),
            );
        }
    };
    format!("call it as {how}")
}
