//! Keeps one run's ECS calls inside AWS's request quotas, so that a hundred
//! services deployed at once are not throttled and a throttled call never
//! reaches the user as an error.
//!
//! ECS throttles each account per Region with one token bucket per category
//! of actions ([`ECS_QUOTAS`]). Every ECS client of a run sends through one
//! [`Pacer`] per Region, shared by all its services: a call waits for its
//! category's token before it leaves (a client-side bucket sized below AWS's,
//! so that other callers of the account keep a share), and a call AWS
//! throttles anyway (the account's bucket was emptied by someone else) is
//! sent again once the category's bucket allows it, with the category's rate
//! halved, then restored as calls succeed. Waits and quiet retries are
//! counted; `--debug` prints them at the end of the run.
//!
//! The pacing sits in the HTTP connector of the ECS client because it is the
//! only place of the SDK's request pipeline where a call can wait without
//! blocking (interceptors are synchronous and the retry strategy cannot be
//! replaced through the service config). The connector therefore also owns
//! the time limit of one try ([`crate::aws::ATTEMPT_TIMEOUT`]), counted from
//! when the call leaves, not from when it started waiting for its token.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_sdk_ecs::config::{HttpClient, SharedHttpClient};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;

/// One category of ECS actions: they share one bucket of `burst` tokens
/// refilled at `refill_per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quota {
    /// The category's name, as AWS's table names it.
    pub name: &'static str,
    /// Its actions.
    pub actions: &'static [&'static str],
    /// The bucket's maximum capacity (AWS's "burst rate").
    pub burst: u32,
    /// The bucket's refill rate per second (AWS's "sustained rate").
    pub refill_per_second: f64,
}

const fn quota(
    name: &'static str,
    actions: &'static [&'static str],
    burst: u32,
    refill_per_second: f64,
) -> Quota {
    Quota {
        name,
        actions,
        burst,
        refill_per_second,
    }
}

/// The ECS request quotas of the categories ristretto calls, every Region alike.
///
/// Source: Amazon ECS API Reference, "Request throttling for the Amazon ECS
/// API" (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html>),
/// section "Request Token Bucket Sizes and Refill Rates": the bucket size is
/// the burst rate, the refill rate the sustained rate, per account and Region.
/// Actions the table does not list (task sets, for example) are not paced.
pub const ECS_QUOTAS: &[Quota] = &[
    quota(
        "Cluster read actions",
        &["DescribeClusters", "ListClusters"],
        50,
        20.0,
    ),
    quota(
        "Task definition modify actions",
        &["DeregisterTaskDefinition", "RegisterTaskDefinition"],
        20,
        1.0,
    ),
    quota(
        "Task definition read actions",
        &[
            "DescribeTaskDefinition",
            "ListTaskDefinitions",
            "ListTaskDefinitionFamilies",
        ],
        50,
        20.0,
    ),
    quota(
        "Task definition deletion actions",
        &["DeleteTaskDefinitions"],
        5,
        1.0,
    ),
    quota(
        "Capacity provider read actions",
        &["DescribeCapacityProviders"],
        50,
        20.0,
    ),
    quota(
        "Tag modify actions",
        &["TagResource", "UntagResource"],
        20,
        10.0,
    ),
    quota("Tag read actions", &["ListTagsForResource"], 50, 20.0),
    quota(
        "Cluster resource modify actions",
        &["ExecuteCommand", "RunTask", "StartTask", "StopTask"],
        100,
        40.0,
    ),
    quota(
        "Cluster resource read actions",
        &[
            "DescribeContainerInstances",
            "DescribeTasks",
            "ListAttributes",
            "ListContainerInstances",
            "ListTasks",
        ],
        100,
        20.0,
    ),
    quota(
        "Service modify actions",
        &["CreateService", "DeleteService", "UpdateService"],
        50,
        5.0,
    ),
    quota(
        "Service read actions",
        &["DescribeServices", "ListServices"],
        100,
        20.0,
    ),
    quota(
        "Service deployment actions",
        &["DescribeServiceDeployments", "ListServiceDeployments"],
        50,
        20.0,
    ),
    quota(
        "Service revision actions",
        &["DescribeServiceRevisions"],
        50,
        20.0,
    ),
];

/// The share of a category's bucket one run takes: half its burst and 80 %
/// of its refill rate, leaving the rest to the account's other callers (other
/// pipelines, the console, auto scaling).
const BURST_SHARE: f64 = 0.5;
const REFILL_SHARE: f64 = 0.8;
/// After a throttle the category's rate is halved, down to this share of its
/// own rate at most; each success gives back this share of it.
const SLOWEST_SHARE: f64 = 1.0 / 16.0;
const RECOVERY_SHARE: f64 = 1.0 / 20.0;
/// How many times one call is sent again after AWS throttled it, before the
/// throttle is handed to the SDK's own retries.
const RESENDS: u32 = 8;

/// The quota category of an ECS action.
#[must_use]
pub fn category(action: &str) -> Option<&'static Quota> {
    ECS_QUOTAS.iter().find(|q| q.actions.contains(&action))
}

/// A client-side token bucket. Tokens may go below zero: a call takes its
/// token at once and waits until the bucket would have held it, so calls
/// leave in the order they came.
#[derive(Debug, Clone)]
struct Bucket {
    tokens: f64,
    capacity: f64,
    /// The refill rate without throttles.
    nominal: f64,
    /// The refill rate now (lower after throttles).
    rate: f64,
    last: Instant,
}

impl Bucket {
    fn new(quota: &Quota, now: Instant) -> Self {
        let capacity = (f64::from(quota.burst) * BURST_SHARE).floor().max(1.0);
        let nominal = quota.refill_per_second * REFILL_SHARE;
        Self {
            tokens: capacity,
            capacity,
            nominal,
            rate: nominal,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.last = self.last.max(now);
    }

    /// Takes one token; how long the call must wait for it.
    fn take(&mut self, now: Instant) -> Duration {
        self.refill(now);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }

    /// AWS throttled a call: the account's bucket is empty, so is ours; the
    /// rate halves.
    fn throttled(&mut self, now: Instant) {
        self.refill(now);
        self.tokens = self.tokens.min(0.0);
        self.rate = (self.rate / 2.0).max(self.nominal * SLOWEST_SHARE);
    }

    fn succeeded(&mut self) {
        self.rate = (self.rate + self.nominal * RECOVERY_SHARE).min(self.nominal);
    }
}

/// What one run's pacing did, for `--debug`.
#[derive(Debug, Default)]
pub struct Stats {
    calls: AtomicU64,
    delayed: AtomicU64,
    waited_ms: AtomicU64,
    throttled: AtomicU64,
    given_up: AtomicU64,
}

/// The client-side buckets of one Region, shared by every ECS client of the run.
#[derive(Debug, Default)]
pub struct Pacer {
    buckets: Mutex<HashMap<&'static str, Bucket>>,
    stats: Stats,
}

impl Pacer {
    /// Takes a token of `quota`'s category: how long to wait before sending.
    fn take(&self, quota: &'static Quota, now: Instant) -> Duration {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        buckets
            .entry(quota.name)
            .or_insert_with(|| Bucket::new(quota, now))
            .take(now)
    }

    fn update(&self, quota: &'static Quota, now: Instant, throttled: bool) {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets
            .entry(quota.name)
            .or_insert_with(|| Bucket::new(quota, now));
        if throttled {
            bucket.throttled(now);
        } else {
            bucket.succeeded();
        }
    }

    /// One line on what the pacing did, when any ECS call was made.
    #[must_use]
    pub fn summary(&self) -> Option<String> {
        let load = |n: &AtomicU64| n.load(Ordering::Relaxed);
        let calls = load(&self.stats.calls);
        (calls > 0).then(|| {
            format!(
                "ECS calls: {calls}; {} waited for the client-side quota ({:.1} s in all); \
                 throttled by AWS and sent again: {}; throttles handed to the SDK's retries: {}",
                load(&self.stats.delayed),
                Duration::from_millis(load(&self.stats.waited_ms)).as_secs_f64(),
                load(&self.stats.throttled),
                load(&self.stats.given_up),
            )
        })
    }
}

/// A Region's pacer and the HTTP client that sends through it.
type Paced = (Arc<Pacer>, Option<SharedHttpClient>);

/// The pacers of this process, one per Region (AWS's buckets are per account
/// and Region; configs of one run in one Region share an account or not, and
/// sharing is the careful guess).
fn pacers() -> &'static Mutex<HashMap<String, Paced>> {
    static PACERS: OnceLock<Mutex<HashMap<String, Paced>>> = OnceLock::new();
    PACERS.get_or_init(Mutex::default)
}

/// The paced HTTP client of the ECS clients of `region` (one per Region, so
/// they also share their connections); `None` when the SDK has no default
/// HTTP client to pace.
pub fn http_client(region: &str) -> Option<SharedHttpClient> {
    let mut pacers = pacers()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    pacers
        .entry(region.to_owned())
        .or_insert_with(|| {
            let pacer = Arc::new(Pacer::default());
            let client = default_http_client().map(|inner| {
                SharedHttpClient::new(PacedClient {
                    inner,
                    pacer: Arc::clone(&pacer),
                })
            });
            (pacer, client)
        })
        .1
        .clone()
}

/// What the pacing of every Region did in this run, for `--debug`.
pub fn summaries() -> Vec<String> {
    let pacers = pacers()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut lines: Vec<String> = pacers
        .iter()
        .filter_map(|(region, (pacer, _))| pacer.summary().map(|s| format!("{region}: {s}")))
        .collect();
    lines.sort();
    lines
}

/// The SDK's own default HTTPS client (the one a client gets when none is set).
fn default_http_client() -> Option<SharedHttpClient> {
    use aws_sdk_ecs::config::{BehaviorVersion, RuntimeComponentsBuilder, RuntimePlugin};
    let plugin = aws_smithy_runtime::client::defaults::default_http_client_plugin_v2(
        BehaviorVersion::latest(),
    )?;
    plugin
        .runtime_components(&RuntimeComponentsBuilder::new("ristretto pacing"))
        .http_client()
}

#[derive(Debug)]
struct PacedClient {
    inner: SharedHttpClient,
    pacer: Arc<Pacer>,
}

impl HttpClient for PacedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.inner.http_connector(settings, components),
            pacer: Arc::clone(&self.pacer),
            attempt_timeout: crate::aws::ATTEMPT_TIMEOUT,
        })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    pacer: Arc<Pacer>,
    /// How long one try may take once it leaves.
    attempt_timeout: Duration,
}

/// The ECS action of a request: ECS speaks AWS JSON 1.1, which names the
/// action in the `X-Amz-Target` header (`AmazonEC2ContainerServiceV20141113.DescribeServices`).
fn action(request: &HttpRequest) -> Option<&str> {
    request
        .headers()
        .get("x-amz-target")
        .and_then(|t| t.rsplit_once('.'))
        .map(|(_, action)| action)
}

/// Whether an answer is AWS throttling the call: the `ThrottlingException`
/// error code ECS documents (in the `X-Amzn-ErrorType` header or the body's
/// `__type`, either possibly qualified), or HTTP 429.
fn is_throttle(status: u16, error_type: Option<&str>, body: &[u8]) -> bool {
    if status == 429 {
        return true;
    }
    if status != 400 {
        return false;
    }
    let code = |raw: &str| {
        let unqualified = raw.rsplit_once('#').map_or(raw, |(_, c)| c);
        unqualified
            .split_once(':')
            .map_or(unqualified, |(c, _)| c)
            .trim()
            .to_owned()
    };
    let from_body = || {
        serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("__type").and_then(|t| t.as_str()).map(code))
    };
    error_type.map(code).or_else(from_body).as_deref() == Some("ThrottlingException")
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let pacer = Arc::clone(&self.pacer);
        let limit = self.attempt_timeout;
        HttpConnectorFuture::new(async move {
            let Some(quota) = action(&request).and_then(category) else {
                return send(&inner, request, limit).await;
            };
            pacer.stats.calls.fetch_add(1, Ordering::Relaxed);
            let mut request = request;
            let mut resends = 0;
            loop {
                let wait = pacer.take(quota, Instant::now());
                if !wait.is_zero() {
                    pacer.stats.delayed.fetch_add(1, Ordering::Relaxed);
                    pacer.stats.waited_ms.fetch_add(
                        u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        Ordering::Relaxed,
                    );
                    tokio::time::sleep(wait).await;
                }
                let again = (resends < RESENDS).then(|| request.try_clone()).flatten();
                let response = send(&inner, request, limit).await?;
                let throttled = is_throttle(
                    response.status().as_u16(),
                    response.headers().get("x-amzn-errortype"),
                    response.body().bytes().unwrap_or_default(),
                );
                pacer.update(quota, Instant::now(), throttled);
                if !throttled {
                    return Ok(response);
                }
                match again {
                    Some(next) => {
                        pacer.stats.throttled.fetch_add(1, Ordering::Relaxed);
                        resends += 1;
                        request = next;
                    }
                    None => {
                        pacer.stats.given_up.fetch_add(1, Ordering::Relaxed);
                        return Ok(response);
                    }
                }
            }
        })
    }
}

/// Sends one try and reads its whole answer within `limit`.
async fn send(
    inner: &SharedHttpConnector,
    request: HttpRequest,
    limit: Duration,
) -> Result<aws_smithy_runtime_api::client::orchestrator::HttpResponse, ConnectorError> {
    let attempt = async {
        let mut response = inner.call(request).await?;
        let body = response.take_body();
        let bytes = aws_smithy_types::byte_stream::ByteStream::new(body)
            .collect()
            .await
            .map_err(|e| ConnectorError::io(Box::new(e)))?
            .into_bytes();
        *response.body_mut() = SdkBody::from(bytes);
        Ok(response)
    };
    match tokio::time::timeout(limit, attempt).await {
        Ok(result) => result,
        Err(elapsed) => Err(ConnectorError::timeout(Box::new(elapsed))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: Instant, seconds: f64) -> Instant {
        start + Duration::from_secs_f64(seconds)
    }

    // Source: ECS API Reference, "Request throttling for the Amazon ECS API": the service
    // modify actions (CreateService, UpdateService, DeleteService) share a bucket of 50
    // refilled at 5 per second; our share is 25 and 4 per second.
    #[test]
    fn a_category_lets_its_share_of_the_burst_through_then_paces_at_its_share_of_the_refill() {
        let quota = category("UpdateService").expect("listed");
        assert_eq!(category("CreateService"), Some(quota));
        assert_eq!((quota.burst, quota.refill_per_second), (50, 5.0));
        let start = Instant::now();
        let mut bucket = Bucket::new(quota, start);
        for _ in 0..25 {
            assert_eq!(bucket.take(start), Duration::ZERO);
        }
        let waits: Vec<f64> = (0..4).map(|_| bucket.take(start).as_secs_f64()).collect();
        for (i, wait) in waits.iter().enumerate() {
            let expected = (i + 1) as f64 / 4.0;
            assert!((wait - expected).abs() < 1e-6, "{waits:?}");
        }
        // A second later four tokens came back, all promised already: the next waits 1.25 s.
        assert!((bucket.take(at(start, 1.0)).as_secs_f64() - 0.25).abs() < 1e-6);
    }

    #[test]
    fn a_throttle_empties_the_bucket_and_halves_its_rate_until_calls_succeed() {
        let quota = category("DescribeServices").expect("listed");
        let start = Instant::now();
        let mut bucket = Bucket::new(quota, start);
        assert_eq!(bucket.take(start), Duration::ZERO);
        bucket.throttled(start);
        assert!((bucket.rate - 8.0).abs() < 1e-9, "16 per second halved");
        assert!((bucket.take(start).as_secs_f64() - 1.0 / 8.0).abs() < 1e-6);
        for _ in 0..10 {
            bucket.throttled(start);
        }
        assert!((bucket.rate - 1.0).abs() < 1e-9, "never below a sixteenth");
        for _ in 0..100 {
            bucket.succeeded();
        }
        assert!((bucket.rate - 16.0).abs() < 1e-9, "back to its share");
    }

    #[test]
    fn actions_outside_the_table_are_not_paced() {
        assert!(category("CreateTaskSet").is_none());
        assert!(category("RegisterTaskDefinition").is_some_and(|q| q.refill_per_second == 1.0));
        let mut seen = std::collections::BTreeSet::new();
        for quota in ECS_QUOTAS {
            for action in quota.actions {
                assert!(seen.insert(*action), "{action} in two categories");
            }
        }
    }

    // The reasoning behind `--parallel`'s default (see `DEFAULT_PARALLEL`): a full batch
    // starts within the smallest burst of the categories a deploy writes, and its polls (at
    // most 10 reads per minute per service, issue 17) stay within a sixth of DescribeServices'
    // sustained rate.
    #[test]
    fn the_default_parallel_fits_the_write_bursts_and_a_sixth_of_the_read_rate() {
        let parallel = crate::settings::DEFAULT_PARALLEL;
        let smallest_write_burst = ["RegisterTaskDefinition", "UpdateService", "CreateService"]
            .iter()
            .filter_map(|a| category(a))
            .map(|q| q.burst)
            .min()
            .expect("listed");
        assert_eq!(smallest_write_burst, 20);
        assert!(parallel <= smallest_write_burst as usize);
        let reads_per_second = parallel as f64 * 10.0 / 60.0;
        let describe = category("DescribeServices").expect("listed");
        assert!(reads_per_second <= describe.refill_per_second / 6.0 + 1e-9);
    }

    /// An inner connector answering from a script: `Some((status, body))`, or
    /// `None` for a server that accepts and never answers.
    #[derive(Debug, Default)]
    struct Scripted {
        answers: Mutex<std::collections::VecDeque<Option<(u16, &'static str)>>>,
        calls: AtomicU64,
    }

    #[derive(Debug)]
    struct ScriptedConnector(Arc<Scripted>);

    impl HttpConnector for ScriptedConnector {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            self.0.calls.fetch_add(1, Ordering::Relaxed);
            let answer = self
                .0
                .answers
                .lock()
                .expect("lock")
                .pop_front()
                .expect("scripted");
            HttpConnectorFuture::new(async move {
                let Some((status, body)) = answer else {
                    return std::future::pending().await;
                };
                let status =
                    aws_smithy_runtime_api::http::StatusCode::try_from(status).expect("status");
                Ok(
                    aws_smithy_runtime_api::client::orchestrator::HttpResponse::new(
                        status,
                        SdkBody::from(body),
                    ),
                )
            })
        }
    }

    fn paced(answers: Vec<Option<(u16, &'static str)>>) -> (PacedConnector, Arc<Scripted>) {
        let scripted = Arc::new(Scripted {
            answers: Mutex::new(answers.into()),
            calls: AtomicU64::new(0),
        });
        let connector = PacedConnector {
            inner: SharedHttpConnector::new(ScriptedConnector(Arc::clone(&scripted))),
            pacer: Arc::new(Pacer::default()),
            attempt_timeout: Duration::from_millis(200),
        };
        (connector, scripted)
    }

    fn describe_services() -> HttpRequest {
        let mut request = HttpRequest::new(SdkBody::from("{}"));
        request.headers_mut().insert(
            "x-amz-target",
            "AmazonEC2ContainerServiceV20141113.DescribeServices",
        );
        request
    }

    const THROTTLED: &str = r#"{"__type": "ThrottlingException", "message": "Rate exceeded"}"#;

    // ECS API Reference, "Request throttling for the Amazon ECS API": a throttled call gets
    // `ThrottlingException`; the SDK sees only the answer that finally came through.
    #[tokio::test]
    async fn a_throttled_call_is_sent_again_and_only_its_answer_reaches_the_sdk() {
        let (connector, scripted) = paced(vec![
            Some((400, THROTTLED)),
            Some((400, THROTTLED)),
            Some((200, r#"{"services": []}"#)),
        ]);
        let response = connector.call(describe_services()).await.expect("answered");
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.body().bytes(), Some(&br#"{"services": []}"#[..]));
        assert_eq!(scripted.calls.load(Ordering::Relaxed), 3);
        let summary = connector.pacer.summary().expect("calls made");
        assert!(summary.contains("ECS calls: 1;"), "{summary}");
        assert!(summary.contains("sent again: 2;"), "{summary}");
    }

    #[tokio::test]
    async fn past_its_resends_a_throttle_is_handed_to_the_sdk() {
        let answers = (0..=RESENDS).map(|_| Some((400, THROTTLED))).collect();
        let (connector, scripted) = paced(answers);
        // Fast refills, so that the test does not wait for the halved rates.
        connector.pacer.take(
            category("DescribeServices").expect("listed"),
            Instant::now(),
        );
        connector
            .pacer
            .buckets
            .lock()
            .expect("lock")
            .values_mut()
            .for_each(|b| b.nominal = 10_000.0);
        let response = connector.call(describe_services()).await.expect("answered");
        assert_eq!(response.status().as_u16(), 400);
        assert_eq!(
            scripted.calls.load(Ordering::Relaxed),
            u64::from(RESENDS) + 1
        );
        let summary = connector.pacer.summary().expect("calls made");
        assert!(
            summary.contains("handed to the SDK's retries: 1"),
            "{summary}"
        );
    }

    // A server that accepts and never answers must not hold a call: the try times out (and the
    // SDK retries it as a transient error).
    #[tokio::test]
    async fn a_try_that_gets_no_answer_times_out() {
        let (connector, _) = paced(vec![None]);
        let error = connector
            .call(describe_services())
            .await
            .expect_err("no answer");
        assert!(error.is_timeout(), "{error:?}");
    }

    #[test]
    fn throttles_are_told_by_error_code_not_by_message() {
        let body = br#"{"__type": "ThrottlingException", "message": "Rate exceeded"}"#;
        assert!(is_throttle(400, None, body));
        assert!(is_throttle(
            400,
            Some("com.amazonaws.ecs#ThrottlingException:http://internal"),
            b""
        ));
        assert!(is_throttle(429, None, b""));
        let other = br#"{"__type": "InvalidParameterException", "message": "Rate exceeded"}"#;
        assert!(!is_throttle(400, None, other));
        assert!(!is_throttle(500, None, body));
    }
}
