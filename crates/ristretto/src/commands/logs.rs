//! `logs`: the containers' lines from CloudWatch Logs — one task's (`--id`) or every running
//! task's of the service — once, or followed until Ctrl-C. Each line carries its time, the
//! task (first 8 characters of its ID) and the container.

use std::time::Duration;

use aws_sdk_ecs::types::Task;
use ristretto_core::Config;
use ristretto_core::event::Events;
use ristretto_core::poll::{Interrupted, Limits, Look, interruptible, poll};
use ristretto_ecs::EcsError;
use ristretto_ecs::logs::{Containers, Line, Mode, NoStream, Stream, Tail, rfc3339};
use tokio::time::Instant;

use crate::aws::Clients;
use crate::cli::{LogsArgs, OutputFormat};
use crate::commands::Context;
use crate::exit::Exit;
use crate::report::{CliError, bad_input};

/// `logs` for the (one) config.
///
/// # Errors
/// Bad input (2): several configs, no service and no `--id`, an unknown `--container`, a
/// container that does not log to CloudWatch Logs. AWS errors (1).
pub async fn run(args: &LogsArgs, ctx: &Context) -> Result<Exit, CliError> {
    let [file] = ctx.settings.configs.as_slice() else {
        return Err(bad_input(
            "`logs` reads one service's logs; several configs were given",
            Some("pass one `--config`"),
        ));
    };
    let config = ctx.load_config(file)?;
    if args.id.is_none() && config.service.is_none() {
        return Err(bad_input(
            format!("`{}` names no service", file.display()),
            Some("add `service: <name>` to the config, or pass `--id TASK`"),
        ));
    }
    let clients = ctx.clients(&config).await;
    let since = args
        .since
        .map(|d| now_ms() - i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let mode = if args.id.is_some() {
        Mode::PerStream
    } else {
        Mode::Filter
    };
    let mut reader = Reader {
        tail: Tail::new(clients.logs.clone(), mode, since, args.filter.clone()),
        containers: Containers::default(),
        warned: Vec::new(),
    };
    reader.refresh(ctx, &clients, &config, args).await?;
    print(ctx, &reader.tail.read().await?);
    if !args.follow {
        return Ok(Exit::Success);
    }
    let every = Duration::from_secs_f64(args.interval);
    let limits = Limits {
        // Followed until interrupted.
        deadline: Instant::now()
            .checked_add(Duration::from_secs(100 * 365 * 86_400))
            .unwrap_or_else(Instant::now),
        no_progress: None,
        first_look: Some(every),
    };
    let events = Events::discard();
    let follow = poll(limits, &events, async || {
        if args.id.is_none() {
            reader.refresh(ctx, &clients, &config, args).await?;
        }
        let lines = reader.tail.read().await?;
        print(ctx, &lines);
        Ok::<_, EcsError>(Look::<()>::Again {
            changed: !lines.is_empty(),
            next: every,
        })
    });
    match interruptible(follow).await {
        // Ctrl-C is how following ends.
        Err(Interrupted(_)) => Ok(Exit::Success),
        Ok(result) => result.map(|_| Exit::Success).map_err(CliError::from),
    }
}

/// What `logs` reads, and the containers it has already said it skips.
struct Reader {
    tail: Tail,
    containers: Containers,
    warned: Vec<String>,
}

impl Reader {
    /// The tasks (the one `--id`, else the service's running ones) and their streams.
    async fn refresh(
        &mut self,
        ctx: &Context,
        clients: &Clients,
        config: &Config,
        args: &LogsArgs,
    ) -> Result<(), EcsError> {
        let tasks = tasks(clients, config, args).await?;
        let (streams, none) = self
            .containers
            .streams(&clients.ecs, &tasks, args.container.as_deref())
            .await?;
        if streams.is_empty()
            && let Some(NoStream { reason, hint, .. }) = none.first()
        {
            return Err(EcsError::Invalid {
                message: reason.clone(),
                hint: Some(hint.clone()),
            });
        }
        for n in none {
            if !self.warned.contains(&n.container) {
                ctx.printer
                    .warn(&format!("{}; its lines are not shown", n.reason));
                self.warned.push(n.container);
            }
        }
        if tasks.is_empty() && self.tail.streams().is_empty() && self.warned.is_empty() {
            ctx.printer.info(&format!(
                "service `{}` has no running task",
                config.service.as_deref().unwrap_or_default()
            ));
            self.warned.push(String::new());
        }
        // A service's stopped tasks keep their streams in the tail: their last lines still
        // count while following.
        let mut all: Vec<Stream> = self.tail.streams().to_vec();
        for s in streams {
            if !all.contains(&s) {
                all.push(s);
            }
        }
        self.tail.set_streams(all);
        Ok(())
    }
}

async fn tasks(clients: &Clients, config: &Config, args: &LogsArgs) -> Result<Vec<Task>, EcsError> {
    if let Some(id) = &args.id {
        return match ristretto_ecs::logs::task(&clients.ecs, &config.cluster, id).await? {
            Some(task) => Ok(vec![task]),
            None => Err(EcsError::Conflict {
                message: format!("task `{id}` does not exist in cluster `{}`", config.cluster),
                hint: Some(
                    "ECS forgets stopped tasks after about an hour; `ristretto status` lists the running ones"
                        .to_owned(),
                ),
            }),
        };
    }
    let service = config.service.as_deref().unwrap_or_default();
    ristretto_ecs::tasks::service_tasks(&clients.ecs, &config.cluster, service).await
}

fn print(ctx: &Context, lines: &[Line]) {
    if lines.is_empty() {
        return;
    }
    let mut out = String::new();
    for line in lines {
        match ctx.printer.output() {
            OutputFormat::Text => {
                out.push_str(&format!(
                    "{} [{}/{}] {}\n",
                    rfc3339(line.timestamp),
                    line.task.get(..8).unwrap_or(&line.task),
                    line.container,
                    line.message
                ));
            }
            OutputFormat::Json => {
                out.push_str(
                    &serde_json::json!({
                        "timestamp": rfc3339(line.timestamp),
                        "task": line.task,
                        "container": line.container,
                        "message": line.message,
                    })
                    .to_string(),
                );
                out.push('\n');
            }
        }
    }
    ctx.printer.data(&out);
}

/// Now, in milliseconds since the epoch.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
