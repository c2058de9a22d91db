//! Jsonnet evaluation: imports, ext vars, native functions and located errors.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::common::{FakeAws, env, fixtures, plugin};
use ristretto_template::{Functions, JsonnetVars, Renderer, TemplateError};
use serde_json::json;

fn renderer(pairs: &[(&str, &str)]) -> Renderer {
    let specs = [plugin("tfstate", json!({"path": "terraform.tfstate"}), "")];
    let f = Functions::with_plugins(&specs, &fixtures(), Arc::new(FakeAws::standard())).unwrap();
    Renderer::new(env(pairs), f)
}

fn vars(ext_str: &[(&str, &str)], ext_code: &[(&str, &str)]) -> JsonnetVars {
    let map = |p: &[(&str, &str)]| -> BTreeMap<String, String> {
        p.iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    };
    JsonnetVars {
        ext_str: map(ext_str),
        ext_code: map(ext_code),
    }
}

fn eval_err(file: &str, pairs: &[(&str, &str)], v: &JsonnetVars) -> TemplateError {
    match renderer(pairs).evaluate_jsonnet(&fixtures().join("jsonnet").join(file), v) {
        Ok(r) => panic!("expected an error, got {}", r.text),
        Err(e) => e,
    }
}

#[test]
fn evaluates_imports_ext_vars_and_native_functions() {
    let r = renderer(&[("AWS_REGION", "ap-northeast-1")]);
    let out = r
        .evaluate_jsonnet(
            &fixtures().join("jsonnet/td.jsonnet"),
            &vars(
                &[("DEPLOYMENT_CONTROLLER", "CODE_DEPLOY")],
                &[("REPLICAS", "1 + 2")],
            ),
        )
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out.text).unwrap();
    let c = &v["containerDefinitions"][0];
    assert_eq!(c["image"], "katsubushi/katsubushi:latest");
    assert_eq!(c["name"], "app");
    assert_eq!(c["environment"][0]["value"], "ap-northeast-1");
    assert_eq!(c["environment"][1]["value"], "6");
    assert_eq!(c["environment"][2]["value"], "subnet-07ac54af5e41a4fc4");
    assert_eq!(c["environment"][3]["value"], "s3cr3t");
    assert_eq!(c["environment"][4]["value"], "b");
    // template actions survive Jsonnet, to be rendered afterwards
    assert_eq!(
        c["image_template"],
        "nginx:{{ env `NGINX_VERSION` `latest` }}"
    );
    assert_eq!(v["codeDeploy"], true);
    assert!(out.secrets.contains("s3cr3t"));

    // and the Go template pass over the output works as ecspresso does it
    let rendered = r
        .render(&out.text, &fixtures().join("jsonnet/td.jsonnet"))
        .unwrap();
    assert!(
        rendered.text.contains("\"nginx:latest\""),
        "{}",
        rendered.text
    );
}

#[test]
fn env_native_uses_value_or_default() {
    let r = renderer(&[("TAG", "v1"), ("AWS_REGION", "x")]);
    let out = r
        .evaluate_jsonnet_source(
            "[std.native('env')('TAG', 'latest'), std.native('env')('NONE', 'dflt')]",
            &fixtures().join("jsonnet/inline.jsonnet"),
            &JsonnetVars::default(),
        )
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out.text).unwrap();
    assert_eq!(v, json!(["v1", "dflt"]));
}

#[test]
fn syntax_error_has_file_line_and_column() {
    let e = eval_err("broken.jsonnet", &[], &JsonnetVars::default());
    assert!(e.file().ends_with("jsonnet/broken.jsonnet"), "{e}");
    assert_eq!(e.line(), 4);
    assert_eq!(e.column(), 1);
    assert!(e.message.contains("syntax error: unexpected `}`"), "{e}");
    assert!(e.hint.as_deref().unwrap().contains("`]`"), "{:?}", e.hint);
}

#[test]
fn missing_import_points_at_the_import() {
    let e = eval_err("bad-import.jsonnet", &[], &JsonnetVars::default());
    assert!(e.file().ends_with("bad-import.jsonnet"), "{e}");
    assert_eq!(e.line(), 1);
    assert!(e.column() > 1);
    assert!(
        e.message
            .contains("failed to import `libs/missing.libsonnet`"),
        "{e}"
    );
    assert!(
        e.hint
            .as_deref()
            .unwrap()
            .contains("relative to the importing file")
    );
}

#[test]
fn must_env_failure_is_located_with_hint() {
    let e = eval_err("must-env.jsonnet", &[], &JsonnetVars::default());
    assert!(e.file().ends_with("must-env.jsonnet"), "{e}");
    assert_eq!(e.line(), 2);
    assert!(
        e.message
            .contains("environment variable `NOPE_REGION` is not defined"),
        "{e}"
    );
    assert!(e.hint.is_some());
}

#[test]
fn undefined_ext_var_has_a_hint() {
    let e = eval_err(
        "td.jsonnet",
        &[("AWS_REGION", "x")],
        &JsonnetVars::default(),
    );
    assert!(
        e.message
            .contains("undefined external variable `DEPLOYMENT_CONTROLLER`"),
        "{e}"
    );
    assert!(
        e.hint
            .as_deref()
            .unwrap()
            .contains("--ext-str DEPLOYMENT_CONTROLLER=")
    );
    // located at the `std.extVar` call, not where the local is used
    assert_eq!(e.line(), 4, "{e}");
}

#[test]
fn ext_code_errors_are_located_in_the_ext_code() {
    let e = eval_err(
        "td.jsonnet",
        &[("AWS_REGION", "x")],
        &vars(&[("DEPLOYMENT_CONTROLLER", "ECS")], &[("REPLICAS", "1 +")]),
    );
    assert_eq!(e.file().to_string_lossy(), "<ext-code REPLICAS>");
    assert_eq!(e.line(), 1);
}
