//! The `cloudformation` plugin: `cfn_output STACK KEY` and `cfn_export NAME`, cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{simple, str_arg};
use crate::error::CallError;
use crate::functions::{FunctionDef, Syntaxes};
use crate::lookups::AwsLookups;

pub(super) fn setup(lookups: &Arc<dyn AwsLookups>) -> Vec<(&'static str, FunctionDef)> {
    let outputs: Mutex<HashMap<(String, String), String>> = Mutex::default();
    let exports: Mutex<HashMap<String, String>> = Mutex::default();
    let l = Arc::clone(lookups);
    let cfn_output = simple(&["stack", "key"], false, Syntaxes::ALL, move |args| {
        let stack = str_arg("cfn_output", args, 0)?;
        let key = str_arg("cfn_output", args, 1)?;
        let mut cache = outputs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let cache_key = (stack.to_string(), key.to_string());
        if let Some(v) = cache.get(&cache_key) {
            return Ok(v.clone());
        }
        let v = l.cfn_output(stack, key).map_err(|e| {
            CallError::new(format!(
                "failed to lookup output `{key}` of stack `{stack}`: {e}"
            ))
            .with_hint("check the stack name, the output key and the region")
        })?;
        cache.insert(cache_key, v.clone());
        Ok(v)
    });
    let l = Arc::clone(lookups);
    let cfn_export = simple(&["name"], false, Syntaxes::ALL, move |args| {
        let name = str_arg("cfn_export", args, 0)?;
        let mut cache = exports
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(v) = cache.get(name) {
            return Ok(v.clone());
        }
        let v = l.cfn_export(name).map_err(|e| {
            CallError::new(format!("failed to lookup export `{name}`: {e}"))
                .with_hint("check the export name and the region")
        })?;
        cache.insert(name.to_string(), v.clone());
        Ok(v)
    });
    vec![("cfn_output", cfn_output), ("cfn_export", cfn_export)]
}
