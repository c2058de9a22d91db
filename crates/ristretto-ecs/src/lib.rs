//! The ECS side of ristretto: registering task definitions, creating and
//! updating services, and following a deployment until it has really
//! finished — or saying why it did not.
//!
//! Drivers decide in pure functions ([`assess`]) and act in a thin shell that
//! calls the SDK ([`deploy`], [`wait`]). They never print: progress goes out
//! as [`event::Event`]s.

pub mod assess;
pub mod deploy;
pub mod error;
pub mod event;
pub mod send;
pub mod service;
pub mod wait;

pub use assess::{Target, WaitUntil};
pub use error::{Diagnosis, EcsError};
pub use event::{Event, Events};
