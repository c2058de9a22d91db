//! Keeps the README's tables of served operations true: each table must list exactly the
//! operations its service's `handle` routes, and each listed operation must be answered (not
//! `None`, not `InvalidAction`) by that handler.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use crate::state::{Ctx, State};
use crate::world::World;

const README: &str = include_str!("../../../README.md");

/// The operations of the README table between `<!-- operations:{service} -->` and
/// `<!-- /operations -->`: the comma-separated names of each row's second column.
fn readme_operations(service: &str) -> BTreeSet<String> {
    let start = format!("<!-- operations:{service} -->");
    let from = README
        .find(&start)
        .unwrap_or_else(|| panic!("README has no `{start}` table"));
    let table = &README[from + start.len()..];
    let table = &table[..table.find("<!-- /operations -->").expect("table end")];
    table
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
        .skip(1) // the header row
        .filter_map(|l| l.split('|').nth(2))
        .flat_map(|cell| cell.split(','))
        .map(|op| op.trim().to_owned())
        .filter(|op| !op.is_empty())
        .collect()
}

/// The operation names a service's handler function (the one whose source starts with
/// `function`) matches on (`"Name" =>` arms), read from its source so that an arm added without
/// a README row is noticed.
fn routed_by(source: &str, function: &str) -> BTreeSet<String> {
    let from = source.find(function).expect("a handle function");
    let body = &source[from..];
    let body = &body[..body.find("\n}\n").expect("end of handle")];
    body.lines()
        .filter_map(|l| {
            let l = l.trim_start().strip_prefix('"')?;
            let (name, rest) = l.split_once('"')?;
            (rest.trim_start().starts_with("=>")
                && name.chars().next().is_some_and(char::is_uppercase))
            .then(|| name.to_owned())
        })
        .collect()
}

fn ctx() -> Ctx {
    Ctx {
        now: 0.0,
        region: "us-east-1".to_owned(),
        account: "123456789012".to_owned(),
    }
}

#[test]
fn the_readme_lists_every_routed_operation() {
    let services = [
        ("ecs", include_str!("ecs/mod.rs")),
        ("codedeploy", include_str!("codedeploy/mod.rs")),
        ("autoscaling", include_str!("autoscaling.rs")),
        ("ssm", include_str!("ssm.rs")),
        ("secrets", include_str!("secrets.rs")),
        ("elbv2", include_str!("elbv2/mod.rs")),
    ]
    .map(|(service, source)| (service, source, "pub fn handle("));
    let more = [
        ("iam", include_str!("iam.rs"), "pub fn handle_iam("),
        ("sts", include_str!("iam.rs"), "pub fn handle_sts("),
        ("ecr", include_str!("images.rs"), "pub fn handle_ecr("),
        ("logs", include_str!("logs.rs"), "pub fn handle("),
    ];
    for (service, source, function) in services.into_iter().chain(more) {
        let listed = readme_operations(service);
        let routed = routed_by(source, function);
        assert!(!routed.is_empty(), "{service}: no routing arms found");
        let missing: Vec<_> = routed.difference(&listed).collect();
        let extra: Vec<_> = listed.difference(&routed).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{service}: routed but not in the README: {missing:?}; in the README but not routed: {extra:?}"
        );
    }
}

#[test]
fn every_operation_the_readme_lists_is_answered() {
    let world = World::from_yaml_str("clusters: [default]\n").expect("world");
    let mut state = State::seeded(&world);
    let ctx = ctx();
    for op in readme_operations("ecs") {
        assert!(
            crate::ecs::handle(&mut state, &ctx, &op, b"{}").is_some(),
            "ECS {op}"
        );
    }
    for op in readme_operations("codedeploy") {
        assert!(
            crate::codedeploy::handle(&mut state, &ctx, &op, b"{}").is_some(),
            "CodeDeploy {op}"
        );
    }
    for op in readme_operations("autoscaling") {
        assert!(
            crate::autoscaling::handle(&mut state, &ctx, &op, b"{}").is_some(),
            "Application Auto Scaling {op}"
        );
    }
    for op in readme_operations("ssm") {
        assert!(
            crate::ssm::handle(&mut state, &ctx, &op, b"{}").is_some(),
            "SSM {op}"
        );
    }
    for op in readme_operations("secrets") {
        assert!(
            crate::secrets::handle(&mut state, &op, b"{}").is_some(),
            "Secrets Manager {op}"
        );
    }
    for op in readme_operations("elbv2") {
        let answer = crate::elbv2::handle(&mut state, &ctx, &op, b"", "req");
        assert!(
            answer
                .as_ref()
                .err()
                .is_none_or(|e| e.code != "InvalidAction"),
            "ELBv2 {op}"
        );
    }
    assert!(crate::ecs::handle(&mut state, &ctx, "NoSuchOperation", b"{}").is_none());
}
