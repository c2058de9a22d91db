//! `generate-man DIR`: man pages written from the same clap definition that parses the command
//! line, so a page can never describe a flag the binary does not have. A hidden subcommand of the
//! binary itself (rather than an `xtask` or a build script) because the CLI lives in the binary
//! crate: anything else would need a second copy of the definition. Packagers run it once on
//! the built binary (`.ci/steps/deb.sh`, the release workflow); it needs no network.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::GenerateManArgs;
use crate::exit::Exit;
use crate::printer::Printer;
use crate::report::CliError;

/// Writes the pages and says how many, and where.
///
/// # Errors
/// The folder cannot be created or a page cannot be written (exit 1).
pub fn run(args: &GenerateManArgs, printer: &Printer) -> Result<(), CliError> {
    let written = write_pages(&args.dir).map_err(|error| CliError {
        exit: Exit::Failure,
        error,
        hint: None,
    })?;
    printer.info(&format!(
        "wrote {} man pages to `{}`",
        written.len(),
        args.dir.display()
    ));
    Ok(())
}

/// Writes `ristretto.1` and one `ristretto-<command>[-<subcommand>].1` per visible command,
/// nested ones included (`ristretto-local-serve.1`), and returns the files written.
fn write_pages(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let mut root = crate::cli::command();
    // `build` gives every subcommand its display name (`ristretto-deploy`), the page's title.
    root.build();
    let mut written = Vec::new();
    let mut pending = vec![root];
    while let Some(command) = pending.pop() {
        pending.extend(
            command
                .get_subcommands()
                .filter(|sub| !sub.is_hide_set())
                .cloned(),
        );
        let page = clap_mangen::Man::new(command)
            .source(format!("ristretto {}", env!("CARGO_PKG_VERSION")))
            .manual("ristretto manual");
        let path = page
            .generate_to(dir)
            .with_context(|| format!("cannot write a man page into `{}`", dir.display()))?;
        written.push(path);
    }
    written.sort();
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command `--help` lists, walked from the definition, nested ones included.
    fn visible_commands(command: &clap::Command, prefix: &str, out: &mut Vec<(String, String)>) {
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            let name = format!("{prefix}-{}", sub.get_name());
            let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
            out.push((name.clone(), about));
            visible_commands(sub, &name, out);
        }
    }

    #[test]
    fn a_page_is_written_for_ristretto_and_each_command() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("man1");
        let written = write_pages(&out).expect("pages written");

        let mut commands = Vec::new();
        visible_commands(&crate::cli::command(), "ristretto", &mut commands);
        assert!(commands.len() > 20, "{commands:?}");
        assert!(
            commands
                .iter()
                .any(|(name, _)| name == "ristretto-local-serve")
        );
        for (name, about) in &commands {
            let page = std::fs::read_to_string(out.join(format!("{name}.1")))
                .unwrap_or_else(|e| panic!("no page for `{name}`: {e}"));
            let title = format!(".TH {name} 1  \"ristretto {}\"", env!("CARGO_PKG_VERSION"));
            assert!(page.contains(&title), "{name}: {page}");
            // The summary line `--help` shows is the page's NAME section.
            let first_words = about
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
                .replace('-', "\\-") // roff writes a hyphen as `\-`
                .replace('\'', "\\*(Aq"); // and an apostrophe as `\*(Aq`
            assert!(page.contains(&first_words), "{name} lacks `{first_words}`");
        }
        // The root page plus one per command; the hidden `generate-man` gets none.
        assert_eq!(written.len(), commands.len() + 1);
        assert!(!out.join("ristretto-generate-man.1").exists());
    }

    #[test]
    fn the_main_page_carries_exit_codes_and_environment_variables() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_pages(dir.path()).expect("pages written");
        let page = std::fs::read_to_string(dir.path().join("ristretto.1")).expect("main page");
        assert!(page.contains("Exit codes:"), "{page}");
        assert!(page.contains("RISTRETTO_LOCAL_SPEED"), "{page}");
        // A flag of a subcommand is on its page.
        let deploy = std::fs::read_to_string(dir.path().join("ristretto-deploy.1")).expect("page");
        assert!(deploy.contains("wait\\-until"), "{deploy}");
    }

    #[test]
    fn an_unwritable_folder_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("a-file");
        std::fs::write(&file, "").expect("file");
        let error = write_pages(&file.join("man1")).expect_err("a file is in the way");
        assert!(format!("{error:#}").contains("a-file/man1"), "{error:#}");
    }
}
