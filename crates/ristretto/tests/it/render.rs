//! `render`, `version` and the input errors every command shares, run as the
//! real binary: exit code, stdout and stderr are pinned as snapshots.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{repo, transcript};

/// Runs ristretto in `dir` with a clean environment; returns a transcript
/// (see [`transcript`]).
fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ristretto"));
    command
        .current_dir(dir)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().expect("binary runs");
    transcript(&(
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

fn run(args: &[&str]) -> String {
    run_in(&repo(), args, &[])
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn renders_the_rolling_example() {
    insta::assert_snapshot!(run(&[
        "--config",
        "examples/rolling/config.yaml",
        "render",
        "config",
        "taskdef",
        "servicedef"
    ]));
}

#[test]
fn template_variables_reach_the_rendered_definition() {
    let out = run_in(
        &repo(),
        &[
            "--config",
            "examples/rolling/config.yaml",
            "render",
            "taskdef",
        ],
        &[("IMAGE_TAG", "1.28"), ("GREETING", "<hi & \"bye\">")],
    );
    assert!(out.starts_with("exit: 0"), "{out}");
    assert!(out.contains("public.ecr.aws/nginx/nginx:1.28"), "{out}");
    assert!(out.contains(r#""value": "<hi & \"bye\">""#), "{out}");
}

#[test]
fn render_taskdef_prints_every_cli_skeleton_field_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let skeleton = repo().join("tests/fixtures/skeleton/register-task-definition.json");
    write(
        dir.path(),
        "ristretto.yml",
        &format!("task_definition: {}\n", skeleton.display()),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_ristretto"))
        .current_dir(dir.path())
        .args(["render", "taskdef"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rendered: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(skeleton).expect("read")).expect("JSON");
    assert_eq!(rendered, expected);
}

#[test]
fn version_prints_the_version() {
    let out = run(&["version"]);
    assert_eq!(
        out,
        format!(
            "exit: 0\n--- stdout\nristretto {}\n--- stderr\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn completions_are_generated() {
    let out = run(&["completions", "bash"]);
    assert!(
        out.starts_with("exit: 0") && out.contains("_ristretto()"),
        "{out}"
    );
}

#[test]
fn missing_config_file_exits_2() {
    insta::assert_snapshot!(run(&[
        "--config",
        "examples/rolling/missing.yaml",
        "render",
        "config"
    ]));
}

#[test]
fn no_config_found_exits_2_with_a_hint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run_in(dir.path(), &["render", "config"], &[]);
    assert!(out.starts_with("exit: 2"), "{out}");
    assert!(
        out.contains("looked for ristretto.yml, ristretto.yaml, ecspresso.yml"),
        "{out}"
    );
    assert!(out.contains("hint: pass `--config FILE`"), "{out}");
}

#[test]
fn config_is_discovered_in_the_current_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "ecspresso.yml", "service: discovered\n");
    let out = run_in(dir.path(), &["render", "config"], &[]);
    assert!(out.contains("service: discovered"), "{out}");
}

#[test]
fn bad_inputs_exit_2_naming_file_line_and_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(
        d,
        "unknown-key.yml",
        "service: web\nservice_defintion: svc.json\n",
    );
    write(d, "bad-yaml.yml", "service: web\n  cluster: [\n");
    write(
        d,
        "td-typo.json",
        "{\n  \"family\": \"web\",\n  \"containerDefinitions\": [\n    {\"name\": \"app\", \"enviroment\": [{\"name\": \"A\", \"value\": \"1\"}]}\n  ]\n}\n",
    );
    write(
        d,
        "td-type.json",
        "{\n  \"family\": \"web\",\n  \"containerDefinitions\": [{\"name\": \"app\", \"memory\": \"512\"}]\n}\n",
    );
    write(d, "td-invalid.json", "{\n  \"family\": \"web\",\n}\n");
    write(d, "typo.yml", "task_definition: td-typo.json\n");
    write(d, "type.yml", "task_definition: td-type.json\n");
    write(d, "invalid.yml", "task_definition: td-invalid.json\n");
    write(d, "missing-def.yml", "task_definition: nowhere.json\n");
    write(
        d,
        "must-env.yml",
        "service: \"{{ must_env `SERVICE_NAME` }}\"\n",
    );
    let mut transcript = String::new();
    for (config, target) in [
        ("unknown-key.yml", "config"),
        ("bad-yaml.yml", "config"),
        ("typo.yml", "taskdef"),
        ("type.yml", "taskdef"),
        ("invalid.yml", "taskdef"),
        ("missing-def.yml", "taskdef"),
        ("must-env.yml", "config"),
    ] {
        transcript.push_str(&format!("$ ristretto --config {config} render {target}\n"));
        transcript.push_str(&run_in(d, &["--config", config, "render", target], &[]));
        transcript.push('\n');
    }
    insta::assert_snapshot!(transcript);
}

#[test]
fn unknown_flag_exits_2() {
    let out = run(&["render", "--no-such-flag"]);
    assert!(out.starts_with("exit: 2"), "{out}");
}

#[test]
fn environment_sets_flags_and_ecspresso_names_work_too() {
    let out = run_in(
        &repo(),
        &["render", "config"],
        &[("ECSPRESSO_CONFIG", "examples/rolling/config.yaml")],
    );
    assert!(out.contains("service: web"), "{out}");
    let out = run_in(
        &repo(),
        &["render", "config"],
        &[
            ("ECSPRESSO_CONFIG", "missing.yaml"),
            ("RISTRETTO_CONFIG", "examples/rolling/config.yaml"),
        ],
    );
    assert!(
        out.contains("service: web"),
        "RISTRETTO_ wins over ECSPRESSO_: {out}"
    );
    let out = run_in(
        &repo(),
        &["--timeout", "90s", "render", "config"],
        &[
            ("RISTRETTO_CONFIG", "examples/rolling/config.yaml"),
            ("RISTRETTO_TIMEOUT", "5m"),
        ],
    );
    assert!(
        out.contains("timeout: 1m30s"),
        "the flag wins over the environment: {out}"
    );
}

#[test]
fn several_configs_render_in_order_and_globs_expand() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["a", "b"] {
        std::fs::create_dir(dir.path().join(name)).expect("mkdir");
        write(
            &dir.path().join(name),
            "config.yaml",
            &format!("service: svc-{name}\n"),
        );
    }
    let out = run_in(
        dir.path(),
        &["--config", "*/config.yaml", "render", "config"],
        &[],
    );
    let a = out.find("service: svc-a").expect("a rendered");
    let b = out.find("service: svc-b").expect("b rendered");
    assert!(a < b, "{out}");
}

#[test]
fn debug_shows_what_was_loaded_and_plain_runs_do_not() {
    let args = [
        "--config",
        "examples/rolling/config.yaml",
        "render",
        "config",
    ];
    assert!(!run(&args).contains("debug:"));
    let out = run_in(&repo(), &args, &[("RISTRETTO_DEBUG", "1")]);
    assert!(
        out.contains(
            "debug: loaded examples/rolling/config.yaml: cluster `default`, service `web`"
        ),
        "{out}"
    );
}

#[test]
fn jsonnet_config_and_definitions_take_ext_vars_and_imports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(d, "common.libsonnet", "{ family: 'web' }\n");
    write(
        d,
        "ecspresso.jsonnet",
        "{\n  service: std.extVar('SERVICE'),\n  cluster: 'prod',\n  task_definition: 'td.jsonnet',\n  timeout: '5m',\n}\n",
    );
    write(
        d,
        "td.jsonnet",
        "local common = import 'common.libsonnet';\n{\n  family: common.family,\n  containerDefinitions: [{ name: 'app', image: 'nginx:{{ env `TAG` `latest` }}', memory: std.extVar('MEMORY') }],\n}\n",
    );
    let out = run_in(
        d,
        &[
            "--ext-str",
            "SERVICE=api",
            "--ext-code",
            "MEMORY=256 + 256",
            "render",
            "config",
            "taskdef",
        ],
        &[("TAG", "1.29")],
    );
    assert!(out.starts_with("exit: 0"), "{out}");
    assert!(
        out.contains("service: api")
            && out.contains("cluster: prod")
            && out.contains("timeout: 5m"),
        "{out}"
    );
    assert!(
        out.contains("\"family\": \"web\"")
            && out.contains("nginx:1.29")
            && out.contains("\"memory\": 512"),
        "{out}"
    );
}

#[test]
fn a_bad_environment_value_names_the_variable_it_came_from() {
    for (var, value) in [
        ("ECSPRESSO_OUTPUT", "yaml"),
        ("RISTRETTO_OUTPUT", "yaml"),
        ("ECSPRESSO_PARALLEL", "many"),
        ("ECSPRESSO_TIMEOUT", "soon"),
    ] {
        let out = run_in(
            &repo(),
            &["render", "config"],
            &[
                ("RISTRETTO_CONFIG", "examples/rolling/config.yaml"),
                (var, value),
            ],
        );
        assert!(out.starts_with("exit: 2"), "{var}: {out}");
        assert!(out.contains(var), "{var} is named: {out}");
    }
}

#[test]
fn long_help_lists_the_environment_variables() {
    let out = Command::new(env!("CARGO_BIN_EXE_ristretto"))
        .arg("--help")
        .env_clear()
        .output()
        .expect("binary runs");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{help}");
    for name in [
        "RISTRETTO_TIMEOUT",
        "RISTRETTO_LOCAL_SPEED",
        "NO_COLOR",
        "CI",
        "BROWSER",
    ] {
        assert!(help.contains(name), "{name} in --help:\n{help}");
    }
}

// Issue 15, item 1: ecspresso's published configs put the tfstate plugin behind a template
// condition; when it renders nothing, `plugins:` (and likewise `ignore:`, `codedeploy:`) is
// null, which ecspresso reads as "none".
#[test]
fn keys_a_template_leaves_empty_load_as_absent() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "ecspresso.yml",
        "region: ap-northeast-1\ncluster: default\nservice: web\n\
         task_definition: ecs-task-def.json\n\
         plugins:\n\
         {{ if env \"TFSTATE_BUCKET\" \"\" }}\
         \x20 - name: tfstate\n    config:\n      url: s3://{{ must_env \"TFSTATE_BUCKET\" }}/terraform.tfstate\n\
         {{ end }}\
         ignore:\ncodedeploy:\n",
    );
    let out = run_in(dir.path(), &["render", "config"], &[]);
    assert!(out.starts_with("exit: 0"), "{out}");
    assert!(out.contains("service: web"), "{out}");
    assert!(!out.contains("plugins"), "{out}");
    assert!(!out.contains("codedeploy"), "{out}");

    // With the variable set, the plugin is there.
    let with = run_in(
        dir.path(),
        &["render", "config"],
        &[("TFSTATE_BUCKET", "my-bucket")],
    );
    assert!(
        with.contains("url: s3://my-bucket/terraform.tfstate"),
        "{with}"
    );
}

// Issue 15, item 3: ecspresso's tests/config_duplicate_plugins.yaml (two tfstate plugins without
// a func_prefix) fails while the config loads, so every command fails, `render config` too.
#[test]
fn two_plugins_defining_the_same_functions_fail_every_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "terraform.tfstate",
        "{\"version\": 4, \"resources\": []}",
    );
    write(
        dir.path(),
        "ecspresso.yml",
        "region: ap-northeast-1\nservice: web\ntask_definition: td.json\nplugins:\n\
         \x20 - name: tfstate\n    config:\n      path: terraform.tfstate\n\
         \x20 - name: tfstate\n    config:\n      path: terraform.tfstate\n",
    );
    for args in [
        &["render", "config"][..],
        &["diff"],
        &["deploy", "--dry-run"],
    ] {
        let out = run_in(dir.path(), args, &[]);
        assert!(out.starts_with("exit: 2"), "{args:?}: {out}");
        assert!(
            out.contains("ecspresso.yml:8:5: `plugins[1]`: the `tfstate` plugin's functions are already defined by plugins[0]; set a different `func_prefix`"),
            "{args:?}: {out}"
        );
    }
    // Distinct prefixes are fine.
    write(
        dir.path(),
        "ecspresso.yml",
        "region: ap-northeast-1\nservice: web\ntask_definition: td.json\nplugins:\n\
         \x20 - name: tfstate\n    config:\n      path: terraform.tfstate\n    func_prefix: a_\n\
         \x20 - name: tfstate\n    config:\n      path: terraform.tfstate\n    func_prefix: b_\n",
    );
    let out = run_in(dir.path(), &["render", "config"], &[]);
    assert!(out.starts_with("exit: 0"), "{out}");
}

// Issue 15, item 4: ecspresso prints the region it will use; a config without `region` takes it
// from AWS_REGION, else from the profile (AWS SDK configuration docs: "region" setting).
#[test]
fn render_config_shows_the_region_from_the_environment_or_the_profile() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "ecspresso.yml",
        "service: web\ntask_definition: td.json\n",
    );
    write(
        dir.path(),
        "aws-config",
        "[profile staging]\nregion = eu-central-1\n",
    );
    let region_line = |env: &[(&str, &str)]| {
        let out = run_in(dir.path(), &["render", "config"], env);
        assert!(out.starts_with("exit: 0"), "{out}");
        out.lines()
            .find(|l| l.starts_with("region:"))
            .map(str::to_owned)
    };
    assert_eq!(
        region_line(&[("AWS_REGION", "eu-west-1")]).as_deref(),
        Some("region: eu-west-1")
    );
    let config_file = dir.path().join("aws-config");
    let config_file = config_file.to_str().expect("utf-8 path");
    assert_eq!(
        region_line(&[("AWS_CONFIG_FILE", config_file), ("AWS_PROFILE", "staging")]).as_deref(),
        Some("region: eu-central-1")
    );
    assert_eq!(
        region_line(&[
            ("AWS_CONFIG_FILE", config_file),
            ("AWS_PROFILE", "staging"),
            ("AWS_REGION", "ap-northeast-1")
        ])
        .as_deref(),
        Some("region: ap-northeast-1")
    );
    // The flag wins over everything, as it does for the AWS clients.
    let out = run_in(
        dir.path(),
        &["--region", "us-west-2", "render", "config"],
        &[("AWS_REGION", "eu-west-1")],
    );
    assert!(out.contains("\nregion: us-west-2\n"), "{out}");
    // Nothing names a region: none is shown (none would be used).
    assert_eq!(region_line(&[("AWS_CONFIG_FILE", "/nonexistent")]), None);
}
