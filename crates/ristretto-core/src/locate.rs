//! Finding where a JSON path lives in the source text, so that a problem found
//! on a parsed value can point at a line the user can open.
//!
//! Parsing keeps no positions (serde values are faster and simpler to walk), so
//! a position is looked up only when there is something to report.

use crate::path::{JsonPath, Segment};

/// A 1-based line and column in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl Position {
    /// The position of a byte offset in `text`.
    #[must_use]
    pub fn of_offset(text: &str, offset: usize) -> Self {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        Self { line, column }
    }
}

/// Where `path` is in a JSON document: the member's key when the path ends in
/// a key, else the value. Falls back to the deepest ancestor that exists.
#[must_use]
pub fn in_json(text: &str, path: &JsonPath) -> Option<Position> {
    use jsonc_parser::ast::Value;
    use jsonc_parser::common::Ranged;
    let parsed = jsonc_parser::parse_to_ast(text, &Default::default(), &Default::default()).ok()?;
    let mut node = parsed.value?;
    let mut offset = node.range().start;
    for segment in path.segments() {
        let next = match (segment, node) {
            (Segment::Key(key), Value::Object(object)) => {
                let found = object
                    .properties
                    .into_iter()
                    .find(|p| p.name.as_str() == key.as_str());
                match found {
                    Some(prop) => {
                        offset = prop.range.start;
                        prop.value
                    }
                    None => break,
                }
            }
            (Segment::Index(index), Value::Array(array)) => {
                match array.elements.into_iter().nth(*index) {
                    Some(element) => {
                        offset = element.range().start;
                        element
                    }
                    None => break,
                }
            }
            _ => break,
        };
        node = next;
    }
    Some(Position::of_offset(text, offset))
}

/// Where `path` is in a YAML document of the block style that configs use.
///
/// YAML parsers for serde keep no positions, so this follows the indentation:
/// for each key it finds the next line, deeper than its parent, that starts
/// with that key. Flow-style documents (`{a: 1}`) fall back to the parent.
#[must_use]
pub fn in_yaml(text: &str, path: &JsonPath) -> Option<Position> {
    let lines: Vec<&str> = text.lines().collect();
    let mut block = Block {
        from: 0,
        min_indent: 0,
        item_line: None,
    };
    let mut found: Option<Position> = None;
    for segment in path.segments() {
        let hit = match segment {
            Segment::Key(key) => find_yaml_key(&lines, &block, key),
            Segment::Index(index) => find_yaml_item(&lines, &block, *index),
        };
        let Some((line, indent)) = hit else { break };
        found = Some(Position {
            line: line + 1,
            column: indent + 1,
        });
        block = Block::under(segment, line, indent);
    }
    found.or(Some(Position { line: 1, column: 1 }))
}

/// Every place the last key of `path` appears in its parent's block (a key
/// written twice in one mapping), in file order.
#[must_use]
pub fn all_in_yaml(text: &str, path: &JsonPath) -> Vec<Position> {
    let segments = path.segments();
    let Some((Segment::Key(key), parents)) = segments.split_last() else {
        return Vec::new();
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut block = Block {
        from: 0,
        min_indent: 0,
        item_line: None,
    };
    for segment in parents {
        let hit = match segment {
            Segment::Key(key) => find_yaml_key(&lines, &block, key),
            Segment::Index(index) => find_yaml_item(&lines, &block, *index),
        };
        let Some((line, indent)) = hit else {
            return Vec::new();
        };
        block = Block::under(segment, line, indent);
    }
    let Some((_, first_indent)) = find_yaml_key(&lines, &block, key) else {
        return Vec::new();
    };
    block_lines(&lines, &block)
        .filter(|(_, _, indent, rest)| *indent == first_indent && yaml_key_of(rest) == Some(key))
        .map(|(n, _, indent, _)| Position {
            line: n + 1,
            column: indent + 1,
        })
        .collect()
}

/// The lines a value may occupy: from `from`, indented at least `min_indent`
/// (a list item's own line, `item_line`, is indented less: `- key: v`).
struct Block {
    from: usize,
    min_indent: usize,
    item_line: Option<usize>,
}

impl Block {
    /// The block that holds what is under `segment`, found at `line` with `indent`: a key's
    /// value starts on the next line, deeper; a list item's on its own line.
    fn under(segment: &Segment, line: usize, indent: usize) -> Block {
        match segment {
            Segment::Key(_) => Block {
                from: line + 1,
                min_indent: indent + 1,
                item_line: None,
            },
            Segment::Index(_) => Block {
                from: line,
                min_indent: indent,
                item_line: Some(line),
            },
        }
    }
}

/// Indentation and content of a line; `- ` item markers count as indentation.
fn content_start(line: &str) -> (usize, usize, &str) {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    match trimmed.strip_prefix("- ") {
        Some(item) => {
            let inner = item.trim_start();
            (indent, indent + 2 + item.len() - inner.len(), inner)
        }
        None => (indent, indent, trimmed),
    }
}

fn block_lines<'a>(
    lines: &'a [&'a str],
    block: &Block,
) -> impl Iterator<Item = (usize, usize, usize, &'a str)> {
    let mut ended = false;
    lines
        .iter()
        .enumerate()
        .skip(block.from)
        .filter_map(move |(n, line)| {
            let (raw, indent, rest) = content_start(line);
            if ended || rest.is_empty() || rest.starts_with('#') {
                return None;
            }
            if raw < block.min_indent && block.item_line != Some(n) {
                ended = true;
                return None;
            }
            Some((n, raw, indent, rest))
        })
}

fn find_yaml_key(lines: &[&str], block: &Block, key: &str) -> Option<(usize, usize)> {
    block_lines(lines, block)
        .find(|(_, _, indent, rest)| *indent >= block.min_indent && yaml_key_of(rest) == Some(key))
        .map(|(n, _, indent, _)| (n, indent))
}

/// The key a block mapping line starts with (`key:`, `"key":`, `'key':`).
fn yaml_key_of(rest: &str) -> Option<&str> {
    let (name, after) = if let Some(quoted) = rest.strip_prefix('"') {
        quoted.split_once('"')?
    } else if let Some(quoted) = rest.strip_prefix('\'') {
        quoted.split_once('\'')?
    } else {
        let colon = rest.find(':')?;
        (rest[..colon].trim_end(), &rest[colon..])
    };
    after.trim_start().starts_with(':').then_some(name)
}

fn find_yaml_item(lines: &[&str], block: &Block, index: usize) -> Option<(usize, usize)> {
    let mut items = block_lines(lines, block).filter(|(_, raw, indent, _)| indent > raw);
    let (first_line, first_raw, first_indent, _) = items.next()?;
    std::iter::once((first_line, first_raw, first_indent))
        .chain(
            items
                .filter(|(_, raw, _, _)| *raw == first_raw)
                .map(|(n, raw, indent, _)| (n, raw, indent)),
        )
        .nth(index)
        .map(|(n, _, indent)| (n, indent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_nested_json_key() {
        let text = "{\n  \"containerDefinitions\": [\n    {\n      \"name\": \"app\",\n      \"enviroment\": []\n    }\n  ]\n}\n";
        let path = JsonPath::root()
            .key("containerDefinitions")
            .index(0)
            .key("enviroment");
        assert_eq!(in_json(text, &path), Some(Position { line: 5, column: 7 }));
    }

    #[test]
    fn falls_back_to_the_deepest_json_ancestor() {
        let text = "{\"a\": {\"b\": 1}}";
        let path = JsonPath::root().key("a").key("missing");
        assert_eq!(in_json(text, &path), Some(Position { line: 1, column: 2 }));
    }

    #[test]
    fn finds_yaml_keys_inside_lists() {
        let text = "cluster: default\nplugins:\n  - name: tfstate\n    config:\n      path: x\n  - name: ssm\n    func_prefx: a\n";
        let path = JsonPath::root().key("plugins").index(1).key("func_prefx");
        assert_eq!(in_yaml(text, &path), Some(Position { line: 7, column: 5 }));
        let path = JsonPath::root()
            .key("plugins")
            .index(0)
            .key("config")
            .key("path");
        assert_eq!(in_yaml(text, &path), Some(Position { line: 5, column: 7 }));
    }

    #[test]
    fn yaml_keys_do_not_match_deeper_or_sibling_blocks() {
        let text = "codedeploy:\n  application_name: a\nservice: web\n";
        let path = JsonPath::root().key("service");
        assert_eq!(in_yaml(text, &path), Some(Position { line: 3, column: 1 }));
    }
}
