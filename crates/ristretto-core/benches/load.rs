//! How long loading, validating and rendering a large task definition takes:
//! a ~1 MB document (containers with many environment variables, labels and
//! secrets) through `parse_task_definition`, `api_json` and `to_pretty_json`.
//! Prints figures; asserts nothing. Run with `cargo bench -p ristretto-core`.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::path::Path;
use std::time::{Duration, Instant};

use ristretto_core::definition::{api_json, parse_task_definition, to_pretty_json};
use serde_json::json;

fn big_task_definition(target_bytes: usize) -> String {
    let mut containers = Vec::new();
    let mut i = 0;
    loop {
        let environment: Vec<_> = (0..200)
            .map(|n| json!({"name": format!("VARIABLE_{i}_{n}"), "value": format!("value-{n}-{}", "x".repeat(24))}))
            .collect();
        let secrets: Vec<_> = (0..20)
            .map(|n| json!({"name": format!("SECRET_{n}"), "valueFrom": format!("arn:aws:ssm:us-east-1:123456789012:parameter/app/{i}/{n}")}))
            .collect();
        let labels: serde_json::Map<_, _> = (0..20)
            .map(|n| (format!("com.example.label{n}"), json!(format!("v{n}"))))
            .collect();
        containers.push(json!({
            "name": format!("container-{i}"),
            "image": format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:{i}"),
            "essential": i == 0,
            "portMappings": [{"containerPort": 8080 + i, "protocol": "tcp"}],
            "environment": environment,
            "secrets": secrets,
            "dockerLabels": labels,
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/app", "awslogs-region": "us-east-1", "awslogs-stream-prefix": format!("c{i}")}},
        }));
        let doc = json!({"family": "big", "networkMode": "awsvpc", "cpu": "4096", "memory": "8192", "containerDefinitions": containers});
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        if text.len() >= target_bytes {
            return text;
        }
        i += 1;
    }
}

fn main() {
    let text = big_task_definition(1_000_000);
    let file = Path::new("big.json");
    let runs = 30;
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut output_len = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let input = parse_task_definition(&text, file).unwrap_or_else(|e| panic!("loads: {e}"));
        let rendered = to_pretty_json(&api_json(&input).expect("writes"));
        times.push(start.elapsed());
        output_len = rendered.len();
    }
    times.sort();
    println!(
        "load + validate + render task definition: input {:.2} MB, output {:.2} MB, runs {runs}, min {:.2?}, p50 {:.2?}, max {:.2?}",
        text.len() as f64 / 1e6,
        output_len as f64 / 1e6,
        times[0],
        times[runs / 2],
        times[runs - 1]
    );
}
