//! How long `diff` takes without the network, for a task definition of 20
//! containers with 200 environment variables each: the local file loaded and
//! validated, the live `TaskDefinition` (an SDK value, as DescribeTaskDefinition
//! returns it) turned into API JSON, both sides normalised, printed, and
//! compared as a unified diff and as a change list.
//! Prints figures; asserts nothing. Run with
//! `cargo bench -p ristretto-core --bench diff`.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_ecs::types::TaskDefinition;
use aws_smithy_json::codec::{JsonCodec, JsonCodecSettings};
use aws_smithy_schema::codec::Codec;
use ristretto_core::definition::{api_json, parse_task_definition};
use ristretto_core::diff::{Comparison, Subject};
use ristretto_core::normalize;
use serde_json::{Value, json};

const CONTAINERS: usize = 20;
const VARIABLES: usize = 200;

/// The local file, and the live task definition as AWS returns it: the same
/// content with server defaults filled in and every list in another order.
/// With `changed`, one image and one variable differ.
fn documents(changed: bool) -> (String, Value) {
    let container = |i: usize, live: bool| {
        let mut environment: Vec<Value> = (0..VARIABLES)
            .map(|n| json!({"name": format!("VARIABLE_{i}_{n:03}"), "value": format!("value-{n}-{}", "x".repeat(24))}))
            .collect();
        let mut image = format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:{i}");
        if live {
            environment.reverse();
            if changed && i == 7 {
                image.push_str("-old");
                environment[3] = json!({"name": format!("VARIABLE_{i}_196"), "value": "old"});
            }
        }
        let mut c = json!({
            "name": format!("container-{i:02}"),
            "image": image,
            "portMappings": [{"containerPort": 8080 + i}],
            "environment": environment,
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/app", "awslogs-stream-prefix": format!("c{i}")}},
        });
        if live {
            c["cpu"] = json!(0);
            c["essential"] = json!(true);
            c["portMappings"] =
                json!([{"containerPort": 8080 + i, "hostPort": 8080 + i, "protocol": "tcp"}]);
            c["mountPoints"] = json!([]);
            c["volumesFrom"] = json!([]);
        }
        c
    };
    let local = json!({
        "family": "big", "networkMode": "awsvpc", "cpu": "4 vCPU", "memory": "8 GB",
        "requiresCompatibilities": ["FARGATE"],
        "containerDefinitions": (0..CONTAINERS).map(|i| container(i, false)).collect::<Vec<_>>(),
    });
    let live = json!({
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/big:7",
        "revision": 7, "status": "ACTIVE", "compatibilities": ["EC2", "FARGATE"],
        "family": "big", "networkMode": "awsvpc", "cpu": "4096", "memory": "8192",
        "requiresCompatibilities": ["FARGATE"],
        "containerDefinitions": (0..CONTAINERS).rev().map(|i| container(i, true)).collect::<Vec<_>>(),
    });
    (
        serde_json::to_string_pretty(&local).unwrap_or_default(),
        live,
    )
}

fn live_value(live: &Value) -> TaskDefinition {
    let bytes = serde_json::to_vec(live).unwrap_or_default();
    let codec = JsonCodec::new(JsonCodecSettings::builder().build());
    TaskDefinition::deserialize(&mut codec.create_deserializer(&bytes))
        .unwrap_or_else(|e| panic!("live task definition: {e}"))
}

/// One diff, as `ristretto diff` does it after the network calls.
fn diff(local_text: &str, live: &TaskDefinition) -> (bool, usize, usize) {
    let local = parse_task_definition(local_text, Path::new("ecs-task-def.json"))
        .unwrap_or_else(|e| panic!("loads: {e}"));
    let local = normalize::task_definition(&api_json(&local).expect("writes"), &[]);
    let live = normalize::task_definition(
        &normalize::live_task_definition(&api_json(live).expect("writes"), None),
        &[],
    );
    let comparison = Comparison {
        subject: Subject::TaskDefinition,
        live_label: Some("arn:aws:ecs:us-east-1:123456789012:task-definition/big:7".to_owned()),
        local_label: "ecs-task-def.json".to_owned(),
        live: Some(live),
        local,
    };
    let unified = comparison.unified(3);
    let changes = comparison.changes();
    (comparison.differs(), unified.len(), changes.len())
}

fn measure(name: &str, changed: bool) {
    let (local_text, live_json) = documents(changed);
    let live = live_value(&live_json);
    let runs = 20;
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut result = (false, 0, 0);
    for _ in 0..runs {
        let start = Instant::now();
        result = diff(&local_text, &live);
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "diff {name}: {CONTAINERS} containers x {VARIABLES} env vars, local file {:.2} MB, differs {}, unified {} bytes, {} changes; runs {runs}, min {:.2?}, p50 {:.2?}, max {:.2?}",
        local_text.len() as f64 / 1e6,
        result.0,
        result.1,
        result.2,
        times[0],
        times[runs / 2],
        times[runs - 1]
    );
}

/// Where the time of one changed diff goes (p50 of each phase).
fn phases() {
    let (local_text, live_json) = documents(true);
    let live = live_value(&live_json);
    let runs = 20;
    let mut t: [Vec<Duration>; 5] = Default::default();
    for _ in 0..runs {
        let start = Instant::now();
        let local = parse_task_definition(&local_text, Path::new("ecs-task-def.json"))
            .unwrap_or_else(|e| panic!("loads: {e}"));
        t[0].push(start.elapsed());
        let start = Instant::now();
        let local = normalize::task_definition(&api_json(&local).expect("writes"), &[]);
        let live = normalize::task_definition(
            &normalize::live_task_definition(&api_json(&live).expect("writes"), None),
            &[],
        );
        t[1].push(start.elapsed());
        let comparison = Comparison {
            subject: Subject::TaskDefinition,
            live_label: None,
            local_label: String::new(),
            live: Some(live),
            local,
        };
        let start = Instant::now();
        let texts = (comparison.live_text(), comparison.local_text());
        t[2].push(start.elapsed());
        let start = Instant::now();
        let unified = comparison.unified(3);
        t[3].push(start.elapsed());
        let start = Instant::now();
        let changes = comparison.changes();
        t[4].push(start.elapsed());
        assert!(texts.0.len() > unified.len() && !changes.is_empty());
    }
    for times in &mut t {
        times.sort();
    }
    println!(
        "phases (p50): load local {:.2?}, API JSON + normalise both {:.2?}, print both {:.2?}, unified diff (incl. printing) {:.2?}, change list {:.2?}",
        t[0][runs / 2],
        t[1][runs / 2],
        t[2][runs / 2],
        t[3][runs / 2],
        t[4][runs / 2]
    );
}

fn main() {
    measure("identical (order, defaults, units only)", false);
    measure("one image + one variable changed", true);
    phases();
}
