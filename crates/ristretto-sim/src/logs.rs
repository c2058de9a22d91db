//! CloudWatch Logs (`logs.*`, awsJson 1.1 `Logs_20140328`): log groups from the world file
//! (`logGroups:`), DescribeLogGroups, DescribeLogStreams, CreateLogStream, PutLogEvents,
//! GetLogEvents and FilterLogEvents — and the lines the containers of tasks write through the
//! `awslogs` log driver.
//!
//! # Container lines
//! A container whose definition has `logConfiguration.logDriver: awslogs` writes to the stream
//! `<awslogs-stream-prefix>/<container name>/<task ID>` of `awslogs-group` (ECS developer guide,
//! "Send Amazon ECS logs to CloudWatch" and the task definition parameters' `awslogs-stream-prefix`;
//! without a prefix the stream is named after the container's ID, its `runtimeId` here). The
//! stream is created when the task becomes RUNNING. What is written comes from the world file:
//! the `logs:` lines of the container's `containers:` rule (offsets after RUNNING, optionally
//! repeating until the container stops) and the `logs:` lines of a `failures:` rule, written as
//! the failing container exits. Lines carry world-clock timestamps, so advancing the clock
//! writes them ([`write_due`] runs at the end of every [`State::advance`]).
//!
//! ECS creates a missing group only with `awslogs-create-group: "true"` (developer guide, same
//! page). Without it, on AWS the task fails to start (its container cannot create its stream);
//! the simulator does not model that failure: the task runs and writes nothing. `awslogs-region`
//! is not modelled either (one set of groups serves every region).
//!
//! Not modelled: retention, KMS, log classes, metric and subscription filters, Live Tail,
//! Logs Insights, `unmask`, filter patterns other than terms (JSON `{ … }`, space-delimited
//! `[ … ]` and `%regex%` patterns are refused), tokens expiring after 24 hours, the 1 MB
//! response size limit (only the 10,000-event limit), sequence tokens of PutLogEvents.
//!
//! The CloudWatch Logs SDK crate is not a dependency of the simulator, so the few wire shapes
//! are written with serde here, like Secrets Manager's.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecs::types::{ContainerDefinition, LogDriver, TaskStopCode};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::clock::Epoch;
use crate::ecs::TaskRecord;
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};
use crate::world::World;

/// GetLogEvents and FilterLogEvents: at most 10,000 events per answer (API reference, `limit`).
const MAX_LIMIT: usize = 10_000;
/// A repeating line writes at most this many events per container in one advance of the clock
/// (a guard against a world advanced by years; not an AWS limit).
const MAX_LINES_PER_ADVANCE: usize = 10_000;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct LogsState {
    /// Log groups by name.
    pub groups: BTreeMap<String, LogGroup>,
    /// Task ARN → the world time up to which its containers' lines are written.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub written: BTreeMap<String, Epoch>,
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

// ---------------------------------------------------------------------------------------------
// What containers write

/// The `awslogs` options of a container definition: group, stream prefix, create-group.
struct AwsLogs<'a> {
    group: &'a str,
    prefix: Option<&'a str>,
    create_group: bool,
}

fn awslogs(c: &ContainerDefinition) -> Option<AwsLogs<'_>> {
    let config = c.log_configuration()?;
    if config.log_driver() != &LogDriver::Awslogs {
        return None;
    }
    let options = config.options()?;
    Some(AwsLogs {
        group: options.get("awslogs-group")?,
        prefix: options
            .get("awslogs-stream-prefix")
            .map(String::as_str)
            .filter(|p| !p.is_empty()),
        create_group: options
            .get("awslogs-create-group")
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
    })
}

/// Writes every container line due in `(last written, now]` of every task, and forgets the
/// tasks that are gone. Called at the end of [`State::advance`], before stopped tasks are
/// pruned, so a task that starts and stops within one advance still writes its lines.
pub fn write_due(state: &mut State, now: Epoch) {
    let State {
        ecs, logs, rules, ..
    } = state;
    let mut seen = BTreeSet::new();
    for cluster in ecs.clusters.values() {
        for (_, task) in crate::ecs::tasks::all_tasks(cluster) {
            let Some(arn) = task.task.task_arn() else {
                continue;
            };
            seen.insert(arn.to_owned());
            let from = logs.written.get(arn).copied();
            let until = task.stopped_at.map_or(now, |s| s.min(now));
            if from.is_some_and(|f| f >= until) {
                continue;
            }
            let Some(td) = task
                .task
                .task_definition_arn()
                .and_then(|a| crate::ecs::task_definitions::resolve(ecs, a))
            else {
                continue;
            };
            write_task(logs, rules, &td.task_definition, task, from, until);
            logs.written.insert(arn.to_owned(), until);
        }
    }
    logs.written.retain(|arn, _| seen.contains(arn));
}

/// The lines of one task's containers due in `(from, until]`.
fn write_task(
    logs: &mut LogsState,
    rules: &World,
    td: &aws_sdk_ecs::types::TaskDefinition,
    task: &TaskRecord,
    from: Option<Epoch>,
    until: Epoch,
) {
    let family = td.family().unwrap_or_default();
    let started = task.task.started_at().is_some().then_some(task.ready_at);
    let failed = failing_container(rules, td, task);
    for c in td.container_definitions() {
        let Some(config) = awslogs(c) else {
            continue;
        };
        let name = c.name().unwrap_or_default();
        let mut lines: Vec<(Epoch, String)> = Vec::new();
        if let Some(started) = started
            && let Some(rule) =
                rules.container_rule_for(family, name, c.image().unwrap_or_default())
        {
            for line in &rule.logs {
                script_times(started + line.after, line.every, from, until, |t| {
                    lines.push((t, line.message.clone()));
                });
            }
        }
        if let Some((container, at, messages)) = &failed
            && container == name
            && from.is_none_or(|f| *at > f)
            && *at <= until
        {
            lines.extend(messages.iter().map(|m| (*at, m.clone())));
        }
        if started.is_none() && lines.is_empty() {
            continue;
        }
        lines.sort_by(|a, b| a.0.total_cmp(&b.0));
        let stream = match config.prefix {
            Some(prefix) => format!("{prefix}/{name}/{}", task.id()),
            None => runtime_id(task, name),
        };
        let created = started
            .or_else(|| lines.first().map(|l| l.0))
            .unwrap_or(until);
        let Some(group) = group_for(logs, rules, config.group, config.create_group, created) else {
            continue;
        };
        let stream = group.streams.entry(stream).or_insert_with(|| LogStream {
            created,
            events: Vec::new(),
        });
        stream
            .events
            .extend(lines.into_iter().map(|(t, m)| (ms(t), m)));
    }
}

/// The group `name`; ECS creates it when it is missing and `awslogs-create-group` is set.
fn group_for<'a>(
    logs: &'a mut LogsState,
    rules: &World,
    name: &str,
    create: bool,
    at: Epoch,
) -> Option<&'a mut LogGroup> {
    if !logs.groups.contains_key(name) {
        if !create {
            return None;
        }
        logs.groups.insert(
            name.to_owned(),
            LogGroup {
                arn: format!(
                    "arn:aws:logs:{}:{}:log-group:{name}",
                    rules.region(),
                    rules.account_id()
                ),
                created: at,
                streams: BTreeMap::new(),
            },
        );
    }
    logs.groups.get_mut(name)
}

/// The container's ID (what an awslogs stream without a prefix is named after).
fn runtime_id(task: &TaskRecord, name: &str) -> String {
    task.task
        .containers()
        .iter()
        .find(|c| c.name() == Some(name))
        .and_then(|c| c.runtime_id())
        .map_or_else(|| format!("{}-{name}", task.id()), str::to_owned)
}

/// `(container, exit time, lines)` when the task stopped because a `failures:` rule with
/// lines made its container exit.
fn failing_container(
    rules: &World,
    td: &aws_sdk_ecs::types::TaskDefinition,
    task: &TaskRecord,
) -> Option<(String, Epoch, Vec<String>)> {
    let at = task.stopped_at?;
    if task.task.stop_code() != Some(&TaskStopCode::EssentialContainerExited) {
        return None;
    }
    let family = td.family().unwrap_or_default();
    let images = td.container_definitions().iter().filter_map(|c| c.image());
    let rule = rules.failure_for(family, images)?;
    if rule.logs.is_empty() {
        return None;
    }
    let container = td
        .container_definitions()
        .iter()
        .find(|c| {
            c.image()
                .is_some_and(|i| crate::world::glob_match(&rule.image, i))
        })?
        .name()?;
    let exited = task
        .task
        .containers()
        .iter()
        .any(|c| c.name() == Some(container) && c.exit_code() == Some(rule.exit_code));
    exited.then(|| (container.to_owned(), at, rule.logs.clone()))
}

/// Calls `write` with each time `first + k × every` (k ≥ 0; only `first` without `every`) in
/// `(from, until]`, at most [`MAX_LINES_PER_ADVANCE`] of them.
fn script_times(
    first: Epoch,
    every: Option<f64>,
    from: Option<Epoch>,
    until: Epoch,
    mut write: impl FnMut(Epoch),
) {
    let after = |t: Epoch| from.is_none_or(|f| t > f);
    let Some(every) = every.filter(|e| *e > 0.0) else {
        if after(first) && first <= until {
            write(first);
        }
        return;
    };
    let mut k = match from {
        Some(f) if f >= first => ((f - first) / every).floor(),
        _ => 0.0,
    };
    let mut written = 0;
    while written < MAX_LINES_PER_ADVANCE {
        let t = first + k * every;
        if t > until {
            break;
        }
        if after(t) {
            write(t);
            written += 1;
        }
        k += 1.0;
    }
}

// ---------------------------------------------------------------------------------------------
// The API

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Input {
    log_group_name: Option<String>,
    log_group_identifier: Option<String>,
    log_group_name_prefix: Option<String>,
    log_stream_name: Option<String>,
    log_stream_names: Option<Vec<String>>,
    log_stream_name_prefix: Option<String>,
    log_events: Vec<InputEvent>,
    start_time: Option<i64>,
    end_time: Option<i64>,
    next_token: Option<String>,
    limit: Option<i64>,
    start_from_head: Option<bool>,
    filter_pattern: Option<String>,
    order_by: Option<String>,
    descending: Option<bool>,
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
        "DescribeLogStreams" => describe_log_streams(state, &input),
        "CreateLogStream" => create_log_stream(state, &input),
        "PutLogEvents" => put_log_events(state, &input),
        "GetLogEvents" => get_log_events(state, &input),
        "FilterLogEvents" => filter_log_events(state, &input),
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

fn stream_not_found() -> ApiError {
    ApiError::new(
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
    )
}

/// CloudWatch Logs API reference, Errors: InvalidParameterException ("A parameter is specified
/// incorrectly"). AWS's exact messages for each case are not documented; these are ours.
fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new("InvalidParameterException", message)
}

fn ms(t: Epoch) -> i64 {
    // World seconds to epoch milliseconds; world times are far inside i64's range.
    #[allow(clippy::cast_possible_truncation)]
    let v = (t * 1000.0).round() as i64;
    v
}

/// The group a request names: `logGroupName`, or `logGroupIdentifier` (a name or an ARN).
fn named_group<'a>(state: &'a State, input: &Input) -> Result<(&'a str, &'a LogGroup), ApiError> {
    let name = match (&input.log_group_name, &input.log_group_identifier) {
        (Some(_), Some(_)) => {
            // API reference (GetLogEvents, FilterLogEvents): "You must include either
            // logGroupIdentifier or logGroupName, but not both."
            return Err(invalid(
                "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
            ));
        }
        (Some(name), None) => name.as_str(),
        (None, Some(id)) => id
            .strip_prefix("arn:")
            .and_then(|_| id.split_once(":log-group:"))
            .map_or(id.as_str(), |(_, n)| n.trim_end_matches(":*")),
        (None, None) => {
            return Err(invalid(
                "Either logGroupName or logGroupIdentifier is required",
            ));
        }
    };
    state
        .logs
        .groups
        .get_key_value(name)
        .map(|(k, g)| (k.as_str(), g))
        .ok_or_else(group_not_found)
}

/// `limit` between 1 and 10,000 (API reference), default 10,000.
fn limit(input: &Input) -> Result<usize, ApiError> {
    match input.limit {
        None => Ok(MAX_LIMIT),
        Some(n) if (1..=10_000).contains(&n) => Ok(usize::try_from(n).unwrap_or(MAX_LIMIT)),
        Some(n) => Err(invalid(format!(
            "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000"
        ))),
    }
}

fn in_window(input: &Input, ts: i64) -> bool {
    // API reference (GetLogEvents, FilterLogEvents): events at or after startTime are
    // included; events at or after endTime are not.
    input.start_time.is_none_or(|s| ts >= s) && input.end_time.is_none_or(|e| ts < e)
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

/// DescribeLogStreams: the group's streams by name (`logStreamNamePrefix`), or by last event
/// time with `orderBy: LastEventTime` (which refuses a prefix); `descending` reverses. No
/// pagination: every stream in one answer.
fn describe_log_streams(state: &State, input: &Input) -> ApiResult {
    let (_, group) = named_group(state, input)?;
    let by_time = input.order_by.as_deref() == Some("LastEventTime");
    if by_time && input.log_stream_name_prefix.is_some() {
        // API reference, DescribeLogStreams `orderBy`: "If you order the results by event
        // time, you cannot specify the logStreamNamePrefix parameter."
        return Err(invalid(
            "Cannot order by LastEventTime with a logStreamNamePrefix.",
        ));
    }
    let prefix = input.log_stream_name_prefix.as_deref().unwrap_or_default();
    let mut streams: Vec<(&String, &LogStream)> = group
        .streams
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .collect();
    if by_time {
        streams.sort_by_key(|(_, s)| s.events.iter().map(|e| e.0).max().unwrap_or(0));
    }
    if input.descending == Some(true) {
        streams.reverse();
    }
    let streams: Vec<_> = streams
        .into_iter()
        .map(|(name, s)| {
            let first = s.events.iter().map(|e| e.0).min();
            let last = s.events.iter().map(|e| e.0).max();
            json!({
                "logStreamName": name,
                "creationTime": ms(s.created),
                "firstEventTimestamp": first,
                "lastEventTimestamp": last,
                "lastIngestionTime": last,
                "arn": format!("{}:log-stream:{name}", group.arn),
                "storedBytes": 0,
            })
        })
        .collect();
    Ok(json!({"logStreams": streams}).to_string().into_bytes())
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
    let stream = group.streams.get_mut(stream).ok_or_else(stream_not_found)?;
    stream.events.extend(
        input
            .log_events
            .iter()
            .map(|e| (e.timestamp, e.message.clone())),
    );
    Ok(b"{}".to_vec())
}

/// A GetLogEvents token: the position in the stream where the next page starts (forward) or
/// ends (backward). AWS's tokens are opaque (`f/…`, `b/…`); these keep that shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Forward(usize),
    Backward(usize),
}

impl Token {
    fn parse(text: &str) -> Result<Token, ApiError> {
        let bad = || invalid("The specified nextToken is invalid.");
        let (dir, pos) = text.split_once('/').ok_or_else(bad)?;
        let pos = pos.parse::<usize>().map_err(|_| bad())?;
        match dir {
            "f" => Ok(Token::Forward(pos)),
            "b" => Ok(Token::Backward(pos)),
            _ => Err(bad()),
        }
    }

    fn text(self) -> String {
        match self {
            Token::Forward(p) => format!("f/{p:020}"),
            Token::Backward(p) => format!("b/{p:020}"),
        }
    }
}

/// GetLogEvents (API reference): the events of one stream in `[startTime, endTime)`, `limit`
/// at a time; without a token the earliest first with `startFromHead: true`, else the latest;
/// both tokens always present, and the same token handed back at the end of the stream.
/// Within a page events are in the order they were put (the simulator's containers put them
/// in time order).
fn get_log_events(state: &State, input: &Input) -> ApiResult {
    let (_, group) = named_group(state, input)?;
    let stream = group
        .streams
        .get(input.log_stream_name.as_deref().unwrap_or_default())
        .ok_or_else(stream_not_found)?;
    let limit = limit(input)?;
    let events = &stream.events;
    let token = input.next_token.as_deref().map(Token::parse).transpose()?;
    // Positions in the stream of the events in the time window.
    let window: Vec<usize> = (0..events.len())
        .filter(|i| in_window(input, events[*i].0))
        .collect();
    // With a token the token's direction decides (AWS asks callers to pass
    // `startFromHead: true` with a token; what it does otherwise is not documented).
    let forward = match token {
        Some(Token::Forward(_)) => true,
        Some(Token::Backward(_)) => false,
        None => input.start_from_head == Some(true),
    };
    let page: Vec<usize> = if forward {
        let from = match token {
            Some(Token::Forward(p)) => p,
            _ => 0,
        };
        window
            .iter()
            .copied()
            .filter(|i| *i >= from)
            .take(limit)
            .collect()
    } else {
        let before = match token {
            Some(Token::Backward(p)) => p,
            _ => events.len(),
        };
        let earlier: Vec<usize> = window.iter().copied().filter(|i| *i < before).collect();
        earlier[earlier.len().saturating_sub(limit)..].to_vec()
    };
    let (next_forward, next_backward) = match (page.first(), page.last()) {
        (Some(first), Some(last)) => (Token::Forward(last + 1), Token::Backward(*first)),
        // Nothing (more) in this direction: the token passed in comes back.
        _ => match token {
            Some(Token::Forward(p)) => (Token::Forward(p), Token::Backward(p)),
            Some(Token::Backward(p)) => (Token::Forward(p), Token::Backward(p)),
            None => (Token::Forward(events.len()), Token::Backward(0)),
        },
    };
    let out: Vec<_> = page
        .iter()
        .map(|i| {
            let (ts, message) = &events[*i];
            json!({"timestamp": ts, "message": message, "ingestionTime": ts})
        })
        .collect();
    Ok(json!({
        "events": out,
        "nextForwardToken": next_forward.text(),
        "nextBackwardToken": next_backward.text(),
    })
    .to_string()
    .into_bytes())
}

/// One term of a filter pattern.
#[derive(Debug, PartialEq, Eq)]
enum Term {
    /// Must appear (`ERROR`, `"exact phrase"`).
    All(String),
    /// One of these must appear (`?ERROR ?WARN`).
    Any(String),
    /// Must not appear (`-DEBUG`).
    Not(String),
}

/// Parses a filter pattern of terms (CloudWatch Logs user guide, "Filter pattern syntax":
/// unstructured log events; terms are case-sensitive; a pattern of several terms matches events
/// with all of them, `?term` any of them, `-term` none of it, and `"…"` is an exact phrase).
/// JSON, space-delimited and regex patterns are not modelled: refused.
fn parse_pattern(pattern: &str) -> Result<Vec<Term>, ApiError> {
    let trimmed = pattern.trim();
    if trimmed.starts_with('{') || trimmed.starts_with('[') || trimmed.contains('%') {
        return Err(invalid(format!(
            "the ristretto simulator matches only terms and quoted phrases, not the filter pattern `{pattern}`"
        )));
    }
    let mut terms = Vec::new();
    let mut rest = trimmed;
    while !rest.is_empty() {
        let (kind, body) = match rest.as_bytes()[0] {
            b'?' => (1, &rest[1..]),
            b'-' => (2, &rest[1..]),
            _ => (0, rest),
        };
        let (word, tail) = if let Some(quoted) = body.strip_prefix('"') {
            let end = quoted
                .find('"')
                .ok_or_else(|| invalid(format!("Invalid filter pattern: `{pattern}`")))?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = body.find(char::is_whitespace).unwrap_or(body.len());
            (&body[..end], &body[end..])
        };
        if !word.is_empty() {
            let word = word.to_owned();
            terms.push(match kind {
                1 => Term::Any(word),
                2 => Term::Not(word),
                _ => Term::All(word),
            });
        }
        rest = tail.trim_start();
    }
    Ok(terms)
}

fn matches(terms: &[Term], message: &str) -> bool {
    let mut any_seen = false;
    let mut any_hit = false;
    for term in terms {
        match term {
            Term::All(w) if !message.contains(w.as_str()) => return false,
            Term::Not(w) if message.contains(w.as_str()) => return false,
            Term::Any(w) => {
                any_seen = true;
                any_hit |= message.contains(w.as_str());
            }
            _ => {}
        }
    }
    !any_seen || any_hit
}

/// A FilterLogEvents event's place in the answer's order: time, stream, position in the stream.
type Key<'a> = (i64, &'a str, usize);

fn filter_token(key: Key<'_>) -> String {
    format!("{:020}:{:010}:{}", key.0, key.2, key.1)
}

fn parse_filter_token(text: &str) -> Result<(i64, String, usize), ApiError> {
    let bad = || invalid("The specified nextToken is invalid.");
    let mut parts = text.splitn(3, ':');
    let ts = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let index = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let stream = parts.next().ok_or_else(bad)?.to_owned();
    Ok((ts, stream, index))
}

/// A stable event ID of 56 digits, like AWS's: the timestamp, a hash of the stream name and
/// the position in the stream.
fn event_id(stream: &str, ts: i64, index: usize) -> String {
    // FNV-1a (64 bits).
    let hash = stream.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!(
        "{:020}{:016}{:020}",
        ts.max(0),
        hash % 10_000_000_000_000_000,
        index
    )
}

/// FilterLogEvents (API reference): the events of the group's streams (`logStreamNames`, or
/// `logStreamNamePrefix`, not both) in `[startTime, endTime)` matching `filterPattern`, in time
/// order across streams, `limit` at a time; `nextToken` only while more events remain;
/// `searchedLogStreams` is always empty (deprecated: "no longer supported").
fn filter_log_events(state: &State, input: &Input) -> ApiResult {
    let (_, group) = named_group(state, input)?;
    if input.log_stream_names.is_some() && input.log_stream_name_prefix.is_some() {
        // API reference, FilterLogEvents: "If you specify a value for both
        // logStreamNamePrefix and logStreamNames, the action returns an
        // InvalidParameterException error."
        return Err(invalid(
            "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.",
        ));
    }
    if input
        .log_stream_names
        .as_ref()
        .is_some_and(|n| n.len() > 100)
    {
        // API reference: logStreamNames holds 1 to 100 names.
        return Err(invalid(
            "1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length less than or equal to 100",
        ));
    }
    let limit = limit(input)?;
    let terms = parse_pattern(input.filter_pattern.as_deref().unwrap_or_default())?;
    let after = input
        .next_token
        .as_deref()
        .map(parse_filter_token)
        .transpose()?;
    let prefix = input.log_stream_name_prefix.as_deref().unwrap_or_default();
    let mut found: Vec<(Key<'_>, &str)> = Vec::new();
    for (name, stream) in &group.streams {
        let wanted = match &input.log_stream_names {
            Some(names) => names.iter().any(|n| n == name),
            None => name.starts_with(prefix),
        };
        if !wanted {
            continue;
        }
        for (index, (ts, message)) in stream.events.iter().enumerate() {
            if in_window(input, *ts) && matches(&terms, message) {
                found.push(((*ts, name.as_str(), index), message.as_str()));
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some((ts, stream, index)) = &after {
        let key = (*ts, stream.as_str(), *index);
        found.retain(|(k, _)| *k > key);
    }
    let more = found.len() > limit;
    found.truncate(limit);
    let next_token = more
        .then(|| found.last().map(|(k, _)| filter_token(*k)))
        .flatten();
    let events: Vec<_> = found
        .iter()
        .map(|((ts, stream, index), message)| {
            json!({
                "logStreamName": stream,
                "timestamp": ts,
                "message": message,
                "ingestionTime": ts,
                "eventId": event_id(stream, *ts, *index),
            })
        })
        .collect();
    let mut out = json!({"events": events, "searchedLogStreams": []});
    if let Some(token) = next_token {
        out["nextToken"] = json!(token);
    }
    Ok(out.to_string().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{Kit, WORLD};

    fn call(state: &mut State, op: &str, body: serde_json::Value) -> ApiResult {
        handle(state, op, body.to_string().as_bytes()).expect("simulated")
    }

    fn answer(state: &mut State, op: &str, body: serde_json::Value) -> serde_json::Value {
        serde_json::from_slice(&call(state, op, body).expect("ok")).expect("json")
    }

    fn messages(out: &serde_json::Value) -> Vec<String> {
        out["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["message"].as_str().expect("message").to_owned())
            .collect()
    }

    /// A group `/g` with stream `s` holding `n` events `e0`, `e1`, … at 1000, 2000, … ms.
    fn stream_of(n: i64) -> Kit {
        let mut kit = Kit::new("logGroups: [/g]\n");
        let state = &mut kit.state;
        call(
            state,
            "CreateLogStream",
            json!({"logGroupName": "/g", "logStreamName": "s"}),
        )
        .expect("stream");
        let events: Vec<_> = (0..n)
            .map(|i| json!({"timestamp": (i + 1) * 1000, "message": format!("e{i}")}))
            .collect();
        call(
            state,
            "PutLogEvents",
            json!({"logGroupName": "/g", "logStreamName": "s", "logEvents": events}),
        )
        .expect("put");
        kit
    }

    // CloudWatch Logs API reference, GetLogEvents: `startFromHead` true returns the earliest
    // events first, false (the default) the latest; `limit` caps a page; both tokens are always
    // returned and "If you have reached the end of the stream, it returns the same token you
    // passed in".
    #[test]
    fn get_log_events_pages_from_the_head_and_hands_back_the_same_token_at_the_end() {
        let mut kit = stream_of(5);
        let state = &mut kit.state;
        let req = |token: Option<&str>| {
            let mut r = json!({"logGroupName": "/g", "logStreamName": "s", "limit": 2,
                               "startFromHead": true});
            if let Some(t) = token {
                r["nextToken"] = json!(t);
            }
            r
        };
        let first = answer(state, "GetLogEvents", req(None));
        assert_eq!(messages(&first), ["e0", "e1"]);
        let token = first["nextForwardToken"]
            .as_str()
            .expect("token")
            .to_owned();
        let second = answer(state, "GetLogEvents", req(Some(&token)));
        assert_eq!(messages(&second), ["e2", "e3"]);
        let token = second["nextForwardToken"]
            .as_str()
            .expect("token")
            .to_owned();
        let third = answer(state, "GetLogEvents", req(Some(&token)));
        assert_eq!(messages(&third), ["e4"]);
        let token = third["nextForwardToken"]
            .as_str()
            .expect("token")
            .to_owned();
        let end = answer(state, "GetLogEvents", req(Some(&token)));
        assert_eq!(messages(&end), Vec::<String>::new());
        assert_eq!(
            end["nextForwardToken"],
            json!(token),
            "same token at the end"
        );
        // A line written later is found from the end token (how `--follow` reads on).
        call(
            state,
            "PutLogEvents",
            json!({"logGroupName": "/g", "logStreamName": "s",
                   "logEvents": [{"timestamp": 9000, "message": "late"}]}),
        )
        .expect("put");
        let more = answer(state, "GetLogEvents", req(Some(&token)));
        assert_eq!(messages(&more), ["late"]);
        assert!(first["nextBackwardToken"].is_string());
    }

    // Same page: without `startFromHead` the latest events come first (each page in time
    // order), and the backward token walks back to the head, then comes back unchanged.
    #[test]
    fn get_log_events_without_start_from_head_returns_the_latest_and_walks_back() {
        let mut kit = stream_of(5);
        let state = &mut kit.state;
        let last = answer(
            state,
            "GetLogEvents",
            json!({"logGroupName": "/g", "logStreamName": "s", "limit": 2}),
        );
        assert_eq!(messages(&last), ["e3", "e4"]);
        let mut token = last["nextBackwardToken"].as_str().expect("b").to_owned();
        let mut pages = Vec::new();
        loop {
            let page = answer(
                state,
                "GetLogEvents",
                json!({"logGroupName": "/g", "logStreamName": "s", "limit": 2,
                       "startFromHead": true, "nextToken": token}),
            );
            let next = page["nextBackwardToken"].as_str().expect("b").to_owned();
            if next == token {
                assert!(messages(&page).is_empty());
                break;
            }
            pages.push(messages(&page));
            token = next;
        }
        assert_eq!(pages, [vec!["e1", "e2"], vec!["e0"]]);
    }

    // GetLogEvents / FilterLogEvents reference: events at or after `startTime` are included,
    // events at or after `endTime` are not; limit is 1..=10000; a missing stream is
    // ResourceNotFoundException.
    #[test]
    fn get_log_events_keeps_to_the_time_window_and_refuses_bad_requests() {
        let mut kit = stream_of(5);
        let state = &mut kit.state;
        let out = answer(
            state,
            "GetLogEvents",
            json!({"logGroupName": "/g", "logStreamName": "s", "startFromHead": true,
                   "startTime": 2000, "endTime": 4000}),
        );
        assert_eq!(messages(&out), ["e1", "e2"]);
        let e = call(
            state,
            "GetLogEvents",
            json!({"logGroupName": "/g", "logStreamName": "s", "limit": 0}),
        )
        .expect_err("limit");
        assert_eq!(e.code, "InvalidParameterException");
        let e = call(
            state,
            "GetLogEvents",
            json!({"logGroupName": "/g", "logStreamName": "nope"}),
        )
        .expect_err("stream");
        assert_eq!(e.code, "ResourceNotFoundException");
        let by_arn = answer(
            state,
            "GetLogEvents",
            json!({"logGroupIdentifier": "arn:aws:logs:us-east-1:123456789012:log-group:/g",
                   "logStreamName": "s", "limit": 1}),
        );
        assert_eq!(messages(&by_arn), ["e4"]);
    }

    // CloudWatch Logs API reference, FilterLogEvents: events of several streams in time order,
    // `logStreamNames` or `logStreamNamePrefix` (both: InvalidParameterException), `nextToken`
    // while more remain, `searchedLogStreams` no longer supported (empty); eventId per event.
    #[test]
    fn filter_log_events_interleaves_streams_and_pages_with_next_token() {
        let mut kit = Kit::new("logGroups: [/g]\n");
        let state = &mut kit.state;
        for (stream, times) in [("web/app/a", [1000, 3000]), ("web/app/b", [2000, 4000])] {
            call(
                state,
                "CreateLogStream",
                json!({"logGroupName": "/g", "logStreamName": stream}),
            )
            .expect("stream");
            let events: Vec<_> = times
                .iter()
                .map(|t| json!({"timestamp": t, "message": format!("{stream} at {t}")}))
                .collect();
            call(
                state,
                "PutLogEvents",
                json!({"logGroupName": "/g", "logStreamName": stream, "logEvents": events}),
            )
            .expect("put");
        }
        let first = answer(
            state,
            "FilterLogEvents",
            json!({"logGroupName": "/g", "logStreamNamePrefix": "web/", "limit": 3}),
        );
        assert_eq!(
            messages(&first),
            [
                "web/app/a at 1000",
                "web/app/b at 2000",
                "web/app/a at 3000"
            ]
        );
        assert_eq!(first["searchedLogStreams"], json!([]));
        assert_eq!(first["events"][1]["logStreamName"], "web/app/b");
        assert_eq!(
            first["events"][0]["eventId"].as_str().map(str::len),
            Some(56)
        );
        let token = first["nextToken"].as_str().expect("more remain");
        let rest = answer(
            state,
            "FilterLogEvents",
            json!({"logGroupName": "/g", "logStreamNamePrefix": "web/", "limit": 3,
                   "nextToken": token}),
        );
        assert_eq!(messages(&rest), ["web/app/b at 4000"]);
        assert!(rest.get("nextToken").is_none(), "{rest}");
        let one = answer(
            state,
            "FilterLogEvents",
            json!({"logGroupName": "/g", "logStreamNames": ["web/app/b"], "startTime": 2500}),
        );
        assert_eq!(messages(&one), ["web/app/b at 4000"]);
        let both = call(
            state,
            "FilterLogEvents",
            json!({"logGroupName": "/g", "logStreamNames": ["x"], "logStreamNamePrefix": "w"}),
        )
        .expect_err("both");
        assert_eq!(both.code, "InvalidParameterException");
    }

    // CloudWatch Logs user guide, "Filter pattern syntax for metric filters, subscription
    // filters, filter log events, and Live Tail": terms are case-sensitive; all terms must
    // match, `?term` any of them, `-term` excludes, a quoted phrase matches exactly.
    #[test]
    fn filter_patterns_match_terms_as_cloudwatch_does() {
        let m = |p: &str, msg: &str| matches(&parse_pattern(p).expect("pattern"), msg);
        assert!(m("", "anything"));
        assert!(m("ERROR", "an ERROR here"));
        assert!(!m("ERROR", "an error here"), "case-sensitive");
        assert!(m("ERROR Exception", "ERROR: Exception thrown"));
        assert!(!m("ERROR Exception", "ERROR only"));
        assert!(m("?ERROR ?WARN", "WARN disk"));
        assert!(!m("?ERROR ?WARN", "INFO ok"));
        assert!(!m("-DEBUG", "DEBUG noise"));
        assert!(m("\"GET /health\"", "GET /health 200"));
        assert!(!m("\"GET /health\"", "GET /ready 200"));
        assert!(parse_pattern("{ $.level = \"error\" }").is_err());
    }

    /// A Fargate task definition of one essential container `app` (image `image`) logging to
    /// `/ecs/web` with `options` added to the group.
    fn awslogs_task(kit: &mut Kit, image: &str, options: serde_json::Value) {
        let mut opts = json!({"awslogs-group": "/ecs/web", "awslogs-region": "us-east-1"});
        for (k, v) in options.as_object().expect("object") {
            opts[k] = v.clone();
        }
        kit.register_container(
            "web",
            json!({"name": "app", "image": image, "essential": true,
                   "logConfiguration": {"logDriver": "awslogs", "options": opts}}),
        );
    }

    fn run_task(kit: &mut Kit) -> String {
        let out = kit.call("ecs", "RunTask", 0.0, json!({"taskDefinition": "web"}));
        let arn = out["tasks"][0]["taskArn"].as_str().expect("ARN");
        crate::ecs::short_name(arn).to_owned()
    }

    fn lines(kit: &Kit, group: &str, stream: &str) -> Vec<(i64, String)> {
        kit.state.logs.groups[group].streams[stream]
            .events
            .iter()
            .map(|(t, m)| (t - ms(kit.t0), m.clone()))
            .collect()
    }

    // ECS developer guide, "Send Amazon ECS logs to CloudWatch" / task definition parameters:
    // with `awslogs-stream-prefix` the stream is `prefix/container-name/task-id`. The lines and
    // their offsets are the world file's; they are timestamped on the world clock.
    #[test]
    fn a_running_container_writes_its_script_to_its_awslogs_stream_on_the_world_clock() {
        let world = format!(
            "{WORLD}logGroups: [/ecs/web]\ncontainers:\n  - image: \"web:*\"\n    logs:\n      - {{after: 0, message: listening}}\n      - {{after: 5, message: tick, every: 10}}\n"
        );
        let mut kit = Kit::new(&world);
        awslogs_task(&mut kit, "web:1", json!({"awslogs-stream-prefix": "web"}));
        let id = run_task(&mut kit);
        let stream = format!("web/app/{id}");
        kit.state.advance(kit.t0 + 9.0);
        assert!(
            !kit.state.logs.groups["/ecs/web"]
                .streams
                .contains_key(&stream),
            "no stream while PENDING"
        );
        kit.state.advance(kit.t0 + 20.0);
        assert_eq!(
            lines(&kit, "/ecs/web", &stream),
            [
                (10_000, "listening".to_owned()),
                (15_000, "tick".to_owned())
            ]
        );
        kit.state.advance(kit.t0 + 36.0);
        assert_eq!(
            lines(&kit, "/ecs/web", &stream)[2..],
            [(25_000, "tick".to_owned()), (35_000, "tick".to_owned())]
        );
        // Stopped at 40 (stop delay 2 s after StopTask at 38): no line after that.
        kit.call(
            "ecs",
            "StopTask",
            38.0,
            json!({"task": id.clone(), "reason": "done"}),
        );
        kit.state.advance(kit.t0 + 100.0);
        assert_eq!(lines(&kit, "/ecs/web", &stream).len(), 4);
    }

    // A failing image writes its error as it exits (the world file's `failures[].logs`);
    // `awslogs-create-group: "true"` makes ECS create the missing group (developer guide,
    // "Send Amazon ECS logs to CloudWatch"); without a prefix the stream is named after the
    // container's ID.
    #[test]
    fn a_failing_container_writes_its_error_line_as_it_exits_into_a_created_group() {
        let world = format!(
            "{WORLD}failures:\n  - image: \"*/migrate:broken\"\n    exitCode: 3\n    afterSeconds: 4\n    logs: [\"error: relation users does not exist\"]\ncontainers:\n  - image: \"*/migrate:*\"\n    logs: [{{after: 1, message: migrating}}]\n"
        );
        let mut kit = Kit::new(&world);
        awslogs_task(
            &mut kit,
            "acme/migrate:broken",
            json!({"awslogs-create-group": "true"}),
        );
        let id = run_task(&mut kit);
        kit.state.advance(kit.t0 + 60.0);
        let group = &kit.state.logs.groups["/ecs/web"];
        let stream = format!("{id}-app");
        assert!(
            group.streams.contains_key(&stream),
            "{:?}",
            group.streams.keys()
        );
        assert_eq!(
            lines(&kit, "/ecs/web", &stream),
            [
                (11_000, "migrating".to_owned()),
                (14_000, "error: relation users does not exist".to_owned())
            ]
        );
    }

    // Without `awslogs-create-group`, a missing group is not created and nothing is written
    // (on AWS the task would fail to start; not modelled, see the module documentation).
    #[test]
    fn a_missing_group_without_create_group_gets_nothing() {
        let world = format!(
            "{WORLD}containers:\n  - image: \"web:*\"\n    logs: [{{after: 0, message: hello}}]\n"
        );
        let mut kit = Kit::new(&world);
        awslogs_task(&mut kit, "web:1", json!({"awslogs-stream-prefix": "web"}));
        run_task(&mut kit);
        kit.state.advance(kit.t0 + 30.0);
        assert!(kit.state.logs.groups.is_empty());
    }

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
