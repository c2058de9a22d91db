//! The live view of one service on a terminal: what the drivers' events say
//! the deployment looks like now (deployments and their counts, rollout
//! state, CodeDeploy lifecycle events and the traffic shift), redrawn in
//! place, while the events worth keeping (steps, service events, lifecycle
//! changes, the outcome) scroll above it as timestamped lines.
//!
//! Pure: [`View::apply`] takes events, [`View::render`] gives the lines for
//! an elapsed time and a width; `progress.rs` puts them on the terminal.

use std::time::Duration;

use ristretto_codedeploy::LIFECYCLE_EVENTS;
use ristretto_core::event::{
    DeploymentProgress, Event, Outcome, TaskSetProgress, short_task_definition,
};

/// What one service's deployment looks like now.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// `service/cluster`.
    label: String,
    /// The last step ("registering the task definition", …).
    step: String,
    deployments: Vec<DeploymentProgress>,
    task_sets: Vec<TaskSetProgress>,
    /// CodeDeploy lifecycle events seen, with their latest status.
    lifecycle: Vec<(String, String)>,
    /// Seconds left, as expected when the wait began, and the elapsed time then.
    expected: Option<(Duration, Duration)>,
    /// `succeeded`, `failed`, `timed_out` once decided.
    outcome: Option<Outcome>,
    /// A native deployment's lifecycle: service deployment ID, status, stage.
    lifecycle_stage: Option<(String, String, String)>,
    /// Hooks awaiting action and the command that continues each.
    paused: Vec<(String, String)>,
}

const BAR_WIDTH: usize = 20;

impl View {
    /// The view of `label` before any event.
    #[must_use]
    pub fn new(label: String) -> Self {
        Self {
            label,
            ..Self::default()
        }
    }

    /// Takes in `event`, seen `elapsed` after the start; returns the lines to
    /// keep in the terminal's scrollback (the view itself is redrawn).
    pub fn apply(&mut self, event: &Event, elapsed: Duration) -> Vec<String> {
        match event {
            Event::Deployments { deployments } => {
                self.deployments.clone_from(deployments);
                Vec::new()
            }
            Event::TaskSets { task_sets } => {
                self.task_sets.clone_from(task_sets);
                Vec::new()
            }
            Event::LifecycleEvent { name, status } => {
                match self.lifecycle.iter_mut().find(|(n, _)| n == name) {
                    Some(entry) => entry.1.clone_from(status),
                    None => self.lifecycle.push((name.clone(), status.clone())),
                }
                crate::progress::lines(event)
            }
            Event::Step { message } => {
                self.step.clone_from(message);
                crate::progress::lines(event)
            }
            Event::CodeDeployStarted { deployment_id, .. } => {
                self.step = format!("CodeDeploy deployment {deployment_id}");
                crate::progress::lines(event)
            }
            Event::ServiceUpdated {
                task_definition, ..
            } => {
                self.step = format!("deploying {}", short_task_definition(task_definition));
                crate::progress::lines(event)
            }
            Event::ServiceDeployment {
                id,
                status,
                stage,
                awaiting,
            } => {
                self.lifecycle_stage = Some((id.clone(), status.clone(), stage.clone()));
                self.paused.retain(|(hook, _)| awaiting.contains(hook));
                Vec::new()
            }
            Event::HookAwaiting {
                hook_id, command, ..
            } => {
                if !self.paused.iter().any(|(h, _)| h == hook_id) {
                    self.paused.push((hook_id.clone(), command.clone()));
                }
                crate::progress::lines(event)
            }
            Event::Expected { seconds } => {
                self.expected = Some((Duration::from_secs(*seconds), elapsed));
                crate::progress::lines(event)
            }
            Event::Finished { outcome, .. } => {
                self.outcome = Some(*outcome);
                let mut kept = self.state_lines();
                kept.extend(crate::progress::lines(event));
                kept
            }
            Event::TaskDefinitionRegistered { .. }
            | Event::ServiceCreated { .. }
            | Event::ServiceEvent { .. }
            | Event::LogLine { .. } => crate::progress::lines(event),
        }
    }

    /// The view after `elapsed`, each line at most `width` columns; one line
    /// when `compact` (several services share the terminal).
    #[must_use]
    pub fn render(&self, elapsed: Duration, width: usize, compact: bool) -> Vec<String> {
        let mut header = format!("{} {}", self.label, clock(elapsed));
        if let Some(left) = self.time_left(elapsed) {
            header.push_str(&format!(" · {left}"));
        }
        let lines = if compact {
            let summary = self.summary();
            vec![if summary.is_empty() {
                format!("{header} · {}", self.step)
            } else {
                format!("{header} · {summary}")
            }]
        } else {
            let mut lines = vec![if self.step.is_empty() {
                header
            } else {
                format!("{header} · {}", self.step)
            }];
            lines.extend(self.state_lines().into_iter().map(|l| format!("  {l}")));
            lines
        };
        lines.into_iter().map(|l| fit(&l, width)).collect()
    }

    /// `about 20s left`, or `taking longer than the last deployment`.
    fn time_left(&self, elapsed: Duration) -> Option<String> {
        if self.outcome.is_some() {
            return None;
        }
        let (expected, at) = self.expected?;
        let spent = elapsed.saturating_sub(at);
        Some(if spent < expected {
            let left = Duration::from_secs((expected - spent).as_secs().max(1));
            format!("about {} left", ristretto_core::duration::format(left))
        } else {
            "longer than the previous deployment".to_owned()
        })
    }

    /// Deployments, or lifecycle events, traffic and task sets.
    fn state_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(stage) = self.stage_line() {
            lines.push(stage);
        }
        lines.extend(self.paused.iter().map(|(hook, command)| {
            format!("⏸ paused by lifecycle hook {hook} · continue: {command}")
        }));
        if !self.lifecycle.is_empty() {
            lines.push(self.lifecycle_line());
        }
        if let Some(traffic) = self.traffic_line() {
            lines.push(traffic);
        }
        lines.extend(self.task_sets.iter().map(task_set_counts));
        let width = self
            .deployments
            .iter()
            .map(|d| d.status.len() + 1 + d.task_definition.len())
            .max()
            .unwrap_or(0);
        lines.extend(self.deployments.iter().map(|d| deployment_line(d, width)));
        lines
    }

    /// `service deployment SD1 IN_PROGRESS · stage 7/10 PRODUCTION_TRAFFIC_SHIFT`.
    fn stage_line(&self) -> Option<String> {
        let (id, status, stage) = self.lifecycle_stage.as_ref()?;
        let mut line = format!("service deployment {id} {status}");
        if !stage.is_empty() {
            let position = ristretto_ecs::lifecycle::STAGES
                .iter()
                .position(|s| s == stage)
                .map_or_else(String::new, |i| {
                    format!("{}/{} ", i + 1, ristretto_ecs::lifecycle::STAGES.len())
                });
            line.push_str(&format!(" · stage {position}{stage}"));
        }
        Some(line)
    }

    /// `✓ BeforeInstall ✓ Install ▸ AfterInstall · AllowTestTraffic …`.
    fn lifecycle_line(&self) -> String {
        let mut names: Vec<&str> = LIFECYCLE_EVENTS.to_vec();
        for (name, _) in &self.lifecycle {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        names
            .iter()
            .map(|name| {
                let status = self
                    .lifecycle
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or("Pending", |(_, s)| s.as_str());
                format!("{} {name}", lifecycle_mark(status))
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `traffic blue web:4 [██████░░░░] green web:5 30%` when a blue/green
    /// pair is known.
    fn traffic_line(&self) -> Option<String> {
        let green = self.task_sets.iter().find(|t| t.label == "GREEN")?;
        let blue = self.task_sets.iter().find(|t| t.label == "BLUE");
        // `blue web:4`, or `blue` when GetDeploymentTarget did not say.
        let name = |label: &str, t: Option<&TaskSetProgress>| match t {
            Some(t) if !t.task_definition.is_empty() => format!("{label} {}", t.task_definition),
            _ => label.to_owned(),
        };
        Some(format!(
            "traffic {} [{}] {} {}%",
            name("blue", blue),
            bar(100.0 - green.traffic_weight, 100.0),
            name("green", Some(green)),
            green.traffic_weight.round()
        ))
    }

    /// One line for the compact view: the state that matters most.
    fn summary(&self) -> String {
        if let Some(green) = self.task_sets.iter().find(|t| t.label == "GREEN") {
            let current = self
                .lifecycle
                .iter()
                .rev()
                .find(|(_, s)| s == "InProgress")
                .or_else(|| self.lifecycle.last())
                .map_or(String::new(), |(n, s)| format!("{n} {s} · "));
            return format!(
                "{current}green {} {}% traffic",
                green.task_definition,
                green.traffic_weight.round()
            );
        }
        let mut prefix = String::new();
        if let Some((hook, _)) = self.paused.first() {
            prefix = format!("paused by hook {hook} · ");
        } else if let Some((_, _, stage)) =
            self.lifecycle_stage.as_ref().filter(|l| !l.2.is_empty())
        {
            prefix = format!("{stage} · ");
        }
        let counts = self
            .deployments
            .iter()
            .map(|d| {
                let mut text = format!(
                    "{} {} {}/{}",
                    d.status, d.task_definition, d.running, d.desired
                );
                if !d.rollout_state.is_empty() && d.rollout_state != "COMPLETED" {
                    text.push_str(&format!(" {}", d.rollout_state));
                }
                text
            })
            .collect::<Vec<_>>()
            .join(" · ");
        format!("{prefix}{counts}")
    }
}

/// `PRIMARY web:5 [██████████░░░░░░░░░░] 2/4 running · 1 pending · IN_PROGRESS`.
fn deployment_line(d: &DeploymentProgress, name_width: usize) -> String {
    let name = format!("{} {}", d.status, d.task_definition);
    let mut text = format!(
        "{name:<name_width$} [{}] {}/{} running",
        bar(f64::from(d.running), f64::from(d.desired.max(d.running))),
        d.running,
        d.desired
    );
    if d.pending > 0 {
        text.push_str(&format!(" · {} pending", d.pending));
    }
    if d.failed > 0 {
        text.push_str(&format!(" · {} failed", d.failed));
    }
    if !d.rollout_state.is_empty() {
        text.push_str(&format!(" · {}", d.rollout_state));
    }
    text
}

/// `task set GREEN ACTIVE web:5 2/2 running · STEADY_STATE`.
fn task_set_counts(t: &TaskSetProgress) -> String {
    let mut parts: Vec<&str> = vec!["task set"];
    for part in [&t.label, &t.status, &t.task_definition] {
        if !part.is_empty() {
            parts.push(part);
        }
    }
    let mut text = format!("{} {}/{} running", parts.join(" "), t.running, t.desired);
    if t.pending > 0 {
        text.push_str(&format!(" · {} pending", t.pending));
    }
    if !t.stability.is_empty() {
        text.push_str(&format!(" · {}", t.stability));
    }
    text
}

fn lifecycle_mark(status: &str) -> &'static str {
    match status {
        "Succeeded" => "✓",
        "InProgress" => "▸",
        "Failed" => "✗",
        "Skipped" => "–",
        _ => "·",
    }
}

/// A bar of `BAR_WIDTH` cells, `part` of `whole` filled.
fn bar(part: f64, whole: f64) -> String {
    let share = if whole > 0.0 {
        (part / whole).clamp(0.0, 1.0)
    } else {
        0.0
    };
    // Bounded by BAR_WIDTH, so the cast cannot truncate.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let filled = (share * BAR_WIDTH as f64).round() as usize;
    format!("{}{}", "█".repeat(filled), "░".repeat(BAR_WIDTH - filled))
}

/// `0:42`, `12:05`, `1:02:03`.
fn clock(elapsed: Duration) -> String {
    let s = elapsed.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// `line` cut to `width` columns (with `…`), so that nothing wraps and the
/// view redraws in place.
fn fit(line: &str, width: usize) -> String {
    console::truncate_str(line, width.max(10), "…").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(
        status: &str,
        td: &str,
        desired: i32,
        running: i32,
        pending: i32,
    ) -> DeploymentProgress {
        DeploymentProgress {
            id: format!("ecs-svc/{td}"),
            status: status.into(),
            task_definition: td.into(),
            desired,
            pending,
            running,
            failed: 0,
            rollout_state: if status == "PRIMARY" {
                "IN_PROGRESS".into()
            } else {
                "COMPLETED".into()
            },
        }
    }

    fn rolling() -> View {
        let mut view = View::new("web/default".into());
        let t = Duration::from_secs(3);
        view.apply(
            &Event::Step {
                message: "waiting for deployment ecs-svc/2".into(),
            },
            t,
        );
        view.apply(&Event::Expected { seconds: 40 }, t);
        view.apply(
            &Event::Deployments {
                deployments: vec![
                    deployment("PRIMARY", "web:5", 4, 2, 1),
                    deployment("ACTIVE", "web:4", 2, 2, 0),
                ],
            },
            t,
        );
        view
    }

    #[test]
    fn a_rolling_deployment_shows_counts_bars_and_time_left() {
        let lines = rolling().render(Duration::from_secs(13), 120, false);
        insta::assert_snapshot!(lines.join("\n"), @r"
        web/default 0:13 · about 30s left · waiting for deployment ecs-svc/2
          PRIMARY web:5 [██████████░░░░░░░░░░] 2/4 running · 1 pending · IN_PROGRESS
          ACTIVE web:4  [████████████████████] 2/2 running · COMPLETED
        ");
    }

    #[test]
    fn compact_view_is_one_line_and_every_line_fits_the_width() {
        let view = rolling();
        let compact = view.render(Duration::from_secs(75), 200, true);
        assert_eq!(
            compact,
            vec![
                "web/default 1:15 · longer than the previous deployment · PRIMARY web:5 2/4 IN_PROGRESS · ACTIVE web:4 2/2"
            ]
        );
        for line in view.render(Duration::from_secs(13), 30, false) {
            assert!(console::measure_text_width(&line) <= 30, "{line}");
        }
    }

    #[test]
    fn events_worth_keeping_scroll_and_counts_do_not() {
        let mut view = View::new("web/default".into());
        let t = Duration::ZERO;
        assert!(
            view.apply(
                &Event::Deployments {
                    deployments: vec![deployment("PRIMARY", "web:5", 1, 0, 1)]
                },
                t
            )
            .is_empty()
        );
        let kept = view.apply(
            &Event::ServiceEvent {
                at: "2026-11-22T10:00:00Z".into(),
                message: "(service web) has started 1 tasks".into(),
            },
            t,
        );
        assert_eq!(kept, vec!["event: (service web) has started 1 tasks"]);
        // The outcome keeps the final state in the scrollback.
        let kept = view.apply(
            &Event::Finished {
                outcome: Outcome::Succeeded,
                message: "service web runs web:5".into(),
            },
            t,
        );
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert!(kept[0].starts_with("PRIMARY web:5 ["), "{kept:?}");
        assert_eq!(kept[1], "succeeded: service web runs web:5");
    }

    fn task_set(label: &str, td: &str, weight: f64) -> TaskSetProgress {
        TaskSetProgress {
            label: label.into(),
            status: if label == "BLUE" {
                "PRIMARY".into()
            } else {
                "ACTIVE".into()
            },
            task_definition: td.into(),
            desired: 2,
            pending: 0,
            running: 2,
            traffic_weight: weight,
            stability: "STEADY_STATE".into(),
        }
    }

    #[test]
    fn a_codedeploy_deployment_shows_hooks_and_the_traffic_shift() {
        let mut view = View::new("web/default".into());
        let t = Duration::from_secs(70);
        view.apply(
            &Event::CodeDeployStarted {
                deployment_id: "d-ABC".into(),
                url: "https://x".into(),
            },
            t,
        );
        for (name, status) in [
            ("BeforeInstall", "Succeeded"),
            ("Install", "Succeeded"),
            ("AfterInstall", "Succeeded"),
            ("AllowTestTraffic", "Succeeded"),
            ("AfterAllowTestTraffic", "Succeeded"),
            ("BeforeAllowTraffic", "Succeeded"),
            ("AllowTraffic", "InProgress"),
        ] {
            view.apply(
                &Event::LifecycleEvent {
                    name: name.into(),
                    status: status.into(),
                },
                t,
            );
        }
        view.apply(
            &Event::TaskSets {
                task_sets: vec![
                    task_set("BLUE", "web:4", 70.0),
                    task_set("GREEN", "web:5", 30.0),
                ],
            },
            t,
        );
        insta::assert_snapshot!(view.render(t, 200, false).join("\n"), @r"
        web/default 1:10 · CodeDeploy deployment d-ABC
          ✓ BeforeInstall ✓ Install ✓ AfterInstall ✓ AllowTestTraffic ✓ AfterAllowTestTraffic ✓ BeforeAllowTraffic ▸ AllowTraffic · AfterAllowTraffic
          traffic blue web:4 [██████████████░░░░░░] green web:5 30%
          task set BLUE PRIMARY web:4 2/2 running · STEADY_STATE
          task set GREEN ACTIVE web:5 2/2 running · STEADY_STATE
        ");
        assert_eq!(
            view.render(t, 200, true),
            vec!["web/default 1:10 · AllowTraffic InProgress · green web:5 30% traffic"]
        );
    }

    // The live view of a native deployment shows its lifecycle stage and the hook that holds
    // it with the exact command that continues it; the hook's line goes once it is continued.
    #[test]
    fn a_paused_native_deployment_shows_its_stage_and_the_command_that_continues_it() {
        let mut view = rolling();
        let t = Duration::from_secs(20);
        view.apply(
            &Event::ServiceDeployment {
                id: "SD1".into(),
                status: "IN_PROGRESS".into(),
                stage: "POST_TEST_TRAFFIC_SHIFT".into(),
                awaiting: vec!["h1".into()],
            },
            t,
        );
        let kept = view.apply(
            &Event::HookAwaiting {
                service_deployment: "SD1".into(),
                hook_id: "h1".into(),
                stage: "POST_TEST_TRAFFIC_SHIFT".into(),
                waiting_for: Some("BAKE_TIME".into()),
                expires_at: Some("2026-12-01T10:00:00Z".into()),
                timeout_action: Some("ROLLBACK".into()),
                command: "ristretto --config config.yaml continue".into(),
            },
            t,
        );
        assert_eq!(
            kept,
            vec![
                "paused: lifecycle hook h1 holds service deployment SD1 at POST_TEST_TRAFFIC_SHIFT, before BAKE_TIME (ECS takes ROLLBACK at 2026-12-01T10:00:00Z); continue with `ristretto --config config.yaml continue` or roll back with `ristretto --config config.yaml continue --rollback`"
            ]
        );
        insta::assert_snapshot!(view.render(t, 200, false).join("\n"), @r"
        web/default 0:20 · about 23s left · waiting for deployment ecs-svc/2
          service deployment SD1 IN_PROGRESS · stage 6/10 POST_TEST_TRAFFIC_SHIFT
          ⏸ paused by lifecycle hook h1 · continue: ristretto --config config.yaml continue
          PRIMARY web:5 [██████████░░░░░░░░░░] 2/4 running · 1 pending · IN_PROGRESS
          ACTIVE web:4  [████████████████████] 2/2 running · COMPLETED
        ");
        assert_eq!(
            view.render(t, 200, true),
            vec![
                "web/default 0:20 · about 23s left · paused by hook h1 · PRIMARY web:5 2/4 IN_PROGRESS · ACTIVE web:4 2/2"
            ]
        );
        view.apply(
            &Event::ServiceDeployment {
                id: "SD1".into(),
                status: "IN_PROGRESS".into(),
                stage: "PRODUCTION_TRAFFIC_SHIFT".into(),
                awaiting: vec![],
            },
            t,
        );
        let lines = view.render(t, 200, false).join("\n");
        assert!(!lines.contains("paused"), "{lines}");
        assert!(
            lines.contains("stage 7/10 PRODUCTION_TRAFFIC_SHIFT"),
            "{lines}"
        );
    }
}
