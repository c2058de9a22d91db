//! What explains a deployment that did not succeed: the last events the
//! deployer saw and the tasks that stopped on their own. Both drivers (ECS
//! and CodeDeploy) fill it; the CLI prints it under the error.

/// Why a deployment failed: what the service said and what the stopped tasks said.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diagnosis {
    /// The last service events, oldest first.
    pub events: Vec<String>,
    /// Stopped tasks of the deployment.
    pub stopped_tasks: Vec<StoppedTask>,
}

/// A task that stopped, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct StoppedTask {
    /// Task ID (the last part of its ARN).
    pub id: String,
    /// ECS's `stoppedReason`.
    pub stopped_reason: String,
    /// Each container: name, exit code, reason.
    pub containers: Vec<StoppedContainer>,
}

/// A container of a stopped task.
#[derive(Debug, Clone, PartialEq)]
pub struct StoppedContainer {
    /// Container name.
    pub name: String,
    /// Its exit code, when it ran.
    pub exit_code: Option<i32>,
    /// Why it stopped, when ECS says.
    pub reason: Option<String>,
}

impl Diagnosis {
    /// Lines to print under the error.
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.events.iter().map(|e| format!("event: {e}")).collect();
        for task in &self.stopped_tasks {
            lines.push(format!("stopped task {}: {}", task.id, task.stopped_reason));
            for c in &task.containers {
                let code = c
                    .exit_code
                    .map_or_else(|| "no exit code".to_owned(), |c| format!("exit code {c}"));
                let reason = c
                    .reason
                    .as_deref()
                    .map(|r| format!(", {r}"))
                    .unwrap_or_default();
                lines.push(format!("  container {}: {code}{reason}", c.name));
            }
        }
        lines
    }
}
