//! Throughput and latency of DescribeServices against a simulator holding 100 services of 10
//! running tasks each, through the real SDK over loopback. Prints figures; asserts nothing.
//!
//! `cargo bench -p ristretto-sim`
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_ecs::types::ContainerDefinition;
use ristretto_sim::{SimConfig, World};

const SERVICES: usize = 100;
const TASKS: i32 = 10;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(label: &str, mut latencies: Vec<Duration>, wall: Duration) {
    latencies.sort();
    println!(
        "{label:<34} {:>6} req  {:>8.0} req/s  p50 {:>7.3} ms  p99 {:>7.3} ms",
        latencies.len(),
        latencies.len() as f64 / wall.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
    );
}

async fn calls(ecs: aws_sdk_ecs::Client, n: usize, offset: usize) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(n);
    for i in 0..n {
        let first = ((i + offset) * 10) % SERVICES;
        let names: Vec<String> = (first..first + 10).map(|s| format!("svc-{s:03}")).collect();
        let start = Instant::now();
        let out = ecs
            .describe_services()
            .set_services(Some(names))
            .send()
            .await
            .unwrap();
        latencies.push(start.elapsed());
        assert_eq!(out.services().len(), 10);
    }
    latencies
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let config = SimConfig {
            world: World::from_yaml_str("clusters: [default]\ntaskStartDelaySeconds: 5\n").unwrap(),
            state_file: None,
            speed: 1.0,
            request_log: None,
        };
        let sim = ristretto_sim::start(config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "t", "t", None, None, "static",
            )))
            .endpoint_url(sim.endpoint_url())
            .build();
        let ecs = aws_sdk_ecs::Client::new(&sdk);
        ecs.register_task_definition()
            .family("bench")
            .container_definitions(
                ContainerDefinition::builder()
                    .name("app")
                    .image("app:1")
                    // Without task-level memory, AWS requires container memory
                    // (API_ContainerDefinition, `memory`).
                    .memory(128)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let setup = Instant::now();
        for s in 0..SERVICES {
            ecs.create_service()
                .service_name(format!("svc-{s:03}"))
                .task_definition("bench")
                .desired_count(TASKS)
                .send()
                .await
                .unwrap();
        }
        sim.advance(60.0);
        let probe = ecs
            .describe_services()
            .services("svc-000")
            .services("svc-099")
            .send()
            .await
            .unwrap();
        assert!(probe.services().iter().all(|s| s.running_count == TASKS));
        println!(
            "setup: {SERVICES} services x {TASKS} tasks created and running in {:.2} s",
            setup.elapsed().as_secs_f64()
        );

        calls(ecs.clone(), 200, 0).await; // warm-up
        let start = Instant::now();
        let latencies = calls(ecs.clone(), 3000, 0).await;
        report("DescribeServices x10, 1 client", latencies, start.elapsed());

        for clients in [4usize, 16] {
            let start = Instant::now();
            let handles: Vec<_> = (0..clients)
                .map(|c| tokio::spawn(calls(ecs.clone(), 6000 / clients, c)))
                .collect();
            let mut all = Vec::new();
            for h in handles {
                all.extend(h.await.unwrap());
            }
            report(
                &format!("DescribeServices x10, {clients} clients"),
                all,
                start.elapsed(),
            );
        }
        sim.shutdown().await.unwrap();
    });
}
