//! Heartbeat timing as durations, and the reconnect backoff.

use std::time::{Duration, Instant};

use crate::protocol::HeartbeatTiming;

/// `now + wait`, saturating instead of panicking for a wait too long to represent (a grace period of
/// `Duration::MAX` means "wait for ever", which a few centuries approximate).
pub(super) fn later(now: Instant, wait: Duration) -> Instant {
    const CENTURIES: Duration = Duration::from_secs(1 << 33);
    now.checked_add(wait)
        .or_else(|| now.checked_add(CENTURIES))
        .unwrap_or(now)
}

/// The broker's heartbeat timing (announced in its HEARTBEAT), as the session uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Timing {
    /// How often the worker sends HEARTBEAT.
    pub(super) interval: Duration,
    /// Silence after which the broker is dead: liveness × interval.
    pub(super) silence: Duration,
}

impl Timing {
    /// When a broker last heard from at `last_heard` counts as dead.
    pub(super) fn expiry(&self, last_heard: Instant) -> Instant {
        later(last_heard, self.silence)
    }
}

impl From<HeartbeatTiming> for Timing {
    fn from(timing: HeartbeatTiming) -> Self {
        let interval = Duration::from_millis(u64::from(timing.interval_ms));
        Timing {
            interval,
            silence: interval.saturating_mul(timing.liveness),
        }
    }
}

/// Exponential backoff between reconnect (or re-READY) attempts: `initial`, doubling up to `max`, back to
/// `initial` once the broker acknowledges a registration with its HEARTBEAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Backoff {
    initial: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    pub(super) fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max,
            current: initial,
        }
    }

    /// The wait before the next attempt; the one after will be twice as long, up to `max`.
    pub(super) fn next(&mut self) -> Duration {
        let wait = self.current;
        self.current = self.current.saturating_mul(2).min(self.max);
        wait
    }

    /// Back to the initial wait.
    pub(super) fn reset(&mut self) {
        self.current = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_max_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));
        let waits: Vec<u64> = (0..5).map(|_| b.next().as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 5, 5]);
        b.reset();
        assert_eq!(b.next(), Duration::from_secs(1));
    }

    #[test]
    fn later_saturates_instead_of_panicking() {
        let now = Instant::now();
        assert!(later(now, Duration::MAX) > now + Duration::from_secs(1 << 32));
        assert_eq!(
            later(now, Duration::from_secs(1)),
            now + Duration::from_secs(1)
        );
    }

    #[test]
    fn silence_is_liveness_intervals() {
        let t = Timing::from(HeartbeatTiming {
            interval_ms: 250,
            liveness: 3,
        });
        assert_eq!(t.interval, Duration::from_millis(250));
        assert_eq!(t.silence, Duration::from_millis(750));
    }
}
