//! One shape on its own simulator: the service is created once (not measured), then ristretto
//! and the AWS CLI deploy a new image in turn (ristretto, AWS CLI, ristretto, …), each run
//! measured against the simulator's own record of when the deployment ended.

use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use ristretto_sim::{SimConfig, SimHandle, World};

use super::shapes::{CODEDEPLOY_APPLICATION, CODEDEPLOY_GROUP, Kind, Shape};
use super::tools::{aws, aws_wait, ristretto, ristretto_deploy};

/// One deployment by one tool.
pub struct Sample {
    /// The tool exited 0 and the simulator recorded the deployment's end.
    pub ok: bool,
    /// Seconds from the tool's start to the deployment's end (world time = real time here).
    pub ended: f64,
    /// Seconds from the deployment's end to the tool's exit.
    pub notice: f64,
    /// Seconds the tool ran.
    pub run_time: f64,
    /// Read requests (the request log's `mutating: false`) the tool made.
    pub reads: usize,
    /// Every request the tool made.
    pub calls: usize,
}

/// What one shape measured.
pub struct Outcome {
    pub ours: Vec<Sample>,
    pub theirs: Vec<Sample>,
}

/// Who deploys.
#[derive(Clone, Copy)]
enum Tool {
    Ristretto,
    AwsCli,
}

impl Tool {
    fn label(self) -> &'static str {
        match self {
            Tool::Ristretto => "ristretto",
            Tool::AwsCli => "aws cli",
        }
    }
}

/// Everything a run of one shape needs.
struct Bench<'a> {
    shape: &'a Shape,
    runtime: tokio::runtime::Runtime,
    sim: SimHandle,
    endpoint: String,
    dir: &'a Path,
    ecs: aws_sdk_ecs::Client,
    codedeploy: aws_sdk_codedeploy::Client,
    verbose: bool,
}

/// Measures `runs` deployments of each tool on `shape` (the AWS CLI's only when `cli` is given).
/// Panics when the set-up fails (the simulator does not start, the service is not created).
pub fn run_shape(shape: &Shape, runs: usize, cli: Option<&Path>, verbose: bool) -> Outcome {
    // The simulator's own tasks run on this runtime's workers; this thread starts the tools
    // and waits for them, and enters the runtime only for the benchmark's own SDK reads.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write(dir, "world.yaml", &shape.world);
    write(dir, "td.json", &shape.task_definition);
    write(dir, "sd.json", &shape.service_definition);
    write(
        dir,
        "ristretto.yml",
        "cluster: default\nservice: web\nservice_definition: sd.json\ntask_definition: td.json\ntimeout: 40m\n",
    );
    let world = World::from_yaml_file(&dir.join("world.yaml")).expect("the world loads");
    let config = SimConfig {
        world,
        state_file: None,
        speed: 1.0,
        request_log: None,
    };
    let sim = runtime
        .block_on(ristretto_sim::start(
            config,
            "127.0.0.1:0".parse().expect("addr"),
        ))
        .expect("the simulator starts");
    let endpoint = sim.endpoint_url();
    let sdk = runtime.block_on(
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "a", "b", None, None, "bench",
            ))
            .load(),
    );
    let bench = Bench {
        shape,
        ecs: aws_sdk_ecs::Client::new(&sdk),
        codedeploy: aws_sdk_codedeploy::Client::new(&sdk),
        runtime,
        sim,
        endpoint,
        dir,
        verbose,
    };
    // The service is created by a first deploy, not measured.
    assert!(
        ristretto_deploy(dir, &bench.endpoint, "0"),
        "[{}] the first deploy creates the service",
        shape.name
    );
    let mut outcome = Outcome {
        ours: Vec::new(),
        theirs: Vec::new(),
    };
    for i in 1..=runs {
        let tag = format!("r{i}");
        let sample = bench.measure(Tool::Ristretto, i, runs, || {
            ristretto_deploy(dir, &bench.endpoint, &tag)
        });
        outcome.ours.push(sample);
        if let Some(cli) = cli {
            let sample = bench.cli_run(cli, i, runs);
            outcome.theirs.push(sample);
        }
    }
    let Bench { runtime, sim, .. } = bench;
    let _ = runtime.block_on(sim.shutdown());
    outcome
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("a file of the shape is written");
}

impl Bench<'_> {
    /// One AWS CLI deployment of a new revision registered beforehand (not measured).
    fn cli_run(&self, cli: &Path, i: usize, runs: usize) -> Sample {
        let (dir, endpoint) = (self.dir, self.endpoint.as_str());
        let registered = ristretto(dir, endpoint, &["register"])
            .env("TAG", format!("c{i}"))
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            registered,
            "[{}] the revision is registered",
            self.shape.name
        );
        let arn = self.latest_revision();
        match self.shape.kind {
            Kind::Rolling | Kind::BlueGreen => self.measure(Tool::AwsCli, i, runs, || {
                let service = [
                    "--cluster",
                    "default",
                    "--service",
                    "web",
                    "--task-definition",
                    &arn,
                ];
                aws(
                    cli,
                    dir,
                    endpoint,
                    &[&["ecs", "update-service"], &service[..]].concat(),
                )
                .status()
                .is_ok_and(|s| s.success())
                    && aws_wait(
                        cli,
                        dir,
                        endpoint,
                        &[
                            "ecs",
                            "wait",
                            "services-stable",
                            "--cluster",
                            "default",
                            "--services",
                            "web",
                        ],
                    )
            }),
            Kind::CodeDeploy => {
                // The AppSpec CodeDeploy's ECS docs show ("AppSpec 'resources' section (Amazon
                // ECS deployments)"), as an AppSpecContent revision.
                let appspec = serde_json::json!({
                    "version": 0.0,
                    "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {
                        "TaskDefinition": arn,
                        "LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 80}}}}],
                });
                let revision = serde_json::json!({
                    "revisionType": "AppSpecContent",
                    "appSpecContent": {"content": appspec.to_string()},
                })
                .to_string();
                self.measure(Tool::AwsCli, i, runs, || {
                    let created = aws(
                        cli,
                        dir,
                        endpoint,
                        &[
                            "deploy",
                            "create-deployment",
                            "--application-name",
                            CODEDEPLOY_APPLICATION,
                            "--deployment-group-name",
                            CODEDEPLOY_GROUP,
                            "--revision",
                            &revision,
                            "--query",
                            "deploymentId",
                            "--output",
                            "text",
                        ],
                    )
                    .stdout(Stdio::piped())
                    .output();
                    let Ok(created) = created.map(|o| o.stdout) else {
                        return false;
                    };
                    let id = String::from_utf8_lossy(&created).trim().to_owned();
                    !id.is_empty()
                        && aws_wait(
                            cli,
                            dir,
                            endpoint,
                            &[
                                "deploy",
                                "wait",
                                "deployment-successful",
                                "--deployment-id",
                                &id,
                            ],
                        )
                })
            }
        }
    }

    /// The newest ACTIVE revision of family `web`.
    fn latest_revision(&self) -> String {
        self.runtime
            .block_on(
                self.ecs
                    .describe_task_definition()
                    .task_definition("web")
                    .send(),
            )
            .expect("describe task definition")
            .task_definition()
            .and_then(|t| t.task_definition_arn())
            .expect("a registered revision")
            .to_owned()
    }

    /// Runs `deploy` (one tool's deployment) and measures it.
    fn measure(&self, tool: Tool, i: usize, runs: usize, deploy: impl FnOnce() -> bool) -> Sample {
        let before = self.sim.requests().len();
        let start = Instant::now();
        let world_at_start = self.sim.world_time();
        // With NOTICE_VERBOSE: when each read came, seen by sampling the request log every
        // 20 ms while the tool runs.
        let done = AtomicBool::new(false);
        let (succeeded, reads_at) = std::thread::scope(|scope| {
            let sampler = scope.spawn(|| {
                let mut seen = before;
                let mut times = Vec::new();
                if !self.verbose {
                    return times;
                }
                loop {
                    // One more look once the tool has exited, for its last reads.
                    let exited = done.load(Ordering::Relaxed);
                    let requests = self.sim.requests();
                    for r in requests.iter().skip(seen).filter(|r| !r.mutating) {
                        times.push((start.elapsed().as_secs_f64(), r.operation.clone()));
                    }
                    seen = requests.len();
                    if exited {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                times
            });
            let succeeded = deploy();
            done.store(true, Ordering::Relaxed);
            (succeeded, sampler.join().unwrap_or_default())
        });
        let world_at_exit = self.sim.world_time();
        let run_time = start.elapsed().as_secs_f64();
        // The tool's requests: those that came between its start and its exit (the
        // benchmark's own reads come after, and the tools run one at a time).
        let requests: Vec<_> = self.sim.requests().into_iter().skip(before).collect();
        let end = self.runtime.block_on(self.ended_at());
        // The end must be this run's: at or after its start.
        let end = end.filter(|e| *e >= world_at_start - 0.001);
        let sample = Sample {
            ok: succeeded && end.is_some(),
            ended: end.map_or(0.0, |e| e - world_at_start),
            notice: end.map_or(0.0, |e| (world_at_exit - e).max(0.0)),
            run_time,
            reads: requests.iter().filter(|r| !r.mutating).count(),
            calls: requests.len(),
        };
        let what = if sample.ok {
            format!(
                "ended after {:.1} s, noticed {:.2} s later",
                sample.ended, sample.notice
            )
        } else if succeeded {
            "exited 0 but the simulator recorded no end".to_owned()
        } else {
            "FAILED".to_owned()
        };
        println!(
            "[{}] {} {i}/{runs}: {what}; {} reads, {} calls in {run_time:.1} s",
            self.shape.name,
            tool.label(),
            sample.reads,
            sample.calls
        );
        if self.verbose {
            let described: Vec<String> = reads_at
                .iter()
                .map(|(t, op)| {
                    // The last look comes just after the exit.
                    let t = t.min(run_time);
                    if op == "DescribeServices" {
                        format!("{t:.1}")
                    } else {
                        format!("{t:.1} ({op})")
                    }
                })
                .collect();
            println!(
                "[{}] {} {i}/{runs}: ended at {:.1} s, exited at {run_time:.1} s; reads (DescribeServices unless named) at {} s",
                self.shape.name,
                tool.label(),
                sample.ended,
                described.join(", ")
            );
        }
        sample
    }

    /// World time (epoch seconds) at which the newest deployment ended, as the simulator
    /// recorded it: the first moment at which a read could have shown it.
    async fn ended_at(&self) -> Option<f64> {
        match self.shape.kind {
            Kind::Rolling | Kind::BlueGreen => self.ecs_ended_at().await,
            Kind::CodeDeploy => self.codedeploy_ended_at().await,
        }
    }

    /// The newest "(service web) (deployment …) deployment completed." event. The simulator
    /// writes it in the same step that turns the PRIMARY deployment's `rolloutState` COMPLETED,
    /// drops the last older deployment (what `services-stable` waits for: one deployment,
    /// running = desired) and, for BLUE_GREEN, sets the service deployment's `finishedAt`
    /// (scheduler/completion.rs): before that moment every read says the deployment is in
    /// progress, from it on a DescribeServices says it is over. The simulator steps to each
    /// event's exact time (state.rs `advance`), not to the next request's.
    async fn ecs_ended_at(&self) -> Option<f64> {
        let out = self
            .ecs
            .describe_services()
            .cluster("default")
            .services("web")
            .send()
            .await
            .ok()?;
        out.services()
            .first()
            .into_iter()
            .flat_map(|s| s.events())
            .filter(|e| {
                e.message()
                    .is_some_and(|m| m.ends_with("deployment completed."))
            })
            .filter_map(|e| e.created_at().map(aws_smithy_types::DateTime::as_secs_f64))
            .reduce(f64::max)
    }

    /// The newest `completeTime` of a Succeeded deployment of the group: the simulator sets it
    /// when the deployment's status becomes Succeeded (codedeploy/lifecycle.rs `finish`), the
    /// first moment GetDeployment can say so (API_DeploymentInfo, `completeTime`: "A timestamp
    /// that indicates when the deployment was complete").
    async fn codedeploy_ended_at(&self) -> Option<f64> {
        let ids = self
            .codedeploy
            .list_deployments()
            .application_name(CODEDEPLOY_APPLICATION)
            .deployment_group_name(CODEDEPLOY_GROUP)
            .send()
            .await
            .ok()?
            .deployments()
            .to_vec();
        if ids.is_empty() {
            return None;
        }
        let out = self
            .codedeploy
            .batch_get_deployments()
            .set_deployment_ids(Some(ids))
            .send()
            .await
            .ok()?;
        out.deployments_info()
            .iter()
            .filter(|d| d.status() == Some(&aws_sdk_codedeploy::types::DeploymentStatus::Succeeded))
            .filter_map(|d| {
                d.complete_time()
                    .map(aws_smithy_types::DateTime::as_secs_f64)
            })
            .reduce(f64::max)
    }
}
