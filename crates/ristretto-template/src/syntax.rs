//! Which template syntax a file uses, decided by its name alone.
//!
//! The rule: a file whose name ends in `.tera` is tera; every other file is the Go syntax.
//! Nothing is guessed from the content, so a file never changes meaning when it is edited;
//! the content is only looked at to add a hint when a file fails in the syntax its name chose
//! but looks written for the other one.

use std::path::Path;

/// A template syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// ecspresso's Go `text/template` syntax (`{{ env `TAG` `latest` }}`).
    Go,
    /// tera 2 (`{{ env(name="TAG", default="latest") }}`).
    Tera,
}

impl Syntax {
    /// The syntax of `file`: [`Syntax::Tera`] when its name ends in `.tera`, else [`Syntax::Go`].
    pub fn of(file: &Path) -> Self {
        if strip_tera_suffix(file).1 {
            Self::Tera
        } else {
            Self::Go
        }
    }
}

/// Splits the `.tera` suffix off `file`: `ecs-task-def.json.tera` gives
/// (`ecs-task-def.json`, `true`), `config.yaml` gives (`config.yaml`, `false`). Callers choose
/// the data format (JSON, YAML, Jsonnet) from the extension of the first element.
pub fn strip_tera_suffix(file: &Path) -> (&Path, bool) {
    let is_tera = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tera"));
    if !is_tera {
        return (file, false);
    }
    let Some(s) = file.to_str() else {
        // a non-UTF-8 name that ends in `.tera` still has an ASCII `.tera` suffix to drop
        return (file.file_stem().map_or(file, Path::new), true);
    };
    (Path::new(&s[..s.len() - ".tera".len()]), true)
}

/// A hint when Go-syntax `source` looks like tera.
pub(crate) fn tera_hint(source: &str) -> Option<String> {
    let looks_tera = source.contains("{%")
        || source.contains("{#")
        || actions(source).any(|a| has_named_call(a) || a.contains(" ~ "));
    looks_tera.then(|| {
        "this looks like tera syntax, but only files whose name ends in `.tera` are tera \
         (e.g. rename `ecs-task-def.json` to `ecs-task-def.json.tera`)"
            .to_string()
    })
}

/// A hint when tera `source` looks like the Go syntax.
pub(crate) fn go_hint(source: &str) -> Option<String> {
    let looks_go = actions(source).any(|a| {
        let a = a.trim_start_matches('-').trim();
        a.contains('`')
            || a.starts_with("/*")
            || a.starts_with("if ")
            || a == "end"
            || a == "else"
            || a.split_once(char::is_whitespace)
                .is_some_and(|(word, rest)| {
                    word.chars().all(|c| c.is_alphanumeric() || c == '_')
                        && rest.trim_start().starts_with(['"', '`'])
                })
    });
    looks_go.then(|| {
        "this looks like ecspresso's Go template syntax, which files ending in `.tera` do not use: \
         remove the `.tera` suffix, or write calls as `env(name=\"TAG\", default=\"latest\")`"
            .to_string()
    })
}

/// The insides of `{{ … }}` blocks.
fn actions(source: &str) -> impl Iterator<Item = &str> {
    source
        .split("{{")
        .skip(1)
        .filter_map(|s| s.split_once("}}").map(|(a, _)| a))
}

/// `name(arg=` somewhere in `action`.
fn has_named_call(action: &str) -> bool {
    action.match_indices('(').any(|(i, _)| {
        let before = &action[..i];
        let after = action[i + 1..].trim_start();
        let ident_before = before.ends_with(|c: char| c.is_alphanumeric() || c == '_');
        let word_len = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        ident_before
            && word_len > 0
            && after[word_len..].trim_start().starts_with('=')
            && !after[word_len..].trim_start().starts_with("==")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_tera_suffix_selects_tera() {
        assert_eq!(
            strip_tera_suffix(Path::new("dir/ecs-task-def.json.tera")),
            (Path::new("dir/ecs-task-def.json"), true)
        );
        assert_eq!(
            strip_tera_suffix(Path::new("config.yaml.tera")),
            (Path::new("config.yaml"), true)
        );
        assert_eq!(
            strip_tera_suffix(Path::new("config.yaml")),
            (Path::new("config.yaml"), false)
        );
        assert_eq!(
            strip_tera_suffix(Path::new("tera.json")),
            (Path::new("tera.json"), false)
        );
        assert_eq!(Syntax::of(Path::new("x.jsonnet.tera")), Syntax::Tera);
        assert_eq!(Syntax::of(Path::new("x.json")), Syntax::Go);
    }

    #[test]
    fn hints_recognise_the_other_syntax() {
        assert!(tera_hint(r#"{{ env(name="TAG") }}"#).is_some());
        assert!(tera_hint("{% if x %}{% endif %}").is_some());
        assert!(tera_hint("{{ env `TAG` }}").is_none());
        assert!(tera_hint(r#"{{ if (eq (env "A") "b") }}x{{ end }}"#).is_none());
        assert!(go_hint("{{ must_env `TAG` }}").is_some());
        assert!(go_hint(r#"{{ env "TAG" "latest" }}"#).is_some());
        assert!(go_hint(r#"{{ env(name="TAG") }}"#).is_none());
    }
}
