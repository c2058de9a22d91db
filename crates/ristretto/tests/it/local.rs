//! `--local` and `local serve`: the simulator wired to every AWS client.

use std::path::Path;
use std::process::Command;

fn ristretto(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ristretto"));
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        // Never let a test reach for instance metadata.
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

#[test]
fn template_lookups_go_to_the_local_simulator() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(
        d,
        "local-world.yaml",
        "parameters:\n  - {name: /app/image, value: \"nginx:1.29\"}\n  - {name: /app/list, value: \"a,b,c\", type: StringList}\nsecrets:\n  - {name: app/db, value: s3cret}\n",
    );
    write(d, "ristretto.yml", "task_definition: td.json\n");
    write(
        d,
        "td.json",
        r#"{"family": "x", "containerDefinitions": [{"name": "a", "image": "{{ ssm `/app/image` }}",
            "environment": [{"name": "L", "value": "{{ ssm `/app/list` 1 }}"}],
            "secrets": [{"name": "DB", "valueFrom": "{{ secretsmanager_arn `app/db` }}"}]}]}"#,
    );
    let out = ristretto(d)
        .args(["--local", "render", "taskdef"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(r#""image": "nginx:1.29""#), "{stdout}");
    assert!(stdout.contains(r#""value": "b""#), "{stdout}");
    assert!(stdout.contains(":secret:app/db"), "{stdout}");
    assert!(
        d.join(".ristretto/local-state.json").is_file(),
        "the local world is kept between runs"
    );
}

#[test]
fn a_missing_parameter_is_an_input_error_with_the_template_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(d, "ristretto.yml", "task_definition: td.json\n");
    write(
        d,
        "td.json",
        "{\"family\": \"x\",\n \"containerDefinitions\": [{\"name\": \"{{ ssm `/nope` }}\"}]}",
    );
    let out = ristretto(d)
        .args(["--local", "render", "taskdef"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("td.json:2:"), "{stderr}");
    assert!(stderr.contains("ParameterNotFound"), "{stderr}");
}

#[test]
fn a_bad_local_world_is_an_input_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(d, "ristretto.yml", "service: web\n");
    write(d, "world.yaml", "clusterz: [a]\n");
    let out = ristretto(d)
        .args(["--local", "--local-world", "world.yaml", "render", "config"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("world.yaml"), "{stderr}");
}
