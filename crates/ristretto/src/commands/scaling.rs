//! The auto scaling flags of `deploy` and `scale`: apply the requested
//! change before the service changes, and with `--pause-auto-scaling`
//! suspend scaling around the deployment and resume it afterwards whatever
//! happened — failure, timeout, or Ctrl-C.

use std::future::Future;

use aws_sdk_applicationautoscaling::Client;
use ristretto_core::event::Events;
use ristretto_core::poll::{Interrupted, interruptible};
use ristretto_ecs::autoscaling::{self, Applied, AutoScalingChange};

use crate::cli::AutoScalingFlags;
use crate::commands::Context;
use crate::report::CliError;

/// What the auto scaling flags ask for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scaling {
    /// Changed before the service is (`--suspend/--resume-auto-scaling`, min, max).
    pub change: AutoScalingChange,
    /// `--pause-auto-scaling`.
    pub pause: bool,
}

impl Scaling {
    /// Validates the flags.
    ///
    /// # Errors
    /// Bad bounds (exit 2).
    pub fn from_flags(flags: &AutoScalingFlags) -> Result<Self, CliError> {
        let change = AutoScalingChange::from_flags(
            flags.suspend_auto_scaling,
            flags.resume_auto_scaling,
            flags.auto_scaling_min,
            flags.auto_scaling_max,
        )?;
        Ok(Self {
            change,
            pause: flags.pause_auto_scaling,
        })
    }

    /// Whether the flags ask for nothing.
    pub fn is_empty(&self) -> bool {
        self.change.is_empty() && !self.pause
    }

    /// The change made before the work: the flags' change, suspended too when pausing.
    fn before(&self) -> AutoScalingChange {
        let mut change = self.change;
        if self.pause {
            change.suspend = Some(true);
        }
        change
    }

    /// Dry run: says what would change (read-only calls).
    ///
    /// # Errors
    /// AWS errors.
    pub async fn preview(
        &self,
        ctx: &Context,
        client: &Client,
        cluster: &str,
        service: &str,
    ) -> Result<(), CliError> {
        if self.is_empty() {
            return Ok(());
        }
        let change = self.before();
        let applied =
            autoscaling::apply(client, cluster, service, change, true, &Events::discard()).await?;
        match applied {
            Applied::NoTarget => no_target(ctx, cluster, service),
            Applied::Changed(ids) => {
                for id in ids {
                    let after = if self.pause {
                        ", then resume scaling"
                    } else {
                        ""
                    };
                    ctx.printer.info(&format!(
                        "dry run: auto scaling of {id}: {}{after}",
                        change.describe()
                    ));
                }
            }
        }
        Ok(())
    }

    /// Applies the change, runs `work`, and with `--pause-auto-scaling`
    /// resumes scaling afterwards whatever `work` returned, Ctrl-C included.
    ///
    /// # Errors
    /// `work`'s error, or the auto scaling calls' errors.
    pub async fn around<F>(
        &self,
        ctx: &Context,
        client: &Client,
        cluster: &str,
        service: &str,
        events: &Events,
        work: F,
    ) -> Result<(), CliError>
    where
        F: Future<Output = Result<(), CliError>>,
    {
        if self.is_empty() {
            return work.await;
        }
        let before = autoscaling::apply(client, cluster, service, self.before(), false, events);
        let resume = || {
            autoscaling::apply(
                client,
                cluster,
                service,
                AutoScalingChange::resume(),
                false,
                events,
            )
        };
        let applied = if self.pause {
            // A signal while scaling is being suspended: resume it (the suspension may have
            // gone through) before ending; nothing else was changed yet.
            match interruptible(before).await {
                Ok(applied) => applied?,
                Err(Interrupted(signal)) => {
                    let resumed = resume().await;
                    if let Err(e) = resumed {
                        ctx.printer.warn(&format!(
                            "auto scaling may still be suspended: {e}; {}",
                            resume_hint()
                        ));
                    }
                    return Err(crate::report::interrupted(
                        signal,
                        "auto scaling was resumed; nothing was deployed",
                        None,
                    ));
                }
            }
        } else {
            before.await?
        };
        if applied == Applied::NoTarget {
            no_target(ctx, cluster, service);
            return work.await;
        }
        if !self.pause {
            return work.await;
        }
        // From here on scaling is suspended: nothing may end the command
        // before it is resumed, so Ctrl-C is caught here too.
        let result = interruptible(work)
            .await
            .unwrap_or_else(|Interrupted(signal)| {
                Err(crate::report::deployment_interrupted(signal, "ECS"))
            });
        let resumed = resume().await;
        match (result, resumed) {
            (result, Ok(_)) => result,
            (Ok(()), Err(e)) => {
                let mut error = CliError::from(e);
                error.hint = Some(resume_hint());
                Err(error)
            }
            (Err(original), Err(e)) => {
                ctx.printer.warn(&format!(
                    "auto scaling is still suspended: {e}; {}",
                    resume_hint()
                ));
                Err(original)
            }
        }
    }
}

fn resume_hint() -> String {
    "resume it with `ristretto scale --resume-auto-scaling`".to_owned()
}

fn no_target(ctx: &Context, cluster: &str, service: &str) {
    ctx.printer.warn(&format!(
        "no scalable target for `{}`: auto scaling settings left alone",
        autoscaling::resource_id(cluster, service)
    ));
}
