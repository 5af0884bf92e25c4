//! Worker events: READY registers slots, DONE gives one back, REPLY is routed by UUID, HEARTBEAT keeps the
//! worker alive, DISCONNECT (or expiry) fails or retries what it held.

use std::time::Instant;

use bytes::Bytes;

use super::ready_queue::SlotRef;
use super::registry::{Slot, Worker};
use super::requests::State;
use super::slab::Key;
use super::{later, Action, Engine, Peer};
use crate::envelope;
use crate::protocol::gateway::FailReason;
use crate::protocol::{Command, RequestId, ServiceName, MAX_CAPACITY, MAX_SERVICES_PER_READY};

impl Engine {
    pub(super) fn worker_ready(
        &mut self,
        identity: &[u8],
        names: &[ServiceName],
        capacity: u32,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        if let Some(previous) = self.workers.find(identity) {
            tracing::info!("worker re-registered; its previous registration ends");
            self.remove_worker(previous, out);
        }
        if capacity == 0
            || capacity > MAX_CAPACITY
            || names.is_empty()
            || names.len() > MAX_SERVICES_PER_READY
        {
            return self.refuse_worker(identity, "READY outside protocol caps", out);
        }
        let mut services = Vec::with_capacity(names.len());
        for name in names {
            let max_queue = self.config.max_queue_for(name.as_str());
            match self.services.resolve(name.as_str(), max_queue) {
                Ok(key) if !services.contains(&key) => services.push(key),
                Ok(_) => {}
                Err(_) => return self.refuse_worker(identity, "service table full", out),
            }
        }
        let worker = Worker {
            identity: Bytes::copy_from_slice(identity),
            services,
            slots: vec![Slot::default(); capacity as usize],
            busy: 0,
            last_seen: now,
            draining: false,
            handler: None,
            blocked: false,
            version: self.incoming,
        };
        let Ok(key) = self.workers.insert(worker) else {
            return self.refuse_worker(identity, "worker table full", out);
        };
        self.liveness
            .arm(later(now, self.config.peer_timeout()), Peer::Worker(key));
        let Some(worker) = self.workers.get(key) else {
            return;
        };
        let command = Command::Heartbeat {
            timing: Some(self.config.timing()),
        };
        out.push(Action::SendToWorker {
            worker: worker.identity.clone(),
            command,
            version: worker.version,
        });
        for &service in &worker.services {
            if let Some(svc) = self.services.get_mut(service) {
                svc.workers += 1;
                (0..capacity).for_each(|slot| {
                    svc.ready.push(SlotRef {
                        worker: key,
                        slot,
                        epoch: 0,
                    })
                });
            }
        }
        self.counters.workers_registered += 1;
        self.pump_oldest_of(key, out);
    }

    fn refuse_worker(&mut self, identity: &[u8], reason: &str, out: &mut Vec<Action>) {
        tracing::warn!(reason, "worker refused");
        self.counters.workers_refused += 1;
        let command = Command::Disconnect {
            reason: Some(reason.to_owned()),
        };
        out.push(Action::SendToWorker {
            worker: Bytes::copy_from_slice(identity),
            command,
            version: self.incoming,
        });
    }

    pub(super) fn worker_done(
        &mut self,
        identity: &[u8],
        request: RequestId,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let Some(worker) = self.touch_worker(identity, now) else {
            self.counters.stray_dones += 1;
            return;
        };
        let key = Key::from_u64(request.0);
        let holder = self.requests.get(key).and_then(|r| r.state.holder());
        let Some((_, slot)) = holder.filter(|(w, _)| *w == worker) else {
            self.counters.stray_dones += 1;
            return;
        };
        self.remove_request(key);
        self.counters.completed += 1;
        self.release_slot(worker, slot, out);
    }

    pub(super) fn worker_reply(
        &mut self,
        identity: &[u8],
        reply: Bytes,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let Some(worker) = self.touch_worker(identity, now) else {
            return self.unknown_worker(identity, out);
        };
        let head = match envelope::reply_head(&reply) {
            Ok(head) => head,
            Err(error) => {
                tracing::debug!(%error, "reply dropped");
                self.counters.replies_malformed += 1;
                return;
            }
        };
        let Some(gateway) = self.gateways.find(head.uuid) else {
            self.counters.replies_unknown_gateway += 1;
            return;
        };
        match head.conn_ids() {
            Some(ids) => ids.for_each(|id| self.conn_answered(gateway, id, out)),
            None => self.start_all(worker, gateway),
        }
        let Some(id) = self.gateways.get(gateway).map(|g| g.id.clone()) else {
            return;
        };
        out.push(Action::ReplyToGateway { gateway: id, reply });
        self.counters.replies_routed += 1;
    }

    /// A reply whose ids cannot be read: assume it touched every request this worker holds for the gateway.
    fn start_all(&mut self, worker: Key, gateway: Key) {
        let Some(w) = self.workers.get(worker) else {
            return;
        };
        for request in w.slots.iter().filter_map(|s| s.request) {
            if self
                .requests
                .get(request)
                .is_some_and(|r| r.gateway == gateway)
            {
                self.requests.start(request);
            }
        }
    }

    pub(super) fn worker_heartbeat(
        &mut self,
        identity: &[u8],
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        if self.touch_worker(identity, now).is_none() {
            self.unknown_worker(identity, out);
        }
    }

    pub(super) fn worker_drain(&mut self, identity: &[u8], now: Instant, out: &mut Vec<Action>) {
        if self.touch_worker(identity, now).is_none() || self.drain_worker(identity).is_err() {
            self.unknown_worker(identity, out);
        }
    }

    pub(super) fn worker_disconnect(&mut self, identity: &[u8], out: &mut Vec<Action>) {
        if let Some(worker) = self.workers.find(identity) {
            self.counters.workers_disconnected += 1;
            self.remove_worker(worker, out);
        }
    }

    /// A message from a worker that is not registered (e.g. after a broker restart): tell it to
    /// re-register. Its replies are dropped: its requests, if any, were failed or retried already.
    fn unknown_worker(&mut self, identity: &[u8], out: &mut Vec<Action>) {
        self.counters.unknown_worker_messages += 1;
        let command = Command::Disconnect {
            reason: Some("not registered; send READY".to_owned()),
        };
        out.push(Action::SendToWorker {
            worker: Bytes::copy_from_slice(identity),
            command,
            version: self.incoming,
        });
    }

    /// Notes that the worker was heard from.
    fn touch_worker(&mut self, identity: &[u8], now: Instant) -> Option<Key> {
        let key = self.workers.find(identity)?;
        if let Some(worker) = self.workers.get_mut(key) {
            worker.last_seen = now;
        }
        Some(key)
    }

    /// Unregisters a worker. Each request it held fails at once: re-dispatched (front of its queue) when
    /// idempotent, untouched by any reply and under `max_retries`, else FAIL 502.
    pub(super) fn remove_worker(&mut self, key: Key, out: &mut Vec<Action>) {
        let Some(worker) = self.workers.remove(key) else {
            return;
        };
        for &service in &worker.services {
            if let Some(svc) = self.services.get_mut(service) {
                svc.workers = svc.workers.saturating_sub(1);
                let idle = worker.draining || worker.blocked;
                let forgotten = if idle { 0 } else { worker.free() };
                let workers = &self.workers;
                svc.ready.forget(forgotten, |s| workers.is_free(s));
            }
        }
        for request in worker.slots.iter().filter_map(|s| s.request) {
            self.lose_request(request, out);
        }
        out.push(Action::ForgetWorker {
            worker: worker.identity,
        });
    }

    fn lose_request(&mut self, key: Key, out: &mut Vec<Action>) {
        let Some(request) = self.requests.get(key) else {
            return;
        };
        let (state, gateway, id) = (request.state, request.gateway, request.gateway_request);
        let retryable = request.payload.is_some() && request.retries < self.config.max_retries;
        match state {
            State::Orphaned { .. } | State::Withdrawn { .. } => {
                self.requests.remove(key);
            }
            State::InFlight { started: false, .. } if retryable => self.retry(key, out),
            State::InFlight { .. } => {
                self.requests.remove(key);
                self.emit_fail(gateway, id, FailReason::WorkerLost, out);
            }
            State::Queued => {}
        }
    }

    /// Puts an in-flight request whose worker died back at the front of its queue (FAIL 503 if the queue
    /// is full), then dispatches it if a slot is free.
    fn retry(&mut self, key: Key, out: &mut Vec<Action>) {
        let Some(request) = self.requests.get(key) else {
            return;
        };
        let (service, gateway, id) = (request.service, request.gateway, request.gateway_request);
        let fits = self
            .services
            .get(service)
            .is_some_and(|s| !s.ready.is_empty() || s.queue.len() < s.max_queue);
        if !fits {
            self.requests.remove(key);
            return self.emit_fail(gateway, id, FailReason::QueueFull, out);
        }
        self.requests.requeue(key);
        if let Some(svc) = self.services.get_mut(service) {
            svc.queue.push_front(key);
        }
        self.counters.retried += 1;
        self.pump(service, out);
    }
}
