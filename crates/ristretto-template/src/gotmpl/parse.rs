//! Builds the tree of a Go-syntax template from its lexed items.
//!
//! Supported: text, actions with pipelines and parenthesised calls, literals, and
//! `if` / `else if` / `else` / `end`. `range`, `with`, `define`, `template`, `block`, variables
//! and fields are rejected here with an error that names them, as are unknown functions
//! (Go rejects those at parse time too).

use super::lex::{Item, LexError, Tok};
use crate::value::Value;

/// A node of the template tree.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text(String),
    Action(Pipe),
    If(Box<IfNode>),
}

/// `if` with its `else if` chain and optional `else`.
#[derive(Debug, Clone)]
pub(crate) struct IfNode {
    pub(crate) branches: Vec<(Pipe, Vec<Node>)>,
    pub(crate) otherwise: Option<Vec<Node>>,
}

/// `cmd | cmd | …`: each command's result is the last argument of the next.
#[derive(Debug, Clone)]
pub(crate) struct Pipe {
    pub(crate) cmds: Vec<Cmd>,
    pub(crate) offset: usize,
}

/// One command: a function and its arguments, or a single operand.
#[derive(Debug, Clone)]
pub(crate) struct Cmd {
    pub(crate) args: Vec<Arg>,
}

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Func(String, usize),
    Lit(Value, usize),
    Sub(Pipe),
}

impl Arg {
    pub(crate) fn offset(&self) -> usize {
        match self {
            Arg::Func(_, o) | Arg::Lit(_, o) => *o,
            Arg::Sub(p) => p.offset,
        }
    }
}

const UNSUPPORTED_HINT: &str = "ristretto's Go-template syntax has functions, pipelines and if/else; \
     for loops and variables write the file in Jsonnet, or in tera (rename it to end in `.tera`)";

/// Parses lexed `items`; `is_function` says whether a name can be called.
pub(crate) fn parse(
    items: Vec<Item>,
    is_function: &dyn Fn(&str) -> bool,
    suggest: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Node>, LexError> {
    let mut p = Parser {
        items: items.into_iter(),
        is_function,
        suggest,
    };
    let (nodes, end) = p.list()?;
    match end {
        Stop::Eof => Ok(nodes),
        Stop::End(o) => Err(error("unexpected {{end}}", o)),
        Stop::Else(o, _) => Err(error("unexpected {{else}}", o)),
    }
}

fn error(message: impl Into<String>, offset: usize) -> LexError {
    LexError {
        message: message.into(),
        offset,
        hint: None,
    }
}

/// How a list of nodes ended.
enum Stop {
    Eof,
    End(usize),
    /// `{{else}}` (no pipe) or `{{else if pipe}}`.
    Else(usize, Option<Pipe>),
}

struct Parser<'a> {
    items: std::vec::IntoIter<Item>,
    is_function: &'a dyn Fn(&str) -> bool,
    suggest: &'a dyn Fn(&str) -> Option<String>,
}

impl Parser<'_> {
    fn list(&mut self) -> Result<(Vec<Node>, Stop), LexError> {
        let mut nodes = Vec::new();
        while let Some(item) = self.items.next() {
            match item {
                Item::Text { text, .. } => nodes.push(Node::Text(text)),
                Item::Action { toks, offset, .. } => {
                    let first = toks.first().cloned();
                    match first {
                        None => return Err(error("missing value for command", offset)),
                        Some((Tok::Ident(kw), at)) => match kw.as_str() {
                            "if" => nodes.push(self.if_node(&toks[1..], at)?),
                            "end" => {
                                if toks.len() > 1 {
                                    return Err(error("unexpected token after end", toks[1].1));
                                }
                                return Ok((nodes, Stop::End(at)));
                            }
                            "else" => return Ok((nodes, self.else_end(&toks, at)?)),
                            "range" | "with" | "define" | "template" | "block" | "break"
                            | "continue" => {
                                return Err(LexError {
                                    message: format!("`{kw}` is not supported"),
                                    offset: at,
                                    hint: Some(UNSUPPORTED_HINT.into()),
                                });
                            }
                            _ => nodes.push(Node::Action(self.pipe_all(&toks, offset)?)),
                        },
                        Some(_) => nodes.push(Node::Action(self.pipe_all(&toks, offset)?)),
                    }
                }
            }
        }
        Ok((nodes, Stop::Eof))
    }

    fn else_end(&self, toks: &[(Tok, usize)], at: usize) -> Result<Stop, LexError> {
        match toks.get(1) {
            None => Ok(Stop::Else(at, None)),
            Some((Tok::Ident(kw), if_at)) if kw == "if" => {
                let pipe = self.pipe_all(&toks[2..], *if_at)?;
                Ok(Stop::Else(at, Some(pipe)))
            }
            Some((Tok::Ident(kw), kw_at)) if kw == "with" => Err(LexError {
                message: "`else with` is not supported".into(),
                offset: *kw_at,
                hint: Some(UNSUPPORTED_HINT.into()),
            }),
            Some((_, o)) => Err(error("unexpected token in else", *o)),
        }
    }

    fn if_node(&mut self, toks: &[(Tok, usize)], at: usize) -> Result<Node, LexError> {
        if toks.is_empty() {
            return Err(error("missing value for if", at));
        }
        let mut branches = Vec::new();
        let mut cond = self.pipe_all(toks, at)?;
        loop {
            let (body, end) = self.list()?;
            match end {
                Stop::Eof => {
                    return Err(LexError {
                        message: "unexpected EOF".into(),
                        offset: at,
                        hint: Some("this `if` has no `{{ end }}`".into()),
                    });
                }
                Stop::End(_) => {
                    branches.push((cond, body));
                    return Ok(Node::If(Box::new(IfNode {
                        branches,
                        otherwise: None,
                    })));
                }
                Stop::Else(_, Some(next)) => {
                    branches.push((cond, body));
                    cond = next;
                }
                Stop::Else(else_at, None) => {
                    branches.push((cond, body));
                    let (otherwise, end) = self.list()?;
                    return match end {
                        Stop::End(_) => Ok(Node::If(Box::new(IfNode {
                            branches,
                            otherwise: Some(otherwise),
                        }))),
                        Stop::Else(o, _) => Err(error("expected end; found {{else}}", o)),
                        Stop::Eof => Err(LexError {
                            message: "unexpected EOF".into(),
                            offset: else_at,
                            hint: Some("this `else` has no `{{ end }}`".into()),
                        }),
                    };
                }
            }
        }
    }

    /// A pipeline that must use all of `toks`.
    fn pipe_all(&self, toks: &[(Tok, usize)], offset: usize) -> Result<Pipe, LexError> {
        let (pipe, used) = self.pipe(toks, offset)?;
        match toks.get(used) {
            None => Ok(pipe),
            Some((Tok::RParen, o)) => Err(error("unexpected right paren", *o)),
            Some((t, o)) => Err(error(format!("unexpected {} in operand", describe(t)), *o)),
        }
    }

    /// A pipeline at the start of `toks`, up to a `)` or the end; returns the tokens used.
    fn pipe(&self, toks: &[(Tok, usize)], offset: usize) -> Result<(Pipe, usize), LexError> {
        let mut cmds = Vec::new();
        let mut i = 0;
        loop {
            let cmd_offset = toks.get(i).map_or(offset, |t| t.1);
            let mut args = Vec::new();
            while let Some((tok, at)) = toks.get(i) {
                match tok {
                    Tok::Pipe | Tok::RParen => break,
                    Tok::LParen => {
                        let (sub, used) = self.pipe(&toks[i + 1..], *at)?;
                        i += 1 + used;
                        match toks.get(i) {
                            Some((Tok::RParen, _)) => i += 1,
                            _ => return Err(error("unclosed left paren", *at)),
                        }
                        if sub.cmds.is_empty() {
                            return Err(error("missing value for parenthesized pipeline", *at));
                        }
                        args.push(Arg::Sub(sub));
                        continue;
                    }
                    _ => args.push(self.operand(tok, *at)?),
                }
                i += 1;
            }
            if args.is_empty() {
                return Err(error("missing value for command", cmd_offset));
            }
            if !matches!(args[0], Arg::Func(..)) && args.len() > 1 {
                return Err(error(
                    format!(
                        "can't give argument to non-function {}",
                        describe_arg(&args[0])
                    ),
                    args[1].offset(),
                ));
            }
            if !cmds.is_empty() && !matches!(args[0], Arg::Func(..)) {
                return Err(error(
                    format!(
                        "can't give argument to non-function {}",
                        describe_arg(&args[0])
                    ),
                    cmd_offset,
                ));
            }
            cmds.push(Cmd { args });
            match toks.get(i) {
                Some((Tok::Pipe, _)) => i += 1,
                _ => return Ok((Pipe { cmds, offset }, i)),
            }
        }
    }

    fn operand(&self, tok: &Tok, at: usize) -> Result<Arg, LexError> {
        Ok(match tok {
            Tok::Str(s) => Arg::Lit(Value::Str(s.clone()), at),
            Tok::Int(i) | Tok::Char(i) => Arg::Lit(Value::Int(*i), at),
            Tok::Float(f) => Arg::Lit(Value::Float(*f), at),
            Tok::Ident(name) => match name.as_str() {
                "true" => Arg::Lit(Value::Bool(true), at),
                "false" => Arg::Lit(Value::Bool(false), at),
                "nil" => Arg::Lit(Value::Nil, at),
                "if" | "else" | "end" | "range" | "with" | "define" | "template" | "block"
                | "break" | "continue" => {
                    return Err(error(format!("unexpected <{name}> in command"), at));
                }
                _ if (self.is_function)(name) => Arg::Func(name.clone(), at),
                _ => {
                    return Err(LexError {
                        message: format!("function \"{name}\" not defined"),
                        offset: at,
                        hint: (self.suggest)(name),
                    });
                }
            },
            Tok::Unsupported(what) => {
                let kind = if what.starts_with('$') {
                    "variables"
                } else if what == "." {
                    "the dot (`.`)"
                } else {
                    "fields"
                };
                return Err(LexError {
                    message: format!("{kind} are not supported: `{what}`")
                        .replace("the dot (`.`) are", "the dot (`.`) is"),
                    offset: at,
                    hint: Some(
                        "templates are rendered without data; read values with `env`, `must_env` or a plugin function"
                            .into(),
                    ),
                });
            }
            Tok::Assign => {
                return Err(LexError {
                    message: "variables are not supported".into(),
                    offset: at,
                    hint: Some(UNSUPPORTED_HINT.into()),
                });
            }
            Tok::Comma => return Err(error("unexpected \",\" in command", at)),
            Tok::Pipe | Tok::LParen | Tok::RParen => {
                return Err(error(
                    format!("unexpected {} in command", describe(tok)),
                    at,
                ));
            }
        })
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) | Tok::Unsupported(s) => format!("<{s}>"),
        Tok::Str(s) => format!("{s:?}"),
        Tok::Int(i) | Tok::Char(i) => i.to_string(),
        Tok::Float(f) => f.to_string(),
        Tok::Pipe => "\"|\"".into(),
        Tok::LParen => "\"(\"".into(),
        Tok::RParen => "\")\"".into(),
        Tok::Assign => "\"=\"".into(),
        Tok::Comma => "\",\"".into(),
    }
}

fn describe_arg(a: &Arg) -> String {
    match a {
        Arg::Func(n, _) => n.clone(),
        Arg::Lit(Value::Str(s), _) => format!("{s:?}"),
        Arg::Lit(v, _) => v.to_string(),
        Arg::Sub(_) => "(…)".into(),
    }
}
