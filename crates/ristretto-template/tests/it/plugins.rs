//! Plugins: loading rules, tfstate addresses and workspaces, ssm, secretsmanager, cloudformation.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;

use crate::common::{FakeAws, env, fixtures, plugin, renderer_with_tfstate};
use ristretto_template::{Functions, Renderer, TemplateError};
use serde_json::json;

fn tf(src: &str) -> String {
    renderer_with_tfstate(&[("TAG", "testing")])
        .render(src, Path::new("ecs-service-def.json"))
        .unwrap_or_else(|e| panic!("{e} (hint: {:?})", e.hint))
        .text
}

fn tf_err(src: &str) -> TemplateError {
    match renderer_with_tfstate(&[]).render(src, Path::new("ecs-service-def.json")) {
        Ok(r) => panic!("expected an error, got {:?}", r.text),
        Err(e) => e,
    }
}

fn setup_err(specs: &[ristretto_template::PluginSpec]) -> TemplateError {
    match Functions::with_plugins(specs, &fixtures(), Arc::new(FakeAws::standard())) {
        Ok(f) => panic!("expected an error, got {f:?}"),
        Err(e) => e,
    }
}

#[test]
fn tfstate_resolves_ecspresso_fixture_addresses() {
    assert_eq!(
        tf("{{ tfstate `aws_ecr_repository.all['app'].repository_url` }}:{{ must_env `TAG` }}"),
        "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app:testing"
    );
    assert_eq!(
        tf("{{ tfstate `aws_subnet.private-a.id` }}"),
        "subnet-07ac54af5e41a4fc4"
    );
    assert_eq!(
        tf("{{ tfstatef `data.aws_security_group.default['%s'].id` `first` }}"),
        "sg-12345678"
    );
    assert_eq!(
        tf(r#"{{ tfstate "data.aws_security_group.default[\"second\"].id" }}"#),
        "sg-87654321"
    );
}

#[test]
fn tfstate_count_instances_and_attribute_paths() {
    assert_eq!(tf("{{ tfstate `aws_instance.web[1].id` }}"), "i-001");
    assert_eq!(
        tf("{{ tfstatef `aws_instance.web[%d].private_ip` 0 }}"),
        "10.0.1.10"
    );
    assert_eq!(
        tf("{{ tfstate `aws_instance.web[0].security_groups[1]` }}"),
        "sg-b"
    );
    assert_eq!(
        tf("{{ tfstate `aws_instance.web[0].security_groups` }}"),
        r#"["sg-a","sg-b"]"#
    );
    assert_eq!(
        tf("{{ tfstate `aws_instance.web[1].cpu_core_count` }}"),
        "4"
    );
    assert_eq!(
        tf("{{ tfstate `aws_subnet.private-a.tags.Name` }}"),
        "private-a"
    );
    assert_eq!(
        tf(r#"{{ tfstate `aws_subnet.private-a.tags["kubernetes.io/role"]` }}"#),
        "internal"
    );
}

#[test]
fn tfstate_outputs_data_sources_and_modules() {
    assert_eq!(tf("{{ tfstate `output.vpc_id` }}"), "vpc-0a1b2c3d");
    assert_eq!(tf("{{ tfstate `output.private_subnets[1]` }}"), "subnet-2");
    assert_eq!(
        tf("{{ tfstate `output.settings` }}"),
        r#"{"debug":false,"port":8080}"#
    );
    assert_eq!(tf("{{ tfstate `output.settings.port` }}"), "8080");
    assert_eq!(
        tf("{{ tfstate `data.aws_caller_identity.current.account_id` }}"),
        "123456789012"
    );
    assert_eq!(
        tf("{{ tfstate `module.network.aws_vpc.main.id` }}"),
        "vpc-module"
    );
    assert_eq!(
        tf(r#"{{ tfstate `module.network.module.subnets['east'].aws_subnet.this[0].id` }}"#),
        "subnet-east-0"
    );
    assert_eq!(
        tf("{{ tfstate `data.terraform_remote_state.shared.outputs.cluster_name` }}"),
        "shared-cluster"
    );
}

#[test]
fn tfstate_missing_address_is_an_error_with_position_and_hint() {
    let e = tf_err("{\n  \"subnet\": \"{{ tfstate `aws_subnet.private-b.id` }}\"\n}");
    assert_eq!(e.file(), Path::new("ecs-service-def.json"));
    assert_eq!((e.line(), e.column()), (2, 17));
    assert!(
        e.message
            .contains("aws_subnet.private-b.id is not found in tfstate"),
        "{e}"
    );
    assert!(
        e.hint.as_deref().unwrap().contains("terraform.tfstate"),
        "{:?}",
        e.hint
    );

    for missing in [
        "aws_subnet.private-a.nope",
        "aws_ecr_repository.all['db'].repository_url",
        "aws_instance.web[5].id",
        "aws_subnet.private-ab.id",
        "output.nothing",
    ] {
        let e = tf_err(&format!("{{{{ tfstate `{missing}` }}}}"));
        assert!(
            e.message.contains("is not found in tfstate"),
            "{missing}: {e}"
        );
    }
}

#[test]
fn tfstate_relative_path_joins_base_dir_and_url_reads_s3() {
    let mut aws = FakeAws::standard();
    aws.objects.insert(
        ("tfstate-bucket".into(), "app/terraform.tfstate".into()),
        std::fs::read(fixtures().join("bucket.tfstate")).unwrap(),
    );
    let specs = [
        plugin(
            "tfstate",
            json!({"url": "s3://tfstate-bucket/app/terraform.tfstate"}),
            "bucket_",
        ),
        plugin("tfstate", json!({"path": "terraform.tfstate"}), ""),
    ];
    let functions = Functions::with_plugins(&specs, &fixtures(), Arc::new(aws)).unwrap();
    let r = Renderer::new(env(&[]), functions);
    let out = r
        .render(
            "s3://{{ bucket_tfstate `aws_s3_bucket.main.bucket` }}/ {{ tfstate `output.vpc_id` }}",
            Path::new("td.json"),
        )
        .unwrap();
    assert_eq!(out.text, "s3://example/ vpc-0a1b2c3d");
}

#[test]
fn tfstate_workspace_from_environment_file_follows_local_backend() {
    let specs = [plugin(
        "tfstate",
        json!({"path": "ws/.terraform/terraform.tfstate"}),
        "",
    )];
    let f = Functions::with_plugins(&specs, &fixtures(), Arc::new(FakeAws::standard())).unwrap();
    let out = Renderer::new(env(&[]), f)
        .render(
            "{{ tfstate `aws_s3_bucket.main.bucket` }}",
            Path::new("td.json"),
        )
        .unwrap();
    assert_eq!(out.text, "example-staging");

    let specs = [plugin(
        "tfstate",
        json!({"path": "ws-plain/terraform.tfstate"}),
        "",
    )];
    let f = Functions::with_plugins(&specs, &fixtures(), Arc::new(FakeAws::standard())).unwrap();
    let out = Renderer::new(env(&[]), f)
        .render(
            "{{ tfstate `aws_s3_bucket.main.bucket` }}",
            Path::new("td.json"),
        )
        .unwrap();
    assert_eq!(out.text, "example-prod");
}

#[test]
fn tfstate_config_errors() {
    let e = setup_err(&[plugin("tfstate", json!({}), "")]);
    assert_eq!(
        e.message,
        "tfstate plugin requires path or url for tfstate location"
    );
    assert_eq!(
        (e.file(), e.line(), e.column()),
        (Path::new("config.yaml"), 7, 5)
    );
    assert!(e.hint.is_some());
    let e = setup_err(&[plugin("tfstate", json!({"path": 1}), "")]);
    assert_eq!(
        e.message,
        "tfstate plugin requires path for tfstate file as a string"
    );
    let e = setup_err(&[plugin("tfstate", json!({"path": "nope.tfstate"}), "")]);
    assert!(e.message.contains("failed to read tfstate"), "{e}");
    let e = setup_err(&[plugin("tfstate", json!({"url": "gs://b/k"}), "")]);
    assert!(e.message.contains("`gs` is not supported"), "{e}");
}

#[test]
fn unknown_plugin_lists_the_known_ones() {
    let e = setup_err(&[plugin("tfstat", json!({}), "")]);
    assert_eq!(e.message, "plugin tfstat is not available");
    assert_eq!(
        (e.file(), e.line(), e.column()),
        (Path::new("config.yaml"), 7, 5)
    );
    let hint = e.hint.unwrap();
    assert!(hint.contains("did you mean `tfstate`?"), "{hint}");
    assert!(
        hint.contains("cloudformation, secretsmanager, ssm, tfstate"),
        "{hint}"
    );
}

#[test]
fn plugin_names_are_case_insensitive() {
    let specs = [plugin("CloudFormation", json!(null), "")];
    let f = Functions::with_plugins(&specs, &fixtures(), Arc::new(FakeAws::standard())).unwrap();
    assert!(f.names().any(|n| n == "cfn_output"));
}

#[test]
fn duplicate_function_tells_to_set_func_prefix() {
    let specs = [
        plugin("tfstate", json!({"path": "terraform.tfstate"}), ""),
        plugin("tfstate", json!({"path": "bucket.tfstate"}), ""),
    ];
    let e = setup_err(&specs);
    assert_eq!(e.message, "template function `tfstate` already exists");
    assert_eq!(
        (e.file(), e.line(), e.column()),
        (Path::new("config.yaml"), 7, 5)
    );
    assert!(
        e.hint
            .unwrap()
            .contains("set func_prefix to tfstate plugin")
    );
}

#[test]
fn default_plugins_listed_again_are_skipped_silently() {
    let specs = [
        plugin("ssm", json!(null), ""),
        plugin("secretsmanager", json!(null), ""),
    ];
    let f = Functions::with_plugins(&specs, &fixtures(), Arc::new(FakeAws::standard())).unwrap();
    let names: Vec<&str> = f.names().collect();
    assert_eq!(names, ["secretsmanager_arn", "ssm", "ssm_list"]);
    // with a prefix they are added under the new names
    let specs = [plugin("ssm", json!(null), "other_")];
    let f = Functions::with_plugins(&specs, &fixtures(), Arc::new(FakeAws::standard())).unwrap();
    assert!(f.names().any(|n| n == "other_ssm"));
}

#[test]
fn ssm_values_are_secrets_and_cached() {
    let aws = Arc::new(FakeAws::standard());
    let f = Functions::with_plugins(&[], &fixtures(), aws.clone()).unwrap();
    let r = Renderer::new(env(&[]), f);
    let out = r
        .render(
            "{{ ssm `/string` }} {{ ssm `/secure` }} {{ ssm `/list` 1 }} {{ ssm `/secure` }}",
            Path::new("td.json"),
        )
        .unwrap();
    assert_eq!(out.text, "plain s3cr3t b s3cr3t");
    assert_eq!(
        out.secrets.into_iter().collect::<Vec<_>>(),
        ["b", "plain", "s3cr3t"]
    );
    assert_eq!(aws.calls(), ["ssm /string", "ssm /secure", "ssm /list"]);
}

#[test]
fn ssm_errors_follow_ecspresso() {
    let r = crate::common::renderer(&[]);
    let err = |src: &str| r.render(src, Path::new("td.json")).err().unwrap();
    assert!(
        err("{{ ssm `/a` 1 2 }}")
            .message
            .contains("ssm template function accepts at most 2 parameters, but got 3")
    );
    assert!(err("{{ ssm `/string` 0 }}").message.contains(
        "the second argument is supported only for StringList type, but the parameter /string is of type String"
    ));
    assert!(err("{{ ssm `/list` }}").message.contains(
        "the second argument is required for StringList type parameter to specify the index"
    ));
    assert!(err("{{ ssm `/list` 3 }}").message.contains("out of range"));
    let e = err("{{ ssm `/missing` }}");
    assert!(
        e.message
            .contains("failed to lookup ssm parameter `/missing`: ParameterNotFound"),
        "{e}"
    );
    assert!(e.hint.is_some());
}

#[test]
fn secretsmanager_arn_is_cached_and_not_masked() {
    let aws = Arc::new(FakeAws::standard());
    let f = Functions::with_plugins(&[], &fixtures(), aws.clone()).unwrap();
    let r = Renderer::new(env(&[]), f);
    let out = r
        .render(
            "{{ secretsmanager_arn `ecspresso-test/baz` }}|{{ secretsmanager_arn `ecspresso-test/baz` }}",
            Path::new("td.json"),
        )
        .unwrap();
    let arn = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:ecspresso-test/baz-AbCdEf";
    assert_eq!(out.text, format!("{arn}|{arn}"));
    assert!(
        !out.secrets.contains(arn),
        "an ARN is a reference, shown as it is"
    );
    assert_eq!(aws.calls(), ["secret ecspresso-test/baz"]);
}

#[test]
fn cloudformation_outputs_and_exports() {
    assert_eq!(
        tf("{{ cfn_output `stack` `Key` }} {{ cfn_export `Name` }}"),
        "output-value export-value"
    );
    let e = tf_err("{{ cfn_export `Missing` }}");
    assert!(
        e.message.contains("failed to lookup export `Missing`"),
        "{e}"
    );
    assert!(e.hint.is_some());
}
