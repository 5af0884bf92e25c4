//! The registered workers: who they are (routing identity), what they serve, and what each slot is doing.
//!
//! A service backed by Mongrel2 handlers is registered here too, as a pseudo-worker with one slot per
//! request it may have outstanding; it has no routing identity a peer could use (it is not in the
//! identity index), sends no heartbeats and never expires.

use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;

use super::handlers::HandlerId;
use super::ready_queue::SlotRef;
use super::slab::{Key, Slab};
use crate::protocol::Version;

/// One unit of a worker's capacity.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Slot {
    /// The request occupying the slot, if any.
    pub(crate) request: Option<Key>,
    /// Bumped each time the slot is taken, so ready-queue entries from before go stale.
    pub(crate) epoch: u32,
}

/// A worker as the broker knows it.
pub(crate) struct Worker {
    /// ZeroMQ routing identity (the key of the identity map, and where SendToWorker goes).
    pub(crate) identity: Bytes,
    /// Services served (keys into the service table), without duplicates.
    pub(crate) services: Vec<Key>,
    /// One entry per unit of announced capacity.
    pub(crate) slots: Vec<Slot>,
    /// Slots holding a request.
    pub(crate) busy: usize,
    /// Last time anything arrived from the worker.
    pub(crate) last_seen: Instant,
    /// Told to stop taking work (RECONNECT-TO, drain): its free slots are in no ready queue.
    pub(crate) draining: bool,
    /// For a handler service's pseudo-worker, which one; `None` for a worker.
    pub(crate) handler: Option<HandlerId>,
    /// Pseudo-workers only: the service's PUSH could not take a request, so no request goes out until
    /// it is writable again; its free slots are in no ready queue meanwhile.
    pub(crate) blocked: bool,
    /// The protocol version of its READY: everything sent to it is framed in it.
    pub(crate) version: Version,
}

impl Worker {
    /// Slots not holding a request.
    pub(crate) fn free(&self) -> usize {
        self.slots.len().saturating_sub(self.busy)
    }
}

/// Workers by slab key, plus the identity → key index the I/O events need.
pub(crate) struct Registry {
    slab: Slab<Worker>,
    by_identity: HashMap<Bytes, Key>,
}

impl Registry {
    /// An empty registry holding at most `limit` workers.
    pub(crate) fn new(limit: usize) -> Self {
        Registry {
            slab: Slab::new(limit),
            by_identity: HashMap::new(),
        }
    }

    /// Number of registered workers.
    pub(crate) fn len(&self) -> usize {
        self.slab.len()
    }

    /// The worker with this routing identity.
    pub(crate) fn find(&self, identity: &[u8]) -> Option<Key> {
        self.by_identity.get(identity).copied()
    }

    /// The worker `key` names.
    pub(crate) fn get(&self, key: Key) -> Option<&Worker> {
        self.slab.get(key)
    }

    /// Mutable access to the worker `key` names.
    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut Worker> {
        self.slab.get_mut(key)
    }

    /// Registers a worker (whose identity must not be registered yet), or hands it back when full.
    /// A handler pseudo-worker is not indexed by identity, so no peer can impersonate or replace it.
    pub(crate) fn insert(&mut self, worker: Worker) -> Result<Key, Worker> {
        let identity = worker.identity.clone();
        let indexed = worker.handler.is_none();
        let key = self.slab.insert(worker)?;
        if indexed {
            self.by_identity.insert(identity, key);
        }
        Ok(key)
    }

    /// Unregisters a worker.
    pub(crate) fn remove(&mut self, key: Key) -> Option<Worker> {
        let worker = self.slab.remove(key)?;
        if self.by_identity.get(&worker.identity) == Some(&key) {
            self.by_identity.remove(&worker.identity);
        }
        Some(worker)
    }

    /// Whether a ready-queue entry still names a free slot of a worker that takes work.
    pub(crate) fn is_free(&self, slot: &SlotRef) -> bool {
        self.slab.get(slot.worker).is_some_and(|worker| {
            !worker.draining
                && !worker.blocked
                && worker
                    .slots
                    .get(slot.slot as usize)
                    .is_some_and(|s| s.request.is_none() && s.epoch == slot.epoch)
        })
    }

    /// All workers with their keys.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Key, &Worker)> {
        self.slab.iter()
    }
}
