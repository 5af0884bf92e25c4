//! Services backed by Mongrel2 handlers: registration, and pausing dispatch while no handler can take a
//! request.
//!
//! The I/O layer binds a PUSH (requests out) and a SUB (replies in) per such service, exactly as
//! Mongrel2 does, and unchanged handlers connect to them. Here the service gets a pseudo-worker with
//! `max_outstanding` slots: requests go through the same queue, LRU and deadline machinery as for
//! workers, so the broker caps what the handlers hold and answers 503/504 on time. A slot is taken when
//! a request is handed to the PUSH and freed by the first reply for the request's connection (handlers
//! send no DONE) or at the deadline. When the PUSH cannot take a request (no handler connected, or all
//! of their queues full) the I/O layer hands it back ([`Event::HandlerBusy`](super::Event::HandlerBusy)):
//! it is queued again, in order, and the pseudo-worker is paused until the PUSH is writable
//! ([`Event::HandlerWritable`](super::Event::HandlerWritable)).

use std::time::Instant;

use bytes::Bytes;

use super::ready_queue::SlotRef;
use super::registry::{Slot, Worker};
use super::slab::Key;
use super::{Action, Engine};
use crate::protocol::{ServiceName, Version};

/// Most requests a handler-backed service may have outstanding (`max_outstanding`): a slot table is
/// allocated for them when the service is added.
pub const MAX_HANDLER_OUTSTANDING: u32 = 1 << 16;

/// Names one handler-backed service, in the order they were added (0, 1, ...), so the I/O layer can keep
/// its sockets in a `Vec` and tell the engine which one a message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HandlerId(u32);

impl HandlerId {
    /// The position of the service among those added, from 0.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A handler-backed service the engine cannot add; every variant names the service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    /// The service name is not a valid S0W/1 service name.
    #[error("handler service {service:?}: not a valid service name (1-128 bytes of A-Z a-z 0-9 . _ - : /)")]
    Service {
        /// The name given.
        service: String,
    },
    /// `max_outstanding` is 0 or above [`MAX_HANDLER_OUTSTANDING`].
    #[error("handler service {service:?}: max_outstanding must be within 1..={max}")]
    MaxOutstanding {
        /// The service.
        service: String,
        /// Largest accepted.
        max: u32,
    },
    /// The service is already backed by handlers.
    #[error("handler service {service:?} is configured twice")]
    Duplicate {
        /// The service.
        service: String,
    },
    /// The service or worker table is full (`max_services`, `max_workers`).
    #[error("handler service {service:?}: broker tables full")]
    TableFull {
        /// The service.
        service: String,
    },
}

impl Engine {
    /// Backs `service` with Mongrel2 handlers that may hold at most `max_outstanding` requests at once.
    /// Call it before the I/O loop runs, once per service; the returned id names the service's sockets
    /// in [`Action`]s and [`Event`](super::Event)s. Workers may still announce the service too: they
    /// share its queue.
    pub fn add_handler_service(
        &mut self,
        service: &str,
        max_outstanding: u32,
        now: Instant,
    ) -> Result<HandlerId, HandlerError> {
        let named = |service: &str| service.to_owned();
        if ServiceName::new(service.as_bytes()).is_err() {
            return Err(HandlerError::Service {
                service: named(service),
            });
        }
        if max_outstanding == 0 || max_outstanding > MAX_HANDLER_OUTSTANDING {
            return Err(HandlerError::MaxOutstanding {
                service: named(service),
                max: MAX_HANDLER_OUTSTANDING,
            });
        }
        let full = || HandlerError::TableFull {
            service: named(service),
        };
        let id = u32::try_from(self.handlers.len()).map_err(|_| full())?;
        let max_queue = self.config.max_queue_for(service);
        let key = self
            .services
            .resolve(service, max_queue)
            .map_err(|_| full())?;
        if self.services.get(key).is_some_and(|s| s.handler.is_some()) {
            return Err(HandlerError::Duplicate {
                service: named(service),
            });
        }
        let worker = Worker {
            identity: Bytes::from(format!("handlers:{service}")),
            services: vec![key],
            slots: vec![Slot::default(); max_outstanding as usize],
            busy: 0,
            last_seen: now,
            draining: false,
            handler: Some(HandlerId(id)),
            blocked: false,
            version: Version::V1,
        };
        let pseudo = self.workers.insert(worker).map_err(|_| full())?;
        self.handlers.push(pseudo);
        if let Some(svc) = self.services.get_mut(key) {
            svc.handler = Some(pseudo);
            svc.workers += 1;
            (0..max_outstanding).for_each(|slot| {
                svc.ready.push(SlotRef {
                    worker: pseudo,
                    slot,
                    epoch: 0,
                })
            });
        }
        Ok(HandlerId(id))
    }

    /// The pseudo-worker of handler service `id`.
    pub(super) fn handler_worker(&self, id: HandlerId) -> Option<Key> {
        self.handlers.get(id.index()).copied()
    }

    /// No request goes to the handlers of `worker` until [`Engine::resume_handler`]: its free slots leave
    /// the ready queue (their epochs move on, so the entries there go stale).
    pub(super) fn pause_handler(&mut self, worker: Key) {
        let Some(w) = self.workers.get_mut(worker) else {
            return;
        };
        if w.blocked {
            return;
        }
        w.blocked = true;
        let mut freed = 0;
        for slot in w.slots.iter_mut().filter(|s| s.request.is_none()) {
            slot.epoch = slot.epoch.wrapping_add(1);
            freed += 1;
        }
        let services = w.services.clone();
        for service in services {
            if let Some(svc) = self.services.get_mut(service) {
                let workers = &self.workers;
                svc.ready.forget(freed, |s| workers.is_free(s));
            }
        }
    }

    /// The PUSH of `worker`'s handlers is writable again: its free slots return to the ready queue and
    /// serve what waits.
    pub(super) fn resume_handler(&mut self, worker: Key, out: &mut Vec<Action>) {
        let Some(w) = self.workers.get_mut(worker) else {
            return;
        };
        if !w.blocked {
            return;
        }
        w.blocked = false;
        for (index, slot) in w.slots.iter().enumerate() {
            let Ok(index) = u32::try_from(index) else {
                break;
            };
            if slot.request.is_some() {
                continue;
            }
            for &service in &w.services {
                if let Some(svc) = self.services.get_mut(service) {
                    svc.ready.push(SlotRef {
                        worker,
                        slot: index,
                        epoch: slot.epoch,
                    });
                }
            }
        }
        self.pump_oldest_of(worker, out);
    }
}
