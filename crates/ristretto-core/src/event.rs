//! Progress as typed events. Drivers never print: they send events, and the
//! CLI renders them as a live view, plain lines or JSON lines.

use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;

/// Something that happened during a command.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
