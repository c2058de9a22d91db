//! Deliberate misbehaviour from the world file: throttling token buckets and injected
//! errors or latency. Both run on *real* time, like AWS's quotas, whatever the world speed.

use std::time::{Duration, Instant};

use crate::error::ApiError;
use crate::world::{FaultRule, ThrottleRule, World, glob_match};

/// Throttle buckets and fault counters of one running simulator.
#[derive(Debug)]
pub struct Faults {
    buckets: Vec<(ThrottleRule, Bucket)>,
    faults: Vec<(FaultRule, u32)>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
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
        Faults {
            buckets: world
                .throttling
                .iter()
                .map(|r| {
                    (
                        r.clone(),
                        Bucket {
                            tokens: f64::from(r.burst),
                            last: now,
                        },
                    )
                })
                .collect(),
            faults: world.faults.iter().map(|f| (f.clone(), 0)).collect(),
        }
    }

    /// Takes a token from every matching bucket and applies the matching faults.
    pub fn check(&mut self, service: &str, op: &str) -> Verdict {
        let mut verdict = Verdict::default();
        let now = Instant::now();
        for (rule, bucket) in &mut self.buckets {
            if !matches(&rule.action, service, op) {
                continue;
            }
            let elapsed = now.duration_since(bucket.last).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * rule.refill_per_second.max(0.0))
                .min(f64::from(rule.burst));
            bucket.last = now;
            if bucket.tokens >= 1.0 {
                bucket.tokens -= 1.0;
            } else if verdict.error.is_none() {
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
