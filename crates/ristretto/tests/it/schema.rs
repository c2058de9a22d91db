//! `ristretto schema` and the schema line `init` writes (issue 18, item 5):
//! the committed `schemas/` files are exactly what the command prints (a
//! drift check), and a config written by `init` names the config's schema
//! for the YAML language server and validates against it.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use ristretto_sim::World;

use crate::common::{repo, transcript};
use crate::diff_markdown::Setup;

fn schema(target: &str) -> (i32, String, String) {
    // No config, no AWS: run in an empty folder with nothing set.
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ristretto"))
        .args(["schema", target])
        .current_dir(dir.path())
        .env_clear()
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_committed_schemas_are_what_the_command_prints() {
    for (target, file) in [
        ("config", "config.schema.json"),
        ("servicedef", "servicedef.schema.json"),
        ("taskdef", "taskdef.schema.json"),
        ("events", "events.schema.json"),
    ] {
        let out = schema(target);
        assert_eq!(out.0, 0, "{}", transcript(&out));
        let committed = std::fs::read_to_string(repo().join("schemas").join(file)).unwrap();
        assert!(
            out.1 == committed,
            "schemas/{file} differs from `ristretto schema {target}`: regenerate it with \
             `ristretto schema {target} > schemas/{file}`"
        );
        let value: serde_json::Value = serde_json::from_str(&out.1).unwrap();
        assert!(
            jsonschema::meta::is_valid(&value),
            "{target} is not a valid JSON Schema"
        );
    }
    let aliases = schema("task-definition");
    assert_eq!(aliases.1, schema("taskdef").1);
    let unknown = schema("appspec");
    assert_eq!(unknown.0, 2, "{}", transcript(&unknown));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_names_the_config_schema_for_editors() {
    let setup = Setup::start(World::default_world()).await;
    setup.service("web", "web", "nginx:1.27").await;
    let config = setup.read("web/ristretto.yml");
    let first = config.lines().next().unwrap();
    assert_eq!(
        first,
        "# yaml-language-server: $schema=https://raw.githubusercontent.com/ristretto-deploy/ristretto/main/schemas/config.schema.json"
    );
    assert!(repo().join("schemas/config.schema.json").is_file());
    let value: serde_json::Value = yaml_serde::from_str(&config).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&schema("config").1).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    // The file still loads, and diff finds what runs identical.
    let out = setup
        .run(&["--config", "web/ristretto.yml", "diff", "--exit-code"])
        .await;
    assert_eq!(out.0, 0, "{}", transcript(&out));
}
