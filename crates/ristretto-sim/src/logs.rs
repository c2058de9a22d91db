//! CloudWatch Logs (`logs.*`, awsJson 1.1 `Logs_20140328`): log groups from the world file
//! (`logGroups:`), DescribeLogGroups, CreateLogStream and PutLogEvents.
//!
//! The CloudWatch Logs SDK crate is not a dependency of the simulator, so the few wire shapes
//! are written with serde here, like Secrets Manager's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::clock::Epoch;
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};
use crate::world::World;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct LogsState {
    /// Log groups by name.
    pub groups: BTreeMap<String, LogGroup>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogGroup {
    pub arn: String,
    pub created: Epoch,
    /// Streams by name.
    #[serde(default)]
    pub streams: BTreeMap<String, LogStream>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogStream {
    pub created: Epoch,
    /// `(timestamp in ms, message)`, in the order put.
    #[serde(default)]
    pub events: Vec<(i64, String)>,
}

pub fn seed(state: &mut State, ctx: &Ctx, world: &World) {
    for name in &world.log_groups {
        state.logs.groups.insert(
            name.clone(),
            LogGroup {
                arn: ctx.arn("logs", &format!("log-group:{name}")),
                created: ctx.now,
                streams: BTreeMap::new(),
            },
        );
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Input {
    log_group_name: Option<String>,
    log_group_name_prefix: Option<String>,
    log_stream_name: Option<String>,
    log_events: Vec<InputEvent>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct InputEvent {
    timestamp: i64,
    message: String,
}

/// Handles one CloudWatch Logs operation; `None` when it is not simulated.
pub fn handle(state: &mut State, op: &str, body: &[u8]) -> Option<ApiResult> {
    let input = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(Input::default())
    } else {
        serde_json::from_slice::<Input>(body).map_err(|e| ApiError::serialization(e.to_string()))
    };
    let input = match input {
        Ok(i) => i,
        Err(e) => return Some(Err(e)),
    };
    Some(match op {
        "DescribeLogGroups" => Ok(describe_log_groups(state, &input)),
        "CreateLogStream" => create_log_stream(state, &input),
        "PutLogEvents" => put_log_events(state, &input),
        _ => return None,
    })
}

/// CloudWatch Logs API reference, Errors: ResourceNotFoundException.
fn group_not_found() -> ApiError {
    ApiError::new(
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    )
}

fn ms(t: Epoch) -> i64 {
    // World seconds to epoch milliseconds; world times are far inside i64's range.
    #[allow(clippy::cast_possible_truncation)]
    let v = (t * 1000.0) as i64;
    v
}

fn describe_log_groups(state: &State, input: &Input) -> Vec<u8> {
    let prefix = input.log_group_name_prefix.as_deref().unwrap_or_default();
    let groups: Vec<_> = state
        .logs
        .groups
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(name, g)| {
            json!({
                "logGroupName": name,
                "creationTime": ms(g.created),
                "metricFilterCount": 0,
                // DescribeLogGroups reference: `arn` ends with `:*`, `logGroupArn` does not.
                "arn": format!("{}:*", g.arn),
                "logGroupArn": g.arn,
                "storedBytes": 0,
                "logGroupClass": "STANDARD",
            })
        })
        .collect();
    json!({"logGroups": groups}).to_string().into_bytes()
}

fn create_log_stream(state: &mut State, input: &Input) -> ApiResult {
    let now = state.now;
    let group = input.log_group_name.as_deref().unwrap_or_default();
    let stream = input.log_stream_name.clone().unwrap_or_default();
    let group = state
        .logs
        .groups
        .get_mut(group)
        .ok_or_else(group_not_found)?;
    if group.streams.contains_key(&stream) {
        // CreateLogStream reference, Errors: ResourceAlreadyExistsException.
        return Err(ApiError::new(
            "ResourceAlreadyExistsException",
            "The specified log stream already exists",
        ));
    }
    group.streams.insert(
        stream,
        LogStream {
            created: now,
            events: Vec::new(),
        },
    );
    Ok(b"{}".to_vec())
}

fn put_log_events(state: &mut State, input: &Input) -> ApiResult {
    let group = input.log_group_name.as_deref().unwrap_or_default();
    let stream = input.log_stream_name.as_deref().unwrap_or_default();
    let group = state
        .logs
        .groups
        .get_mut(group)
        .ok_or_else(group_not_found)?;
    let stream = group.streams.get_mut(stream).ok_or_else(|| {
        ApiError::new(
            "ResourceNotFoundException",
            "The specified log stream does not exist.",
        )
    })?;
    stream.events.extend(
        input
            .log_events
            .iter()
            .map(|e| (e.timestamp, e.message.clone())),
    );
    Ok(b"{}".to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Kit;

    // CloudWatch Logs API reference: CreateLogStream needs an existing group and a new name;
    // PutLogEvents needs an existing stream (ResourceNotFoundException otherwise).
    #[test]
    fn streams_are_created_once_in_existing_groups_and_take_events() {
        let mut kit = Kit::new("logGroups: [/ecs/web]\n");
        let state = &mut kit.state;
        let call = |state: &mut State, op: &str, body: serde_json::Value| {
            handle(state, op, body.to_string().as_bytes()).expect("simulated")
        };
        let stream = json!({"logGroupName": "/ecs/web", "logStreamName": "verify/app/1"});
        assert!(call(state, "CreateLogStream", stream.clone()).is_ok());
        let again = call(state, "CreateLogStream", stream).expect_err("exists");
        assert_eq!(again.code, "ResourceAlreadyExistsException");
        let missing = call(
            state,
            "CreateLogStream",
            json!({"logGroupName": "/ecs/api", "logStreamName": "x"}),
        )
        .expect_err("no group");
        assert_eq!(missing.code, "ResourceNotFoundException");
        let put = json!({"logGroupName": "/ecs/web", "logStreamName": "verify/app/1",
                         "logEvents": [{"timestamp": 1000, "message": "hello"}]});
        assert!(call(state, "PutLogEvents", put).is_ok());
        assert_eq!(
            state.logs.groups["/ecs/web"].streams["verify/app/1"].events,
            [(1000, "hello".to_owned())]
        );
        let groups: serde_json::Value = serde_json::from_slice(
            &call(
                state,
                "DescribeLogGroups",
                json!({"logGroupNamePrefix": "/ecs/"}),
            )
            .expect("ok"),
        )
        .expect("json");
        assert_eq!(groups["logGroups"][0]["logGroupName"], "/ecs/web");
        assert!(
            groups["logGroups"][0]["arn"]
                .as_str()
                .expect("arn")
                .ends_with("log-group:/ecs/web:*")
        );
    }
}
