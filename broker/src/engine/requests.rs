//! The request table: every request from SUBMIT until it is answered (DONE, FAIL) or forgotten, with the
//! two indexes the events need and the deadline timers.
//!
//! * `by_gateway` maps (gateway, gateway's request id) to the request, for CANCEL;
//! * `unstarted` maps (gateway, conn id) to the in-flight request no reply has touched yet, so a reply
//!   (which names conn ids, not requests) can mark it started: no longer retryable, no longer subject to
//!   the broker's reply deadline;
//! * `handler_held` ([`handler_held`]) indexes the requests held by Mongrel2 handlers by (gateway, conn
//!   id), several per connection, so the first reply for a connection frees their slots.

mod handler_held;

use std::collections::BTreeSet;
use std::time::Instant;

use bytes::Bytes;

use super::slab::{Key, Slab};
use super::timers::Timers;
use crate::envelope::HeaderFormat;
use crate::idmap::{id_map, IdMap};

/// Where a request is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Waiting in its service's queue.
    Queued,
    /// Held by a worker slot; `started` once a reply for its connection went to the gateway.
    InFlight {
        /// The worker.
        worker: Key,
        /// The slot index.
        slot: u32,
        /// A reply byte went to the gateway: never retry, never time out here.
        started: bool,
    },
    /// The gateway no longer waits (cancelled, timed out, gateway gone) but the worker still holds the
    /// slot until DONE.
    Orphaned {
        /// The worker.
        worker: Key,
        /// The slot index.
        slot: u32,
    },
    /// The gateway no longer waits (cancelled, gateway gone) but a Mongrel2 handler may still be working
    /// on it. Handlers send no DONE, so the slot stays taken until a reply for the request's connection
    /// arrives or the deadline passes: the cap on outstanding requests holds for cancelled ones too.
    Withdrawn {
        /// The handler service's pseudo-worker.
        worker: Key,
        /// The slot index.
        slot: u32,
    },
}

impl State {
    /// The worker slot holding the request, if any.
    pub(crate) fn holder(self) -> Option<(Key, u32)> {
        match self {
            State::Queued => None,
            State::InFlight { worker, slot, .. }
            | State::Orphaned { worker, slot }
            | State::Withdrawn { worker, slot } => Some((worker, slot)),
        }
    }

    /// Whether the request's deadline still applies.
    fn is_armed(self) -> bool {
        matches!(
            self,
            State::Queued | State::InFlight { started: false, .. } | State::Withdrawn { .. }
        )
    }
}

/// One request.
pub(crate) struct Request {
    /// The gateway that submitted it.
    pub(crate) gateway: Key,
    /// The gateway's id for it (FAIL and CANCEL use it).
    pub(crate) gateway_request: u64,
    /// The service it is for.
    pub(crate) service: Key,
    /// Client connection id from the payload.
    pub(crate) conn_id: u32,
    /// Header format of the payload, for the disconnect notice.
    pub(crate) format: HeaderFormat,
    /// The Mongrel2 request message, kept only while the request may still be (re-)dispatched.
    pub(crate) payload: Option<Bytes>,
    /// Safe to re-dispatch after a worker death (if nothing was sent yet).
    pub(crate) idempotent: bool,
    /// Re-dispatches so far.
    pub(crate) retries: u32,
    /// When the broker gives up waiting for the first reply.
    pub(crate) deadline: Instant,
    /// When it was submitted.
    pub(crate) submitted_at: Instant,
    /// Where it is.
    pub(crate) state: State,
}

/// Requests by key plus indexes and deadlines.
pub(crate) struct Requests {
    slab: Slab<Request>,
    by_gateway: IdMap<(Key, u64), Key>,
    unstarted: IdMap<(Key, u32), Key>,
    handler_held: BTreeSet<(Key, u32, Key)>,
    deadlines: Timers<Key>,
}

impl Requests {
    /// An empty table holding at most `limit` requests.
    pub(crate) fn new(limit: usize) -> Self {
        Requests {
            slab: Slab::new(limit),
            by_gateway: id_map(),
            unstarted: id_map(),
            handler_held: BTreeSet::new(),
            deadlines: Timers::new(),
        }
    }

    /// Stores a new request, indexes it and arms its deadline; hands it back when the table is full.
    pub(crate) fn insert(&mut self, request: Request) -> Result<Key, Request> {
        let index = (request.gateway, request.gateway_request);
        let deadline = request.deadline;
        let key = self.slab.insert(request)?;
        self.by_gateway.insert(index, key);
        self.deadlines.arm(deadline, key);
        let slab = &self.slab;
        self.deadlines.compact(slab.len(), |at, k| {
            slab.get(k)
                .is_some_and(|r| r.deadline == at && r.state.is_armed())
        });
        Ok(key)
    }

    /// The request `key` names.
    pub(crate) fn get(&self, key: Key) -> Option<&Request> {
        self.slab.get(key)
    }

    /// Mutable access to the request `key` names.
    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut Request> {
        self.slab.get_mut(key)
    }

    /// The live request a gateway knows as `id`.
    pub(crate) fn find(&self, gateway: Key, id: u64) -> Option<Key> {
        self.by_gateway.get(&(gateway, id)).copied()
    }

    /// Whether `key` names a queued request.
    pub(crate) fn is_queued(&self, key: Key) -> bool {
        self.slab.get(key).is_some_and(|r| r.state == State::Queued)
    }

    /// Removes a request and its index entries.
    pub(crate) fn remove(&mut self, key: Key) -> Option<Request> {
        let request = self.slab.remove(key)?;
        self.unindex(key, Ids::of(&request));
        Some(request)
    }

    /// Marks a request dispatched to `worker`'s `slot`. Returns `false` when another in-flight request of
    /// the same connection awaits its first reply: replies cannot tell the two apart, so the new one is
    /// treated as started from the outset (no retry, no broker deadline).
    pub(crate) fn dispatched(&mut self, key: Key, worker: Key, slot: u32) -> bool {
        let Some(request) = self.slab.get_mut(key) else {
            return false;
        };
        let alone = match self.unstarted.entry((request.gateway, request.conn_id)) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(key);
                true
            }
        };
        request.state = State::InFlight {
            worker,
            slot,
            started: !alone,
        };
        if !alone {
            request.payload = None;
        }
        alone
    }

    /// Marks the in-flight request of (gateway, conn id) started, if one awaits its first reply.
    pub(crate) fn start_conn(&mut self, gateway: Key, conn_id: u32) {
        if let Some(key) = self.unstarted.remove(&(gateway, conn_id)) {
            self.start(key);
        }
    }

    /// Marks an in-flight request started: it keeps its slot but is no longer retryable or timed here.
    pub(crate) fn start(&mut self, key: Key) {
        let Some(request) = self.slab.get_mut(key) else {
            return;
        };
        if let State::InFlight { started, .. } = &mut request.state {
            *started = true;
            request.payload = None;
            let index = (request.gateway, request.conn_id);
            if self.unstarted.get(&index) == Some(&key) {
                self.unstarted.remove(&index);
            }
        }
    }

    /// Detaches an in-flight request from its gateway; returns the slot still holding it.
    pub(crate) fn orphan(&mut self, key: Key) -> Option<(Key, u32)> {
        let request = self.slab.get_mut(key)?;
        let (worker, slot) = request.state.holder()?;
        request.state = State::Orphaned { worker, slot };
        request.payload = None;
        let ids = Ids::of(request);
        self.unindex(key, ids);
        Some((worker, slot))
    }

    /// Puts an in-flight request back to queued state for a retry; counts the retry.
    pub(crate) fn requeue(&mut self, key: Key) {
        let Some(request) = self.slab.get_mut(key) else {
            return;
        };
        let index = (request.gateway, request.conn_id);
        request.state = State::Queued;
        request.retries = request.retries.saturating_add(1);
        if self.unstarted.get(&index) == Some(&key) {
            self.unstarted.remove(&index);
        }
    }

    /// Pops the next request whose deadline is due and still applies.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<Key> {
        while let Some((at, key)) = self.deadlines.pop_due(now) {
            if self
                .slab
                .get(key)
                .is_some_and(|r| r.deadline == at && r.state.is_armed())
            {
                return Some(key);
            }
        }
        None
    }

    /// The earliest armed deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.next()
    }

    /// Keys of all requests of one gateway (used when the gateway goes away; rare, so it may allocate).
    pub(crate) fn of_gateway(&self, gateway: Key) -> Vec<Key> {
        self.slab
            .iter()
            .filter(|(_, r)| r.gateway == gateway)
            .map(|(key, _)| key)
            .collect()
    }

    /// Requests in the table.
    pub(crate) fn len(&self) -> usize {
        self.slab.len()
    }

    fn unindex(&mut self, key: Key, ids: Ids) {
        let by_gateway = (ids.gateway, ids.gateway_request);
        if self.by_gateway.get(&by_gateway) == Some(&key) {
            self.by_gateway.remove(&by_gateway);
        }
        let unstarted = (ids.gateway, ids.conn_id);
        if self.unstarted.get(&unstarted) == Some(&key) {
            self.unstarted.remove(&unstarted);
        }
        if !self.handler_held.is_empty() {
            self.handler_held.remove(&(ids.gateway, ids.conn_id, key));
        }
    }
}

/// The fields a request is indexed by, copied out so the indexes can be updated while it is borrowed.
#[derive(Clone, Copy)]
struct Ids {
    gateway: Key,
    gateway_request: u64,
    conn_id: u32,
}

impl Ids {
    fn of(request: &Request) -> Ids {
        Ids {
            gateway: request.gateway,
            gateway_request: request.gateway_request,
            conn_id: request.conn_id,
        }
    }
}
