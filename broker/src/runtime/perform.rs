//! Performing the engine's actions: encode, send without waiting, and turn a send that cannot happen into
//! the event it means (a worker the ROUTER cannot reach is gone; a closed embedded link is a gateway
//! that disconnected).

use std::time::Instant;

use bytes::Bytes;

use super::event_loop::Loop;
use crate::engine::{Action, Event};
use crate::link::{Delivery, FromBroker};
use crate::protocol::{self, gateway, Command, Version};
use crate::zmq_async;

impl Loop {
    /// Performs every pending action, in order; the events they cause go back through the engine, and
    /// their actions are performed too, until none are left.
    pub(super) fn perform(&mut self, now: Instant) {
        let mut batch = std::mem::take(&mut self.batch);
        loop {
            std::mem::swap(&mut self.out, &mut batch);
            if batch.is_empty() {
                break;
            }
            for action in batch.drain(..) {
                self.act(action, now);
            }
            self.return_unsent(now);
        }
        self.batch = batch;
    }

    fn act(&mut self, action: Action, now: Instant) {
        match action {
            Action::SendToWorker {
                worker,
                command,
                version,
            } => self.send_worker(worker, &command, version, now),
            Action::ReplyToGateway { gateway, reply } => {
                self.deliver_to_gateway(gateway, gateway::Command::Reply { reply }, now);
            }
            Action::Fail {
                gateway,
                request,
                status,
                retry_after,
                reason,
            } => {
                let command = gateway::Command::Fail {
                    request,
                    status,
                    retry_after,
                    reason,
                };
                self.deliver_to_gateway(gateway, command, now);
            }
            Action::HeartbeatGateway { gateway } => {
                if self.embedded.find(&gateway).is_some() {
                    // In process: the link is alive as long as its channels are open.
                    let event = Event::GatewayHeartbeat { gateway: &gateway };
                    self.engine.handle(event, now, &mut self.out);
                } else {
                    self.send_gateway(gateway, &gateway::Command::Heartbeat);
                }
            }
            Action::RequestToHandler {
                handler,
                request,
                payload,
            } => self.send_to_handler(handler, request, payload),
            Action::NoticeToHandler { handler, notice } => {
                self.send_notice_to_handler(handler, &notice)
            }
            Action::ForgetWorker { .. } | Action::ForgetGateway { .. } => {}
        }
    }

    fn send_worker(&mut self, worker: Bytes, command: &Command, version: Version, now: Instant) {
        self.send_buf.clear();
        self.send_buf.push(worker.clone());
        protocol::encode_into(command, version, &mut self.send_buf);
        match self.workers.try_send_multipart(&self.send_buf) {
            Ok(()) => {}
            Err(error) if is_unreachable(&error) => {
                self.io.worker_unreachable += 1;
                tracing::info!(
                    command = command.name(),
                    "worker unreachable or not reading; unregistered"
                );
                if !matches!(command, Command::Disconnect { .. }) {
                    let event = Event::WorkerDisconnect { worker: &worker };
                    self.engine.handle(event, now, &mut self.out);
                }
            }
            Err(error) => tracing::warn!(%error, "send to a worker failed"),
        }
    }

    /// Delivers a REPLY or FAIL to an embedded link or over the gateway ROUTER.
    fn deliver_to_gateway(&mut self, gateway: Bytes, command: gateway::Command, now: Instant) {
        let Some(index) = self.embedded.find(&gateway) else {
            return self.send_gateway(gateway, &command);
        };
        let message = match command {
            gateway::Command::Reply { reply } => FromBroker::Reply(reply),
            gateway::Command::Fail {
                request,
                status,
                retry_after,
                reason,
            } => FromBroker::Fail {
                request,
                status: status.code(),
                retry_after: retry_after.unwrap_or_default(),
                reason: reason.as_str().to_owned(),
            },
            _ => return,
        };
        self.deliver_embedded(index, message, now);
    }

    /// Hands a message to the sink of embedded link `index`, which never waits: dropped and counted when
    /// the sink is full; a gone sink is a gateway that disconnected.
    pub(super) fn deliver_embedded(&mut self, index: usize, message: FromBroker, now: Instant) {
        match self.embedded.deliver(index, message) {
            Delivery::Taken => {}
            Delivery::Full => {
                self.io.gateway_full_drops += 1;
                tracing::debug!("embedded gateway link full; message dropped");
            }
            Delivery::Gone => {
                self.io.gateway_gone_drops += 1;
                let gateway = self.embedded.id(index);
                let event = Event::GatewayDisconnect { gateway: &gateway };
                self.engine.handle(event, now, &mut self.out);
            }
        }
    }

    /// Sends a gateway-protocol command to a standalone gateway, in the version it speaks, over the gateway ROUTER.
    pub(super) fn send_gateway(&mut self, gateway: Bytes, command: &gateway::Command) {
        let Some(socket) = &self.gateways else {
            self.io.gateway_gone_drops += 1;
            return;
        };
        let version = self.engine.gateway_version(&gateway);
        self.send_buf.clear();
        self.send_buf.push(gateway);
        gateway::encode_into(command, version, &mut self.send_buf);
        match socket.try_send_multipart(&self.send_buf) {
            Ok(()) => {}
            Err(zmq_async::Error::WouldBlock) => {
                self.io.gateway_full_drops += 1;
                tracing::debug!("gateway queue full; message dropped");
            }
            Err(error) if is_unreachable(&error) => self.io.gateway_gone_drops += 1,
            Err(error) => tracing::warn!(%error, "send to a gateway failed"),
        }
    }
}

/// A ROUTER send that found no such peer (`EHOSTUNREACH`, under `ZMQ_ROUTER_MANDATORY`) or a peer whose
/// queue is full (`EAGAIN`).
fn is_unreachable(error: &zmq_async::Error) -> bool {
    matches!(
        error,
        zmq_async::Error::WouldBlock
            | zmq_async::Error::Zmq {
                source: zmq::Error::EHOSTUNREACH,
                ..
            }
    )
}
