//! What differs between a live object and its definition file: the model
//! behind `ristretto diff`. Both documents arrive already normalised (see
//! [`crate::normalize`]); this module compares them as text (unified and
//! full-text diffs) and as data (a list of changes with JSON paths), and
//! masks the values that came from secret lookups.
//!
//! Colours and printing belong to the CLI; everything here is plain text.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use crate::definition::to_pretty_json;
use crate::path::{JsonPath, Segment};

/// How a masked value is shown.
pub const MASK: &str = "********";
/// How a live value is shown when the masked local value at its place differs.
pub const MASK_CHANGED: &str = "******** (differs)";

/// What is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Subject {
    /// The service (its `UpdateService` projection and tags).
    Service,
    /// The task definition.
    TaskDefinition,
}

/// One live document against one local document.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// What is compared.
    pub subject: Subject,
    /// The live object's ARN; `None` when it does not exist yet.
    pub live_label: Option<String>,
    /// The local file.
    pub local_label: String,
    /// The live document (normalised); `None` when it does not exist yet.
    pub live: Option<Value>,
    /// The local document (normalised).
    pub local: Value,
}

/// One difference, at a JSON path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Where: a JSONPath (`$.containerDefinitions[0].image`), into the local
    /// document, or into the live one for a removal.
    pub path: String,
    /// The same place as steps, for renderers that name elements (a
    /// container by its name) rather than print the path.
    #[serde(skip)]
    pub at: JsonPath,
    /// What happened.
    pub op: Op,
    /// The live value (absent for an addition).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<Value>,
    /// The local value (absent for a removal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local: Option<Value>,
}

/// The kind of a [`Change`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Op {
    /// Only in the local file: a deploy adds it.
    Added,
    /// Only live: a deploy removes it.
    Removed,
    /// In both, with different values.
    Changed,
}

/// One line of a diff, for the CLI to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// `---` / `+++` file headers.
    Header,
    /// `@@ … @@` hunk headers.
    Hunk,
    /// Only live.
    Removed,
    /// Only local.
    Added,
    /// Unchanged.
    Context,
}

impl Comparison {
    /// Whether the documents differ.
    #[must_use]
    pub fn differs(&self) -> bool {
        self.live.as_ref() != Some(&self.local)
    }

    /// The live document as printed: sorted keys, two-space indent; empty when
    /// it does not exist.
    #[must_use]
    pub fn live_text(&self) -> String {
        self.live.as_ref().map(to_pretty_json).unwrap_or_default()
    }

    /// The local document as printed.
    #[must_use]
    pub fn local_text(&self) -> String {
        to_pretty_json(&self.local)
    }

    fn headers(&self) -> (String, String) {
        (
            self.live_label
                .clone()
                .unwrap_or_else(|| "/dev/null".to_owned()),
            self.local_label.clone(),
        )
    }

    /// A unified diff with `context` lines around each change, headed
    /// `--- <live ARN>` / `+++ <local file>`; empty when nothing differs.
    #[must_use]
    pub fn unified(&self, context: usize) -> String {
        if !self.differs() {
            return String::new();
        }
        let (live_text, local_text) = (self.live_text(), self.local_text());
        let (live, local) = self.headers();
        let diff = TextDiff::from_lines(&live_text, &local_text);
        let mut out = diff
            .unified_diff()
            .context_radius(context)
            .header(&live, &local)
            .to_string();
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out
    }

    /// Both documents in full, every line marked ` `, `-` or `+`, under the
    /// same headers; empty when nothing differs.
    #[must_use]
    pub fn full(&self) -> String {
        if !self.differs() {
            return String::new();
        }
        let (live_text, local_text) = (self.live_text(), self.local_text());
        let (live, local) = self.headers();
        let mut out = format!("--- {live}\n+++ {local}\n");
        for change in TextDiff::from_lines(&live_text, &local_text).iter_all_changes() {
            let sign = match change.tag() {
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
                ChangeTag::Equal => ' ',
            };
            out.push(sign);
            out.push_str(change.value());
            if change.missing_newline() {
                out.push('\n');
            }
        }
        out
    }

    /// Every difference, with its JSON path.
    #[must_use]
    pub fn changes(&self) -> Vec<Change> {
        let mut out = Vec::new();
        walk(
            &JsonPath::root(),
            self.live.as_ref(),
            Some(&self.local),
            &mut out,
        );
        out
    }
}

/// The kind of one line of [`Comparison::unified`] or [`Comparison::full`].
#[must_use]
pub fn line_kind(line: &str) -> LineKind {
    if line.starts_with("--- ") || line.starts_with("+++ ") {
        LineKind::Header
    } else if line.starts_with("@@") {
        LineKind::Hunk
    } else if line.starts_with('-') {
        LineKind::Removed
    } else if line.starts_with('+') {
        LineKind::Added
    } else {
        LineKind::Context
    }
}

/// A JSONPath for `path`: `$`, `$.family`, `$.containerDefinitions[0].image`.
#[must_use]
pub fn json_path(path: &JsonPath) -> String {
    let text = path.to_string();
    if text.is_empty() {
        "$".to_owned()
    } else if text.starts_with('[') {
        format!("${text}")
    } else {
        format!("$.{text}")
    }
}

fn walk(path: &JsonPath, live: Option<&Value>, local: Option<&Value>, out: &mut Vec<Change>) {
    match (live, local) {
        (None, None) => {}
        (Some(live), None) => out.push(Change {
            path: json_path(path),
            at: path.clone(),
            op: Op::Removed,
            live: Some(live.clone()),
            local: None,
        }),
        (None, Some(local)) => out.push(Change {
            path: json_path(path),
            at: path.clone(),
            op: Op::Added,
            live: None,
            local: Some(local.clone()),
        }),
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                walk(&path.key(key), a.get(key), b.get(key), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            if let (Some(ka), Some(kb)) = (identities(a), identities(b)) {
                walk_keyed(path, a, &ka, b, &kb, out);
            } else if a.len() == b.len() {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    walk(&path.index(i), Some(x), Some(y), out);
                }
            } else {
                changed(
                    path,
                    &Value::Array(a.clone()),
                    &Value::Array(b.clone()),
                    out,
                );
            }
        }
        (Some(a), Some(b)) => {
            if a != b {
                changed(path, a, b, out);
            }
        }
    }
}

fn changed(path: &JsonPath, live: &Value, local: &Value, out: &mut Vec<Change>) {
    out.push(Change {
        path: json_path(path),
        at: path.clone(),
        op: Op::Changed,
        live: Some(live.clone()),
        local: Some(local.clone()),
    });
}

/// Elements matched by identity (a container's `name`, a tag's `key`):
/// changes inside a container stay changes of that container, wherever it
/// sits in either list.
fn walk_keyed(
    path: &JsonPath,
    live: &[Value],
    live_ids: &[String],
    local: &[Value],
    local_ids: &[String],
    out: &mut Vec<Change>,
) {
    for (i, id) in local_ids.iter().enumerate() {
        let before = live_ids.iter().position(|l| l == id).map(|j| &live[j]);
        walk(&path.index(i), before, Some(&local[i]), out);
    }
    for (j, id) in live_ids.iter().enumerate() {
        if !local_ids.contains(id) {
            walk(&path.index(j), Some(&live[j]), None, out);
        }
    }
}

/// The identity of each element when every element is an object with a
/// distinct string `name` (or, for tags, `key`).
fn identities(items: &[Value]) -> Option<Vec<String>> {
    if items.is_empty() {
        return None;
    }
    ["name", "key"].iter().find_map(|field| {
        let ids: Option<Vec<String>> = items
            .iter()
            .map(|v| v.get(*field).and_then(Value::as_str).map(str::to_owned))
            .collect();
        ids.filter(|ids| ids.iter().collect::<BTreeSet<_>>().len() == ids.len())
    })
}

/// Hides the values that came from secret lookups (`ssm`,
/// `secretsmanager`): every occurrence in a local string becomes [`MASK`],
/// and the live string at the same place is masked the same way when it
/// held the same value, or shown as [`MASK_CHANGED`] when it did not, so a
/// changed secret still shows as a change without showing either value.
pub fn mask_secrets(live: Option<&mut Value>, local: &mut Value, secrets: &BTreeSet<String>) {
    let secrets: Vec<&String> = secrets.iter().filter(|s| !s.is_empty()).collect();
    if secrets.is_empty() {
        return;
    }
    let mut masked = Vec::new();
    mask_local(&JsonPath::root(), local, &secrets, &mut masked);
    if let Some(live) = live {
        for (path, original, replaced) in masked {
            if let Some(Value::String(s)) = pointer_mut(live, &path) {
                *s = if *s == original {
                    replaced
                } else {
                    MASK_CHANGED.to_owned()
                };
            }
        }
        // A secret may also sit where the local file no longer has it.
        mask_everywhere(live, &secrets);
    }
}

fn mask_local(
    path: &JsonPath,
    value: &mut Value,
    secrets: &[&String],
    masked: &mut Vec<(JsonPath, String, String)>,
) {
    match value {
        Value::String(s) => {
            let replaced = mask_text(s, secrets);
            if replaced != *s {
                masked.push((path.clone(), s.clone(), replaced.clone()));
                *s = replaced;
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                mask_local(&path.index(i), item, secrets, masked);
            }
        }
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                mask_local(&path.key(key), child, secrets, masked);
            }
        }
        _ => {}
    }
}

fn mask_everywhere(value: &mut Value, secrets: &[&String]) {
    match value {
        Value::String(s) => *s = mask_text(s, secrets),
        Value::Array(items) => items.iter_mut().for_each(|v| mask_everywhere(v, secrets)),
        Value::Object(map) => map.values_mut().for_each(|v| mask_everywhere(v, secrets)),
        _ => {}
    }
}

fn mask_text(text: &str, secrets: &[&String]) -> String {
    // Longest first, so a secret that contains another is hidden whole.
    let mut sorted: Vec<&&String> = secrets.iter().collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    sorted.into_iter().fold(text.to_owned(), |acc, secret| {
        acc.replace(secret.as_str(), MASK)
    })
}

fn pointer_mut<'v>(value: &'v mut Value, path: &JsonPath) -> Option<&'v mut Value> {
    path.segments()
        .iter()
        .try_fold(value, |v, segment| match segment {
            Segment::Key(k) => v.get_mut(k.as_str()),
            Segment::Index(i) => v.get_mut(*i),
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::normalize;

    fn comparison(live: Option<Value>, local: Value) -> Comparison {
        Comparison {
            subject: Subject::TaskDefinition,
            live_label: live
                .as_ref()
                .map(|_| "arn:aws:ecs:us-east-1:1:task-definition/web:1".to_owned()),
            local_label: "ecs-task-def.json".to_owned(),
            live,
            local,
        }
    }

    #[test]
    fn equal_documents_print_nothing() {
        let doc = json!({"family": "web"});
        let c = comparison(Some(doc.clone()), doc);
        assert!(!c.differs());
        assert_eq!(c.unified(3), "");
        assert_eq!(c.full(), "");
        assert!(c.changes().is_empty());
    }

    #[test]
    fn order_defaults_and_units_print_nothing_after_normalisation() {
        let local = json!({
            "family": "web", "cpu": "0.5 vCPU", "memory": "1 GB", "networkMode": "awsvpc",
            "containerDefinitions": [
                {"name": "b", "image": "b", "environment": [{"name": "Y", "value": "1"}, {"name": "X", "value": "2"}]},
                {"name": "a", "image": "a", "portMappings": [{"containerPort": 80}]}
            ]
        });
        let live = json!({
            "family": "web", "cpu": "512", "memory": "1024", "networkMode": "awsvpc",
            "containerDefinitions": [
                {"name": "a", "image": "a", "cpu": 0, "essential": true,
                 "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]},
                {"name": "b", "image": "b", "cpu": 0, "essential": true,
                 "environment": [{"name": "X", "value": "2"}, {"name": "Y", "value": "1"}], "mountPoints": []}
            ]
        });
        let c = comparison(
            Some(normalize::task_definition(&live, &[])),
            normalize::task_definition(&local, &[]),
        );
        assert_eq!(c.unified(3), "");
    }

    #[test]
    fn a_changed_image_is_a_one_line_change() {
        let live = normalize::task_definition(
            &json!({"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:1.27"}]}),
            &[],
        );
        let local = normalize::task_definition(
            &json!({"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:1.28"}]}),
            &[],
        );
        let c = comparison(Some(live), local);
        let text = c.unified(3);
        let changed: Vec<&str> = text
            .lines()
            .filter(|l| matches!(line_kind(l), LineKind::Added | LineKind::Removed))
            .collect();
        assert_eq!(
            changed,
            vec![
                r#"-      "image": "nginx:1.27","#,
                r#"+      "image": "nginx:1.28","#
            ]
        );
        assert!(text.starts_with(
            "--- arn:aws:ecs:us-east-1:1:task-definition/web:1\n+++ ecs-task-def.json\n@@ "
        ));
        assert_eq!(
            c.changes(),
            vec![Change {
                path: "$.containerDefinitions[0].image".to_owned(),
                at: JsonPath::root()
                    .key("containerDefinitions")
                    .index(0)
                    .key("image"),
                op: Op::Changed,
                live: Some(json!("nginx:1.27")),
                local: Some(json!("nginx:1.28")),
            }]
        );
    }

    #[test]
    fn a_missing_live_object_is_one_addition_of_everything() {
        let c = comparison(None, json!({"family": "web"}));
        assert!(c.differs());
        assert_eq!(
            c.unified(3),
            "--- /dev/null\n+++ ecs-task-def.json\n@@ -0,0 +1,3 @@\n+{\n+  \"family\": \"web\"\n+}\n"
        );
        assert_eq!(c.changes().len(), 1);
        assert_eq!(c.changes()[0].path, "$");
        assert_eq!(c.changes()[0].op, Op::Added);
    }

    #[test]
    fn containers_are_matched_by_name_in_the_change_list() {
        let live = json!({"containerDefinitions": [{"name": "a", "image": "1"}, {"name": "old", "image": "x"}]});
        let local = json!({"containerDefinitions": [{"name": "a", "image": "2"}, {"name": "new", "image": "y"}]});
        let paths: Vec<(String, Op)> = comparison(Some(live), local)
            .changes()
            .into_iter()
            .map(|c| (c.path, c.op))
            .collect();
        assert_eq!(
            paths,
            vec![
                ("$.containerDefinitions[0].image".to_owned(), Op::Changed),
                ("$.containerDefinitions[1]".to_owned(), Op::Added),
                ("$.containerDefinitions[1]".to_owned(), Op::Removed),
            ]
        );
    }

    #[test]
    fn full_text_marks_every_line() {
        let c = comparison(Some(json!({"a": 1, "b": 1})), json!({"a": 1, "b": 2}));
        assert_eq!(
            c.full(),
            "--- arn:aws:ecs:us-east-1:1:task-definition/web:1\n+++ ecs-task-def.json\n {\n   \"a\": 1,\n-  \"b\": 1\n+  \"b\": 2\n }\n"
        );
    }

    #[test]
    fn secrets_are_masked_and_a_changed_secret_still_shows() {
        let secrets: BTreeSet<String> = ["hunter2".to_owned()].into();
        let mut local =
            json!({"environment": [{"name": "DB", "value": "postgres://u:hunter2@db"}]});
        let mut live = json!({"environment": [{"name": "DB", "value": "postgres://u:hunter2@db"}]});
        mask_secrets(Some(&mut live), &mut local, &secrets);
        assert_eq!(local["environment"][0]["value"], "postgres://u:********@db");
        assert_eq!(live, local);

        let mut local = json!({"value": "hunter2"});
        let mut live = json!({"value": "old-password", "other": "hunter2"});
        mask_secrets(Some(&mut live), &mut local, &secrets);
        assert_eq!(local, json!({"value": "********"}));
        assert_eq!(
            live,
            json!({"value": "******** (differs)", "other": "********"})
        );
    }
}
