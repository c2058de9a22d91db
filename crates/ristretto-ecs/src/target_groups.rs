//! What a service's target groups say about how long its deployments take: the health checks
//! a new task passes before it counts, and the deregistration delay an old task drains for.

use aws_sdk_elasticloadbalancingv2::Client;

use crate::forecast::TargetGroups;

/// The ELBv2 attribute holding the deregistration delay, seconds (ELBv2 API reference,
/// TargetGroupAttribute; default 300).
const DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";

/// Reads the target groups `arns`: the longest time to healthy (interval × healthy threshold:
/// ELB user guide, "Health checks for Application Load Balancer target groups") and the
/// longest deregistration delay. Best effort: a failed read is `None`. Also returns how many
/// calls it made (one DescribeTargetGroups, one DescribeTargetGroupAttributes per group).
pub async fn read(elbv2: &Client, arns: &[String]) -> (Option<TargetGroups>, u32) {
    let mut calls = 1;
    let Ok(described) = elbv2
        .describe_target_groups()
        .set_target_group_arns(Some(arns.to_vec()))
        .send()
        .await
    else {
        return (None, calls);
    };
    let to_healthy = described
        .target_groups()
        .iter()
        .filter_map(|g| {
            let interval = g.health_check_interval_seconds()?;
            let threshold = g.healthy_threshold_count()?;
            Some(f64::from(interval) * f64::from(threshold))
        })
        .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.max(t))));
    let mut delay: Option<f64> = None;
    for arn in arns {
        calls += 1;
        let Ok(attributes) = elbv2
            .describe_target_group_attributes()
            .target_group_arn(arn)
            .send()
            .await
        else {
            continue;
        };
        let seconds = attributes
            .attributes()
            .iter()
            .find(|a| a.key() == Some(DEREGISTRATION_DELAY))
            .and_then(|a| a.value())
            .and_then(|v| v.parse::<f64>().ok());
        if let Some(s) = seconds {
            delay = Some(delay.map_or(s, |d| d.max(s)));
        }
    }
    (
        Some(TargetGroups {
            deregistration_delay: delay,
            to_healthy,
        }),
        calls,
    )
}
