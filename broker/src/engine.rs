//! The broker's state machine, sans-IO: `handle(event, now, &mut actions)`, `tick(now, &mut actions)` and
//! `next_deadline()`. No sockets, no clock, no tasks: the I/O loop decodes frames into [`Event`]s, performs
//! the [`Action`]s, and sleeps until `next_deadline()`.
//!
//! State is split by noun: the worker `registry`, the per-service `ready_queue` of free slots and
//! `queue` of waiting requests (`services`), the `gateways`, the `requests` table with its
//! deadlines, and peer liveness timers (`timers`). The behaviour is split by phase: `dispatch`
//! (slots meet requests), `worker_events`, `gateway_events`, `expiry` (deadlines, liveness,
//! heartbeats), `control` (drain, move, kick) and `status`. Services backed by Mongrel2 handlers
//! (`handlers`, `handler_events`) are pseudo-workers in the same tables.

mod config;
mod control;
mod dispatch;
mod event;
mod expiry;
mod gateway_events;
mod gateways;
mod handler_events;
mod handlers;
mod queue;
mod ready_queue;
mod registry;
mod requests;
mod services;
mod slab;
mod status;
mod timers;
mod wire;
mod worker_events;

use std::time::{Duration, Instant};

pub use config::{Config, ConfigError};
pub use control::ControlError;
pub use event::{Action, Event};
pub use handlers::{HandlerError, HandlerId, MAX_HANDLER_OUTSTANDING};
pub use status::{Counters, ServiceStatus, Status, WorkerStatus};

use crate::protocol::gateway::FailReason;
use crate::protocol::Version;
use gateways::Gateways;
use registry::Registry;
use requests::{Request, Requests, State};
use services::Services;
use slab::Key;
use timers::Timers;

/// A peer whose silence the engine watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Peer {
    Worker(Key),
    Gateway(Key),
}

/// The broker engine: per-service LRU dispatch with capacity, bounded queues, deadlines, heartbeats and
/// retries, driven entirely by the events and instants it is given.
pub struct Engine {
    config: Config,
    workers: Registry,
    services: Services,
    gateways: Gateways,
    requests: Requests,
    /// The pseudo-workers of handler-backed services, by [`HandlerId`].
    handlers: Vec<Key>,
    liveness: Timers<Peer>,
    heartbeat_at: Option<Instant>,
    counters: Counters,
    /// The protocol version of the wire message being handled ([`Engine::handle_worker_frames`],
    /// [`Engine::handle_gateway_frames`]); `V1` otherwise. A worker registers in the version of its READY,
    /// a gateway is answered in the version it last spoke, and a peer that is not registered is answered
    /// in the version of the message it sent.
    incoming: Version,
}

impl Engine {
    /// Builds an engine from a configuration, refusing an invalid one.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Engine {
            workers: Registry::new(config.max_workers),
            services: Services::new(config.max_services),
            gateways: Gateways::new(config.max_gateways),
            requests: Requests::new(config.max_requests),
            handlers: Vec::new(),
            liveness: Timers::new(),
            heartbeat_at: None,
            counters: Counters::default(),
            incoming: Version::V1,
            config,
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Handles one event that happened at `now`, appending what must be done to `out` (in order).
    pub fn handle(&mut self, event: Event<'_>, now: Instant, out: &mut Vec<Action>) {
        self.heartbeat_at
            .get_or_insert_with(|| later(now, self.config.heartbeat_interval));
        match event {
            Event::WorkerReady {
                worker,
                services,
                capacity,
            } => self.worker_ready(worker, services, capacity, now, out),
            Event::WorkerDone { worker, request } => self.worker_done(worker, request, now, out),
            Event::WorkerReply { worker, reply } => self.worker_reply(worker, reply, now, out),
            Event::WorkerHeartbeat { worker } => self.worker_heartbeat(worker, now, out),
            Event::WorkerDrain { worker } => self.worker_drain(worker, now, out),
            Event::WorkerDisconnect { worker } => self.worker_disconnect(worker, out),
            Event::Submit {
                gateway,
                request,
                service,
                payload,
                deadline,
                idempotent,
            } => {
                let deadline = deadline.unwrap_or_else(|| later(now, self.config.default_deadline));
                self.submit(
                    gateway, request, service, payload, deadline, idempotent, now, out,
                );
            }
            Event::Cancel { gateway, request } => self.cancel(gateway, request, now, out),
            Event::GatewayHeartbeat { gateway } => self.gateway_heartbeat(gateway, now, out),
            Event::GatewayDisconnect { gateway } => self.gateway_disconnect(gateway, out),
            Event::HandlerReply { handler, reply } => self.handler_reply(handler, reply, now, out),
            Event::HandlerBusy {
                handler,
                request,
                payload,
            } => self.handler_busy(handler, request, payload, out),
            Event::HandlerWritable { handler } => self.handler_writable(handler, out),
            Event::Tick => self.tick(now, out),
        }
    }

    /// When the I/O loop must call [`Engine::tick`] next, if anything is pending.
    pub fn next_deadline(&self) -> Option<Instant> {
        let peers = self.workers.len() + self.gateways.len() > 0;
        let heartbeat = self.heartbeat_at.filter(|_| peers);
        [
            self.requests.next_deadline(),
            self.liveness.next(),
            heartbeat,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Fails a request that is not held by a worker (queued, or never dispatched) and removes it.
    fn fail_and_remove(&mut self, request: Key, reason: FailReason, out: &mut Vec<Action>) {
        if let Some(removed) = self.remove_request(request) {
            self.emit_fail(removed.gateway, removed.gateway_request, reason, out);
        }
    }

    /// Removes a request from the table, keeping its service's queue bookkeeping right.
    fn remove_request(&mut self, key: Key) -> Option<Request> {
        let request = self.requests.remove(key)?;
        if request.state == State::Queued {
            if let Some(service) = self.services.get_mut(request.service) {
                let requests = &self.requests;
                service.queue.forget(|k| requests.is_queued(k));
            }
        }
        Some(request)
    }

    /// Emits a FAIL for a gateway's request and counts it by status.
    fn emit_fail(&mut self, gateway: Key, request: u64, reason: FailReason, out: &mut Vec<Action>) {
        let Some(gateway) = self.gateways.get(gateway) else {
            return;
        };
        out.push(self.fail_action(gateway.id.clone(), request, reason));
    }

    /// Builds a FAIL action (with Retry-After for 503s) and counts it.
    fn fail_action(&mut self, gateway: bytes::Bytes, request: u64, reason: FailReason) -> Action {
        let status = reason.status();
        let retry_after = (status.code() == 503).then_some(self.config.retry_after);
        self.counters.count_fail(status);
        tracing::debug!(
            request,
            status = status.code(),
            reason = reason.as_str(),
            "request failed"
        );
        Action::Fail {
            gateway,
            request,
            status,
            retry_after,
            reason,
        }
    }
}

/// `now + duration` without the panic on overflow (impossible with validated durations; falls back to `now`).
fn later(now: Instant, duration: Duration) -> Instant {
    now.checked_add(duration).unwrap_or(now)
}

#[cfg(test)]
mod tests;
