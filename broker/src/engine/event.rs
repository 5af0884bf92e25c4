//! What goes into the engine ([`Event`]) and what comes out ([`Action`]).
//!
//! Events borrow identities and names from the I/O layer's buffers so that handling one costs no
//! allocation; payloads and replies are `Bytes` and move through the engine without being copied.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::handlers::HandlerId;
use crate::protocol::gateway::{FailReason, FailStatus};
use crate::protocol::{Command, RequestId, ServiceName, Version};

/// Something that happened: a message from a worker, a gateway or a handler-backed service's socket, or
/// time passing.
#[derive(Debug, Clone)]
pub enum Event<'a> {
    /// A worker announced itself (READY); any previous registration of the same identity is replaced.
    WorkerReady {
        /// ZeroMQ routing identity.
        worker: &'a [u8],
        /// Services it serves.
        services: &'a [ServiceName],
        /// Concurrent requests it accepts.
        capacity: u32,
    },
    /// A worker finished a request (DONE): its slot is free again.
    WorkerDone {
        /// ZeroMQ routing identity.
        worker: &'a [u8],
        /// The id from REQUEST.
        request: RequestId,
    },
    /// A worker sent a Mongrel2 reply message (REPLY).
    WorkerReply {
        /// ZeroMQ routing identity.
        worker: &'a [u8],
        /// The reply message.
        reply: Bytes,
    },
    /// A worker's HEARTBEAT.
    WorkerHeartbeat {
        /// ZeroMQ routing identity.
        worker: &'a [u8],
    },
    /// A worker asked for no new requests (DRAIN), before a graceful DISCONNECT.
    WorkerDrain {
        /// ZeroMQ routing identity.
        worker: &'a [u8],
    },
    /// A worker said DISCONNECT (or the I/O layer saw it go).
    WorkerDisconnect {
        /// ZeroMQ routing identity.
        worker: &'a [u8],
    },
    /// A gateway submitted a request for a service.
    Submit {
        /// Sender id of the gateway (also the first field of `payload`).
        gateway: &'a [u8],
        /// The gateway's id for the request.
        request: u64,
        /// Target service.
        service: &'a str,
        /// The Mongrel2 request message.
        payload: Bytes,
        /// When to give up waiting for the first reply; `None` uses `Config::default_deadline`.
        deadline: Option<Instant>,
        /// Safe to re-dispatch after a worker death.
        idempotent: bool,
    },
    /// A gateway cancelled a request (client gone, gateway-side timeout).
    Cancel {
        /// Sender id of the gateway.
        gateway: &'a [u8],
        /// The gateway's id for the request.
        request: u64,
    },
    /// A gateway's HEARTBEAT (also registers the gateway, so replies can be routed to it).
    GatewayHeartbeat {
        /// Sender id of the gateway.
        gateway: &'a [u8],
    },
    /// A gateway said DISCONNECT: its requests are cancelled.
    GatewayDisconnect {
        /// Sender id of the gateway.
        gateway: &'a [u8],
    },
    /// A Mongrel2 reply message arrived on the SUB of a handler-backed service.
    HandlerReply {
        /// The service's sockets.
        handler: HandlerId,
        /// The reply frame, as the handler published it.
        reply: Bytes,
    },
    /// The PUSH of a handler-backed service could not take a request from
    /// [`Action::RequestToHandler`] (no handler connected, or their queues full): the engine queues it
    /// again and pauses the service until [`Event::HandlerWritable`]. When several come back from one
    /// batch of actions, report them last first, so they regain their places in order.
    HandlerBusy {
        /// The service's sockets.
        handler: HandlerId,
        /// The id from the action.
        request: RequestId,
        /// The payload from the action, handed back.
        payload: Bytes,
    },
    /// The PUSH of a paused handler-backed service is writable again.
    HandlerWritable {
        /// The service's sockets.
        handler: HandlerId,
    },
    /// Time passed: process due deadlines, expiries and heartbeats (same as [`Engine::tick`](super::Engine::tick)).
    Tick,
}

/// Something the I/O layer must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send a worker-protocol command to a worker.
    SendToWorker {
        /// ZeroMQ routing identity.
        worker: Bytes,
        /// The command.
        command: Command,
        /// The version to frame it in: the worker's (the one its READY, or the message answered, used).
        version: Version,
    },
    /// Deliver a Mongrel2 reply message to a gateway.
    ReplyToGateway {
        /// Sender id of the gateway.
        gateway: Bytes,
        /// The reply, as the worker sent it.
        reply: Bytes,
    },
    /// Tell a gateway a request will get no reply; it answers the client with `status`.
    Fail {
        /// Sender id of the gateway.
        gateway: Bytes,
        /// The gateway's id for the request.
        request: u64,
        /// HTTP status.
        status: FailStatus,
        /// Retry-After value (503 only).
        retry_after: Option<Duration>,
        /// Why, for logs and metrics.
        reason: FailReason,
    },
    /// Send a HEARTBEAT to a gateway (standalone mode; the embedded mode may ignore it).
    HeartbeatGateway {
        /// Sender id of the gateway.
        gateway: Bytes,
    },
    /// Send a Mongrel2 request message, as one bare frame, on a handler-backed service's PUSH, without
    /// waiting: if the PUSH cannot take it now, hand it back with [`Event::HandlerBusy`] (it must not be
    /// lost, and the loop must not block).
    RequestToHandler {
        /// The service's sockets.
        handler: HandlerId,
        /// The engine's id for the request, for [`Event::HandlerBusy`].
        request: RequestId,
        /// The Mongrel2 request message.
        payload: Bytes,
    },
    /// Send a Mongrel2 disconnect notice on a handler-backed service's PUSH (a cancelled or timed-out
    /// request). Best effort: a PUSH that cannot take it now drops it.
    NoticeToHandler {
        /// The service's sockets.
        handler: HandlerId,
        /// The notice, in the request's header format.
        notice: Bytes,
    },
    /// The worker is no longer registered: drop any per-identity state.
    ForgetWorker {
        /// ZeroMQ routing identity.
        worker: Bytes,
    },
    /// The gateway is no longer known: drop any per-identity state.
    ForgetGateway {
        /// Sender id of the gateway.
        gateway: Bytes,
    },
}
