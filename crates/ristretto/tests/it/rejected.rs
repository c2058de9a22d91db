//! When AWS refuses a definition: `ristretto` exits 2 (bad input) with AWS's own message, and
//! leaves nothing changed — a revision it registered for a service change AWS refused is
//! deregistered again. Run through the binary against the simulator, whose validation follows
//! AWS (see `ristretto-sim`'s `ecs::validate` for the sources of each rule).

use std::path::Path;

use crate::common::{self, ristretto, text};

const CONFIG: &str = "examples/rolling/config.yaml";

/// The simulator's saved world (`.ristretto/local-state.json`) as JSON.
fn state(dir: &Path) -> serde_json::Value {
    let bytes = std::fs::read(dir.join(".ristretto/local-state.json")).expect("state file");
    serde_json::from_slice(&bytes).expect("state JSON")
}

/// The status of every revision of `family`, in revision order.
fn revisions(dir: &Path, family: &str) -> Vec<String> {
    state(dir)["ecs"]["taskDefinitions"][family]
        .as_array()
        .map(|revs| {
            revs.iter()
                .map(|r| {
                    r["taskDefinition"]["status"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn edit_task_definition(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("examples/rolling/ecs-task-def.json");
    let mut td: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("JSON");
    edit(&mut td);
    std::fs::write(&path, serde_json::to_vec_pretty(&td).expect("JSON")).expect("write");
}

// Developer guide, AWS_Fargate ("Network mode": Fargate task definitions require awsvpc):
// RegisterTaskDefinition answers ClientException.
#[test]
fn a_fargate_task_definition_in_bridge_mode_exits_2_with_aws_message_and_registers_nothing() {
    let dir = common::example_copy("rolling", None);
    edit_task_definition(dir.path(), |td| td["networkMode"] = "bridge".into());
    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy"])
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("RegisterTaskDefinition failed: Fargate only supports network mode 'awsvpc'."),
        "{all}"
    );
    assert!(all.contains("hint:"), "{all}");
    assert_eq!(revisions(dir.path(), "web"), Vec::<String>::new());
    assert!(
        state(dir.path())["ecs"]["clusters"]["default"]["services"]
            .as_object()
            .is_none_or(serde_json::Map::is_empty),
        "no service was created"
    );
}

// API_CreateService / API_UpdateService (`networkConfiguration`, `launchType`): a bridge-mode,
// EC2-only task definition cannot replace an awsvpc one on a FARGATE service that has a network
// configuration; UpdateService answers InvalidParameterException (the network configuration is
// the first check the simulator makes). ristretto deregisters the revision it registered for it.
#[test]
fn a_refused_update_service_leaves_no_new_active_revision() {
    let dir = common::example_copy("rolling", None);
    let first = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy"])
        .output()
        .expect("runs");
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));

    // Valid on its own (EC2 only, bridge, container memory), refused for a FARGATE service.
    edit_task_definition(dir.path(), |td| {
        td["networkMode"] = "bridge".into();
        td["requiresCompatibilities"] = serde_json::json!(["EC2"]);
        td["containerDefinitions"][0]["memory"] = 256.into();
    });
    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy"])
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("UpdateService failed: Network Configuration is not valid for the given networkMode of this task definition."),
        "{all}"
    );
    assert!(
        all.contains("deregistered task definition web:2 again"),
        "{all}"
    );
    assert_eq!(revisions(dir.path(), "web"), ["ACTIVE", "INACTIVE"]);
    let service = &state(dir.path())["ecs"]["clusters"]["default"]["services"]["web"]["service"];
    assert!(
        service["taskDefinition"]
            .as_str()
            .is_some_and(|t| t.ends_with("task-definition/web:1")),
        "{service}"
    );
}
