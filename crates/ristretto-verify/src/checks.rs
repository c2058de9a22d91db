//! The checks, in ecspresso's order: the task definition (roles, then each container's image,
//! secrets, log configuration, environment files, ports), the service definition (network
//! configuration, load balancers, health check grace period), the cluster.

use aws_config::{Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_ecs::types::{
    ContainerDefinition, CpuArchitecture, LaunchType, LogDriver, NetworkMode, OsFamily,
};
use ristretto_core::aws_error::AwsError;
use serde_json::Value;

use crate::images::{self, Platform, aws_reason};
use crate::{Cache, Check, Notes, Options, Subject, Verdict};

/// The principal task and execution roles must trust (ECS developer guide, "Task IAM role" and
/// "Task execution IAM role": trust relationship with `ecs-tasks.amazonaws.com`).
const ECS_TASKS: &str = "ecs-tasks.amazonaws.com";

pub(crate) struct Runner<'a> {
    /// The caller's configuration: IAM, ECS, ELBv2.
    caller: SdkConfig,
    /// The execution role's when it could be assumed, else the caller's: images, secrets,
    /// logs, environment files (what ECS reads with that role).
    execution: SdkConfig,
    subject: &'a Subject<'a>,
    options: &'a Options,
    cache: &'a Cache,
    /// An NG was found and `keep_going` is off: every later check is left out.
    stopped: bool,
}

impl<'a> Runner<'a> {
    pub(crate) async fn new(
        sdk: &SdkConfig,
        subject: &'a Subject<'a>,
        options: &'a Options,
        cache: &'a Cache,
        notes: &mut Notes,
    ) -> Runner<'a> {
        let execution = match subject.task_definition.execution_role_arn() {
            Some(arn) if !arn.is_empty() => assume(sdk, arn, notes).await,
            _ => sdk.clone(),
        };
        Runner {
            caller: sdk.clone(),
            execution,
            subject,
            options,
            cache,
            stopped: false,
        }
    }

    pub(crate) async fn run(mut self, notes: &mut Notes) -> Vec<Check> {
        let mut tree = vec![self.task_definition(notes).await];
        if !self.stopped {
            match self.subject.service {
                Some(_) => tree.push(self.service_definition().await),
                None => tree.push(Check::leaf(
                    "ServiceDefinition",
                    Verdict::Skip("the config has no service definition".to_owned()),
                )),
            }
        }
        if !self.stopped {
            tree.push(self.cluster().await);
        }
        tree
    }

    /// Records a finished check: after an NG, nothing more runs unless `keep_going`.
    fn done(&mut self, check: Check) -> Check {
        if matches!(check.verdict, Verdict::Ng(_)) && !self.options.keep_going {
            self.stopped = true;
        }
        check
    }

    /// A cached check: the verdict of an earlier identical check, or `run`'s.
    async fn cached(
        &mut self,
        name: String,
        key: String,
        run: impl AsyncFnOnce(&Self) -> Verdict,
    ) -> Check {
        if let Some(verdict) = self.cache.get(&key) {
            let mut check = Check::leaf(name, verdict);
            check.cached = true;
            return self.done(check);
        }
        let verdict = run(self).await;
        self.cache.put(key, &verdict);
        self.done(Check::leaf(name, verdict))
    }

    async fn task_definition(&mut self, notes: &mut Notes) -> Check {
        let td = self.subject.task_definition;
        let mut children = Vec::new();
        if let Some(arn) = td.execution_role_arn().filter(|a| !a.is_empty()) {
            children.push(self.role("ExecutionRole", arn).await);
        }
        if let Some(arn) = td.task_role_arn().filter(|a| !a.is_empty())
            && !self.stopped
        {
            children.push(self.role("TaskRole", arn).await);
        }
        let platform = self.platform();
        for container in td.container_definitions() {
            if self.stopped {
                break;
            }
            let check = self.container(container, platform.as_ref(), notes).await;
            children.push(check);
        }
        let name = format!("TaskDefinition[{}]", td.family().unwrap_or_default());
        Check::group(name, children)
    }

    async fn role(&mut self, kind: &str, arn: &str) -> Check {
        let name = format!("{kind}[{arn}]");
        self.cached(name, format!("role {arn}"), async |r: &Self| {
            role_verdict(&r.caller, arn).await
        })
        .await
    }

    /// The platform the task runs on, when verify can know it: Fargate runs linux/amd64
    /// unless `runtimePlatform` says otherwise (ECS developer guide, "Fargate task
    /// definition": `runtimePlatform`); on EC2 only `runtimePlatform` says.
    fn platform(&self) -> Option<Platform> {
        let td = self.subject.task_definition;
        let runtime = td.runtime_platform();
        let fargate = td
            .requires_compatibilities()
            .iter()
            .map(|c| c.as_str())
            .eq(["FARGATE"])
            || self.subject.service.is_some_and(|s| {
                s.launch_type() == Some(&LaunchType::Fargate)
                    || s.platform_version().is_some()
                    || s.capacity_provider_strategy()
                        .iter()
                        .any(|c| c.capacity_provider().starts_with("FARGATE"))
            });
        if runtime.is_none() && !fargate {
            return None;
        }
        let architecture = match runtime.and_then(|r| r.cpu_architecture()) {
            Some(CpuArchitecture::Arm64) => "arm64",
            _ => "amd64",
        };
        let os = match runtime.and_then(|r| r.operating_system_family()) {
            Some(f) if *f != OsFamily::Linux => "windows",
            _ => "linux",
        };
        Some(Platform {
            os: os.to_owned(),
            architecture: architecture.to_owned(),
        })
    }

    async fn container(
        &mut self,
        c: &ContainerDefinition,
        platform: Option<&Platform>,
        notes: &mut Notes,
    ) -> Check {
        let mut children = Vec::new();
        if let Some(image) = c.image() {
            let private = c.repository_credentials().is_some();
            let name = format!("Image[{image}]");
            let key = format!("image {image} {platform:?}");
            let check = self
                .cached(name, key, async |r: &Self| {
                    images::check(&r.execution, &r.options.registry, image, platform, private).await
                })
                .await;
            children.push(check);
        }
        for secret in c.secrets() {
            if self.stopped {
                break;
            }
            let name = format!("Secret {}[{}]", secret.name(), secret.value_from());
            if !self.options.get_secrets {
                let skip = Check::leaf(name, Verdict::Skip("--no-get-secrets".to_owned()));
                children.push(skip);
                continue;
            }
            let from = secret.value_from().to_owned();
            let check = self
                .cached(name, format!("secret {from}"), async |r: &Self| {
                    secret_verdict(&r.execution, &from).await
                })
                .await;
            children.push(check);
        }
        if let Some(log) = c.log_configuration()
            && !self.stopped
        {
            let check = self.log_configuration(c, log, notes).await;
            children.push(check);
        }
        for file in c.environment_files() {
            if self.stopped {
                break;
            }
            let kind = file.r#type().as_str();
            let name = format!("EnvironmentFile[{kind} {}]", file.value());
            let value = file.value().to_owned();
            let check = self
                .cached(name, format!("envfile {value}"), async |r: &Self| {
                    environment_file_verdict(&r.execution, &value).await
                })
                .await;
            children.push(check);
        }
        if !self.stopped
            && self.subject.task_definition.network_mode() == Some(&NetworkMode::Awsvpc)
        {
            let wrong: Vec<String> = c
                .port_mappings()
                .iter()
                .filter(|p| p.host_port().is_some_and(|h| Some(h) != p.container_port()))
                .map(|p| {
                    format!(
                        "hostPort {} differs from containerPort {}",
                        p.host_port().unwrap_or_default(),
                        p.container_port().unwrap_or_default()
                    )
                })
                .collect();
            if !c.port_mappings().is_empty() {
                // RegisterTaskDefinition reference, PortMapping.hostPort: with awsvpc it must
                // be left out or equal containerPort.
                let verdict = match wrong.first() {
                    Some(w) => Verdict::Ng(format!(
                        "{w}: in awsvpc mode leave hostPort out or make it equal"
                    )),
                    None => Verdict::Ok,
                };
                let check = self.done(Check::leaf("PortMappings", verdict));
                children.push(check);
            }
        }
        Check::group(
            format!("ContainerDefinition[{}]", c.name().unwrap_or_default()),
            children,
        )
    }

    async fn log_configuration(
        &mut self,
        c: &ContainerDefinition,
        log: &aws_sdk_ecs::types::LogConfiguration,
        notes: &mut Notes,
    ) -> Check {
        let driver = log.log_driver().as_str().to_owned();
        let name = format!("LogConfiguration[{driver}]");
        if *log.log_driver() != LogDriver::Awslogs {
            return Check::leaf(
                name,
                Verdict::Skip(format!("only awslogs is verified, not {driver}")),
            );
        }
        let options = log.options();
        let option = |k: &str| options.and_then(|o| o.get(k)).map(String::as_str);
        // ECS developer guide, "Using the awslogs log driver": awslogs-group and
        // awslogs-region are required (the region is optional only on Fargate, where it
        // defaults to the task's region; verify asks for it as ecspresso does).
        let (Some(group), Some(region)) = (option("awslogs-group"), option("awslogs-region"))
        else {
            let verdict = Verdict::Ng(
                "awslogs needs `awslogs-group` and `awslogs-region` in `options`".to_owned(),
            );
            return self.done(Check::leaf(name, verdict));
        };
        let create = option("awslogs-create-group") == Some("true");
        let stream = format!(
            "{}{}/ristretto-verify-{}",
            option("awslogs-stream-prefix").map_or(String::new(), |p| format!("{p}/")),
            c.name().unwrap_or_default(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        );
        let key = format!("logs {region} {group} {}", self.options.put_logs);
        let (group, region) = (group.to_owned(), region.to_owned());
        let check = self
            .cached(name, key, async |r: &Self| {
                logs_verdict(
                    &r.execution,
                    &group,
                    &region,
                    create,
                    r.options.put_logs.then_some(stream.as_str()),
                )
                .await
            })
            .await;
        if matches!(check.verdict, Verdict::Ok) && self.options.put_logs && !check.cached {
            notes.push(format!(
                "wrote one line to log group {group} in {region}, stream {stream}"
            ));
        }
        check
    }

    async fn service_definition(&mut self) -> Check {
        let Some(service) = self.subject.service else {
            return Check::leaf("ServiceDefinition", Verdict::Skip("none".to_owned()));
        };
        let td = self.subject.task_definition;
        let mut children = Vec::new();
        if td.network_mode() == Some(&NetworkMode::Awsvpc) {
            // CreateService reference, networkConfiguration: required for awsvpc task
            // definitions.
            let verdict = if service
                .network_configuration()
                .and_then(|n| n.awsvpc_configuration())
                .is_some()
            {
                Verdict::Ok
            } else {
                Verdict::Ng(
                    "the task definition uses awsvpc; add `networkConfiguration.awsvpcConfiguration` (subnets, security groups)"
                        .to_owned(),
                )
            };
            let check = self.done(Check::leaf("NetworkConfiguration", verdict));
            children.push(check);
        }
        for (i, lb) in service.load_balancers().iter().enumerate() {
            if self.stopped {
                break;
            }
            let name = format!("LoadBalancer[{i}]");
            let verdict = match lb.target_group_arn() {
                Some(arn) => {
                    let arn = arn.to_owned();
                    let found = {
                        let key = format!("targetgroup {arn}");
                        match self.cache.get(&key) {
                            Some(v) => v,
                            None => {
                                let v = target_group_verdict(&self.caller, &arn).await;
                                self.cache.put(key, &v);
                                v
                            }
                        }
                    };
                    match found {
                        Verdict::Ok => {
                            container_port_verdict(td, lb.container_name(), lb.container_port())
                        }
                        other => other,
                    }
                }
                None => Verdict::Skip(
                    "a Classic Load Balancer (loadBalancerName) is not verified".to_owned(),
                ),
            };
            let check = self.done(Check::leaf(name, verdict));
            children.push(check);
        }
        if !self.stopped && service.health_check_grace_period_seconds().is_some() {
            // CreateService reference, healthCheckGracePeriodSeconds: it applies to Elastic Load
            // Balancing, VPC Lattice and container health checks; without any of them it is
            // accepted but has no effect.
            let has_checks = !service.load_balancers().is_empty()
                || !service.vpc_lattice_configurations().is_empty()
                || td
                    .container_definitions()
                    .iter()
                    .any(|c| c.health_check().is_some());
            let verdict = if has_checks {
                Verdict::Ok
            } else {
                Verdict::Ng(
                    "it has no effect: the service has no load balancer, no VPC Lattice target and no container health check; remove it or add a health check"
                        .to_owned(),
                )
            };
            let check = self.done(Check::leaf("HealthCheckGracePeriodSeconds", verdict));
            children.push(check);
        }
        Check::group("ServiceDefinition", children)
    }

    async fn cluster(&mut self) -> Check {
        let cluster = self.subject.cluster.to_owned();
        let name = format!("Cluster[{cluster}]");
        self.cached(name, format!("cluster {cluster}"), async |r: &Self| {
            cluster_verdict(&r.caller, &cluster).await
        })
        .await
    }
}

/// The execution role's configuration, when the caller may assume it; otherwise the
/// caller's, with a note (ecspresso does the same).
async fn assume(sdk: &SdkConfig, arn: &str, notes: &mut Notes) -> SdkConfig {
    let sts = aws_sdk_sts::Client::new(sdk);
    match sts
        .assume_role()
        .role_arn(arn)
        .role_session_name("ristretto-verify")
        .send()
        .await
    {
        Ok(out) => match out.credentials() {
            Some(c) => {
                notes.push(format!(
                    "verifying images, secrets and logs as the execution role {arn}"
                ));
                let creds = Credentials::new(
                    c.access_key_id(),
                    c.secret_access_key(),
                    Some(c.session_token().to_owned()),
                    None,
                    "ristretto-verify",
                );
                sdk.to_builder()
                    .credentials_provider(SharedCredentialsProvider::new(creds))
                    .build()
            }
            None => sdk.clone(),
        },
        Err(e) => {
            let e = AwsError::from_sdk("AssumeRole", e);
            notes.push(format!(
                "cannot assume the execution role {arn} ({}); verifying with the current credentials",
                aws_reason(&e)
            ));
            sdk.clone()
        }
    }
}

/// IAM: the role exists and its trust policy lets `ecs-tasks.amazonaws.com` assume it.
async fn role_verdict(sdk: &SdkConfig, arn: &str) -> Verdict {
    let Some(name) = arn
        .split(":role/")
        .nth(1)
        .and_then(|p| p.rsplit('/').next())
    else {
        return Verdict::Ng(format!(
            "`{arn}` is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
        ));
    };
    let iam = aws_sdk_iam::Client::new(sdk);
    let out = match iam.get_role().role_name(name).send().await {
        Ok(out) => out,
        Err(e) => {
            let e = AwsError::from_sdk("GetRole", e);
            return match e.code.as_deref() {
                Some("NoSuchEntity") => Verdict::Ng(format!("role `{name}` does not exist")),
                _ => Verdict::Ng(aws_reason(&e)),
            };
        }
    };
    let document = out
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .unwrap_or_default();
    // IAM returns the trust policy URL-encoded (IAM API reference, Role).
    let decoded = percent_encoding::percent_decode_str(document).decode_utf8_lossy();
    if trusts_ecs_tasks(&decoded) {
        Verdict::Ok
    } else {
        Verdict::Ng(format!(
            "its trust policy does not let {ECS_TASKS} assume it: add a statement with Effect Allow, Principal {{\"Service\": \"{ECS_TASKS}\"}} and Action sts:AssumeRole"
        ))
    }
}

/// Whether a trust policy has an Allow statement for `sts:AssumeRole` by `ecs-tasks`.
fn trusts_ecs_tasks(policy: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<Value>(policy) else {
        return false;
    };
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };
    let statements = match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        single @ Value::Object(_) => vec![single.clone()],
        _ => Vec::new(),
    };
    statements.iter().any(|s| {
        s["Effect"] == "Allow"
            && list(&s["Principal"]["Service"])
                .iter()
                .any(|p| p == ECS_TASKS)
            && list(&s["Action"])
                .iter()
                .any(|a| a == "sts:AssumeRole" || a == "sts:*" || a == "*")
    })
}

/// A secret's `valueFrom`: a Secrets Manager ARN (with an optional JSON key, version stage
/// and version ID after it), or an SSM parameter name or ARN (ECS developer guide,
/// "Pass sensitive data to an Amazon ECS container").
async fn secret_verdict(sdk: &SdkConfig, value_from: &str) -> Verdict {
    let parts: Vec<&str> = value_from.split(':').collect();
    if value_from.starts_with("arn:") && parts.get(2) == Some(&"secretsmanager") {
        if parts.len() < 7 {
            return Verdict::Ng(format!(
                "`{value_from}` is not a Secrets Manager secret ARN"
            ));
        }
        let arn = parts[..7].join(":");
        let field = |i: usize| parts.get(i).copied().filter(|s| !s.is_empty());
        let (key, stage, version) = (field(7), field(8), field(9));
        let region = parts[3];
        let config = aws_sdk_secretsmanager::config::Builder::from(sdk)
            .region(Region::new(region.to_owned()))
            .build();
        let client = aws_sdk_secretsmanager::Client::from_conf(config);
        let out = match client
            .get_secret_value()
            .secret_id(&arn)
            .set_version_stage(stage.map(str::to_owned))
            .set_version_id(version.map(str::to_owned))
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let e = AwsError::from_sdk("GetSecretValue", e);
                return match e.code.as_deref() {
                    Some("ResourceNotFoundException") => {
                        Verdict::Ng(format!("secret `{arn}` does not exist ({})", e.message))
                    }
                    _ => Verdict::Ng(aws_reason(&e)),
                };
            }
        };
        let Some(key) = key else {
            return Verdict::Ok;
        };
        let value: Option<Value> = out
            .secret_string()
            .and_then(|s| serde_json::from_str(s).ok());
        return match value {
            Some(Value::Object(map)) if map.contains_key(key) => Verdict::Ok,
            Some(Value::Object(map)) => {
                let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                Verdict::Ng(format!(
                    "secret `{arn}` has no JSON key `{key}` (it has: {})",
                    keys.join(", ")
                ))
            }
            _ => Verdict::Ng(format!(
                "secret `{arn}` is not a JSON object, so it has no key `{key}`"
            )),
        };
    }
    // SSM: a name, or an ARN whose region names where the parameter lives.
    let (name, region) = if value_from.starts_with("arn:") {
        let Some((_, name)) = value_from.split_once(":parameter") else {
            return Verdict::Ng(format!(
                "`{value_from}` is neither a Secrets Manager secret nor an SSM parameter ARN"
            ));
        };
        (name.to_owned(), parts.get(3).map(|r| (*r).to_owned()))
    } else {
        (value_from.to_owned(), None)
    };
    let mut config = aws_sdk_ssm::config::Builder::from(sdk);
    if let Some(region) = region {
        config = config.region(Region::new(region));
    }
    let client = aws_sdk_ssm::Client::from_conf(config.build());
    match client
        .get_parameters()
        .names(&name)
        .with_decryption(true)
        .send()
        .await
    {
        Ok(out) if out.invalid_parameters().is_empty() && !out.parameters().is_empty() => {
            Verdict::Ok
        }
        Ok(_) => Verdict::Ng(format!("SSM parameter `{name}` does not exist")),
        Err(e) => Verdict::Ng(aws_reason(&AwsError::from_sdk("GetParameters", e))),
    }
}

/// awslogs: the log group exists (or `awslogs-create-group` lets ECS create it), and with
/// `stream`, a line can be written to it.
async fn logs_verdict(
    sdk: &SdkConfig,
    group: &str,
    region: &str,
    create: bool,
    stream: Option<&str>,
) -> Verdict {
    let config = aws_sdk_cloudwatchlogs::config::Builder::from(sdk)
        .region(Region::new(region.to_owned()))
        .build();
    let logs = aws_sdk_cloudwatchlogs::Client::from_conf(config);
    let exists = match logs
        .describe_log_groups()
        .log_group_name_prefix(group)
        .send()
        .await
    {
        Ok(out) => out
            .log_groups()
            .iter()
            .any(|g| g.log_group_name() == Some(group)),
        Err(e) => return Verdict::Ng(aws_reason(&AwsError::from_sdk("DescribeLogGroups", e))),
    };
    if !exists {
        return if create {
            Verdict::Skip(format!(
                "log group {group} does not exist yet; ECS creates it (awslogs-create-group), so the write is not tried"
            ))
        } else {
            Verdict::Ng(format!(
                "log group {group} does not exist in {region}: create it, or set `awslogs-create-group: \"true\"` (the execution role then needs logs:CreateLogGroup)"
            ))
        };
    }
    let Some(stream) = stream else {
        return Verdict::Ok;
    };
    if let Err(e) = logs
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await
    {
        return Verdict::Ng(format!(
            "cannot create a log stream in {group}: {}",
            aws_reason(&AwsError::from_sdk("CreateLogStream", e))
        ));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let event = aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
        .timestamp(now)
        .message("This is a verify message by ristretto")
        .build();
    let event = match event {
        Ok(e) => e,
        Err(e) => return Verdict::Ng(format!("cannot build a log event: {e}")),
    };
    match logs
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .log_events(event)
        .send()
        .await
    {
        Ok(_) => Verdict::Ok,
        Err(e) => Verdict::Ng(format!(
            "cannot write to {group}: {}",
            aws_reason(&AwsError::from_sdk("PutLogEvents", e))
        )),
    }
}

/// An S3 environment file (`arn:aws:s3:::bucket/key`) exists (ECS developer guide, "Pass
/// environment variables from a file").
async fn environment_file_verdict(sdk: &SdkConfig, value: &str) -> Verdict {
    let Some((bucket, key)) = value
        .strip_prefix("arn:aws:s3:::")
        .or_else(|| value.strip_prefix("arn:aws-cn:s3:::"))
        .or_else(|| value.strip_prefix("arn:aws-us-gov:s3:::"))
        .and_then(|p| p.split_once('/'))
    else {
        return Verdict::Ng(format!(
            "`{value}` is not an S3 object ARN (arn:aws:s3:::BUCKET/KEY)"
        ));
    };
    let s3 = aws_sdk_s3::Client::new(sdk);
    match s3.head_object().bucket(bucket).key(key).send().await {
        Ok(_) => Verdict::Ok,
        Err(e) => {
            let e = AwsError::from_sdk("HeadObject", e);
            if e.status == Some(404) || e.code.as_deref() == Some("NotFound") {
                Verdict::Ng(format!("s3://{bucket}/{key} does not exist"))
            } else {
                Verdict::Ng(aws_reason(&e))
            }
        }
    }
}

/// ELBv2: the target group exists.
async fn target_group_verdict(sdk: &SdkConfig, arn: &str) -> Verdict {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(sdk);
    match elb
        .describe_target_groups()
        .target_group_arns(arn)
        .send()
        .await
    {
        Ok(out) if !out.target_groups().is_empty() => Verdict::Ok,
        Ok(_) => Verdict::Ng(format!("target group {arn} does not exist")),
        Err(e) => {
            let e = AwsError::from_sdk("DescribeTargetGroups", e);
            match e.code.as_deref() {
                Some("TargetGroupNotFound") => {
                    Verdict::Ng(format!("target group {arn} does not exist"))
                }
                _ => Verdict::Ng(aws_reason(&e)),
            }
        }
    }
}

/// The load balancer's container and port are a container of the task definition and one of
/// its port mappings (CreateService reference, LoadBalancer: containerName, containerPort).
fn container_port_verdict(
    td: &aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput,
    name: Option<&str>,
    port: Option<i32>,
) -> Verdict {
    let name = name.unwrap_or_default();
    let Some(container) = td
        .container_definitions()
        .iter()
        .find(|c| c.name() == Some(name))
    else {
        let names: Vec<&str> = td
            .container_definitions()
            .iter()
            .filter_map(|c| c.name())
            .collect();
        return Verdict::Ng(format!(
            "containerName `{name}` is not a container of the task definition (it has: {})",
            names.join(", ")
        ));
    };
    let ports: Vec<i32> = container
        .port_mappings()
        .iter()
        .filter_map(|p| p.container_port())
        .collect();
    match port {
        Some(p) if !ports.contains(&p) => Verdict::Ng(format!(
            "containerPort {p} is not a port mapping of container `{name}` (it maps: {})",
            ports
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => Verdict::Ok,
    }
}

/// ECS: the cluster exists and is ACTIVE.
async fn cluster_verdict(sdk: &SdkConfig, cluster: &str) -> Verdict {
    let ecs = aws_sdk_ecs::Client::new(sdk);
    match ecs.describe_clusters().clusters(cluster).send().await {
        Ok(out) => match out.clusters().first() {
            Some(c) if c.status() == Some("ACTIVE") => Verdict::Ok,
            Some(c) => Verdict::Ng(format!(
                "cluster {cluster} is {}",
                c.status().unwrap_or("not active")
            )),
            None => Verdict::Ng(format!(
                "cluster {cluster} does not exist: create it, or set `cluster` in the config"
            )),
        },
        Err(e) => Verdict::Ng(aws_reason(&AwsError::from_sdk("DescribeClusters", e))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ECS developer guide, "Task execution IAM role": the trust relationship names the
    // `ecs-tasks.amazonaws.com` service principal with sts:AssumeRole.
    #[test]
    fn trust_policies_are_read_in_every_shape_iam_allows() {
        let single = r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;
        assert!(trusts_ecs_tasks(single));
        let lists = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"]},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#;
        assert!(trusts_ecs_tasks(lists));
        let ec2 = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        assert!(!trusts_ecs_tasks(ec2));
        let deny = r#"{"Statement":[{"Effect":"Deny","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        assert!(!trusts_ecs_tasks(deny));
    }
}
