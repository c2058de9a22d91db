//! Render time of a ~1 MB task definition holding 10,000 template actions, in both syntaxes,
//! plus Jsonnet evaluation of an equivalent file. Prints figures; asserts nothing about time.
//!
//! Run with `cargo bench -p ristretto-template`.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ristretto_template::{Functions, JsonnetVars, MapEnv, NoAwsLookups, Renderer};

const ACTIONS: usize = 10_000;

/// A task definition with `ACTIONS` environment entries, one action each, padded to ~1 MB.
fn definition(tera: bool) -> String {
    let mut s = String::from(
        "{\n  \"family\": \"bench\",\n  \"containerDefinitions\": [\n    {\n      \"name\": \"app\",\n      \"environment\": [\n",
    );
    for i in 0..ACTIONS {
        let action = match (i % 4, tera) {
            (0, false) => format!("{{{{ env `VAR_{i}` `default-{i}` }}}}"),
            (1, false) => "{{ must_env `TAG` }}".to_string(),
            (2, false) => "{{ env `JSON` | json_escape }}".to_string(),
            (_, false) => format!(
                "{{{{- if eq (env `MODE` ``) `prod` }}}}p{i}{{{{ else }}}}d{i}{{{{ end -}}}}"
            ),
            (0, true) => format!("{{{{ env(name=\"VAR_{i}\", default=\"default-{i}\") }}}}"),
            (1, true) => "{{ must_env(name=\"TAG\") }}".to_string(),
            (2, true) => "{{ env(name=\"JSON\") | json_escape }}".to_string(),
            (_, true) => format!(
                "{{% if env(name=\"MODE\") == \"prod\" %}}p{i}{{% else %}}d{i}{{% endif %}}"
            ),
        };
        let comma = if i + 1 == ACTIONS { "" } else { "," };
        writeln!(
            s,
            "        {{ \"name\": \"ENVIRONMENT_VARIABLE_NUMBER_{i:05}\", \"value\": \"{action}\" }}{comma}"
        )
        .unwrap();
    }
    s.push_str("      ]\n    }\n  ]\n}\n");
    s
}

fn jsonnet_source() -> String {
    let mut s = String::from("local env = std.native('env');\n{\n  environment: [\n");
    for i in 0..ACTIONS {
        writeln!(
            s,
            "    {{ name: 'VAR_{i:05}', value: env('VAR_{i}', 'default-{i}') }},"
        )
        .unwrap();
    }
    s.push_str("  ],\n}\n");
    s
}

fn measure(label: &str, bytes: usize, runs: usize, mut f: impl FnMut()) {
    f(); // warm-up
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2];
    let min = times[0];
    let mb = bytes as f64 / 1_000_000.0;
    println!(
        "{label:<34} {mb:>5.2} MB, {ACTIONS} actions: median {:>8.2} ms, min {:>8.2} ms ({:.0} MB/s)",
        median.as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3,
        mb / median.as_secs_f64()
    );
}

fn main() {
    let env = Arc::new(MapEnv::from_pairs([
        ("TAG", "v1.2.3"),
        ("JSON", r#"{"foo":"<bar>"}"#),
        ("MODE", "prod"),
        ("VAR_4", "set"),
    ]));
    let functions = Functions::with_plugins(&[], Path::new("."), Arc::new(NoAwsLookups)).unwrap();
    let renderer = Renderer::new(env, functions);

    let go = definition(false);
    let out = renderer
        .render(&go, Path::new("ecs-task-def.json"))
        .unwrap();
    serde_json::from_str::<serde_json::Value>(&out.text).unwrap();
    measure("go syntax (ecs-task-def.json)", go.len(), 20, || {
        renderer
            .render(&go, Path::new("ecs-task-def.json"))
            .unwrap();
    });

    let tera = definition(true);
    let out = renderer
        .render(&tera, Path::new("ecs-task-def.json.tera"))
        .unwrap();
    serde_json::from_str::<serde_json::Value>(&out.text).unwrap();
    measure("tera (ecs-task-def.json.tera)", tera.len(), 20, || {
        renderer
            .render(&tera, Path::new("ecs-task-def.json.tera"))
            .unwrap();
    });

    let jsonnet = jsonnet_source();
    let vars = JsonnetVars::default();
    measure("jsonnet (ecs-task-def.jsonnet)", jsonnet.len(), 10, || {
        renderer
            .evaluate_jsonnet_source(&jsonnet, Path::new("ecs-task-def.jsonnet"), &vars)
            .unwrap();
    });
}
