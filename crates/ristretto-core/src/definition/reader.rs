//! A schema-guided reader from a `serde_json::Value` into the SDK's own types.
//!
//! The SDK's JSON codec silently skips members it does not know, which would
//! turn a misspelt `enviroment` into a task definition without environment.
//! This reader implements the same `ShapeDeserializer` interface over a parsed
//! value, so the generated `deserialize` functions drive it exactly as they
//! drive the codec, but it keeps the JSON path of every value and records each
//! unknown member and wrong type as a [`Problem`] instead of skipping it.
//!
//! It also carries the leniency ecspresso users rely on: member names match
//! case-insensitively (PascalCase files load), `null` members are dropped, and
//! optionally so are empty arrays. Keys of maps (`dockerLabels`, `options`) are
//! never touched.

use aws_smithy_schema::Schema;
use aws_smithy_schema::serde::{SerdeError, ShapeDeserializer};
use aws_smithy_types::{BigDecimal, BigInteger, Blob, DateTime, Document, Number};
use serde_json::Value;

use crate::error::{Problem, ProblemKind};
use crate::path::JsonPath;

/// How lenient the reader is, and what it collects.
pub(crate) struct ReadContext {
    /// Drop members whose value is `[]` (ecspresso does so for task definitions).
    pub drop_empty_arrays: bool,
    /// Member names accepted and ignored at the document root (read-only fields
    /// of `describe-*` output).
    pub ignored_root_members: Vec<&'static str>,
    /// Where the document's root value sits (inside a `taskDefinition` wrapper).
    pub root: JsonPath,
    /// Everything wrong with the document, in document order.
    pub problems: Vec<Problem>,
}

/// Reads one value at one path.
pub(crate) struct ValueReader<'v, 'c> {
    value: &'v Value,
    path: JsonPath,
    ctx: &'c mut ReadContext,
}

impl<'v, 'c> ValueReader<'v, 'c> {
    pub(crate) fn new(value: &'v Value, ctx: &'c mut ReadContext) -> Self {
        let path = ctx.root.clone();
        Self { value, path, ctx }
    }

    fn problem(&mut self, kind: ProblemKind) {
        self.ctx.problems.push(Problem {
            path: self.path.clone(),
            position: None,
            kind,
        });
    }

    fn wrong_type(&mut self, expected: &'static str) {
        let found = describe(self.value);
        self.problem(ProblemKind::WrongType { expected, found });
    }

    fn number(&mut self, expected: &'static str) -> Option<&'v serde_json::Number> {
        match self.value {
            Value::Number(n) => Some(n),
            _ => {
                self.wrong_type(expected);
                None
            }
        }
    }

    fn integer<T: TryFrom<i64> + Default>(&mut self, expected: &'static str) -> T {
        let Some(n) = self.number(expected) else {
            return T::default();
        };
        let whole = n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64));
        match whole.map(T::try_from) {
            Some(Ok(v)) => v,
            _ => {
                self.problem(ProblemKind::Invalid {
                    message: format!("{n} is not {expected}"),
                });
                T::default()
            }
        }
    }

    fn float(&mut self, expected: &'static str) -> f64 {
        self.number(expected)
            .and_then(serde_json::Number::as_f64)
            .unwrap_or_default()
    }
}

/// "a string", "an object", … for messages.
pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The schema member a document key names: exact match first, then ignoring
/// case (ecspresso's Go decoder matches field names case-insensitively).
pub(crate) fn find_member<'s>(schema: &'s Schema<'_>, key: &str) -> Option<&'s Schema<'s>> {
    let members = schema.members();
    members
        .iter()
        .find(|m| m.member_name() == Some(key))
        .or_else(|| {
            members
                .iter()
                .find(|m| m.member_name().is_some_and(|n| n.eq_ignore_ascii_case(key)))
        })
        .copied()
}

/// The closest member name to a misspelt key, when one is close enough.
pub(crate) fn suggest<'a>(
    key: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let lowered = key.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lowered, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_owned())
}

impl ShapeDeserializer for ValueReader<'_, '_> {
    fn read_struct(
        &mut self,
        schema: &Schema<'_>,
        state: &mut dyn FnMut(&Schema<'_>, &mut dyn ShapeDeserializer) -> Result<(), SerdeError>,
    ) -> Result<(), SerdeError> {
        let Value::Object(object) = self.value else {
            self.wrong_type("an object");
            return Ok(());
        };
        let at_root = self.path == self.ctx.root;
        for (key, value) in object {
            let child_path = self.path.key(key);
            if value.is_null()
                || (self.ctx.drop_empty_arrays && value.as_array().is_some_and(Vec::is_empty))
            {
                continue;
            }
            let Some(member) = find_member(schema, key) else {
                let ignored = at_root
                    && self
                        .ctx
                        .ignored_root_members
                        .iter()
                        .any(|m| m.eq_ignore_ascii_case(key));
                if !ignored {
                    let suggestion =
                        suggest(key, schema.members().iter().filter_map(|m| m.member_name()));
                    self.ctx.problems.push(Problem {
                        path: child_path,
                        position: None,
                        kind: ProblemKind::UnknownField { suggestion },
                    });
                }
                continue;
            };
            let mut child = ValueReader {
                value,
                path: child_path,
                ctx: self.ctx,
            };
            state(member, &mut child)?;
        }
        Ok(())
    }

    fn read_list(
        &mut self,
        _schema: &Schema<'_>,
        state: &mut dyn FnMut(&mut dyn ShapeDeserializer) -> Result<(), SerdeError>,
    ) -> Result<(), SerdeError> {
        let Value::Array(items) = self.value else {
            self.wrong_type("an array");
            return Ok(());
        };
        for (index, value) in items.iter().enumerate() {
            let mut child = ValueReader {
                value,
                path: self.path.index(index),
                ctx: self.ctx,
            };
            state(&mut child)?;
        }
        Ok(())
    }

    fn read_map(
        &mut self,
        _schema: &Schema<'_>,
        state: &mut dyn FnMut(String, &mut dyn ShapeDeserializer) -> Result<(), SerdeError>,
    ) -> Result<(), SerdeError> {
        let Value::Object(object) = self.value else {
            self.wrong_type("an object");
            return Ok(());
        };
        for (key, value) in object {
            let mut child = ValueReader {
                value,
                path: self.path.key(key),
                ctx: self.ctx,
            };
            state(key.clone(), &mut child)?;
        }
        Ok(())
    }

    fn read_boolean(&mut self, _schema: &Schema<'_>) -> Result<bool, SerdeError> {
        if let Value::Bool(b) = self.value {
            return Ok(*b);
        }
        self.wrong_type("a boolean");
        Ok(false)
    }

    fn read_byte(&mut self, _schema: &Schema<'_>) -> Result<i8, SerdeError> {
        Ok(self.integer("an 8-bit integer"))
    }

    fn read_short(&mut self, _schema: &Schema<'_>) -> Result<i16, SerdeError> {
        Ok(self.integer("a 16-bit integer"))
    }

    fn read_integer(&mut self, _schema: &Schema<'_>) -> Result<i32, SerdeError> {
        Ok(self.integer("an integer"))
    }

    fn read_long(&mut self, _schema: &Schema<'_>) -> Result<i64, SerdeError> {
        Ok(self.integer("an integer"))
    }

    #[allow(clippy::cast_possible_truncation)]
    fn read_float(&mut self, _schema: &Schema<'_>) -> Result<f32, SerdeError> {
        Ok(self.float("a number") as f32)
    }

    fn read_double(&mut self, _schema: &Schema<'_>) -> Result<f64, SerdeError> {
        Ok(self.float("a number"))
    }

    fn read_big_integer(&mut self, _schema: &Schema<'_>) -> Result<BigInteger, SerdeError> {
        let text = self
            .number("a number")
            .map(ToString::to_string)
            .unwrap_or_default();
        Ok(text.parse().unwrap_or_default())
    }

    fn read_big_decimal(&mut self, _schema: &Schema<'_>) -> Result<BigDecimal, SerdeError> {
        let text = self
            .number("a number")
            .map(ToString::to_string)
            .unwrap_or_default();
        Ok(text.parse().unwrap_or_default())
    }

    fn read_string(&mut self, _schema: &Schema<'_>) -> Result<String, SerdeError> {
        if let Value::String(s) = self.value {
            return Ok(s.clone());
        }
        self.wrong_type("a string");
        Ok(String::new())
    }

    fn read_blob(&mut self, _schema: &Schema<'_>) -> Result<Blob, SerdeError> {
        let Value::String(s) = self.value else {
            self.wrong_type("a base64 string");
            return Ok(Blob::new(Vec::new()));
        };
        match aws_smithy_types::base64::decode(s) {
            Ok(bytes) => Ok(Blob::new(bytes)),
            Err(_) => {
                self.problem(ProblemKind::Invalid {
                    message: "not valid base64".to_owned(),
                });
                Ok(Blob::new(Vec::new()))
            }
        }
    }

    fn read_timestamp(&mut self, _schema: &Schema<'_>) -> Result<DateTime, SerdeError> {
        let parsed = match self.value {
            Value::Number(n) => n.as_f64().map(DateTime::from_secs_f64),
            Value::String(s) => {
                DateTime::from_str(s, aws_smithy_types::date_time::Format::DateTime).ok()
            }
            _ => None,
        };
        Ok(parsed.unwrap_or_else(|| {
            self.wrong_type("a timestamp (epoch seconds or RFC 3339)");
            DateTime::from_secs(0)
        }))
    }

    fn read_document(&mut self, _schema: &Schema<'_>) -> Result<Document, SerdeError> {
        Ok(to_document(self.value))
    }

    fn is_null(&self) -> bool {
        self.value.is_null()
    }

    fn container_size(&self) -> Option<usize> {
        match self.value {
            Value::Array(a) => Some(a.len()),
            Value::Object(o) => Some(o.len()),
            _ => None,
        }
    }
}

fn to_document(value: &Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Document::Number(Number::PosInt(u))
            } else if let Some(i) = n.as_i64() {
                Document::Number(Number::NegInt(i))
            } else {
                Document::Number(Number::Float(n.as_f64().unwrap_or_default()))
            }
        }
        Value::String(s) => Document::String(s.clone()),
        Value::Array(a) => Document::Array(a.iter().map(to_document).collect()),
        Value::Object(o) => {
            Document::Object(o.iter().map(|(k, v)| (k.clone(), to_document(v))).collect())
        }
    }
}
