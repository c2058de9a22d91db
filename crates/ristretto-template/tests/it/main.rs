//! ristretto-template's integration tests, in one test binary (one link
//! instead of one per file); `common` holds the helpers they share and
//! `../fixtures` the files they render.

mod common;
mod compat;
mod go_syntax;
mod jsonnet;
mod no_panic;
mod plugins;
mod tera_syntax;
