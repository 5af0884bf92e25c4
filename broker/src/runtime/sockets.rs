//! Opening the broker's sockets and the standalone link's DEALER: the one place where ZeroMQ queue bounds
//! (high-water marks), message size caps and socket options are decided.
//!
//! High-water marks count messages per peer and direction. What happens when one is reached:
//!
//! * toward a worker ([`WORKER_HWM`]): the engine never sends a worker more than its capacity of
//!   REQUESTs (≤ [`MAX_CAPACITY`](crate::protocol::MAX_CAPACITY)) plus as many CANCELs and a heartbeat
//!   per interval, so a full queue means the worker stopped reading: it is treated as gone (like
//!   `EHOSTUNREACH` under `ZMQ_ROUTER_MANDATORY`), which fails or retries what it held;
//! * from a worker or a gateway: libzmq stops reading the peer's connection, so the peer's own sends
//!   wait: back-pressure, nothing lost;
//! * toward a gateway ([`GATEWAY_HWM`]): the reply is dropped and counted (`IoCounters`); the broker never
//!   waits on one gateway while others and the workers need it, and never buffers replies itself;
//! * the control socket ([`CONTROL_HWM`]) carries one request at a time;
//! * toward the handlers of a handler-backed service ([`handler_push_hwm`]): the engine never has more
//!   than `max_outstanding` requests out, so the PUSH's queues are sized for those plus a disconnect
//!   notice each; a PUSH that cannot take a request (no handler connected, or every handler's queue full)
//!   makes the engine keep the request queued until it can ([`Event::HandlerBusy`]);
//! * from handlers ([`HANDLER_REPLY_HWM`] on the SUB): beyond it libzmq stops reading the handler's
//!   connection and the handler's PUB drops what it publishes (as with Mongrel2: PUB never waits).
//!
//! [`Event::HandlerBusy`]: crate::engine::Event::HandlerBusy

use crate::zmq_async::{self, AsyncSocket, Hwm, LINGER_MS};

/// Largest message part accepted from any peer (`ZMQ_MAXMSGSIZE`): the gateway's largest inline request
/// body (64 MiB) plus 1 MiB for the Mongrel2 headers. A peer sending more is disconnected by libzmq.
pub const MAX_FRAME_BYTES: i64 = 65 * 1024 * 1024;

/// Most frames in one message the broker reads (a READY with 32 services is 36 frames plus the routing
/// identity); a longer message is dropped whole and counted.
pub const MAX_FRAMES: usize = 40;

/// Messages queued per worker, each way: twice the largest capacity (REQUEST and CANCEL for every slot)
/// plus room for heartbeats and control commands. Inbound, it bounds replies read ahead of the loop.
pub const WORKER_HWM: u32 = 2 * crate::protocol::MAX_CAPACITY + 64;

/// Messages queued per gateway, each way: replies waiting for a slow gateway outbound, submits read ahead
/// inbound.
pub const GATEWAY_HWM: u32 = 10_000;

/// Messages queued on the control socket.
pub const CONTROL_HWM: u32 = 16;

/// Replies queued from the handlers of one handler-backed service (the SUB's receive high-water mark).
pub const HANDLER_REPLY_HWM: u32 = 10_000;

/// Messages the PUSH of a handler-backed service queues per handler: every request the service may have
/// outstanding plus a disconnect notice for each, and room for notices of requests already released.
pub fn handler_push_hwm(max_outstanding: u32) -> Hwm {
    hwm(max_outstanding.saturating_mul(2).saturating_add(64))
}

/// Largest control request or reply, in bytes.
pub const MAX_CONTROL_BYTES: i64 = 64 * 1024;

/// A high-water mark from one of the constants above (all non-zero and far below `i32::MAX`).
pub fn hwm(messages: u32) -> Hwm {
    Hwm::new(messages).unwrap_or(Hwm::DEFAULT)
}

fn option<T>(result: zmq::Result<T>, op: &'static str) -> Result<T, zmq_async::Error> {
    result.map_err(|source| zmq_async::Error::Zmq { op, source })
}

/// A socket of `kind` with linger, both HWMs and the size cap set.
fn configured(
    ctx: &zmq::Context,
    kind: zmq::SocketType,
    hwm: Hwm,
    max_bytes: i64,
) -> Result<zmq::Socket, zmq_async::Error> {
    let socket = option(ctx.socket(kind), "socket")?;
    option(socket.set_linger(LINGER_MS), "setsockopt ZMQ_LINGER")?;
    option(socket.set_sndhwm(hwm.get()), "setsockopt ZMQ_SNDHWM")?;
    option(socket.set_rcvhwm(hwm.get()), "setsockopt ZMQ_RCVHWM")?;
    option(
        socket.set_maxmsgsize(max_bytes),
        "setsockopt ZMQ_MAXMSGSIZE",
    )?;
    Ok(socket)
}

fn bind(socket: zmq::Socket, endpoint: &str) -> Result<AsyncSocket, zmq_async::Error> {
    socket
        .bind(endpoint)
        .map_err(|source| zmq_async::Error::Endpoint {
            op: "bind",
            endpoint: endpoint.to_owned(),
            source,
        })?;
    AsyncSocket::new(socket)
}

/// A ROUTER for workers or gateways: `ZMQ_ROUTER_MANDATORY`, so a vanished or stuck peer is reported
/// instead of silently dropped, and `ZMQ_ROUTER_HANDOVER`, so a peer reconnecting with a fixed identity
/// (a restarted worker, a gateway's sender id) takes the identity over.
pub(crate) fn router(
    ctx: &zmq::Context,
    endpoint: &str,
    hwm: Hwm,
) -> Result<AsyncSocket, zmq_async::Error> {
    let socket = configured(ctx, zmq::ROUTER, hwm, MAX_FRAME_BYTES)?;
    option(
        socket.set_router_mandatory(true),
        "setsockopt ZMQ_ROUTER_MANDATORY",
    )?;
    option(
        socket.set_router_handover(true),
        "setsockopt ZMQ_ROUTER_HANDOVER",
    )?;
    bind(socket, endpoint)
}

/// The PUSH requests go out on to a service's Mongrel2 handlers (they connect PULL), bound at
/// `send_spec` as Mongrel2 binds it.
pub(crate) fn handler_push(
    ctx: &zmq::Context,
    send_spec: &str,
    max_outstanding: u32,
) -> Result<AsyncSocket, zmq_async::Error> {
    let socket = configured(
        ctx,
        zmq::PUSH,
        handler_push_hwm(max_outstanding),
        MAX_FRAME_BYTES,
    )?;
    bind(socket, send_spec)
}

/// The SUB a service's Mongrel2 handlers publish replies to (they connect PUB), bound at `recv_spec` and
/// subscribed to `recv_ident` as Mongrel2 does: a byte-prefix filter on whole reply frames, usually
/// empty (everything).
pub(crate) fn handler_sub(
    ctx: &zmq::Context,
    recv_spec: &str,
    recv_ident: &[u8],
) -> Result<AsyncSocket, zmq_async::Error> {
    let socket = configured(ctx, zmq::SUB, hwm(HANDLER_REPLY_HWM), MAX_FRAME_BYTES)?;
    option(socket.set_subscribe(recv_ident), "setsockopt ZMQ_SUBSCRIBE")?;
    bind(socket, recv_spec)
}

/// The control REP socket.
pub(crate) fn control(ctx: &zmq::Context, endpoint: &str) -> Result<AsyncSocket, zmq_async::Error> {
    bind(
        configured(ctx, zmq::REP, hwm(CONTROL_HWM), MAX_CONTROL_BYTES)?,
        endpoint,
    )
}

/// A standalone gateway's DEALER, routing identity = sender id. Not `ZMQ_IMMEDIATE`: with it, libzmq
/// discards messages already received but not yet read when the connection drops, which loses a
/// stopping broker's last FAILs and its DISCONNECT. The link refuses submits itself while the broker is
/// not heard instead.
pub(crate) fn gateway_dealer(
    ctx: &zmq::Context,
    endpoint: &str,
    sender_id: &[u8],
    hwm: Hwm,
) -> Result<AsyncSocket, zmq_async::Error> {
    let socket = configured(ctx, zmq::DEALER, hwm, MAX_FRAME_BYTES)?;
    option(socket.set_identity(sender_id), "setsockopt ZMQ_ROUTING_ID")?;
    socket
        .connect(endpoint)
        .map_err(|source| zmq_async::Error::Endpoint {
            op: "connect",
            endpoint: endpoint.to_owned(),
            source,
        })?;
    AsyncSocket::new(socket)
}

/// One received message part, viewable as bytes by the codecs (`zmq::Message` derefs to `[u8]` but has
/// no `AsRef`): libzmq's, or a slice of a native connection's read buffer.
pub(crate) enum Frame {
    Zmq(zmq::Message),
    Bytes(bytes::Bytes),
}

impl AsRef<[u8]> for Frame {
    fn as_ref(&self) -> &[u8] {
        match self {
            Frame::Zmq(message) => message,
            Frame::Bytes(bytes) => bytes,
        }
    }
}

/// Receives one whole message into `frames` without waiting: `Ok(false)` when none is queued. A message
/// of more than [`MAX_FRAMES`] frames is consumed whole and reported as `TooManyFrames`.
pub(crate) fn try_recv_multipart(
    socket: &AsyncSocket,
    frames: &mut Vec<Frame>,
) -> Result<bool, zmq_async::Error> {
    frames.clear();
    let first = match socket.try_recv() {
        Ok(first) => first,
        Err(zmq_async::Error::WouldBlock) => return Ok(false),
        Err(error) => return Err(error),
    };
    let mut more = first.get_more();
    frames.push(Frame::Zmq(first));
    let mut too_many = false;
    while more {
        let frame = socket.try_recv()?;
        more = frame.get_more();
        if frames.len() < MAX_FRAMES {
            frames.push(Frame::Zmq(frame));
        } else {
            too_many = true;
        }
    }
    if too_many {
        frames.clear();
        return Err(zmq_async::Error::TooManyFrames { limit: MAX_FRAMES });
    }
    Ok(true)
}
