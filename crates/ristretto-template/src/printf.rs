//! Go's `fmt.Sprintf` for template values: what `printf` and `tfstatef` format with.
//!
//! Verbs `%s %d %v %q %t %x %X %f %%`, flags `-` and `0`, width and precision. Mismatches print
//! Go's diagnostics (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA …)`) instead of failing, as Go does.

use crate::value::{Value, go_float};

/// Formats `args` with Go's `fmt.Sprintf` rules.
pub(crate) fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::with_capacity(format.len() + 16);
    let mut next = 0usize;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.left = true,
                '0' => spec.zero = true,
                '+' => spec.plus = true,
                ' ' | '#' => {}
                _ => break,
            }
            chars.next();
        }
        spec.width = take_number(&mut chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(take_number(&mut chars).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        next += 1;
        let body = format_one(verb, arg, &spec);
        out.push_str(&spec.pad(body));
    }
    if next < args.len() {
        let extra: Vec<String> = args[next..].iter().map(bad_arg).collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

#[derive(Default)]
struct Spec {
    left: bool,
    zero: bool,
    plus: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

impl Spec {
    fn pad(&self, body: Padded) -> String {
        let Padded { text, numeric } = body;
        let Some(width) = self.width else {
            return text;
        };
        let len = text.chars().count();
        if len >= width {
            return text;
        }
        let fill = width - len;
        if self.left {
            format!("{text}{}", " ".repeat(fill))
        } else if self.zero && numeric {
            let (sign, digits) = match text.strip_prefix('-') {
                Some(rest) => ("-", rest.to_string()),
                None => ("", text.clone()),
            };
            format!("{sign}{}{digits}", "0".repeat(fill))
        } else {
            format!("{}{text}", " ".repeat(fill))
        }
    }
}

struct Padded {
    text: String,
    numeric: bool,
}

fn take_number(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    let mut n: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize));
        chars.next();
    }
    n
}

fn text(s: String) -> Padded {
    Padded {
        text: s,
        numeric: false,
    }
}

fn number(s: String) -> Padded {
    Padded {
        text: s,
        numeric: true,
    }
}

fn format_one(verb: char, arg: &Value, spec: &Spec) -> Padded {
    match (verb, arg) {
        ('v', Value::Nil) => text("<nil>".into()),
        ('v' | 's', Value::Str(s)) => text(truncate(s, spec.precision)),
        ('v', Value::Int(i)) | ('d', Value::Int(i)) => number(signed(*i, spec.plus)),
        ('v', Value::Float(f)) => number(go_float(*f)),
        ('v' | 't', Value::Bool(b)) => text(b.to_string()),
        ('q', Value::Str(s)) => text(go_quote(s)),
        ('q', Value::Int(i)) => text(
            u32::try_from(*i)
                .ok()
                .and_then(char::from_u32)
                .map_or_else(|| bad(verb, arg), |c| format!("'{c}'")),
        ),
        ('x', Value::Int(i)) => number(format!("{i:x}")),
        ('X', Value::Int(i)) => number(format!("{i:X}")),
        ('x', Value::Str(s)) => text(s.bytes().map(|b| format!("{b:02x}")).collect()),
        ('X', Value::Str(s)) => text(s.bytes().map(|b| format!("{b:02X}")).collect()),
        ('f' | 'F', Value::Float(f)) => number(format!("{f:.*}", spec.precision.unwrap_or(6))),
        ('e', Value::Float(f)) => number(format!("{f:e}")),
        ('g', Value::Float(f)) => number(go_float(*f)),
        _ => text(bad(verb, arg)),
    }
}

fn signed(i: i64, plus: bool) -> String {
    if plus && i >= 0 {
        format!("+{i}")
    } else {
        i.to_string()
    }
}

fn truncate(s: &str, precision: Option<usize>) -> String {
    match precision {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    }
}

fn bad(verb: char, arg: &Value) -> String {
    format!("%!{verb}({})", bad_arg(arg))
}

fn bad_arg(arg: &Value) -> String {
    match arg {
        Value::Nil => "<nil>".into(),
        other => format!("{}={}", other.type_name(), other),
    }
}

/// Go's `strconv.Quote`.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::Str(v.into())
    }

    #[test]
    fn common_verbs() {
        assert_eq!(
            sprintf(
                "%s-%d-%v-%q",
                &[s("a"), Value::Int(3), Value::Bool(true), s("x\"y")]
            ),
            r#"a-3-true-"x\"y""#
        );
        assert_eq!(sprintf("100%%", &[]), "100%");
        assert_eq!(
            sprintf("%05d|%-4s|%4s", &[Value::Int(42), s("ab"), s("cd")]),
            "00042|ab  |  cd"
        );
        assert_eq!(
            sprintf("%.2f %x", &[Value::Float(1.5), Value::Int(255)]),
            "1.50 ff"
        );
    }

    #[test]
    fn go_diagnostics_for_mismatches() {
        assert_eq!(sprintf("%d", &[s("foo")]), "%!d(string=foo)");
        assert_eq!(sprintf("%s %s", &[s("a")]), "a %!s(MISSING)");
        assert_eq!(sprintf("%s", &[s("a"), Value::Int(1)]), "a%!(EXTRA int=1)");
        assert_eq!(sprintf("%s", &[Value::Int(1)]), "%!s(int=1)");
        assert_eq!(sprintf("x%", &[]), "x%!(NOVERB)");
    }
}
