//! `verify`: before a deploy, checks that everything a task and service definition refer to
//! exists and can be used, so that the mistakes that otherwise surface as a failed deployment
//! ten minutes later (a role ECS cannot assume, an image tag that was never pushed, a missing
//! secret, a log group that cannot be written) are found in seconds.
//!
//! The checks form a tree (task definition → its roles and containers → each container's
//! image, secrets, logs, environment files, ports; service definition → network, load
//! balancers, grace period; cluster), each [`Verdict::Ok`], [`Verdict::Ng`] with the reason, or
//! [`Verdict::Skip`] with why. Verification stops at the first NG unless
//! [`Options::keep_going`]. Results are cached for one run ([`Cache`]): several configs that
//! share a role or an image check it once.
//!
//! Nothing is changed in AWS, except the one log line written to each awslogs log group to
//! prove that it can be written (announced, and skipped with [`Options::put_logs`] false).
//! As ecspresso does, the checks that ECS makes with the execution role (images, secrets,
//! logs) run with that role's credentials when it can be assumed, else with the caller's.

mod checks;
mod images;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use serde::Serialize;

pub use images::RegistryAccess;

/// How one check ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "reason", rename_all = "UPPERCASE")]
pub enum Verdict {
    /// It exists and can be used.
    Ok,
    /// It cannot: why, and what to do.
    Ng(String),
    /// It was not checked: why.
    Skip(String),
}

/// One check and the checks below it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked: `ExecutionRole[arn]`, `Image[nginx:1.27]`, …
    pub name: String,
    /// The result.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Whether the result came from an earlier check of the same thing in this run.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
    /// What it is made of.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Check>,
}

impl Check {
    fn leaf(name: impl Into<String>, verdict: Verdict) -> Check {
        Check {
            name: name.into(),
            verdict,
            cached: false,
            children: Vec::new(),
        }
    }

    /// A group: NG when a child is, else OK.
    fn group(name: impl Into<String>, children: Vec<Check>) -> Check {
        let verdict = match children.iter().find_map(Check::first_ng) {
            Some((who, why)) => Verdict::Ng(format!("{who}: {why}")),
            None => Verdict::Ok,
        };
        Check {
            name: name.into(),
            verdict,
            cached: false,
            children,
        }
    }

    /// The first NG at or below this check, deepest first: `(name, reason)`.
    #[must_use]
    pub fn first_ng(&self) -> Option<(&str, &str)> {
        if let Some(found) = self.children.iter().find_map(Check::first_ng) {
            return Some(found);
        }
        match &self.verdict {
            Verdict::Ng(why) => Some((&self.name, why)),
            _ => None,
        }
    }
}

/// What to check and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// Read every secret and parameter (`--no-get-secrets` turns it off).
    pub get_secrets: bool,
    /// Write one line to each awslogs log group (`--no-put-logs` turns it off).
    pub put_logs: bool,
    /// Go on after an NG, to see every problem at once.
    pub keep_going: bool,
    /// How container registries other than ECR are reached.
    pub registry: RegistryAccess,
}

/// Results of one run, shared by the configs it verifies.
#[derive(Debug, Clone, Default)]
pub struct Cache(Arc<Mutex<HashMap<String, Verdict>>>);

impl Cache {
    fn get(&self, key: &str) -> Option<Verdict> {
        self.0.lock().ok()?.get(key).cloned()
    }

    fn put(&self, key: String, verdict: &Verdict) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(key, verdict.clone());
        }
    }
}

/// What one config asks to verify.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    /// The task definition, as it would be registered.
    pub task_definition: &'a RegisterTaskDefinitionInput,
    /// The service definition, when the config has one.
    pub service: Option<&'a CreateServiceInput>,
    /// The cluster the service runs in.
    pub cluster: &'a str,
}

/// What the run says along the way (not a check): the assumed role, the log line written.
pub type Notes = Vec<String>;

/// Verifies one config's definitions. `sdk` is the caller's AWS configuration (region,
/// credentials, endpoint). Returns the tree of checks (cut short after the first NG unless
/// `keep_going`) and notes to show.
pub async fn verify(
    sdk: &SdkConfig,
    subject: &Subject<'_>,
    options: &Options,
    cache: &Cache,
) -> (Vec<Check>, Notes) {
    let mut notes = Vec::new();
    let runner = checks::Runner::new(sdk, subject, options, cache, &mut notes).await;
    let tree = runner.run(&mut notes).await;
    (tree, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_is_ng_with_its_first_ng_childs_reason() {
        let group = Check::group(
            "ContainerDefinition[app]",
            vec![
                Check::leaf("Image[nginx:1]", Verdict::Ok),
                Check::leaf("Secret DB[x]", Verdict::Ng("not found".to_owned())),
                Check::leaf("LogConfiguration[awslogs]", Verdict::Skip("no".to_owned())),
            ],
        );
        assert_eq!(
            group.verdict,
            Verdict::Ng("Secret DB[x]: not found".to_owned())
        );
        assert_eq!(group.first_ng(), Some(("Secret DB[x]", "not found")));
        let json = serde_json::to_value(&group).expect("json");
        assert_eq!(json["result"], "NG");
        assert_eq!(json["children"][0]["result"], "OK");
        assert_eq!(json["children"][1]["reason"], "not found");
    }
}
