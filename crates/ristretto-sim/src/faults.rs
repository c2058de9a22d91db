//! Deliberate misbehaviour from the world file: throttling token buckets (the file's own rules
//! and AWS's published ECS quotas with `throttlingPreset: aws`) and injected errors or latency.
//! Both run on *real* time, like AWS's quotas, whatever the world speed.

use std::time::{Duration, Instant};

use crate::error::ApiError;
use crate::quotas;
use crate::world::{FaultRule, ThrottlingPreset, World, glob_match};

/// Throttle buckets and fault counters of one running simulator.
#[derive(Debug)]
pub struct Faults {
    buckets: Vec<Bucket>,
    faults: Vec<(FaultRule, u32)>,
}

/// Which requests take a token from a bucket.
#[derive(Debug)]
enum Takers {
    /// A world-file rule's `action` glob.
    Rule(String),
    /// One category of AWS's quota table: exactly these actions of one service.
    Category {
        service: &'static str,
        actions: &'static [&'static str],
    },
}

#[derive(Debug)]
struct Bucket {
    takers: Takers,
    burst: u32,
    refill_per_second: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(takers: Takers, burst: u32, refill_per_second: f64, now: Instant) -> Self {
        Bucket {
            takers,
            burst,
            refill_per_second,
            tokens: f64::from(burst),
            last: now,
        }
    }

    fn takes(&self, service: &str, op: &str) -> bool {
        match &self.takers {
            Takers::Rule(action) => matches(action, service, op),
            Takers::Category {
                service: s,
                actions,
            } => *s == service && actions.contains(&op),
        }
    }

    /// Refills for the time since the last call, then takes a token if there is one.
    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.tokens =
            (self.tokens + elapsed * self.refill_per_second.max(0.0)).min(f64::from(self.burst));
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What the rules decide for one request.
#[derive(Debug, Default)]
pub struct Verdict {
    pub latency: Option<Duration>,
    pub error: Option<ApiError>,
}

/// Whether a rule's `action` (`Op`, `service:Op`, globs allowed) names this request.
fn matches(action: &str, service: &str, op: &str) -> bool {
    match action.split_once(':') {
        Some((svc, a)) => glob_match(svc, service) && glob_match(a, op),
        None => glob_match(action, op),
    }
}

impl Faults {
    pub fn new(world: &World) -> Self {
        let now = Instant::now();
        let preset = match world.throttling_preset {
            Some(ThrottlingPreset::Aws) => quotas::ECS,
            None => &[],
        };
        let categories = preset.iter().map(|c| {
            let takers = Takers::Category {
                service: "ecs",
                actions: c.actions,
            };
            Bucket::new(takers, c.burst, c.refill_per_second, now)
        });
        let rules = world.throttling.iter().map(|r| {
            let takers = Takers::Rule(r.action.clone());
            Bucket::new(takers, r.burst, r.refill_per_second, now)
        });
        Faults {
            buckets: categories.chain(rules).collect(),
            faults: world.faults.iter().map(|f| (f.clone(), 0)).collect(),
        }
    }

    /// Takes a token from every matching bucket and applies the matching faults.
    pub fn check(&mut self, service: &str, op: &str) -> Verdict {
        self.check_at(service, op, Instant::now())
    }

    /// [`Faults::check`] for a request at `now`.
    fn check_at(&mut self, service: &str, op: &str, now: Instant) -> Verdict {
        let mut verdict = Verdict::default();
        for bucket in &mut self.buckets {
            if bucket.takes(service, op) && !bucket.take(now) && verdict.error.is_none() {
                // The code and message of the API reference's request-throttling page.
                verdict.error = Some(ApiError::new("ThrottlingException", "Rate exceeded"));
            }
        }
        for (rule, count) in &mut self.faults {
            if !matches(&rule.action, service, op) {
                continue;
            }
            *count += 1;
            let affected = count.saturating_sub(rule.skip);
            if affected == 0 || rule.times.is_some_and(|t| affected > t) {
                continue;
            }
            if let Some(ms) = rule.latency_ms {
                verdict.latency =
                    Some(verdict.latency.unwrap_or_default() + Duration::from_millis(ms));
            }
            if let Some(status) = rule.status
                && verdict.error.is_none()
            {
                let code: std::borrow::Cow<'static, str> = match (rule.code.as_ref(), status) {
                    (Some(c), _) => c.clone().into(),
                    (None, 503) => "ServiceUnavailableException".into(),
                    (None, 429) => "ThrottlingException".into(),
                    (None, 500..=599) => "InternalFailure".into(),
                    (None, _) => "InvalidParameterException".into(),
                };
                verdict.error = Some(ApiError::with_status(
                    status,
                    code,
                    format!("Injected fault ({status}) on {service}:{op}"),
                ));
            }
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_throttles() {
        let world = World::from_yaml_str(
            "throttling: [{action: 'ecs:DescribeServices', burst: 2, refillPerSecond: 0}]",
        )
        .expect("world");
        let mut f = Faults::new(&world);
        assert!(f.check("ecs", "DescribeServices").error.is_none());
        assert!(f.check("ecs", "DescribeServices").error.is_none());
        let err = f.check("ecs", "DescribeServices").error.expect("throttled");
        assert_eq!(err.code, "ThrottlingException");
        assert!(f.check("ecs", "ListServices").error.is_none());
    }

    /// Amazon ECS API Reference, "Request throttling for the Amazon ECS API": the actions of a
    /// category share one bucket ("you cannot make 50 `DescribeClusters` and 50 `ListClusters`
    /// requests at the same time"); Cluster read actions: capacity 50, refill 20 per second.
    #[test]
    fn aws_preset_shares_one_bucket_per_category() {
        let world = World::from_yaml_str("throttlingPreset: aws").expect("world");
        let mut f = Faults::new(&world);
        let now = Instant::now();
        let throttled = (0..60)
            .filter(|i| {
                let op = if i % 2 == 0 {
                    "DescribeClusters"
                } else {
                    "ListClusters"
                };
                f.check_at("ecs", op, now).error.is_some()
            })
            .count();
        assert_eq!(throttled, 10, "50 from the shared bucket");
        // Another category, another bucket; another service, no quota at all.
        assert!(f.check_at("ecs", "DescribeServices", now).error.is_none());
        assert!(
            f.check_at("codedeploy", "ListClusters", now)
                .error
                .is_none()
        );
    }

    /// The same page: a bucket refills at its sustained rate until it is full again.
    #[test]
    fn aws_preset_bucket_refills_at_the_sustained_rate() {
        let world = World::from_yaml_str("throttlingPreset: aws").expect("world");
        let mut f = Faults::new(&world);
        let now = Instant::now();
        // Service modify actions: capacity 50, refill 5 per second.
        for _ in 0..50 {
            assert!(f.check_at("ecs", "UpdateService", now).error.is_none());
        }
        let err = f
            .check_at("ecs", "CreateService", now)
            .error
            .expect("throttled");
        assert_eq!(
            (err.code.as_ref(), err.message.as_str()),
            ("ThrottlingException", "Rate exceeded")
        );
        let later = now + Duration::from_millis(400);
        assert!(
            f.check_at("ecs", "DeleteService", later).error.is_none(),
            "two back after 0.4 s"
        );
        assert!(f.check_at("ecs", "DeleteService", later).error.is_none());
        assert!(f.check_at("ecs", "DeleteService", later).error.is_some());
    }

    #[test]
    fn fault_applies_only_the_first_times() {
        let world =
            World::from_yaml_str("faults: [{action: UpdateService, status: 503, times: 1}]")
                .expect("world");
        let mut f = Faults::new(&world);
        assert_eq!(
            f.check("ecs", "UpdateService").error.map(|e| e.status),
            Some(503)
        );
        assert!(f.check("ecs", "UpdateService").error.is_none());
    }

    #[test]
    fn fault_skips_the_first_calls_when_asked() {
        let world = World::from_yaml_str(
            "faults: [{action: DescribeServices, status: 503, skip: 2, times: 2}]",
        )
        .expect("world");
        let mut f = Faults::new(&world);
        let statuses: Vec<Option<u16>> = (0..5)
            .map(|_| f.check("ecs", "DescribeServices").error.map(|e| e.status))
            .collect();
        assert_eq!(statuses, vec![None, None, Some(503), Some(503), None]);
    }
}
