//! The CodeDeploy side of ristretto: a service with the CODE_DEPLOY
//! deployment controller is not rolled by ECS but by a CodeDeploy blue/green
//! deployment. This crate finds the service's deployment group, starts the
//! deployment with an AppSpec, and follows it (lifecycle events, traffic
//! shift) until CodeDeploy says how it ended.
//!
//! Like `ristretto-ecs`, it never prints: progress goes out as
//! [`ristretto_ecs::Event`]s, and failures come back as [`CodeDeployError`].

pub mod discover;
pub mod error;
pub mod rollback;
pub mod start;
pub mod wait;

pub use discover::{Group, Wanted, discover};
pub use error::CodeDeployError;
pub use wait::{LIFECYCLE_EVENTS, Until};
