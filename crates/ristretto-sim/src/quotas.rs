//! AWS's published API request quotas, as token buckets the simulator can enforce
//! (`throttlingPreset: aws` in the world file).
//!
//! Source: Amazon ECS API Reference, "Request throttling for the Amazon ECS API"
//! (request-throttling.html, section "Request Token Bucket Sizes and Refill Rates"): actions are
//! grouped into categories; every action of a category takes its token from the category's one
//! bucket, per account and Region; the bucket's maximum capacity is the burst rate, its refill
//! rate the sustained rate per second. Fargate's own RunTask launch-rate quotas (developer guide
//! "AWS Fargate throttling quotas") are not part of this table and are not modelled.

/// One category of the ECS quota table: its actions share one bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Category {
    pub name: &'static str,
    pub actions: &'static [&'static str],
    /// Bucket maximum capacity (the burst rate).
    pub burst: u32,
    /// Bucket refill rate per second (the sustained rate).
    pub refill_per_second: f64,
}

const fn category(
    name: &'static str,
    actions: &'static [&'static str],
    burst: u32,
    refill_per_second: f64,
) -> Category {
    Category {
        name,
        actions,
        burst,
        refill_per_second,
    }
}

/// The ECS table, every Region alike.
pub const ECS: &[Category] = &[
    category(
        "Cluster modify actions",
        &[
            "CreateCluster",
            "DeleteCluster",
            "PutClusterCapacityProviders",
            "UpdateCluster",
            "UpdateClusterSettings",
        ],
        20,
        1.0,
    ),
    category(
        "Cluster read actions",
        &["DescribeClusters", "ListClusters"],
        50,
        20.0,
    ),
    category(
        "Task definition modify actions",
        &["DeregisterTaskDefinition", "RegisterTaskDefinition"],
        20,
        1.0,
    ),
    category(
        "Task definition read actions",
        &[
            "DescribeTaskDefinition",
            "ListTaskDefinitions",
            "ListTaskDefinitionFamilies",
        ],
        50,
        20.0,
    ),
    category(
        "Task definition deletion actions",
        &["DeleteTaskDefinitions"],
        5,
        1.0,
    ),
    category(
        "Capacity provider modify actions",
        &[
            "CreateCapacityProvider",
            "DeleteCapacityProvider",
            "UpdateCapacityProvider",
        ],
        10,
        1.0,
    ),
    category(
        "Capacity provider read actions",
        &["DescribeCapacityProviders"],
        50,
        20.0,
    ),
    category(
        "Tag modify actions",
        &["TagResource", "UntagResource"],
        20,
        10.0,
    ),
    category("Tag read actions", &["ListTagsForResource"], 50, 20.0),
    category(
        "Setting modify actions",
        &[
            "DeleteAccountSetting",
            "PutAccountSetting",
            "PutAccountSettingDefault",
        ],
        10,
        1.0,
    ),
    category("Setting read actions", &["ListAccountSettings"], 50, 20.0),
    category(
        "Cluster resource modify actions",
        &[
            "DeleteAttributes",
            "DeregisterContainerInstance",
            "ExecuteCommand",
            "PutAttributes",
            "RunTask",
            "StartTask",
            "StopTask",
            "UpdateContainerAgent",
            "UpdateContainerInstancesState",
        ],
        100,
        40.0,
    ),
    category(
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
    category(
        "Agent modify actions",
        &[
            "RegisterContainerInstance",
            "SubmitAttachmentStateChanges",
            "SubmitContainerStateChange",
            "SubmitTaskStateChange",
        ],
        200,
        120.0,
    ),
    category(
        "Service modify actions",
        &["CreateService", "DeleteService", "UpdateService"],
        50,
        5.0,
    ),
    category(
        "Service read actions",
        &["DescribeServices", "ListServices"],
        100,
        20.0,
    ),
    category(
        "Service deployment actions",
        &["DescribeServiceDeployments", "ListServiceDeployments"],
        50,
        20.0,
    ),
    category(
        "Service revision actions",
        &["DescribeServiceRevisions"],
        50,
        20.0,
    ),
    category(
        "Task protection actions",
        &["UpdateTaskProtection", "GetTaskProtection"],
        200,
        80.0,
    ),
    category(
        "Cluster service resource read actions",
        &["ListServicesByNamespace"],
        10,
        1.0,
    ),
];

/// The category an ECS action belongs to (none for actions the table does not list).
pub fn ecs_category(op: &str) -> Option<&'static Category> {
    ECS.iter().find(|c| c.actions.contains(&op))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_in_at_most_one_category() {
        let mut seen = std::collections::BTreeSet::new();
        for category in ECS {
            for action in category.actions {
                assert!(seen.insert(*action), "{action} listed twice");
            }
        }
        assert_eq!(
            ecs_category("ListClusters").map(|c| (c.burst, c.refill_per_second)),
            Some((50, 20.0))
        );
        assert_eq!(ecs_category("DescribeServices").map(|c| c.burst), Some(100));
        assert!(ecs_category("CreateTaskSet").is_none());
    }
}
