//! Gateway events: SUBMIT admits a request (dispatch, queue, or 503), CANCEL withdraws it, HEARTBEAT and
//! DISCONNECT track the gateway's life.

use std::time::Instant;

use bytes::Bytes;

use super::requests::{Request, State};
use super::slab::Key;
use super::{later, Action, Engine, Peer};
use crate::envelope;
use crate::protocol::gateway::FailReason;
use crate::protocol::{Command, RequestId};

impl Engine {
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per SUBMIT field, destructured from Event::Submit"
    )]
    pub(super) fn submit(
        &mut self,
        gateway_id: &[u8],
        id: u64,
        service: &str,
        payload: Bytes,
        deadline: Instant,
        idempotent: bool,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let Some(gateway) = self.gateway_seen(gateway_id, now) else {
            let action = self.fail_action(
                Bytes::copy_from_slice(gateway_id),
                id,
                FailReason::Overloaded,
            );
            return out.push(action);
        };
        if self.requests.find(gateway, id).is_some() {
            tracing::warn!(
                request = id,
                "duplicate request id from gateway; submit ignored"
            );
            self.counters.duplicate_submits += 1;
            return;
        }
        let head = match envelope::request_head(&payload) {
            Ok(head) if head.sender == gateway_id => head,
            _ => return self.emit_fail(gateway, id, FailReason::BadSubmit, out),
        };
        let max_queue = self.config.max_queue_for(service);
        let service = match self.services.resolve(service, max_queue) {
            Ok(service) => service,
            Err(reason) => return self.emit_fail(gateway, id, reason, out),
        };
        let full = self
            .services
            .get(service)
            .is_none_or(|s| s.ready.is_empty() && s.queue.len() >= s.max_queue);
        if full {
            return self.emit_fail(gateway, id, FailReason::QueueFull, out);
        }
        let request = Request {
            gateway,
            gateway_request: id,
            service,
            conn_id: head.conn_id,
            format: head.format,
            payload: Some(payload),
            idempotent,
            retries: 0,
            deadline,
            submitted_at: now,
            state: State::Queued,
        };
        let Ok(key) = self.requests.insert(request) else {
            return self.emit_fail(gateway, id, FailReason::Overloaded, out);
        };
        if let Some(svc) = self.services.get_mut(service) {
            svc.queue.push_back(key);
        }
        self.pump(service, out);
    }

    pub(super) fn cancel(
        &mut self,
        gateway_id: &[u8],
        id: u64,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let known = self.gateways.find(gateway_id).is_some();
        let gateway = if known {
            self.gateway_seen(gateway_id, now)
        } else {
            None
        };
        let Some(request) = gateway.and_then(|g| self.requests.find(g, id)) else {
            self.counters.stray_cancels += 1;
            return;
        };
        self.counters.cancelled += 1;
        match self.requests.get(request).map(|r| r.state) {
            Some(State::Queued) => {
                self.remove_request(request);
            }
            Some(State::InFlight { .. }) => self.cancel_in_flight(request, out),
            Some(State::Orphaned { .. } | State::Withdrawn { .. }) | None => {}
        }
    }

    /// Detaches an in-flight request from its gateway and tells its holder with the Mongrel2 disconnect
    /// notice for the request's connection: a worker gets it in a CANCEL and keeps the slot until its
    /// DONE; a handler service gets it on its PUSH and keeps the slot until a reply for the connection
    /// or the deadline.
    pub(super) fn cancel_in_flight(&mut self, key: Key, out: &mut Vec<Action>) {
        if let Some(notice) = self.handler_notice(key) {
            out.push(notice);
            return self.requests.withdraw(key);
        }
        let Some(request) = self.requests.get(key) else {
            return;
        };
        let Some(gateway) = self.gateways.get(request.gateway) else {
            return;
        };
        let notice = envelope::disconnect_notice(&gateway.id, request.conn_id, request.format);
        let Some((worker, _)) = self.requests.orphan(key) else {
            return;
        };
        let Some(worker) = self.workers.get(worker) else {
            return;
        };
        let command = Command::Cancel {
            request: RequestId(key.to_u64()),
            notice,
        };
        out.push(Action::SendToWorker {
            worker: worker.identity.clone(),
            command,
            version: worker.version,
        });
    }

    /// A gateway's HEARTBEAT. One heard for the first time gets a HEARTBEAT back at once, so a gateway
    /// that (re)connects learns the broker is up without waiting for the next heartbeat round.
    pub(super) fn gateway_heartbeat(
        &mut self,
        gateway_id: &[u8],
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let known = self.gateways.find(gateway_id).is_some();
        if self.gateway_seen(gateway_id, now).is_none() {
            tracing::warn!("gateway table full; heartbeat ignored");
            self.counters.gateways_refused += 1;
        } else if !known {
            out.push(Action::HeartbeatGateway {
                gateway: Bytes::copy_from_slice(gateway_id),
            });
        }
    }

    pub(super) fn gateway_disconnect(&mut self, gateway_id: &[u8], out: &mut Vec<Action>) {
        if let Some(gateway) = self.gateways.find(gateway_id) {
            self.forget_gateway(gateway, out);
        }
    }

    /// Forgets a gateway: its queued requests are dropped, its in-flight ones cancelled at their workers.
    pub(super) fn forget_gateway(&mut self, gateway: Key, out: &mut Vec<Action>) {
        for request in self.requests.of_gateway(gateway) {
            match self.requests.get(request).map(|r| r.state) {
                Some(State::Queued) => {
                    self.remove_request(request);
                }
                Some(State::InFlight { .. }) => self.cancel_in_flight(request, out),
                Some(State::Orphaned { .. } | State::Withdrawn { .. }) | None => {}
            }
        }
        if let Some(gone) = self.gateways.remove(gateway) {
            out.push(Action::ForgetGateway { gateway: gone.id });
        }
    }

    /// Notes that a gateway was heard from, registering it (and watching its liveness) if new.
    /// `None` when the gateway table is full.
    fn gateway_seen(&mut self, gateway_id: &[u8], now: Instant) -> Option<Key> {
        let (key, new) = self.gateways.seen(gateway_id, now, self.incoming)?;
        if new {
            self.liveness
                .arm(later(now, self.config.peer_timeout()), Peer::Gateway(key));
        }
        Some(key)
    }
}
