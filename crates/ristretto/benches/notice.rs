//! How soon a tool notices that a deployment finished, and how many API calls it makes
//! meanwhile (issue 17): `ristretto deploy` side by side with the AWS CLI (`aws ecs
//! update-service` + `aws ecs wait services-stable`, or for CodeDeploy `aws deploy
//! create-deployment` + `aws deploy wait deployment-successful`) on the same simulator in the
//! same run, over seven deployment shapes (`notice/shapes.rs`): `short`, `jittered`, `typical`,
//! `lb`, `long`, `bluegreen`, `codedeploy`. Then binary start-up, `render` and `diff` times.
//!
//! "Notice" is the time from the simulator's own record of the deployment's end (the "deployment
//! completed" service event, or CodeDeploy's `completeTime`; see `notice/run.rs`) to the tool's
//! exit, on a simulator running at real speed. "Reads/min" counts every read request the tool
//! made (the request log's `mutating: false` entries) over the tool's run time. The service is
//! created first (not measured); then the tools take turns (ristretto, AWS CLI, ristretto, …),
//! each deploying a new image. The simulator's jitter is deterministic: every run of the
//! benchmark sees the same task start times. Prints one table; asserts nothing.
//!
//! ```sh
//! cargo bench --workspace --bench notice --profile dev          # every shape, 3 runs per tool
//! NOTICE_QUICK=1 cargo bench --workspace --bench notice --profile dev   # `jittered` only, < 5 min
//! NOTICE_SHAPES=short,typical NOTICE_RUNS=5 cargo bench --workspace --bench notice --profile dev
//! ```
//!
//! - `NOTICE_SHAPES`: the shapes, comma-separated (default all; its former name
//!   `NOTICE_SCENARIO` is read too); `NOTICE_RUNS`: runs per tool and shape (default 3);
//!   `NOTICE_QUICK=1`: the short mode, `jittered` with 3 runs per tool (under 5 minutes).
//! - `NOTICE_SERIAL=1`: one shape at a time. By default every shape runs at once, each on its own
//!   simulator (one thread and runtime each), because a full run is mostly waiting: it takes
//!   about as long as its longest shape, `long` (~55 min: 7 deployments of ~8.5 min); one at a
//!   time it takes about 1 h 45 min. Concurrent shapes share the CPU, which can add to the
//!   process start-up of each tool (the AWS CLI's Python most).
//! - `NOTICE_VERBOSE=1`: when each run's reads came, in seconds from the tool's start.
//! - `NOTICE_STARTUP_RUNS`: runs of each start-up command (default 20; 0 skips them).
//! - `RISTRETTO_BIN`: measure another binary (e.g. a release build); `AWS_CLI`: the AWS CLI
//!   (default: `aws` on the PATH, or the CI virtualenv's); without one only ristretto is measured.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

#[path = "notice/run.rs"]
mod run;
#[path = "notice/shapes.rs"]
mod shapes;
#[path = "notice/startup.rs"]
mod startup;
#[path = "notice/tools.rs"]
mod tools;

use std::time::{Duration, Instant};

use run::{Outcome, Sample};

/// What to run, from the environment.
struct Modes {
    shapes: Vec<&'static str>,
    runs: usize,
    quick: bool,
    serial: bool,
    verbose: bool,
    startup_runs: usize,
}

fn modes() -> Modes {
    let flag = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0");
    let number = |name: &str, default: usize| {
        std::env::var(name).map_or(default, |v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v}: expected a number"))
        })
    };
    let quick = flag("NOTICE_QUICK");
    let shapes = if quick {
        vec!["jittered"]
    } else {
        // `NOTICE_SCENARIO`, its former name, still works.
        match std::env::var("NOTICE_SHAPES").or_else(|_| std::env::var("NOTICE_SCENARIO")) {
            Ok(list) if !list.trim().is_empty() => list
                .split(',')
                .map(|name| {
                    let name = name.trim();
                    shapes::NAMES
                        .into_iter()
                        .find(|n| *n == name)
                        .unwrap_or_else(|| {
                            panic!(
                                "NOTICE_SHAPES: no shape `{name}`; the shapes are {}",
                                shapes::NAMES.join(", ")
                            )
                        })
                })
                .collect(),
            _ => shapes::NAMES.to_vec(),
        }
    };
    Modes {
        shapes,
        runs: if quick {
            3
        } else {
            number("NOTICE_RUNS", 3).max(1)
        },
        quick,
        serial: flag("NOTICE_SERIAL"),
        verbose: flag("NOTICE_VERBOSE"),
        startup_runs: number("NOTICE_STARTUP_RUNS", 20),
    }
}

fn main() {
    let wall = Instant::now();
    let modes = modes();
    let cli = tools::aws_cli();
    println!("notice benchmark (issue 17): simulator at real speed, one simulator per shape");
    println!("binary: {}", tools::ristretto_profile());
    match &cli {
        Some(path) => println!("aws cli: {} ({})", path.display(), tools::aws_version(path)),
        None => {
            println!("aws cli: not found (set AWS_CLI or put `aws` on the PATH): ristretto only")
        }
    }
    println!(
        "shapes: {} × {} runs per tool, {}{}",
        modes.shapes.join(", "),
        modes.runs,
        if modes.serial || modes.shapes.len() == 1 {
            "one at a time"
        } else {
            "all at once (they share the CPU; a full run takes about as long as `long`, ~55 min)"
        },
        if modes.quick { " (NOTICE_QUICK)" } else { "" },
    );
    for name in &modes.shapes {
        if let Some(shape) = shapes::shape(name) {
            println!("  {:<10} {}", shape.name, shape.about);
        }
    }
    println!();

    // Start-up first, while nothing else runs.
    let timings = (modes.startup_runs > 0).then(|| startup::measure_all(modes.startup_runs));

    let outcomes: Vec<(&str, Option<Outcome>)> = if modes.serial {
        modes
            .shapes
            .iter()
            .map(|name| (*name, run_one(name, &modes, cli.as_deref())))
            .collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = modes
                .shapes
                .iter()
                .map(|name| {
                    let (modes, cli) = (&modes, cli.as_deref());
                    (*name, scope.spawn(move || run_one(name, modes, cli)))
                })
                .collect();
            handles
                .into_iter()
                .map(|(name, h)| (name, h.join().ok().flatten()))
                .collect()
        })
    };

    println!();
    print_table(&outcomes, cli.is_some());
    if let Some(timings) = timings {
        println!();
        print_startup(&timings);
    }
    println!();
    println!(
        "wall time: {:.1} min{}",
        wall.elapsed().as_secs_f64() / 60.0,
        if modes.quick { " (NOTICE_QUICK)" } else { "" }
    );
}

/// Runs one shape; `None` when its set-up panicked (the panic message is printed).
fn run_one(name: &str, modes: &Modes, cli: Option<&std::path::Path>) -> Option<Outcome> {
    let shape = shapes::shape(name)?;
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run::run_shape(&shape, modes.runs, cli, modes.verbose)
    }))
    .ok()
}

/// Median, min and max of the successful runs' notice, in seconds.
fn spread(values: &mut [f64]) -> Option<(f64, f64, f64)> {
    values.sort_by(f64::total_cmp);
    let (first, last) = (values.first()?, values.last()?);
    let mid = values.len() / 2;
    let median = if values.len().is_multiple_of(2) {
        f64::midpoint(values[mid - 1], values[mid])
    } else {
        values[mid]
    };
    Some((median, *first, *last))
}

fn notice_spread(samples: &[Sample]) -> Option<(f64, f64, f64)> {
    let mut values: Vec<f64> = samples.iter().filter(|s| s.ok).map(|s| s.notice).collect();
    spread(&mut values)
}

/// One row's cells but the ratio.
fn row(shape: &str, tool: &str, samples: &[Sample]) -> Vec<String> {
    let failed = samples.iter().filter(|s| !s.ok).count();
    let runs = if failed == 0 {
        samples.len().to_string()
    } else {
        format!("{} ({failed} failed)", samples.len())
    };
    let mut ended: Vec<f64> = samples.iter().filter(|s| s.ok).map(|s| s.ended).collect();
    let seconds = |v: f64| format!("{v:.2} s");
    let dash = || "—".to_owned();
    let notice = notice_spread(samples);
    let run_time: f64 = samples.iter().map(|s| s.run_time).sum();
    let reads: usize = samples.iter().map(|s| s.reads).sum();
    let calls: usize = samples.iter().map(|s| s.calls).sum();
    #[allow(clippy::cast_precision_loss)]
    let per_minute = if run_time > 0.0 {
        format!("{:.1}", reads as f64 / run_time * 60.0)
    } else {
        dash()
    };
    #[allow(clippy::cast_precision_loss)]
    let per_run = if samples.is_empty() {
        dash()
    } else {
        format!("{:.1}", calls as f64 / samples.len() as f64)
    };
    vec![
        shape.to_owned(),
        tool.to_owned(),
        runs,
        spread(&mut ended).map_or_else(dash, |(m, _, _)| format!("{m:.1} s")),
        notice.map_or_else(dash, |(m, _, _)| seconds(m)),
        notice.map_or_else(dash, |(_, lo, _)| seconds(lo)),
        notice.map_or_else(dash, |(_, _, hi)| seconds(hi)),
        per_minute,
        per_run,
    ]
}

/// The table: rows shape × tool, as a markdown table padded to line up in a terminal.
fn print_table(outcomes: &[(&str, Option<Outcome>)], with_cli: bool) {
    let header: Vec<String> = [
        "shape",
        "tool",
        "runs",
        "ended after",
        "notice median",
        "min",
        "max",
        "reads/min",
        "calls/run",
        "÷ aws cli",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut rows = vec![header];
    for (name, outcome) in outcomes {
        let Some(outcome) = outcome else {
            let mut cells = vec![(*name).to_owned(), "set-up failed (see above)".to_owned()];
            cells.resize(10, String::new());
            rows.push(cells);
            continue;
        };
        let ratio = match (notice_spread(&outcome.ours), notice_spread(&outcome.theirs)) {
            (Some((ours, _, _)), Some((theirs, _, _))) if theirs > 0.0 => {
                format!("{:.2}", ours / theirs)
            }
            _ => "—".to_owned(),
        };
        let mut ours = row(name, "ristretto deploy", &outcome.ours);
        ours.push(ratio);
        rows.push(ours);
        if with_cli {
            let mut theirs = row(name, "aws cli + waiter", &outcome.theirs);
            theirs.push(String::new());
            rows.push(theirs);
        }
    }
    print_markdown(&rows);
    println!(
        "ended after: tool start → the deployment's recorded end; notice: that end → the tool's exit (median of the successful runs); reads/min: all read calls ÷ the tool's run time; ÷ aws cli: ristretto's notice median ÷ the AWS CLI's"
    );
}

fn print_startup(timings: &[startup::Timing]) {
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    let mut rows = vec![
        ["command", "runs", "min", "p50", "p90"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for t in timings {
        rows.push(vec![
            t.label.to_owned(),
            t.times.len().to_string(),
            ms(startup::quantile(&t.times, 0.0)),
            ms(startup::quantile(&t.times, 0.5)),
            ms(startup::quantile(&t.times, 0.9)),
        ]);
    }
    print_markdown(&rows);
    println!("binary: {}", tools::ristretto_profile());
}

/// Prints `rows` (the first is the header) as a markdown table with padded columns.
fn print_markdown(rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = widths
            .iter()
            .enumerate()
            .map(|(c, w)| {
                let cell = cells.get(c).map_or("", String::as_str);
                format!("{cell:<w$}")
            })
            .collect();
        println!("| {} |", padded.join(" | "));
    };
    if let Some((header, body)) = rows.split_first() {
        line(header);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        println!("|-{}-|", rule.join("-|-"));
        for r in body {
            line(r);
        }
    }
}
