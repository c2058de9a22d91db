//! The simulator's end-to-end tests, through the real AWS SDK clients, as one test binary (one
//! link instead of one per file). The world clock stands still in these tests (speed 0) and a
//! test moves it with `SimHandle::advance`, so nothing here waits for real time.
#![allow(clippy::unwrap_used)]

mod common;

mod api_errors;
mod capacity;
mod circuit_breaker;
mod codedeploy;
mod container_instances;
mod elbv2;
mod exec;
mod lifecycle;
mod native_strategies;
mod other_services;
mod persistence;
mod placement;
mod rolling;
mod validation;
