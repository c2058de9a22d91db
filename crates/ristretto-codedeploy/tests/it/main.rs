//! ristretto-codedeploy's integration tests, in one test binary; `common`
//! holds the helpers they share.

mod common;
mod discover;
