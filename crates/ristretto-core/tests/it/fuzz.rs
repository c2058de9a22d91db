//! Property tests that feed hostile input to every reader of user files: the
//! config loader, the Go-template (and tera) engine, the definition readers
//! and the diff normaliser. The only property is the one a user relies on:
//! an error or a value, never a panic.
//!
//! Inputs are either arbitrary text or real files (the examples and fixtures)
//! mutated by a few edits drawn from the tokens these formats care about.
//! `cargo test` runs a bounded number of cases per reader ([`CASES`]); a
//! longer run: `PROPTEST_CASES=20000 cargo test -p ristretto-core --release
//! --test it fuzz`. Any input that ever fails is kept below as a named
//! regression test.

use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use ristretto_core::config::{self, Format};
use ristretto_core::definition::{parse_service_definition, parse_task_definition};
use ristretto_core::diff::{Comparison, Subject};
use ristretto_core::normalize;
use ristretto_template::{Functions, MapEnv, Renderer, Syntax};
use serde_json::Value;

use crate::common::repo;

/// Cases per reader in `cargo test`, unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 300;

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES);
    Config {
        cases,
        // Failures are turned into the named regression tests below.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    }
}

/// Fragments that mean something to YAML, JSON, Jsonnet or the template engines.
const TOKENS: &[&str] = &[
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "`",
    "\"",
    "'",
    ":",
    ": ",
    "- ",
    "\n",
    "\n  ",
    "\t",
    "[",
    "]",
    "{",
    "}",
    ",",
    "|",
    ">",
    "&a",
    "*a",
    "!!",
    "!tag",
    "#",
    "%",
    "\\",
    "\\u",
    "\u{0}",
    "é",
    "\u{feff}",
    "env",
    "must_env",
    "json_escape",
    "tfstate",
    "ssm",
    "range",
    "end",
    "if",
    "else",
    "define",
    "template",
    "block",
    "with",
    "$x",
    ".",
    "..",
    "(",
    ")",
    "0",
    "-1",
    "1e999",
    "99999999999999999999",
    "null",
    "true",
    "~",
    "<<",
    "---",
    "...",
    "taskDefinition",
    "containerDefinitions",
    "family",
    "cpu",
    "secrets",
    "valueFrom",
    "timeout",
];

/// One edit of a text: where (a fraction of its length) and what.
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, usize),
    Delete(usize, usize),
    Replace(usize, usize, usize),
    Duplicate(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let at = any::<usize>();
    let token = 0..TOKENS.len();
    prop_oneof![
        (at, token.clone()).prop_map(|(a, t)| Edit::Insert(a, t)),
        (at, 1usize..16).prop_map(|(a, n)| Edit::Delete(a, n)),
        (at, 1usize..8, token).prop_map(|(a, n, t)| Edit::Replace(a, n, t)),
        (at, 1usize..64).prop_map(|(a, n)| Edit::Duplicate(a, n)),
    ]
}

/// The char boundary at or before `at % (len + 1)`.
fn boundary(text: &str, at: usize) -> usize {
    let mut i = at % (text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(mut text: String, edits: &[Edit]) -> String {
    for edit in edits {
        match *edit {
            Edit::Insert(at, t) => {
                let i = boundary(&text, at);
                text.insert_str(i, TOKENS[t]);
            }
            Edit::Delete(at, n) => {
                let i = boundary(&text, at);
                let j = boundary(&text, i + n.min(text.len() - i));
                text.replace_range(i..j, "");
            }
            Edit::Replace(at, n, t) => {
                let i = boundary(&text, at);
                let j = boundary(&text, i + n.min(text.len() - i));
                text.replace_range(i..j, TOKENS[t]);
            }
            Edit::Duplicate(at, n) => {
                let i = boundary(&text, at);
                let j = boundary(&text, i + n.min(text.len() - i));
                let piece = text[i..j].to_owned();
                text.insert_str(j, &piece);
            }
        }
    }
    text
}

/// Files of the repository, read once: the seeds of the mutations.
fn seeds(paths: &[&str]) -> Vec<String> {
    paths
        .iter()
        .map(|p| std::fs::read_to_string(repo().join(p)).expect("seed file exists"))
        .collect()
}

/// A seed with a few edits, or arbitrary text.
fn mutated(seeds: Vec<String>) -> impl Strategy<Value = String> {
    let count = seeds.len();
    prop_oneof![
        4 => (0..count, prop::collection::vec(edit(), 1..6))
            .prop_map(move |(s, edits)| apply(seeds[s].clone(), &edits)),
        1 => any::<String>(),
        1 => prop::collection::vec(0..TOKENS.len(), 0..40)
            .prop_map(|ts| ts.into_iter().map(|t| TOKENS[t]).collect::<String>()),
    ]
}

const CONFIGS: &[&str] = &[
    "examples/rolling/config.yaml",
    "examples/codedeploy/config.yaml",
    "config.yaml.example",
];
const TASK_DEFINITIONS: &[&str] = &[
    "examples/rolling/ecs-task-def.json",
    "tests/fixtures/taskdef/camel.json",
    "tests/fixtures/taskdef/pascal.json",
    "tests/fixtures/taskdef/describe.json",
];
const SERVICE_DEFINITIONS: &[&str] = &["examples/rolling/ecs-service-def.json"];

fn version() -> semver::Version {
    semver::Version::new(1, 0, 0)
}

fn renderer() -> Renderer {
    let env = MapEnv::from_pairs([("TAG", "v1"), ("JSON", "{\"a\": [1, \"b\"]}")]);
    Renderer::new(Arc::new(env), Functions::none())
}

/// An arbitrary JSON value, a few levels deep, with the keys the normaliser looks at.
fn json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        4 => prop::sample::select(vec![
            "family", "containerDefinitions", "name", "image", "cpu", "memory", "environment",
            "secrets", "value", "valueFrom", "tags", "key", "portMappings", "taskDefinitionArn",
            "revision", "status", "deployments", "loadBalancers", "serviceName", "desiredCount",
            "networkConfiguration", "awsvpcConfiguration", "subnets", "propagateTags",
        ])
        .prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_config_loader_never_panics(text in mutated(seeds(CONFIGS))) {
        let file = Path::new("fuzz/config.yaml");
        let _ = config::parse(&text, file, Format::Yaml, &version());
        let _ = config::parse(&text, Path::new("fuzz/config.json"), Format::Jsonnet, &version());
        if let Ok(rendered) = renderer().render(&text, file) {
            let _ = config::parse(&rendered.text, file, Format::Yaml, &version());
        }
    }

    #[test]
    fn the_template_engines_never_panic(text in mutated(seeds(&[CONFIGS, TASK_DEFINITIONS].concat()))) {
        let renderer = renderer();
        let _ = renderer.render_as(&text, Path::new("fuzz/t.json"), Syntax::Go);
        let _ = renderer.render_as(&text, Path::new("fuzz/t.json.tera"), Syntax::Tera);
    }

    #[test]
    fn the_definition_readers_never_panic(
        task in mutated(seeds(TASK_DEFINITIONS)),
        service in mutated(seeds(SERVICE_DEFINITIONS)),
    ) {
        let _ = parse_task_definition(&task, Path::new("fuzz/td.json"));
        let _ = parse_service_definition(&service, Path::new("fuzz/sd.json"), "web");
    }

    #[test]
    fn the_diff_normaliser_never_panics(live in json(), local in json(), tags in json()) {
        let ignore = ["ignored".to_owned()];
        let mut live_td = normalize::live_task_definition(&live, Some(&tags));
        let local_td = normalize::task_definition(&local, &ignore);
        normalize::prune(&mut live_td);
        let _ = normalize::task_definition_file(&live, Some(&tags));
        let live_service = normalize::live_service(&live);
        let _ = normalize::service_definition(&live);
        let _ = normalize::service(&local, &ignore);
        let _ = normalize::service_pair(Some(&live_service), &local, &ignore);
        for (live, local) in [(Some(live_td), local_td), (None, local), (Some(live_service), live)] {
            let comparison = Comparison {
                subject: Subject::TaskDefinition,
                live_label: Some("live".to_owned()),
                local_label: "local".to_owned(),
                live,
                local,
            };
            let _ = comparison.unified(3);
            let _ = comparison.changes();
            let _ = comparison.full();
        }
    }
}
