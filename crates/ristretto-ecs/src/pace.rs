//! When a deployment wait looks next: just after the moment the service's own data says
//! something decisive should happen ([`crate::forecast`]), sparsely before it, quickly when it
//! passed without the end, and never more often than a call budget allows.
//!
//! - **An exact forecast** (a drain begun, old tasks stopped, and how long that took last
//!   time or the target group's deregistration delay): one look just after it. Before it,
//!   nothing decisive can happen; a look every 30 s keeps an eye on failures when it is
//!   far (every `pace.max` once tasks of ours failed: the circuit breaker may decide).
//! - **A rough forecast** (our tasks should run about when the previous deployment's did):
//!   looks spread over a window around it, as wide as starts vary.
//! - **No forecast**: back off from `pace.first` by `pace.factor` up to `pace.max` while our
//!   tasks start; 1, 2, 4 s then every [`CLOSE_MAX`] once they all run (the end may come any
//!   moment).
//! - **The budget**: at most [`ristretto_core::poll::READS_PER_MINUTE`] read calls a minute over the whole command
//!   (the reads before the wait count; [`Budget`]): a look that would
//!   overspend waits until it is earned.
//!
//! Durations the service reports are in its own clock, which runs `rate` times faster than
//! real time (1 on AWS; the local simulator's speed).

use std::time::Duration;

use aws_sdk_ecs::types::Service;
use tokio::time::Instant;

use crate::assess::Target;
use crate::forecast::{Forecast, History, Running, Sureness, TargetGroups, forecast, learn};
#[cfg(test)]
use ristretto_core::poll::READS_PER_MINUTE;
use ristretto_core::poll::{Budget, Pace};

/// Once our tasks all run and nothing says when the end comes, looks come at least this often.
pub const CLOSE_MAX: Duration = Duration::from_secs(6);

/// A rough forecast's window reaches this share of the predicted start time on either side.
const ROUGH_SPREAD: f64 = 0.15;

/// Before a forecast moment further away than this, one look every [`FAR_STEP`] keeps an eye
/// on failures; nearer, the next look is just after it.
pub const FAR: Duration = Duration::from_secs(45);

/// The step of those looks.
pub const FAR_STEP: Duration = Duration::from_secs(30);

/// How long after an exact forecast the looks keep coming quickly before backing off.
const OVERDUE_WINDOW: Duration = Duration::from_secs(15);

/// Estimates the service's clock from the timestamps it returns: never earlier than the newest
/// one seen (carried forward at `rate`), and, where the service's clock is the wall clock
/// (AWS), never earlier than the local wall clock.
#[derive(Debug, Clone)]
pub struct ServiceClock {
    rate: f64,
    wall: bool,
    anchor: Option<(Instant, f64)>,
}

impl ServiceClock {
    /// A clock running `rate` times faster than real time; `wall`: it is the wall clock.
    #[must_use]
    pub fn new(rate: f64, wall: bool) -> Self {
        Self {
            rate: if rate.is_finite() && rate > 0.0 {
                rate
            } else {
                1.0
            },
            wall,
            anchor: None,
        }
    }

    /// Takes a timestamp (epoch seconds of the service's clock) of an answer received at `now`:
    /// the service's time was at least that then.
    pub fn observe_time(&mut self, t: f64, now: Instant) {
        if t.is_finite() && self.now(now).is_none_or(|current| t > current) {
            self.anchor = Some((now, t));
        }
    }

    /// Takes the newest timestamp of an answer received at `now`.
    pub fn observe(&mut self, service: &Service, now: Instant) {
        let newest = service
            .events()
            .iter()
            .filter_map(|e| e.created_at())
            .chain(
                service
                    .deployments()
                    .iter()
                    .flat_map(|d| [d.created_at(), d.updated_at()])
                    .flatten(),
            )
            .map(aws_smithy_types::DateTime::as_secs_f64)
            .fold(f64::NEG_INFINITY, f64::max);
        self.observe_time(newest, now);
    }

    /// The service's time at `now`, if anything is known.
    #[must_use]
    pub fn now(&self, now: Instant) -> Option<f64> {
        let carried = self
            .anchor
            .map(|(at, t)| t + now.saturating_duration_since(at).as_secs_f64() * self.rate);
        let wall = self.wall.then(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64())
        });
        match (carried, wall) {
            (Some(c), Some(w)) => Some(c.max(w)),
            (c, w) => c.or(w),
        }
    }

    /// The local instant at which the service's clock reads `t`.
    #[must_use]
    pub fn instant(&self, t: f64, now: Instant) -> Option<Instant> {
        let service_now = self.now(now)?;
        let left = ((t - service_now) / self.rate).max(0.0);
        Duration::try_from_secs_f64(left).ok().map(|d| now + d)
    }

    /// A duration of the service's clock in real time.
    #[must_use]
    pub fn real(&self, seconds: f64) -> Duration {
        Duration::try_from_secs_f64((seconds / self.rate).max(0.0)).unwrap_or(Duration::MAX)
    }
}

/// A forecast turned into local time.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Aim {
    /// The forecast, in the service's clock (a new one replaces this aim).
    forecast: Forecast,
    /// When, locally.
    at: Instant,
    /// How far on either side it may fall (zero when exact).
    spread: Duration,
}

/// When to look next; see the module documentation.
#[derive(Debug, Clone)]
pub struct Schedule {
    pace: Pace,
    clock: ServiceClock,
    budget: Budget,
    history: Option<History>,
    groups: TargetGroups,
    groups_read: bool,
    aim: Option<Aim>,
    backoff: Option<Duration>,
    close_step: Option<Duration>,
    /// Our deployment's creation, in the service's clock.
    created: Option<f64>,
    /// The last look: the native deployment's lifecycle stage then ("" when none), and the
    /// service's time.
    stage: Option<(String, f64)>,
    /// While it bakes: the bake began between these two looks (service time); its length.
    baking: Option<(f64, f64, f64)>,
    /// Read calls one look makes.
    look_cost: u32,
    /// Tasks of our deployment failed: the circuit breaker may decide any moment.
    failing: bool,
}

impl Schedule {
    /// A schedule that has not looked yet.
    #[must_use]
    pub fn new(pace: Pace, clock: ServiceClock, budget: Budget) -> Self {
        Self {
            pace,
            clock,
            budget,
            history: None,
            groups: TargetGroups::default(),
            groups_read: false,
            aim: None,
            backoff: None,
            close_step: None,
            created: None,
            stage: None,
            baking: None,
            look_cost: 1,
            failing: false,
        }
    }

    /// Takes the lifecycle stage of a native (BLUE_GREEN, LINEAR, CANARY) deployment seen in an
    /// answer received at `now`, and the service's `bakeTimeInMinutes`: once it is
    /// `BAKE_TIME`, the end comes a bake after the stage began, which lies between this look
    /// and the one before.
    pub fn observe_stage(
        &mut self,
        service: &Service,
        stage: Option<&str>,
        bake_minutes: Option<i32>,
        now: Instant,
    ) {
        self.clock.observe(service, now);
        let Some(service_now) = self.clock.now(now) else {
            return;
        };
        // The look before this one, with or without a stage (the answer that started the
        // deployment counts): the stage began after it.
        let previous = self.stage.take();
        if stage == Some("BAKE_TIME") {
            if self.baking.is_none() {
                let from = previous.as_ref().map_or(service_now, |(_, t)| *t);
                let bake = f64::from(bake_minutes.unwrap_or(0).max(0)) * 60.0;
                self.baking = Some((from, service_now, bake));
            }
        } else {
            self.baking = None;
        }
        self.stage = Some((stage.unwrap_or_default().to_owned(), service_now));
    }

    /// Counts read calls made (each look's, and any other).
    pub fn spend(&mut self, reads: u32) {
        self.budget.spend(reads);
    }

    /// How many read calls one look makes (DescribeServices, and DescribeServiceDeployments
    /// for a native deployment): the next look waits until all of them are within the budget.
    pub fn look_costs(&mut self, reads: u32) {
        self.look_cost = reads.max(1);
    }

    /// Read calls made so far, those before the wait included.
    #[must_use]
    pub fn reads(&self) -> u32 {
        self.budget.reads()
    }

    /// Takes what an answer about the service, received at `now`, says about the end; returns
    /// the new aim when the forecast changed.
    pub fn observe(
        &mut self,
        service: &Service,
        target: &Target,
        running: bool,
        now: Instant,
    ) -> Option<Instant> {
        self.clock.observe(service, now);
        let ours = crate::wait::ours(service, target)?;
        self.failing = ours.failed_tasks() > 0;
        let created = ours.created_at()?.as_secs_f64();
        self.created = Some(created);
        if self.history.is_none() {
            // Learned once: the previous deployment's events scroll away as ours goes on.
            self.history = Some(learn(service, ours.id().unwrap_or_default()));
        }
        let history = self.history.clone().unwrap_or_default();
        let (f, spread) = if let Some((from, to, bake)) = self.baking {
            // The blue tasks stop after the bake, as they did last time.
            let stopped = history.stopped.unwrap_or(0.0);
            // The bake began between the two looks: where the previous deployment's did, when
            // that falls there (its whole length less its bake and clean-up), else midway.
            let (began, half) = match history.total.map(|t| created + t - bake - stopped) {
                Some(last_time) if (from..=to).contains(&last_time) => (
                    last_time,
                    ((to - from) / 2.0).min(((last_time - created) * ROUGH_SPREAD).max(1.0)),
                ),
                _ => ((from + to) / 2.0, (to - from) / 2.0),
            };
            let f = Forecast {
                at: began + bake + stopped,
                sureness: Sureness::Rough,
            };
            (f, self.clock.real(half).max(self.pace.close))
        } else {
            let progress = if running {
                Running::All
            } else if ours.running_count() > 0 {
                Running::Some
            } else {
                Running::None
            };
            let Some(f) = forecast(service, created, progress, &history, &self.groups) else {
                self.aim = None;
                return None;
            };
            let spread = match f.sureness {
                Sureness::Exact => Duration::ZERO,
                Sureness::Rough => self
                    .clock
                    .real((f.at - created).max(0.0) * ROUGH_SPREAD)
                    .max(self.pace.close * 2),
            };
            (f, spread)
        };
        if self.aim.is_some_and(|a| a.forecast == f) {
            return None;
        }
        let at = self.clock.instant(f.at, now)?;
        self.aim = Some(Aim {
            forecast: f,
            at,
            spread,
        });
        self.close_step = None;
        Some(at)
    }

    /// When the deployment should end, judging by what the previous one took.
    #[must_use]
    pub fn expected_end(&self, now: Instant) -> Option<Instant> {
        let total = self.history.as_ref()?.total?;
        self.clock.instant(self.created? + total, now)
    }

    /// The target groups worth reading once: the service is behind a load balancer and its
    /// previous deployment did not show how long a drain takes.
    #[must_use]
    pub fn wants_target_groups(&self, service: &Service) -> Vec<String> {
        let drain_known = self.history.as_ref().is_some_and(|h| h.draining.is_some());
        if self.groups_read || drain_known {
            return Vec::new();
        }
        crate::forecast::target_groups(service)
    }

    /// What the target groups said (or that reading them failed: `None`).
    pub fn set_target_groups(&mut self, groups: Option<TargetGroups>) {
        self.groups_read = true;
        if let Some(groups) = groups {
            self.groups = groups;
        }
    }

    /// The wait after a look at `now` that found our tasks all running (or not).
    pub fn next(&mut self, now: Instant, running: bool) -> Duration {
        let want = self.want(now, running);
        want.max(
            self.budget
                .earliest_for(self.look_cost)
                .saturating_duration_since(now),
        )
    }

    fn want(&mut self, now: Instant, running: bool) -> Duration {
        let pace = self.pace;
        // Just after the moment, not just before it.
        let after = pace.close / 4;
        if let Some(aim) = self.aim {
            let opens = aim.at.checked_sub(aim.spread).unwrap_or(aim.at);
            if now < opens {
                let gap = opens - now + after;
                self.close_step = None;
                // Failed tasks: the circuit breaker (or the next failure) may come any moment,
                // so the looks before the forecast come as often as while tasks start.
                let far_step = if self.failing { pace.max } else { FAR_STEP };
                return if gap <= FAR { gap } else { far_step };
            }
            let closes = aim.at
                + aim.spread
                + if aim.spread.is_zero() {
                    OVERDUE_WINDOW
                } else {
                    Duration::ZERO
                };
            if now < closes {
                if !aim.spread.is_zero() {
                    // The reads the budget will have by the forecast moment, but one kept for
                    // the look just after the end a marker will announce, spread over what is
                    // left of the window.
                    let credit = (self.budget.credit(aim.at.max(now)) - 1.0).max(1.0);
                    return (closes - now)
                        .div_f64(credit)
                        .clamp(pace.close, Duration::from_secs(4));
                }
                return self.close();
            }
            // Later than forecast: forget it and back off again from here.
            self.aim = None;
            self.backoff = Some(pace.close);
        }
        if running {
            return self.close();
        }
        self.close_step = None;
        let next = match self.backoff {
            None => pace.first,
            Some(previous) => previous.mul_f64(pace.factor),
        }
        .min(pace.max);
        self.backoff = Some(next);
        next
    }

    /// 1 s, 2 s, 4 s, then every [`CLOSE_MAX`].
    fn close(&mut self) -> Duration {
        let next = match self.close_step {
            None => self.pace.close,
            Some(previous) => (previous * 2).min(CLOSE_MAX.max(self.pace.close)),
        };
        self.close_step = Some(next);
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::WaitUntil;
    use aws_sdk_ecs::types::{Deployment, ServiceEvent};
    use aws_smithy_types::DateTime;

    /// Our deployment is created at service time 10 000 (local start of the command).
    const CREATED: f64 = 10_000.0;

    fn target() -> Target {
        Target {
            deployment: Some("ecs-svc/2".into()),
            task_definition: "td".into(),
            until: WaitUntil::Deployed,
        }
    }

    fn event(t: f64, message: &str) -> ServiceEvent {
        ServiceEvent::builder()
            .id(format!("e{t}-{message}"))
            .created_at(DateTime::from_secs_f64(t))
            .message(message)
            .build()
    }

    /// A deployment, as DescribeServices shows it at `t` seconds after ours was created: the
    /// previous one (`history`: its events, created at 1000) and ours, whose tasks run from
    /// `runs` on, with `markers` (seconds after creation, message) appearing as they happen.
    struct Shape {
        history: Vec<ServiceEvent>,
        runs: f64,
        markers: Vec<(f64, &'static str)>,
        ends: f64,
    }

    impl Shape {
        fn at(&self, t: f64) -> (Service, bool) {
            let running = t >= self.runs;
            let ours = Deployment::builder()
                .id("ecs-svc/2")
                .status("PRIMARY")
                .created_at(DateTime::from_secs_f64(CREATED))
                .desired_count(2)
                .running_count(if running { 2 } else { 0 })
                .pending_count(if running { 0 } else { 2 })
                .build();
            let previous = Deployment::builder()
                .id("ecs-svc/1")
                .status("ACTIVE")
                .created_at(DateTime::from_secs_f64(1000.0))
                .build();
            let mut events: Vec<ServiceEvent> = self
                .markers
                .iter()
                .filter(|(m, _)| *m <= t)
                .map(|(m, message)| event(CREATED + m, message))
                .collect();
            events.extend(self.history.iter().cloned());
            let mut service = Service::builder()
                .deployments(ours)
                .deployments(previous)
                .set_events(Some(events));
            if self.markers.iter().any(|(_, m)| *m == TG) {
                service = service.load_balancers(
                    aws_sdk_ecs::types::LoadBalancer::builder()
                        .target_group_arn("arn:tg")
                        .build(),
                );
            }
            let service = service.build();
            (service, running)
        }

        /// The times of the looks (seconds after the command started, which is when our
        /// deployment was created), the answer to UpdateService planning the first, until the
        /// first look at or after the end; and the reads made in all (one before the wait).
        fn looks(&self, groups: Option<TargetGroups>) -> (Vec<f64>, u32) {
            let start = Instant::now();
            let local = |t: f64| start + Duration::from_secs_f64(t);
            let mut clock = ServiceClock::new(1.0, false);
            // The service's clock read CREATED when the command started.
            clock.anchor = Some((start, CREATED));
            let mut schedule = Schedule::new(Pace::DEPLOYMENT, clock, Budget::new(start, 1, 1.0));
            let (answer, _) = self.at(0.0);
            schedule.observe(&answer, &target(), false, start);
            let mut t = schedule.next(start, false).as_secs_f64();
            let mut times = Vec::new();
            loop {
                times.push(t);
                schedule.spend(1);
                if t >= self.ends || times.len() > 500 {
                    return (times, schedule.reads());
                }
                let (service, running) = self.at(t);
                schedule.observe(&service, &target(), running, local(t));
                if !schedule.wants_target_groups(&service).is_empty() {
                    schedule.set_target_groups(groups);
                    schedule.spend(2);
                    schedule.observe(&service, &target(), running, local(t));
                }
                t += schedule.next(local(t), running).as_secs_f64();
            }
        }
    }

    /// The previous deployment: created at 1000, its tasks ran at 1030 and stopped the old
    /// ones, complete at 1032.
    fn rolling_history() -> Vec<ServiceEvent> {
        vec![
            event(
                1032.0,
                "(service web) (deployment ecs-svc/1) deployment completed.",
            ),
            event(
                1030.0,
                "(service web) has stopped 1 running tasks: (task a).",
            ),
            event(
                1000.5,
                "(service web) has stopped 1 running tasks: (task b).",
            ),
        ]
    }

    const TG: &str = "(service web) registered 2 targets in (target-group arn:tg)";
    const DRAIN: &str = "(service web) has begun draining connections on 2 tasks.";
    const STOP: &str = "(service web) has stopped 2 running tasks: (task c) (task d).";

    fn per_minute(reads: u32, seconds: f64) -> f64 {
        f64::from(reads) / seconds * 60.0
    }

    #[test]
    fn a_short_rolling_deployment_is_noticed_just_after_its_end_within_the_budget() {
        // Our tasks run at 34 s (4 s later than last time), the old ones stop until 36 s.
        let shape = Shape {
            history: rolling_history(),
            runs: 34.0,
            markers: vec![
                (0.5, "(service web) has stopped 1 running tasks: (task x)."),
                (34.0, STOP),
            ],
            ends: 36.0,
        };
        let (looks, reads) = shape.looks(None);
        let noticed = looks.last().copied().unwrap_or_default();
        assert!(noticed - 36.0 <= 1.0, "noticed at {noticed}: {looks:?}");
        assert!(
            per_minute(reads, noticed) <= READS_PER_MINUTE,
            "{reads} reads: {looks:?}"
        );
    }

    #[test]
    fn a_drain_is_waited_out_sparsely_and_its_end_seen_at_once() {
        // Last time: ran at 1030, drained from 1060 for 60 s, stopped in 2 s.
        let history = vec![
            event(
                1122.0,
                "(service web) (deployment ecs-svc/1) deployment completed.",
            ),
            event(1120.0, STOP),
            event(1060.0, DRAIN),
            event(1030.0, TG),
        ];
        let shape = Shape {
            history,
            runs: 28.0,
            markers: vec![(28.0, TG), (57.0, DRAIN), (117.0, STOP)],
            ends: 119.0,
        };
        let (looks, reads) = shape.looks(None);
        let noticed = looks.last().copied().unwrap_or_default();
        assert!(noticed - 119.0 <= 0.5, "noticed at {noticed}: {looks:?}");
        let draining = looks.iter().filter(|t| (60.0..119.0).contains(*t)).count();
        assert!(draining <= 4, "looks while the drain goes on: {looks:?}");
        assert!(
            per_minute(reads, noticed) <= READS_PER_MINUTE,
            "{reads} reads: {looks:?}"
        );
    }

    #[test]
    fn the_first_deployment_after_create_reads_the_drain_from_the_target_group() {
        // The create's deployment: its tasks ran (registered) at 1030 and it completed at 1050
        // (healthy); nothing drained then. Now the old tasks drain for 60 s from 57 s.
        let history = vec![
            event(
                1050.0,
                "(service web) (deployment ecs-svc/1) deployment completed.",
            ),
            event(1030.0, TG),
        ];
        let shape = Shape {
            history,
            runs: 30.0,
            markers: vec![(30.0, TG), (57.0, DRAIN), (117.0, STOP)],
            ends: 119.0,
        };
        let groups = TargetGroups {
            deregistration_delay: Some(60.0),
            to_healthy: Some(20.0),
        };
        let (looks, reads) = shape.looks(Some(groups));
        let noticed = looks.last().copied().unwrap_or_default();
        // The drain ends at 117: looks at 117.25, 118.25, then 120.25 (the stop's length is
        // not known yet).
        assert!(noticed - 119.0 <= 1.5, "noticed at {noticed}: {looks:?}");
        assert!(
            per_minute(reads, noticed) <= READS_PER_MINUTE,
            "{reads} reads: {looks:?}"
        );
    }

    #[test]
    fn without_any_forecast_a_long_wait_keeps_to_the_budget() {
        // No history, no markers: our tasks run from 60 s and the end comes at 600 s.
        let shape = Shape {
            history: Vec::new(),
            runs: 60.0,
            markers: Vec::new(),
            ends: 600.0,
        };
        let (looks, reads) = shape.looks(None);
        let noticed = looks.last().copied().unwrap_or_default();
        assert!(noticed - 600.0 <= 6.0 + 1e-6, "noticed at {noticed}");
        assert!(
            per_minute(reads, noticed) <= READS_PER_MINUTE,
            "{reads} reads in {noticed} s"
        );
        // The first look would come after 2 s; after the command's DescribeServices before
        // the update, the budget makes it wait until it is the second read in 12 s.
        assert!(
            (looks[0] - 12.0).abs() < 1e-9,
            "first look after 12 s: {looks:?}"
        );
    }

    #[test]
    fn a_bake_ends_a_bake_after_its_stage_began_between_two_looks() {
        // A BLUE_GREEN deployment with a one-minute bake, seen still shifting traffic at 36 s
        // and baking at 40 s: the end comes between 96 and 100 s.
        let start = Instant::now();
        let local = |t: f64| start + Duration::from_secs_f64(t);
        let mut clock = ServiceClock::new(1.0, false);
        clock.anchor = Some((start, CREATED));
        let mut schedule = Schedule::new(Pace::DEPLOYMENT, clock, Budget::new(start, 1, 1.0));
        let shape = Shape {
            history: Vec::new(),
            runs: 0.0,
            markers: Vec::new(),
            ends: 99.0,
        };
        let (service, _) = shape.at(36.0);
        schedule.observe_stage(
            &service,
            Some("PRODUCTION_TRAFFIC_SHIFT"),
            Some(1),
            local(36.0),
        );
        schedule.observe(&service, &target(), true, local(36.0));
        let mut t = 40.0;
        let mut looks = Vec::new();
        while t < 99.0 {
            looks.push(t);
            schedule.spend(1);
            schedule.observe_stage(&service, Some("BAKE_TIME"), Some(1), local(t));
            schedule.observe(&service, &target(), true, local(t));
            t += schedule.next(local(t), true).as_secs_f64();
        }
        assert!(t - 99.0 <= 2.0, "noticed at {t}: {looks:?}");
        // While it bakes, one look keeps an eye on it, then the window.
        let baking = looks.iter().filter(|l| (41.0..96.0).contains(*l)).count();
        assert!(baking <= 2, "{looks:?}");
    }

    #[test]
    fn a_bake_seen_late_begins_where_the_previous_deployment_s_did() {
        // Last time the deployment took 82 s: green ran at 20 s, baked 60 s, blue stopped in
        // 2 s. Now the look before the bake was the UpdateService answer (0 s) and the first
        // that saw BAKE_TIME came at 30 s: the bake began at about 20 s again.
        let history = vec![
            event(
                1082.0,
                "(service web) (deployment ecs-svc/1) deployment completed.",
            ),
            event(
                1080.0,
                "(service web) has stopped 2 running tasks: (task a) (task b).",
            ),
        ];
        let shape = Shape {
            history,
            runs: 0.0,
            markers: Vec::new(),
            ends: 82.0,
        };
        let start = Instant::now();
        let local = |t: f64| start + Duration::from_secs_f64(t);
        let mut clock = ServiceClock::new(1.0, false);
        clock.anchor = Some((start, CREATED));
        let mut schedule = Schedule::new(Pace::DEPLOYMENT, clock, Budget::new(start, 1, 1.0));
        let (service, _) = shape.at(0.0);
        schedule.observe_stage(&service, None, Some(1), local(0.0));
        schedule.observe(&service, &target(), true, local(0.0));
        let mut t = 30.0;
        let mut looks = Vec::new();
        while t < 82.0 {
            looks.push(t);
            schedule.spend(2);
            schedule.observe_stage(&service, Some("BAKE_TIME"), Some(1), local(t));
            schedule.observe(&service, &target(), true, local(t));
            t += schedule.next(local(t), true).as_secs_f64();
        }
        assert!(t - 82.0 <= 2.0, "noticed at {t}: {looks:?}");
        let baking = looks.iter().filter(|l| (31.0..78.0).contains(*l)).count();
        assert!(baking <= 1, "{looks:?}");
    }

    #[test]
    fn failed_tasks_bring_the_looks_before_a_far_forecast_closer() {
        // A 300 s drain began at 10 s (last time it took as long): nothing decisive until
        // 310 s, so one look every 30 s — unless tasks of ours failed, when the circuit
        // breaker may decide any moment: then every 15 s.
        let start = Instant::now();
        let next_after = |failed: i32| {
            let mut clock = ServiceClock::new(1.0, false);
            clock.anchor = Some((start, CREATED));
            let mut schedule = Schedule::new(Pace::DEPLOYMENT, clock, Budget::new(start, 0, 1.0));
            let history = vec![
                event(
                    1302.0,
                    "(service web) (deployment ecs-svc/1) deployment completed.",
                ),
                event(1002.0, DRAIN),
            ];
            let service = Service::builder()
                .deployments(
                    Deployment::builder()
                        .id("ecs-svc/2")
                        .status("PRIMARY")
                        .created_at(DateTime::from_secs_f64(CREATED))
                        .desired_count(2)
                        .running_count(2)
                        .failed_tasks(failed)
                        .build(),
                )
                .deployments(
                    Deployment::builder()
                        .id("ecs-svc/1")
                        .created_at(DateTime::from_secs_f64(1000.0))
                        .build(),
                )
                .set_events(Some([vec![event(CREATED + 10.0, DRAIN)], history].concat()))
                .build();
            let now = start + Duration::from_secs(60);
            schedule.observe(&service, &target(), true, now);
            schedule.next(now, true)
        };
        assert_eq!(next_after(0), Duration::from_secs(30));
        assert_eq!(next_after(1), Duration::from_secs(15));
    }

    #[test]
    fn the_service_clock_follows_its_newest_timestamp_at_its_rate() {
        let start = Instant::now();
        let mut clock = ServiceClock::new(50.0, false);
        assert_eq!(clock.now(start), None);
        let service = Service::builder()
            .events(event(5000.0, "(service web) has reached a steady state."))
            .build();
        clock.observe(&service, start);
        let later = start + Duration::from_secs(2);
        assert_eq!(clock.now(later), Some(5100.0));
        // 200 service seconds ahead of 5100 is 4 real seconds at 50×.
        assert_eq!(
            clock.instant(5300.0, later),
            Some(later + Duration::from_secs(4))
        );
        assert_eq!(clock.real(100.0), Duration::from_secs(2));
    }
}
