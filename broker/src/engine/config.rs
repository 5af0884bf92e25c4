//! The engine's tunables, each named and documented, validated once before the engine exists.

use std::collections::HashMap;
use std::time::Duration;

use crate::protocol::{HeartbeatTiming, HEARTBEAT_INTERVAL_MS, LIVENESS, MAX_DURATION_MS};

/// Broker engine configuration. `Config::default()` is the documented default set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// How often the broker sends HEARTBEAT to every worker and gateway; also the unit of liveness.
    /// Announced to workers in every HEARTBEAT so they adopt it. Default 1 s.
    pub heartbeat_interval: Duration,
    /// Heartbeat intervals of silence after which a worker or gateway is declared dead. Default 3.
    pub liveness: u32,
    /// Requests that may wait per service when no slot is free; one more gets 503 at once. Default 1000.
    pub max_queue: usize,
    /// Per-service overrides of `max_queue`, by service name.
    pub max_queue_per_service: HashMap<String, usize>,
    /// How many times an idempotent request is re-dispatched after its worker died before replying.
    /// Default 1.
    pub max_retries: u32,
    /// Deadline (time from submit to the first reply) for submits that carry none. Default 30 s.
    pub default_deadline: Duration,
    /// Retry-After sent with every 503, so clients back off instead of hammering. Default 1 s.
    pub retry_after: Duration,
    /// Most workers registered at once; beyond, READY gets DISCONNECT. Default 4096.
    pub max_workers: usize,
    /// Most gateways known at once; beyond, their submits get 503. Default 256.
    pub max_gateways: usize,
    /// Most services known at once (served or waited for). Default 4096.
    pub max_services: usize,
    /// Most requests tracked at once (queued plus in flight); beyond, submits get 503. Default 1 M.
    pub max_requests: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            heartbeat_interval: Duration::from_secs(1),
            liveness: 3,
            max_queue: 1000,
            max_queue_per_service: HashMap::new(),
            max_retries: 1,
            default_deadline: Duration::from_secs(30),
            retry_after: Duration::from_secs(1),
            max_workers: 4096,
            max_gateways: 256,
            max_services: 4096,
            max_requests: 1 << 20,
        }
    }
}

/// A configuration value the engine cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `heartbeat_interval` is outside what the protocol can announce.
    #[error("heartbeat_interval must be within {min_ms}..={max_ms} ms")]
    HeartbeatInterval {
        /// Smallest accepted, ms.
        min_ms: u64,
        /// Largest accepted, ms.
        max_ms: u64,
    },
    /// `liveness` is outside what the protocol can announce.
    #[error("liveness must be within {min}..={max}")]
    Liveness {
        /// Smallest accepted.
        min: u64,
        /// Largest accepted.
        max: u64,
    },
    /// A duration is zero or longer than the protocol's cap.
    #[error("{field} must be within 1..={max_ms} ms")]
    Duration {
        /// Field at fault.
        field: &'static str,
        /// Largest accepted, ms.
        max_ms: u64,
    },
    /// A table limit is zero.
    #[error("{field} must be at least 1")]
    ZeroLimit {
        /// Field at fault.
        field: &'static str,
    },
}

impl Config {
    /// Checks every field; the engine refuses to start with an invalid config.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let interval_ms = millis(self.heartbeat_interval);
        if !HEARTBEAT_INTERVAL_MS.contains(&interval_ms) {
            let (min_ms, max_ms) = (*HEARTBEAT_INTERVAL_MS.start(), *HEARTBEAT_INTERVAL_MS.end());
            return Err(ConfigError::HeartbeatInterval { min_ms, max_ms });
        }
        if !LIVENESS.contains(&u64::from(self.liveness)) {
            return Err(ConfigError::Liveness {
                min: *LIVENESS.start(),
                max: *LIVENESS.end(),
            });
        }
        for (field, value) in [
            ("default_deadline", self.default_deadline),
            ("retry_after", self.retry_after),
        ] {
            if !(1..=MAX_DURATION_MS).contains(&millis(value)) {
                return Err(ConfigError::Duration {
                    field,
                    max_ms: MAX_DURATION_MS,
                });
            }
        }
        let limits = [
            ("max_workers", self.max_workers),
            ("max_gateways", self.max_gateways),
            ("max_services", self.max_services),
            ("max_requests", self.max_requests),
        ];
        match limits.iter().find(|(_, value)| *value == 0) {
            Some((field, _)) => Err(ConfigError::ZeroLimit { field }),
            None => Ok(()),
        }
    }

    /// Silence after which a worker or gateway is dead: `liveness × heartbeat_interval`.
    pub fn peer_timeout(&self) -> Duration {
        self.heartbeat_interval.saturating_mul(self.liveness)
    }

    /// The queue bound of one service.
    pub fn max_queue_for(&self, service: &str) -> usize {
        self.max_queue_per_service
            .get(service)
            .copied()
            .unwrap_or(self.max_queue)
    }

    /// The timing announced in the broker's HEARTBEAT (valid once [`Config::validate`] passed).
    pub(crate) fn timing(&self) -> HeartbeatTiming {
        HeartbeatTiming {
            interval_ms: u32::try_from(millis(self.heartbeat_interval)).unwrap_or(u32::MAX),
            liveness: self.liveness,
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let config = Config::default();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.peer_timeout(), Duration::from_secs(3));
        assert_eq!(
            config.timing(),
            HeartbeatTiming {
                interval_ms: 1000,
                liveness: 3
            }
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        let bad = |f: fn(&mut Config)| {
            let mut config = Config::default();
            f(&mut config);
            config.validate().unwrap_err()
        };
        assert!(matches!(
            bad(|c| c.heartbeat_interval = Duration::ZERO),
            ConfigError::HeartbeatInterval { .. }
        ));
        assert!(matches!(
            bad(|c| c.liveness = 0),
            ConfigError::Liveness { .. }
        ));
        assert_eq!(
            bad(|c| c.retry_after = Duration::ZERO),
            ConfigError::Duration {
                field: "retry_after",
                max_ms: MAX_DURATION_MS
            }
        );
        assert_eq!(
            bad(|c| c.max_gateways = 0),
            ConfigError::ZeroLimit {
                field: "max_gateways"
            }
        );
    }

    #[test]
    fn per_service_queue_override() {
        let mut config = Config::default();
        config.max_queue_per_service.insert("slow".into(), 5);
        assert_eq!(config.max_queue_for("slow"), 5);
        assert_eq!(config.max_queue_for("fast"), 1000);
    }
}
