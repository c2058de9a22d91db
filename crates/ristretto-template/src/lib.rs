//! Templates, Jsonnet and plugins: how ristretto turns config and definition files into text.
//!
//! # Which syntax a file uses
//!
//! **A file whose name ends in `.tera` is a tera 2 template; every other file is an
//! ecspresso (Go `text/template`) template.** The rule looks at the name only, never at the
//! content, so existing ecspresso files work unchanged and a new file opts into tera by its
//! name: `ecs-task-def.json.tera`, `config.yaml.tera`. [`strip_tera_suffix`] drops the suffix
//! so that the caller picks the data format (JSON, YAML, Jsonnet) from what remains. When a
//! file fails to render and looks written for the other syntax, the error's hint says to add
//! or remove `.tera`.
//!
//! | | Go syntax (default) | tera (`*.tera`) |
//! |---|---|---|
//! | variable | ``{{ env `TAG` `latest` }}`` | `{{ env(name="TAG", default="latest") }}` |
//! | required | ``{{ must_env `TAG` }}`` | `{{ must_env(name="TAG") }}` |
//! | escape | ``{{ env `JSON` \| json_escape }}`` | `{{ env(name="JSON") \| json_escape }}` |
//! | tfstate | ``{{ tfstate `aws_subnet.a.id` }}`` | `{{ tfstate(address="aws_subnet.a.id") }}` |
//! | ssm | ``{{ ssm `/list` 1 }}`` | `{{ ssm(name="/list", index=1) }}` |
//!
//! Jsonnet files ([`Renderer::evaluate_jsonnet`]) call the same functions through
//! `std.native('env')(name, default)`, `std.native('must_env')(name)`,
//! `std.native('tfstate')(address)`, `std.native('ssm')(name)`,
//! `std.native('ssm_list')(name, index)`, etc.
//!
//! # Order of the passes
//! As in ecspresso: a `.jsonnet` file is evaluated first and its JSON output is then rendered
//! as a template (template actions live inside Jsonnet strings); every other file is rendered
//! first and then parsed as JSON or YAML. ecspresso renders config files with the built-in
//! functions only ([`Functions::none`]); definitions get the plugin functions.
//!
//! # Plugins
//! `ssm` (`ssm NAME [INDEX]`) and `secretsmanager` (`secretsmanager_arn ID`) are always
//! loaded; `tfstate` (`tfstate ADDR`, `tfstatef FORMAT ARGS…`; local `path` or `url`
//! `s3://…`/`file://…`, Terraform state v4, workspaces) and `cloudformation`
//! (`cfn_output STACK KEY`, `cfn_export NAME`) when the config lists them. Values returned by
//! `ssm` and `secretsmanager_arn` are collected in [`Rendered::secrets`].
//!
//! # Pieces
//! - [`Renderer`]: renders text with an [`Env`] and [`Functions`]; gives [`Rendered`] text and
//!   the secrets it used.
//! - [`Functions::with_plugins`]: ecspresso's plugin rules (`ssm`/`secretsmanager` always,
//!   `func_prefix`, the duplicate-name error); AWS reads go through [`AwsLookups`].
//! - [`ProcessEnv`], [`load_envfiles`]: the environment and `--envfile`.
//! - [`TemplateError`]: every failure, with file, line, column and a hint.

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod builtins;
mod env;
mod error;
mod functions;
mod gotmpl;
mod jsonnet;
mod lookups;
mod plugins;
mod printf;
mod render;
mod syntax;
mod tera_syntax;
mod value;

pub use builtins::json_escape;
pub use env::{Env, MapEnv, ProcessEnv, load_envfiles, parse_envfile};
pub use error::{Position, TemplateError};
pub use functions::{Functions, PluginSpec};
pub use jsonnet::JsonnetVars;
pub use lookups::{AwsLookups, LookupError, NoAwsLookups, SsmParameter, SsmParameterType};
pub use render::{Rendered, Renderer};
pub use syntax::{Syntax, strip_tera_suffix};
