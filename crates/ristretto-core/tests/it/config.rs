//! Loading configs as ecspresso writes them, and the errors a broken one gets.

use std::path::Path;
use std::time::Duration;

use ristretto_core::config::{self, Format};
use ristretto_core::{LoadError, ProblemKind};
use semver::Version;

fn version() -> Version {
    Version::new(0, 1, 0)
}

fn load(text: &str) -> Result<ristretto_core::Config, LoadError> {
    config::parse(
        text,
        Path::new("conf/ecspresso.yml"),
        Format::Yaml,
        &version(),
    )
    .map(|(c, _)| c)
}

#[test]
fn ecspresso_config_loads_with_defaults_and_resolved_paths() {
    let config =
        load("service: web\nservice_definition: ecs-service-def.json\ntask_definition: ecs-task-def.json\n")
            .expect("loads");
    assert_eq!(config.cluster, "default");
    assert_eq!(config.timeout, Duration::from_secs(600));
    assert_eq!(config.service.as_deref(), Some("web"));
    assert_eq!(
        config.task_definition.as_deref(),
        Some(Path::new("conf/ecs-task-def.json"))
    );
    assert_eq!(
        config.service_definition.as_deref(),
        Some(Path::new("conf/ecs-service-def.json"))
    );
}

#[test]
fn every_documented_key_is_accepted() {
    let text = r#"
required_version: ">= 2.0.0, < 3"
region: ap-northeast-1
cluster: prod
service: web
service_definition: svc.json
task_definition: td.json
timeout: 1h30m
plugins:
  - name: tfstate
    config:
      path: terraform.tfstate
    func_prefix: net_
appspec:
  Hooks:
    - BeforeInstall: "LambdaFunctionToValidateBeforeInstall"
codedeploy:
  application_name: app
  deployment_group_name: group
  deployment_config_name: CodeDeployDefault.ECSAllAtOnce
ignore:
  tags: [owner]
filter_command: peco
"#;
    let (config, warnings) =
        config::parse(text, Path::new("c.yml"), Format::Yaml, &version()).expect("loads");
    assert_eq!(config.timeout, Duration::from_secs(5400));
    assert_eq!(config.plugins[0].func_prefix, "net_");
    assert_eq!(config.ignore.tags, ["owner"]);
    assert_eq!(
        config
            .codedeploy
            .and_then(|c| c.deployment_config_name)
            .as_deref(),
        Some("CodeDeployDefault.ECSAllAtOnce")
    );
    assert_eq!(warnings.len(), 1, "filter_command is deprecated");
}

#[test]
fn timeout_accepts_bare_seconds() {
    assert_eq!(
        load("timeout: 90\n").expect("loads").timeout,
        Duration::from_secs(90)
    );
    assert_eq!(
        load("timeout: 10m0s\n").expect("loads").timeout,
        Duration::from_secs(600)
    );
}

#[test]
fn unknown_key_names_line_and_nearest_key() {
    let err = load("service: web\nservice_defintion: svc.json\n").expect_err("fails");
    assert_eq!(
        err.details(),
        [
            "conf/ecspresso.yml:2:1: unknown field `service_defintion` at `service_defintion` (did you mean `service_definition`?)"
        ]
    );
}

#[test]
fn unknown_nested_key_is_found_too() {
    let err = load("codedeploy:\n  application: x\n").expect_err("fails");
    let LoadError::Invalid { problems, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(problems[0].path.to_string(), "codedeploy.application");
    assert!(
        matches!(&problems[0].kind, ProblemKind::UnknownField { suggestion: Some(s) } if s == "application_name")
    );
    assert_eq!(problems[0].position.map(|p| p.line), Some(2));
}

#[test]
fn wrong_type_names_the_key_and_line() {
    let err = load("service: web\nplugins: tfstate\n").expect_err("fails");
    let message = err.to_string();
    assert!(
        message.starts_with("conf/ecspresso.yml:2:1: `plugins`"),
        "{message}"
    );
}

#[test]
fn bad_timeout_is_an_error_with_a_hint() {
    let err = load("timeout: ten minutes\n").expect_err("fails");
    assert!(
        err.to_string().contains("`ten minutes` is not a duration"),
        "{err}"
    );
    assert!(err.hint().is_some_and(|h| h.contains("10m")));
}

#[test]
fn invalid_yaml_reports_the_line() {
    let err = load("service: web\n  cluster: [\n").expect_err("fails");
    let LoadError::Syntax {
        position, format, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*format, "YAML");
    assert!(position.is_some());
}

#[test]
fn required_version_is_checked() {
    assert!(load("required_version: \">= 0.1.0\"\n").is_ok());
    // An ecspresso constraint is met by the ecspresso behaviour ristretto implements.
    assert!(load("required_version: \">= 2.0.0, < 3\"\n").is_ok());
    let err = load("required_version: \">= 9\"\n").expect_err("fails");
    assert!(matches!(err, LoadError::VersionMismatch { .. }), "{err:?}");
    let err = load("required_version: \"=> 1\"\n").expect_err("fails");
    assert!(
        err.to_string().contains("not a version constraint"),
        "{err}"
    );
}

#[test]
fn json_config_loads_too() {
    let (config, _) = config::parse(
        r#"{"service": "web", "cluster": "prod", "timeout": "5m"}"#,
        Path::new("ecspresso.json"),
        Format::Jsonnet,
        &version(),
    )
    .expect("loads");
    assert_eq!(
        (config.cluster.as_str(), config.timeout),
        ("prod", Duration::from_secs(300))
    );
}

#[test]
fn discovery_follows_the_documented_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(matches!(
        config::discover(dir.path()),
        Err(LoadError::NoConfig { .. })
    ));
    std::fs::write(dir.path().join("ecspresso.json"), "{}").expect("write");
    std::fs::write(dir.path().join("ecspresso.yaml"), "").expect("write");
    assert_eq!(
        config::discover(dir.path()).expect("found"),
        dir.path().join("ecspresso.yaml")
    );
    std::fs::write(dir.path().join("ristretto.yml"), "").expect("write");
    assert_eq!(
        config::discover(dir.path()).expect("found"),
        dir.path().join("ristretto.yml")
    );
}

#[test]
fn extension_selects_the_format() {
    assert_eq!(Format::of(Path::new("a.yml")).expect("yaml"), Format::Yaml);
    assert_eq!(
        Format::of(Path::new("a.jsonnet")).expect("jsonnet"),
        Format::Jsonnet
    );
    assert!(matches!(
        Format::of(Path::new("a.toml")),
        Err(LoadError::UnsupportedExtension { .. })
    ));
}

#[test]
fn config_example_sets_every_key_and_loads() {
    let file = crate::common::repo().join("config.yaml.example");
    let text = std::fs::read_to_string(&file).expect("example exists");
    let (config, _) = config::parse(&text, &file, Format::Yaml, &version()).expect("example loads");
    assert!(
        config.required_version.is_some() && config.region.is_some() && config.service.is_some()
    );
    assert!(config.service_definition.is_some() && config.task_definition.is_some());
    assert!(
        !config.plugins.is_empty() && config.appspec.is_some() && !config.ignore.tags.is_empty()
    );
    assert!(
        config
            .codedeploy
            .is_some_and(|c| c.deployment_config_name.is_some())
    );
}
