//! Clusters: CreateCluster, DescribeClusters, ListClusters, DeleteCluster.

use std::collections::BTreeMap;

use aws_sdk_ecs::operation::create_cluster::{CreateClusterInput, CreateClusterOutput};
use aws_sdk_ecs::operation::delete_cluster::{DeleteClusterInput, DeleteClusterOutput};
use aws_sdk_ecs::operation::describe_clusters::{DescribeClustersInput, DescribeClustersOutput};
use aws_sdk_ecs::operation::list_clusters::{ListClustersInput, ListClustersOutput};
use aws_sdk_ecs::types::{Cluster, ClusterField, Failure, Tag};

use super::{ClusterRecord, EcsState, cluster_not_found, paginate, short_name};
use crate::codec::{Sdk, decode, encode};
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};

/// Creates (or returns the existing ACTIVE) cluster; CreateCluster is idempotent on AWS.
pub fn insert_cluster(ecs: &mut EcsState, ctx: &Ctx, name: &str, tags: Vec<Tag>) -> Cluster {
    if let Some(existing) = ecs.clusters.get(name)
        && existing.cluster.status() == Some("ACTIVE")
    {
        return existing.cluster.0.clone();
    }
    let cluster = Cluster::builder()
        .cluster_arn(ctx.arn("ecs", &format!("cluster/{name}")))
        .cluster_name(name)
        .status("ACTIVE")
        .set_tags((!tags.is_empty()).then_some(tags))
        .build();
    ecs.clusters.insert(
        name.to_owned(),
        ClusterRecord {
            cluster: Sdk(cluster.clone()),
            services: BTreeMap::new(),
            tasks: BTreeMap::new(),
        },
    );
    cluster
}

pub fn create_cluster(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, CreateClusterInput::deserialize)?;
    let name = input.cluster_name().unwrap_or("default").to_owned();
    let cluster = insert_cluster(&mut state.ecs, ctx, &name, input.tags().to_vec());
    Ok(encode(
        &CreateClusterOutput::builder()
            .cluster(with_counts(&state.ecs, &name, cluster))
            .build(),
    ))
}

/// A cluster with its live counts (services, running and pending tasks).
fn with_counts(ecs: &EcsState, name: &str, mut cluster: Cluster) -> Cluster {
    if let Some(rec) = ecs.clusters.get(name) {
        let all_tasks = rec
            .tasks
            .values()
            .chain(rec.services.values().flat_map(|s| s.tasks.values()));
        let (mut running, mut pending) = (0, 0);
        for t in all_tasks {
            match t.task.last_status() {
                Some("RUNNING") => running += 1,
                Some("PROVISIONING" | "PENDING" | "ACTIVATING") => pending += 1,
                _ => {}
            }
        }
        cluster.running_tasks_count = running;
        cluster.pending_tasks_count = pending;
        cluster.active_services_count = rec
            .services
            .values()
            .filter(|s| s.service.status() == Some("ACTIVE"))
            .count() as i32;
    }
    cluster
}

pub fn describe_clusters(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, DescribeClustersInput::deserialize)?;
    let wanted: Vec<String> = if input.clusters().is_empty() {
        vec!["default".to_owned()]
    } else {
        input.clusters().to_vec()
    };
    let with_tags = input.include().contains(&ClusterField::Tags);
    let mut out = DescribeClustersOutput::builder();
    for id in &wanted {
        match state.ecs.clusters.get(short_name(id)) {
            Some(rec) => {
                let mut c = with_counts(&state.ecs, short_name(id), rec.cluster.0.clone());
                if !with_tags {
                    c.tags = None;
                }
                out = out.clusters(c);
            }
            None => {
                out = out.failures(
                    Failure::builder()
                        .arn(if id.starts_with("arn:") {
                            id.clone()
                        } else {
                            ctx.arn("ecs", &format!("cluster/{id}"))
                        })
                        .reason("MISSING")
                        .build(),
                );
            }
        }
    }
    Ok(encode(&out.build()))
}

pub fn list_clusters(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, ListClustersInput::deserialize)?;
    let arns: Vec<String> = state
        .ecs
        .clusters
        .values()
        .filter(|c| c.cluster.status() == Some("ACTIVE"))
        .filter_map(|c| c.cluster.cluster_arn().map(str::to_owned))
        .collect();
    let (page, next) = paginate(&arns, input.next_token(), input.max_results(), 100)?;
    Ok(encode(
        &ListClustersOutput::builder()
            .set_cluster_arns(Some(page))
            .set_next_token(next)
            .build(),
    ))
}

pub fn delete_cluster(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, DeleteClusterInput::deserialize)?;
    let name = short_name(input.cluster().unwrap_or_default()).to_owned();
    let rec = state
        .ecs
        .clusters
        .get_mut(&name)
        .ok_or_else(cluster_not_found)?;
    if rec
        .services
        .values()
        .any(|s| s.service.status() != Some("INACTIVE"))
    {
        return Err(ApiError::new(
            "ClusterContainsServicesException",
            "The Cluster cannot be deleted while Services are active.",
        ));
    }
    if rec
        .tasks
        .values()
        .any(|t| t.task.last_status() != Some("STOPPED"))
    {
        return Err(ApiError::new(
            "ClusterContainsTasksException",
            "The Cluster cannot be deleted while Tasks are active.",
        ));
    }
    rec.cluster.status = Some("INACTIVE".to_owned());
    Ok(encode(
        &DeleteClusterOutput::builder()
            .cluster(rec.cluster.0.clone())
            .build(),
    ))
}
