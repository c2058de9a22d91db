//! The `secretsmanager` plugin: `secretsmanager_arn ID` gives a secret's ARN, cached per ID.
//! The ARN is not recorded as a secret: it is the reference `valueFrom` holds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{simple, str_arg};
use crate::error::CallError;
use crate::functions::{FunctionDef, Syntaxes};
use crate::lookups::AwsLookups;

pub(super) fn setup(lookups: &Arc<dyn AwsLookups>) -> Vec<(&'static str, FunctionDef)> {
    let cache: Mutex<HashMap<String, String>> = Mutex::default();
    let lookups = Arc::clone(lookups);
    // An ARN is a reference (it goes into `valueFrom`), not a secret value:
    // it is shown in diffs and logs, unlike `ssm` values.
    let def = simple(&["id"], false, Syntaxes::ALL, move |args| {
        let id = str_arg("secretsmanager_arn", args, 0)?;
        let mut cache = cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(arn) = cache.get(id) {
            return Ok(arn.clone());
        }
        let arn = lookups.secret_arn(id).map_err(|e| {
            CallError::new(format!("failed to describe secret `{id}`: {e}"))
                .with_hint("check the secret name or ARN and that the credentials allow secretsmanager:DescribeSecret")
        })?;
        cache.insert(id.to_string(), arn.clone());
        Ok(arn)
    });
    vec![("secretsmanager_arn", def)]
}
