//! The one poll loop behind every wait (an ECS deployment, a CodeDeploy
//! deployment, a task set, a deleted service, a one-off task): the deadline,
//! the no-progress timeout, back-off between looks, looks that fail on the
//! way (throttling, 5xx, a dropped connection), and signals live here once.
//! A wait supplies only what one look means: done, or "not yet, look again in
//! this long", and whether anything changed.

use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::aws_error::AwsError;
use crate::event::Events;

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

/// The read-call budget of one service's wait, per minute of the service's clock, on average
/// over the command.
pub const READS_PER_MINUTE: f64 = 10.0;

/// Reads the budget lets through before it starts counting. None: at every moment of the
/// command its reads are at most one per `60 / READS_PER_MINUTE` seconds so far — the first
/// read (made at once, before anything changes) is paid off by the time the second is due.
const FREE_READS: f64 = 0.0;

/// Read calls spent, against [`READS_PER_MINUTE`] since the command started.
#[derive(Debug, Clone)]
pub struct Budget {
    started: Instant,
    reads: u32,
    /// Real time per earned read.
    per_read: Duration,
}

impl Budget {
    /// A budget for a command that started at `started` and made `reads` read calls so far,
    /// whose service clock runs `rate` times faster than real time.
    #[must_use]
    pub fn new(started: Instant, reads: u32, rate: f64) -> Self {
        let rate = if rate.is_finite() && rate > 0.0 {
            rate
        } else {
            1.0
        };
        Self {
            started,
            reads,
            per_read: Duration::from_secs_f64(60.0 / READS_PER_MINUTE / rate),
        }
    }

    /// Counts read calls made.
    pub fn spend(&mut self, reads: u32) {
        self.reads += reads;
    }

    /// Read calls made so far.
    #[must_use]
    pub fn reads(&self) -> u32 {
        self.reads
    }

    /// Reads earned by `at` and not spent.
    #[must_use]
    pub fn credit(&self, at: Instant) -> f64 {
        let earned = at.saturating_duration_since(self.started).as_secs_f64()
            / self.per_read.as_secs_f64().max(f64::MIN_POSITIVE)
            + FREE_READS;
        earned - f64::from(self.reads)
    }

    /// The earliest moment the next read is within the budget.
    #[must_use]
    pub fn earliest(&self) -> Instant {
        self.earliest_for(1)
    }

    /// The earliest moment `reads` more reads (one look that makes several calls) are within
    /// the budget.
    #[must_use]
    pub fn earliest_for(&self, reads: u32) -> Instant {
        let earned = (f64::from(self.reads) + f64::from(reads.max(1)) - FREE_READS).max(0.0);
        self.started + self.per_read.mul_f64(earned)
    }
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

/// The error of one look, and whether it may pass on its own: a look that
/// failed to get an answer says nothing about the awaited thing, which goes
/// on in AWS regardless.
pub trait LookError: std::fmt::Display {
    /// The failed AWS call, when this error is one.
    fn aws(&self) -> Option<&AwsError>;

    /// Whether looking again later may well succeed (throttling, a server
    /// error, no answer at all); see [`AwsError::is_transient`].
    fn is_transient(&self) -> bool {
        self.aws().is_some_and(AwsError::is_transient)
    }
}

/// The wait after the `failures`-th failed look in a row: 1 s, then doubling
/// up to 15 s (the loop shortens it to the deadline).
#[must_use]
pub fn retry_interval(failures: u32) -> Duration {
    const FIRST: Duration = Duration::from_secs(1);
    const MAX: Duration = Duration::from_secs(15);
    let doublings = failures.saturating_sub(1).min(4);
    (FIRST * 2u32.pow(doublings)).min(MAX)
}

/// Looks until `look` says done, the deadline passes, or nothing changes for
/// the no-progress timeout. A look that finds the wait over always wins over
/// the deadline: the last look is taken even when the time is up.
///
/// A look that fails with a transient error ([`LookError::is_transient`]) is
/// taken again after [`retry_interval`], until the deadline: the first such
/// failure of a run of them is reported once on `events`, and so is the
/// first answer after it. A failed look changes nothing (it does not reset
/// the no-progress timeout).
///
/// # Errors
/// The first error `look` returns that is not transient, as it is; a
/// transient one when the deadline (or the no-progress limit) passes while
/// looks keep failing.
pub async fn poll<T, E: LookError>(
    limits: Limits,
    events: &Events,
    mut look: impl AsyncFnMut() -> Result<Look<T>, E>,
) -> Result<Result<T, GaveUp>, E> {
    let begun = Instant::now();
    let mut last_change = begun;
    let mut failures: u32 = 0;
    if let Some(first) = limits.first_look {
        tokio::time::sleep(first.min(limits.deadline.saturating_duration_since(begun))).await;
    }
    loop {
        let looked = look().await;
        if looked.is_ok() && failures > 0 {
            events.step(format!(
                "answered again after {failures} failed {}",
                if failures == 1 { "look" } else { "looks" }
            ));
            failures = 0;
        }
        let (changed, next) = match looked {
            Ok(Look::Done(value)) => return Ok(Ok(value)),
            Ok(Look::Again { changed, next }) => (changed, next),
            Err(error) if error.is_transient() => {
                failures += 1;
                let sleep = decide(
                    &limits,
                    last_change,
                    Instant::now(),
                    retry_interval(failures),
                );
                let Ok(sleep) = sleep else {
                    return Err(error);
                };
                if failures == 1 {
                    events.step(format!(
                        "{error}; looking again until the timeout (the deployment is not affected)"
                    ));
                }
                tokio::time::sleep(sleep).await;
                continue;
            }
            Err(error) => return Err(error),
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

/// A signal that asks the process to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (CI cancellation, `docker stop`, Kubernetes).
    Terminate,
    /// SIGHUP (the terminal went away).
    Hangup,
}

impl Signal {
    /// Its name, `SIGTERM`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Interrupt => "SIGINT",
            Self::Terminate => "SIGTERM",
            Self::Hangup => "SIGHUP",
        }
    }

    /// The exit status of a process it ended: 128 + the signal's number
    /// (130, 143, 129), as shells report it.
    #[must_use]
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Interrupt => 130,
            Self::Terminate => 143,
            Self::Hangup => 129,
        }
    }
}

/// A signal came while waiting; whatever was awaited goes on without us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted(pub Signal);

/// The first signal delivered to the waits, and how many waits listen.
struct Stop {
    signal: watch::Sender<Option<Signal>>,
    listening: AtomicUsize,
    /// Programs that own the terminal for now ([`handed_over`]).
    handed_over: AtomicUsize,
}

fn stop() -> &'static Stop {
    static STOP: OnceLock<Stop> = OnceLock::new();
    STOP.get_or_init(|| Stop {
        signal: watch::Sender::new(None),
        listening: AtomicUsize::new(0),
        handed_over: AtomicUsize::new(0),
    })
}

/// Hands `signal` to the waits under way ([`interruptible`]). Whoever
/// receives the process's signals calls this and ends the process at once
/// when it returns `false`: no wait is listening (there is nothing to stop
/// gracefully), or a signal was already delivered (a second Ctrl-C).
pub fn deliver(signal: Signal) -> bool {
    let stop = stop();
    // Another program has the terminal: the signal is its to handle, not ours.
    if stop.handed_over.load(Ordering::SeqCst) > 0 {
        return true;
    }
    if stop.listening.load(Ordering::SeqCst) == 0 {
        return false;
    }
    stop.signal.send_if_modified(|current| {
        if current.is_some() {
            return false;
        }
        *current = Some(signal);
        true
    })
}

/// Runs `work` while another program owns the terminal (`exec` hands it to AWS's
/// `session-manager-plugin`, as the AWS CLI does): Ctrl-C and the other signals reach that
/// program too, which handles them (Ctrl-C goes to the remote shell), so they are ignored here
/// until `work` ends.
pub async fn handed_over<F: Future>(work: F) -> F::Output {
    struct Guard;
    impl Drop for Guard {
        fn drop(&mut self) {
            stop().handed_over.fetch_sub(1, Ordering::SeqCst);
        }
    }
    stop().handed_over.fetch_add(1, Ordering::SeqCst);
    let _guard = Guard;
    work.await
}

/// Counts a listening wait for as long as it lives.
struct Listening;

impl Listening {
    fn new() -> Self {
        stop().listening.fetch_add(1, Ordering::SeqCst);
        Listening
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        stop().listening.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs `work` until it ends or a signal is [`deliver`]ed, whichever is
/// first. A signal delivered before `work` starts stops it at once.
///
/// # Errors
/// [`Interrupted`] with the signal; `work` is dropped (a deployment it
/// followed goes on in AWS).
pub async fn interruptible<F: Future>(work: F) -> Result<F::Output, Interrupted> {
    let _listening = Listening::new();
    let mut signal = stop().signal.subscribe();
    let delivered = async {
        match signal.wait_for(Option::is_some).await {
            Ok(s) => *s,
            Err(_) => None,
        }
    };
    tokio::select! {
        out = work => Ok(out),
        Some(s) = delivered => Err(Interrupted(s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Issue 17: at most 10 reads a minute over the command, those before the wait included.
    #[test]
    fn the_budget_earns_one_read_every_six_seconds_of_the_service_clock() {
        let start = Instant::now();
        let mut budget = Budget::new(start, 1, 1.0);
        // One read made at the start: the second is due at 12 s (two reads in 12 s).
        assert_eq!(budget.earliest(), start + Duration::from_secs(12));
        assert!((budget.credit(start + Duration::from_secs(30)) - 4.0).abs() < 1e-9);
        budget.spend(2);
        assert_eq!(budget.reads(), 3);
        assert_eq!(budget.earliest(), start + Duration::from_secs(24));
        // A look that makes two calls waits until both are earned.
        assert_eq!(budget.earliest_for(2), start + Duration::from_secs(30));
        // A world running 20 times faster earns 20 times faster.
        let fast = Budget::new(start, 1, 20.0);
        assert_eq!(fast.earliest(), start + Duration::from_millis(600));
    }
    use crate::aws_error::Failure;

    /// An error that is never transient.
    #[derive(Debug, PartialEq)]
    struct Fatal(&'static str);

    impl std::fmt::Display for Fatal {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl LookError for Fatal {
        fn aws(&self) -> Option<&AwsError> {
            None
        }
    }

    impl LookError for AwsError {
        fn aws(&self) -> Option<&AwsError> {
            Some(self)
        }
    }

    fn unavailable() -> AwsError {
        AwsError {
            operation: "DescribeServices",
            code: Some("ServiceUnavailableException".to_owned()),
            message: "Service Unavailable".to_owned(),
            failure: Failure::Service,
            status: Some(503),
            cause: None,
        }
    }

    fn denied() -> AwsError {
        AwsError {
            operation: "DescribeServices",
            code: Some("AccessDeniedException".to_owned()),
            message: "not allowed".to_owned(),
            failure: Failure::Service,
            status: Some(400),
            cause: None,
        }
    }

    fn steps(mut rx: tokio::sync::mpsc::UnboundedReceiver<crate::event::Event>) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(event) = rx.try_recv() {
            if let crate::event::Event::Step { message } = event {
                out.push(message);
            }
        }
        out
    }

    #[test]
    fn signals_exit_with_128_plus_their_number() {
        assert_eq!(Signal::Interrupt.exit_code(), 130);
        assert_eq!(Signal::Terminate.exit_code(), 143);
        assert_eq!(Signal::Hangup.exit_code(), 129);
    }

    // The only test in this binary that delivers signals: their state is the process's.
    #[tokio::test]
    async fn the_first_signal_stops_the_waits_and_the_second_is_not_delivered() {
        assert!(
            !deliver(Signal::Terminate),
            "nobody waits: the process may end at once"
        );
        let (started, waiting) = tokio::sync::oneshot::channel();
        let wait = tokio::spawn(interruptible(async move {
            let _ = started.send(());
            std::future::pending::<()>().await;
        }));
        waiting.await.expect("the wait started");
        assert!(deliver(Signal::Terminate));
        assert_eq!(
            wait.await.expect("joins"),
            Err(Interrupted(Signal::Terminate))
        );
        // A wait that starts after the first signal stops at once, and a second signal is
        // not delivered: whoever received it ends the process.
        let later = interruptible(std::future::pending::<()>()).await;
        assert_eq!(later, Err(Interrupted(Signal::Terminate)));
        let _listening = Listening::new();
        assert!(!deliver(Signal::Interrupt));
        // While another program owns the terminal (`exec`'s session-manager-plugin), signals
        // are left to it: none ends the process, and none is delivered to the waits.
        assert!(handed_over(async { deliver(Signal::Interrupt) }).await);
        assert!(handed_over(async { deliver(Signal::Hangup) }).await);
        assert!(
            !deliver(Signal::Interrupt),
            "handed back: the process may end"
        );
    }

    #[test]
    fn failed_looks_back_off_from_one_second_to_fifteen() {
        let waits: Vec<u64> = (1..=7).map(|n| retry_interval(n).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 15, 15, 15]);
    }

    // Regression (issue 14, item 7): eleven 503s on DescribeServices during a wait ended it.
    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_looked_past_and_reported_once() {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let events = Events::new(tx);
        let t0 = Instant::now();
        let mut looks = 0;
        let done = poll(limits(t0, 600, Some(300)), &events, async || {
            looks += 1;
            match looks {
                1..=11 => Err(unavailable()),
                12 => Ok(Look::Again {
                    changed: false,
                    next: Duration::from_secs(1),
                }),
                _ => Ok(Look::Done(looks)),
            }
        })
        .await;
        assert_eq!(done.map_err(|e| e.to_string()), Ok(Ok(13)));
        let said = steps(rx);
        assert_eq!(said.len(), 2, "{said:?}");
        assert!(said[0].contains("Service Unavailable"), "{said:?}");
        assert!(said[0].contains("looking again"), "{said:?}");
        assert_eq!(said[1], "answered again after 11 failed looks");
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_ends_the_wait_and_transient_failures_end_it_only_at_the_deadline() {
        let refused = poll(
            limits(Instant::now(), 600, None),
            &Events::discard(),
            async || Err::<Look<()>, _>(denied()),
        )
        .await;
        assert_eq!(
            refused.map_err(|e| e.code),
            Err(Some("AccessDeniedException".to_owned()))
        );

        let t0 = Instant::now();
        let mut looks = 0;
        let down = poll(limits(t0, 60, None), &Events::discard(), async || {
            looks += 1;
            Err::<Look<()>, _>(unavailable())
        })
        .await;
        assert_eq!(down.map_err(|e| e.status), Err(Some(503)));
        assert_eq!(Instant::now() - t0, Duration::from_secs(60));
        // 1 + 2 + 4 + 8 + 15 + 15 = 45 s, then the last 15 s are cut to the deadline.
        assert_eq!(looks, 8);
    }

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
        let done = poll(limits(t0, 60, None), &Events::discard(), async || {
            looks += 1;
            Ok::<_, Fatal>(if looks == 3 {
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
        let timed_out = poll(limits(t0, 10, None), &Events::discard(), async || {
            Ok::<Look<()>, Fatal>(Look::Again {
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
        let stalled = poll(limits(t0, 600, Some(7)), &Events::discard(), async || {
            Ok::<Look<()>, Fatal>(Look::Again {
                changed: false,
                next: Duration::from_secs(2),
            })
        })
        .await;
        assert_eq!(stalled, Ok(Err(GaveUp::Stalled(Duration::from_secs(7)))));
        assert_eq!(Instant::now() - t0, Duration::from_secs(7));

        let failed = poll(
            limits(Instant::now(), 600, None),
            &Events::discard(),
            async || Err::<Look<()>, _>(Fatal("boom")),
        )
        .await;
        assert_eq!(failed, Err(Fatal("boom")));
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_look_waits_when_asked() {
        let t0 = Instant::now();
        let mut l = limits(t0, 60, None);
        l.first_look = Some(Duration::from_secs(2));
        let seen = poll(l, &Events::discard(), async || {
            Ok::<_, Fatal>(Look::Done(Instant::now() - t0))
        })
        .await;
        assert_eq!(seen, Ok(Ok(Duration::from_secs(2))));
    }
}
