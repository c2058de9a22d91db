//! Container logs in CloudWatch Logs, for `logs` and for `run` while it waits: where each
//! container writes (its task definition's `awslogs` options), and reading what it wrote —
//! once, or again and again without showing a line twice.
//!
//! One task's containers are read stream by stream with GetLogEvents, each stream carried
//! forward by its `nextForwardToken`; several tasks (a service), or a `--filter`, go through
//! FilterLogEvents over the tasks' streams, carried forward by the last timestamp seen and the
//! event IDs already shown at that timestamp.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::config::Region;
use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{ContainerDefinition, LogDriver, Task};

use crate::error::{AwsError, EcsError};

/// FilterLogEvents takes at most 100 stream names (API reference, `logStreamNames`).
const STREAMS_PER_FILTER: usize = 100;

/// Where a container's output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// CloudWatch Logs through `awslogs`, in streams `<prefix>/<container>/<task ID>`.
    CloudWatch {
        /// `awslogs-group`.
        group: String,
        /// `awslogs-region` (absent: the clients' region).
        region: Option<String>,
        /// `awslogs-stream-prefix`.
        prefix: String,
    },
    /// Not to CloudWatch Logs, or not in a stream ristretto can name.
    Elsewhere {
        /// Why, naming the container.
        reason: String,
        /// What to set in the task definition.
        hint: String,
    },
}

const AWSLOGS_HINT: &str = "set the container's `logConfiguration` to `{\"logDriver\": \"awslogs\", \"options\": {\"awslogs-group\": …, \"awslogs-region\": …, \"awslogs-stream-prefix\": …}}` in the task definition";

/// Where container `c` writes, from its `logConfiguration` (ECS developer guide, "Send Amazon
/// ECS logs to CloudWatch": with `awslogs-stream-prefix` the stream is
/// `prefix-name/container-name/ecs-task-id`; without it the stream is named after the Docker
/// container ID, which is not derivable from the task definition).
#[must_use]
pub fn source(c: &ContainerDefinition) -> Source {
    let name = c.name().unwrap_or("?");
    let Some(config) = c.log_configuration() else {
        return Source::Elsewhere {
            reason: format!(
                "container `{name}` has no `logConfiguration`: its output does not go to CloudWatch Logs"
            ),
            hint: AWSLOGS_HINT.to_owned(),
        };
    };
    if config.log_driver() != &LogDriver::Awslogs {
        return Source::Elsewhere {
            reason: format!(
                "container `{name}` logs through the `{}` log driver, not `awslogs`: ristretto reads CloudWatch Logs only",
                config.log_driver().as_str()
            ),
            hint: AWSLOGS_HINT.to_owned(),
        };
    }
    let options = config.options();
    let option = |key: &str| {
        options
            .and_then(|o| o.get(key))
            .filter(|v| !v.is_empty())
            .cloned()
    };
    let Some(group) = option("awslogs-group") else {
        return Source::Elsewhere {
            reason: format!("container `{name}` uses `awslogs` without `awslogs-group`"),
            hint: AWSLOGS_HINT.to_owned(),
        };
    };
    let Some(prefix) = option("awslogs-stream-prefix") else {
        return Source::Elsewhere {
            reason: format!(
                "container `{name}` logs to `{group}` without `awslogs-stream-prefix`: its streams are named after Docker container IDs, which ristretto cannot derive"
            ),
            hint: "set `awslogs-stream-prefix` in its `logConfiguration.options` (streams are then `<prefix>/<container>/<task ID>`)".to_owned(),
        };
    };
    Source::CloudWatch {
        group,
        region: option("awslogs-region"),
        prefix,
    }
}

/// One container's stream of one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    /// The task's ID.
    pub task: String,
    /// The container's name.
    pub container: String,
    /// `awslogs-region`, when set.
    pub region: Option<String>,
    /// `awslogs-group`.
    pub group: String,
    /// `<prefix>/<container>/<task ID>`.
    pub name: String,
}

/// A container that has no stream to read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoStream {
    /// The container's name.
    pub container: String,
    /// Why (names the container).
    pub reason: String,
    /// What to set.
    pub hint: String,
}

/// The streams of task `task_id`'s containers (only `only` when given), and the containers
/// without one.
///
/// # Errors
/// `only` names no container of the task definition.
pub fn task_streams(
    task_id: &str,
    containers: &[ContainerDefinition],
    only: Option<&str>,
) -> Result<(Vec<Stream>, Vec<NoStream>), EcsError> {
    if let Some(name) = only
        && !containers.iter().any(|c| c.name() == Some(name))
    {
        let names: Vec<&str> = containers.iter().filter_map(|c| c.name()).collect();
        return Err(EcsError::Invalid {
            message: format!("`--container {name}`: the task definition has no container `{name}`"),
            hint: Some(format!("its containers: {}", names.join(", "))),
        });
    }
    let mut streams = Vec::new();
    let mut none = Vec::new();
    for c in containers {
        let container = c.name().unwrap_or_default();
        if only.is_some_and(|o| o != container) {
            continue;
        }
        match source(c) {
            Source::CloudWatch {
                group,
                region,
                prefix,
            } => streams.push(Stream {
                task: task_id.to_owned(),
                container: container.to_owned(),
                region,
                group,
                name: format!("{prefix}/{container}/{task_id}"),
            }),
            Source::Elsewhere { reason, hint } => none.push(NoStream {
                container: container.to_owned(),
                reason,
                hint,
            }),
        }
    }
    Ok((streams, none))
}

/// The task `id` (its ID or ARN) of `cluster`, stopped or not; `None` when ECS does not know it.
///
/// # Errors
/// AWS errors.
pub async fn task(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    id: &str,
) -> Result<Option<Task>, EcsError> {
    let out = ecs
        .describe_tasks()
        .cluster(cluster)
        .tasks(id)
        .send()
        .await
        .map_err(|e| EcsError::aws("DescribeTasks", e))?;
    Ok(out.tasks().first().cloned())
}

/// The container definitions of the task definitions the tasks run, each described once.
#[derive(Debug, Default)]
pub struct Containers(BTreeMap<String, Vec<ContainerDefinition>>);

impl Containers {
    /// The streams of `tasks`' containers (only `only` when given), and the containers without
    /// one (each container name once).
    ///
    /// # Errors
    /// AWS errors; `only` naming no container of a task's definition.
    pub async fn streams(
        &mut self,
        ecs: &aws_sdk_ecs::Client,
        tasks: &[Task],
        only: Option<&str>,
    ) -> Result<(Vec<Stream>, Vec<NoStream>), EcsError> {
        let mut streams = Vec::new();
        let mut none: Vec<NoStream> = Vec::new();
        for t in tasks {
            let Some(arn) = t.task_definition_arn() else {
                continue;
            };
            if !self.0.contains_key(arn) {
                let containers = crate::task_definition::containers(ecs, arn).await?;
                self.0.insert(arn.to_owned(), containers);
            }
            let containers = self.0.get(arn).map(Vec::as_slice).unwrap_or_default();
            let id = t
                .task_arn()
                .and_then(|a| a.rsplit('/').next())
                .unwrap_or_default();
            let (s, n) = task_streams(id, containers, only)?;
            streams.extend(s);
            for n in n {
                if !none.iter().any(|k| k.container == n.container) {
                    none.push(n);
                }
            }
        }
        Ok((streams, none))
    }
}

/// One line a container wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The task's ID.
    pub task: String,
    /// The container's name.
    pub container: String,
    /// When it was written, in milliseconds since the epoch.
    pub timestamp: i64,
    /// The line.
    pub message: String,
}

/// How a [`Tail`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// GetLogEvents, stream by stream (one task, no filter).
    PerStream,
    /// FilterLogEvents over all streams of a group at once (a service, or a filter pattern).
    Filter,
}

/// Reads the lines of a set of streams, each call only the lines not read before.
#[derive(Debug)]
pub struct Tail {
    client: Client,
    clients: BTreeMap<String, Client>,
    mode: Mode,
    since: Option<i64>,
    filter: Option<String>,
    streams: Vec<Stream>,
    /// PerStream: the forward token of each stream read so far, by (group, stream).
    tokens: BTreeMap<(String, String), String>,
    /// Filter: per (region, group), the latest timestamp shown and the event IDs shown at it.
    marks: BTreeMap<(String, String), (i64, BTreeSet<String>)>,
}

impl Tail {
    /// A tail through `client` (its region unless a stream's `awslogs-region` says otherwise),
    /// from `since` (epoch milliseconds; everything when `None`), keeping lines that match the
    /// CloudWatch Logs filter pattern `filter`.
    #[must_use]
    pub fn new(client: Client, mode: Mode, since: Option<i64>, filter: Option<String>) -> Self {
        let mode = if filter.is_some() { Mode::Filter } else { mode };
        Self {
            client,
            clients: BTreeMap::new(),
            mode,
            since,
            filter,
            streams: Vec::new(),
            tokens: BTreeMap::new(),
            marks: BTreeMap::new(),
        }
    }

    /// The streams to read from now on (a service's tasks change); what was read of a stream
    /// kept is not read again.
    pub fn set_streams(&mut self, streams: Vec<Stream>) {
        self.streams = streams;
    }

    /// The streams read.
    #[must_use]
    pub fn streams(&self) -> &[Stream] {
        &self.streams
    }

    fn client_for(&mut self, region: Option<&str>) -> Client {
        let Some(region) = region else {
            return self.client.clone();
        };
        if self
            .client
            .config()
            .region()
            .is_some_and(|r| r.to_string() == region)
        {
            return self.client.clone();
        }
        self.clients
            .entry(region.to_owned())
            .or_insert_with(|| {
                let config = self
                    .client
                    .config()
                    .to_builder()
                    .region(Region::new(region.to_owned()))
                    .build();
                Client::from_conf(config)
            })
            .clone()
    }

    /// The lines written since the last read (all since `since` the first time), oldest first.
    ///
    /// # Errors
    /// AWS errors; a missing log group is `ResourceNotFoundException` (FilterLogEvents). A
    /// stream that does not exist yet (its task is still starting) has no lines.
    pub async fn read(&mut self) -> Result<Vec<Line>, EcsError> {
        let mut lines = match self.mode {
            Mode::PerStream => self.read_streams().await?,
            Mode::Filter => self.read_filtered().await?,
        };
        lines.sort_by_key(|l| l.timestamp);
        Ok(lines)
    }

    async fn read_streams(&mut self) -> Result<Vec<Line>, EcsError> {
        let mut lines = Vec::new();
        for stream in self.streams.clone() {
            let client = self.client_for(stream.region.as_deref());
            let key = (stream.group.clone(), stream.name.clone());
            let mut token = self.tokens.get(&key).cloned();
            loop {
                let answer = client
                    .get_log_events()
                    .log_group_name(&stream.group)
                    .log_stream_name(&stream.name)
                    .start_from_head(true)
                    .set_start_time(self.since)
                    .set_next_token(token.clone())
                    .send()
                    .await;
                let out = match answer {
                    Ok(out) => out,
                    // The stream is created when the container starts.
                    Err(e) if e.code() == Some("ResourceNotFoundException") => break,
                    Err(e) => return Err(AwsError::from_sdk("GetLogEvents", e).into()),
                };
                lines.extend(out.events().iter().map(|e| Line {
                    task: stream.task.clone(),
                    container: stream.container.clone(),
                    timestamp: e.timestamp().unwrap_or_default(),
                    message: e.message().unwrap_or_default().to_owned(),
                }));
                let next = out.next_forward_token().map(str::to_owned);
                // API reference, GetLogEvents: at the end of the stream the same token comes
                // back.
                let end = next.is_none() || next == token || out.events().is_empty();
                if next.is_some() {
                    token.clone_from(&next);
                }
                if end {
                    break;
                }
            }
            if let Some(token) = token {
                self.tokens.insert(key, token);
            }
        }
        Ok(lines)
    }

    async fn read_filtered(&mut self) -> Result<Vec<Line>, EcsError> {
        // Streams by (region, group).
        let mut groups: BTreeMap<(String, String), Vec<Stream>> = BTreeMap::new();
        for s in &self.streams {
            groups
                .entry((s.region.clone().unwrap_or_default(), s.group.clone()))
                .or_default()
                .push(s.clone());
        }
        let mut lines = Vec::new();
        for ((region, group), streams) in groups {
            let client = self.client_for((!region.is_empty()).then_some(region.as_str()));
            let key = (region.clone(), group.clone());
            let (last, seen) = self.marks.get(&key).cloned().unwrap_or_default();
            let start = self
                .since
                .into_iter()
                .chain((last > 0).then_some(last))
                .max();
            let by_name: BTreeMap<&str, &Stream> =
                streams.iter().map(|s| (s.name.as_str(), s)).collect();
            let mut newest = last;
            let mut at_newest: BTreeSet<String> = seen.clone();
            for chunk in streams.chunks(STREAMS_PER_FILTER) {
                let names: Vec<String> = chunk.iter().map(|s| s.name.clone()).collect();
                let mut token: Option<String> = None;
                loop {
                    let out = client
                        .filter_log_events()
                        .log_group_name(&group)
                        .set_log_stream_names(Some(names.clone()))
                        .set_start_time(start)
                        .set_filter_pattern(self.filter.clone())
                        .set_next_token(token.clone())
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("FilterLogEvents", e))?;
                    for e in out.events() {
                        let ts = e.timestamp().unwrap_or_default();
                        let id = e.event_id().unwrap_or_default().to_owned();
                        if ts < last || (ts == last && seen.contains(&id)) {
                            continue;
                        }
                        let Some(stream) = e.log_stream_name().and_then(|n| by_name.get(n)) else {
                            continue;
                        };
                        if ts > newest {
                            newest = ts;
                            at_newest.clear();
                        }
                        if ts == newest {
                            at_newest.insert(id);
                        }
                        lines.push(Line {
                            task: stream.task.clone(),
                            container: stream.container.clone(),
                            timestamp: ts,
                            message: e.message().unwrap_or_default().to_owned(),
                        });
                    }
                    token = out.next_token().map(str::to_owned);
                    if token.is_none() {
                        break;
                    }
                }
            }
            self.marks.insert(key, (newest, at_newest));
        }
        Ok(lines)
    }
}

/// The last lines of one container, kept while `run` waits so that a failure can show them
/// again.
#[derive(Debug, Clone, Default)]
pub struct LastLines {
    lines: VecDeque<Line>,
    keep: usize,
}

impl LastLines {
    /// Keeps the last `keep` lines.
    #[must_use]
    pub fn new(keep: usize) -> Self {
        Self {
            lines: VecDeque::new(),
            keep,
        }
    }

    /// Adds lines, forgetting the oldest beyond the limit.
    pub fn extend(&mut self, lines: impl IntoIterator<Item = Line>) {
        for line in lines {
            if self.lines.len() == self.keep {
                self.lines.pop_front();
            }
            if self.keep > 0 {
                self.lines.push_back(line);
            }
        }
    }

    /// The lines kept, oldest first.
    pub fn lines(&self) -> impl Iterator<Item = &Line> {
        self.lines.iter()
    }

    /// How many lines are kept at most.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.keep
    }
}

/// `YYYY-MM-DDThh:mm:ss.sssZ` of epoch milliseconds.
#[must_use]
pub fn rfc3339(ms: i64) -> String {
    aws_smithy_types::DateTime::from_millis(ms)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| ms.to_string())
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::LogConfiguration;

    use super::*;

    fn container(
        name: &str,
        driver: Option<&str>,
        options: &[(&str, &str)],
    ) -> ContainerDefinition {
        let mut b = ContainerDefinition::builder().name(name).image("x");
        if let Some(driver) = driver {
            let mut config = LogConfiguration::builder().log_driver(LogDriver::from(driver));
            for (k, v) in options {
                config = config.options(*k, *v);
            }
            b = b.log_configuration(config.build().expect("log configuration"));
        }
        b.build()
    }

    // ECS developer guide, "Send Amazon ECS logs to CloudWatch": the stream of a container
    // with `awslogs-stream-prefix` is `prefix-name/container-name/ecs-task-id`.
    #[test]
    fn an_awslogs_container_with_a_prefix_has_a_stream_per_task() {
        let c = container(
            "app",
            Some("awslogs"),
            &[
                ("awslogs-group", "/ecs/web"),
                ("awslogs-region", "eu-west-1"),
                ("awslogs-stream-prefix", "web"),
            ],
        );
        let (streams, none) = task_streams("abc", &[c], None).expect("streams");
        assert!(none.is_empty());
        assert_eq!(
            streams,
            [Stream {
                task: "abc".to_owned(),
                container: "app".to_owned(),
                region: Some("eu-west-1".to_owned()),
                group: "/ecs/web".to_owned(),
                name: "web/app/abc".to_owned(),
            }]
        );
    }

    // Without a prefix (or with another driver, or none) there is no stream to read: the
    // reason names the container and the hint what to set.
    #[test]
    fn containers_that_do_not_log_to_a_nameable_stream_say_why() {
        let cases = [
            (container("a", None, &[]), "has no `logConfiguration`"),
            (
                container("b", Some("splunk"), &[]),
                "the `splunk` log driver",
            ),
            (
                container("c", Some("awslogs"), &[("awslogs-group", "/g")]),
                "without `awslogs-stream-prefix`",
            ),
        ];
        for (c, says) in cases {
            let Source::Elsewhere { reason, hint } = source(&c) else {
                panic!("{c:?} has no stream");
            };
            assert!(reason.contains(says), "{reason}");
            assert!(reason.contains(&format!("`{}`", c.name().expect("name"))));
            assert!(hint.contains("awslogs"), "{hint}");
        }
        let err = task_streams("t", &[container("a", None, &[])], Some("nope"))
            .expect_err("unknown container");
        assert!(err.to_string().contains("no container `nope`"), "{err}");
    }

    #[test]
    fn last_lines_keeps_the_newest() {
        let line = |n: i64| Line {
            task: "t".to_owned(),
            container: "app".to_owned(),
            timestamp: n,
            message: n.to_string(),
        };
        let mut last = LastLines::new(2);
        last.extend((1..=5).map(line));
        let kept: Vec<i64> = last.lines().map(|l| l.timestamp).collect();
        assert_eq!(kept, [4, 5]);
    }
}
