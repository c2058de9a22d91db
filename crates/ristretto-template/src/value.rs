//! The values template functions take and give.
//!
//! Go templates, tera and Jsonnet each have their own value type; functions are written once
//! against this small one (what Go's constants and ecspresso's functions need), and each
//! syntax converts at its boundary.

use std::fmt;

/// A template value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Value {
    /// Go's truth: false, 0, "" and nil are false.
    pub(crate) fn is_true(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
        }
    }

    /// Go's name of the type, as its error messages print it.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
        }
    }
}

impl fmt::Display for Value {
    /// Go's `%v` / what `{{ x }}` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("<no value>"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&go_float(*x)),
            Value::Str(s) => f.write_str(s),
        }
    }
}

/// Go's `%v` of a float64 (`strconv.FormatFloat(x, 'g', -1, 64)` with Go's exponent form).
pub(crate) fn go_float(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let exp = x.abs().log10().floor();
    if (-4.0..21.0).contains(&exp) {
        format!("{x}")
    } else {
        // Rust prints `1e21`, Go prints `1e+21`
        let s = format!("{x:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => {
                let e = if e.len() < 2 {
                    format!("0{e}")
                } else {
                    e.into()
                };
                format!("{m}e+{e}")
            }
            Some((m, e)) => {
                let digits = &e[1..];
                let digits = if digits.len() < 2 {
                    format!("0{digits}")
                } else {
                    digits.into()
                };
                format!("{m}e-{digits}")
            }
            None => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_truthiness() {
        assert!(!Value::Str(String::new()).is_true());
        assert!(Value::Str("0".into()).is_true());
        assert!(!Value::Int(0).is_true());
        assert!(!Value::Nil.is_true());
        assert!(Value::Bool(true).is_true());
    }

    #[test]
    fn floats_print_like_go() {
        assert_eq!(go_float(1.5), "1.5");
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(1e-7), "1e-07");
        assert_eq!(go_float(100.0), "100");
    }
}
