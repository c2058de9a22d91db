//! The binary's end-to-end tests, in one test binary (one link instead of
//! one per file): each module runs the real `ristretto` for one area;
//! `common` holds what they share (running the binary, copies of the
//! examples, transcripts with stable placeholders for times and IDs).

mod bad_input;
mod capacity;
mod codedeploy;
mod codedeploy_rollback;
mod common;
mod day2;
mod deploy;
mod diff_markdown;
mod exec;
mod fleet;
mod lifecycle;
mod local;
mod logs;
mod pace;
mod readonly;
mod rejected;
mod render;
mod schema;
mod secrets;
mod target_health;
mod tasks;
mod verify;
