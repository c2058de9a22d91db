//! Truncated and mangled input must give errors, never panics.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use crate::common::renderer_with_tfstate;

const SAMPLE: &str = "é{\n  \"a\": \"{{- env `TÄG` \"l\\u00e9\\x41\" | json_escape -}}\",\n  {{/* ç */}}\n  \
    {{ if and (eq (env `A` ``) `b`) (ne 1 2) }}{{ printf `%s/%d` `x` 3 }}{{ else if `é` }}y{{ else }}z{{ end }}\n  \
    \"t\": \"{{ tfstatef `data.aws_security_group.default['%s'].id` `first` }}\",\n  \
    {{ ssm `/list` 1 }} {{ 'é' }} {{ -1.5e3 }} {{ (must_env `X`) }} {{ $v }} {{ .F }}\n}";

const TERA: &str = "é{% if env(name=\"A\") == \"b\" %}{{ must_env(name=\"Ä\") | json_escape }}{% else %}\
    {{ tfstate(address=\"aws_subnet.private-a.id\") }}{# ç #}{% endif %}{{ ssm(name=\"/list\", index=1) }}";

#[test]
fn every_prefix_and_suffix_renders_or_errors() {
    let r = renderer_with_tfstate(&[("X", "x")]);
    for (src, file) in [(SAMPLE, "a.json"), (TERA, "a.json.tera")] {
        let cuts: Vec<usize> = (0..=src.len())
            .filter(|i| src.is_char_boundary(*i))
            .collect();
        for &i in &cuts {
            let _ = r.render(&src[..i], Path::new(file));
            let _ = r.render(&src[i..], Path::new(file));
        }
    }
}

#[test]
fn errors_always_point_inside_the_source() {
    let r = renderer_with_tfstate(&[]);
    let cuts: Vec<usize> = (0..=SAMPLE.len())
        .filter(|i| SAMPLE.is_char_boundary(*i))
        .collect();
    for &i in &cuts {
        let src = &SAMPLE[..i];
        if let Err(e) = r.render(src, Path::new("a.json")) {
            let lines = src.split('\n').count();
            assert!(e.line() >= 1 && e.line() <= lines, "{e} in {src:?}");
            assert!(e.column() >= 1, "{e}");
            assert!(e.hint.is_some(), "{e} has no hint");
        }
    }
}
