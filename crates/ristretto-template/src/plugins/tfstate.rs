//! The `tfstate` plugin: `tfstate ADDR` and `tfstatef FORMAT ARGS…` read a Terraform state (v4).
//!
//! The state is read once, when the plugin is set up, from a local `path` (relative to the
//! config's folder) or a `url` (`s3://bucket/key`, `file://…`, or a plain path). A state that
//! only points at a backend (what `.terraform/terraform.tfstate` holds) is followed to the
//! `local` or `s3` backend's state. The workspace comes from the `environment` file that
//! `terraform workspace select` writes next to the state (or in `.terraform/` beside it); a
//! non-default workspace reads `terraform.tfstate.d/<ws>/terraform.tfstate` for local states
//! and `<workspace_key_prefix or env:>/<ws>/<key>` for S3 backends.
//!
//! Address lookup follows tfstate-lookup: every output (`output.NAME`) and resource instance
//! (`[module.M.]…[data.]TYPE.NAME[INDEX]`, with `INDEX` the instance's `index_key` as JSON:
//! `["key"]` or `[0]`) is an entry; the entry whose address is the longest prefix of the
//! requested address is taken, and the rest of the address (`.id`, `.tags.Name`, `["k"]`,
//! `[0]`) is a path into its attributes. Single quotes in the address become double quotes.
//! Strings come out raw, anything else as compact JSON.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;

use super::str_arg;
use crate::error::{CallError, TemplateError};
use crate::functions::{FunctionDef, PluginSpec, Syntaxes};
use crate::lookups::AwsLookups;
use crate::printf::sprintf;
use crate::value::Value;

/// A loaded state: every addressable entry.
#[derive(Debug, Default)]
pub(crate) struct TfState {
    entries: BTreeMap<String, Json>,
    source: String,
}

pub(super) fn setup(
    spec: &PluginSpec,
    base_dir: &Path,
    lookups: &Arc<dyn AwsLookups>,
) -> Result<Vec<(&'static str, FunctionDef)>, TemplateError> {
    let err = |msg: &str| {
        TemplateError::new(spec.position.clone(), msg.to_string()).with_hint(
            "e.g. `config: { path: terraform.tfstate }` or `config: { url: s3://bucket/key }`",
        )
    };
    let path = spec.config.get("path").filter(|v| !v.is_null());
    let url = spec.config.get("url").filter(|v| !v.is_null());
    let state = match (path, url) {
        (Some(p), _) => {
            let p = p
                .as_str()
                .ok_or_else(|| err("tfstate plugin requires path for tfstate file as a string"))?;
            TfState::read_file(&base_dir.join(p), &**lookups)
        }
        (None, Some(u)) => {
            let u = u
                .as_str()
                .ok_or_else(|| err("tfstate plugin requires url for tfstate file as a string"))?;
            TfState::read_url(u, base_dir, &**lookups)
        }
        (None, None) => {
            return Err(err(
                "tfstate plugin requires path or url for tfstate location",
            ));
        }
    }
    .map_err(|e| e.at(spec.position.clone()))?;
    let state = Arc::new(state);

    let s = Arc::clone(&state);
    let tfstate = FunctionDef {
        params: &["address"],
        required: 1,
        variadic: false,
        secret: false,
        syntaxes: Syntaxes::ALL,
        call: Arc::new(move |args: &[Value]| s.lookup(str_arg("tfstate", args, 0)?)),
    };
    let s = state;
    let tfstatef = FunctionDef {
        params: &["format", "args"],
        required: 1,
        variadic: true,
        secret: false,
        syntaxes: Syntaxes::TEMPLATES,
        call: Arc::new(move |args: &[Value]| {
            let format = str_arg("tfstatef", args, 0)?;
            s.lookup(&sprintf(format, args.get(1..).unwrap_or_default()))
        }),
    };
    Ok(vec![("tfstate", tfstate), ("tfstatef", tfstatef)])
}

impl TfState {
    /// Reads a local state file, following a backend pointer and the selected workspace.
    pub(crate) fn read_file(path: &Path, lookups: &dyn AwsLookups) -> Result<Self, CallError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let workspace = read_workspace(dir);
        let text = std::fs::read_to_string(path).map_err(|e| {
            CallError::new(format!(
                "failed to read tfstate from {}: {e}",
                path.display()
            ))
            .with_hint("check the tfstate plugin's `path` (relative to the config file's folder)")
        })?;
        let json = parse_json(&text, &path.display().to_string())?;
        if let Some(backend) = json.get("backend").filter(|b| !b.is_null()) {
            // `.terraform/terraform.tfstate`: the project root is the folder above `.terraform`
            let root = if dir.file_name().is_some_and(|n| n == ".terraform") {
                dir.parent().unwrap_or(Path::new("."))
            } else {
                dir
            };
            return Self::follow_backend(backend, root, &workspace, lookups);
        }
        if workspace != "default" {
            let ws_path = dir
                .join("terraform.tfstate.d")
                .join(&workspace)
                .join("terraform.tfstate");
            if ws_path != path && ws_path.exists() {
                return Self::read_plain_file(&ws_path);
            }
        }
        Self::from_json(&json, &path.display().to_string())
    }

    fn read_plain_file(path: &Path) -> Result<Self, CallError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CallError::new(format!(
                "failed to read tfstate from {}: {e}",
                path.display()
            ))
        })?;
        let source = path.display().to_string();
        Self::from_json(&parse_json(&text, &source)?, &source)
    }

    /// Reads the state at `url`: `s3://bucket/key`, `file:///path`, or a plain path.
    pub(crate) fn read_url(
        url: &str,
        base_dir: &Path,
        lookups: &dyn AwsLookups,
    ) -> Result<Self, CallError> {
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() || key.is_empty() {
                return Err(CallError::new(format!("invalid s3 url for tfstate: {url}"))
                    .with_hint("write it as `s3://bucket/path/to/terraform.tfstate`"));
            }
            return Self::read_s3(bucket, key, lookups);
        }
        if let Some(path) = url.strip_prefix("file://") {
            return Self::read_file(Path::new(path), lookups);
        }
        if let Some((scheme, _)) = url.split_once("://") {
            return Err(CallError::new(format!(
                "tfstate url scheme `{scheme}` is not supported"
            ))
            .with_hint("ristretto reads tfstate from a local path, `file://` or `s3://` URLs; download the state first for other locations"));
        }
        Self::read_file(&base_dir.join(url), lookups)
    }

    fn read_s3(bucket: &str, key: &str, lookups: &dyn AwsLookups) -> Result<Self, CallError> {
        let source = format!("s3://{bucket}/{key}");
        let bytes = lookups.s3_object(bucket, key).map_err(|e| {
            CallError::new(format!("failed to read tfstate from {source}: {e}"))
                .with_hint("check the bucket and key, and that the credentials allow s3:GetObject")
        })?;
        let text = String::from_utf8_lossy(&bytes);
        Self::from_json(&parse_json(&text, &source)?, &source)
    }

    fn follow_backend(
        backend: &Json,
        root: &Path,
        workspace: &str,
        lookups: &dyn AwsLookups,
    ) -> Result<Self, CallError> {
        let kind = backend.get("type").and_then(Json::as_str).unwrap_or("");
        let config = backend.get("config").cloned().unwrap_or(Json::Null);
        let conf = |k: &str| config.get(k).and_then(Json::as_str).map(str::to_string);
        match kind {
            "local" => {
                let path = if workspace == "default" {
                    root.join(conf("path").unwrap_or_else(|| "terraform.tfstate".into()))
                } else {
                    let ws_dir = conf("workspace_dir").unwrap_or_else(|| "terraform.tfstate.d".into());
                    root.join(ws_dir).join(workspace).join("terraform.tfstate")
                };
                Self::read_plain_file(&path)
            }
            "s3" => {
                let bucket = conf("bucket").unwrap_or_default();
                let mut key = conf("key").unwrap_or_default();
                if workspace != "default" {
                    let prefix = conf("workspace_key_prefix").unwrap_or_else(|| "env:".into());
                    key = format!("{prefix}/{workspace}/{key}");
                }
                Self::read_s3(&bucket, &key, lookups)
            }
            other => Err(CallError::new(format!("backend type {other} is not supported"))
                .with_hint("ristretto follows `local` and `s3` backends; point the plugin at the state itself with `url`")),
        }
    }

    /// Builds the address index from a parsed state.
    pub(crate) fn from_json(json: &Json, source: &str) -> Result<Self, CallError> {
        let version = json.get("version").and_then(Json::as_i64).unwrap_or(0);
        if version != 4 {
            return Err(
                CallError::new(format!("unsupported state version {version} in {source}"))
                    .with_hint(
                        "ristretto reads Terraform state version 4 (Terraform 0.12 and later)",
                    ),
            );
        }
        let mut entries = BTreeMap::new();
        if let Some(outputs) = json.get("outputs").and_then(Json::as_object) {
            for (name, v) in outputs {
                entries.insert(format!("output.{name}"), output_value(v));
            }
        }
        for r in json
            .get("resources")
            .and_then(Json::as_array)
            .map_or(&[][..], Vec::as_slice)
        {
            let field = |k: &str| r.get(k).and_then(Json::as_str).unwrap_or("");
            let module = match field("module") {
                "" => String::new(),
                m => format!("{m}."),
            };
            let prefix = match field("mode") {
                "data" => "data.",
                "managed" => "",
                _ => continue,
            };
            let base = format!("{module}{prefix}{}.{}", field("type"), field("name"));
            let instances = r
                .get("instances")
                .and_then(Json::as_array)
                .map_or(&[][..], Vec::as_slice);
            if field("mode") == "data" && field("type") == "terraform_remote_state" {
                if let Some(attrs) = instances
                    .first()
                    .and_then(|i| i.get("attributes"))
                    .and_then(Json::as_object)
                {
                    let data = attrs
                        .iter()
                        .map(|(k, v)| (k.clone(), output_value(v)))
                        .collect();
                    entries.insert(base, Json::Object(data));
                }
                continue;
            }
            for inst in instances {
                let key = match inst.get("index_key") {
                    None | Some(Json::Null) => base.clone(),
                    Some(k) => format!("{base}[{k}]"),
                };
                let attrs = inst
                    .get("attributes")
                    .filter(|a| !a.is_null())
                    .or_else(|| inst.get("attributes_flat"))
                    .cloned()
                    .unwrap_or(Json::Null);
                entries.insert(key, attrs);
            }
        }
        Ok(Self {
            entries,
            source: source.to_string(),
        })
    }

    /// `tfstate ADDR`.
    pub(crate) fn lookup(&self, address: &str) -> Result<String, CallError> {
        let address = address.replace('\'', "\"");
        let not_found = || {
            let mut e = CallError::new(format!("{address} is not found in tfstate"));
            let hint = match self.closest(&address) {
                Some(c) => format!("did you mean `{c}`? (state read from {})", self.source),
                None => format!("the state was read from {}", self.source),
            };
            e.hint = Some(hint);
            e
        };
        let Some((name, entry)) = self
            .entries
            .iter()
            .filter(|(name, _)| address.starts_with(name.as_str()))
            .max_by_key(|(name, _)| name.len())
        else {
            return Err(not_found());
        };
        let rest = &address[name.len()..];
        if !(rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')) {
            return Err(not_found());
        }
        let path = parse_path(rest).map_err(|m| {
            CallError::new(format!("invalid attribute path `{rest}` in {address}: {m}"))
        })?;
        let mut value = entry;
        for step in &path {
            let next = match (step, value) {
                (Step::Key(k), Json::Object(map)) => map.get(k),
                (Step::Index(i), Json::Array(items)) => {
                    let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                    let i = if *i < 0 { len + i } else { *i };
                    usize::try_from(i).ok().and_then(|i| items.get(i))
                }
                _ => None,
            };
            value = next.ok_or_else(not_found)?;
        }
        match value {
            Json::Null => Err(not_found()),
            Json::String(s) => Ok(s.clone()),
            // Compact JSON with sorted keys, as Go's encoding/json writes maps.
            other => Ok(sorted_keys(other).to_string()),
        }
    }

    fn closest(&self, address: &str) -> Option<&str> {
        self.entries
            .keys()
            .map(|k| (strsim::jaro_winkler(address, k), k.as_str()))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, k)| k)
    }
}

/// The workspace `terraform workspace select` recorded, `default` when none.
fn read_workspace(dir: &Path) -> String {
    let candidates: [PathBuf; 2] = [
        dir.join("environment"),
        dir.join(".terraform").join("environment"),
    ];
    candidates
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".into())
}

fn parse_json(text: &str, source: &str) -> Result<Json, CallError> {
    serde_json::from_str(text)
        .map_err(|e| CallError::new(format!("invalid tfstate json in {source}: {e}")))
}

/// An output is `{"value": …, "type": …}`; its value is what the address means.
fn output_value(v: &Json) -> Json {
    match v {
        Json::Object(m) if m.contains_key("value") && m.contains_key("type") => {
            m.get("value").cloned().unwrap_or(Json::Null)
        }
        other => other.clone(),
    }
}

#[derive(Debug, PartialEq)]
enum Step {
    Key(String),
    Index(i64),
}

/// `.a.b["c"][0]` (jq-like) into steps.
fn parse_path(rest: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'.' => {
                i += 1;
                if bytes.get(i) == Some(&b'"') {
                    let (s, used) = quoted(&rest[i..])?;
                    steps.push(Step::Key(s));
                    i += used;
                } else {
                    let start = i;
                    while i < bytes.len() && bytes[i] != b'.' && bytes[i] != b'[' {
                        i += 1;
                    }
                    if start == i {
                        if i == bytes.len() && steps.is_empty() {
                            break; // a lone `.` is the whole object
                        }
                        return Err("empty attribute name".into());
                    }
                    steps.push(Step::Key(rest[start..i].to_string()));
                }
            }
            b'[' => {
                i += 1;
                if bytes.get(i) == Some(&b'"') {
                    let (s, used) = quoted(&rest[i..])?;
                    steps.push(Step::Key(s));
                    i += used;
                } else {
                    let start = i;
                    while i < bytes.len() && bytes[i] != b']' {
                        i += 1;
                    }
                    let n = rest[start..i]
                        .trim()
                        .parse::<i64>()
                        .map_err(|_| format!("`{}` is not an index", &rest[start..i]))?;
                    steps.push(Step::Index(n));
                }
                if bytes.get(i) != Some(&b']') {
                    return Err("missing `]`".into());
                }
                i += 1;
            }
            _ => return Err(format!("unexpected `{}`", &rest[i..])),
        }
    }
    Ok(steps)
}

/// A JSON string literal at the start of `s`: its value and its length in bytes.
fn quoted(s: &str) -> Result<(String, usize), String> {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => {
                let lit = &s[..=i];
                let v: String = serde_json::from_str(lit).map_err(|e| e.to_string())?;
                return Ok((v, i + 1));
            }
            _ => escaped = false,
        }
    }
    Err("unterminated string".into())
}

/// `value` with every object's keys in sorted order, whatever order the
/// state file had (serde_json keeps insertion order when `preserve_order` is on).
fn sorted_keys(value: &Json) -> Json {
    match value {
        Json::Object(map) => {
            let mut entries: Vec<(&String, &Json)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Json::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted_keys(v)))
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_like_jq() {
        assert_eq!(
            parse_path(r#".tags.Name["a.b"][0].x-y"#),
            Ok(vec![
                Step::Key("tags".into()),
                Step::Key("Name".into()),
                Step::Key("a.b".into()),
                Step::Index(0),
                Step::Key("x-y".into()),
            ])
        );
        assert_eq!(parse_path(""), Ok(vec![]));
        assert!(parse_path(".a[").is_err());
    }
}
