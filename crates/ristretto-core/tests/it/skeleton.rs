//! Every field the AWS CLI knows for `register-task-definition` and
//! `create-service` loads and renders back unchanged. The fixtures are the
//! output of `aws ecs ... --generate-cli-skeleton input` (AWS CLI from PyPI).

use std::path::PathBuf;

use ristretto_core::definition::{api_json, parse_service_definition, parse_task_definition};
use serde_json::Value;

fn fixture(name: &str) -> (PathBuf, String) {
    crate::common::fixture("skeleton", name)
}

#[test]
fn every_register_task_definition_field_round_trips() {
    let (path, text) = fixture("register-task-definition.json");
    let input = parse_task_definition(&text, &path).expect("skeleton loads");
    let expected: Value = serde_json::from_str(&text).expect("fixture is JSON");
    assert_eq!(api_json(&input).expect("writes"), expected);
}

#[test]
fn every_create_service_field_round_trips() {
    let (path, text) = fixture("create-service.json");
    let input = parse_service_definition(&text, &path, "").expect("skeleton loads");
    let expected: Value = serde_json::from_str(&text).expect("fixture is JSON");
    assert_eq!(api_json(&input).expect("writes"), expected);
}
