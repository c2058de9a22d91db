//! `diff --output markdown`: one pull-request comment for every config. Each
//! service gets a heading (service and cluster), a short list of what changes
//! (containers by name, fields with their old and new values) and its unified
//! diff folded under `<details>`; a service without differences is one line.
//! The documents arrive masked (see `ristretto_core::diff::mask_secrets`), so
//! the list and the diff show secrets exactly as the terminal diff does.
//!
//! The first line is a fixed marker, [`MARKER`], so that a workflow can find
//! the comment it posted before and update it instead of adding another.

use ristretto_core::diff::{Change, Comparison, Op, Subject};
use ristretto_core::path::Segment;
use serde_json::Value;

/// The first line of every document: what a workflow searches for.
pub const MARKER: &str = "<!-- ristretto-diff -->";

/// At most this many list items per compared document; the diff has the rest.
const MAX_ITEMS: usize = 15;
/// Values longer than this many characters are cut in the list.
const MAX_VALUE: usize = 60;

/// One config's comparisons.
pub struct Section {
    /// The config's service; `None` for a task-definition-only config.
    pub service: Option<String>,
    /// The config's cluster.
    pub cluster: String,
    /// The service's comparison (if any), then the task definition's.
    pub comparisons: Vec<Comparison>,
}

impl Section {
    fn differs(&self) -> bool {
        self.comparisons.iter().any(Comparison::differs)
    }

    fn title(&self) -> String {
        match &self.service {
            Some(service) => format!("{} in cluster {}", code(service), code(&self.cluster)),
            None => {
                let family = self
                    .comparisons
                    .iter()
                    .find(|c| c.subject == Subject::TaskDefinition)
                    .and_then(|c| c.local.get("family"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                format!("task definition {}", code(family))
            }
        }
    }
}

/// The whole comment. `full` puts both documents in full in the folded diff
/// (`--no-unified`) instead of the unified diff.
pub fn document(sections: &[Section], full: bool, context: usize) -> String {
    let differing = sections.iter().filter(|s| s.differs()).count();
    let mut out = format!("{MARKER}\n");
    out.push_str(&match (differing, sections.len()) {
        (0, _) => "### ristretto diff: no changes\n".to_owned(),
        (1, 1) => "### ristretto diff: changes\n".to_owned(),
        (n, total) => format!(
            "### ristretto diff: {n} of {total} {} {}\n",
            if total == 1 { "service" } else { "services" },
            if n == 1 { "changes" } else { "change" }
        ),
    });
    for section in sections {
        out.push('\n');
        if !section.differs() {
            out.push_str(&format!("#### {}: no changes\n", section.title()));
            continue;
        }
        out.push_str(&format!("#### {}\n\n", section.title()));
        for comparison in section.comparisons.iter().filter(|c| c.differs()) {
            out.push_str(&summary(comparison));
        }
        for comparison in section.comparisons.iter().filter(|c| c.differs()) {
            let text = if full {
                comparison.full()
            } else {
                comparison.unified(context)
            };
            let fence = fence_for(&text);
            out.push_str(&format!(
                "\n<details><summary>{} diff</summary>\n\n{fence}diff\n{text}{fence}\n\n</details>\n",
                subject_name(comparison.subject)
            ));
        }
    }
    out
}

fn subject_name(subject: Subject) -> &'static str {
    match subject {
        Subject::Service => "Service",
        Subject::TaskDefinition => "Task definition",
    }
}

/// `**Task definition** (local → live):` and one item per change.
fn summary(comparison: &Comparison) -> String {
    let name = subject_name(comparison.subject);
    let Some(live) = &comparison.live else {
        let what = match comparison.subject {
            Subject::Service => "does not exist yet: a deploy creates it",
            Subject::TaskDefinition => "is not registered yet: a deploy registers it",
        };
        return format!("- **{name}** {what}\n");
    };
    let changes = comparison.changes();
    let mut out = format!(
        "- **{name}** ({} → {}):\n",
        code(comparison.live_label.as_deref().unwrap_or_default()),
        code(&comparison.local_label)
    );
    for change in changes.iter().take(MAX_ITEMS) {
        out.push_str(&format!("  - {}\n", item(change, live, &comparison.local)));
    }
    if changes.len() > MAX_ITEMS {
        out.push_str(&format!(
            "  - … and {} more (see the diff)\n",
            changes.len() - MAX_ITEMS
        ));
    }
    out
}

/// One change in words: where (containers and list elements by their name),
/// then the old and the new value.
fn item(change: &Change, live: &Value, local: &Value) -> String {
    // Removed elements sit in the live document; everything else in the local one.
    let document = if change.op == Op::Removed {
        live
    } else {
        local
    };
    let segments = change.at.segments();
    let (prefix, (rest, base)) = match segments {
        [Segment::Key(k), Segment::Index(i), rest @ ..] if k == "containerDefinitions" => {
            let name = document
                .get("containerDefinitions")
                .and_then(|c| c.get(*i))
                .and_then(|c| c.get("name"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let base = document
                .get("containerDefinitions")
                .and_then(|c| c.get(*i))
                .unwrap_or(&Value::Null);
            (format!("container {}", code(name)), (rest, base))
        }
        _ => (String::new(), (segments, document)),
    };
    let place = place(rest, base);
    let what = match (prefix.is_empty(), place.is_empty()) {
        (true, _) => code(&place),
        (false, true) => prefix,
        (false, false) => format!("{prefix}: {}", code(&place)),
    };
    let value = |v: &Option<Value>| v.as_ref().map(shown).unwrap_or_default();
    match change.op {
        Op::Changed => format!(
            "{what}: {} → {}",
            code(&value(&change.live)),
            code(&value(&change.local))
        ),
        Op::Added => format!("{what} added: {}", code(&value(&change.local))),
        Op::Removed => format!("{what} removed (was {})", code(&value(&change.live))),
    }
}

/// `environment[DB_HOST].value`: list elements named by their `name` (or a
/// tag's `key`) when they have one.
fn place(segments: &[Segment], document: &Value) -> String {
    let mut out = String::new();
    let mut at = Some(document);
    for segment in segments {
        match segment {
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
                at = at.and_then(|v| v.get(key));
            }
            Segment::Index(i) => {
                at = at.and_then(|v| v.get(*i));
                let name = at.and_then(|v| {
                    v.get("name")
                        .or_else(|| v.get("key"))
                        .and_then(Value::as_str)
                });
                match name {
                    Some(name) => out.push_str(&format!("[{name}]")),
                    None => out.push_str(&format!("[{i}]")),
                }
            }
        }
    }
    out
}

/// A value as the list shows it: strings as they are, anything else as
/// compact JSON; cut to [`MAX_VALUE`] characters.
fn shown(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let text = text.replace(['\n', '\r'], " ");
    if text.chars().count() > MAX_VALUE {
        let cut: String = text.chars().take(MAX_VALUE).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// `text` as an inline code span, whatever backticks it holds.
fn code(text: &str) -> String {
    let longest = longest_backtick_run(text);
    let ticks = "`".repeat(longest + 1);
    if longest == 0 {
        format!("{ticks}{text}{ticks}")
    } else {
        format!("{ticks} {text} {ticks}")
    }
}

/// A code fence longer than any run of backticks in `text`.
fn fence_for(text: &str) -> String {
    "`".repeat((longest_backtick_run(text) + 1).max(3))
}

fn longest_backtick_run(text: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn section(live: Option<Value>, local: Value) -> Section {
        Section {
            service: Some("web".to_owned()),
            cluster: "default".to_owned(),
            comparisons: vec![Comparison {
                subject: Subject::TaskDefinition,
                live_label: live.as_ref().map(|_| "web:1".to_owned()),
                local_label: "td.json".to_owned(),
                live,
                local,
            }],
        }
    }

    #[test]
    fn containers_and_list_elements_are_named_in_the_list() {
        let live = json!({"family": "web", "containerDefinitions": [
            {"name": "app", "image": "a:1", "environment": [{"name": "MODE", "value": "x"}]},
            {"name": "old", "image": "o"}]});
        let local = json!({"family": "web", "cpu": "512", "containerDefinitions": [
            {"name": "app", "image": "a:2", "environment": [{"name": "MODE", "value": "y"}]}]});
        let text = document(&[section(Some(live), local)], false, 3);
        assert!(
            text.contains("  - container `app`: `image`: `a:1` → `a:2`\n"),
            "{text}"
        );
        assert!(
            text.contains("  - container `app`: `environment[MODE].value`: `x` → `y`\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "  - container `old` removed (was `{\"name\":\"old\",\"image\":\"o\"}`)\n"
            ),
            "{text}"
        );
        assert!(text.contains("  - `cpu` added: `512`\n"), "{text}");
    }

    #[test]
    fn backticks_in_values_do_not_break_the_markdown() {
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(fence_for("x ```` y"), "`````");
        assert_eq!(fence_for("x"), "```");
    }

    #[test]
    fn long_values_are_cut() {
        let long = "x".repeat(100);
        assert_eq!(shown(&json!(long)).chars().count(), MAX_VALUE + 1);
    }

    #[test]
    fn no_changes_is_one_line_per_service_under_the_marker() {
        let doc = json!({"family": "web"});
        let text = document(&[section(Some(doc.clone()), doc)], false, 3);
        assert_eq!(
            text,
            "<!-- ristretto-diff -->\n### ristretto diff: no changes\n\n#### `web` in cluster `default`: no changes\n"
        );
    }
}
