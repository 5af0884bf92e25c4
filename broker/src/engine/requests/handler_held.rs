//! The requests Mongrel2 handlers hold, by (gateway, conn id).
//!
//! A handler sends no DONE: the broker learns it took a request only when a reply for the request's
//! connection arrives. Replies name connections, not requests, so every request a handler holds for
//! that connection (normally one; several with pipelining or WebSocket frames) is released by the
//! first reply. The index is a sorted set so that "all requests of this connection" is a range scan and
//! a connection may have any number of them.

use bytes::Bytes;

use super::{Key, Requests, State};

impl Requests {
    /// Marks a request dispatched to a handler service's pseudo-worker `worker`, slot `slot`. The payload
    /// has moved into the action; if the PUSH cannot take it, [`Requests::undispatch`] gets it back.
    pub(crate) fn dispatched_to_handler(&mut self, key: Key, worker: Key, slot: u32) {
        let Some(request) = self.slab.get_mut(key) else {
            return;
        };
        request.state = State::InFlight {
            worker,
            slot,
            started: false,
        };
        request.payload = None;
        self.handler_held
            .insert((request.gateway, request.conn_id, key));
    }

    /// The requests handlers hold (in flight or withdrawn) for a gateway's connection.
    pub(crate) fn held_on(&self, gateway: Key, conn_id: u32) -> Vec<Key> {
        if self.handler_held.is_empty() {
            return Vec::new();
        }
        let first = (gateway, conn_id, Key::MIN);
        self.handler_held
            .range(first..)
            .take_while(|(g, c, _)| *g == gateway && *c == conn_id)
            .map(|(_, _, key)| *key)
            .collect()
    }

    /// A request dispatched to a handler that the PUSH could not take: queued again with its payload,
    /// its retry count unchanged (it never left). `false` if it is not in flight (e.g. withdrawn).
    pub(crate) fn undispatch(&mut self, key: Key, payload: Bytes) -> bool {
        let Some(request) = self.slab.get_mut(key) else {
            return false;
        };
        if !matches!(request.state, State::InFlight { started: false, .. }) {
            return false;
        }
        request.state = State::Queued;
        request.payload = Some(payload);
        self.handler_held
            .remove(&(request.gateway, request.conn_id, key));
        true
    }

    /// The gateway gave up on a request a handler holds: it stays in the table, holding its slot, until
    /// a reply for its connection or its deadline; the gateway's id for it is free again.
    pub(crate) fn withdraw(&mut self, key: Key) {
        let Some(request) = self.slab.get_mut(key) else {
            return;
        };
        let State::InFlight { worker, slot, .. } = request.state else {
            return;
        };
        request.state = State::Withdrawn { worker, slot };
        let index = (request.gateway, request.gateway_request);
        if self.by_gateway.get(&index) == Some(&key) {
            self.by_gateway.remove(&index);
        }
    }
}
