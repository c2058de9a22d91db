//! The config file: which service, which cluster, which definition files, and
//! how long to wait. Keys and meaning are ecspresso's, so its files load as
//! they are; unknown keys are errors that name the nearest known key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::definition::reader::suggest;
use crate::error::{LoadError, Problem, ProblemKind};
use crate::locate::{self, Position};
use crate::path::JsonPath;
use crate::{duration, version};

/// The default cluster when the config names none.
pub const DEFAULT_CLUSTER: &str = "default";
/// The default `timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// Config file names tried, in order, when `--config` is not given.
pub const DISCOVERY_ORDER: [&str; 6] = [
    "ristretto.yml",
    "ristretto.yaml",
    "ecspresso.yml",
    "ecspresso.yaml",
    "ecspresso.json",
    "ecspresso.jsonnet",
];

/// A loaded, validated config with defaults applied and paths resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    /// The config file itself.
    #[serde(skip)]
    pub file: PathBuf,
    /// Version constraint on the binary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_version: Option<String>,
    /// AWS region; falls back to the environment's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// ECS cluster name.
    pub cluster: String,
    /// ECS service name; absent for task-definition-only use (`run`, `register`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Service definition path, resolved against the config's folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_definition: Option<PathBuf>,
    /// Task definition path, resolved against the config's folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<PathBuf>,
    /// How long a command may wait, in total.
    #[serde(serialize_with = "serialize_duration")]
    pub timeout: Duration,
    /// Template plugins, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plugins: Vec<Plugin>,
    /// AppSpec settings for CodeDeploy (its `Hooks`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appspec: Option<Value>,
    /// CodeDeploy application and deployment group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codedeploy: Option<CodeDeploy>,
    /// What diff and deploy leave alone.
    #[serde(skip_serializing_if = "Ignore::is_empty")]
    pub ignore: Ignore,
    /// Deprecated, as in ecspresso: the command that chooses a task when several match; the
    /// `--filter-command` flag and `RISTRETTO_FILTER_COMMAND` win over it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_command: Option<String>,
}

/// A template plugin (`tfstate`, `ssm`, `secretsmanager`, `cloudformation`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plugin {
    /// Plugin name.
    pub name: String,
    /// Plugin settings (`path` or `url` for tfstate).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub config: Value,
    /// Prefix for every function the plugin adds.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub func_prefix: String,
}

/// The `codedeploy` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CodeDeploy {
    /// CodeDeploy application name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_name: Option<String>,
    /// Deployment group name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_group_name: Option<String>,
    /// Deployment config overriding the group's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_config_name: Option<String>,
}

/// The `ignore` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ignore {
    /// Tag keys that diff and deploy leave alone.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl Ignore {
    fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }
}

/// The document format of a config file, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.yml` / `.yaml`: rendered, then parsed as YAML.
    Yaml,
    /// `.json` / `.jsonnet`: evaluated as Jsonnet, rendered, then parsed as JSON.
    Jsonnet,
}

impl Format {
    /// The format a file name selects (after any `.tera` suffix is removed).
    ///
    /// # Errors
    /// [`LoadError::UnsupportedExtension`] for anything else.
    pub fn of(path: &Path) -> Result<Self, LoadError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("yml" | "yaml") => Ok(Self::Yaml),
            Some("json" | "jsonnet") => Ok(Self::Jsonnet),
            _ => Err(LoadError::UnsupportedExtension {
                path: path.to_owned(),
                supported: "`.yml`, `.yaml`, `.json` or `.jsonnet`",
            }),
        }
    }
}

/// The config file to use when `--config` is not given: the first of
/// [`DISCOVERY_ORDER`] that exists in `dir`.
///
/// # Errors
/// [`LoadError::NoConfig`] when none exists.
pub fn discover(dir: &Path) -> Result<PathBuf, LoadError> {
    DISCOVERY_ORDER
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
        .ok_or_else(|| LoadError::NoConfig {
            dir: dir.to_owned(),
            tried: DISCOVERY_ORDER.to_vec(),
        })
}

/// The keys each block of the config accepts.
const ROOT_KEYS: &[&str] = &[
    "required_version",
    "region",
    "cluster",
    "service",
    "service_definition",
    "task_definition",
    "timeout",
    "plugins",
    "appspec",
    "codedeploy",
    "ignore",
    "filter_command",
];
const PLUGIN_KEYS: &[&str] = &["name", "config", "func_prefix"];
const CODEDEPLOY_KEYS: &[&str] = &[
    "application_name",
    "deployment_group_name",
    "deployment_config_name",
];
const IGNORE_KEYS: &[&str] = &["tags"];
const APPSPEC_KEYS: &[&str] = &["version", "Resources", "Hooks"];

/// The config file's fields as written, before defaults and resolution.
#[derive(Deserialize)]
struct Raw {
    required_version: Option<String>,
    region: Option<String>,
    cluster: Option<String>,
    service: Option<String>,
    service_definition: Option<String>,
    task_definition: Option<String>,
    timeout: Option<TimeoutValue>,
    #[serde(default)]
    plugins: Vec<Plugin>,
    appspec: Option<Value>,
    codedeploy: Option<CodeDeploy>,
    #[serde(default)]
    ignore: Ignore,
    filter_command: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TimeoutValue {
    Seconds(f64),
    Text(String),
}

/// A warning about a config that loaded (deprecated keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning(pub String);

/// Parses a config document (already rendered; Jsonnet already evaluated) and
/// checks it against `binary_version`.
///
/// # Errors
/// Invalid YAML or JSON, unknown keys, wrong types, a bad timeout, an
/// unsatisfied `required_version`: all with file, line and a hint.
pub fn parse(
    text: &str,
    file: &Path,
    format: Format,
    binary_version: &semver::Version,
) -> Result<(Config, Vec<Warning>), LoadError> {
    let mut value = parse_document(text, file, format)?;
    drop_nulls(&mut value);
    let position = |path: &JsonPath| match format {
        Format::Yaml => locate::in_yaml(text, path),
        Format::Jsonnet => locate::in_json(text, path),
    };

    let mut problems = match format {
        Format::Yaml => yaml_duplicates(text),
        Format::Jsonnet => Vec::new(),
    };
    check_keys(&value, &mut problems);
    check_plugin_names(&value, &mut problems);
    if problems.is_empty() {
        return build(value, file, binary_version, &position);
    }
    for problem in problems.iter_mut().filter(|p| p.position.is_none()) {
        problem.position = position(&problem.path);
    }
    Err(LoadError::Invalid {
        file: file.to_owned(),
        what: "config",
        problems,
    })
}

fn parse_document(text: &str, file: &Path, format: Format) -> Result<Value, LoadError> {
    let value = match format {
        Format::Yaml => yaml_serde::from_str::<Value>(text).map_err(|e| LoadError::Syntax {
            file: file.to_owned(),
            position: e.location().map(|l| Position {
                line: l.line(),
                column: l.column(),
            }),
            format: "YAML",
            message: e
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned(),
        })?,
        Format::Jsonnet => crate::definition::parse_json(text, file)?,
    };
    match value {
        Value::Object(_) => Ok(value),
        // An empty YAML file is a config with every default.
        Value::Null => Ok(Value::Object(serde_json::Map::new())),
        other => Err(LoadError::Invalid {
            file: file.to_owned(),
            what: "config",
            problems: vec![Problem {
                path: JsonPath::root(),
                position: Some(Position { line: 1, column: 1 }),
                kind: ProblemKind::WrongType {
                    expected: "a mapping of keys",
                    found: crate::definition::reader::describe(&other),
                },
            }],
        }),
    }
}

/// Removes the keys whose value is null, in every block: a template that
/// renders nothing after `plugins:` or `ignore:` leaves a null there, and
/// ecspresso (Go's YAML and JSON decoders) reads a null as the key's zero
/// value: no plugins, nothing ignored.
fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// The plugins that are always loaded first; a config that lists them again
/// adds nothing, and their functions never clash (ecspresso skips them).
const DEFAULT_PLUGINS: &[&str] = &["ssm", "secretsmanager"];

/// Two plugins of the same kind with the same `func_prefix` would define the
/// same template functions twice: ecspresso refuses such a config when it
/// loads it, whatever the command, so ristretto does too, before anything
/// is rendered.
fn check_plugin_names(value: &Value, problems: &mut Vec<Problem>) {
    let Some(Value::Array(plugins)) = value.get("plugins") else {
        return;
    };
    let mut seen: Vec<(String, String, usize)> = Vec::new();
    for (i, plugin) in plugins.iter().enumerate() {
        let Some(name) = plugin.get("name").and_then(Value::as_str) else {
            continue;
        };
        let name = name.to_ascii_lowercase();
        if DEFAULT_PLUGINS.contains(&name.as_str()) {
            continue;
        }
        let prefix = plugin
            .get("func_prefix")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if let Some((_, _, first)) = seen.iter().find(|(n, p, _)| *n == name && *p == prefix) {
            let functions = if prefix.is_empty() {
                format!("the `{name}` plugin's functions")
            } else {
                format!("the `{name}` plugin's functions with prefix `{prefix}`")
            };
            problems.push(Problem {
                path: JsonPath::root().key("plugins").index(i),
                position: None,
                kind: ProblemKind::Invalid {
                    message: format!(
                        "{functions} are already defined by plugins[{first}]; set a different \
                         `func_prefix` on one of them (e.g. `func_prefix: {name}{i}_`)"
                    ),
                },
            });
        } else {
            seen.push((name, prefix, i));
        }
    }
}

fn check_keys(value: &Value, problems: &mut Vec<Problem>) {
    let root = JsonPath::root();
    check_block(value, &root, ROOT_KEYS, false, problems);
    if let Some(Value::Array(plugins)) = value.get("plugins") {
        for (i, plugin) in plugins.iter().enumerate() {
            check_block(
                plugin,
                &root.key("plugins").index(i),
                PLUGIN_KEYS,
                false,
                problems,
            );
        }
    }
    if let Some(block) = value.get("codedeploy") {
        check_block(
            block,
            &root.key("codedeploy"),
            CODEDEPLOY_KEYS,
            false,
            problems,
        );
    }
    if let Some(block) = value.get("ignore") {
        check_block(block, &root.key("ignore"), IGNORE_KEYS, false, problems);
    }
    if let Some(block) = value.get("appspec") {
        // ecspresso decodes the AppSpec block case-insensitively.
        check_block(block, &root.key("appspec"), APPSPEC_KEYS, true, problems);
    }
}

fn check_block(
    value: &Value,
    path: &JsonPath,
    known: &[&str],
    any_case: bool,
    problems: &mut Vec<Problem>,
) {
    let Value::Object(object) = value else { return };
    for key in object.keys() {
        let found = known
            .iter()
            .any(|k| *k == key || (any_case && k.eq_ignore_ascii_case(key)));
        if !found {
            problems.push(Problem {
                path: path.key(key),
                position: None,
                kind: ProblemKind::UnknownField {
                    suggestion: suggest(key, known.iter().copied()),
                },
            });
        }
    }
}

fn build(
    value: Value,
    file: &Path,
    binary_version: &semver::Version,
    position: &dyn Fn(&JsonPath) -> Option<Position>,
) -> Result<(Config, Vec<Warning>), LoadError> {
    let raw: Raw = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = path_from_serde(e.path());
        let position = position(&path);
        LoadError::Value {
            file: file.to_owned(),
            position,
            message: format!("`{path}`: {}", e.inner()),
            hint: Some("see config.yaml.example for every key and its type".to_owned()),
        }
    })?;
    let value_error = |key: &str, message: String, hint: &str| LoadError::Value {
        file: file.to_owned(),
        position: position(&JsonPath::root().key(key)),
        message,
        hint: Some(hint.to_owned()),
    };

    let mut warnings = Vec::new();
    if let Some(constraint) = &raw.required_version {
        check_version(constraint, binary_version, file).map_err(|e| {
            e.unwrap_or_else(|m| {
                value_error(
                    "required_version",
                    m,
                    "write constraints like `>= 2.0.0, < 3`",
                )
            })
        })?;
    }
    let timeout = match raw.timeout {
        None => DEFAULT_TIMEOUT,
        Some(TimeoutValue::Seconds(s)) => duration::parse(&s.to_string()).map_err(|m| {
            value_error(
                "timeout",
                m,
                "write a duration like `10m`, `90s` or `1h30m`",
            )
        })?,
        Some(TimeoutValue::Text(t)) => duration::parse(&t).map_err(|m| {
            value_error(
                "timeout",
                m,
                "write a duration like `10m`, `90s` or `1h30m`",
            )
        })?,
    };
    // A malformed region or service name would only fail at the first AWS
    // call, with the SDK's text and no file (issue 14, item 4).
    if let Some(message) = raw
        .region
        .as_deref()
        .filter(|r| !r.is_empty())
        .and_then(crate::validate::region)
    {
        return Err(value_error(
            "region",
            format!("`region`: {message}"),
            "write a region such as `us-east-1`, or leave `region` out to use AWS_REGION",
        ));
    }
    if let Some(message) = raw
        .service
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(crate::validate::service_name)
    {
        return Err(value_error(
            "service",
            format!("`service`: {message}"),
            "ECS service names are up to 255 letters, numbers, underscores and hyphens",
        ));
    }
    if raw.filter_command.is_some() {
        warnings.push(Warning(
            "`filter_command` is deprecated: set `RISTRETTO_FILTER_COMMAND` or pass `--filter-command` instead".to_owned(),
        ));
    }
    let dir = file.parent().unwrap_or_else(|| Path::new(""));
    let resolve = |p: Option<String>| p.filter(|p| !p.is_empty()).map(|p| dir.join(p));
    let config = Config {
        file: file.to_owned(),
        required_version: raw.required_version,
        region: raw.region.filter(|r| !r.is_empty()),
        cluster: raw
            .cluster
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| DEFAULT_CLUSTER.to_owned()),
        service: raw.service.filter(|s| !s.is_empty()),
        service_definition: resolve(raw.service_definition),
        task_definition: resolve(raw.task_definition),
        timeout,
        plugins: raw.plugins,
        appspec: raw.appspec,
        codedeploy: raw.codedeploy,
        ignore: raw.ignore,
        filter_command: raw.filter_command,
    };
    Ok((config, warnings))
}

/// `Err(Ok(mismatch))` when the constraint is not met, `Err(Err(message))`
/// when it cannot be parsed.
fn check_version(
    constraint: &str,
    binary: &semver::Version,
    file: &Path,
) -> Result<(), Result<LoadError, String>> {
    let ours = version::satisfies(constraint, binary).map_err(Err)?;
    let compatible = semver::Version::parse(version::ECSPRESSO_COMPATIBLE)
        .map_or(Ok(false), |v| version::satisfies(constraint, &v))
        .map_err(Err)?;
    if ours || compatible {
        return Ok(());
    }
    Err(Ok(LoadError::VersionMismatch {
        file: file.to_owned(),
        constraint: constraint.to_owned(),
        version: binary.to_string(),
    }))
}

fn path_from_serde(path: &serde_path_to_error::Path) -> JsonPath {
    use serde_path_to_error::Segment as S;
    path.iter()
        .fold(JsonPath::root(), |acc, segment| match segment {
            S::Seq { index } => acc.index(*index),
            S::Map { key } => acc.key(key),
            S::Enum { variant } => acc.key(variant),
            S::Unknown => acc,
        })
}

fn serialize_duration<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&duration::format(*d))
}

/// Keys that appear twice in one YAML mapping, with the positions of both:
/// YAML readers keep the last silently, which turned `service: web` …
/// `service: api` into a new service `api` (issue 14).
fn yaml_duplicates(text: &str) -> Vec<Problem> {
    use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
    use std::cell::RefCell;

    struct Walk<'a> {
        path: JsonPath,
        found: &'a RefCell<Vec<JsonPath>>,
    }
    impl<'de> DeserializeSeed<'de> for Walk<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Walk<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("any YAML value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_none<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut i = 0;
            while seq
                .next_element_seed(Walk {
                    path: self.path.index(i),
                    found: self.found,
                })?
                .is_some()
            {
                i += 1;
            }
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = Vec::new();
            while let Some(key) = map.next_key::<Value>()? {
                let key = match key {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                let path = self.path.key(&key);
                if seen.contains(&key) {
                    self.found.borrow_mut().push(path.clone());
                } else {
                    seen.push(key);
                }
                map.next_value_seed(Walk {
                    path,
                    found: self.found,
                })?;
            }
            Ok(())
        }
    }

    let found = RefCell::new(Vec::new());
    let walk = Walk {
        path: JsonPath::root(),
        found: &found,
    };
    // A document the walk cannot read fails the real parse with a position.
    if walk
        .deserialize(yaml_serde::Deserializer::from_str(text))
        .is_err()
    {
        return Vec::new();
    }
    found
        .into_inner()
        .into_iter()
        .map(|path| {
            let places = locate::all_in_yaml(text, &path);
            let (second, first) = match places.as_slice() {
                [first, second, ..] => (Some(*second), Some(*first)),
                [one] => (Some(*one), None),
                [] => (None, None),
            };
            let key = match path.segments().last() {
                Some(crate::path::Segment::Key(k)) => k.clone(),
                _ => String::new(),
            };
            let message = match first {
                Some(at) => format!(
                    "duplicate key `{key}`: it is also at line {}, column {}; only one can be used",
                    at.line, at.column
                ),
                None => format!("duplicate key `{key}`; only one can be used"),
            };
            Problem {
                path,
                position: second,
                kind: ProblemKind::Invalid { message },
            }
        })
        .collect()
}

#[cfg(test)]
mod duplicate_tests {
    use super::*;

    // Issue 14, item 2: `service: web` … `service: api` created a service `api`.
    #[test]
    fn a_duplicate_yaml_key_is_an_error_naming_both_lines() {
        let text = "cluster: default\nservice: web\ntask_definition: td.json\nservice: api\n";
        let err = parse(
            text,
            Path::new("config.yaml"),
            Format::Yaml,
            &semver::Version::new(1, 0, 0),
        )
        .expect_err("a duplicate key fails");
        let details = err.details().join("\n");
        assert_eq!(
            details,
            "config.yaml:4:1: `service`: duplicate key `service`: it is also at line 2, column 1; only one can be used"
        );
    }

    #[test]
    fn a_duplicate_nested_yaml_key_is_found_in_its_block() {
        let text = "codedeploy:\n  application_name: a\n  application_name: b\nservice: web\n";
        let err = parse(
            text,
            Path::new("c.yml"),
            Format::Yaml,
            &semver::Version::new(1, 0, 0),
        )
        .expect_err("fails");
        assert!(
            err.details()[0].starts_with("c.yml:3:3: `codedeploy.application_name`: duplicate key"),
            "{:?}",
            err.details()
        );
    }
}
