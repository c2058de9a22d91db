//! How soon a tool notices that a deployment finished, and how many API
//! calls it makes meanwhile: `ristretto deploy` against `aws ecs
//! update-service` + `aws ecs wait services-stable` (AWS CLI, when one is
//! found: `$AWS_CLI`, `aws` on the PATH, or the CI virtualenv), each
//! deploying a new image to the same 2-task service on the simulator.
//!
//! "Notice" is the time between the simulator recording the deployment's
//! completion (its "deployment completed" service event, in world time
//! converted to real time) and the tool's exit. Two deployments are measured
//! (see `SCENARIOS`), on a simulator running at real speed. Prints figures;
//! asserts nothing. Run with `cargo bench -p ristretto --bench notice`
//! (`NOTICE_RUNS=N` runs per tool, default 3; `NOTICE_SCENARIO=short` or
//! `typical` for one of them; `RISTRETTO_BIN` for another binary;
//! `NOTICE_VERBOSE=1` prints when each run's polls came). It takes about 20 minutes, mostly waiting.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use ristretto_sim::{SimConfig, SimHandle, World};

/// The deployments measured: a name, the world (task start and stop delays:
/// the stop delay stands for the load balancer's deregistration delay), run
/// at real speed so that the service's clock is the wall clock, as on AWS.
const SCENARIOS: [(&str, &str); 2] = [
    (
        "short (tasks start in 30 s, stop in 2 s)",
        "clusters: [default]\ntaskStartDelaySeconds: 30\ntaskStopDelaySeconds: 2\n",
    ),
    (
        "typical (tasks start in 60 s, drain for 60 s)",
        "clusters: [default]\ntaskStartDelaySeconds: 60\ntaskStopDelaySeconds: 60\n",
    ),
];

const SPEED: f64 = 1.0;

/// Runs per tool and scenario: `NOTICE_RUNS`, default 3.
fn runs() -> usize {
    std::env::var("NOTICE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

/// Which scenarios: `NOTICE_SCENARIO=short|typical`, default both.
fn chosen(name: &str) -> bool {
    std::env::var("NOTICE_SCENARIO").map_or(true, |s| name.starts_with(&s))
}

struct Sample {
    notice: Duration,
    total: Duration,
    calls: usize,
    describe_services: usize,
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for (name, world) in SCENARIOS {
        if chosen(name) {
            println!("== {name}");
            runtime.block_on(run(world));
        }
    }
}

async fn run(world_text: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let world_file = dir.path().join("world.yaml");
    std::fs::write(&world_file, world_text).expect("world");
    let world = World::from_yaml_file(&world_file).expect("world loads");
    let config = SimConfig {
        world,
        state_file: None,
        speed: SPEED,
        request_log: None,
    };
    let sim = ristretto_sim::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("sim starts");
    let endpoint = sim.endpoint_url();
    write_example(dir.path());

    // Create the service once (not measured).
    let created = ristretto(dir.path(), &endpoint, "0")
        .status()
        .expect("ristretto runs");
    assert!(created.success(), "the first deploy creates the service");

    let mut ours = Vec::new();
    for i in 1..=runs() {
        ours.push(
            measure(&sim, &endpoint, || {
                ristretto(dir.path(), &endpoint, &i.to_string()).status()
            })
            .await,
        );
    }
    report("ristretto deploy", &ours);
    let Some(aws) = aws_cli() else {
        println!("aws cli: not found (set AWS_CLI or put `aws` on the PATH) — skipped");
        return;
    };
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(&endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "a", "b", None, None, "bench",
        ))
        .load()
        .await;
    let ecs = aws_sdk_ecs::Client::new(&sdk);
    let mut theirs = Vec::new();
    for i in 1..=runs() {
        let arn = register(&ecs, &format!("cli-{i}")).await;
        theirs.push(
            measure(&sim, &endpoint, || {
                let update = aws_cmd(&aws, &endpoint)
                    .args([
                        "ecs",
                        "update-service",
                        "--service",
                        "web",
                        "--task-definition",
                        &arn,
                    ])
                    .stdout(std::process::Stdio::null())
                    .status()?;
                if !update.success() {
                    return Ok(update);
                }
                aws_cmd(&aws, &endpoint)
                    .args(["ecs", "wait", "services-stable", "--services", "web"])
                    .status()
            })
            .await,
        );
    }
    report("aws ecs update-service + wait services-stable", &theirs);
}

async fn measure(
    sim: &SimHandle,
    endpoint: &str,
    tool: impl FnOnce() -> std::io::Result<std::process::ExitStatus>,
) -> Sample {
    let before = sim.requests().len();
    let start = Instant::now();
    let world_at_start = sim.world_time();
    // With NOTICE_VERBOSE set: when each DescribeServices came, seen by
    // sampling the request log every 20 ms while the tool runs.
    let verbose = std::env::var_os("NOTICE_VERBOSE").is_some();
    let done = std::sync::atomic::AtomicBool::new(false);
    let (status, polls) = std::thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut seen = before;
            let mut times = Vec::new();
            while verbose && !done.load(std::sync::atomic::Ordering::Relaxed) {
                let requests = sim.requests();
                for r in &requests[seen.min(requests.len())..] {
                    if r.operation == "DescribeServices" {
                        times.push(start.elapsed().as_secs_f64());
                    }
                }
                seen = requests.len();
                std::thread::sleep(Duration::from_millis(20));
            }
            times
        });
        let status = tool();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        (status, sampler.join().unwrap_or_default())
    });
    let status = status.expect("tool runs");
    let total = start.elapsed();
    let world_at_exit = sim.world_time();
    assert!(status.success(), "the deployment succeeds");
    let requests: Vec<_> = sim.requests().into_iter().skip(before).collect();
    let completed = last_completion(endpoint).await;
    let notice = Duration::from_secs_f64(((world_at_exit - completed) / SPEED).max(0.0));
    if verbose {
        let polls: Vec<String> = polls.iter().map(|t| format!("{t:.1}")).collect();
        println!(
            "  run: completed at {:.1} s, exited at {:.1} s; DescribeServices at {} s",
            (completed - world_at_start) / SPEED,
            total.as_secs_f64(),
            polls.join(", ")
        );
    }
    Sample {
        notice,
        total,
        calls: requests.len(),
        describe_services: requests
            .iter()
            .filter(|r| r.operation == "DescribeServices")
            .count(),
    }
}

/// World time (epoch seconds) of the newest "deployment completed" event.
async fn last_completion(endpoint: &str) -> f64 {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "a", "b", None, None, "bench",
        ))
        .load()
        .await;
    let out = aws_sdk_ecs::Client::new(&sdk)
        .describe_services()
        .cluster("default")
        .services("web")
        .send()
        .await
        .expect("describe");
    out.services()
        .first()
        .into_iter()
        .flat_map(|s| s.events())
        .filter(|e| {
            e.message()
                .is_some_and(|m| m.ends_with("deployment completed."))
        })
        .filter_map(|e| e.created_at().map(aws_smithy_types::DateTime::as_secs_f64))
        .fold(0.0, f64::max)
}

async fn register(ecs: &aws_sdk_ecs::Client, tag: &str) -> String {
    let container = aws_sdk_ecs::types::ContainerDefinition::builder()
        .name("app")
        .image(format!("public.ecr.aws/nginx/nginx:{tag}"))
        .essential(true)
        .build();
    ecs.register_task_definition()
        .family("web")
        .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
        .cpu("256")
        .memory("512")
        .container_definitions(container)
        .send()
        .await
        .expect("register")
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .unwrap_or_default()
        .to_owned()
}

fn report(label: &str, samples: &[Sample]) {
    let mut notice: Vec<Duration> = samples.iter().map(|s| s.notice).collect();
    notice.sort();
    let calls: usize = samples.iter().map(|s| s.calls).sum();
    let describes: usize = samples.iter().map(|s| s.describe_services).sum();
    let seconds: f64 = samples.iter().map(|s| s.total.as_secs_f64()).sum();
    println!(
        "{label}: runs {}, notice median {:.2?} (min {:.2?}, max {:.2?}), API calls per run {:.1}, DescribeServices {:.1}/min",
        samples.len(),
        notice[notice.len() / 2],
        notice[0],
        notice[notice.len() - 1],
        calls as f64 / samples.len() as f64,
        describes as f64 / seconds * 60.0,
    );
}

fn write_example(dir: &Path) {
    std::fs::write(
        dir.join("ristretto.yml"),
        "cluster: default\nservice: web\nservice_definition: sd.json\ntask_definition: td.json\n",
    )
    .expect("config");
    std::fs::write(
        dir.join("td.json"),
        r#"{"family": "web", "networkMode": "awsvpc", "cpu": "256", "memory": "512",
            "containerDefinitions": [{"name": "app", "image": "public.ecr.aws/nginx/nginx:{{ must_env `TAG` }}", "essential": true}]}"#,
    )
    .expect("td");
    std::fs::write(
        dir.join("sd.json"),
        r#"{"launchType": "FARGATE", "desiredCount": 2,
            "deploymentConfiguration": {"minimumHealthyPercent": 50, "maximumPercent": 200},
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}}"#,
    )
    .expect("sd");
}

fn ristretto(dir: &Path, endpoint: &str, tag: &str) -> Command {
    // `RISTRETTO_BIN` measures another build (e.g. a copy, while this one is rebuilt).
    let bin = std::env::var("RISTRETTO_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_ristretto").to_owned());
    let mut command = Command::new(bin);
    command
        .current_dir(dir)
        .args([
            "--endpoint-url",
            endpoint,
            "--region",
            "us-east-1",
            "deploy",
        ])
        .env("TAG", tag)
        .env("AWS_ACCESS_KEY_ID", "a")
        .env("AWS_SECRET_ACCESS_KEY", "b")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    command
}

fn aws_cmd(aws: &Path, endpoint: &str) -> Command {
    let mut command = Command::new(aws);
    command
        .args(["--endpoint-url", endpoint, "--region", "us-east-1"])
        .env("AWS_ACCESS_KEY_ID", "a")
        .env("AWS_SECRET_ACCESS_KEY", "b")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

fn aws_cli() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("AWS_CLI") {
        return Some(PathBuf::from(path));
    }
    let ci_venv = std::env::temp_dir().join("ristretto-ci-venv/bin/aws");
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("aws"))
        .find(|p| p.is_file());
    on_path.or_else(|| ci_venv.is_file().then_some(ci_venv))
}
