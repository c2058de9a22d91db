//! The ECS side of ristretto: registering task definitions, creating and
//! updating services, and following a deployment until it has really
//! finished — or saying why it did not.
//!
//! Drivers decide in pure functions ([`assess`]) and act in a thin shell that
//! calls the SDK ([`deploy`], [`wait`]). They never print: progress goes out
//! as [`ristretto_core::event::Event`]s.

pub mod assess;
pub mod autoscaling;
pub mod delete;
pub mod deploy;
pub mod deregister;
pub mod error;
pub mod exec;
pub mod forecast;
pub mod lifecycle;
pub mod logs;
pub mod pace;
pub mod resume;
pub mod rollback;
pub mod run;
pub mod send;
pub mod service;
pub mod service_deployment;
pub mod target_groups;
pub mod task_definition;
pub mod tasks;
pub mod wait;

pub use assess::{Target, WaitUntil};
pub use error::{Diagnosis, EcsError};
