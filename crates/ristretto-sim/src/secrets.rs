//! Secrets Manager (`secretsmanager.*`): DescribeSecret and GetSecretValue, for the
//! `secretsmanager_arn` template function and secret references.
//!
//! The Secrets Manager SDK crate has no schema codec yet, so the few wire shapes are written
//! with serde here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clock::Epoch;
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};
use crate::world::World;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SecretsState {
    /// Secrets by name.
    pub secrets: BTreeMap<String, StoredSecret>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredSecret {
    pub arn: String,
    pub value: String,
    pub description: Option<String>,
    pub version_id: String,
    pub created: Epoch,
}

pub fn seed(state: &mut State, ctx: &Ctx, world: &World) {
    for s in &world.secrets {
        let suffix = state.ids.alnum_id(6);
        let version_id = state.ids.uuid();
        state.secrets.secrets.insert(
            s.name.clone(),
            StoredSecret {
                arn: ctx.arn("secretsmanager", &format!("secret:{}-{suffix}", s.name)),
                value: s.value.clone(),
                description: s.description.clone(),
                version_id,
                created: ctx.now,
            },
        );
    }
}

/// Handles one Secrets Manager operation; `None` when it is not simulated.
pub fn handle(state: &mut State, op: &str, body: &[u8]) -> Option<ApiResult> {
    Some(match op {
        "DescribeSecret" => describe(state, body),
        "GetSecretValue" => get_value(state, body),
        _ => return None,
    })
}

fn not_found() -> ApiError {
    ApiError::new(
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret.",
    )
}

/// By name, full ARN, or ARN without its random suffix.
fn lookup<'a>(state: &'a State, id: &str) -> Option<(&'a str, &'a StoredSecret)> {
    if let Some((k, v)) = state.secrets.secrets.get_key_value(id) {
        return Some((k, v));
    }
    state
        .secrets
        .secrets
        .iter()
        .find(|(name, s)| {
            s.arn == id || (id.starts_with("arn:") && id.ends_with(&format!(":secret:{name}")))
        })
        .map(|(k, v)| (k.as_str(), v))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct SecretInput {
    secret_id: Option<String>,
    version_id: Option<String>,
    version_stage: Option<String>,
}

fn parse(body: &[u8]) -> Result<SecretInput, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(SecretInput::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::serialization(e.to_string()))
}

fn describe(state: &mut State, body: &[u8]) -> ApiResult {
    let input = parse(body)?;
    let (name, s) =
        lookup(state, input.secret_id.as_deref().unwrap_or_default()).ok_or_else(not_found)?;
    let mut out = serde_json::json!({
        "ARN": s.arn,
        "Name": name,
        "LastChangedDate": s.created,
        "CreatedDate": s.created,
        "VersionIdsToStages": { s.version_id.clone(): ["AWSCURRENT"] },
    });
    if let Some(d) = &s.description {
        out["Description"] = serde_json::Value::String(d.clone());
    }
    Ok(out.to_string().into_bytes())
}

fn get_value(state: &mut State, body: &[u8]) -> ApiResult {
    let input = parse(body)?;
    let (name, s) =
        lookup(state, input.secret_id.as_deref().unwrap_or_default()).ok_or_else(not_found)?;
    if input
        .version_id
        .as_ref()
        .is_some_and(|v| *v != s.version_id)
        || input
            .version_stage
            .as_ref()
            .is_some_and(|v| v != "AWSCURRENT")
    {
        return Err(ApiError::new(
            "ResourceNotFoundException",
            "Secrets Manager can't find the specified secret value for VersionId or VersionStage.",
        ));
    }
    Ok(serde_json::json!({
        "ARN": s.arn,
        "Name": name,
        "VersionId": s.version_id,
        "SecretString": s.value,
        "VersionStages": ["AWSCURRENT"],
        "CreatedDate": s.created,
    })
    .to_string()
    .into_bytes())
}
