//! The functions every template has: `env`, `must_env`, `json_escape`.
//!
//! Their exact semantics are ecspresso's (go-config's default function map); the one deliberate
//! change is that an unset `must_env` variable is an ordinary error instead of a crash.

use crate::env::Env;
use crate::error::CallError;

/// Go-syntax `env KEY [DEFAULT…]`: the first argument whose variable is set and non-empty,
/// else the last argument itself, else `""` with no arguments. Note that the default is
/// looked up as a variable name too, as ecspresso does.
pub(crate) fn env_go(env: &dyn Env, keys: &[&str]) -> String {
    for key in keys {
        if let Some(v) = env.var(key).filter(|v| !v.is_empty()) {
            return v;
        }
    }
    keys.last().map_or_else(String::new, |s| (*s).to_string())
}

/// tera / Jsonnet `env(name, default)`: the variable when set and non-empty, else `default`
/// taken literally (`""` when absent).
pub(crate) fn env_named(env: &dyn Env, name: &str, default: Option<&str>) -> String {
    env.var(name)
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.unwrap_or_default().to_string())
}

/// `must_env KEY`: the variable's value, which may be empty; unset is an error.
pub(crate) fn must_env(env: &dyn Env, name: &str) -> Result<String, CallError> {
    env.var(name).ok_or_else(|| {
        CallError::new(format!("environment variable `{name}` is not defined")).with_hint(format!(
            "set `{name}` in the environment or in a file given with `--envfile`"
        ))
    })
}

/// Go's `json.Marshal(s)` without the surrounding quotes: escapes `"`, `\`, control
/// characters, and HTML-sensitive `<`, `>`, `&`, U+2028 and U+2029.
pub fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;

    #[test]
    fn env_returns_first_non_empty_then_last_literal() {
        let env = MapEnv::from_pairs([("EMPTY", ""), ("latest", "from-var"), ("A", "a")]);
        assert_eq!(env_go(&env, &["FOO"]), "FOO");
        assert_eq!(env_go(&env, &["EMPTY", "dflt"]), "dflt");
        assert_eq!(env_go(&env, &["TAG", "latest"]), "from-var");
        assert_eq!(env_go(&env, &["A", "b"]), "a");
        assert_eq!(env_go(&env, &[]), "");
    }

    #[test]
    fn must_env_allows_empty_but_not_unset() {
        let env = MapEnv::from_pairs([("EMPTY", "")]);
        assert_eq!(must_env(&env, "EMPTY"), Ok(String::new()));
        let err = must_env(&env, "NOPE").err();
        assert!(err.is_some_and(|e| e.message.contains("`NOPE`") && e.hint.is_some()));
    }

    #[test]
    fn json_escape_is_go_html_safe() {
        assert_eq!(json_escape(r#"<a&"b">"#), r#"\u003ca\u0026\"b\"\u003e"#);
        assert_eq!(
            json_escape("a\\b\n\u{1}\u{2028}"),
            "a\\\\b\\n\\u0001\\u2028"
        );
        assert_eq!(json_escape(r#"{"foo":"bar"}"#), r#"{\"foo\":\"bar\"}"#);
    }
}
