//! The `ssm` plugin: `ssm NAME [INDEX]` reads SSM Parameter Store (decrypted), cached per name.
//!
//! String and SecureString parameters take no index; a StringList needs the 0-based index of
//! the value to pick (the list is split on `,`). Values are secrets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::str_arg;
use crate::error::CallError;
use crate::functions::{FunctionDef, Syntaxes};
use crate::lookups::{AwsLookups, SsmParameter, SsmParameterType};
use crate::value::Value;

pub(super) fn setup(lookups: &Arc<dyn AwsLookups>) -> Vec<(&'static str, FunctionDef)> {
    let cache: Arc<Mutex<HashMap<String, SsmParameter>>> = Arc::default();
    let lookups = Arc::clone(lookups);
    let call = Arc::new(move |args: &[Value]| lookup(&*lookups, &cache, args));
    let ssm = FunctionDef {
        params: &["name", "index"],
        required: 1,
        variadic: true,
        secret: true,
        syntaxes: Syntaxes::ALL,
        call: call.clone(),
    };
    // Jsonnet native functions have fixed parameters: `ssm(name)` and `ssm_list(name, index)`.
    let ssm_list = FunctionDef {
        params: &["name", "index"],
        required: 2,
        variadic: false,
        secret: true,
        syntaxes: Syntaxes::JSONNET,
        call,
    };
    vec![("ssm", ssm), ("ssm_list", ssm_list)]
}

fn lookup(
    lookups: &dyn AwsLookups,
    cache: &Mutex<HashMap<String, SsmParameter>>,
    args: &[Value],
) -> Result<String, CallError> {
    if args.len() > 2 {
        return Err(CallError::new(format!(
            "ssm template function accepts at most 2 parameters, but got {}",
            args.len()
        )));
    }
    let name = str_arg("ssm", args, 0)?;
    let index = match args.get(1) {
        None => None,
        Some(Value::Int(i)) => Some(*i),
        Some(Value::Float(f)) if f.fract() == 0.0 => Some(*f as i64),
        Some(other) => {
            return Err(CallError::new(format!(
                "wrong type for value; expected int; got {} (index of ssm)",
                other.type_name()
            )));
        }
    };
    let param = {
        let cached = cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(name)
            .cloned();
        match cached {
            Some(p) => p,
            None => {
                let p = lookups.ssm_parameter(name).map_err(|e| {
                    CallError::new(format!("failed to lookup ssm parameter `{name}`: {e}"))
                        .with_hint("check the parameter name, the region, and that the credentials allow ssm:GetParameter")
                })?;
                cache
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(name.to_string(), p.clone());
                p
            }
        }
    };
    match (param.kind, index) {
        (SsmParameterType::StringList, None) => Err(CallError::new(
            "the second argument is required for StringList type parameter to specify the index",
        )
        .with_hint(format!("e.g. `ssm \"{name}\" 0` for the first value"))),
        (SsmParameterType::StringList, Some(i)) => {
            let values: Vec<&str> = param.value.split(',').collect();
            usize::try_from(i)
                .ok()
                .and_then(|i| values.get(i))
                .map(|v| (*v).to_string())
                .ok_or_else(|| {
                    CallError::new(format!(
                        "index {i} is out of range for StringList parameter {name} with {} values",
                        values.len()
                    ))
                })
        }
        (kind, Some(_)) => Err(CallError::new(format!(
            "the second argument is supported only for StringList type, but the parameter {name} is of type {kind}"
        ))),
        (_, None) => Ok(param.value),
    }
}
