//! Loading task and service definitions the way ecspresso users write them,
//! and the errors a broken one gets.

use std::path::{Path, PathBuf};

use ristretto_core::definition::{
    api_json, parse_service_definition, parse_task_definition, to_pretty_json,
};
use ristretto_core::{LoadError, ProblemKind};

fn fixture(name: &str) -> (PathBuf, String) {
    crate::common::fixture("taskdef", name)
}

fn render_task(name: &str) -> String {
    let (path, text) = fixture(name);
    to_pretty_json(&api_json(&parse_task_definition(&text, &path).expect("loads")).expect("writes"))
}

#[test]
fn describe_output_pascal_case_and_camel_case_render_identically() {
    let camel = render_task("camel.json");
    assert_eq!(render_task("pascal.json"), camel);
    assert_eq!(render_task("describe.json"), camel);
}

#[test]
fn nulls_and_empty_arrays_are_dropped_and_map_keys_kept_verbatim() {
    let camel = render_task("camel.json");
    assert!(!camel.contains("mountPoints"), "{camel}");
    assert!(!camel.contains("volumesFrom"), "{camel}");
    assert!(!camel.contains("\"volumes\""), "{camel}");
    assert!(
        camel.contains("\"com.example.Team\": \"payments\""),
        "{camel}"
    );
    assert!(
        camel.contains("\"awslogs-stream-prefix\": \"web\""),
        "{camel}"
    );
    // The read-only fields of describe output never reach the input.
    assert!(!render_task("describe.json").contains("revision"));
}

#[test]
fn rendered_api_json_has_sorted_keys_and_two_space_indent() {
    let camel = render_task("camel.json");
    let top_keys: Vec<&str> = camel
        .lines()
        .filter(|l| l.starts_with("  \""))
        .map(|l| l.trim().split('"').nth(1).unwrap_or_default())
        .collect();
    let mut sorted = top_keys.clone();
    sorted.sort_unstable();
    assert_eq!(top_keys, sorted);
    assert!(camel.ends_with("}\n"));
}

fn load_error(text: &str) -> LoadError {
    parse_task_definition(text, Path::new("task.json")).expect_err("must fail")
}

#[test]
fn misspelt_field_is_reported_with_line_path_and_suggestion() {
    let text = "{\n  \"family\": \"web\",\n  \"containerDefinitions\": [\n    {\n      \"name\": \"app\",\n      \"enviroment\": [],\n      \"portMapping\": []\n    }\n  ]\n}\n";
    // Empty arrays are dropped before validation in ecspresso; a misspelt
    // key must still be reported, so give it a value.
    let text = text.replace(
        "\"enviroment\": []",
        "\"enviroment\": [{\"name\": \"A\", \"value\": \"1\"}]",
    );
    let err = load_error(&text);
    let details = err.details();
    assert_eq!(details.len(), 1, "{details:?}");
    assert_eq!(
        details[0],
        "task.json:6:7: unknown field `enviroment` at `containerDefinitions[0].enviroment` (did you mean `environment`?)"
    );
    assert!(err.hint().is_some());
}

#[test]
fn every_unknown_field_is_reported_not_just_the_first() {
    let err = load_error(
        r#"{"family": "web", "famly": "x", "containerDefinitions": [{"name": "a", "imag": "nginx"}]}"#,
    );
    let LoadError::Invalid { problems, .. } = &err else {
        panic!("{err:?}")
    };
    let paths: Vec<String> = problems.iter().map(|p| p.path.to_string()).collect();
    assert_eq!(paths, ["famly", "containerDefinitions[0].imag"]);
    assert!(
        matches!(&problems[1].kind, ProblemKind::UnknownField { suggestion: Some(s) } if s == "image")
    );
}

#[test]
fn wrong_type_names_the_path_and_both_types() {
    let err = load_error(
        "{\"family\": \"web\",\n \"containerDefinitions\": [{\"name\": \"a\", \"memory\": \"512\"}]}",
    );
    assert_eq!(
        err.details(),
        ["task.json:2:41: `containerDefinitions[0].memory` must be an integer, found a string"]
    );
}

#[test]
fn invalid_json_reports_line_and_column() {
    let err = load_error("{\n  \"family\": \"web\",\n}\n");
    let LoadError::Syntax {
        position: Some(position),
        format,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((position.line, *format), (3, "JSON"));
    assert!(err.to_string().starts_with("task.json:3:"), "{err}");
}

#[test]
fn service_definition_ignores_describe_fields_and_takes_the_config_service_name() {
    let text = r#"{
      "serviceName": "other",
      "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/default/web",
      "status": "ACTIVE",
      "runningCount": 2,
      "deployments": [{"id": "ecs-svc/1"}],
      "events": [],
      "desiredCount": 2,
      "loadBalancers": [],
      "serviceConnectConfiguration": {"enabled": false},
      "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100,
        "deploymentCircuitBreaker": {"enable": true, "rollback": true}}
    }"#;
    let input = parse_service_definition(text, Path::new("svc.json"), "web").expect("loads");
    assert_eq!(input.service_name.as_deref(), Some("web"));
    assert_eq!(input.desired_count, Some(2));
    assert_eq!(input.load_balancers.as_deref(), Some(&[][..]));
    let json = api_json(&input).expect("writes");
    assert_eq!(json["serviceConnectConfiguration"]["enabled"], false);
    assert!(json.get("status").is_none());
}

#[test]
fn service_definition_without_desired_count_leaves_it_unset() {
    let input = parse_service_definition("{}", Path::new("svc.json"), "web").expect("loads");
    assert_eq!(input.desired_count, None);
}

#[test]
fn service_definition_rejects_unknown_fields() {
    let err =
        parse_service_definition("{\"launchTyp\": \"FARGATE\"}", Path::new("svc.json"), "web")
            .expect_err("must fail");
    assert_eq!(
        err.details(),
        ["svc.json:1:2: unknown field `launchTyp` at `launchTyp` (did you mean `launchType`?)"]
    );
}
