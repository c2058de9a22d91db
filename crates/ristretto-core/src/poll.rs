//! The one poll loop behind every wait (an ECS deployment, a CodeDeploy
//! deployment, a task set, a deleted service, a one-off task): the deadline,
//! the no-progress timeout, back-off between looks, and Ctrl-C live here
//! once. A wait supplies only what one look means: done, or "not yet, look
//! again in this long", and whether anything changed.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// How often to look.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// The first interval, and where back-off starts again after a change.
    pub first: Duration,
    /// The longest interval while the wait is far from done.
    pub max: Duration,
    /// Growth of the interval per look while nothing changes.
    pub factor: f64,
    /// The shortest interval: when the end is near or expected.
    pub close: Duration,
}

impl Default for Pace {
    fn default() -> Self {
        Self {
            first: Duration::from_millis(1000),
            max: Duration::from_secs(5),
            factor: 1.5,
            close: Duration::from_millis(1000),
        }
    }
}

impl Pace {
    /// The pace for following a service deployment: a first look after
    /// 2 s, then ×3 up to 15 s while tasks start, 1 s when close.
    pub const DEPLOYMENT: Pace = Pace {
        first: Duration::from_secs(2),
        max: Duration::from_secs(15),
        factor: 3.0,
        close: Duration::from_secs(1),
    };
}

/// Intervals that grow while nothing changes and start over after a change.
#[derive(Debug, Clone)]
pub struct Backoff {
    pace: Pace,
    current: Duration,
}

impl Backoff {
    /// A back-off that has not waited yet.
    #[must_use]
    pub fn new(pace: Pace) -> Self {
        Self {
            pace,
            current: pace.first,
        }
    }

    /// The wait after a look that saw a change (or not).
    pub fn next(&mut self, changed: bool) -> Duration {
        self.current = if changed {
            self.pace.first
        } else {
            self.current.mul_f64(self.pace.factor).min(self.pace.max)
        };
        self.current
    }
}

/// What one look found.
#[derive(Debug, Clone, PartialEq)]
pub enum Look<T> {
    /// The wait is over with this result.
    Done(T),
    /// Not yet: look again after `next` (the loop shortens it to the
    /// deadline). `changed` says whether anything moved since the last look,
    /// which resets the no-progress timeout.
    Again {
        /// Something changed since the previous look.
        changed: bool,
        /// How long to wait before the next look.
        next: Duration,
    },
}

/// Why the loop gave up while the awaited thing was still going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GaveUp {
    /// The deadline passed.
    TimedOut,
    /// Nothing changed for this long (`--no-progress-timeout`).
    Stalled(Duration),
}

/// How long a wait may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Give up at this instant.
    pub deadline: Instant,
    /// Give up when nothing changed for this long.
    pub no_progress: Option<Duration>,
    /// Wait this long before the first look (right after a change was made
    /// there is nothing to see yet); `None` looks at once.
    pub first_look: Option<Duration>,
}

/// Looks until `look` says done, the deadline passes, or nothing changes for
/// the no-progress timeout. A look that finds the wait over always wins over
/// the deadline: the last look is taken even when the time is up.
///
/// # Errors
/// The first error `look` returns, as it is.
pub async fn poll<T, E>(
    limits: Limits,
    mut look: impl AsyncFnMut() -> Result<Look<T>, E>,
) -> Result<Result<T, GaveUp>, E> {
    let begun = Instant::now();
    let mut last_change = begun;
    if let Some(first) = limits.first_look {
        tokio::time::sleep(first.min(limits.deadline.saturating_duration_since(begun))).await;
    }
    loop {
        let (changed, next) = match look().await? {
            Look::Done(value) => return Ok(Ok(value)),
            Look::Again { changed, next } => (changed, next),
        };
        let now = Instant::now();
        if changed {
            last_change = now;
        }
        match decide(&limits, last_change, now, next) {
            Ok(sleep) => tokio::time::sleep(sleep).await,
            Err(gave_up) => return Ok(Err(gave_up)),
        }
    }
}

/// After a look at `now` that was not the end: give up, or how long to
/// sleep (never past the deadline or the no-progress limit).
fn decide(
    limits: &Limits,
    last_change: Instant,
    now: Instant,
    next: Duration,
) -> Result<Duration, GaveUp> {
    if now >= limits.deadline {
        return Err(GaveUp::TimedOut);
    }
    let stall_at = limits.no_progress.map(|limit| (limit, last_change + limit));
    if let Some((limit, at)) = stall_at
        && now >= at
    {
        return Err(GaveUp::Stalled(limit));
    }
    let mut sleep = next.min(limits.deadline - now);
    if let Some((_, at)) = stall_at {
        sleep = sleep.min(at - now);
    }
    Ok(sleep)
}

/// Ctrl-C came while waiting; whatever was awaited goes on without us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

/// Runs `work` until it ends or Ctrl-C arrives, whichever is first.
///
/// # Errors
/// [`Interrupted`] at Ctrl-C; `work` is dropped (a deployment it followed
/// goes on in AWS).
pub async fn interruptible<F: Future>(work: F) -> Result<F::Output, Interrupted> {
    tokio::select! {
        out = work => Ok(out),
        _ = tokio::signal::ctrl_c() => Err(Interrupted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(now: Instant, deadline: u64, no_progress: Option<u64>) -> Limits {
        Limits {
            deadline: now + Duration::from_secs(deadline),
            no_progress: no_progress.map(Duration::from_secs),
            first_look: None,
        }
    }

    #[test]
    fn backoff_grows_to_max_and_starts_over_after_a_change() {
        let mut b = Backoff::new(Pace::default());
        let waits: Vec<u64> = [false, false, false, false, false, true, false]
            .into_iter()
            .map(|changed| b.next(changed).as_millis() as u64)
            .collect();
        assert_eq!(waits, vec![1500, 2250, 3375, 5000, 5000, 1000, 1500]);
    }

    #[test]
    fn sleeps_never_pass_the_deadline_or_the_stall_limit() {
        let t0 = Instant::now();
        let l = limits(t0, 10, Some(6));
        let now = t0 + Duration::from_secs(8);
        // The stall limit (last change at t0 + 6 s) has passed.
        assert_eq!(
            decide(&l, t0, now, Duration::from_secs(5)),
            Err(GaveUp::Stalled(Duration::from_secs(6)))
        );
        // A change at t0 + 7 s moves it to t0 + 13 s: the deadline (t0 + 10 s) bounds the sleep.
        let changed = t0 + Duration::from_secs(7);
        assert_eq!(
            decide(&l, changed, now, Duration::from_secs(5)),
            Ok(Duration::from_secs(2))
        );
        let l = limits(t0, 60, Some(6));
        assert_eq!(
            decide(&l, t0, t0 + Duration::from_secs(4), Duration::from_secs(5)),
            Ok(Duration::from_secs(2))
        );
    }

    #[test]
    fn the_deadline_comes_before_the_stall() {
        let t0 = Instant::now();
        let l = limits(t0, 5, Some(5));
        assert_eq!(
            decide(&l, t0, t0 + Duration::from_secs(5), Duration::from_secs(1)),
            Err(GaveUp::TimedOut)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn poll_ends_on_done_and_on_timeout() {
        let t0 = Instant::now();
        let mut looks = 0;
        let done = poll(limits(t0, 60, None), async || {
            looks += 1;
            Ok::<_, ()>(if looks == 3 {
                Look::Done(looks)
            } else {
                Look::Again {
                    changed: false,
                    next: Duration::from_secs(1),
                }
            })
        })
        .await;
        assert_eq!(done, Ok(Ok(3)));

        let t0 = Instant::now();
        let timed_out = poll(limits(t0, 10, None), async || {
            Ok::<Look<()>, ()>(Look::Again {
                changed: true,
                next: Duration::from_secs(3),
            })
        })
        .await;
        assert_eq!(timed_out, Ok(Err(GaveUp::TimedOut)));
        assert_eq!(Instant::now() - t0, Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn poll_gives_up_when_nothing_changes_and_passes_errors_through() {
        let t0 = Instant::now();
        let stalled = poll(limits(t0, 600, Some(7)), async || {
            Ok::<Look<()>, ()>(Look::Again {
                changed: false,
                next: Duration::from_secs(2),
            })
        })
        .await;
        assert_eq!(stalled, Ok(Err(GaveUp::Stalled(Duration::from_secs(7)))));
        assert_eq!(Instant::now() - t0, Duration::from_secs(7));

        let failed = poll(limits(Instant::now(), 600, None), async || {
            Err::<Look<()>, _>("boom")
        })
        .await;
        assert_eq!(failed, Err("boom"));
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_look_waits_when_asked() {
        let t0 = Instant::now();
        let mut l = limits(t0, 60, None);
        l.first_look = Some(Duration::from_secs(2));
        let seen = poll(l, async || Ok::<_, ()>(Look::Done(Instant::now() - t0))).await;
        assert_eq!(seen, Ok(Ok(Duration::from_secs(2))));
    }
}
