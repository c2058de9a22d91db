//! The model side of ristretto: what a config and its definition files mean,
//! loaded into validated values before anything talks to AWS.
//!
//! Definitions are the AWS SDK's own types (see [`definition`]); the config is
//! ristretto's (see [`config`]). Every failure is a [`LoadError`] that names
//! the file, the line and the JSON path, with a hint.

pub mod aws_error;
pub mod config;
pub mod definition;
pub mod diagnosis;
pub mod diff;
pub mod duration;
pub mod error;
pub mod event;
pub mod jsonnet_writer;
pub mod loader;
pub mod locate;
pub mod normalize;
pub mod path;
pub mod poll;
pub mod schema;
pub mod secrets;
pub mod validate;
pub mod version;

pub use config::Config;
pub use error::{LoadError, Problem, ProblemKind};
pub use loader::{Definitions, Loaded, Loader};
