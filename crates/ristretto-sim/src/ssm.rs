//! SSM Parameter Store (`AmazonSSM.*`): GetParameter and GetParameters, for the `ssm`
//! template function.

use std::collections::BTreeMap;

use aws_sdk_ssm::operation::get_parameter::{GetParameterInput, GetParameterOutput};
use aws_sdk_ssm::operation::get_parameters::{GetParametersInput, GetParametersOutput};
use aws_sdk_ssm::types::{Parameter, ParameterType};
use serde::{Deserialize, Serialize};

use crate::clock::Epoch;
use crate::codec::{decode, encode};
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};
use crate::world::World;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SsmState {
    pub parameters: BTreeMap<String, StoredParameter>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredParameter {
    pub value: String,
    pub kind: String,
    pub version: i64,
    pub last_modified: Epoch,
    pub arn: String,
}

pub fn seed(state: &mut State, ctx: &Ctx, world: &World) {
    for p in &world.parameters {
        let path = if p.name.starts_with('/') {
            p.name.clone()
        } else {
            format!("/{}", p.name)
        };
        state.ssm.parameters.insert(
            p.name.clone(),
            StoredParameter {
                value: p.value.clone(),
                kind: p.kind.clone(),
                version: 1,
                last_modified: ctx.now,
                arn: ctx.arn("ssm", &format!("parameter{path}")),
            },
        );
    }
}

/// Handles one SSM operation; `None` when it is not simulated.
pub fn handle(state: &mut State, op: &str, body: &[u8]) -> Option<ApiResult> {
    Some(match op {
        "GetParameter" => get_parameter(state, body),
        "GetParameters" => get_parameters(state, body),
        _ => return None,
    })
}

fn to_parameter(name: &str, p: &StoredParameter, decrypt: bool) -> Parameter {
    let value = if p.kind == "SecureString" && !decrypt {
        aws_smithy_types::base64::encode(format!("kms:{}", p.value))
    } else {
        p.value.clone()
    };
    Parameter::builder()
        .name(name)
        .r#type(ParameterType::from(p.kind.as_str()))
        .value(value)
        .version(p.version)
        .last_modified_date(crate::clock::timestamp(p.last_modified))
        .arn(&p.arn)
        .data_type("text")
        .build()
}

/// `name` or `name:version` (the version selector is accepted and ignored beyond the latest).
fn lookup<'a>(state: &'a State, name: &str) -> Option<(&'a str, &'a StoredParameter)> {
    let plain = match name.rsplit_once(':') {
        Some((n, v)) if v.chars().all(|c| c.is_ascii_digit()) => n,
        _ => name,
    };
    state
        .ssm
        .parameters
        .get_key_value(plain)
        .map(|(k, v)| (k.as_str(), v))
}

fn get_parameter(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, GetParameterInput::deserialize)?;
    let name = input.name().unwrap_or_default();
    let (key, p) = lookup(state, name).ok_or_else(|| ApiError::new("ParameterNotFound", ""))?;
    let parameter = to_parameter(key, p, input.with_decryption() == Some(true));
    Ok(encode(
        &GetParameterOutput::builder().parameter(parameter).build(),
    ))
}

fn get_parameters(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, GetParametersInput::deserialize)?;
    let mut out = GetParametersOutput::builder();
    let mut invalid = Vec::new();
    let mut found = Vec::new();
    for name in input.names() {
        match lookup(state, name) {
            Some((key, p)) => {
                found.push(to_parameter(key, p, input.with_decryption() == Some(true)))
            }
            None => invalid.push(name.clone()),
        }
    }
    out = out
        .set_parameters(Some(found))
        .set_invalid_parameters(Some(invalid));
    Ok(encode(&out.build()))
}
