//! The ecspresso (Go text/template) syntax, pinned against Go's and ecspresso's behaviour.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use crate::common::renderer;
use ristretto_template::TemplateError;

const FILE: &str = "ecs-task-def.json";

fn render(src: &str, env: &[(&str, &str)]) -> String {
    renderer(env)
        .render(src, Path::new(FILE))
        .unwrap_or_else(|e| panic!("{e} (hint: {:?})", e.hint))
        .text
}

fn render_err(src: &str, env: &[(&str, &str)]) -> TemplateError {
    match renderer(env).render(src, Path::new(FILE)) {
        Ok(r) => panic!("expected an error, got {:?}", r.text),
        Err(e) => e,
    }
}

#[test]
fn env_of_unset_variable_is_its_name() {
    assert_eq!(render("{{ env `FOO` }}", &[]), "FOO");
    assert_eq!(render(r#"{{ env "FOO" }}"#, &[("FOO", "bar")]), "bar");
}

#[test]
fn env_default_is_also_looked_up_as_a_variable() {
    assert_eq!(render("{{ env `TAG` `latest` }}", &[]), "latest");
    assert_eq!(
        render("{{ env `TAG` `latest` }}", &[("latest", "v9")]),
        "v9"
    );
    assert_eq!(render("{{ env `TAG` `latest` }}", &[("TAG", "")]), "latest");
    assert_eq!(render("{{ env `TAG` `latest` }}", &[("TAG", "v1")]), "v1");
    assert_eq!(render("[{{ env }}]", &[]), "[]");
}

#[test]
fn must_env_allows_empty_values() {
    assert_eq!(render("[{{ must_env `E` }}]", &[("E", "")]), "[]");
    assert_eq!(
        render("{{ must_env `TAG` }}", &[("TAG", "testing")]),
        "testing"
    );
}

#[test]
fn must_env_of_unset_variable_is_an_error_with_position_and_hint() {
    let e = render_err("{\n  \"image\": \"app:{{ must_env `TAG` }}\"\n}", &[]);
    assert_eq!(e.file(), Path::new(FILE));
    assert_eq!((e.line(), e.column()), (2, 20));
    assert!(
        e.message
            .contains("environment variable `TAG` is not defined"),
        "{e}"
    );
    assert!(e.message.contains("must_env"), "{e}");
    assert!(e.hint.as_deref().unwrap().contains("--envfile"));
}

#[test]
fn json_escape_in_a_pipeline() {
    assert_eq!(
        render(
            "\"{{ env `JSON` | json_escape }}\"",
            &[("JSON", r#"{"foo":"bar"}"#)]
        ),
        r#""{\"foo\":\"bar\"}""#
    );
    assert_eq!(
        render("{{ json_escape `<a&\"b\">` }}", &[]),
        r#"\u003ca\u0026\"b\"\u003e"#
    );
}

#[test]
fn trim_markers_remove_all_adjacent_whitespace() {
    assert_eq!(render("a  \n\t{{- `x` -}}  \n  b", &[]), "axb");
    assert_eq!(render("a  {{- `x` }}  b", &[]), "ax  b");
    assert_eq!(render("a  {{ `x` -}}\n  b", &[]), "a  xb");
    // without the space it is a negative number, not a trim marker
    assert_eq!(render("a {{-3}} b", &[]), "a -3 b");
}

#[test]
fn comments_render_nothing() {
    assert_eq!(render("a{{/* note */}}b", &[]), "ab");
    assert_eq!(render("a\n{{- /* multi\nline */ -}}\nb", &[]), "ab");
}

#[test]
fn double_quoted_strings_use_go_escapes() {
    assert_eq!(
        render(r#"{{ "a\tb\n\u00e9\x41\101\"" }}"#, &[]),
        "a\tb\né\u{41}A\""
    );
    assert_eq!(render("{{ `raw \\n` }}", &[]), "raw \\n");
}

#[test]
fn literals_print_like_go() {
    assert_eq!(
        render("{{ 42 }} {{ 0x10 }} {{ true }} {{ 1.5 }} {{ 'a' }}", &[]),
        "42 16 true 1.5 97"
    );
    assert_eq!(render("{{ nil | not }}", &[]), "true");
}

#[test]
fn if_else_if_else_with_go_truth() {
    let t = "{{ if eq (env `DC` `ECS`) `CODE_DEPLOY` }}cd{{ else if (env `X` ``) }}x{{ else }}ecs{{ end }}";
    assert_eq!(render(t, &[("DC", "CODE_DEPLOY")]), "cd");
    assert_eq!(render(t, &[("X", "1")]), "x");
    assert_eq!(render(t, &[]), "ecs");
    assert_eq!(render("{{ if `` }}y{{ else }}n{{ end }}", &[]), "n");
    assert_eq!(render("{{ if 0 }}y{{ else }}n{{ end }}", &[]), "n");
    assert_eq!(render("{{ if `0` }}y{{ end }}", &[]), "y");
}

#[test]
fn if_wrapping_yaml_like_ecspresso_ci() {
    let t = "plugins:\n{{ if (env `TFSTATE_BUCKET` ``) }}  - name: tfstate\n{{ end }}rest";
    assert_eq!(render(t, &[]), "plugins:\nrest");
    assert_eq!(
        render(t, &[("TFSTATE_BUCKET", "b")]),
        "plugins:\n  - name: tfstate\nrest"
    );
}

#[test]
fn logic_and_comparison_builtins() {
    assert_eq!(
        render("{{ and `a` `` `c` }}|{{ or `` `b` }}|{{ not `` }}", &[]),
        "|b|true"
    );
    assert_eq!(
        render(
            "{{ ne `a` `b` }} {{ eq 1 2 1 }} {{ lt 1 2 }} {{ ge `b` `a` }}",
            &[]
        ),
        "true true true true"
    );
    assert_eq!(render("{{ len `abc` }}", &[]), "3");
    // and/or stop at the deciding argument: must_env is never called
    assert_eq!(render("{{ or `x` (must_env `NOPE`) }}", &[]), "x");
}

#[test]
fn printf_and_print() {
    assert_eq!(
        render("{{ printf `%s-%d-%v-%q` `a` 3 true `b` }}", &[]),
        r#"a-3-true-"b""#
    );
    assert_eq!(
        render("{{ printf `%s:%s` `x` (env `T` `latest`) }}", &[]),
        "x:latest"
    );
    assert_eq!(render("{{ `x` | printf `%s!` }}", &[]), "x!");
    assert_eq!(render("{{ print 1 2 `a` `b` }}", &[]), "1 2ab");
}

#[test]
fn parenthesised_calls_nest() {
    assert_eq!(
        render("{{ json_escape (printf `<%s>` (env `A` `b`)) }}", &[]),
        r"\u003cb\u003e"
    );
}

#[test]
fn comparing_different_kinds_is_an_error() {
    let e = render_err("{{ eq 1 `1` }}", &[]);
    assert!(
        e.message.contains("incompatible types for comparison"),
        "{e}"
    );
}

#[test]
fn unknown_function_has_position_and_suggestion() {
    let e = render_err("{\n  \"a\": \"{{ must_evn `TAG` }}\"\n}", &[]);
    assert_eq!(e.file(), Path::new(FILE));
    assert_eq!((e.line(), e.column()), (2, 12));
    assert_eq!(e.message, r#"function "must_evn" not defined"#);
    assert_eq!(e.hint.as_deref(), Some("did you mean `must_env`?"));
}

#[test]
fn plugin_function_without_plugin_says_to_add_it() {
    let e = render_err("{{ tfstate `aws_vpc.main.id` }}", &[]);
    assert_eq!((e.line(), e.column()), (1, 4));
    assert!(
        e.hint.as_deref().unwrap().contains("plugins:"),
        "{:?}",
        e.hint
    );
}

#[test]
fn syntax_errors_have_position_and_hint() {
    let e = render_err("line1\n{{ if `a` }}x", &[]);
    assert_eq!(e.file(), Path::new(FILE));
    assert_eq!((e.line(), e.column()), (2, 4));
    assert_eq!(e.message, "unexpected EOF");
    assert!(e.hint.as_deref().unwrap().contains("end"));

    let e = render_err("x {{ end }}", &[]);
    assert_eq!((e.line(), e.column()), (1, 6));
    assert_eq!(e.message, "unexpected {{end}}");
    assert!(e.hint.is_some());

    let e = render_err("a\n  {{ env `X` ", &[]);
    assert_eq!((e.line(), e.column()), (2, 3));
    assert_eq!(e.message, "unclosed action");
    assert!(e.hint.is_some());

    let e = render_err(r#"{{ "abc }}"#, &[]);
    assert_eq!(e.message, "unterminated quoted string");
    assert_eq!((e.line(), e.column()), (1, 4));
    assert!(e.hint.is_some());

    let e = render_err("{{ }}", &[]);
    assert_eq!(e.message, "missing value for command");
    assert!(e.hint.is_some());
}

#[test]
fn unsupported_constructs_name_themselves() {
    for (src, what, col) in [
        ("{{ range $x := `a` }}{{ end }}", "`range`", 4),
        ("{{ with `a` }}{{ end }}", "`with`", 4),
        ("{{ define `x` }}{{ end }}", "`define`", 4),
        ("{{ $x }}", "`$x`", 4),
        ("{{ .Field }}", "`.Field`", 4),
    ] {
        let e = render_err(src, &[]);
        assert!(e.message.contains(what), "{src}: {e}");
        assert_eq!(e.column(), col, "{src}");
        assert!(e.hint.is_some(), "{src}");
    }
}

#[test]
fn go_file_written_in_tera_gets_a_rename_hint() {
    let e = render_err(r#"{"image": "{{ env(name="TAG") }}"}"#, &[]);
    assert!(e.hint.as_deref().unwrap().contains(".tera"), "{:?}", e.hint);
}

#[test]
fn wrong_argument_count_for_builtins_is_an_error() {
    let e = render_err("{{ must_env `A` `B` }}", &[("A", "x")]);
    assert!(
        e.message
            .contains("wrong number of args for must_env: want 1 got 2"),
        "{e}"
    );
    let e = render_err("{{ must_env 1 }}", &[]);
    assert!(e.message.contains("expected string; got int"), "{e}");
}

#[test]
fn text_without_actions_is_unchanged() {
    let src = "{\n  \"a\": \"}} {\",\n  \"b\": \"é\"\n}\n";
    assert_eq!(render(src, &[]), src);
}

#[test]
fn renderer_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<ristretto_template::Renderer>();
    let r = renderer(&[("TAG", "v1")]);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let r = r.clone();
            std::thread::spawn(move || {
                r.render("{{ must_env `TAG` }}", Path::new(FILE))
                    .unwrap()
                    .text
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), "v1");
    }
}
