//! The HTTP side: a loopback HTTP/1.1 server that routes each request to a simulated service by
//! its `X-Amz-Target` header (awsJson 1.1); without one, a POST whose SigV4 credential scope
//! names ELBv2 (`…/elasticloadbalancing/aws4_request`) goes to ELBv2 (awsQuery: the action in
//! the form body, XML answers), anything else to S3 path-style GetObject; records
//! every request; applies throttling and injected faults; saves the state after each successful
//! mutating call.

use std::convert::Infallible;
use std::fs::File;
use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::clock::{Clock, real_now};
use crate::error::{ApiError, SimError};
use crate::faults::Faults;
use crate::state::{Ctx, State, StateFile};
use crate::{RequestRecord, SimConfig};

/// The running world, its clock, and the state file it is kept in.
pub(crate) struct Sim {
    pub state: State,
    pub clock: Clock,
    file: Option<StateFile>,
}

impl Sim {
    /// Takes the state file's lock (held until the returned file is dropped)
    /// and reads the state again when another process wrote it since.
    fn sync(&mut self) -> Result<Option<File>, SimError> {
        let Sim { state, file, .. } = self;
        let Some(file) = file else {
            return Ok(None);
        };
        let guard = file.lock()?;
        if file.changed_elsewhere() {
            *state = file.read(&state.rules)?;
        }
        Ok(Some(guard))
    }

    /// The world time now: the clock's, never behind what another process saved.
    fn now(&self) -> crate::clock::Epoch {
        self.clock.now().max(self.state.now)
    }

    /// Writes the state file (when there is one); call it holding the lock.
    fn write(&mut self) -> Result<(), SimError> {
        let Sim { state, file, .. } = self;
        match file {
            Some(file) => file.write(state),
            None => Ok(()),
        }
    }
}

/// Everything the connections share.
pub(crate) struct Shared {
    pub sim: Mutex<Sim>,
    pub requests: Mutex<Vec<RequestRecord>>,
    log_file: Option<Mutex<File>>,
    faults: Mutex<Faults>,
}

/// Locks a mutex, recovering the data if a handler panicked while holding it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn new(config: &SimConfig) -> Result<Shared, SimError> {
        // Two simulators started together on one file: the first seeds it, the second reads it.
        let mut file = config.state_file.clone().map(StateFile::new);
        let guard = file.as_ref().map(StateFile::lock).transpose()?;
        let state = match &mut file {
            Some(file) if file.exists() => file.read(&config.world)?,
            _ => State::seeded(&config.world),
        };
        // Resume the world clock where it stopped, plus the real time spent since, sped up.
        let away = (real_now() - state.saved_at).max(0.0);
        let clock = Clock::new(state.now + away * config.speed.max(0.0), config.speed);
        let log_file = match &config.request_log {
            Some(path) => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| SimError::RequestLog {
                        path: path.clone(),
                        source,
                    })?,
            )),
            None => None,
        };
        let mut sim = Sim { state, clock, file };
        let now = sim.now();
        sim.state.advance(now);
        sim.write()?;
        drop(guard);
        Ok(Shared {
            faults: Mutex::new(Faults::new(&config.world)),
            sim: Mutex::new(sim),
            requests: Mutex::new(Vec::new()),
            log_file,
        })
    }

    /// Saves the state file (when there is one), with what other processes
    /// saved in it since kept.
    pub(crate) fn save(&self) -> Result<(), SimError> {
        let mut sim = lock(&self.sim);
        let _guard = sim.sync()?;
        let now = sim.now();
        sim.state.advance(now);
        sim.write()
    }

    fn record(&self, record: RequestRecord) {
        if let Some(file) = &self.log_file
            && let Ok(mut line) = serde_json::to_vec(&record)
        {
            line.push(b'\n');
            if let Err(e) = lock(file).write_all(&line) {
                tracing::warn!("cannot write request log: {e}");
            }
        }
        lock(&self.requests).push(record);
    }

    /// Runs one awsJson call against the world.
    fn call(
        &self,
        service: &'static str,
        op: &str,
        body: &[u8],
        region: Option<String>,
        host: &str,
    ) -> Result<Vec<u8>, ApiError> {
        let mut sim = lock(&self.sim);
        let _guard = sim.sync().map_err(|e| {
            ApiError::with_status(
                500,
                "InternalFailure",
                format!("the simulator cannot read its state: {e}"),
            )
        })?;
        let now = sim.now();
        sim.state.advance(now);
        let ctx = Ctx {
            now,
            region: region.unwrap_or_else(|| sim.state.rules.region().to_owned()),
            account: sim.state.rules.account_id().to_owned(),
        };
        let state = &mut sim.state;
        let result = match service {
            "ecs" => crate::ecs::handle(state, &ctx, op, body),
            "application-autoscaling" => crate::autoscaling::handle(state, &ctx, op, body),
            "ssm" => crate::ssm::handle(state, &ctx, op, body),
            "secretsmanager" => crate::secrets::handle(state, op, body),
            "codedeploy" => crate::codedeploy::handle(state, &ctx, op, body),
            "logs" => crate::logs::handle(state, op, body),
            "ecr" => crate::images::handle_ecr(state, &ctx, op, body, host),
            _ => None,
        };
        let result = result.unwrap_or_else(|| {
            Err(ApiError::new(
                "UnknownOperationException",
                format!("The operation {op} is not supported by the ristretto simulator."),
            ))
        });
        if result.is_ok()
            && is_mutating(op)
            && let Err(e) = sim.write()
        {
            tracing::warn!("{e}");
        }
        result
    }
}

impl Shared {
    /// Runs one awsQuery call (ELBv2, IAM, STS) against the world; `request_id` goes into the
    /// answer. Their operations only read the world, so nothing is saved.
    fn call_query(
        &self,
        service: &str,
        op: &str,
        body: &[u8],
        region: Option<String>,
        request_id: &str,
    ) -> Result<Vec<u8>, ApiError> {
        let mut sim = lock(&self.sim);
        let now = sim.clock.now();
        sim.state.advance(now);
        let ctx = Ctx {
            now,
            region: region.unwrap_or_else(|| sim.state.rules.region().to_owned()),
            account: sim.state.rules.account_id().to_owned(),
        };
        match service {
            "iam" => crate::iam::handle_iam(&sim.state, &ctx, op, body, request_id),
            "sts" => crate::iam::handle_sts(&sim.state, &ctx, op, body, request_id),
            _ => crate::elbv2::handle(&mut sim.state, &ctx, op, body, request_id),
        }
    }
}

/// Read-only operations by AWS's naming convention.
fn is_mutating(op: &str) -> bool {
    !["Describe", "List", "Get", "BatchGet", "Head", "Filter"]
        .iter()
        .any(|p| op.starts_with(p))
}

/// The simulated service of an `X-Amz-Target` prefix.
fn service_of(prefix: &str) -> Option<&'static str> {
    Some(match prefix {
        "AmazonEC2ContainerServiceV20141113" => "ecs",
        "CodeDeploy_20141006" => "codedeploy",
        "AnyScaleFrontendService" => "application-autoscaling",
        "AmazonSSM" => "ssm",
        "secretsmanager" => "secretsmanager",
        "AmazonEC2ContainerRegistry_V20150921" => "ecr",
        "Logs_20140328" => "logs",
        _ => return None,
    })
}

/// The awsQuery service a SigV4 `Authorization` header's credential scope names
/// (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`), when the simulator serves it.
fn query_service_of(auth: &str) -> Option<&'static str> {
    let scope = auth.split("Credential=").nth(1)?;
    let scope = scope.split([',', ' ']).next()?;
    match scope.split('/').nth(3)? {
        "elasticloadbalancing" => Some("elasticloadbalancing"),
        "iam" => Some("iam"),
        "sts" => Some("sts"),
        _ => None,
    }
}

/// The region of a SigV4 `Authorization` header's credential scope.
fn region_of(auth: &str) -> Option<String> {
    let scope = auth.split("Credential=").nth(1)?;
    let scope = scope.split([',', ' ']).next()?;
    scope.split('/').nth(2).map(str::to_owned)
}

/// 128 bits that differ on every call: a per-process random key (std's `RandomState`) hashing a
/// counter, twice.
fn fresh_bits() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static KEY: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let key = KEY.get_or_init(std::collections::hash_map::RandomState::new);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let half = |salt: u64| {
        let mut h = key.build_hasher();
        h.write_u64(n);
        h.write_u64(salt);
        h.finish()
    };
    (u128::from(half(1)) << 64) | u128::from(half(2))
}

/// A fresh request ID shaped like AWS's awsJson ones (`x-amzn-RequestId`): a version 4 UUID,
/// different on every call (AWS answers each request with its own ID; the SDKs read it into
/// their error metadata and logs).
pub(crate) fn request_id() -> String {
    let bits = (fresh_bits() & !(0xf_u128 << 76) & !(0x3_u128 << 62))
        | (0x4_u128 << 76)
        | (0x2_u128 << 62);
    crate::state::uuid_form(&format!("{bits:032x}"))
}

/// S3's `x-amz-request-id`: 16 upper-case hex digits, fresh per call.
fn s3_request_id() -> String {
    format!("{:016X}", fresh_bits() as u64)
}

fn json_response(status: u16, body: Vec<u8>, error_code: Option<&str>) -> Response<Full<Bytes>> {
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amzn-requestid", request_id());
    if let Some(code) = error_code {
        builder = builder.header("x-amzn-errortype", code);
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let region = auth.as_deref().and_then(region_of);
    let host = req
        .headers()
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    let method = req.method().clone();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            let err = ApiError::serialization(format!("cannot read request body: {e}"));
            return Ok(json_response(400, err.json_body(), Some(&err.code)));
        }
    };

    let Some(target) = target else {
        if method == hyper::Method::POST
            && let Some(service) = auth.as_deref().and_then(query_service_of)
        {
            return Ok(query(&shared, service, body, region).await);
        }
        if crate::images::is_registry_path(&path) {
            return Ok(registry(&shared, &method, &path, bearer, &host));
        }
        return Ok(s3(&shared, &method, &path).await);
    };
    let (prefix, op) = target.split_once('.').unwrap_or((target.as_str(), ""));
    let service = service_of(prefix);
    let service_name = service.unwrap_or("unknown");
    let verdict = lock(&shared.faults).check(service_name, op);
    if let Some(latency) = verdict.latency {
        tokio::time::sleep(latency).await;
    }
    let result = match (verdict.error, service) {
        (Some(err), _) => Err(err),
        (None, Some(service)) => {
            let shared2 = Arc::clone(&shared);
            let op2 = op.to_owned();
            // The world is advanced and changed synchronously; keep it off the async workers.
            tokio::task::spawn_blocking(move || shared2.call(service, &op2, &body, region, &host))
                .await
                .unwrap_or_else(|e| {
                    Err(ApiError::with_status(500, "InternalFailure", e.to_string()))
                })
        }
        (None, None) => Err(ApiError::new(
            "UnknownOperationException",
            format!("Unknown target {target}"),
        )),
    };
    let (status, response) = match result {
        Ok(body) => (200, json_response(200, body, None)),
        Err(err) => (
            err.status,
            json_response(err.status, err.json_body_for(service_name), Some(&err.code)),
        ),
    };
    let error = (status != 200).then(|| {
        response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    });
    shared.record(RequestRecord {
        service: service_name.to_owned(),
        operation: op.to_owned(),
        mutating: is_mutating(op),
        status,
        error,
    });
    Ok(response)
}

/// An awsQuery call (ELBv2, IAM, STS): the action from the form body, an XML answer or
/// `ErrorResponse` in the service's namespace.
async fn query(
    shared: &Arc<Shared>,
    service: &'static str,
    body: Bytes,
    region: Option<String>,
) -> Response<Full<Bytes>> {
    let op = crate::elbv2::action_of(&body).unwrap_or_default();
    let verdict = lock(&shared.faults).check(service, &op);
    if let Some(latency) = verdict.latency {
        tokio::time::sleep(latency).await;
    }
    let request_id = request_id();
    let result = match verdict.error {
        Some(err) => Err(err),
        None => {
            let shared2 = Arc::clone(shared);
            let (op2, id2) = (op.clone(), request_id.clone());
            tokio::task::spawn_blocking(move || {
                shared2.call_query(service, &op2, &body, region, &id2)
            })
            .await
            .unwrap_or_else(|e| Err(ApiError::with_status(500, "InternalFailure", e.to_string())))
        }
    };
    let (status, body, error) = match result {
        Ok(body) => (200, body, None),
        Err(err) => (
            err.status,
            crate::elbv2::query::error_body_in(
                match service {
                    "iam" => crate::iam::IAM_NAMESPACE,
                    "sts" => crate::iam::STS_NAMESPACE,
                    _ => crate::elbv2::query::NAMESPACE,
                },
                &err,
                &request_id,
            )
            .into_bytes(),
            Some(err.code.into_owned()),
        ),
    };
    shared.record(RequestRecord {
        service: service.to_owned(),
        operation: op.clone(),
        mutating: is_mutating(&op),
        status,
        error,
    });
    Response::builder()
        .status(status)
        .header("content-type", "text/xml")
        .header("x-amzn-requestid", request_id)
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

/// A Docker Registry HTTP API v2 request ([`crate::images::registry`]).
fn registry(
    shared: &Shared,
    method: &hyper::Method,
    path: &str,
    authorized: bool,
    host: &str,
) -> Response<Full<Bytes>> {
    let head = method == hyper::Method::HEAD;
    let answer = {
        let sim = lock(&shared.sim);
        crate::images::registry(&sim.state, path, head, authorized, host)
    };
    let operation = if path.contains("/manifests/") {
        if head { "HeadManifest" } else { "GetManifest" }
    } else if path.contains("/blobs/") {
        "GetBlob"
    } else if path.starts_with(crate::images::TOKEN_PATH) {
        "GetToken"
    } else {
        "Ping"
    };
    shared.record(RequestRecord {
        service: "registry".to_owned(),
        operation: operation.to_owned(),
        mutating: false,
        status: answer.status,
        error: (answer.status >= 400).then(|| answer.status.to_string()),
    });
    let mut response = Response::builder().status(answer.status);
    for (name, value) in &answer.headers {
        response = response.header(*name, value);
    }
    response
        .body(Full::new(Bytes::from(answer.body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

async fn s3(shared: &Shared, method: &hyper::Method, path: &str) -> Response<Full<Bytes>> {
    let head = method == hyper::Method::HEAD;
    let verdict = lock(&shared.faults).check("s3", "GetObject");
    if let Some(latency) = verdict.latency {
        tokio::time::sleep(latency).await;
    }
    let (status, content_type, body, error) = if method != hyper::Method::GET && !head {
        (
            405,
            "application/xml",
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>MethodNotAllowed</Code><Message>The specified method is not allowed against this resource.</Message></Error>".to_vec(),
            Some("MethodNotAllowed".to_owned()),
        )
    } else if let Some(err) = verdict.error {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message></Error>",
            if err.code == "ThrottlingException" {
                "SlowDown"
            } else {
                &err.code
            },
            err.message
        );
        (
            if err.status == 400 { 503 } else { err.status },
            "application/xml",
            body.into_bytes(),
            Some(err.code.into_owned()),
        )
    } else {
        let sim = lock(&shared.sim);
        let r = crate::s3::get_object(&sim.state, path, head);
        (
            r.status,
            r.content_type,
            r.body,
            r.error_code.map(str::to_owned),
        )
    };
    shared.record(RequestRecord {
        service: "s3".to_owned(),
        operation: if head { "HeadObject" } else { "GetObject" }.to_owned(),
        mutating: false,
        status,
        error,
    });
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-amz-request-id", s3_request_id())
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

/// Binds the listening socket.
pub(crate) async fn bind(addr: SocketAddr) -> Result<TcpListener, SimError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Bind { addr, source })
}

/// Accepts connections until `shutdown` completes, then lets open requests finish and saves.
pub(crate) async fn run(
    shared: Arc<Shared>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), SimError> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let shared = Arc::clone(&shared);
                let service = service_fn(move |req| handle(Arc::clone(&shared), req));
                let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!("connection ended: {e}");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), graceful.shutdown()).await;
    shared.save()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_comes_from_the_credential_scope() {
        let auth = "AWS4-HMAC-SHA256 Credential=test/20261122/eu-west-1/ecs/aws4_request, SignedHeaders=host, Signature=x";
        assert_eq!(region_of(auth).as_deref(), Some("eu-west-1"));
    }

    // AWS answers every request with its own x-amzn-RequestId, a UUID (API reference, Common
    // Parameters / the SDKs' `aws_request_id`).
    #[test]
    fn request_ids_are_fresh_version_4_uuids() {
        let ids: Vec<String> = (0..100).map(|_| request_id()).collect();
        for id in &ids {
            let parts: Vec<&str> = id.split('-').collect();
            assert_eq!(
                parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12],
                "{id}"
            );
            assert!(parts[2].starts_with('4'), "version 4: {id}");
            assert!(
                matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'),
                "RFC 4122 variant: {id}"
            );
            assert!(id.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()));
        }
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
        assert_eq!(s3_request_id().len(), 16);
    }

    // ELBv2 speaks awsQuery: no X-Amz-Target; the service is the SigV4 scope's fourth part.
    #[test]
    fn elbv2_is_recognised_by_its_credential_scope() {
        let elb = "AWS4-HMAC-SHA256 Credential=test/20261122/us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=x";
        assert_eq!(query_service_of(elb), Some("elasticloadbalancing"));
        let s3 = "AWS4-HMAC-SHA256 Credential=test/20261122/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x";
        assert_eq!(query_service_of(s3), None);
    }

    #[test]
    fn reads_are_not_mutating() {
        assert!(!is_mutating("DescribeServices"));
        assert!(!is_mutating("ListTasks"));
        assert!(is_mutating("UpdateService"));
    }
}
