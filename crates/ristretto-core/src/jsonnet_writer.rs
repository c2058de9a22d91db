//! JSON values written as Jsonnet source, the way `jsonnetfmt` lays it out:
//! two-space indent, unquoted field names where Jsonnet allows them,
//! single-quoted strings, trailing commas. `init --jsonnet` writes files with
//! it; evaluating the text gives the value back.

use std::fmt::Write;

use serde_json::Value;

const KEYWORDS: &[&str] = &[
    "assert",
    "else",
    "error",
    "false",
    "for",
    "function",
    "if",
    "import",
    "importstr",
    "importbin",
    "in",
    "local",
    "null",
    "tailstrict",
    "then",
    "self",
    "super",
    "true",
];

/// `value` as Jsonnet source, with a trailing newline.
#[must_use]
pub fn to_jsonnet(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out.push('\n');
    out
}

fn write_value(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push_str("[\n");
            for item in items {
                indent(out, depth + 1);
                write_value(out, item, depth + 1);
                out.push_str(",\n");
            }
            indent(out, depth);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            out.push_str("{\n");
            for (key, child) in map {
                indent(out, depth + 1);
                if is_identifier(key) {
                    out.push_str(key);
                } else {
                    write_string(out, key);
                }
                out.push_str(": ");
                write_value(out, child, depth + 1);
                out.push_str(",\n");
            }
            indent(out, depth);
            out.push('}');
        }
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&key)
}

fn write_string(out: &mut String, s: &str) {
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_jsonnetfmt_layout() {
        let value = serde_json::json!({
            "family": "web",
            "containerDefinitions": [{"name": "app", "essential": true, "cpu": 0}],
            "dockerLabels": {"com.example/team": "it's", "local": "x"},
            "empty": [],
        });
        assert_eq!(
            to_jsonnet(&value),
            "{
  containerDefinitions: [
    {
      cpu: 0,
      essential: true,
      name: 'app',
    },
  ],
  dockerLabels: {
    'com.example/team': 'it\\'s',
    'local': 'x',
  },
  empty: [],
  family: 'web',
}
"
        );
    }
}
