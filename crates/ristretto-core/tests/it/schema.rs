//! The published JSON Schemas (`schemas/`, `ristretto schema …`) against the
//! files ristretto reads: every example and fixture validates (after its
//! templates are rendered, as the loader does), a broken copy is rejected by
//! the schema and by the loader alike, and the committed files are exactly
//! what the code generates.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;

use ristretto_core::schema::Kind;
use ristretto_template::{Functions, MapEnv, Renderer};
use serde_json::{Value, json};

use crate::common::repo;

fn validator(kind: Kind) -> jsonschema::Validator {
    jsonschema::validator_for(&kind.schema()).unwrap()
}

/// `file` rendered with the built-in template functions and no variables
/// (the examples' `env` calls have defaults), parsed as YAML or JSON.
fn rendered(file: &Path) -> Value {
    let text = std::fs::read_to_string(file).unwrap();
    let renderer = Renderer::new(Arc::new(MapEnv::default()), Functions::none());
    let text = renderer.render(&text, file).unwrap().text;
    if file.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).unwrap()
    } else {
        yaml_serde::from_str(&text).unwrap()
    }
}

fn errors(kind: Kind, document: &Value) -> Vec<String> {
    validator(kind)
        .iter_errors(document)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn every_example_validates_against_the_schemas() {
    let mut checked = 0;
    for entry in std::fs::read_dir(repo().join("examples")).unwrap() {
        let dir = entry.unwrap().path();
        for (name, kind) in [
            ("config.yaml", Kind::Config),
            ("ecs-service-def.json", Kind::ServiceDefinition),
            ("ecs-task-def.json", Kind::TaskDefinition),
        ] {
            let file = dir.join(name);
            if !file.exists() {
                continue;
            }
            let problems = errors(kind, &rendered(&file));
            assert!(problems.is_empty(), "{}: {problems:#?}", file.display());
            checked += 1;
        }
    }
    assert!(checked >= 9, "only {checked} files found");
}

#[test]
fn camel_pascal_and_describe_output_task_definitions_validate() {
    for name in ["camel.json", "pascal.json", "describe.json"] {
        let file = repo().join("tests/fixtures/taskdef").join(name);
        let problems = errors(Kind::TaskDefinition, &rendered(&file));
        assert!(problems.is_empty(), "{name}: {problems:#?}");
    }
    let skeleton = repo().join("tests/fixtures/skeleton/create-service.json");
    let problems = errors(Kind::ServiceDefinition, &rendered(&skeleton));
    assert!(problems.is_empty(), "{problems:#?}");
}

/// A broken copy of the rolling example's task definition is refused by the
/// schema and by the loader, at the same place.
#[test]
fn a_broken_task_definition_is_rejected_like_the_loader_rejects_it() {
    let file = repo().join("examples/rolling/ecs-task-def.json");
    let good = rendered(&file);
    let mut unknown = good.clone();
    // Not `[]`: the loader drops empty arrays (as ecspresso) before it looks for unknown keys.
    unknown["containerDefinitions"][0]["enviroment"] = json!([{"name": "A", "value": "1"}]);
    let mut wrong_type = good.clone();
    wrong_type["containerDefinitions"][0]["cpu"] = json!("a lot");
    let mut pascal_wrong_type = good;
    pascal_wrong_type["Memory"] = json!(512);
    for (what, broken, at) in [
        ("unknown key", unknown, "/containerDefinitions/0/enviroment"),
        ("wrong type", wrong_type, "/containerDefinitions/0/cpu"),
        ("PascalCase key, wrong type", pascal_wrong_type, "/Memory"),
    ] {
        let problems = errors(Kind::TaskDefinition, &broken);
        assert!(!problems.is_empty(), "{what}: the schema accepts it");
        assert!(
            problems
                .iter()
                .any(|p| p.contains(at) || p.starts_with(": ")),
            "{what}: {problems:#?}"
        );
        let loaded = ristretto_core::definition::parse_task_definition(
            &broken.to_string(),
            Path::new("td.json"),
        );
        assert!(loaded.is_err(), "{what}: the loader accepts it");
    }
}

#[test]
fn a_broken_service_definition_is_rejected() {
    let file = repo().join("examples/rolling/ecs-service-def.json");
    let mut broken = rendered(&file);
    broken["desiredCount"] = json!("two");
    broken["deploymentConfiguration"]["maximumPercentt"] = json!(200);
    let problems = errors(Kind::ServiceDefinition, &broken);
    assert!(!problems.is_empty());
    let loaded = ristretto_core::definition::parse_service_definition(
        &broken.to_string(),
        Path::new("sv.json"),
        "web",
    );
    assert!(loaded.is_err());
}

#[test]
fn a_broken_config_is_rejected() {
    let good = rendered(&repo().join("examples/codedeploy/config.yaml"));
    for (what, key, value) in [
        ("unknown key", "servce", json!("web")),
        ("wrong type", "cluster", json!(["a", "b"])),
        (
            "wrong type in a block",
            "codedeploy",
            json!({"application_name": 3}),
        ),
        ("unknown key in a block", "ignore", json!({"tag": ["a"]})),
        ("unknown appspec key", "appspec", json!({"Hookz": []})),
    ] {
        let mut broken = good.clone();
        broken[key] = value;
        assert!(
            !errors(Kind::Config, &broken).is_empty(),
            "{what}: the schema accepts it"
        );
        let text = yaml_serde::to_string(&broken).unwrap();
        let loaded = ristretto_core::config::parse(
            &text,
            Path::new("ristretto.yml"),
            ristretto_core::config::Format::Yaml,
            &semver::Version::new(0, 1, 0),
        );
        assert!(loaded.is_err(), "{what}: the loader accepts it");
    }
}

/// What the loader accepts beyond the API's shapes, the schemas accept too:
/// `null` members, `[]` for task definition members, any letter case,
/// numbers or durations for `timeout`, the appspec's keys in any case.
#[test]
fn the_schemas_accept_the_loaders_leniency() {
    let td = json!({
        "family": "web", "taskRoleArn": null, "volumes": [], "placementConstraints": [],
        "CONTAINERDEFINITIONS": [{"name": "app", "image": "x", "linuxParameters": null}],
        "revision": 3, "status": "ACTIVE",
    });
    assert_eq!(errors(Kind::TaskDefinition, &td), Vec::<String>::new());
    ristretto_core::definition::parse_task_definition(&td.to_string(), Path::new("td.json"))
        .unwrap();
    let config = json!({"cluster": null, "timeout": 90, "plugins": null,
                        "appspec": {"hooks": []}});
    assert_eq!(errors(Kind::Config, &config), Vec::<String>::new());
    let config = json!({"timeout": "1h30m", "ignore": {"tags": null}});
    assert_eq!(errors(Kind::Config, &config), Vec::<String>::new());
}

/// `schemas/` holds exactly what `ristretto schema` prints: regenerate with
/// `for k in config servicedef taskdef events; do cargo run -q -- schema $k > schemas/$k.schema.json; done`.
#[test]
fn the_committed_schemas_are_the_generated_ones() {
    for kind in Kind::ALL {
        let path = repo().join("schemas").join(kind.file_name());
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == kind.text(),
            "{} is out of date: regenerate it with `ristretto schema`",
            path.display()
        );
    }
}
