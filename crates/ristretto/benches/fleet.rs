//! Many services in one run on AWS's real API quotas: `ristretto deploy --config
//! 'services/*/config.yaml'` over 100 Fargate services (2 tasks each) against one simulator
//! whose world enforces AWS's ECS request token buckets (`throttlingPreset: aws`), once to
//! create them (not measured), then once more with a new image (measured).
//!
//! Prints the run's wall time, the AWS calls it made by operation, the `ThrottlingException`s
//! the simulator answered, the throttled calls ristretto retried (its `--debug` summary), the
//! lines of its output that mention throttling, its peak memory (`VmHWM`, sampled from
//! `/proc`), its exit code and how many services ended on the new image. Asserts nothing about
//! time. Run with `cargo bench --workspace --bench fleet --profile dev` (`FLEET_SERVICES=N` services,
//! default 100; `FLEET_PARALLEL=N` for `--parallel`, default ristretto's own; `RISTRETTO_BIN`
//! for another binary). Tasks start in 20 s (±30 %), so a run takes a few minutes.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use ristretto_sim::{SimConfig, SimHandle, World};

const WORLD: &str = "clusters: [default]
taskStartDelaySeconds: 20
taskStartJitter: 0.3
taskStopDelaySeconds: 2
throttlingPreset: aws
";

fn env_number(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn main() {
    let services = env_number("FLEET_SERVICES").unwrap_or(100);
    let parallel = env_number("FLEET_PARALLEL");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(run(services, parallel));
}

async fn run(services: usize, parallel: Option<usize>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let world_file = dir.path().join("world.yaml");
    std::fs::write(&world_file, WORLD).expect("world");
    let config = SimConfig {
        world: World::from_yaml_file(&world_file).expect("world loads"),
        state_file: None,
        speed: 1.0,
        request_log: None,
    };
    let sim = ristretto_sim::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("sim starts");
    let endpoint = sim.endpoint_url();
    for i in 1..=services {
        write_service(dir.path(), i);
    }
    println!(
        "== {services} services, --parallel {}, simulator with throttlingPreset: aws",
        parallel.map_or_else(|| "(default)".to_owned(), |p| p.to_string())
    );

    let created = deploy(&sim, dir.path(), &endpoint, "1", parallel);
    created.print("create (not measured)");
    // Let the buckets refill as they would between two CI runs.
    std::thread::sleep(Duration::from_secs(10));
    let measured = deploy(&sim, dir.path(), &endpoint, "2", parallel);
    measured.print("deploy of a new image");
    let on_new_image = on_image(&endpoint, services, "2").await;
    println!("services on the new image: {on_new_image} of {services}");
}

struct Run {
    wall: Duration,
    exit: Option<i32>,
    calls: BTreeMap<String, usize>,
    throttled: BTreeMap<String, usize>,
    peak_kib: u64,
    stderr: String,
}

impl Run {
    fn print(&self, label: &str) {
        let total: usize = self.calls.values().sum();
        let throttled: usize = self.throttled.values().sum();
        println!("-- {label}");
        println!("wall time: {:.1} s", self.wall.as_secs_f64());
        println!(
            "exit code: {}",
            self.exit
                .map_or_else(|| "signal".to_owned(), |c| c.to_string())
        );
        println!(
            "peak memory (VmHWM): {:.1} MiB",
            self.peak_kib as f64 / 1024.0
        );
        println!("AWS calls: {total}");
        for (operation, n) in &self.calls {
            println!("  {operation:<28} {n:>6}");
        }
        println!("ThrottlingException answered by the simulator: {throttled}");
        for (operation, n) in &self.throttled {
            println!("  {operation:<28} {n:>6}");
        }
        let debug: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.contains("client-side") || l.contains("throttled"))
            .collect();
        for line in &debug {
            println!("ristretto: {line}");
        }
        let surfaced = self
            .stderr
            .lines()
            .filter(|l| {
                !l.starts_with("debug") && (l.contains("Throttling") || l.contains("Rate exceeded"))
            })
            .count();
        println!("output lines naming throttling (without --debug lines): {surfaced}");
        let summary: Vec<&str> = self
            .stderr
            .lines()
            .rev()
            .take(6)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        println!("last lines of its output:");
        for line in summary {
            println!("  | {line}");
        }
    }
}

fn deploy(sim: &SimHandle, dir: &Path, endpoint: &str, tag: &str, parallel: Option<usize>) -> Run {
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
            "--debug",
        ])
        .args(["--config", "services/*/config.yaml"]);
    if let Some(n) = parallel {
        command.args(["--parallel", &n.to_string()]);
    }
    command
        .arg("deploy")
        .env("TAG", tag)
        .env("AWS_ACCESS_KEY_ID", "a")
        .env("AWS_SECRET_ACCESS_KEY", "b")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("CI", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let before = sim.requests().len();
    let start = Instant::now();
    let mut child = command.spawn().expect("ristretto starts");
    let pid = child.id();
    let mut stderr_pipe = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stderr_pipe.read_to_string(&mut text).ok();
        text
    });
    let mut peak_kib = 0;
    let status = loop {
        peak_kib = peak_kib.max(vm_hwm_kib(pid).unwrap_or(0));
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let wall = start.elapsed();
    let stderr = reader.join().unwrap_or_default();
    let mut calls = BTreeMap::new();
    let mut throttled = BTreeMap::new();
    for request in sim.requests().into_iter().skip(before) {
        *calls.entry(request.operation.clone()).or_default() += 1;
        if request.error.as_deref() == Some("ThrottlingException") {
            *throttled.entry(request.operation).or_default() += 1;
        }
    }
    Run {
        wall,
        exit: status.code(),
        calls,
        throttled,
        peak_kib,
        stderr,
    }
}

/// The process's peak resident set size so far, from `/proc/<pid>/status`.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// How many services run the image tagged `tag` on a completed primary deployment.
async fn on_image(endpoint: &str, services: usize, tag: &str) -> usize {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "a", "b", None, None, "bench",
        ))
        .load()
        .await;
    let ecs = aws_sdk_ecs::Client::new(&sdk);
    let names: Vec<String> = (1..=services).map(service_name).collect();
    let mut done = 0;
    for chunk in names.chunks(10) {
        let out = ecs
            .describe_services()
            .cluster("default")
            .set_services(Some(chunk.to_vec()))
            .send()
            .await
            .expect("describe");
        for service in out.services() {
            let Some(primary) = service
                .deployments()
                .iter()
                .find(|d| d.status() == Some("PRIMARY"))
            else {
                continue;
            };
            let completed = primary.rollout_state()
                == Some(&aws_sdk_ecs::types::DeploymentRolloutState::Completed);
            let Some(arn) = primary.task_definition() else {
                continue;
            };
            let image = ecs
                .describe_task_definition()
                .task_definition(arn)
                .send()
                .await
                .ok()
                .and_then(|t| t.task_definition)
                .and_then(|t| {
                    t.container_definitions
                        .unwrap_or_default()
                        .into_iter()
                        .next()
                })
                .and_then(|c| c.image);
            if completed && image.is_some_and(|i| i.ends_with(&format!(":{tag}"))) {
                done += 1;
            }
        }
    }
    done
}

fn service_name(i: usize) -> String {
    format!("svc-{i:03}")
}

fn write_service(dir: &Path, i: usize) {
    let name = service_name(i);
    let folder = dir.join("services").join(&name);
    std::fs::create_dir_all(&folder).expect("folder");
    std::fs::write(
        folder.join("config.yaml"),
        format!(
            "region: us-east-1\ncluster: default\nservice: {name}\nservice_definition: sd.json\ntask_definition: td.json\ntimeout: 20m\n"
        ),
    )
    .expect("config");
    std::fs::write(
        folder.join("td.json"),
        format!(
            r#"{{"family": "{name}", "networkMode": "awsvpc", "cpu": "256", "memory": "512", "requiresCompatibilities": ["FARGATE"],
                "containerDefinitions": [{{"name": "app", "image": "public.ecr.aws/nginx/nginx:{{{{ must_env `TAG` }}}}", "essential": true}}]}}"#
        ),
    )
    .expect("td");
    std::fs::write(
        folder.join("sd.json"),
        r#"{"launchType": "FARGATE", "desiredCount": 2,
            "deploymentConfiguration": {"minimumHealthyPercent": 100, "maximumPercent": 200},
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}}"#,
    )
    .expect("sd");
}
