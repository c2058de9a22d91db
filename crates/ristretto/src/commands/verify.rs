//! `verify`: checks what each config's definitions refer to (roles, images, secrets, log
//! groups, environment files, target groups, cluster) and prints the tree of results, as
//! ecspresso does: each thing on its own line, `--> [OK]`, `--> [NG] reason` or
//! `--> [SKIP] reason` under it. Exit 1 at the first NG (every NG with `--keep-going`).

use ristretto_core::Config;
use ristretto_verify::{Cache, Check, Options, RegistryAccess, Subject, Verdict};

use crate::aws::Target;
use crate::cli::{OutputFormat, VerifyArgs};
use crate::commands::{Context, for_each_config};
use crate::exit::Exit;
use crate::report::CliError;

/// Verifies every config.
///
/// # Errors
/// Load errors (exit 2); an NG (exit 1).
pub async fn run(args: &VerifyArgs, ctx: &Context) -> Result<(), CliError> {
    let options = Options {
        get_secrets: !args.no_get_secrets,
        put_logs: !args.no_put_logs,
        keep_going: args.keep_going,
        registry: match &ctx.target {
            // The simulator serves every registry's images under its own address.
            Target::Local(url) => RegistryAccess::Via(
                url.trim_start_matches("http://")
                    .trim_end_matches('/')
                    .to_owned(),
            ),
            Target::Aws => RegistryAccess::Direct,
        },
    };
    let cache = Cache::default();
    for_each_config(ctx, |config| {
        Box::pin(verify_one(ctx, config, &options, &cache))
    })
    .await
}

async fn verify_one(
    ctx: &Context,
    config: Config,
    options: &Options,
    cache: &Cache,
) -> Result<(), CliError> {
    let definitions = ctx.loader().definitions(&config, ctx.lookups(&config))?;
    let task_definition = definitions.task_definition()?;
    let service = match &config.service_definition {
        Some(_) => Some(definitions.service_definition()?),
        None => None,
    };
    ctx.printer.secrets().add(&task_definition.secrets);
    let sdk = crate::aws::sdk_config(&ctx.settings, config.region.as_deref(), &ctx.target).await;
    let subject = Subject {
        task_definition: &task_definition.value,
        service: service.as_ref().map(|s| &s.value),
        cluster: &config.cluster,
    };
    let (tree, notes) = ristretto_verify::verify(&sdk, &subject, options, cache).await;
    for note in &notes {
        ctx.printer.info(note);
    }
    match ctx.printer.output() {
        OutputFormat::Json => {
            let doc = serde_json::json!({
                "config": config.file,
                "ok": tree.iter().all(|c| c.first_ng().is_none()),
                "checks": tree,
            });
            ctx.printer.data(&format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            ));
        }
        OutputFormat::Text => {
            let mut text = String::new();
            for check in &tree {
                write_tree(ctx, check, 0, &mut text);
            }
            ctx.printer.data(&text);
        }
    }
    let failed: Vec<(&str, &str)> = tree.iter().filter_map(Check::first_ng).collect();
    match failed.first() {
        None => {
            ctx.printer.info("Verify OK!");
            Ok(())
        }
        Some((name, why)) => Err(CliError {
            exit: Exit::Failure,
            error: anyhow::anyhow!("verify {name} failed: {why}"),
            hint: (!options.keep_going && failed.len() == 1).then(|| {
                "verification stopped at the first failure; `--keep-going` shows every one"
                    .to_owned()
            }),
        }),
    }
}

fn write_tree(ctx: &Context, check: &Check, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    out.push_str(&format!("{indent}{}\n", check.name));
    for child in &check.children {
        write_tree(ctx, child, depth + 1, out);
    }
    let (result, reason) = match &check.verdict {
        Verdict::Ok => ("OK", None),
        Verdict::Ng(why) => ("NG", Some(why)),
        Verdict::Skip(why) => ("SKIP", Some(why)),
    };
    let mut line = format!("{indent}--> {}", ctx.printer.result(result));
    if let Some(reason) = reason {
        // A group's NG repeats its child's; the child's line says it already.
        if check.children.is_empty() || result != "NG" {
            line.push_str(&format!(" {reason}"));
        }
    }
    if check.cached {
        line.push_str(" (cached)");
    }
    out.push_str(&line);
    out.push('\n');
}
