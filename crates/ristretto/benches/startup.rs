//! Start-up time of the binary: `ristretto version` and `ristretto render`
//! of the rolling example, run as separate processes. Prints figures; asserts
//! nothing. Run with `cargo bench -p ristretto --bench startup`.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn measure(args: &[&str], runs: usize) -> Vec<Duration> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let status = Command::new(env!("CARGO_BIN_EXE_ristretto"))
                .current_dir(&repo)
                .args(args)
                .stdout(std::process::Stdio::null())
                .status();
            let elapsed = start.elapsed();
            assert!(
                status.is_ok_and(|s| s.success()),
                "ristretto {args:?} failed"
            );
            elapsed
        })
        .collect();
    times.sort();
    times
}

fn report(label: &str, times: &[Duration]) {
    let p = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{label:<48} runs {:>3}  min {:>7.2?}  p50 {:>7.2?}  p90 {:>7.2?}",
        times.len(),
        times[0],
        p(0.5),
        p(0.9)
    );
}

fn main() {
    let runs = 50;
    report("ristretto version", &measure(&["version"], runs));
    report(
        "ristretto render config taskdef servicedef",
        &measure(
            &[
                "--config",
                "examples/rolling/config.yaml",
                "render",
                "config",
                "taskdef",
                "servicedef",
            ],
            runs,
        ),
    );
}
