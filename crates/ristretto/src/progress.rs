//! Rendering the drivers' events: on a terminal a live view redrawn in place
//! (see `view.rs`) under the lines worth keeping; elsewhere (CI, pipes) plain
//! timestamped lines; one JSON object per line with `--output json`.
//! Progress goes to stderr; stdout stays for data.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use ristretto_core::event::{DeploymentProgress, Event, TaskSetProgress};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::cli::OutputFormat;
use crate::printer::{Live, Printer};
use crate::view::View;

/// A running renderer of one service's events.
pub struct Progress {
    task: JoinHandle<()>,
}

impl Progress {
    /// Starts rendering events for `label` (`service/cluster`); returns the
    /// sender drivers emit into.
    pub fn start(printer: &Printer, label: String) -> (ristretto_core::event::Events, Self) {
        let (sender, receiver) = unbounded_channel();
        let task = match printer.live() {
            // Only with text output (see `Settings::live`).
            Some(live) => tokio::spawn(render_live(printer.clone(), live.clone(), label, receiver)),
            _ => tokio::spawn(render(printer.clone(), label, receiver)),
        };
        (ristretto_core::event::Events::new(sender), Self { task })
    }

    /// Waits until every event sent so far is printed (drop the sender first).
    pub async fn finish(self, events: ristretto_core::event::Events) {
        drop(events);
        let _ = self.task.await;
    }
}

async fn render(printer: Printer, label: String, mut receiver: UnboundedReceiver<Event>) {
    while let Some(event) = receiver.recv().await {
        if printer.output() == OutputFormat::Json {
            printer.progress_json(&event.json_line(&label));
            continue;
        }
        for line in lines(&event) {
            printer.progress(&label, &line);
        }
    }
}

/// The live view: a spinner and the view's lines, redrawn on every event
/// and every second (the clock), with the lines worth keeping printed above.
async fn render_live(
    printer: Printer,
    live: Live,
    label: String,
    mut receiver: UnboundedReceiver<Event>,
) {
    let bar = live.multi.add(ProgressBar::new_spinner());
    if let Ok(style) = ProgressStyle::with_template("{spinner:.cyan} {msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    let started = Instant::now();
    let mut view = View::new(label.clone());
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            event = receiver.recv() => match event {
                Some(event) => {
                    for line in view.apply(&event, started.elapsed()) {
                        printer.progress(&label, &line);
                    }
                }
                None => break,
            },
            _ = clock.tick() => {}
        }
        let columns = usize::from(console::Term::stderr().size().1);
        let lines = view.render(started.elapsed(), columns.saturating_sub(2), live.compact);
        bar.set_message(printer.secrets().mask(&lines.join("\n")));
    }
    bar.finish_and_clear();
    live.multi.remove(&bar);
}

/// The text lines of one event.
pub(crate) fn lines(event: &Event) -> Vec<String> {
    match event {
        Event::Step { message } => vec![message.clone()],
        Event::TaskDefinitionRegistered { arn } => {
            vec![format!("registered task definition {arn}")]
        }
        Event::ServiceCreated { arn } => vec![format!("created service {arn}")],
        Event::ServiceUpdated {
            task_definition,
            deployment,
        } => vec![match deployment {
            Some(id) => format!("deployment {id} started for {task_definition}"),
            None => format!("service now wants {task_definition}"),
        }],
        Event::Deployments { deployments } => deployments.iter().map(deployment_line).collect(),
        Event::ServiceEvent { message, .. } => vec![format!("event: {message}")],
        Event::CodeDeployStarted { deployment_id, url } => vec![
            format!("CodeDeploy deployment {deployment_id} created"),
            format!("console: {url}"),
        ],
        Event::LifecycleEvent { name, status } => vec![format!("lifecycle event {name}: {status}")],
        Event::TaskSets { task_sets } => task_sets.iter().map(task_set_line).collect(),
        Event::ServiceDeployment {
            id,
            status,
            stage,
            awaiting,
        } => {
            let mut line = format!("service deployment {id} {status}");
            if !stage.is_empty() {
                line.push_str(&format!(" at stage {stage}"));
            }
            if !awaiting.is_empty() {
                line.push_str(&format!(", awaiting action: {}", awaiting.join(", ")));
            }
            vec![line]
        }
        Event::HookAwaiting {
            service_deployment,
            hook_id,
            stage,
            waiting_for,
            expires_at,
            timeout_action,
            command,
        } => vec![hook_awaiting_line(
            service_deployment,
            hook_id,
            stage,
            waiting_for.as_deref(),
            expires_at.as_deref(),
            timeout_action.as_deref(),
            command,
        )],
        Event::Expected { seconds } => vec![format!(
            "expected to finish in about {} (judging by the previous deployment)",
            ristretto_core::duration::format(std::time::Duration::from_secs(*seconds))
        )],
        Event::LogLine {
            task,
            container,
            message,
            ..
        } => vec![format!(
            "[{}/{container}] {message}",
            task.get(..8).unwrap_or(task)
        )],
        Event::Finished { outcome, message } => {
            vec![format!("{}: {message}", outcome.as_words())]
        }
    }
}

/// `paused: lifecycle hook h1 holds service deployment SD1 at POST_TEST_TRAFFIC_SHIFT, before
/// BAKE_TIME (ECS takes ROLLBACK at …); continue with `…` or roll back with `… --rollback``.
fn hook_awaiting_line(
    service_deployment: &str,
    hook_id: &str,
    stage: &str,
    waiting_for: Option<&str>,
    expires_at: Option<&str>,
    timeout_action: Option<&str>,
    command: &str,
) -> String {
    let mut line =
        format!("paused: lifecycle hook {hook_id} holds service deployment {service_deployment}");
    if !stage.is_empty() {
        line.push_str(&format!(" at {stage}"));
    }
    if let Some(target) = waiting_for {
        line.push_str(&format!(", before {target}"));
    }
    match (timeout_action, expires_at) {
        (Some(action), Some(at)) => line.push_str(&format!(" (ECS takes {action} at {at})")),
        (None, Some(at)) => line.push_str(&format!(" (it times out at {at})")),
        _ => {}
    }
    line.push_str(&format!(
        "; continue with `{command}` or roll back with `{command} --rollback`"
    ));
    line
}

fn deployment_line(d: &DeploymentProgress) -> String {
    let failed = if d.failed > 0 {
        format!(" failed {}", d.failed)
    } else {
        String::new()
    };
    let state = if d.rollout_state.is_empty() {
        String::new()
    } else {
        format!(" {}", d.rollout_state)
    };
    format!(
        "{:<7} {} desired {} pending {} running {}{failed}{state}",
        d.status, d.task_definition, d.desired, d.pending, d.running
    )
}

/// `GREEN PRIMARY web:2 desired 2 pending 0 running 2 traffic [##########----------] 50%`.
fn task_set_line(t: &TaskSetProgress) -> String {
    let filled = ((t.traffic_weight / 5.0).round().clamp(0.0, 20.0)) as usize;
    let bar = format!("{}{}", "#".repeat(filled), "-".repeat(20 - filled));
    let mut parts: Vec<&str> = Vec::new();
    for part in [&t.label, &t.status, &t.task_definition] {
        if !part.is_empty() {
            parts.push(part);
        }
    }
    let stability = if t.stability.is_empty() {
        String::new()
    } else {
        format!(" {}", t.stability)
    };
    format!(
        "task set {} desired {} pending {} running {} traffic [{bar}] {}%{stability}",
        parts.join(" "),
        t.desired,
        t.pending,
        t.running,
        t.traffic_weight.round()
    )
}
