//! From frames to events: decoding plus the protocol's error policy, kept sans-IO so the I/O loop is only
//! "receive, call, perform actions" and the policy is unit-tested.
//!
//! Policy: a message that cannot be decoded is logged and dropped (counted); a peer speaking an unknown
//! command or protocol version, or the other side's command, is sent DISCONNECT and unregistered,
//! because nothing it sends next will make sense either.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{later, Action, Engine, Event};
use crate::protocol::{self, gateway, Command, Direction, Version};

impl Engine {
    /// Handles one message from a worker: `identity` is the ROUTER's routing-identity frame, `frames` the
    /// rest (empty delimiter first).
    pub fn handle_worker_frames<F: AsRef<[u8]>>(
        &mut self,
        identity: &[u8],
        frames: &[F],
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let (version, decoded) = match protocol::decode_versioned(frames) {
            Ok((version, command)) => (version, Ok(command)),
            Err(error) => (protocol::claimed_version(frames), Err(error)),
        };
        self.incoming = version;
        self.handle_worker_command(identity, decoded, now, out);
        self.incoming = Version::V1;
    }

    fn handle_worker_command(
        &mut self,
        identity: &[u8],
        decoded: Result<Command, protocol::Error>,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let command = match decoded {
            Ok(command) if command.direction() != Direction::ToWorker => command,
            Ok(command) => {
                let why = format!("{} is a broker-to-worker command", command.name());
                return self.reject_worker(identity, &why, now, out);
            }
            Err(protocol::Error::UnknownCommand(byte)) => {
                return self.reject_worker(
                    identity,
                    &format!("unknown command {byte:#04x}"),
                    now,
                    out,
                );
            }
            Err(protocol::Error::Protocol { .. }) => {
                return self.reject_worker(
                    identity,
                    "unsupported protocol; this broker speaks S0W1 and S0W2",
                    now,
                    out,
                );
            }
            Err(error) => {
                tracing::debug!(%error, "malformed worker message dropped");
                self.counters.malformed_messages += 1;
                return;
            }
        };
        let event = match &command {
            Command::Ready { services, capacity } => Event::WorkerReady {
                worker: identity,
                services,
                capacity: *capacity,
            },
            Command::Reply { reply } => Event::WorkerReply {
                worker: identity,
                reply: reply.clone(),
            },
            Command::Done { request } => Event::WorkerDone {
                worker: identity,
                request: *request,
            },
            Command::ReplyDone { request, reply } => {
                let reply = reply.clone();
                self.handle(
                    Event::WorkerReply {
                        worker: identity,
                        reply,
                    },
                    now,
                    out,
                );
                Event::WorkerDone {
                    worker: identity,
                    request: *request,
                }
            }
            Command::Heartbeat { .. } => Event::WorkerHeartbeat { worker: identity },
            Command::Disconnect { .. } => Event::WorkerDisconnect { worker: identity },
            Command::Drain => Event::WorkerDrain { worker: identity },
            Command::Request { .. } | Command::ReconnectTo { .. } | Command::Cancel { .. } => {
                return
            }
        };
        self.handle(event, now, out);
    }

    /// Handles one message from a gateway whose routing identity is its sender id; the gateway is answered
    /// in the protocol version of its latest message.
    pub fn handle_gateway_frames<F: AsRef<[u8]>>(
        &mut self,
        identity: &[u8],
        frames: &[F],
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let (version, decoded) = match gateway::decode_versioned(frames) {
            Ok((version, command)) => (version, Ok(command)),
            Err(error) => (Version::V1, Err(error)),
        };
        self.incoming = version;
        self.handle_gateway_command(identity, decoded, now, out);
        self.incoming = Version::V1;
    }

    fn handle_gateway_command(
        &mut self,
        identity: &[u8],
        decoded: Result<gateway::Command, protocol::Error>,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let event = match decoded {
            Ok(gateway::Command::Submit {
                request,
                service,
                deadline,
                idempotent,
                payload,
            }) => {
                let deadline = deadline.map(|d: Duration| later(now, d));
                let service = service.as_str();
                return self.handle(
                    Event::Submit {
                        gateway: identity,
                        request,
                        service,
                        payload,
                        deadline,
                        idempotent,
                    },
                    now,
                    out,
                );
            }
            Ok(gateway::Command::Cancel { request }) => Event::Cancel {
                gateway: identity,
                request,
            },
            Ok(gateway::Command::Heartbeat) => Event::GatewayHeartbeat { gateway: identity },
            Ok(gateway::Command::Disconnect) => Event::GatewayDisconnect { gateway: identity },
            Ok(gateway::Command::Reply { .. } | gateway::Command::Fail { .. }) => {
                tracing::debug!("broker-to-gateway command received from a gateway; dropped");
                self.counters.unknown_commands += 1;
                return;
            }
            Err(error) => {
                tracing::debug!(%error, "malformed gateway message dropped");
                self.counters.malformed_messages += 1;
                return;
            }
        };
        self.handle(event, now, out);
    }

    fn reject_worker(&mut self, identity: &[u8], why: &str, now: Instant, out: &mut Vec<Action>) {
        tracing::warn!(why, "worker disconnected for speaking an unknown command");
        self.counters.unknown_commands += 1;
        let command = Command::Disconnect {
            reason: Some(why.to_owned()),
        };
        out.push(Action::SendToWorker {
            worker: Bytes::copy_from_slice(identity),
            command,
            version: self.incoming,
        });
        self.handle(Event::WorkerDisconnect { worker: identity }, now, out);
    }
}
