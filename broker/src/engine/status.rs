//! Snapshots for `scale0 ctl status` and counters for metrics.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::Engine;
use crate::protocol::gateway::FailStatus;
use crate::protocol::Version;

/// Everything the engine counts, monotonically, for metrics and for spotting misbehaving peers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// REQUESTs sent to workers and requests handed to handler services' PUSH (retries included).
    pub dispatched: u64,
    /// DONEs, and first handler replies, that freed a slot.
    pub completed: u64,
    /// Requests a handler-backed service's PUSH could not take (no handler connected, or their queues
    /// full), queued again instead.
    pub handler_sends_deferred: u64,
    /// Requests re-dispatched after their worker died.
    pub retried: u64,
    /// CANCELs from gateways that found their request.
    pub cancelled: u64,
    /// FAILs with status 502.
    pub failed_502: u64,
    /// FAILs with status 503.
    pub failed_503: u64,
    /// FAILs with status 504.
    pub failed_504: u64,
    /// Replies delivered to a gateway.
    pub replies_routed: u64,
    /// Replies dropped because no known gateway has their UUID.
    pub replies_unknown_gateway: u64,
    /// Replies dropped because their UUID could not be read.
    pub replies_malformed: u64,
    /// REPLY or HEARTBEAT from an unregistered worker (answered with DISCONNECT).
    pub unknown_worker_messages: u64,
    /// DONEs naming no request the worker holds.
    pub stray_dones: u64,
    /// CANCELs naming no live request.
    pub stray_cancels: u64,
    /// SUBMITs reusing the id of a live request of the same gateway (ignored).
    pub duplicate_submits: u64,
    /// Messages dropped because they could not be decoded.
    pub malformed_messages: u64,
    /// Messages with an unknown command or protocol version (sender got DISCONNECT).
    pub unknown_commands: u64,
    /// Successful READYs.
    pub workers_registered: u64,
    /// READYs refused (caps, full tables).
    pub workers_refused: u64,
    /// Workers unregistered for silence.
    pub workers_expired: u64,
    /// Workers that said DISCONNECT.
    pub workers_disconnected: u64,
    /// Gateways forgotten for silence.
    pub gateways_expired: u64,
    /// Gateway heartbeats ignored because the gateway table was full.
    pub gateways_refused: u64,
}

impl Counters {
    pub(super) fn count_fail(&mut self, status: FailStatus) {
        match status {
            FailStatus::BadGateway => self.failed_502 += 1,
            FailStatus::ServiceUnavailable => self.failed_503 += 1,
            FailStatus::GatewayTimeout => self.failed_504 += 1,
        }
    }
}

/// A point-in-time view of the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Services by name.
    pub services: Vec<ServiceStatus>,
    /// Workers by identity.
    pub workers: Vec<WorkerStatus>,
    /// Known gateways.
    pub gateways: usize,
    /// Requests tracked (queued, in flight, or cancelled but not yet DONE).
    pub requests: usize,
    /// Counters so far.
    pub counters: Counters,
}

/// One service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceStatus {
    /// Service name.
    pub name: String,
    /// Registered workers serving it.
    pub workers: usize,
    /// Free slots ready to take a request.
    pub ready_slots: usize,
    /// Requests waiting.
    pub queue_depth: usize,
    /// How long the oldest waiting request has waited.
    pub oldest_wait: Option<Duration>,
}

/// One worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerStatus {
    /// ZeroMQ routing identity.
    pub identity: Bytes,
    /// Services it serves.
    pub services: Vec<String>,
    /// Announced capacity.
    pub capacity: usize,
    /// Slots holding a request.
    pub in_flight: usize,
    /// Time since anything arrived from it.
    pub last_heard: Duration,
    /// Drained (no new requests), e.g. after RECONNECT-TO.
    pub draining: bool,
}

impl Engine {
    /// A snapshot of services, workers and counters as of `now`.
    pub fn status(&self, now: Instant) -> Status {
        let mut services: Vec<ServiceStatus> = self
            .services
            .iter()
            .map(|(_, s)| ServiceStatus {
                name: s.name.to_string(),
                workers: s.workers,
                ready_slots: s.ready.len(),
                queue_depth: s.queue.len(),
                oldest_wait: s
                    .queue
                    .front()
                    .and_then(|k| self.requests.get(k))
                    .map(|r| now.saturating_duration_since(r.submitted_at)),
            })
            .collect();
        services.sort_by(|a, b| a.name.cmp(&b.name));
        let mut workers: Vec<WorkerStatus> = self
            .workers
            .iter()
            .map(|(_, w)| WorkerStatus {
                identity: w.identity.clone(),
                services: w
                    .services
                    .iter()
                    .filter_map(|k| self.services.get(*k).map(|s| s.name.to_string()))
                    .collect(),
                capacity: w.slots.len(),
                in_flight: w.busy,
                last_heard: now.saturating_duration_since(w.last_seen),
                draining: w.draining,
            })
            .collect();
        workers.sort_by(|a, b| a.identity.cmp(&b.identity));
        Status {
            services,
            workers,
            gateways: self.gateways.len(),
            requests: self.requests.len(),
            counters: self.counters.clone(),
        }
    }

    /// Requests tracked (queued, in flight, or cancelled but not yet DONE); cheap, unlike [`Engine::status`].
    pub fn tracked_requests(&self) -> usize {
        self.requests.len()
    }

    /// The protocol version gateway `id` last spoke (`V1` for one the engine does not know).
    pub fn gateway_version(&self, id: &[u8]) -> Version {
        let gateway = self
            .gateways
            .find(id)
            .and_then(|key| self.gateways.get(key));
        gateway.map_or(Version::V1, |g| g.version)
    }

    /// Sender ids of the gateways the engine knows, e.g. to tell each the broker is going away.
    pub fn gateway_ids(&self) -> Vec<Bytes> {
        let mut ids: Vec<Bytes> = self.gateways.iter().map(|(_, g)| g.id.clone()).collect();
        ids.sort();
        ids
    }

    /// The counters so far (cheap; for metrics scrapes).
    pub fn counters(&self) -> &Counters {
        &self.counters
    }
}
