//! Time: request deadlines, peer liveness and the broker's own heartbeats, all driven by [`Engine::tick`].

use std::time::Instant;

use super::requests::State;
use super::slab::Key;
use super::{later, Action, Engine, Peer};
use crate::protocol::gateway::FailReason;
use crate::protocol::Command;

impl Engine {
    /// Processes everything due at `now`: expired requests (503 while queued, 504 plus CANCEL when a
    /// worker holds them without having replied, 504 plus the disconnect notice when handlers do),
    /// silent workers and gateways, and the heartbeat round.
    /// Call it whenever `now` reaches [`Engine::next_deadline`]; calling it more often is harmless.
    pub fn tick(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.heartbeat_at
            .get_or_insert_with(|| later(now, self.config.heartbeat_interval));
        while let Some(request) = self.requests.pop_due(now) {
            self.expire_request(request, out);
        }
        while let Some((_, peer)) = self.liveness.pop_due(now) {
            self.check_peer(peer, now, out);
        }
        self.heartbeat(now, out);
    }

    fn expire_request(&mut self, key: Key, out: &mut Vec<Action>) {
        let Some(request) = self.requests.get(key) else {
            return;
        };
        match request.state {
            State::Queued => {
                let reason = if self.nobody_serves(request.service) {
                    FailReason::NoWorker
                } else {
                    FailReason::QueueTimeout
                };
                self.fail_and_remove(key, reason, out);
            }
            State::InFlight { started: false, .. } => {
                let (gateway, id) = (request.gateway, request.gateway_request);
                self.emit_fail(gateway, id, FailReason::ReplyTimeout, out);
                match self.handler_notice(key) {
                    Some(notice) => {
                        out.push(notice);
                        self.finish_handler_request(key, out);
                    }
                    None => self.cancel_in_flight(key, out),
                }
            }
            State::Withdrawn { .. } => self.finish_handler_request(key, out),
            State::InFlight { .. } | State::Orphaned { .. } => {}
        }
    }

    /// Whether no worker serves `service` and no handler could take a request for it (its PUSH would
    /// block): a request that waited its whole deadline then fails as `no-worker`.
    fn nobody_serves(&self, service: Key) -> bool {
        let Some(svc) = self.services.get(service) else {
            return true;
        };
        let handler_blocked = svc
            .handler
            .and_then(|k| self.workers.get(k))
            .is_some_and(|w| w.blocked);
        svc.workers == 0 || (svc.workers == 1 && handler_blocked)
    }

    /// A peer's liveness timer fired: it is dead if silent for the whole timeout, else re-armed from the
    /// last time it was heard.
    fn check_peer(&mut self, peer: Peer, now: Instant, out: &mut Vec<Action>) {
        let timeout = self.config.peer_timeout();
        let last_seen = match peer {
            Peer::Worker(key) => self.workers.get(key).map(|w| w.last_seen),
            Peer::Gateway(key) => self.gateways.get(key).map(|g| g.last_seen),
        };
        let Some(last_seen) = last_seen else { return };
        let expiry = later(last_seen, timeout);
        if expiry > now {
            return self.liveness.arm(expiry, peer);
        }
        match peer {
            Peer::Worker(key) => {
                tracing::info!("worker silent for the liveness period; unregistered");
                self.counters.workers_expired += 1;
                if let Some(worker) = self.workers.get(key) {
                    let command = Command::Disconnect {
                        reason: Some("heartbeat expired".to_owned()),
                    };
                    out.push(Action::SendToWorker {
                        worker: worker.identity.clone(),
                        command,
                        version: worker.version,
                    });
                }
                self.remove_worker(key, out);
            }
            Peer::Gateway(key) => {
                tracing::info!("gateway silent for the liveness period; forgotten");
                self.counters.gateways_expired += 1;
                self.forget_gateway(key, out);
            }
        }
    }

    /// Every interval: a HEARTBEAT (with the broker's timing) to each worker and gateway, and a sweep of
    /// services nothing refers to.
    fn heartbeat(&mut self, now: Instant, out: &mut Vec<Action>) {
        let interval = self.config.heartbeat_interval;
        let Some(at) = self.heartbeat_at.filter(|at| *at <= now) else {
            return;
        };
        let timing = Some(self.config.timing());
        for (_, worker) in self.workers.iter().filter(|(_, w)| w.handler.is_none()) {
            let command = Command::Heartbeat { timing };
            out.push(Action::SendToWorker {
                worker: worker.identity.clone(),
                command,
                version: worker.version,
            });
        }
        for (_, gateway) in self.gateways.iter() {
            out.push(Action::HeartbeatGateway {
                gateway: gateway.id.clone(),
            });
        }
        self.services.sweep();
        let next = later(at, interval);
        self.heartbeat_at = Some(if next > now {
            next
        } else {
            later(now, interval)
        });
        let live = self.workers.len() + self.gateways.len();
        let (workers, gateways) = (&self.workers, &self.gateways);
        self.liveness.compact(live, |_, peer| match peer {
            Peer::Worker(key) => workers.get(key).is_some(),
            Peer::Gateway(key) => gateways.get(key).is_some(),
        });
    }
}
