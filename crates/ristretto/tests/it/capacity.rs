//! `examples/fargate-spot`: a service whose capacity provider strategy puts one task on FARGATE
//! and the rest three to one on FARGATE_SPOT, deployed on the simulator; `diff` after the deploy
//! (AWS fills in `base: 0`), and `run` without a strategy taking the cluster's default one.

use std::path::Path;

use crate::common::{self, ristretto, text};

const CONFIG: &str = "examples/fargate-spot/config.yaml";

/// How many tasks of the local state run on each capacity provider (FARGATE, FARGATE_SPOT).
fn providers(dir: &Path) -> (usize, usize) {
    let state = std::fs::read_to_string(dir.join(".ristretto/local-state.json")).expect("state");
    (
        state
            .matches("\"capacityProviderName\":\"FARGATE\"")
            .count(),
        state
            .matches("\"capacityProviderName\":\"FARGATE_SPOT\"")
            .count(),
    )
}

// ECS developer guide, "Capacity provider strategies" (base first, then the weights) and
// API_Task `capacityProviderName`; API_Service: AWS answers the strategy with `base: 0` filled
// in, which `diff` must not report.
#[test]
fn the_fargate_spot_example_deploys_and_spreads_its_tasks() {
    let dir = common::example_copy("fargate-spot", None);
    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy"])
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("succeeded: service web runs web:1"), "{all}");
    assert_eq!(providers(dir.path()), (2, 3), "base 1 + 1:3 of the other 4");
    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "diff", "--exit-code"])
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("no differences"), "{all}");
}

// API_RunTask, `capacityProviderStrategy`: "If no capacityProviderStrategy or launchType is
// specified, the defaultCapacityProviderStrategy for the cluster is used" (FARGATE_SPOT in the
// example's world).
#[test]
fn run_without_a_strategy_takes_the_cluster_default() {
    let dir = common::example_copy("fargate-spot", None);
    let def = dir
        .path()
        .join("examples/fargate-spot/ecs-service-def.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&def).expect("read")).expect("json");
    json.as_object_mut()
        .expect("object")
        .remove("capacityProviderStrategy");
    std::fs::write(&def, json.to_string()).expect("write");
    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "run", "--no-wait"])
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert_eq!(providers(dir.path()), (0, 1), "{all}");
}

// Issue 19 ("`status` shows the capacity provider of each task"), API_Task
// `capacityProviderName`: after the example's deploy (FARGATE base 1, then 1:3 with
// FARGATE_SPOT) `status` lists the five tasks with their provider, in text and in JSON.
#[test]
fn status_lists_each_task_with_its_capacity_provider() {
    let dir = common::example_copy("fargate-spot", None);
    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "status"])
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let block = stdout.split("Tasks:\n").nth(1).expect("a Tasks block");
    let lines: Vec<&str> = block.lines().take_while(|l| l.starts_with("  ")).collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    let on = |p: &str| {
        lines
            .iter()
            .filter(|l| l.ends_with(&format!(" {p}")))
            .count()
    };
    assert_eq!((on("FARGATE"), on("FARGATE_SPOT")), (2, 3), "{stdout}");
    assert!(
        lines.iter().all(|l| l.contains(" RUNNING web:1 ")),
        "{stdout}"
    );

    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "status", "--output", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let tasks = json["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 5);
    let spot = tasks
        .iter()
        .filter(|t| t["capacityProvider"] == "FARGATE_SPOT")
        .count();
    assert_eq!(spot, 3, "{json}");
}
