//! Opening the Mongrel2-style sockets: the gateway binds PUSH (requests out) and SUB (replies
//! in) exactly as Mongrel2 does; handlers (and our tests) connect PULL and PUB to them.

use super::{zmq_error, AsyncSocket, Error, Hwm, LINGER_MS};

/// A socket of `kind` with [`LINGER_MS`] and both high-water marks set to `hwm`: the one place
/// where ZeroMQ queue bounds are applied, so every socket gets them.
fn configured(ctx: &zmq::Context, kind: zmq::SocketType, hwm: Hwm) -> Result<zmq::Socket, Error> {
    let socket = ctx.socket(kind).map_err(zmq_error("socket"))?;
    socket
        .set_linger(LINGER_MS)
        .map_err(zmq_error("setsockopt ZMQ_LINGER"))?;
    socket
        .set_sndhwm(hwm.get())
        .map_err(zmq_error("setsockopt ZMQ_SNDHWM"))?;
    socket
        .set_rcvhwm(hwm.get())
        .map_err(zmq_error("setsockopt ZMQ_RCVHWM"))?;
    Ok(socket)
}

fn bind(socket: &zmq::Socket, spec: &str) -> Result<(), Error> {
    socket.bind(spec).map_err(|source| Error::Endpoint {
        op: "bind",
        endpoint: spec.to_owned(),
        source,
    })
}

fn connect(socket: &zmq::Socket, spec: &str) -> Result<(), Error> {
    socket.connect(spec).map_err(|source| Error::Endpoint {
        op: "connect",
        endpoint: spec.to_owned(),
        source,
    })
}

/// The PUSH socket requests go out on (Mongrel2's `send_spec`), with `identity` as its
/// `ZMQ_IDENTITY` (Mongrel2's `send_ident`; empty sets none).
pub fn push_bind(
    ctx: &zmq::Context,
    spec: &str,
    identity: &[u8],
    hwm: Hwm,
) -> Result<AsyncSocket, Error> {
    let socket = configured(ctx, zmq::PUSH, hwm)?;
    if !identity.is_empty() {
        socket
            .set_identity(identity)
            .map_err(zmq_error("setsockopt ZMQ_IDENTITY"))?;
    }
    bind(&socket, spec)?;
    AsyncSocket::new(socket)
}

/// The SUB socket replies come in on (Mongrel2's `recv_spec`), subscribed to replies whose
/// frame starts with `subscribe_prefix` (the gateway's sender UUID; empty takes all).
pub fn sub_bind(
    ctx: &zmq::Context,
    spec: &str,
    subscribe_prefix: &[u8],
    hwm: Hwm,
) -> Result<AsyncSocket, Error> {
    let socket = configured(ctx, zmq::SUB, hwm)?;
    socket
        .set_subscribe(subscribe_prefix)
        .map_err(zmq_error("setsockopt ZMQ_SUBSCRIBE"))?;
    bind(&socket, spec)?;
    AsyncSocket::new(socket)
}

/// A handler's PULL socket, connected to a gateway's PUSH `spec`.
pub fn pull_connect(ctx: &zmq::Context, spec: &str, hwm: Hwm) -> Result<AsyncSocket, Error> {
    let socket = configured(ctx, zmq::PULL, hwm)?;
    connect(&socket, spec)?;
    AsyncSocket::new(socket)
}

/// A handler's PUB socket, connected to a gateway's SUB `spec`.
pub fn pub_connect(ctx: &zmq::Context, spec: &str, hwm: Hwm) -> Result<AsyncSocket, Error> {
    let socket = configured(ctx, zmq::PUB, hwm)?;
    connect(&socket, spec)?;
    AsyncSocket::new(socket)
}
