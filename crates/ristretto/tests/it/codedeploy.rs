//! Blue/green deployments of a CODE_DEPLOY service through CodeDeploy,
//! against the local simulator through the real binary: `examples/codedeploy`
//! with its world (two target groups, a listener, an application and a
//! deployment group).

use std::path::Path;

use crate::common::{self, ristretto, ristretto_in_terminal, text};

/// A temp folder holding a copy of `examples/codedeploy`; `edit` changes its world file.
fn example_copy(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let world =
        std::fs::read_to_string(common::repo().join("examples/codedeploy/local-world.yaml"))
            .expect("world");
    common::example_copy("codedeploy", Some(&edit(world)))
}

const CONFIG: &str = "examples/codedeploy/config.yaml";

fn run(dir: &Path, args: &[&str], image_tag: Option<&str>) -> (Option<i32>, String) {
    run_at(dir, args, image_tag, "50")
}

/// `run` with the simulator `speed` times faster than real time.
fn run_at(
    dir: &Path,
    args: &[&str],
    image_tag: Option<&str>,
    speed: &str,
) -> (Option<i32>, String) {
    let mut command = ristretto(dir);
    command.env("RISTRETTO_LOCAL_SPEED", speed);
    command.args(["--local", "--config", CONFIG]).args(args);
    if let Some(tag) = image_tag {
        command.env("IMAGE_TAG", tag);
    }
    let out = command.output().expect("runs");
    (out.status.code(), text(&out))
}

fn created(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = example_copy(edit);
    let (code, all) = run(dir.path(), &["create"], None);
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("succeeded: service web runs web:1 in one steady PRIMARY task set"),
        "{all}"
    );
    dir
}

#[test]
fn readme_deploys_the_codedeploy_example_through_every_lifecycle_event() {
    let dir = created(|w| w);
    let (code, all) = run(dir.path(), &["deploy"], Some("1.28"));
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains(
            "registered task definition arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
        ),
        "{all}"
    );
    assert!(
        all.contains("application `web`, group `web-blue-green`"),
        "{all}"
    );
    assert!(
        all.contains(
            "console: https://us-east-1.console.aws.amazon.com/codesuite/codedeploy/deployments/d-"
        ),
        "{all}"
    );
    for event in ristretto_lifecycle_events() {
        assert!(
            all.contains(&format!("lifecycle event {event}: Succeeded")),
            "{event} missing:\n{all}"
        );
    }
    assert!(all.contains("traffic [####################] 100%"), "{all}");
    assert!(all.contains("succeeded: CodeDeploy deployment d-"), "{all}");

    // Nothing in progress any more: `wait` checks the task set, now on the new revision.
    let (code, all) = run(dir.path(), &["wait"], None);
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("succeeded: service web runs web:2 in one steady PRIMARY task set"),
        "{all}"
    );
}

/// The simulator started in the test (for its request log), and a copy of
/// `examples/codedeploy` whose world it runs.
struct Served {
    sim: ristretto_sim::SimHandle,
    dir: tempfile::TempDir,
}

impl Served {
    async fn start(edit: impl Fn(String) -> String) -> Served {
        let dir = example_copy(edit);
        let world = ristretto_sim::World::from_yaml_file(
            &dir.path().join("examples/codedeploy/local-world.yaml"),
        )
        .expect("world");
        let config = ristretto_sim::SimConfig {
            world,
            state_file: None,
            speed: 50.0,
            request_log: None,
        };
        let sim = ristretto_sim::start(config, "127.0.0.1:0".parse().expect("address"))
            .await
            .expect("simulator starts");
        Served { sim, dir }
    }

    async fn run(&self, args: &[&str], image_tag: Option<&str>) -> (Option<i32>, String) {
        let args: Vec<&str> = ["--config", CONFIG].iter().chain(args).copied().collect();
        self.run_raw(&args, image_tag).await
    }

    /// Runs ristretto with `args` only (no `--config`).
    async fn run_raw(&self, args: &[&str], image_tag: Option<&str>) -> (Option<i32>, String) {
        let mut command = ristretto(self.dir.path());
        command
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .args(["--endpoint-url", &self.sim.endpoint_url()])
            .args(args);
        if let Some(tag) = image_tag {
            command.env("IMAGE_TAG", tag);
        }
        let out = tokio::task::spawn_blocking(move || command.output().expect("runs"))
            .await
            .expect("joins");
        (out.status.code(), text(&out))
    }

    /// `service:operation` of every request so far.
    fn calls(&self) -> Vec<String> {
        self.sim
            .requests()
            .iter()
            .map(|r| format!("{}:{}", r.service, r.operation))
            .collect()
    }
}

/// The CodeDeploy calls that find the application and group: those a deploy
/// makes before `CreateDeployment`.
fn discovery_calls(calls: &[String]) -> Vec<String> {
    calls
        .iter()
        .take_while(|c| c.as_str() != "codedeploy:CreateDeployment")
        .filter(|c| c.starts_with("codedeploy:"))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_after_a_first_deployment_takes_two_calls_among_many_applications() {
    // 250 other ECS applications, and the service's own named after neither
    // the service nor the cluster, listed last.
    let others: String = (0..250)
        .map(|i| format!("    - {{applicationName: billing-{i:03}, computePlatform: ECS}}\n"))
        .collect();
    let served = Served::start(|w| {
        w.replace(
            "    - {applicationName: web, computePlatform: ECS}\n",
            &format!("{others}    - {{applicationName: platform-bg, computePlatform: ECS}}\n"),
        )
        .replace(
            "- applicationName: web\n",
            "- applicationName: platform-bg\n",
        )
        .replace(
            "terminationWaitTimeInMinutes: 1",
            "terminationWaitTimeInMinutes: 0",
        )
    })
    .await;
    let (code, all) = served.run(&["create"], None).await;
    assert_eq!(code, Some(0), "{all}");

    // The first task set came with the service: no deployment ID, so the
    // applications are searched.
    let before = served.calls().len();
    let (code, all) = served.run(&["deploy"], Some("1.28")).await;
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("application `platform-bg`, group `web-blue-green`"),
        "{all}"
    );
    let first = discovery_calls(&served.calls()[before..]);
    assert!(
        first.contains(&"codedeploy:ListApplications".to_owned()),
        "{first:?}"
    );

    // Now the PRIMARY task set names the deployment that made it.
    let before = served.calls().len();
    let (code, all) = served.run(&["deploy"], Some("1.29")).await;
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("application `platform-bg`, group `web-blue-green`"),
        "{all}"
    );
    let second = discovery_calls(&served.calls()[before..]);
    // The bound of the issue: applications / 100 + groups / 100 + 2 (rounded up).
    let (applications, groups): (usize, usize) = (251, 1);
    let bound = applications.div_ceil(100) + groups.div_ceil(100) + 2;
    assert!(second.len() <= bound, "{second:?}");
    // Then one ListDeployments: no deployment (a rollback maybe) holds the group, checked
    // before anything is registered.
    assert_eq!(
        second,
        [
            "codedeploy:GetDeployment",
            "codedeploy:GetDeploymentGroup",
            "codedeploy:ListDeployments"
        ],
        "{all}"
    );

    // `wait` and `rollback` find it the same way.
    let before = served.calls().len();
    let (code, all) = served.run(&["wait"], None).await;
    assert_eq!(code, Some(0), "{all}");
    let waited: Vec<_> = served.calls()[before..]
        .iter()
        .filter(|c| c.starts_with("codedeploy:List") || c.starts_with("codedeploy:Batch"))
        .cloned()
        .collect();
    assert_eq!(waited, ["codedeploy:ListDeployments"], "{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_writes_the_codedeploy_application_and_group_it_finds() {
    let served = Served::start(|w| {
        w.replace(
            "terminationWaitTimeInMinutes: 1",
            "terminationWaitTimeInMinutes: 0",
        )
    })
    .await;
    let (code, all) = served.run(&["create"], None).await;
    assert_eq!(code, Some(0), "{all}");
    let served = &served;
    let init = |config: &'static str| async move {
        served
            .run_raw(
                &[
                    "--region",
                    "us-east-1",
                    "--config",
                    config,
                    "init",
                    "--service",
                    "web",
                ],
                None,
            )
            .await
    };
    let names = "codedeploy:\n  application_name: web\n  deployment_group_name: web-blue-green\n";

    // A fresh service: found by searching the applications.
    let (code, all) = init("fresh/ristretto.yml").await;
    assert_eq!(code, Some(0), "{all}");
    let written = std::fs::read_to_string(served.dir.path().join("fresh/ristretto.yml"))
        .expect("config written");
    assert!(written.contains(names), "{written}");

    // After a CodeDeploy deployment: found from its task set, in two calls.
    let (code, all) = served.run(&["deploy"], Some("1.28")).await;
    assert_eq!(code, Some(0), "{all}");
    let before = served.calls().len();
    let (code, all) = init("deployed/ristretto.yml").await;
    assert_eq!(code, Some(0), "{all}");
    let written = std::fs::read_to_string(served.dir.path().join("deployed/ristretto.yml"))
        .expect("config written");
    assert!(written.contains(names), "{written}");
    let codedeploy: Vec<_> = served.calls()[before..]
        .iter()
        .filter(|c| c.starts_with("codedeploy:"))
        .cloned()
        .collect();
    assert_eq!(
        codedeploy,
        ["codedeploy:GetDeployment", "codedeploy:GetDeploymentGroup"]
    );
}

fn count(calls: &[String], call: &str) -> usize {
    calls.iter().filter(|c| c.as_str() == call).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_changes_only_the_desired_count_and_refresh_redeploys_the_running_revision() {
    let served = Served::start(|w| {
        let w = w.replace(
            "terminationWaitTimeInMinutes: 1",
            "terminationWaitTimeInMinutes: 0",
        );
        format!(
            "{w}scalableTargets:\n  - {{resourceId: service/default/web, minCapacity: 1, maxCapacity: 4}}\n"
        )
    })
    .await;
    let (code, all) = served.run(&["create"], None).await;
    assert_eq!(code, Some(0), "{all}");

    // scale: one UpdateService, no CodeDeploy at all, then the task set is
    // steady at 3; the auto scaling flag is applied first.
    let before = served.calls().len();
    let (code, all) = served
        .run(&["scale", "--tasks", "3", "--suspend-auto-scaling"], None)
        .await;
    assert_eq!(code, Some(0), "{all}");
    let calls = served.calls()[before..].to_vec();
    assert_eq!(count(&calls, "ecs:UpdateService"), 1, "{calls:?}");
    let suspended = calls
        .iter()
        .position(|c| c == "application-autoscaling:RegisterScalableTarget");
    let updated = calls.iter().position(|c| c == "ecs:UpdateService");
    assert!(suspended.is_some() && suspended < updated, "{calls:?}");
    assert!(
        !calls.iter().any(|c| c.starts_with("codedeploy:")),
        "{calls:?}"
    );
    assert_eq!(count(&calls, "ecs:RegisterTaskDefinition"), 0, "{calls:?}");
    assert!(all.contains("no new deployment"), "{all}");
    assert!(
        all.contains("succeeded: service web runs web:1 in one steady PRIMARY task set"),
        "{all}"
    );
    let (_, status) = served.run(&["status"], None).await;
    assert!(
        stdout_of(&status).contains("PRIMARY web:1 desired:3 pending:0 running:3 STEADY_STATE"),
        "{status}"
    );

    // --no-wait returns at once.
    let (code, all) = served
        .run(&["scale", "--tasks", "2", "--no-wait"], None)
        .await;
    assert_eq!(code, Some(0), "{all}");
    assert!(!all.contains("succeeded:"), "{all}");

    // refresh: one CodeDeploy deployment of the revision the service runs, followed to its end.
    let before = served.calls().len();
    let (code, all) = served.run(&["refresh"], None).await;
    assert_eq!(code, Some(0), "{all}");
    let calls = served.calls()[before..].to_vec();
    assert_eq!(count(&calls, "codedeploy:CreateDeployment"), 1, "{calls:?}");
    assert_eq!(count(&calls, "ecs:RegisterTaskDefinition"), 0, "{calls:?}");
    assert_eq!(count(&calls, "ecs:UpdateService"), 0, "{calls:?}");
    assert!(all.contains("lifecycle event Install: Succeeded"), "{all}");
    assert!(all.contains("succeeded: CodeDeploy deployment d-"), "{all}");
    let (_, status) = served.run(&["status"], None).await;
    let status = stdout_of(&status).to_owned();
    assert!(status.contains("TaskDefinition: web:1"), "{status}");
    assert!(status.contains("PRIMARY web:1 desired:2"), "{status}");
}

/// `run` with extra environment variables.
fn run_with_env(
    dir: &Path,
    args: &[&str],
    image_tag: Option<&str>,
    env: &[(&str, &str)],
) -> (Option<i32>, String) {
    let mut command = ristretto(dir);
    command.args(["--local", "--config", CONFIG]).args(args);
    if let Some(tag) = image_tag {
        command.env("IMAGE_TAG", tag);
    }
    command.envs(env.iter().copied());
    let out = command.output().expect("runs");
    (out.status.code(), text(&out))
}

#[test]
fn open_starts_no_browser_without_a_terminal_or_in_ci_and_says_why() {
    let dir = created(|w| w);
    let opened = dir.path().join("opened.txt");
    let browser = recording_browser(dir.path(), &opened);

    // Here stderr is a pipe, as in CI logs.
    let (code, all) = run_with_env(
        dir.path(),
        &["deploy", "--open"],
        Some("1.28"),
        &[("BROWSER", &browser)],
    );
    assert_eq!(code, Some(0), "{all}");
    assert!(
        stderr_of(&all).contains("not opening the console in a browser: stderr is not a terminal"),
        "{all}"
    );

    // `CI` set: never, and that is the reason given.
    let (code, all) = run_with_env(
        dir.path(),
        &["refresh", "--open"],
        None,
        &[("BROWSER", &browser), ("CI", "true")],
    );
    assert_eq!(code, Some(0), "{all}");
    assert!(
        stderr_of(&all).contains("not opening the console in a browser: `CI` is set"),
        "{all}"
    );
    let (code, all) = run_with_env(
        dir.path(),
        &["rollback", "--open", "--no-deregister-task-definition"],
        None,
        &[("BROWSER", &browser), ("CI", "1")],
    );
    assert_eq!(code, Some(0), "{all}");
    assert!(
        stderr_of(&all).contains("not opening the console in a browser: `CI` is set"),
        "{all}"
    );

    // Without `--open`, not a word about it.
    let (code, all) = run_with_env(dir.path(), &["refresh"], None, &[("BROWSER", &browser)]);
    assert_eq!(code, Some(0), "{all}");
    assert!(!all.contains("browser"), "{all}");
    assert!(!opened.exists(), "a browser was started");
}

/// A "browser" for `BROWSER` that appends what it is asked to open to `opened`.
fn recording_browser(dir: &Path, opened: &Path) -> String {
    let browser = dir.join("record-url");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\necho \"$1\" >> '{}'\n", opened.display()),
    )
    .expect("script");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    browser.to_string_lossy().into_owned()
}

#[cfg(unix)]
#[test]
fn on_a_terminal_open_starts_the_browser_with_the_console_url() {
    let dir = created(|w| w);
    let opened = dir.path().join("opened.txt");
    let browser = recording_browser(dir.path(), &opened);
    let run = ristretto_in_terminal(
        dir.path(),
        &["--local", "--config", CONFIG, "deploy", "--open"],
        &[("BROWSER", &browser), ("IMAGE_TAG", "1.28")],
        200,
    );
    assert_eq!(run.exit, 0, "{}", run.output);
    assert!(
        run.output.contains("opened the console in a browser"),
        "{}",
        run.output
    );
    // The browser runs in the background: give it a moment to write.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !opened.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let urls = std::fs::read_to_string(&opened).expect("the browser was started");
    let url = urls.trim();
    assert!(
        url.starts_with(
            "https://us-east-1.console.aws.amazon.com/codesuite/codedeploy/deployments/d-"
        ) && url.ends_with("?region=us-east-1"),
        "{url}"
    );
    assert!(run.output.contains(url), "the printed URL: {}", run.output);

    // On a terminal too, `CI` means no browser.
    std::fs::remove_file(&opened).expect("rm");
    let run = ristretto_in_terminal(
        dir.path(),
        &["--local", "--config", CONFIG, "refresh", "--open"],
        &[("BROWSER", &browser), ("CI", "true")],
        200,
    );
    assert_eq!(run.exit, 0, "{}", run.output);
    assert!(
        run.output
            .contains("not opening the console in a browser: `CI` is set"),
        "{}",
        run.output
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(!opened.exists(), "a browser was started in CI");
}

fn ristretto_lifecycle_events() -> [&'static str; 8] {
    [
        "BeforeInstall",
        "Install",
        "AfterInstall",
        "AllowTestTraffic",
        "AfterAllowTestTraffic",
        "BeforeAllowTraffic",
        "AllowTraffic",
        "AfterAllowTraffic",
    ]
}

#[test]
fn failed_deployment_exits_1_naming_the_lifecycle_event_and_rolls_back() {
    // Install waits for the replacement task set (an hour by default): a minute here.
    let dir = created(|w| w.replace("codeDeploy:\n", "codeDeploy:\n  installTimeoutMinutes: 1\n"));
    let (code, all) = run(
        dir.path(),
        &["deploy", "--rollback-events", "DEPLOYMENT_FAILURE"],
        Some("broken"),
    );
    assert_eq!(code, Some(1), "{all}");
    assert!(all.contains("lifecycle event Install: Failed"), "{all}");
    assert!(
        all.contains("error: CodeDeploy deployment d-")
            && all.contains("Failed at lifecycle event `Install`"),
        "{all}"
    );
    // The green task set's tasks say why: the world's failure rule for `broken` images.
    let stderr = stderr_of(&all);
    assert!(
        stderr.contains("stopped task ") && stderr.contains(": Essential container in task exited"),
        "{all}"
    );
    assert!(stderr.contains("  container app: exit code 1"), "{all}");
    assert!(
        all.contains("rollback deployment d-")
            && all.contains(" succeeded: the service is back on the previous revision (web:1)"),
        "{all}"
    );

    let (code, all) = run(dir.path(), &["wait"], None);
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("succeeded: service web runs web:1 in one steady PRIMARY task set"),
        "{all}"
    );
}

/// The part of `text(..)` that the command wrote to stderr.
fn stderr_of(all: &str) -> &str {
    all.split_once("\nstderr:\n").map_or("", |(_, e)| e)
}

/// The part of `text(..)` that the command wrote to stdout.
fn stdout_of(all: &str) -> &str {
    all.split_once("\nstdout:\n")
        .and_then(|(_, rest)| rest.split_once("\nstderr:\n"))
        .map_or("", |(o, _)| o)
}

#[test]
fn failing_hook_exits_1_naming_event_and_function_and_rolls_back() {
    // The example's AppSpec hooks `web-smoke-test` on AfterAllowTestTraffic; the world fails it.
    let dir = created(|w| {
        format!(
            "{w}hookFailures:\n  - {{function: \"*:function:web-smoke-test\", event: AfterAllowTestTraffic}}\n"
        )
    });
    let (code, all) = run(
        dir.path(),
        &["deploy", "--rollback-events", "DEPLOYMENT_FAILURE"],
        Some("1.28"),
    );
    assert_eq!(code, Some(1), "{all}");
    let stderr = stderr_of(&all);
    assert!(
        stderr.contains("lifecycle event AllowTestTraffic: Succeeded"),
        "{all}"
    );
    assert!(
        stderr.contains("lifecycle event AfterAllowTestTraffic: Failed"),
        "{all}"
    );
    assert!(
        stderr.contains(
            "Failed at lifecycle event `AfterAllowTestTraffic` (hook `arn:aws:lambda:us-east-1:123456789012:function:web-smoke-test`): HOOK_EXECUTION_FAILURE"
        ),
        "{all}"
    );
    assert!(
        stderr.contains("lifecycle event: The Lambda function arn:aws:lambda:us-east-1:123456789012:function:web-smoke-test reported Failed"),
        "{all}"
    );
    assert!(stderr.contains("following rollback deployment d-"), "{all}");
    assert!(
        !stderr.contains("lifecycle event AllowTraffic: Succeeded"),
        "{all}"
    );

    // The service is still on the old revision.
    let (code, all) = run(dir.path(), &["status"], None);
    assert_eq!(code, Some(0), "{all}");
    let stdout = stdout_of(&all);
    assert!(stdout.contains("TaskDefinition: web:1"), "{all}");
    assert!(stdout.contains("PRIMARY web:1"), "{all}");
    assert!(!stdout.contains("PRIMARY web:2"), "{all}");
}

#[test]
fn wait_until_after_allow_test_traffic_returns_on_blue_then_wait_finishes() {
    // Hooks after the test traffic keep production traffic on blue for a
    // while (5 world seconds each); a slower world makes that a few real seconds.
    let dir = created(|w| {
        w.replace(
            "terminationWaitTimeInMinutes: 1",
            "terminationWaitTimeInMinutes: 0",
        )
    });
    let config = dir.path().join(CONFIG);
    let text = std::fs::read_to_string(&config).expect("config");
    let hooks = "    - BeforeAllowTraffic: arn:aws:lambda:us-east-1:123456789012:function:check\n    - AfterAllowTraffic: arn:aws:lambda:us-east-1:123456789012:function:check\n";
    std::fs::write(&config, format!("{text}{hooks}")).expect("config");

    let (code, all) = run_at(
        dir.path(),
        &["deploy", "--wait-until", "codedeploy:AfterAllowTestTraffic"],
        Some("1.28"),
        "2",
    );
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("lifecycle event AfterAllowTestTraffic: Succeeded"),
        "{all}"
    );
    assert!(
        all.contains("succeeded: lifecycle event AfterAllowTestTraffic of deployment d-"),
        "{all}"
    );
    // Production traffic is still on blue.
    assert!(
        !all.contains("lifecycle event AllowTraffic: Succeeded"),
        "{all}"
    );
    assert!(!all.contains("task set GREEN PRIMARY"), "{all}");
    assert!(all.contains("task set BLUE PRIMARY"), "{all}");

    let (code, all) = run_at(dir.path(), &["wait"], None, "2");
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("following CodeDeploy deployment d-"), "{all}");
    assert!(
        all.contains("lifecycle event AllowTraffic: Succeeded"),
        "{all}"
    );
    assert!(all.contains("succeeded: CodeDeploy deployment d-"), "{all}");
    let (code, all) = run(dir.path(), &["wait"], None);
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("runs web:2 in one steady PRIMARY task set"),
        "{all}"
    );
}

#[test]
fn wait_until_an_unknown_lifecycle_event_is_bad_input() {
    let dir = example_copy(|w| w);
    let (code, all) = run(
        dir.path(),
        &["deploy", "--wait-until", "codedeploy:AfterTests"],
        None,
    );
    assert_eq!(code, Some(2), "{all}");
    assert!(
        all.contains("unknown lifecycle event `AfterTests`"),
        "{all}"
    );
}

#[test]
fn deploy_without_a_matching_group_names_the_config_keys() {
    let dir = created(|w| w.replace("serviceName: web}", "serviceName: api}"));
    let (code, all) = run(dir.path(), &["deploy"], Some("1.28"));
    assert_eq!(code, Some(1), "{all}");
    assert!(
        all.contains("no CodeDeploy deployment group deploys service `web` in cluster `default`"),
        "{all}"
    );
    assert!(all.contains("codedeploy: {application_name"), "{all}");
    // Nothing changed: no revision was registered.
    assert!(!all.contains("registered task definition"), "{all}");
}

#[test]
fn rollback_during_a_deployment_stops_it_and_ends_on_the_old_revision() {
    let dir = created(|w| {
        w.replace(
            "terminationWaitTimeInMinutes: 1",
            "terminationWaitTimeInMinutes: 5",
        )
    });
    let (code, all) = run(dir.path(), &["deploy", "--no-wait"], Some("1.28"));
    assert_eq!(code, Some(0), "{all}");
    let (code, all) = run(dir.path(), &["rollback"], None);
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("stopping CodeDeploy deployment d-") && all.contains("with rollback"),
        "{all}"
    );
    // CodeDeploy rolls back in a deployment of its own, followed to its end.
    assert!(all.contains("following rollback deployment d-"), "{all}");
    assert!(all.contains("succeeded: CodeDeploy deployment d-"), "{all}");
    assert!(
        all.contains("deregistered the rolled-back task definition web:2"),
        "{all}"
    );
    let (code, all) = run(dir.path(), &["wait"], None);
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("succeeded: service web runs web:1 in one steady PRIMARY task set"),
        "{all}"
    );
}

#[test]
fn rollback_without_a_deployment_deploys_the_previous_revision() {
    let dir = created(|w| w);
    let (code, all) = run(dir.path(), &["deploy"], Some("1.28"));
    assert_eq!(code, Some(0), "{all}");
    let (code, all) = run(
        dir.path(),
        &["rollback", "--no-deregister-task-definition"],
        None,
    );
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("deploying web:1 in place of web:2"), "{all}");
    assert!(all.contains("succeeded: CodeDeploy deployment d-"), "{all}");
    let (code, all) = run(dir.path(), &["wait"], None);
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("runs web:1 in one steady PRIMARY task set"),
        "{all}"
    );
}

#[test]
fn no_progress_timeout_gives_up_on_a_hook_that_never_reports() {
    let dir = created(|w| {
        format!(
            "{w}hookFailures:\n  - {{function: \"*:function:web-smoke-test\", event: AfterAllowTestTraffic, timedOut: true}}\n"
        )
    });
    let (code, all) = run(
        dir.path(),
        &["deploy", "--no-progress-timeout", "3s"],
        Some("1.28"),
    );
    assert_eq!(code, Some(4), "{all}");
    assert!(
        all.contains("no progress for 3s") && all.contains("still in progress"),
        "{all}"
    );
    assert!(
        all.contains("--no-progress-timeout"),
        "the hint names the flag: {all}"
    );
}

#[cfg(unix)]
#[test]
fn on_a_terminal_deploy_shows_lifecycle_events_and_the_traffic_bar() {
    let dir = created(|w| w);
    let run = ristretto_in_terminal(
        dir.path(),
        &["--local", "--config", CONFIG, "deploy"],
        &[("IMAGE_TAG", "1.28"), ("NO_COLOR", "1")],
        200,
    );
    let out = &run.output;
    assert_eq!(run.exit, 0, "{out}");
    assert!(
        out.contains("✓ BeforeInstall ✓ Install"),
        "lifecycle line: {out:?}"
    );
    assert!(
        out.contains("traffic blue [░"),
        "traffic bar, all on green at the end: {out:?}"
    );
    assert!(out.contains("] green 100%"), "{out:?}");
    assert!(out.contains("succeeded: CodeDeploy deployment d-"), "{out}");
}
