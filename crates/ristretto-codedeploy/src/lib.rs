//! The CodeDeploy side of ristretto: a service with the CODE_DEPLOY
//! deployment controller is not rolled by ECS but by a CodeDeploy blue/green
//! deployment. This crate finds the service's deployment group, plans the
//! deploy ([`plan`]: what to register, what `UpdateService` may still change,
//! the AppSpec), starts the deployment, and follows it (lifecycle events,
//! traffic shift) until CodeDeploy says how it ended, deciding each poll in
//! the pure [`assess`].
//!
//! Like `ristretto-ecs`, it never prints: progress goes out as
//! [`ristretto_core::event::Event`]s, and failures come back as
//! [`CodeDeployError`].

pub mod appspec;
pub mod assess;
pub mod discover;
pub mod error;
pub mod plan;
pub mod resume;
pub mod rollback;
pub mod start;
pub mod wait;

pub use assess::{LIFECYCLE_EVENTS, Until};
pub use discover::{Group, Wanted, discover};
pub use error::CodeDeployError;
