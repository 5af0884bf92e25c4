//! Where free slots meet waiting requests: least-recently-used selection, assignment, giving a slot back.
//!
//! Invariant kept by every function here: for each service, if requests wait then no slot is free. So a
//! new request only waits when it must, and a freed slot goes straight to the oldest waiting request.

use std::time::Instant;

use super::ready_queue::SlotRef;
use super::slab::Key;
use super::{Action, Engine};
use crate::protocol::{Command, RequestId};

impl Engine {
    /// Dispatches queued requests of `service` while both a waiting request and a free slot exist.
    pub(super) fn pump(&mut self, service: Key, out: &mut Vec<Action>) {
        while self.pump_one(service, out) {}
    }

    /// Dispatches the oldest queued request of `service` to its least-recently-used free slot.
    fn pump_one(&mut self, service: Key, out: &mut Vec<Action>) -> bool {
        let Some(svc) = self.services.get_mut(service) else {
            return false;
        };
        if svc.queue.is_empty() {
            return false;
        }
        let workers = &self.workers;
        let Some(slot) = svc.ready.pop(|s| workers.is_free(s)) else {
            return false;
        };
        let requests = &self.requests;
        let Some(request) = svc.queue.pop(|k| requests.is_queued(k)) else {
            return false;
        };
        self.assign(request, service, slot, out);
        true
    }

    /// Puts `request` into `slot` (taken through service `via`) and emits the REQUEST (for a handler
    /// service's pseudo-worker: the bare payload for its PUSH).
    fn assign(&mut self, request: Key, via: Key, slot: SlotRef, out: &mut Vec<Action>) {
        let Some(req) = self.requests.get_mut(request) else {
            return;
        };
        let (Some(payload), gateway) = (req.payload.take(), req.gateway) else {
            tracing::error!("queued request without payload; dropped");
            return;
        };
        let retryable = req.idempotent && req.retries < self.config.max_retries;
        let Some(worker) = self.workers.get_mut(slot.worker) else {
            return;
        };
        let Some(entry) = worker.slots.get_mut(slot.slot as usize) else {
            return;
        };
        entry.request = Some(request);
        entry.epoch = entry.epoch.wrapping_add(1);
        worker.busy += 1;
        let identity = worker.identity.clone();
        let handler = worker.handler;
        let version = worker.version;
        self.forget_slot_elsewhere(slot.worker, via);
        if let Some(handler) = handler {
            self.requests
                .dispatched_to_handler(request, slot.worker, slot.slot);
            out.push(Action::RequestToHandler {
                handler,
                request: RequestId(request.to_u64()),
                payload,
            });
            self.counters.dispatched += 1;
            return;
        }
        let alone = self.requests.dispatched(request, slot.worker, slot.slot);
        if let (true, true, Some(req)) = (retryable, alone, self.requests.get_mut(request)) {
            req.payload = Some(payload.clone());
        }
        let Some(sender) = self.gateways.get(gateway).map(|g| g.id.clone()) else {
            return;
        };
        let command = Command::Request {
            request: RequestId(request.to_u64()),
            sender,
            payload,
        };
        out.push(Action::SendToWorker {
            worker: identity,
            command,
            version,
        });
        self.counters.dispatched += 1;
    }

    /// A slot was taken through `via`: its entries in the worker's other services are stale now.
    fn forget_slot_elsewhere(&mut self, worker: Key, via: Key) {
        let Some(w) = self.workers.get(worker) else {
            return;
        };
        for &service in w.services.iter().filter(|s| **s != via) {
            if let Some(svc) = self.services.get_mut(service) {
                let workers = &self.workers;
                svc.ready.forget(1, |s| workers.is_free(s));
            }
        }
    }

    /// Frees `slot` of `worker` (DONE, a handler's first reply): it goes to the back of each of the
    /// worker's ready queues (unless the worker is draining or a paused handler service), then serves
    /// the oldest request waiting in any of those services.
    pub(super) fn release_slot(&mut self, worker: Key, slot: u32, out: &mut Vec<Action>) {
        let Some(w) = self.workers.get_mut(worker) else {
            return;
        };
        let Some(entry) = w.slots.get_mut(slot as usize) else {
            return;
        };
        entry.request = None;
        let epoch = entry.epoch;
        w.busy = w.busy.saturating_sub(1);
        if w.draining || w.blocked {
            return;
        }
        for &service in &w.services {
            if let Some(svc) = self.services.get_mut(service) {
                svc.ready.push(SlotRef {
                    worker,
                    slot,
                    epoch,
                });
            }
        }
        self.pump_oldest_of(worker, out);
    }

    /// Serves waiting requests of a worker's services, oldest submit first across those services.
    pub(super) fn pump_oldest_of(&mut self, worker: Key, out: &mut Vec<Action>) {
        loop {
            let Some(w) = self.workers.get(worker) else {
                return;
            };
            let mut oldest: Option<(Instant, Key)> = None;
            for &service in &w.services {
                let Some(svc) = self.services.get(service).filter(|s| !s.ready.is_empty()) else {
                    continue;
                };
                let front = svc.queue.front().and_then(|k| self.requests.get(k));
                if let Some(at) = front.map(|r| r.submitted_at) {
                    if oldest.is_none_or(|(best, _)| at < best) {
                        oldest = Some((at, service));
                    }
                }
            }
            match oldest {
                Some((_, service)) if self.pump_one(service, out) => {}
                _ => return,
            }
        }
    }
}
