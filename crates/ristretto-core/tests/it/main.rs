//! ristretto-core's integration tests, in one test binary (one link instead
//! of one per file): loading configs and definitions, and their errors.

mod common;
mod config;
mod definitions;
mod fuzz;
mod schema;
mod skeleton;
