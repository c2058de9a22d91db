//! `schema`: which JSON Schema to print.

use clap::{Args, ValueEnum};

/// `schema`.
#[derive(Debug, Args)]
#[command(
    after_help = "The same files are in the repository's `schemas/` folder. Point an \
editor at one: `# yaml-language-server: $schema=<url or path>` at the top of a YAML config \
(`init` writes it), or the editor's JSON schema settings for definition files."
)]
pub struct SchemaArgs {
    /// Which schema
    #[arg(value_enum)]
    pub target: SchemaTarget,
}

/// What `schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaTarget {
    /// The config file (ristretto.yml)
    Config,
    /// Service definition files
    #[value(alias = "service-definition")]
    Servicedef,
    /// Task definition files
    #[value(alias = "task-definition")]
    Taskdef,
    /// One line of `--output json` progress events
    Events,
}

impl SchemaTarget {
    /// The schema's kind in `ristretto_core::schema`.
    pub fn kind(self) -> ristretto_core::schema::Kind {
        use ristretto_core::schema::Kind;
        match self {
            Self::Config => Kind::Config,
            Self::Servicedef => Kind::ServiceDefinition,
            Self::Taskdef => Kind::TaskDefinition,
            Self::Events => Kind::Events,
        }
    }
}
