//! ecspresso's own fixtures' shapes render to ecspresso's expected values.
#![allow(clippy::unwrap_used)]

use crate::common::{fixtures, renderer_with_tfstate};

#[test]
fn task_and_service_definitions_render_like_ecspresso() {
    let r = renderer_with_tfstate(&[("TAG", "testing"), ("JSON", r#"{"foo":"bar"}"#)]);
    let td_path = fixtures().join("ecs-task-def.json");
    let td = r
        .render(&std::fs::read_to_string(&td_path).unwrap(), &td_path)
        .unwrap();
    let td: serde_json::Value = serde_json::from_str(&td.text).unwrap();
    let c = &td["containerDefinitions"][0];
    assert_eq!(
        c["image"],
        "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app:testing"
    );
    assert_eq!(c["environment"][0]["value"], r#"{"foo":"bar"}"#);

    let sv_path = fixtures().join("ecs-service-def.json");
    let sv = r
        .render(&std::fs::read_to_string(&sv_path).unwrap(), &sv_path)
        .unwrap();
    let sv: serde_json::Value = serde_json::from_str(&sv.text).unwrap();
    let vpc = &sv["networkConfiguration"]["awsvpcConfiguration"];
    assert_eq!(vpc["subnets"][0], "subnet-07ac54af5e41a4fc4");
    assert_eq!(vpc["securityGroups"][0], "sg-12345678");
}
