//! Events of handler-backed services: a reply from their SUB frees the slots of the requests it answers,
//! a request their PUSH could not take comes back to the queue, a writable PUSH resumes dispatch; and
//! what replaces CANCEL and the reply deadline's CANCEL for them (the Mongrel2 disconnect notice on the
//! PUSH).

use std::time::Instant;

use bytes::Bytes;

use super::handlers::HandlerId;
use super::requests::State;
use super::slab::Key;
use super::{Action, Engine};
use crate::envelope;
use crate::protocol::RequestId;

impl Engine {
    /// A Mongrel2 reply from the SUB of handler service `id`: routed to the gateway its UUID names, and
    /// every request a handler holds for the connections it names is done (its slot serves the queue).
    pub(super) fn handler_reply(
        &mut self,
        id: HandlerId,
        reply: Bytes,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        if let Some(worker) = self
            .handler_worker(id)
            .and_then(|k| self.workers.get_mut(k))
        {
            worker.last_seen = now;
        }
        let head = match envelope::reply_head(&reply) {
            Ok(head) => head,
            Err(error) => {
                tracing::debug!(%error, "handler reply dropped");
                self.counters.replies_malformed += 1;
                return;
            }
        };
        let Some(gateway) = self.gateways.find(head.uuid) else {
            self.counters.replies_unknown_gateway += 1;
            return;
        };
        let Some(gateway_id) = self.gateways.get(gateway).map(|g| g.id.clone()) else {
            return;
        };
        out.push(Action::ReplyToGateway {
            gateway: gateway_id,
            reply: reply.clone(),
        });
        self.counters.replies_routed += 1;
        if let Some(ids) = head.conn_ids() {
            ids.for_each(|conn| self.conn_answered(gateway, conn, out));
        }
    }

    /// A reply (from a worker or a handler) named connection `conn` of `gateway`: the worker request
    /// awaiting its first reply there is started, and the requests handlers hold there are done.
    pub(super) fn conn_answered(&mut self, gateway: Key, conn: u32, out: &mut Vec<Action>) {
        self.requests.start_conn(gateway, conn);
        for key in self.requests.held_on(gateway, conn) {
            self.counters.completed += 1;
            self.finish_handler_request(key, out);
        }
    }

    /// The PUSH of handler service `id` could not take `request` (no handler connected, or all their
    /// queues full): it goes back to the front of its queue, not counted as dispatched, and the service's
    /// handlers get nothing more until [`Engine::handler_writable`]. A request cancelled meanwhile is
    /// simply dropped: it never reached a handler.
    pub(super) fn handler_busy(
        &mut self,
        id: HandlerId,
        request: RequestId,
        payload: Bytes,
        out: &mut Vec<Action>,
    ) {
        let Some(pseudo) = self.handler_worker(id) else {
            return;
        };
        self.pause_handler(pseudo);
        let key = Key::from_u64(request.0);
        let Some((state, service)) = self.requests.get(key).map(|r| (r.state, r.service)) else {
            return;
        };
        match state {
            State::InFlight { worker, slot, .. } if worker == pseudo => {
                if !self.requests.undispatch(key, payload) {
                    return;
                }
                self.release_slot(worker, slot, out);
                if let Some(svc) = self.services.get_mut(service) {
                    svc.queue.push_front(key);
                }
                self.counters.dispatched = self.counters.dispatched.saturating_sub(1);
                self.counters.handler_sends_deferred += 1;
                self.pump(service, out);
            }
            State::Withdrawn { worker, .. } if worker == pseudo => {
                self.finish_handler_request(key, out);
            }
            _ => {}
        }
    }

    /// The PUSH of handler service `id` can take requests again.
    pub(super) fn handler_writable(&mut self, id: HandlerId, out: &mut Vec<Action>) {
        if let Some(pseudo) = self.handler_worker(id) {
            self.resume_handler(pseudo, out);
        }
    }

    /// Removes a request a handler held and frees its slot (which then serves the queue).
    pub(super) fn finish_handler_request(&mut self, key: Key, out: &mut Vec<Action>) {
        let Some(request) = self.requests.remove(key) else {
            return;
        };
        if let Some((worker, slot)) = request.state.holder() {
            self.release_slot(worker, slot, out);
        }
    }

    /// The Mongrel2 disconnect notice for a request's connection, addressed to its holder: a handler
    /// service's PUSH ([`Action::NoticeToHandler`]) or, for a worker, `None` (it gets CANCEL instead).
    pub(super) fn handler_notice(&self, key: Key) -> Option<Action> {
        let request = self.requests.get(key)?;
        let (worker, _) = request.state.holder()?;
        let handler = self.workers.get(worker)?.handler?;
        let gateway = self.gateways.get(request.gateway)?;
        let notice = envelope::disconnect_notice(&gateway.id, request.conn_id, request.format);
        Some(Action::NoticeToHandler { handler, notice })
    }
}
