//! What gateways send, from both kinds of link: S0G/1 messages on the gateway ROUTER and [`ToBroker`]
//! messages on embedded links, turned into engine events (or refused while the broker drains).

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::embedded::Received;
use super::event_loop::{now, Loop, Source, BATCH};
use super::transport::Got;
use super::Error;
use crate::engine::{Action, Event};
use crate::link::{FromBroker, ToBroker};
use crate::protocol::gateway::{self, FailReason};
use crate::protocol::MAX_DURATION_MS;

impl Loop {
    /// Registers the embedded gateways with the engine and tells each it is up.
    pub(super) fn announce_embedded(&mut self) {
        let now = now();
        for index in 0..self.embedded.len() {
            let id = self.embedded.id(index);
            let event = Event::GatewayHeartbeat { gateway: &id };
            self.engine.handle(event, now, &mut self.out);
            self.deliver_embedded(index, FromBroker::Up, now);
        }
        self.perform(now);
    }

    pub(super) fn read_gateways(&mut self, now: Instant) -> Result<bool, Error> {
        if self.gateways.is_none() {
            return Ok(false);
        }
        for _ in 0..BATCH {
            let got = self.receive(Source::Gateways)?;
            let Some((identity, frames)) = self.frames.split_first() else {
                if got == Got::Nothing {
                    return Ok(false);
                }
                continue;
            };
            let identity = identity.as_ref();
            if got == Got::Gone {
                if self.embedded.find(identity).is_none() {
                    // The gateway's connection closed: its requests are cancelled at once.
                    let event = Event::GatewayDisconnect { gateway: identity };
                    self.engine.handle(event, now, &mut self.out);
                }
                continue;
            }
            if self.embedded.find(identity).is_some() {
                self.io.sender_id_conflicts += 1;
                tracing::warn!("standalone gateway uses an embedded link's sender id; dropped");
                continue;
            }
            if self.draining {
                if let Ok(gateway::Command::Submit { request, .. }) = gateway::decode(frames) {
                    let gateway = Bytes::copy_from_slice(identity);
                    self.refuse_draining(gateway, request);
                    continue;
                }
            }
            self.engine
                .handle_gateway_frames(identity, frames, now, &mut self.out);
        }
        Ok(true)
    }

    pub(super) fn read_embedded(&mut self, now: Instant) -> bool {
        let mut more = false;
        for index in 0..self.embedded.len() {
            let mut taken = 0;
            while taken < BATCH {
                match self.embedded.try_recv(index) {
                    Received::Message(message) => {
                        self.on_embedded_message(index, Some(message), now)
                    }
                    Received::Empty => break,
                    Received::Closed => {
                        if self.embedded.is_open(index) {
                            self.on_embedded_message(index, None, now);
                        }
                        break;
                    }
                }
                taken += 1;
            }
            more |= taken == BATCH;
        }
        more
    }

    /// A message from embedded link `index`, or `None` when its gateway dropped the sender.
    pub(super) fn on_embedded_message(
        &mut self,
        index: usize,
        message: Option<ToBroker>,
        now: Instant,
    ) {
        let id = self.embedded.id(index);
        match message {
            None => {
                self.embedded.close(index);
                let event = Event::GatewayDisconnect { gateway: &id };
                self.engine.handle(event, now, &mut self.out);
            }
            Some(ToBroker::Cancel { request }) => {
                let event = Event::Cancel {
                    gateway: &id,
                    request,
                };
                self.engine.handle(event, now, &mut self.out);
            }
            Some(ToBroker::Submit { request, .. }) if self.draining => {
                self.refuse_draining(id, request);
            }
            Some(ToBroker::Submit {
                request,
                service,
                payload,
                deadline,
                idempotent,
            }) => {
                let max = Duration::from_millis(MAX_DURATION_MS);
                let deadline = (!deadline.is_zero()).then(|| now + deadline.min(max));
                let event = Event::Submit {
                    gateway: &id,
                    request,
                    service: service.as_str(),
                    payload,
                    deadline,
                    idempotent,
                };
                self.engine.handle(event, now, &mut self.out);
            }
        }
    }

    /// A submit during shutdown: 503 `overloaded`, so the gateway answers at once (or tries elsewhere).
    fn refuse_draining(&mut self, gateway: Bytes, request: u64) {
        self.io.refused_draining += 1;
        let reason = FailReason::Overloaded;
        self.out.push(Action::Fail {
            gateway,
            request,
            status: reason.status(),
            retry_after: Some(self.engine.config().retry_after),
            reason,
        });
    }
}
