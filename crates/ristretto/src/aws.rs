//! The one place that configures AWS access: region, profile, assumed role,
//! endpoint, credentials for the local simulator, retries. Everything else
//! receives ready clients.
//!
//! Retries: each call is tried at most [`MAX_ATTEMPTS`] times, with the
//! SDK's standard jittered back-off capped at [`MAX_BACKOFF`], so a throttled
//! or refused call costs seconds, not a minute (the SDK's adaptive mode with
//! ten attempts stretched two throttled polls to 28 s, and a refused
//! connection to about a minute). Waits do not depend on it: the poll loop
//! (`ristretto_core::poll`) looks again after a failed look until the timeout.
//!
//! ECS calls are paced to stay inside AWS's request quotas, and a throttled
//! ECS call is sent again quietly ([`crate::quota`]).

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;

use crate::settings::Settings;

/// Region used with `--local` when nothing else names one.
pub const LOCAL_REGION: &str = "us-east-1";

/// Tries per call, the first included.
pub const MAX_ATTEMPTS: u32 = 3;
/// The longest pause between two tries of one call.
pub const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// The longest one try may take (connecting, sending, reading the answer):
/// a server that accepts and never answers must not hold a wait past its
/// timeout.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long connecting may take (the SDK's own default, kept when the
/// attempt timeout is set).
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// The retry configuration of every client.
#[must_use]
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_max_backoff(MAX_BACKOFF)
}

/// Every AWS client ristretto uses, sharing one configuration.
#[derive(Debug, Clone)]
pub struct Clients {
    /// ECS.
    pub ecs: aws_sdk_ecs::Client,
    /// CodeDeploy.
    pub codedeploy: aws_sdk_codedeploy::Client,
    /// Application Auto Scaling.
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    /// SSM Parameter Store (the `ssm` template function).
    pub ssm: aws_sdk_ssm::Client,
    /// Secrets Manager (the `secretsmanager_arn` template function).
    pub secrets: aws_sdk_secretsmanager::Client,
    /// CloudFormation (`cfn_output`, `cfn_export`).
    pub cloudformation: aws_sdk_cloudformation::Client,
    /// S3 (`tfstate` from `s3://`).
    pub s3: aws_sdk_s3::Client,
    /// CloudWatch Logs (`logs`, `run`'s log lines).
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// ELBv2 (a deployment wait reads its target groups' health checks and drain).
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    /// The region the clients talk to, when known.
    pub region: Option<String>,
    /// Read calls made by the ECS, CodeDeploy and ELBv2 clients.
    pub reads: ReadCounter,
}

/// Counts the read calls (`Describe*`, `List*`, `Get*`, `BatchGet*`) of the clients it is
/// added to: a deployment wait keeps the whole command within its read budget
/// ([`ristretto_core::poll::READS_PER_MINUTE`]), the reads before the wait included.
#[derive(Debug, Clone, Default)]
pub struct ReadCounter(std::sync::Arc<std::sync::atomic::AtomicU32>);

impl ReadCounter {
    /// Read calls so far.
    #[must_use]
    pub fn get(&self) -> u32 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl aws_smithy_runtime_api::client::interceptors::Intercept for ReadCounter {
    fn name(&self) -> &'static str {
        "ReadCounter"
    }

    // Once per operation, retries included, and after the operation's configuration (its
    // name) is in the bag: `read_before_execution` runs before that for client interceptors.
    fn read_before_serialization(
        &self,
        _context: &aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef<'_>,
        _components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let read = cfg
            .load::<aws_smithy_runtime_api::client::orchestrator::Metadata>()
            .is_some_and(|m| {
                ["Describe", "List", "Get", "BatchGet"]
                    .iter()
                    .any(|p| m.name().starts_with(p))
            });
        if read {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    }
}

/// Where requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// AWS itself (or `--endpoint-url` / `AWS_ENDPOINT_URL*`).
    Aws,
    /// The local simulator at this URL, with dummy credentials.
    Local(String),
}

impl Clients {
    /// Builds the clients. Region: `--region`, else the config's, else the
    /// standard AWS chain (`AWS_REGION`, profile).
    pub async fn new(settings: &Settings, config_region: Option<&str>, target: &Target) -> Self {
        let sdk = sdk_config(settings, config_region, target).await;
        let path_style = matches!(target, Target::Local(_)) || settings.endpoint_url.is_some();
        let s3 = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(path_style)
            .build();
        let reads = ReadCounter::default();
        Self {
            ecs: ecs_client(&sdk, &reads),
            codedeploy: aws_sdk_codedeploy::Client::from_conf(
                aws_sdk_codedeploy::config::Builder::from(&sdk)
                    .interceptor(reads.clone())
                    .build(),
            ),
            autoscaling: aws_sdk_applicationautoscaling::Client::new(&sdk),
            ssm: aws_sdk_ssm::Client::new(&sdk),
            secrets: aws_sdk_secretsmanager::Client::new(&sdk),
            cloudformation: aws_sdk_cloudformation::Client::new(&sdk),
            s3: aws_sdk_s3::Client::from_conf(s3),
            logs: aws_sdk_cloudwatchlogs::Client::new(&sdk),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::from_conf(
                aws_sdk_elasticloadbalancingv2::config::Builder::from(&sdk)
                    .interceptor(reads.clone())
                    .build(),
            ),
            region: sdk.region().map(ToString::to_string),
            reads,
        }
    }
}

/// The ECS client: its calls paced by the run's shared quota buckets
/// ([`crate::quota`]), whose connector also times each try (so that waiting
/// for a token does not count against [`ATTEMPT_TIMEOUT`]). The SDK's
/// stalled-upload check is off for it: it counts a request waiting for its
/// token as a stalled upload (ECS requests are small JSON bodies, sent within
/// the attempt timeout once they leave); the check of answers stays on.
fn ecs_client(sdk: &SdkConfig, reads: &ReadCounter) -> aws_sdk_ecs::Client {
    let region = sdk.region().map_or("", |r| r.as_ref());
    let build = |sdk: &SdkConfig| {
        aws_sdk_ecs::Client::from_conf(
            aws_sdk_ecs::config::Builder::from(sdk)
                .interceptor(reads.clone())
                .build(),
        )
    };
    let Some(paced) = crate::quota::http_client(region) else {
        return build(sdk);
    };
    let sdk = sdk
        .to_builder()
        .http_client(paced)
        .stalled_stream_protection(
            StalledStreamProtectionConfig::enabled()
                .upload_enabled(false)
                .build(),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .build(),
        )
        .build();
    build(&sdk)
}

/// The region the clients of a config talk to, as far as it is known without
/// calling anything: `--region`, else the config's, else `AWS_REGION` /
/// `AWS_DEFAULT_REGION`, else the profile's (`--profile` / `AWS_PROFILE`),
/// else, with `--local`, the simulator's. `render config` shows it, as
/// ecspresso prints the region it will use.
pub async fn region(
    settings: &Settings,
    config_region: Option<&str>,
    target: &Target,
) -> Option<String> {
    use aws_config::meta::region::RegionProviderChain;
    if let Some(region) = settings.region.as_deref().or(config_region) {
        return Some(region.to_owned());
    }
    let mut profile = aws_config::profile::ProfileFileRegionProvider::builder();
    if let Some(name) = &settings.profile {
        profile = profile.profile_name(name);
    }
    let chain = RegionProviderChain::first_try(
        aws_config::environment::region::EnvironmentVariableRegionProvider::new(),
    )
    .or_else(profile.build());
    chain
        .region()
        .await
        .map(|r| r.to_string())
        .or_else(|| matches!(target, Target::Local(_)).then(|| LOCAL_REGION.to_owned()))
}

/// The AWS configuration every client is built from (for drivers that build their own
/// clients, such as `verify`, which needs them in several regions and as another role).
pub async fn sdk_config(
    settings: &Settings,
    config_region: Option<&str>,
    target: &Target,
) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .build(),
        );
    let region = settings
        .region
        .clone()
        .or_else(|| config_region.map(str::to_owned));
    if let Some(region) = region {
        loader = loader.region(Region::new(region));
    }
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    match target {
        Target::Local(url) => {
            loader = loader
                .endpoint_url(url)
                .credentials_provider(Credentials::new(
                    "local",
                    "local",
                    None,
                    None,
                    "ristretto-local",
                ));
        }
        Target::Aws => {
            if let Some(url) = &settings.endpoint_url {
                loader = loader.endpoint_url(url);
            }
        }
    }
    let mut sdk = loader.load().await;
    if sdk.region().is_none() && matches!(target, Target::Local(_)) {
        sdk = sdk.into_builder().region(Region::new(LOCAL_REGION)).build();
    }
    if let (Some(role), Target::Aws) = (&settings.assume_role_arn, target) {
        let provider = aws_config::sts::AssumeRoleProvider::builder(role)
            .session_name("ristretto")
            .configure(&sdk)
            .build()
            .await;
        sdk = sdk
            .into_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
    }
    sdk
}

/// The SSM endpoint URL of a config's clients, for AWS's `session-manager-plugin` (`exec`),
/// which makes SSM calls of its own: the endpoint given for SSM (`--local`, `--endpoint-url`,
/// `AWS_ENDPOINT_URL_SSM`, `AWS_ENDPOINT_URL`), else the region's own (FIPS and dual-stack as
/// configured), as the SDK resolves it. An `endpoint_url` set in the shared config file's profile
/// is not read here.
///
/// # Errors
/// No region, or one the SDK's endpoint rules refuse.
pub async fn ssm_endpoint(
    settings: &Settings,
    config_region: Option<&str>,
    target: &Target,
) -> Result<String, String> {
    use aws_sdk_ssm::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
    let sdk = sdk_config(settings, config_region, target).await;
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let given = match target {
        Target::Local(url) => Some(url.clone()),
        Target::Aws => settings.endpoint_url.clone().or_else(|| {
            let ignored = from_env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            (!ignored)
                .then(|| from_env("AWS_ENDPOINT_URL_SSM"))
                .flatten()
                .or_else(|| sdk.endpoint_url().map(str::to_owned))
        }),
    };
    let region = sdk
        .region()
        .map(ToString::to_string)
        .ok_or("no region: set --region, `region` in the config, or AWS_REGION")?;
    let params = Params::builder()
        .region(region)
        .use_fips(sdk.use_fips().unwrap_or(false))
        .use_dual_stack(sdk.use_dual_stack().unwrap_or(false))
        .set_endpoint(given)
        .build()
        .map_err(|e| e.to_string())?;
    let resolver = DefaultResolver::new();
    ResolveEndpoint::resolve_endpoint(&resolver, &params)
        .await
        .map(|endpoint| endpoint.url().to_owned())
        .map_err(|e| e.to_string())
}
