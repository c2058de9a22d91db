//! When the next thing worth a look should happen in a deployment, from what one
//! `DescribeServices` answer tells: the service's events, its deployments and its
//! configuration, and what the service's previous deployment took.
//!
//! A rolling deployment goes through phases that ECS announces in the service's events (ECS
//! developer guide, "Amazon ECS service event messages"; the wording is AWS's):
//!
//! 1. our tasks start (`has started N tasks`) and, some time later, run;
//! 2. behind a load balancer they are registered (`registered N targets in (target-group …)`)
//!    and become healthy after the target group's health checks;
//! 3. the old tasks leave: behind a load balancer they drain for the target group's
//!    deregistration delay (`has begun draining connections on N tasks`), then ECS stops them
//!    (`has stopped N running tasks`), which takes what their containers take to exit;
//! 4. `(deployment …) deployment completed`.
//!
//! The last of those markers seen tells how far the deployment is, and the service's previous
//! deployment (whose markers and completion are in the same `events` list) tells how long each
//! remaining phase took last time. What history does not tell yet (the first deployment after
//! `create` never drained anything) comes from the target group: its deregistration delay, read
//! once. Task start times are the one thing nothing predicts closely (image pulls, placement):
//! only the previous deployment's start says roughly when.

use aws_sdk_ecs::types::{Service, ServiceEvent};

/// How long an old task takes to stop once ECS stopped it (after its drain), when the
/// service's history does not show it (its containers' exit and the task's teardown; nothing
/// announces it). Looks follow after 1, 2 and 4 more seconds when it takes longer.
pub const ASSUMED_STOP: f64 = 2.0;

/// A service event that marks a phase of a rolling deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// Tasks joined a target group: they run.
    Registered,
    /// Old tasks began draining from their target groups.
    Draining,
    /// ECS stopped old tasks (after draining, behind a load balancer).
    Stopped,
}

impl Marker {
    /// The marker a service event message is, if any.
    #[must_use]
    pub fn of(message: &str) -> Option<Marker> {
        // `) deregistered N targets` must not read as `registered`.
        if message.contains(") registered ") && message.contains(" targets in (target-group") {
            Some(Marker::Registered)
        } else if message.contains(") has begun draining connections on ") {
            Some(Marker::Draining)
        } else if message.contains(") has stopped ") && message.contains(" running tasks") {
            Some(Marker::Stopped)
        } else {
            None
        }
    }
}

/// How long the phases of the service's previous deployment took, in seconds of the
/// service's clock.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// From the deployment's creation to its tasks running (its last `registered` marker, else
    /// its last `has stopped`, else its completion).
    pub run_after: Option<f64>,
    /// From its last `registered` marker to its completion.
    pub registered: Option<f64>,
    /// From its last `has begun draining` marker to its completion.
    pub draining: Option<f64>,
    /// From its last `has stopped` marker to its completion.
    pub stopped: Option<f64>,
    /// From its creation to its completion.
    pub total: Option<f64>,
}

impl History {
    /// The remaining time after `marker`, as last time.
    #[must_use]
    pub fn after(&self, marker: Marker) -> Option<f64> {
        match marker {
            Marker::Registered => self.registered,
            Marker::Draining => self.draining,
            Marker::Stopped => self.stopped,
        }
    }

    /// Whether anything was learned.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == History::default()
    }
}

fn at(event: &ServiceEvent) -> Option<f64> {
    event
        .created_at()
        .map(aws_smithy_types::DateTime::as_secs_f64)
}

/// The completion time of every deployment whose `deployment completed` event is listed.
fn completions(service: &Service) -> Vec<(String, f64)> {
    service
        .events()
        .iter()
        .filter_map(|e| {
            let m = e.message()?;
            let rest = m.split("(deployment ").nth(1)?;
            let (id, tail) = rest.split_once(')')?;
            tail.trim_start()
                .starts_with("deployment completed")
                .then(|| Some((id.to_owned(), at(e)?)))?
        })
        .collect()
}

/// What the service's newest completed deployment other than `ours` took, phase by phase.
/// Its markers are those after its creation (when it is still listed in `deployments`) or after
/// the completion before it, and up to its own completion.
#[must_use]
pub fn learn(service: &Service, ours: &str) -> History {
    let done = completions(service);
    let Some((id, end)) = done
        .iter()
        .filter(|(id, _)| id != ours)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .cloned()
    else {
        return History::default();
    };
    let created = service
        .deployments()
        .iter()
        .find(|d| d.id() == Some(id.as_str()))
        .and_then(|d| d.created_at())
        .map(aws_smithy_types::DateTime::as_secs_f64);
    let before = done
        .iter()
        .map(|(_, t)| *t)
        .filter(|t| *t < end)
        .fold(f64::NEG_INFINITY, f64::max);
    let from = created.unwrap_or(before);
    let last = |kind: Marker| {
        service
            .events()
            .iter()
            .filter(|e| e.message().and_then(Marker::of) == Some(kind))
            .filter_map(at)
            .filter(|t| *t >= from && *t <= end)
            .reduce(f64::max)
    };
    let registered = last(Marker::Registered);
    let stopped = last(Marker::Stopped);
    let ran = registered.or(stopped).unwrap_or(end);
    // A deployment that took hours says nothing about this one.
    let sane = |d: f64| (0.0..6.0 * 3600.0).contains(&d).then_some(d);
    History {
        run_after: created.and_then(|c| sane(ran - c)),
        registered: registered.and_then(|t| sane(end - t)),
        draining: last(Marker::Draining).and_then(|t| sane(end - t)),
        stopped: stopped.and_then(|t| sane(end - t)),
        total: created.and_then(|c| sane(end - c)),
    }
}

/// What the target groups of the service say about the phases, when read.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TargetGroups {
    /// The longest deregistration delay of the service's target groups, seconds.
    pub deregistration_delay: Option<f64>,
    /// The longest time from registration to healthy: the health check interval times
    /// (healthy threshold + 1) — the first check comes an interval after registration.
    pub to_healthy: Option<f64>,
}

/// When something decisive should be visible next, in seconds of the service's clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Forecast {
    /// The moment.
    pub at: f64,
    /// How sure: `Exact` when it follows from a marker and a known duration (a drain, a stop
    /// that took this long last time), `Rough` when it is a task start (jitter).
    pub sureness: Sureness,
}

/// How much a forecast can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sureness {
    /// From a marker and a duration that does not vary much (deregistration delay, a stop).
    Exact,
    /// From the previous deployment's task starts: may come a good while earlier or later.
    Rough,
}

/// How many of our deployment's tasks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Running {
    /// None yet.
    None,
    /// Some: the markers since the first one ran are ours (an old task stopped for it).
    Some,
    /// All of them (and none pending).
    All,
}

/// The next moment worth a look for our deployment (created at `created`), given how many of
/// its tasks run, what the previous deployment took and the target groups. `None`: nothing to
/// go by (no history and no marker), or the end may come any moment.
#[must_use]
pub fn forecast(
    service: &Service,
    created: f64,
    running: Running,
    history: &History,
    groups: &TargetGroups,
) -> Option<Forecast> {
    let rough = history.run_after.map(|d| Forecast {
        at: created + d,
        sureness: Sureness::Rough,
    });
    match running {
        Running::None => return rough,
        // The end comes no sooner than what the markers say (an old task stopped for the
        // first new one must finish stopping): that, else when the rest should run.
        Running::Some => return from_markers(service, created, history, groups).or(rough),
        Running::All => {}
    }
    from_markers(service, created, history, groups)
}

/// The forecast from the newest markers of our deployment.
fn from_markers(
    service: &Service,
    created: f64,
    history: &History,
    groups: &TargetGroups,
) -> Option<Forecast> {
    // Phases overlap (with `minimumHealthyPercent` below 100 an old task is drained and
    // stopped right at the start, while the new ones start): each kind's newest marker says
    // when the deployment can end at the earliest, and the latest of those is the forecast —
    // except that a drain begun after the registration supersedes what the registration said
    // (the health checks are over).
    let drained = last_of(service, Marker::Draining, created);
    [Marker::Registered, Marker::Draining, Marker::Stopped]
        .into_iter()
        .filter_map(|kind| {
            let t = last_of(service, kind, created)?;
            if kind == Marker::Registered && drained.is_some_and(|d| d >= t) {
                return None;
            }
            let left = history.after(kind).or(match kind {
                // Health checks, then the old tasks' drain: the next look sees the drain begin.
                Marker::Registered => groups.to_healthy,
                // The drain, then the stop, whose length nothing announces: as long as last
                // time, else `ASSUMED_STOP`.
                Marker::Draining => groups
                    .deregistration_delay
                    .map(|d| d + history.stopped.unwrap_or(ASSUMED_STOP)),
                Marker::Stopped => Some(ASSUMED_STOP),
            })?;
            Some(t + left)
        })
        .reduce(f64::max)
        .map(|at| Forecast {
            at,
            sureness: Sureness::Exact,
        })
}

/// The newest marker of `kind` at or after `since`.
fn last_of(service: &Service, kind: Marker, since: f64) -> Option<f64> {
    service
        .events()
        .iter()
        .filter(|e| e.message().and_then(Marker::of) == Some(kind))
        .filter_map(at)
        .filter(|t| *t >= since)
        .reduce(f64::max)
}

/// Whether the service sits behind target groups, whose settings [`TargetGroups`] are worth
/// reading when history does not tell the drain.
#[must_use]
pub fn target_groups(service: &Service) -> Vec<String> {
    let mut arns: Vec<String> = service
        .load_balancers()
        .iter()
        .filter_map(|lb| lb.target_group_arn().map(str::to_owned))
        .collect();
    arns.sort();
    arns.dedup();
    arns
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::Deployment;
    use aws_smithy_types::DateTime;

    fn event(t: f64, message: &str) -> ServiceEvent {
        ServiceEvent::builder()
            .id(format!("e{t}"))
            .created_at(DateTime::from_secs_f64(t))
            .message(message)
            .build()
    }

    fn deployment(id: &str, created: f64) -> Deployment {
        Deployment::builder()
            .id(id)
            .created_at(DateTime::from_secs_f64(created))
            .build()
    }

    const TG: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/1";

    /// A load-balanced service whose deployment ecs-svc/1 (created at 1000) ran at 1030,
    /// was healthy and drained the old tasks from 1060, stopped them at 1120 and completed at
    /// 1122; ours, ecs-svc/2, was created at 2000. Events newest first, as ECS lists them.
    fn load_balanced() -> Service {
        Service::builder()
            .deployments(deployment("ecs-svc/2", 2000.0))
            .deployments(deployment("ecs-svc/1", 1000.0))
            .events(event(
                1122.0,
                "(service web) (deployment ecs-svc/1) deployment completed.",
            ))
            .events(event(
                1120.0,
                "(service web) has stopped 2 running tasks: (task a) (task b).",
            ))
            .events(event(
                1060.0,
                &format!("(service web) deregistered 2 targets in (target-group {TG})"),
            ))
            .events(event(
                1060.0,
                "(service web) has begun draining connections on 2 tasks.",
            ))
            .events(event(
                1030.0,
                &format!("(service web) registered 2 targets in (target-group {TG})"),
            ))
            .events(event(
                1001.0,
                "(service web) has started 2 tasks: (task c) (task d).",
            ))
            .build()
    }

    #[test]
    fn markers_are_read_from_aws_wording() {
        assert_eq!(
            Marker::of(&format!(
                "(service web) registered 1 targets in (target-group {TG})"
            )),
            Some(Marker::Registered)
        );
        assert_eq!(
            Marker::of(&format!(
                "(service web) deregistered 1 targets in (target-group {TG})"
            )),
            None
        );
        assert_eq!(
            Marker::of("(service web) has begun draining connections on 1 tasks."),
            Some(Marker::Draining)
        );
        assert_eq!(
            Marker::of("(service web) has stopped 1 running tasks: (task x)."),
            Some(Marker::Stopped)
        );
        assert_eq!(
            Marker::of("(service web) has reached a steady state."),
            None
        );
    }

    #[test]
    fn the_previous_deployment_teaches_each_phase() {
        let h = learn(&load_balanced(), "ecs-svc/2");
        assert_eq!(
            h,
            History {
                run_after: Some(30.0),
                registered: Some(92.0),
                draining: Some(62.0),
                stopped: Some(2.0),
                total: Some(122.0),
            }
        );
        // Nothing completed but ours: nothing learned.
        let only_ours = Service::builder()
            .events(event(
                5.0,
                "(service web) (deployment ecs-svc/2) deployment completed.",
            ))
            .build();
        assert!(learn(&only_ours, "ecs-svc/2").is_empty());
    }

    #[test]
    fn the_first_deployment_after_create_teaches_the_start_only() {
        // Created at 100, its tasks ran and it completed at 131: no old tasks to stop.
        let service = Service::builder()
            .deployments(deployment("ecs-svc/2", 500.0))
            .deployments(deployment("ecs-svc/1", 100.0))
            .events(event(
                131.0,
                "(service web) (deployment ecs-svc/1) deployment completed.",
            ))
            .build();
        let h = learn(&service, "ecs-svc/2");
        assert_eq!((h.run_after, h.total), (Some(31.0), Some(31.0)));
        assert_eq!((h.registered, h.draining, h.stopped), (None, None, None));
    }

    #[test]
    fn a_drain_seen_now_ends_as_long_after_as_last_time() {
        let mut service = load_balanced();
        let history = learn(&service, "ecs-svc/2");
        // Our tasks do not all run yet: the previous start says when they should.
        let f = forecast(
            &service,
            2000.0,
            Running::None,
            &history,
            &TargetGroups::default(),
        );
        assert_eq!(
            f,
            Some(Forecast {
                at: 2030.0,
                sureness: Sureness::Rough
            })
        );
        // They run and the old ones began draining at 2033.5: the end is 62 s later.
        service.events = Some(
            [
                vec![event(
                    2033.5,
                    "(service web) has begun draining connections on 2 tasks.",
                )],
                service.events().to_vec(),
            ]
            .concat(),
        );
        let f = forecast(
            &service,
            2000.0,
            Running::All,
            &history,
            &TargetGroups::default(),
        );
        assert_eq!(
            f,
            Some(Forecast {
                at: 2095.5,
                sureness: Sureness::Exact
            })
        );
    }

    #[test]
    fn with_some_tasks_running_the_stop_they_caused_bounds_the_end() {
        // The first new task ran at 22 s and ECS stopped an old one for it; stops took 4 s
        // last time: the end is not before 26 s, whenever the second new task runs.
        let service = Service::builder()
            .events(event(
                22.0,
                "(service web) has stopped 1 running tasks: (task b).",
            ))
            .events(event(
                0.5,
                "(service web) has stopped 1 running tasks: (task a).",
            ))
            .build();
        let history = History {
            run_after: Some(24.0),
            stopped: Some(4.0),
            ..History::default()
        };
        let none = TargetGroups::default();
        let f = forecast(&service, 0.0, Running::Some, &history, &none);
        assert_eq!(
            f,
            Some(Forecast {
                at: 26.0,
                sureness: Sureness::Exact
            })
        );
        // Before any of ours runs, the early stop says nothing: the start is the forecast.
        let f = forecast(&service, 0.0, Running::None, &history, &none);
        assert_eq!(f.map(|f| f.sureness), Some(Sureness::Rough));
    }

    #[test]
    fn overlapping_phases_end_when_the_last_of_them_can() {
        // minimumHealthyPercent 50: one old task drained from 1 s and stopped at 61 s while
        // the new ones started; they ran at 30 s, were healthy at 50 s, and the other old task
        // began draining then. Without history, the 60 s drain of that one is the end.
        let service = Service::builder()
            .events(event(
                61.0,
                "(service web) has stopped 1 running tasks: (task a).",
            ))
            .events(event(
                50.0,
                "(service web) has begun draining connections on 1 tasks.",
            ))
            .events(event(
                30.0,
                &format!("(service web) registered 2 targets in (target-group {TG})"),
            ))
            .events(event(
                1.0,
                "(service web) has begun draining connections on 1 tasks.",
            ))
            .build();
        let groups = TargetGroups {
            deregistration_delay: Some(60.0),
            to_healthy: Some(20.0),
        };
        let f = forecast(&service, 0.0, Running::All, &History::default(), &groups);
        assert_eq!(f.map(|f| f.at), Some(110.0 + ASSUMED_STOP));
    }

    #[test]
    fn without_history_the_target_group_tells_the_drain_and_a_stop_is_assumed() {
        let service = Service::builder()
            .events(event(
                50.0,
                "(service web) has begun draining connections on 1 tasks.",
            ))
            .build();
        let groups = TargetGroups {
            deregistration_delay: Some(300.0),
            to_healthy: Some(180.0),
        };
        let f = forecast(&service, 10.0, Running::All, &History::default(), &groups);
        assert_eq!(f.map(|f| f.at), Some(350.0 + ASSUMED_STOP));
        let stopped = Service::builder()
            .events(event(
                50.0,
                "(service web) has stopped 1 running tasks: (task x).",
            ))
            .build();
        assert_eq!(
            forecast(&stopped, 10.0, Running::All, &History::default(), &groups).map(|f| f.at),
            Some(50.0 + ASSUMED_STOP)
        );
        // Markers from before our deployment do not count.
        assert_eq!(
            forecast(&service, 60.0, Running::All, &History::default(), &groups),
            None
        );
    }
}
