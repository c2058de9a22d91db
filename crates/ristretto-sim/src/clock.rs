//! World time. The simulated world runs `speed` times faster than real time, so a deployment
//! that takes minutes on AWS takes a second in a test.
//!
//! Time advances lazily: each request first brings the world up to "now" (see
//! [`crate::state::State::advance`]), so between requests nothing runs and a test observes
//! exactly the states a polling client would. [`Clock::skip`] jumps ahead without waiting.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, as a float (the wire form of AWS timestamps).
pub type Epoch = f64;

/// The current real time as epoch seconds.
pub fn real_now() -> Epoch {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Maps real time to world time.
#[derive(Debug, Clone)]
pub struct Clock {
    base_world: Epoch,
    base_real: Instant,
    speed: f64,
}

impl Clock {
    /// A clock whose world time is `world_now` at this instant and runs `speed` times faster
    /// than real time (a speed of 0 or below stops the world clock; only [`Clock::skip`] moves it).
    pub fn new(world_now: Epoch, speed: f64) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            0.0
        };
        Clock {
            base_world: world_now,
            base_real: Instant::now(),
            speed,
        }
    }

    /// The current world time.
    pub fn now(&self) -> Epoch {
        self.base_world + self.base_real.elapsed().as_secs_f64() * self.speed
    }

    /// How many times faster than real time the world runs.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Moves world time forward by `seconds` at once.
    pub fn skip(&mut self, seconds: f64) {
        if seconds.is_finite() && seconds > 0.0 {
            self.base_world += seconds;
        }
    }
}

/// An AWS timestamp for a world time, at millisecond precision (what AWS sends, and what
/// survives the epoch-seconds round trip through the state file unchanged).
pub fn timestamp(t: Epoch) -> aws_smithy_types::DateTime {
    let millis = (t * 1000.0).round() as i64;
    aws_smithy_types::DateTime::from_millis(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_moves_world_time_forward() {
        let mut clock = Clock::new(1000.0, 0.0);
        assert!((clock.now() - 1000.0).abs() < f64::EPSILON);
        clock.skip(60.0);
        assert!((clock.now() - 1060.0).abs() < f64::EPSILON);
    }
}
