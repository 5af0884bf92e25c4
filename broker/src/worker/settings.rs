//! A worker's tunables, validated once in [`Worker::connect`](super::Worker::connect) before any socket
//! exists, so the I/O thread never meets a value it cannot run with.

use std::time::Duration;

use crate::protocol::{HeartbeatTiming, HEARTBEAT_INTERVAL_MS, LIVENESS};
use crate::zmq_async::Hwm;

/// Longest routing identity libzmq accepts.
const MAX_IDENTITY_LEN: usize = 255;

/// Largest outbox: replies queue there while the I/O thread hands them to libzmq, which has its own
/// bounded queue ([`Settings::hwm`]) behind it.
pub const MAX_OUTBOX: usize = 1 << 16;

/// How a worker connects, heartbeats and backs off. `Settings::default()` follows the defaults of
/// `docs/worker-protocol.md` §5.3; fields are public so callers set only what they need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Routing identity (`ZMQ_ROUTING_ID`, 1-255 bytes, not starting with a zero byte). A fixed identity
    /// lets a restarted worker replace its previous registration at once; `None` lets ZeroMQ choose.
    pub identity: Option<Vec<u8>>,
    /// Timing used until the broker announces its own in a HEARTBEAT (it does right after READY).
    pub heartbeat: HeartbeatTiming,
    /// First wait before reconnecting to a silent broker or re-sending READY after a DISCONNECT.
    pub backoff_initial: Duration,
    /// The wait doubles up to this after each failed attempt (the spec suggests 1 s up to 32 s).
    pub backoff_max: Duration,
    /// `ZMQ_LINGER` of the DEALER: how long a closed socket may keep flushing (the final DISCONNECT).
    pub linger: Duration,
    /// `ZMQ_SNDHWM` / `ZMQ_RCVHWM` of the DEALER, in messages.
    pub hwm: Hwm,
    /// `ZMQ_MAXMSGSIZE`: a broker message larger than this drops the connection instead of being
    /// allocated. Default: a Mongrel2 request frame at its cap plus 1 MiB of envelope.
    pub max_message_size: usize,
    /// Messages user threads may queue for the I/O thread before [`Job::reply`](super::Job::reply)
    /// waits: the back-pressure of a broker that does not read.
    pub outbox: usize,
    /// Grace period of the shutdown started when the last [`Worker`](super::Worker) handle is dropped
    /// without [`Worker::shutdown`](super::Worker::shutdown).
    pub drop_grace: Duration,
    /// What carries the DEALER: Scale0's own ZMTP (the default, for `tcp://` and `ipc://`: no libzmq
    /// I/O thread) or libzmq (any endpoint libzmq takes).
    pub transport: crate::runtime::Transport,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            identity: None,
            heartbeat: HeartbeatTiming {
                interval_ms: 1000,
                liveness: 3,
            },
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(32),
            linger: Duration::from_millis(500),
            hwm: Hwm::DEFAULT,
            max_message_size: mongrel2_compat::request::MAX_FRAME_LEN + (1 << 20),
            outbox: 1024,
            drop_grace: Duration::from_secs(5),
            transport: crate::runtime::Transport::default(),
        }
    }
}

/// A [`Settings`] value the worker cannot run with; names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// The identity is empty, longer than 255 bytes or starts with a zero byte (reserved by libzmq).
    #[error("identity must be 1..=255 bytes and not start with a zero byte")]
    Identity,
    /// The heartbeat interval or liveness is outside what the protocol allows.
    #[error(
        "heartbeat must have interval_ms within {min_ms}..={max_ms} and liveness within 1..=100"
    )]
    Heartbeat {
        /// Smallest interval accepted, ms.
        min_ms: u64,
        /// Largest interval accepted, ms.
        max_ms: u64,
    },
    /// `backoff_initial` is zero or larger than `backoff_max`.
    #[error("backoff_initial must be non-zero and at most backoff_max")]
    Backoff,
    /// `max_message_size` does not fit libzmq's option.
    #[error("max_message_size must be at most {max}")]
    MaxMessageSize {
        /// The largest accepted.
        max: u64,
    },
    /// `outbox` is zero or above [`MAX_OUTBOX`].
    #[error("outbox must be within 1..={max}")]
    Outbox {
        /// The largest accepted.
        max: usize,
    },
}

impl Settings {
    /// Checks every field; [`Worker::connect`](super::Worker::connect) calls it first.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if let Some(id) = &self.identity {
            if id.is_empty() || id.len() > MAX_IDENTITY_LEN || id.first() == Some(&0) {
                return Err(SettingsError::Identity);
            }
        }
        let interval = u64::from(self.heartbeat.interval_ms);
        if !HEARTBEAT_INTERVAL_MS.contains(&interval)
            || !LIVENESS.contains(&u64::from(self.heartbeat.liveness))
        {
            return Err(SettingsError::Heartbeat {
                min_ms: *HEARTBEAT_INTERVAL_MS.start(),
                max_ms: *HEARTBEAT_INTERVAL_MS.end(),
            });
        }
        if self.backoff_initial.is_zero() || self.backoff_initial > self.backoff_max {
            return Err(SettingsError::Backoff);
        }
        if i64::try_from(self.max_message_size).is_err() {
            return Err(SettingsError::MaxMessageSize {
                max: i64::MAX.unsigned_abs(),
            });
        }
        if self.outbox == 0 || self.outbox > MAX_OUTBOX {
            return Err(SettingsError::Outbox { max: MAX_OUTBOX });
        }
        Ok(())
    }

    /// `linger` in libzmq's unit (ms), saturating.
    pub(crate) fn linger_ms(&self) -> i32 {
        i32::try_from(self.linger.as_millis()).unwrap_or(i32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(Settings::default().validate(), Ok(()));
    }

    #[test]
    fn each_bad_field_is_named() {
        let bad = |f: fn(&mut Settings)| {
            let mut s = Settings::default();
            f(&mut s);
            s.validate().unwrap_err()
        };
        assert_eq!(
            bad(|s| s.identity = Some(vec![0, 1])),
            SettingsError::Identity
        );
        assert_eq!(bad(|s| s.identity = Some(vec![])), SettingsError::Identity);
        assert!(matches!(
            bad(|s| s.heartbeat.interval_ms = 5),
            SettingsError::Heartbeat { .. }
        ));
        assert!(matches!(
            bad(|s| s.heartbeat.liveness = 0),
            SettingsError::Heartbeat { .. }
        ));
        assert_eq!(
            bad(|s| s.backoff_initial = Duration::ZERO),
            SettingsError::Backoff
        );
        assert_eq!(
            bad(|s| s.backoff_max = Duration::from_millis(1)),
            SettingsError::Backoff
        );
        assert!(matches!(
            bad(|s| s.outbox = 0),
            SettingsError::Outbox { .. }
        ));
    }
}
