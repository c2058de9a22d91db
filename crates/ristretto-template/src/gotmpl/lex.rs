//! Splits a Go-syntax template into text and action tokens.
//!
//! Follows Go's `text/template/parse` lexer: `{{- ` trims all whitespace (space, tab, CR, LF)
//! before the action and ` -}}` after it, but only with the space (`{{-3}}` is the number -3);
//! comments are `{{/* … */}}` with nothing else in the action; raw strings may span lines.

/// A token inside an action, with its byte offset in the source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    /// `.`, `.Field`, `$x`: named so that the error can say what is not supported.
    Unsupported(String),
    Str(String),
    Int(i64),
    Float(f64),
    Char(i64),
    Pipe,
    LParen,
    RParen,
    Assign,
    Comma,
}

/// A piece of the template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// Literal text (already trimmed) starting at `offset`.
    Text { text: String, offset: usize },
    /// An action's tokens; `offset` is where its `{{` is, `end` just after its `}}`.
    Action {
        toks: Vec<(Tok, usize)>,
        offset: usize,
        end: usize,
    },
}

/// A lexing error at a byte offset.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LexError {
    pub(crate) message: String,
    pub(crate) offset: usize,
    pub(crate) hint: Option<String>,
}

fn err<T>(message: impl Into<String>, offset: usize) -> Result<T, LexError> {
    Err(LexError {
        message: message.into(),
        offset,
        hint: None,
    })
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Lexes `src` into items.
pub(crate) fn lex(src: &str) -> Result<Vec<Item>, LexError> {
    let bytes = src.as_bytes();
    let mut items = Vec::new();
    let mut pos = 0;
    let mut trim_next_text = false;
    loop {
        let open = src[pos..].find("{{").map(|i| pos + i);
        let text_end = open.unwrap_or(src.len());
        let mut text = &src[pos..text_end];
        let mut text_offset = pos;
        if trim_next_text {
            let trimmed = text.trim_start_matches([' ', '\t', '\r', '\n']);
            text_offset += text.len() - trimmed.len();
            text = trimmed;
        }
        let Some(open) = open else {
            if !text.is_empty() {
                items.push(Item::Text {
                    text: text.to_string(),
                    offset: text_offset,
                });
            }
            return Ok(items);
        };
        let mut inner = open + 2;
        // left trim marker: "{{- " (dash followed by a space)
        if bytes.get(inner) == Some(&b'-') && bytes.get(inner + 1).is_some_and(|b| is_space(*b)) {
            text = text.trim_end_matches([' ', '\t', '\r', '\n']);
            inner += 2;
        }
        if !text.is_empty() {
            items.push(Item::Text {
                text: text.to_string(),
                offset: text_offset,
            });
        }
        // a comment must follow the delimiter (and trim marker) directly
        if src[inner..].starts_with("/*") {
            let Some(close) = src[inner + 2..].find("*/").map(|i| inner + 2 + i + 2) else {
                return err("unclosed comment", open);
            };
            let (end, trim) = match close_delim(src, close) {
                Some(found) => found,
                None => return err("comment ends before closing delimiter", close),
            };
            trim_next_text = trim;
            pos = end;
            continue;
        }
        let (toks, end, trim) = lex_action(src, inner, open)?;
        items.push(Item::Action {
            toks,
            offset: open,
            end,
        });
        trim_next_text = trim;
        pos = end;
    }
}

/// At `i` (after optional spaces): `}}` or ` -}}`. Returns the end offset and whether it trims.
fn close_delim(src: &str, i: usize) -> Option<(usize, bool)> {
    if src[i..].starts_with("}}") {
        return Some((i + 2, false));
    }
    let b = src.as_bytes();
    if b.get(i).is_some_and(|c| is_space(*c)) && src[i + 1..].starts_with("-}}") {
        return Some((i + 4, true));
    }
    None
}

type ActionLex = (Vec<(Tok, usize)>, usize, bool);

fn lex_action(src: &str, start: usize, open: usize) -> Result<ActionLex, LexError> {
    let bytes = src.as_bytes();
    let mut toks = Vec::new();
    let mut i = start;
    let mut depth = 0usize;
    loop {
        if let Some((end, trim)) = close_delim(src, i) {
            if depth > 0 {
                return err("unclosed left paren", open);
            }
            return Ok((toks, end, trim));
        }
        let Some(&c) = bytes.get(i) else {
            return Err(LexError {
                message: "unclosed action".into(),
                offset: open,
                hint: Some("close it with `}}`".into()),
            });
        };
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'|' => {
                toks.push((Tok::Pipe, i));
                i += 1;
            }
            b'(' => {
                depth += 1;
                toks.push((Tok::LParen, i));
                i += 1;
            }
            b')' => {
                depth = depth.saturating_sub(1);
                toks.push((Tok::RParen, i));
                i += 1;
            }
            b',' => {
                toks.push((Tok::Comma, i));
                i += 1;
            }
            b':' if bytes.get(i + 1) == Some(&b'=') => {
                toks.push((Tok::Assign, i));
                i += 2;
            }
            b'=' => {
                toks.push((Tok::Assign, i));
                i += 1;
            }
            b'"' => {
                let (s, end) = lex_quoted(src, i)?;
                toks.push((Tok::Str(s), i));
                i = end;
            }
            b'`' => {
                let Some(close) = src[i + 1..].find('`') else {
                    return err("unterminated raw quoted string", i);
                };
                // Go drops carriage returns from raw strings
                let s = src[i + 1..i + 1 + close].replace('\r', "");
                toks.push((Tok::Str(s), i));
                i += close + 2;
            }
            b'\'' => {
                let (v, end) = lex_char(src, i)?;
                toks.push((Tok::Char(v), i));
                i = end;
            }
            b'$' | b'.' if !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let end = word_end(src, i + 1);
                toks.push((Tok::Unsupported(src[i..end].to_string()), i));
                i = end;
            }
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                let end = number_end(src, i);
                let text = &src[i..end];
                let tok = parse_number(text).ok_or_else(|| LexError {
                    message: format!("bad number syntax: {text:?}"),
                    offset: i,
                    hint: None,
                })?;
                toks.push((tok, i));
                i = end;
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                if ch.is_alphabetic() || ch == '_' {
                    let end = word_end(src, i);
                    toks.push((Tok::Ident(src[i..end].to_string()), i));
                    i = end;
                } else {
                    return err(format!("unexpected {ch:?} in command"), i);
                }
            }
        }
    }
}

fn word_end(src: &str, start: usize) -> usize {
    src[start..]
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(src.len(), |(i, _)| start + i)
}

fn number_end(src: &str, start: usize) -> usize {
    let bytes = src.as_bytes();
    let mut i = start;
    if matches!(bytes.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    while let Some(&b) = bytes.get(i) {
        let exp_sign = matches!(b, b'+' | b'-')
            && i > start
            && matches!(bytes[i - 1], b'e' | b'E' | b'p' | b'P')
            && !src[start..i].starts_with("0x")
            && !src[start..i].starts_with("0X");
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || exp_sign {
            i += 1;
        } else {
            break;
        }
    }
    i
}

fn parse_number(text: &str) -> Option<Tok> {
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if body.is_empty() {
        return None;
    }
    let clean = body.replace('_', "");
    let lower = clean.to_ascii_lowercase();
    let int = if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|b| b.is_ascii_digit())
    {
        i64::from_str_radix(&lower[1..], 8).ok()
    } else if lower.bytes().all(|b| b.is_ascii_digit()) {
        lower.parse::<i64>().ok()
    } else {
        None
    };
    if let Some(v) = int {
        return Some(Tok::Int(if neg { -v } else { v }));
    }
    if lower
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
        && lower.bytes().any(|b| b.is_ascii_digit())
    {
        let v: f64 = lower.parse().ok()?;
        return Some(Tok::Float(if neg { -v } else { v }));
    }
    None
}

/// A double-quoted Go string at `start`; returns its value and the offset after it.
fn lex_quoted(src: &str, start: usize) -> Result<(String, usize), LexError> {
    let mut out = String::new();
    let mut chars = src[start + 1..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let at = start + 1 + i;
        match c {
            '"' => return Ok((out, at + 1)),
            '\n' => return err("unterminated quoted string", start),
            '\\' => {
                let Some((_, e)) = chars.next() else {
                    return err("unterminated quoted string", start);
                };
                let simple = match e {
                    'a' => Some('\u{7}'),
                    'b' => Some('\u{8}'),
                    'f' => Some('\u{c}'),
                    'n' => Some('\n'),
                    'r' => Some('\r'),
                    't' => Some('\t'),
                    'v' => Some('\u{b}'),
                    '\\' => Some('\\'),
                    '"' => Some('"'),
                    _ => None,
                };
                if let Some(s) = simple {
                    out.push(s);
                    continue;
                }
                let (digits, radix) = match e {
                    'x' => (2, 16),
                    'u' => (4, 16),
                    'U' => (8, 16),
                    '0'..='7' => (2, 8),
                    _ => return err(format!("invalid syntax: unknown escape sequence \\{e}"), at),
                };
                let mut code = if radix == 8 {
                    e.to_digit(8).unwrap_or(0)
                } else {
                    0
                };
                for _ in 0..digits {
                    let Some(d) = chars.next().and_then(|(_, d)| d.to_digit(radix)) else {
                        return err("invalid syntax: bad escape sequence", at);
                    };
                    code = code * radix + d;
                }
                if e == 'x' || radix == 8 {
                    // a byte; Go strings may hold invalid UTF-8, Rust strings may not
                    match char::from_u32(code).filter(|_| code < 0x80) {
                        Some(ch) => out.push(ch),
                        None => out.push(char::from_u32(code).unwrap_or('\u{fffd}')),
                    }
                } else {
                    match char::from_u32(code) {
                        Some(ch) => out.push(ch),
                        None => return err("invalid syntax: escape is not a valid code point", at),
                    }
                }
            }
            c => out.push(c),
        }
    }
    err("unterminated quoted string", start)
}

fn lex_char(src: &str, start: usize) -> Result<(i64, usize), LexError> {
    let rest = &src[start + 1..];
    let mut chars = rest.char_indices();
    let value = match chars.next() {
        Some((_, '\\')) => match chars.next() {
            Some((_, 'n')) => '\n',
            Some((_, 't')) => '\t',
            Some((_, 'r')) => '\r',
            Some((_, '\\')) => '\\',
            Some((_, '\'')) => '\'',
            Some((_, '0')) => '\0',
            _ => return err("unterminated character constant", start),
        },
        Some((_, c)) if c != '\'' && c != '\n' => c,
        _ => return err("unterminated character constant", start),
    };
    match chars.next() {
        Some((i, '\'')) => Ok((i64::from(u32::from(value)), start + 1 + i + 1)),
        _ => err("unterminated character constant", start),
    }
}

/// For tests: the 1-based (line, column) of an offset.
#[cfg(test)]
pub(crate) fn pos(src: &str, offset: usize) -> (usize, usize) {
    crate::error::line_col(src, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<String> {
        lex(src)
            .unwrap_or_else(|e| panic!("{e:?}"))
            .into_iter()
            .map(|i| match i {
                Item::Text { text, .. } => format!("T:{text}"),
                Item::Action { toks, .. } => format!("A:{}", toks.len()),
            })
            .collect()
    }

    #[test]
    fn trim_markers_need_a_space() {
        assert_eq!(texts("a  \n{{- 1 -}}\n  b"), vec!["T:a", "A:1", "T:b"]);
        assert_eq!(texts("a {{-3}} b"), vec!["T:a ", "A:1", "T: b"]);
    }

    #[test]
    fn comments_vanish_and_trim() {
        assert_eq!(texts("a {{/* c\n c */}} b"), vec!["T:a ", "T: b"]);
        assert!(lex("{{ /* c */ }}").is_err());
        assert_eq!(texts("a \n{{- /* c */ -}}\n b"), vec!["T:a", "T:b"]);
        assert!(lex("{{/* c */ x}}").is_err());
        assert!(lex("{{/* c").is_err());
    }

    #[test]
    fn strings_and_numbers() {
        let items =
            lex(r#"{{ "a\tb\u00e9" `r"aw` 0x1F -2 1.5 'x' }}"#).unwrap_or_else(|e| panic!("{e:?}"));
        let Item::Action { toks, .. } = &items[0] else {
            panic!("expected an action")
        };
        let toks: Vec<Tok> = toks.iter().map(|(t, _)| t.clone()).collect();
        assert_eq!(
            toks,
            vec![
                Tok::Str("a\tbé".into()),
                Tok::Str("r\"aw".into()),
                Tok::Int(31),
                Tok::Int(-2),
                Tok::Float(1.5),
                Tok::Char(120),
            ]
        );
    }

    #[test]
    fn unclosed_action_points_at_its_start() {
        let src = "x\n  {{ env `A` ";
        let e = lex(src)
            .err()
            .unwrap_or_else(|| panic!("expected an error"));
        assert_eq!(pos(src, e.offset), (2, 3));
    }
}
