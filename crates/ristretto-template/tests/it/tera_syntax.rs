//! tera 2 files (`*.tera`): the same functions with named arguments.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use crate::common::{renderer, renderer_with_tfstate};
use ristretto_template::TemplateError;

const FILE: &str = "ecs-task-def.json.tera";

fn render(src: &str, env: &[(&str, &str)]) -> String {
    renderer_with_tfstate(env)
        .render(src, Path::new(FILE))
        .unwrap_or_else(|e| panic!("{e} (hint: {:?})", e.hint))
        .text
}

fn render_err(src: &str, env: &[(&str, &str)]) -> TemplateError {
    match renderer_with_tfstate(env).render(src, Path::new(FILE)) {
        Ok(r) => panic!("expected an error, got {:?}", r.text),
        Err(e) => e,
    }
}

#[test]
fn env_and_must_env_with_named_arguments() {
    assert_eq!(
        render(r#"{{ env(name="TAG", default="latest") }}"#, &[]),
        "latest"
    );
    assert_eq!(
        render(
            r#"{{ env(name="TAG", default="latest") }}"#,
            &[("TAG", "v1")]
        ),
        "v1"
    );
    // unlike the Go syntax, the default is taken literally
    assert_eq!(
        render(
            r#"{{ env(name="TAG", default="latest") }}"#,
            &[("latest", "x")]
        ),
        "latest"
    );
    assert_eq!(render(r#"[{{ env(name="TAG") }}]"#, &[]), "[]");
    assert_eq!(
        render(r#"{{ must_env(name="TAG") }}"#, &[("TAG", "v2")]),
        "v2"
    );
}

#[test]
fn json_escape_filter() {
    assert_eq!(
        render(
            r#"{{ env(name="JSON") | json_escape }}"#,
            &[("JSON", r#"{"a":"<b>"}"#)]
        ),
        r#"{\"a\":\"\u003cb\u003e\"}"#
    );
}

#[test]
fn no_html_autoescaping() {
    assert_eq!(render(r#"{{ env(name="X") }}"#, &[("X", "<&>\"")]), "<&>\"");
}

#[test]
fn control_flow_is_tera() {
    let t = r#"{% if env(name="DC", default="ECS") == "CODE_DEPLOY" %}cd{% else %}ecs{% endif %}"#;
    assert_eq!(render(t, &[]), "ecs");
    assert_eq!(render(t, &[("DC", "CODE_DEPLOY")]), "cd");
    assert_eq!(
        render("{% for i in [1, 2] %}{{ i }}{% endfor %}", &[]),
        "12"
    );
}

#[test]
fn plugin_functions_take_named_arguments() {
    assert_eq!(
        render(
            r#"{{ tfstate(address="aws_ecr_repository.all['app'].repository_url") }}"#,
            &[]
        ),
        "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app"
    );
    assert_eq!(
        render(
            r#"{{ tfstatef(format="data.aws_security_group.default['%s'].id", args=["first"]) }}"#,
            &[]
        ),
        "sg-12345678"
    );
    assert_eq!(
        render(r#"{{ cfn_output(stack="stack", key="Key") }}"#, &[]),
        "output-value"
    );
    let out = renderer(&[])
        .render(
            r#"{{ ssm(name="/list", index=2) }} {{ ssm(name="/secure") }}"#,
            Path::new(FILE),
        )
        .unwrap();
    assert_eq!(out.text, "c s3cr3t");
    assert!(out.secrets.contains("s3cr3t") && out.secrets.contains("c"));
}

#[test]
fn must_env_unset_is_an_error_with_position_and_hint() {
    let e = render_err("{\n  \"image\": \"{{ must_env(name=\"TAG\") }}\"\n}", &[]);
    assert_eq!(e.file(), Path::new(FILE));
    assert_eq!(e.line(), 2);
    assert!(e.column() >= 13, "{e}");
    assert!(
        e.message
            .contains("environment variable `TAG` is not defined"),
        "{e}"
    );
    assert!(e.hint.as_deref().unwrap().contains("--envfile"));
}

#[test]
fn unknown_function_has_position_and_suggestion() {
    let e = render_err("x\n{{ must_evn(name=\"TAG\") }}", &[]);
    assert_eq!(e.file(), Path::new(FILE));
    assert_eq!((e.line(), e.column()), (2, 4));
    assert!(e.message.contains("unknown function `must_evn`"), "{e}");
    assert_eq!(e.hint.as_deref(), Some("did you mean `must_env`?"));
}

#[test]
fn missing_variable_is_an_error_with_position() {
    let e = render_err("a\n  {{ tag }}", &[]);
    assert_eq!(e.file(), Path::new(FILE));
    assert_eq!((e.line(), e.column()), (2, 6));
    assert!(e.message.contains("tag"), "{e}");
    assert!(
        e.hint.as_deref().unwrap().contains("env(name="),
        "{:?}",
        e.hint
    );
}

#[test]
fn syntax_error_has_position() {
    let e = render_err("ok\n{% if %}", &[]);
    assert_eq!(e.file(), Path::new(FILE));
    assert_eq!(e.line(), 2);
    assert!(e.column() > 0, "{e}");
    assert!(
        e.hint.as_deref().unwrap().contains("tera syntax"),
        "{:?}",
        e.hint
    );
}

#[test]
fn wrong_arguments_are_errors_with_a_signature_hint() {
    let e = render_err(r#"{{ tfstate(addr="x") }}"#, &[]);
    assert!(
        e.message.contains("unknown argument `addr` for `tfstate`"),
        "{e}"
    );
    assert!(
        e.hint.as_deref().unwrap().contains("tfstate(address=…)"),
        "{:?}",
        e.hint
    );
    let e = render_err(r#"{{ tfstate() }}"#, &[]);
    assert!(e.message.contains("missing argument `address`"), "{e}");
}

#[test]
fn missing_tfstate_address_is_an_error_with_hint() {
    let e = render_err("\n{{ tfstate(address=\"aws_subnet.private-b.id\") }}", &[]);
    assert_eq!(e.file(), Path::new(FILE));
    assert_eq!(e.line(), 2);
    assert!(e.column() > 0);
    assert!(
        e.message
            .contains("aws_subnet.private-b.id is not found in tfstate"),
        "{e}"
    );
    assert!(e.hint.is_some());
}

#[test]
fn tera_file_written_in_go_syntax_gets_a_hint() {
    let e = render_err("{{ must_env `TAG` }}", &[]);
    assert!(
        e.hint
            .as_deref()
            .unwrap()
            .contains("remove the `.tera` suffix"),
        "{e} {:?}",
        e.hint
    );
}
