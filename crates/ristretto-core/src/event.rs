//! Progress as typed events. Drivers never print: they send events, and the
//! CLI renders them as a live view, plain lines or JSON lines.
//!
//! The JSON lines of `--output json` are a contract with scripts and CI jobs:
//! every line carries `"schema": SCHEMA_VERSION`, the documented list of
//! event types and fields is `docs/json-events.md` (a test compares it with
//! [`events_schema`]), and changes are additive only: a new event type or a
//! new field keeps the version; renaming or removing one, or changing a
//! field's type or meaning, needs a new version.

use schemars::JsonSchema;
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;

/// Something that happened during a command.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A step started ("registering the task definition").
    Step {
        /// What.
        message: String,
    },
    /// A task definition revision was registered.
    TaskDefinitionRegistered {
        /// Its ARN.
        arn: String,
    },
    /// The service was created.
    ServiceCreated {
        /// Its ARN.
        arn: String,
    },
    /// The service was updated; a deployment started.
    ServiceUpdated {
        /// The task definition it now wants.
        task_definition: String,
        /// The deployment the update started, when there is one.
        deployment: Option<String>,
    },
    /// The counts of the service's deployments changed.
    Deployments {
        /// Each deployment, PRIMARY first.
        deployments: Vec<DeploymentProgress>,
    },
    /// A new service event from ECS.
    ServiceEvent {
        /// When ECS recorded it (RFC 3339).
        at: String,
        /// ECS's message.
        message: String,
    },
    /// A CodeDeploy deployment was created.
    CodeDeployStarted {
        /// `d-…`.
        deployment_id: String,
        /// Its page in the AWS console.
        url: String,
    },
    /// A lifecycle event of a CodeDeploy deployment changed status.
    LifecycleEvent {
        /// `BeforeInstall`, `Install`, `AfterAllowTestTraffic`, …
        name: String,
        /// `InProgress`, `Succeeded`, `Failed`, `Skipped`.
        status: String,
    },
    /// The task sets of a CODE_DEPLOY service changed: counts, states, traffic.
    TaskSets {
        /// Each task set, the one taking production traffic first.
        task_sets: Vec<TaskSetProgress>,
    },
    /// The lifecycle of a native (BLUE_GREEN, LINEAR, CANARY) service deployment changed:
    /// its status, its stage, or the hooks awaiting action.
    ServiceDeployment {
        /// The service deployment's ID (the last part of its ARN).
        id: String,
        /// `IN_PROGRESS`, `ROLLBACK_IN_PROGRESS`, `SUCCESSFUL`, …
        status: String,
        /// `SCALE_UP`, `BAKE_TIME`, … (empty when ECS does not say).
        stage: String,
        /// IDs of the lifecycle hooks awaiting action.
        awaiting: Vec<String>,
    },
    /// A lifecycle hook (a PAUSE hook) holds the deployment until it is continued or rolled
    /// back. Sent once per hook.
    HookAwaiting {
        /// The service deployment's ID.
        service_deployment: String,
        /// The hook's ID (`continue --hook-id`).
        hook_id: String,
        /// The stage the deployment is held at.
        stage: String,
        /// The stage the wait is for (`--wait-until ecs:<STAGE>`), when it is one.
        waiting_for: Option<String>,
        /// When ECS takes the timeout action (RFC 3339), if it says.
        expires_at: Option<String>,
        /// What ECS does then: `CONTINUE` or `ROLLBACK`.
        timeout_action: Option<String>,
        /// The command that resumes the deployment.
        command: String,
    },
    /// The deployment should end in about this long, judging by how long
    /// the service's previous deployment took.
    Expected {
        /// Seconds from now.
        seconds: u64,
    },
    /// A line a container wrote to CloudWatch Logs (`run` shows the watched container's lines
    /// while it waits, and its last lines again when the task failed).
    LogLine {
        /// The task's ID.
        task: String,
        /// The container's name.
        container: String,
        /// When the container wrote it (RFC 3339).
        at: String,
        /// The line.
        message: String,
    },
    /// The command's outcome was decided.
    Finished {
        /// How it ended.
        outcome: Outcome,
        /// One line.
        message: String,
    },
}

/// How a command's wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The deployment (or what was waited for) succeeded.
    Succeeded,
    /// It failed: ECS or CodeDeploy gave up, or it was rolled back or replaced.
    Failed,
    /// The timeout or the no-progress timeout passed; it goes on.
    TimedOut,
}

impl Outcome {
    /// The outcome in words: `succeeded`, `failed`, `timed out`.
    #[must_use]
    pub fn as_words(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::TimedOut => "timed out",
        }
    }
}

/// One deployment's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DeploymentProgress {
    /// `ecs-svc/…`.
    pub id: String,
    /// `PRIMARY`, `ACTIVE`.
    pub status: String,
    /// Task definition `family:revision`.
    pub task_definition: String,
    /// Desired tasks.
    pub desired: i32,
    /// Pending tasks.
    pub pending: i32,
    /// Running tasks.
    pub running: i32,
    /// Tasks that failed to start.
    pub failed: i32,
    /// `IN_PROGRESS`, `COMPLETED`, `FAILED`.
    pub rollout_state: String,
}

/// One task set of a CODE_DEPLOY service.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TaskSetProgress {
    /// `BLUE`/`GREEN` during a CodeDeploy deployment, else empty.
    pub label: String,
    /// `PRIMARY`, `ACTIVE`, `DRAINING`.
    pub status: String,
    /// Task definition `family:revision`, when known.
    pub task_definition: String,
    /// Desired tasks.
    pub desired: i64,
    /// Pending tasks.
    pub pending: i64,
    /// Running tasks.
    pub running: i64,
    /// Share of production traffic, in percent.
    pub traffic_weight: f64,
    /// `STEADY_STATE`, `STABILIZING`, when known.
    pub stability: String,
}

/// The version of the JSON event lines, sent as `"schema"` on every line.
/// Adding an event type or a field keeps it; anything else raises it.
pub const SCHEMA_VERSION: u32 = 1;

impl Event {
    /// The event as one `--output json` line: its fields, `"event"` (its
    /// type), `"schema"` ([`SCHEMA_VERSION`]) and `"service"` (`service/cluster`).
    #[must_use]
    pub fn json_line(&self, service: &str) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.insert("schema".to_owned(), SCHEMA_VERSION.into());
            object.insert("service".to_owned(), service.into());
        }
        value
    }
}

/// The JSON Schema (draft 7) of one `--output json` event line, generated from
/// [`Event`] itself, with the `schema` and `service` fields every line carries.
#[must_use]
pub fn events_schema() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<Event>().to_value();
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "title".to_owned(),
            "ristretto --output json event line".into(),
        );
        object.insert(
            "description".to_owned(),
            format!(
                "One progress event per line on stderr. Every line also has `schema` \
                 ({SCHEMA_VERSION}) and `service` (`service/cluster`); changes are additive only."
            )
            .into(),
        );
    }
    for variant in variants_mut(&mut schema) {
        if let Some(properties) = variant
            .get_mut("properties")
            .and_then(serde_json::Value::as_object_mut)
        {
            properties.insert(
                "schema".to_owned(),
                serde_json::json!({"description": "The version of this format.", "const": SCHEMA_VERSION}),
            );
            properties.insert(
                "service".to_owned(),
                serde_json::json!({"description": "`service/cluster` the event is about.", "type": "string"}),
            );
        }
        if let Some(required) = variant
            .get_mut("required")
            .and_then(serde_json::Value::as_array_mut)
        {
            required.push("schema".into());
            required.push("service".into());
        }
    }
    schema
}

/// The schemas of each event type in [`events_schema`] (its `oneOf`).
fn variants_mut(schema: &mut serde_json::Value) -> impl Iterator<Item = &mut serde_json::Value> {
    schema
        .get_mut("oneOf")
        .and_then(serde_json::Value::as_array_mut)
        .into_iter()
        .flatten()
}

/// Where drivers send events. Sending never fails: a closed receiver means
/// nobody is listening, which is fine.
#[derive(Debug, Clone)]
pub struct Events(Option<UnboundedSender<Event>>);

impl Events {
    /// Events go to `sender`.
    #[must_use]
    pub fn new(sender: UnboundedSender<Event>) -> Self {
        Self(Some(sender))
    }

    /// Events go nowhere.
    #[must_use]
    pub fn discard() -> Self {
        Self(None)
    }

    /// Sends an event.
    pub fn emit(&self, event: Event) {
        if let Some(sender) = &self.0 {
            let _ = sender.send(event);
        }
    }

    /// Sends a [`Event::Step`].
    pub fn step(&self, message: impl Into<String>) {
        self.emit(Event::Step {
            message: message.into(),
        });
    }
}

/// `family:revision` of a task definition ARN (the ARN itself when it has no `/`).
#[must_use]
pub fn short_task_definition(arn: &str) -> &str {
    arn.rsplit_once('/').map_or(arn, |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use serde_json::Value;

    use super::*;

    /// The fields every line has, documented once at the top of the page.
    const COMMON: [&str; 3] = ["event", "schema", "service"];

    /// `### \`name\`` sections of `docs/json-events.md` and the fields their
    /// tables list.
    fn documented() -> BTreeMap<String, BTreeSet<String>> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/json-events.md");
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let mut sections = BTreeMap::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            if let Some(title) = line.strip_prefix("### ") {
                let name = title.trim().trim_matches('`').to_owned();
                sections.insert(name.clone(), BTreeSet::new());
                current = Some(name);
            } else if line.starts_with("## ") {
                current = None;
            } else if let (Some(name), Some(row)) = (&current, line.strip_prefix("| `")) {
                let field = row.split('`').next().unwrap_or_default().to_owned();
                sections.entry(name.clone()).or_default().insert(field);
            }
        }
        sections
    }

    fn properties(schema: &Value) -> BTreeSet<String> {
        schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| {
                p.keys()
                    .filter(|k| !COMMON.contains(&k.as_str()))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Additive changes only, and documented: an event type or field added to
    /// [`Event`] (or to the objects inside events) without its row in
    /// `docs/json-events.md` fails here.
    #[test]
    fn the_documented_events_are_the_events_sent() {
        let schema = events_schema();
        let mut sent = BTreeMap::new();
        for variant in schema["oneOf"].as_array().into_iter().flatten() {
            let name = variant["properties"]["event"]["const"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            sent.insert(name, properties(variant));
        }
        for (name, definition) in schema["definitions"].as_object().into_iter().flatten() {
            if definition.get("properties").is_some() {
                sent.insert(name.clone(), properties(definition));
            }
        }
        assert!(sent.len() > 10, "{sent:?}");
        assert_eq!(
            documented(),
            sent,
            "docs/json-events.md and the events sent differ: document every event type and \
             field (and never remove or rename one: changes are additive only)"
        );
    }

    #[test]
    fn every_line_carries_the_schema_version_and_the_service() {
        let line = Event::Expected { seconds: 5 }.json_line("web/default");
        assert_eq!(
            line,
            serde_json::json!({"event": "expected", "seconds": 5, "schema": 1, "service": "web/default"})
        );
        let validator = jsonschema::validator_for(&events_schema()).expect("a valid schema");
        assert!(validator.is_valid(&line), "{line}");
        let mut old = line.clone();
        old["schema"] = 0.into();
        assert!(!validator.is_valid(&old), "another version is refused");
    }
}
