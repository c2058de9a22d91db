//! Elastic Load Balancing v2 (`elasticloadbalancing`, API version 2015-12-01), served over its
//! own wire protocol, awsQuery ([`query`]): DescribeTargetGroups, DescribeTargetHealth and
//! DescribeTargetGroupAttributes.
//!
//! Target groups come from the world file (`targetGroups:`), with AWS's defaults for what it
//! omits ([`TargetGroup`]); they are read again on every start, like the other rules. Their
//! targets are the service tasks registered in them ([`targets`]). A target group that a
//! service names but the world does not describe is not modelled: its tasks are never
//! registered anywhere and count as soon as they are otherwise healthy (the simulator's
//! behaviour before target groups existed), and this API answers `TargetGroupNotFound` for it.
//! No load balancers, listeners or rules are modelled; target groups list no load balancer.

pub mod query;
pub mod targets;

use crate::ecs::EcsState;
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};
use crate::world::{TargetGroupSeed, World};

use query::{Params, leaf, response};
use targets::TaskTarget;

pub use query::{action_of, error_body};

/// A target group with every default filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetGroup {
    pub name: String,
    pub arn: String,
    pub port: i32,
    pub protocol: String,
    pub target_type: String,
    pub health_check_protocol: String,
    pub health_check_port: String,
    pub health_check_path: Option<String>,
    pub interval: u32,
    pub timeout: u32,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
    pub matcher: Option<String>,
    pub deregistration_delay: u32,
}

const PROTOCOLS: [&str; 7] = ["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE"];

impl TargetGroup {
    /// Checks a world file entry against CreateTargetGroup's constraints (ELBv2 API reference,
    /// CreateTargetGroup; TargetGroupAttribute for the deregistration delay).
    pub fn check(seed: &TargetGroupSeed) -> Result<(), String> {
        let name = &seed.name;
        // CreateTargetGroup `Name`: at most 32 alphanumeric characters or hyphens, not
        // beginning or ending with a hyphen.
        if name.is_empty()
            || name.len() > 32
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            || name.starts_with('-')
            || name.ends_with('-')
        {
            return Err(
                "name: at most 32 letters, digits or hyphens, not beginning or ending with a hyphen"
                    .to_owned(),
            );
        }
        if let Some(arn) = &seed.arn
            && !(arn.starts_with("arn:") && arn.contains(":targetgroup/"))
        {
            return Err(format!(
                "arn `{arn}` is not a target group ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID)"
            ));
        }
        if let Some(p) = &seed.protocol
            && !PROTOCOLS.contains(&p.as_str())
        {
            return Err(format!("protocol `{p}`: one of {}", PROTOCOLS.join(", ")));
        }
        if let Some(t) = &seed.target_type
            && t != "ip"
            && t != "instance"
        {
            return Err(format!(
                "targetType `{t}`: `ip` or `instance` (lambda and alb targets are not simulated)"
            ));
        }
        if let Some(port) = seed.port
            && !(1..=65535).contains(&port)
        {
            return Err(format!("port {port}: between 1 and 65535"));
        }
        if let Some(d) = seed.deregistration_delay_seconds
            && d > 3600
        {
            return Err(format!(
                "deregistrationDelaySeconds {d}: between 0 and 3600"
            ));
        }
        let hc = seed.health_check.clone().unwrap_or_default();
        for (key, value, range) in [
            ("intervalSeconds", hc.interval_seconds, 5..=300),
            ("timeoutSeconds", hc.timeout_seconds, 2..=120),
            ("healthyThresholdCount", hc.healthy_threshold_count, 2..=10),
            (
                "unhealthyThresholdCount",
                hc.unhealthy_threshold_count,
                2..=10,
            ),
        ] {
            if let Some(v) = value
                && !range.contains(&v)
            {
                return Err(format!(
                    "healthCheck.{key} {v}: between {} and {}",
                    range.start(),
                    range.end()
                ));
            }
        }
        if let Some(p) = &hc.protocol
            && !["HTTP", "HTTPS", "TCP"].contains(&p.as_str())
        {
            return Err(format!("healthCheck.protocol `{p}`: HTTP, HTTPS or TCP"));
        }
        Ok(())
    }

    /// The group a world file entry describes, with AWS's defaults (ELBv2 API reference,
    /// CreateTargetGroup): protocol HTTP and port 80 (both required by the API; the world
    /// file may omit them), target type `instance`; health checks over HTTP for HTTP(S) groups
    /// and TCP otherwise, on the traffic port, every 30 s (10 s for GENEVE), timeout 6 s for
    /// HTTP, 5 s for GENEVE and 10 s otherwise, healthy after 5 and unhealthy after 2 checks
    /// (3 and 3 for GENEVE), path `/` and matcher `200` for HTTP(S) checks; TargetGroupAttribute:
    /// `deregistration_delay.timeout_seconds` 300. The ARN, when absent, is derived from the
    /// name: `arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/` and 16 hex digits
    /// of a hash of the name (stable across runs).
    pub fn resolve(seed: &TargetGroupSeed, region: &str, account: &str) -> TargetGroup {
        let protocol = seed.protocol.clone().unwrap_or_else(|| "HTTP".to_owned());
        let geneve = protocol == "GENEVE";
        let hc = seed.health_check.clone().unwrap_or_default();
        let health_check_protocol = hc.protocol.clone().unwrap_or_else(|| {
            if protocol.starts_with("HTTP") {
                "HTTP".to_owned()
            } else {
                "TCP".to_owned()
            }
        });
        let http_check = health_check_protocol.starts_with("HTTP");
        let arn = seed.arn.clone().unwrap_or_else(|| {
            format!(
                "arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{}/{:016x}",
                seed.name,
                fnv1a(seed.name.as_bytes())
            )
        });
        TargetGroup {
            name: seed.name.clone(),
            arn,
            port: seed.port.unwrap_or(80),
            target_type: seed
                .target_type
                .clone()
                .unwrap_or_else(|| "instance".to_owned()),
            health_check_port: hc
                .port
                .clone()
                .unwrap_or_else(|| if geneve { "80" } else { "traffic-port" }.to_owned()),
            health_check_path: http_check
                .then(|| hc.path.clone().unwrap_or_else(|| "/".to_owned())),
            interval: hc.interval_seconds.unwrap_or(if geneve { 10 } else { 30 }),
            timeout: hc.timeout_seconds.unwrap_or(match protocol.as_str() {
                "HTTP" => 6,
                "GENEVE" => 5,
                _ => 10,
            }),
            healthy_threshold: hc
                .healthy_threshold_count
                .unwrap_or(if geneve { 3 } else { 5 }),
            unhealthy_threshold: hc
                .unhealthy_threshold_count
                .unwrap_or(if geneve { 3 } else { 2 }),
            matcher: http_check.then(|| hc.matcher.clone().unwrap_or_else(|| "200".to_owned())),
            deregistration_delay: seed.deregistration_delay_seconds.unwrap_or(300),
            health_check_protocol,
            protocol,
        }
    }

    /// Every group of the world file.
    pub fn all(rules: &World) -> Vec<TargetGroup> {
        rules
            .target_groups
            .iter()
            .map(|g| TargetGroup::resolve(g, rules.region(), rules.account_id()))
            .collect()
    }

    /// The world file's group with this ARN.
    pub fn find(rules: &World, arn: &str) -> Option<TargetGroup> {
        Self::all(rules).into_iter().find(|g| g.arn == arn)
    }
}

/// 64-bit FNV-1a: a stable hash for derived ARNs.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Answers one ELBv2 action; `request_id` goes into the answer's `ResponseMetadata`.
pub fn handle(
    state: &mut State,
    ctx: &Ctx,
    action: &str,
    body: &[u8],
    request_id: &str,
) -> ApiResult {
    let params = Params::parse(body);
    let answer = match action {
        "DescribeTargetGroups" => describe_target_groups(&state.rules, &params, request_id),
        "DescribeTargetHealth" => describe_target_health(state, ctx, &params, request_id),
        "DescribeTargetGroupAttributes" => {
            describe_target_group_attributes(&state.rules, &params, request_id)
        }
        // awsQuery's error for an action the service does not have (ELBv2 API reference,
        // Common Errors: InvalidAction, HTTP 400).
        _ => Err(ApiError::new(
            "InvalidAction",
            format!("The action {action} is not valid for this web service."),
        )),
    }?;
    Ok(answer.into_bytes())
}

/// ELBv2 API reference, DescribeTargetGroups: TargetGroupNotFound when a named group does not
/// exist (AWS's message is reported as "One or more target groups not found").
fn not_found() -> ApiError {
    ApiError::new("TargetGroupNotFound", "One or more target groups not found")
}

/// The answer's `TargetGroupArn` (required by the three actions).
fn required_arn(params: &Params) -> Result<&str, ApiError> {
    params.get("TargetGroupArn").ok_or_else(|| {
        ApiError::new(
            "ValidationError",
            "1 validation error detected: Value null at 'targetGroupArn' failed to satisfy constraint: Member must not be null",
        )
    })
}

fn describe_target_groups(
    rules: &World,
    params: &Params,
    request_id: &str,
) -> Result<String, ApiError> {
    let arns = params.list("TargetGroupArns");
    let names = params.list("Names");
    if params.get("LoadBalancerArn").is_some() {
        // No load balancer is modelled.
        return Err(ApiError::new(
            "LoadBalancerNotFound",
            "One or more load balancers not found",
        ));
    }
    let all = TargetGroup::all(rules);
    let mut chosen = Vec::new();
    if arns.is_empty() && names.is_empty() {
        chosen = all;
    } else {
        for arn in arns {
            chosen.push(
                all.iter()
                    .find(|g| g.arn == arn)
                    .cloned()
                    .ok_or_else(not_found)?,
            );
        }
        for name in names {
            chosen.push(
                all.iter()
                    .find(|g| g.name == name)
                    .cloned()
                    .ok_or_else(not_found)?,
            );
        }
    }
    Ok(response("DescribeTargetGroups", request_id, |w| {
        let mut list = w.start_el("TargetGroups").finish();
        for g in &chosen {
            let mut m = list.start_el("member").finish();
            leaf(&mut m, "TargetGroupArn", &g.arn);
            leaf(&mut m, "TargetGroupName", &g.name);
            leaf(&mut m, "Protocol", &g.protocol);
            leaf(&mut m, "Port", &g.port.to_string());
            leaf(&mut m, "VpcId", "vpc-0123456789abcdef0");
            leaf(&mut m, "HealthCheckProtocol", &g.health_check_protocol);
            leaf(&mut m, "HealthCheckPort", &g.health_check_port);
            leaf(&mut m, "HealthCheckEnabled", "true");
            leaf(
                &mut m,
                "HealthCheckIntervalSeconds",
                &g.interval.to_string(),
            );
            leaf(&mut m, "HealthCheckTimeoutSeconds", &g.timeout.to_string());
            leaf(
                &mut m,
                "HealthyThresholdCount",
                &g.healthy_threshold.to_string(),
            );
            leaf(
                &mut m,
                "UnhealthyThresholdCount",
                &g.unhealthy_threshold.to_string(),
            );
            if let Some(path) = &g.health_check_path {
                leaf(&mut m, "HealthCheckPath", path);
            }
            if let Some(code) = &g.matcher {
                let mut matcher = m.start_el("Matcher").finish();
                leaf(&mut matcher, "HttpCode", code);
            }
            m.start_el("LoadBalancerArns").finish();
            leaf(&mut m, "TargetType", &g.target_type);
            if g.protocol.starts_with("HTTP") {
                leaf(&mut m, "ProtocolVersion", "HTTP1");
            }
            leaf(&mut m, "IpAddressType", "ipv4");
        }
    }))
}

/// The registered targets of the group `arn` (every service task's), each with the world
/// seconds since its task became RUNNING.
fn targets_of<'a>(
    ecs: &'a EcsState,
    arn: &'a str,
    now: f64,
) -> impl Iterator<Item = (&'a TaskTarget, f64)> {
    ecs.clusters
        .values()
        .flat_map(|c| c.services.values())
        .flat_map(|s| s.tasks.values())
        .flat_map(move |t| {
            let running_for = now - t.ready_at;
            t.health
                .targets
                .iter()
                .map(move |target| (target, running_for))
        })
        .filter(move |(t, _)| t.target_group_arn == arn && t.phase.is_registered())
}

fn describe_target_health(
    state: &State,
    ctx: &Ctx,
    params: &Params,
    request_id: &str,
) -> Result<String, ApiError> {
    let arn = required_arn(params)?;
    if TargetGroup::find(&state.rules, arn).is_none() {
        return Err(not_found());
    }
    let registered: Vec<(&TaskTarget, f64)> = targets_of(&state.ecs, arn, ctx.now).collect();
    let asked = params.structs("Targets");
    // ELBv2 API reference, DescribeTargetHealth `Targets`: only these targets when given; a
    // target that is not registered is `unused` with `Target.NotRegistered` (TargetHealth).
    let rows: Vec<(String, i32, targets::Health<'_>)> = if asked.is_empty() {
        registered
            .iter()
            .map(|(t, running_for)| (t.id.clone(), t.port, t.health_after(*running_for)))
            .collect()
    } else {
        asked
            .iter()
            .map(|a| {
                let id = a.get("Id").copied().unwrap_or_default();
                let port = a.get("Port").and_then(|p| p.parse::<i32>().ok());
                match registered
                    .iter()
                    .find(|(t, _)| t.id == id && port.is_none_or(|p| p == t.port))
                {
                    Some((t, running_for)) => (t.id.clone(), t.port, t.health_after(*running_for)),
                    None => (
                        id.to_owned(),
                        port.unwrap_or(0),
                        (
                            "unused",
                            Some("Target.NotRegistered"),
                            Some("Target is not registered to the target group"),
                        ),
                    ),
                }
            })
            .collect()
    };
    Ok(response("DescribeTargetHealth", request_id, |w| {
        let mut list = w.start_el("TargetHealthDescriptions").finish();
        for (id, port, (state, reason, description)) in &rows {
            let mut m = list.start_el("member").finish();
            let mut target = m.start_el("Target").finish();
            leaf(&mut target, "Id", id);
            if *port > 0 {
                leaf(&mut target, "Port", &port.to_string());
            }
            if !id.starts_with("i-") {
                leaf(&mut target, "AvailabilityZone", &format!("{}a", ctx.region));
            }
            target.finish();
            if *port > 0 {
                leaf(&mut m, "HealthCheckPort", &port.to_string());
            }
            let mut health = m.start_el("TargetHealth").finish();
            leaf(&mut health, "State", state);
            if let Some(r) = reason {
                leaf(&mut health, "Reason", r);
            }
            if let Some(d) = description {
                leaf(&mut health, "Description", d);
            }
        }
    }))
}

fn describe_target_group_attributes(
    rules: &World,
    params: &Params,
    request_id: &str,
) -> Result<String, ApiError> {
    let arn = required_arn(params)?;
    let group = TargetGroup::find(rules, arn).ok_or_else(not_found)?;
    // ELBv2 API reference, TargetGroupAttribute: the keys and defaults of instance / ip
    // targets; only the deregistration delay comes from the world file.
    let mut attributes = vec![
        (
            "deregistration_delay.timeout_seconds",
            group.deregistration_delay.to_string(),
        ),
        ("stickiness.enabled", "false".to_owned()),
    ];
    if group.protocol.starts_with("HTTP") {
        attributes.extend([
            ("stickiness.type", "lb_cookie".to_owned()),
            ("load_balancing.algorithm.type", "round_robin".to_owned()),
            ("slow_start.duration_seconds", "0".to_owned()),
        ]);
    }
    Ok(response("DescribeTargetGroupAttributes", request_id, |w| {
        let mut list = w.start_el("Attributes").finish();
        for (key, value) in &attributes {
            let mut m = list.start_el("member").finish();
            leaf(&mut m, "Key", key);
            leaf(&mut m, "Value", value);
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(body: &str) -> Result<String, ApiError> {
        let world = World::from_yaml_str("targetGroups: [{name: web}]").expect("world");
        let mut state = State::seeded(&world);
        let ctx = Ctx {
            now: state.now,
            region: "us-east-1".to_owned(),
            account: "123456789012".to_owned(),
        };
        let action = action_of(body.as_bytes()).unwrap_or_default();
        handle(&mut state, &ctx, &action, body.as_bytes(), "rid")
            .map(|b| String::from_utf8(b).expect("UTF-8"))
    }

    // ELBv2 API reference, Common Errors: InvalidAction (400) for an action the service does
    // not have; a required member missing is a ValidationError.
    #[test]
    fn unknown_actions_and_missing_members_are_client_errors() {
        let err = call("Action=CreateLoadBalancer&Version=2015-12-01").expect_err("unknown");
        assert_eq!((err.status, err.code.as_ref()), (400, "InvalidAction"));
        let err = call("Action=DescribeTargetHealth&Version=2015-12-01").expect_err("no ARN");
        assert_eq!(err.code, "ValidationError");
        let xml = error_body(&err, "rid");
        assert!(
            xml.contains("<Type>Sender</Type><Code>ValidationError</Code>"),
            "{xml}"
        );
    }

    // The derived ARN is stable across runs (a world file names it in service definitions).
    #[test]
    fn a_derived_arn_is_stable() {
        let a = call("Action=DescribeTargetGroups&Names.member.1=web").expect("described");
        let b = call("Action=DescribeTargetGroups&Names.member.1=web").expect("described");
        assert_eq!(a, b);
        assert!(
            a.contains("<TargetGroupArn>arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/"),
            "{a}"
        );
    }
}
