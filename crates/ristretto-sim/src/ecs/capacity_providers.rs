//! Capacity providers: CreateCapacityProvider, UpdateCapacityProvider, DeleteCapacityProvider,
//! DescribeCapacityProviders, PutClusterCapacityProviders, the checks every capacity provider strategy goes through
//! (RunTask, CreateService, UpdateService, a cluster's default strategy), and how a strategy's
//! `base` and `weight` spread tasks over its providers.
//!
//! `FARGATE` and `FARGATE_SPOT` exist in every account and only need to be associated with a
//! cluster (API reference, `CapacityProviderStrategyItem`); Auto Scaling group providers are
//! created with CreateCapacityProvider. The simulator does not scale any Auto Scaling group:
//! EC2 tasks of such a provider are placed like any EC2 task (see `clusters::place_ec2`).

use std::collections::BTreeMap;

use aws_sdk_ecs::operation::create_capacity_provider::{
    CreateCapacityProviderInput, CreateCapacityProviderOutput,
};
use aws_sdk_ecs::operation::delete_capacity_provider::{
    DeleteCapacityProviderInput, DeleteCapacityProviderOutput,
};
use aws_sdk_ecs::operation::describe_capacity_providers::{
    DescribeCapacityProvidersInput, DescribeCapacityProvidersOutput,
};
use aws_sdk_ecs::operation::put_cluster_capacity_providers::{
    PutClusterCapacityProvidersInput, PutClusterCapacityProvidersOutput,
};
use aws_sdk_ecs::operation::update_capacity_provider::{
    UpdateCapacityProviderInput, UpdateCapacityProviderOutput,
};
use aws_sdk_ecs::types::{
    CapacityProvider, CapacityProviderField, CapacityProviderStatus, CapacityProviderStrategyItem,
    CapacityProviderUpdateStatus, Failure,
};

use super::{ClusterRecord, EcsState, cluster_name, short_name};
use crate::codec::{Sdk, decode, encode};
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};

/// The capacity providers every account has.
pub const FARGATE_PROVIDERS: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

/// A predefined Fargate capacity provider as DescribeCapacityProviders returns it.
fn fargate(ctx: &Ctx, name: &str) -> CapacityProvider {
    CapacityProvider::builder()
        .capacity_provider_arn(ctx.arn("ecs", &format!("capacity-provider/{name}")))
        .name(name)
        .status(CapacityProviderStatus::Active)
        .build()
}

/// Whether a capacity provider of this name exists in the account (a deleted one is INACTIVE).
pub fn exists(ecs: &EcsState, name: &str) -> bool {
    FARGATE_PROVIDERS.contains(&name)
        || ecs
            .capacity_providers
            .get(name)
            .is_some_and(|p| p.status() == Some(&CapacityProviderStatus::Active))
}

pub fn create(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, CreateCapacityProviderInput::deserialize)?;
    let name = input.name().unwrap_or_default().to_owned();
    // API_CreateCapacityProvider, `name`: "The name can't be prefixed with "aws", "ecs", or
    // "fargate"." The wording of AWS's error message is not documented.
    let lower = name.to_ascii_lowercase();
    if name.is_empty()
        || ["aws", "ecs", "fargate"]
            .iter()
            .any(|p| lower.starts_with(p))
    {
        return Err(ApiError::client(format!(
            "The capacity provider name '{name}' is not valid: it cannot be prefixed with \"aws\", \"ecs\", or \"fargate\"."
        )));
    }
    if state
        .ecs
        .capacity_providers
        .get(&name)
        .is_some_and(|p| p.status() == Some(&CapacityProviderStatus::Active))
    {
        // The wording of AWS's message is not documented.
        return Err(ApiError::client(format!(
            "A capacity provider with the name {name} already exists."
        )));
    }
    let provider = CapacityProvider::builder()
        .capacity_provider_arn(ctx.arn("ecs", &format!("capacity-provider/{name}")))
        .name(&name)
        .status(CapacityProviderStatus::Active)
        .set_auto_scaling_group_provider(input.auto_scaling_group_provider().cloned())
        .set_cluster(input.cluster().map(str::to_owned))
        .set_tags((!input.tags().is_empty()).then(|| input.tags().to_vec()))
        .build();
    state
        .ecs
        .capacity_providers
        .insert(name, Sdk(provider.clone()));
    Ok(encode(
        &CreateCapacityProviderOutput::builder()
            .capacity_provider(provider)
            .build(),
    ))
}

/// The wording of AWS's messages for the refusals below is not documented; the exception
/// codes are those API_UpdateCapacityProvider and API_DeleteCapacityProvider list.
fn reserved(name: &str) -> ApiError {
    ApiError::client(format!(
        "The {name} capacity provider is reserved and cannot be updated or deleted."
    ))
}

fn unknown_provider(name: &str) -> ApiError {
    ApiError::client(format!(
        "The specified capacity provider {name} does not exist."
    ))
}

/// API_UpdateCapacityProvider: changes the Auto Scaling group provider's `managedScaling`,
/// `managedTerminationProtection` and `managedDraining`; members not given are kept. The
/// simulator has no Auto Scaling group to update, so the update is complete at once (AWS shows
/// UPDATE_IN_PROGRESS while it applies it).
pub fn update(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, UpdateCapacityProviderInput::deserialize)?;
    let name = short_name(input.name().unwrap_or_default()).to_owned();
    if name.is_empty() {
        return Err(ApiError::invalid_parameter("name can not be blank."));
    }
    if FARGATE_PROVIDERS.contains(&name.as_str()) {
        return Err(reserved(&name));
    }
    let provider = state
        .ecs
        .capacity_providers
        .get_mut(&name)
        .filter(|p| p.status() == Some(&CapacityProviderStatus::Active))
        .ok_or_else(|| unknown_provider(&name))?;
    if let Some(update) = input.auto_scaling_group_provider()
        && let Some(asg) = provider.auto_scaling_group_provider.as_mut()
    {
        if let Some(m) = update.managed_scaling() {
            asg.managed_scaling = Some(m.clone());
        }
        if let Some(m) = update.managed_termination_protection() {
            asg.managed_termination_protection = Some(m.clone());
        }
        if let Some(m) = update.managed_draining() {
            asg.managed_draining = Some(m.clone());
        }
    }
    provider.update_status = Some(CapacityProviderUpdateStatus::UpdateComplete);
    let mut out = provider.0.clone();
    out.tags = None;
    Ok(encode(
        &UpdateCapacityProviderOutput::builder()
            .capacity_provider(out)
            .build(),
    ))
}

/// API_DeleteCapacityProvider: "The FARGATE and FARGATE_SPOT capacity providers are reserved
/// and can't be deleted"; "Only capacity providers that aren't associated with a cluster can be
/// deleted"; before that "the capacity provider must be removed from the capacity provider
/// strategy from all services". The answer is the provider with `updateStatus`
/// DELETE_IN_PROGRESS; with no Auto Scaling group to release the deletion then completes at
/// once: the provider stays discoverable as INACTIVE / DELETE_COMPLETE
/// (API_CapacityProvider, `status`, `updateStatus`) and its name can be reused.
pub fn delete(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, DeleteCapacityProviderInput::deserialize)?;
    let name = short_name(input.capacity_provider().unwrap_or_default()).to_owned();
    if name.is_empty() {
        return Err(ApiError::invalid_parameter(
            "capacityProvider can not be blank.",
        ));
    }
    if FARGATE_PROVIDERS.contains(&name.as_str()) {
        return Err(reserved(&name));
    }
    if !exists(&state.ecs, &name) {
        return Err(unknown_provider(&name));
    }
    for (cluster, rec) in &state.ecs.clusters {
        if rec.cluster.status() != Some("ACTIVE") {
            continue;
        }
        if rec.cluster.capacity_providers().contains(&name) {
            return Err(ApiError::client(format!(
                "The capacity provider {name} is associated with cluster {cluster} and cannot be deleted. Remove it with PutClusterCapacityProviders first."
            )));
        }
        let used = rec.services.values().any(|s| {
            s.service.status() == Some("ACTIVE")
                && s.service
                    .capacity_provider_strategy()
                    .iter()
                    .any(|i| i.capacity_provider() == name)
        });
        if used {
            return Err(ApiError::client(format!(
                "The capacity provider {name} is used by a service's capacity provider strategy and cannot be deleted."
            )));
        }
    }
    let Some(provider) = state.ecs.capacity_providers.get_mut(&name) else {
        return Err(unknown_provider(&name));
    };
    let mut answer = provider.0.clone();
    answer.update_status = Some(CapacityProviderUpdateStatus::DeleteInProgress);
    answer.tags = None;
    provider.status = Some(CapacityProviderStatus::Inactive);
    provider.update_status = Some(CapacityProviderUpdateStatus::DeleteComplete);
    Ok(encode(
        &DeleteCapacityProviderOutput::builder()
            .capacity_provider(answer)
            .build(),
    ))
}

pub fn describe(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, DescribeCapacityProvidersInput::deserialize)?;
    let with_tags = input.include().contains(&CapacityProviderField::Tags);
    let all: Vec<CapacityProvider> = FARGATE_PROVIDERS
        .iter()
        .map(|n| fargate(ctx, n))
        .chain(state.ecs.capacity_providers.values().map(|p| p.0.clone()))
        .collect();
    let mut out = DescribeCapacityProvidersOutput::builder();
    let mut found = Vec::new();
    if input.capacity_providers().is_empty() {
        found = all;
    } else {
        for wanted in input.capacity_providers() {
            match all.iter().find(|p| p.name() == Some(short_name(wanted))) {
                Some(p) => found.push(p.clone()),
                // API_DescribeCapacityProviders, `failures`; the reason is MISSING as for the
                // other Describe operations.
                None => {
                    out = out.failures(
                        Failure::builder()
                            .arn(if wanted.starts_with("arn:") {
                                wanted.clone()
                            } else {
                                ctx.arn("ecs", &format!("capacity-provider/{wanted}"))
                            })
                            .reason("MISSING")
                            .build(),
                    );
                }
            }
        }
    }
    for mut p in found {
        if !with_tags {
            p.tags = None;
        }
        out = out.capacity_providers(p);
    }
    let mut out = out.build();
    out.capacity_providers.get_or_insert_with(Vec::new);
    out.failures.get_or_insert_with(Vec::new);
    Ok(encode(&out))
}

pub fn put_cluster_capacity_providers(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, PutClusterCapacityProvidersInput::deserialize)?;
    let name = cluster_name(&state.ecs, input.cluster())?;
    for p in input.capacity_providers() {
        if !exists(&state.ecs, p) {
            // The wording of AWS's message is not documented.
            return Err(ApiError::invalid_parameter(format!(
                "The specified capacity provider {p} does not exist."
            )));
        }
    }
    let strategy = input.default_capacity_provider_strategy();
    check_strategy(input.capacity_providers(), strategy)?;
    let rec = state
        .ecs
        .clusters
        .get_mut(&name)
        .ok_or_else(super::cluster_not_found)?;
    // API_PutClusterCapacityProviders: "You can only disassociate an existing capacity provider
    // from a cluster if it's not being used by any existing tasks." (ResourceInUseException; its
    // wording is not documented.)
    let in_use = rec
        .tasks
        .values()
        .chain(rec.services.values().flat_map(|s| s.tasks.values()))
        .filter(|t| !t.is_stopped())
        .filter_map(|t| t.task.capacity_provider_name())
        .find(|p| !input.capacity_providers().iter().any(|q| q == p));
    if let Some(p) = in_use {
        return Err(ApiError::new(
            "ResourceInUseException",
            format!("The capacity provider {p} is in use by tasks and cannot be removed."),
        ));
    }
    rec.cluster.capacity_providers = Some(input.capacity_providers().to_vec());
    rec.cluster.default_capacity_provider_strategy = Some(strategy.to_vec());
    let cluster = super::clusters::describe_one(&state.ecs, &state.rules, ctx, &name, &[]);
    Ok(encode(
        &PutClusterCapacityProvidersOutput::builder()
            .set_cluster(cluster)
            .build(),
    ))
}

/// The capacity providers a cluster may use in a strategy: those associated with it, and for
/// a cluster of the world file, those of the default strategy it gives the cluster.
pub fn associated(cluster: &ClusterRecord) -> Vec<String> {
    cluster.cluster.capacity_providers().to_vec()
}

/// Checks a capacity provider strategy against the providers associated with the cluster.
///
/// API reference, `CapacityProviderStrategyItem`: only providers associated with the cluster can
/// be used; only one item can have a `base`; `weight` 0..=1000, `base` 0..=100000; the developer
/// guide ("Capacity provider strategies"): when a strategy names several providers, at least one
/// must have a weight greater than zero; Fargate and Auto Scaling group providers cannot be mixed.
pub fn check_strategy(
    associated: &[String],
    strategy: &[CapacityProviderStrategyItem],
) -> Result<(), ApiError> {
    for item in strategy {
        let p = item.capacity_provider();
        if !associated.iter().any(|a| a == p) {
            // The message AWS answers, as AWS users report it (the API reference does not
            // give it).
            return Err(ApiError::invalid_parameter(
                "The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.",
            ));
        }
        if !(0..=1000).contains(&item.weight()) || !(0..=100_000).contains(&item.base()) {
            return Err(ApiError::invalid_parameter(format!(
                "The capacity provider strategy item for {p} is not valid: weight must be between 0 and 1000 and base between 0 and 100000."
            )));
        }
    }
    // The wording of the messages below is not documented; the rules are.
    if strategy.iter().filter(|i| i.base() > 0).count() > 1 {
        return Err(ApiError::invalid_parameter(
            "Only one capacity provider in a capacity provider strategy can have a base defined.",
        ));
    }
    if strategy.len() > 1 && strategy.iter().all(|i| i.weight() == 0) {
        return Err(ApiError::invalid_parameter(
            "At least one capacity provider in a capacity provider strategy must have a weight greater than zero.",
        ));
    }
    let fargate = strategy
        .iter()
        .filter(|i| FARGATE_PROVIDERS.contains(&i.capacity_provider()))
        .count();
    if fargate != 0 && fargate != strategy.len() {
        return Err(ApiError::invalid_parameter(
            "A capacity provider strategy cannot contain both Fargate and Auto Scaling group capacity providers.",
        ));
    }
    Ok(())
}

/// The provider of the next task, given how many tasks each provider already runs for the same
/// service deployment (or RunTask call).
///
/// ECS developer guide, "Capacity provider strategies": the provider with a `base` runs at
/// least that many tasks first; every task beyond it goes to the providers in proportion to
/// their `weight` (a provider of weight 0 gets none beyond its base). Among providers equally
/// short of their share, the first in the strategy wins. `None` for an empty strategy.
pub fn choose(
    strategy: &[CapacityProviderStrategyItem],
    running: &BTreeMap<String, u32>,
) -> Option<String> {
    let count = |p: &str| running.get(p).copied().unwrap_or(0);
    if let Some(item) = strategy
        .iter()
        .find(|i| i.base() > 0 && count(i.capacity_provider()) < i.base().unsigned_abs())
    {
        return Some(item.capacity_provider().to_owned());
    }
    // Tasks beyond each provider's base, and their total after this one is placed.
    let beyond = |i: &CapacityProviderStrategyItem| {
        f64::from(count(i.capacity_provider()).saturating_sub(i.base().unsigned_abs()))
    };
    let weighted: Vec<&CapacityProviderStrategyItem> =
        strategy.iter().filter(|i| i.weight() > 0).collect();
    let total_weight: f64 = weighted.iter().map(|i| f64::from(i.weight())).sum();
    let placed: f64 = weighted.iter().map(|i| beyond(i)).sum::<f64>() + 1.0;
    // The largest shortfall between a provider's share of the tasks and what it runs.
    let mut best: Option<(&CapacityProviderStrategyItem, f64)> = None;
    for item in weighted {
        let short = placed * f64::from(item.weight()) / total_weight - beyond(item);
        if best.is_none_or(|(_, b)| short > b + 1e-9) {
            best = Some((item, short));
        }
    }
    best.map(|(i, _)| i.capacity_provider().to_owned())
        .or_else(|| strategy.first().map(|i| i.capacity_provider().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(p: &str, weight: i32, base: i32) -> CapacityProviderStrategyItem {
        CapacityProviderStrategyItem::builder()
            .capacity_provider(p)
            .weight(weight)
            .base(base)
            .build()
            .expect("item")
    }

    fn spread(strategy: &[CapacityProviderStrategyItem], n: usize) -> BTreeMap<String, u32> {
        let mut running = BTreeMap::new();
        for _ in 0..n {
            let p = choose(strategy, &running).expect("a provider");
            *running.entry(p).or_insert(0) += 1;
        }
        running
    }

    // ECS developer guide, "Capacity provider strategies" (example: base 1 on FARGATE, then
    // FARGATE weight 1 and FARGATE_SPOT weight 3): the base first, then tasks in the ratio of
    // the weights.
    #[test]
    fn base_first_then_tasks_in_the_ratio_of_the_weights() {
        let s = [item("FARGATE", 1, 1), item("FARGATE_SPOT", 3, 0)];
        assert_eq!(choose(&s, &BTreeMap::new()).as_deref(), Some("FARGATE"));
        let r = spread(&s, 5);
        assert_eq!(r.get("FARGATE"), Some(&2));
        assert_eq!(r.get("FARGATE_SPOT"), Some(&3));
        let r = spread(&s, 9);
        assert_eq!(r.get("FARGATE"), Some(&3));
        assert_eq!(r.get("FARGATE_SPOT"), Some(&6));
    }

    // Developer guide: a provider of weight 0 runs its base and nothing more.
    #[test]
    fn a_provider_of_weight_zero_runs_only_its_base() {
        let s = [item("FARGATE", 0, 2), item("FARGATE_SPOT", 1, 0)];
        let r = spread(&s, 6);
        assert_eq!(r.get("FARGATE"), Some(&2));
        assert_eq!(r.get("FARGATE_SPOT"), Some(&4));
    }

    // API reference, CapacityProviderStrategyItem: the strategy may only name associated
    // providers, one base, and Fargate and Auto Scaling group providers are not mixed.
    #[test]
    fn strategies_are_checked_against_the_cluster() {
        let fargate = vec!["FARGATE".to_owned(), "FARGATE_SPOT".to_owned()];
        assert!(check_strategy(&fargate, &[item("FARGATE_SPOT", 1, 0)]).is_ok());
        let e = check_strategy(&["FARGATE".to_owned()], &[item("FARGATE_SPOT", 1, 0)])
            .expect_err("not associated");
        assert_eq!(e.code, "InvalidParameterException");
        assert!(e.message.contains("not associated with the cluster"));
        let two_bases = [item("FARGATE", 1, 1), item("FARGATE_SPOT", 1, 1)];
        assert!(check_strategy(&fargate, &two_bases).is_err());
        let no_weight = [item("FARGATE", 0, 1), item("FARGATE_SPOT", 0, 0)];
        assert!(check_strategy(&fargate, &no_weight).is_err());
        let mixed = ["FARGATE".to_owned(), "asg".to_owned()];
        assert!(check_strategy(&mixed, &[item("FARGATE", 1, 0), item("asg", 1, 0)]).is_err());
    }
}
