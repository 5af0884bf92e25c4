//! ZeroMQ's wire protocol (ZMTP 3, NULL mechanism) written on tokio: the broker's ROUTERs and the
//! standalone link's DEALER without libzmq's I/O thread.
//!
//! With libzmq every message crosses two threads in each process: the socket's owner hands it to
//! libzmq's I/O thread through a pipe and a mailbox wake-up, and that thread does the socket I/O. On the
//! broker's path (gateway → broker → worker and back) those hand-offs cost more than the broker's own work,
//! and on a busy machine each wake-up is a scheduling delay. Here the task that owns the [`Router`] or
//! [`Dealer`] queues frames, and tokio tasks on the same runtime read and write the connections.
//!
//! The peers are unchanged: workers and gateways using libzmq (pyzmq, rust-zmq, czmq) speak ZMTP 3.x to
//! these sockets. What is implemented is what the broker uses:
//!
//! * transports `tcp://` (an address, a host name, or `*` for every interface; port `*` or `0` picks a
//!   free one) and `ipc://` (a path); other endpoints ([`Endpoint::parse`] refuses them) and security
//!   mechanisms other than NULL keep to libzmq;
//! * ROUTER semantics with `ZMQ_ROUTER_MANDATORY` and `ZMQ_ROUTER_HANDOVER`: a peer's routing identity
//!   is the `Identity` of its READY, or 5 bytes (`00` + a counter) when it set none; a send to an
//!   unknown identity is [`SendError::Unreachable`]; a peer reconnecting with the same identity takes it
//!   over from the old connection, which is closed;
//! * DEALER semantics: one connection, re-established every [`RECONNECT_INTERVAL`] after it drops;
//!   messages queue while it is down (libzmq without `ZMQ_IMMEDIATE`);
//! * bounds as libzmq's: per peer and direction at most [`Limits::hwm`] messages (outbound a full queue
//!   refuses the send, inbound the peer's connection is not read until the owner catches up), frames of
//!   at most [`Limits::max_frame`] bytes (a peer sending more is disconnected, `ZMQ_MAXMSGSIZE`), and
//!   messages of more than [`Limits::max_frames`] frames dropped whole and counted;
//! * unlike libzmq, a ROUTER reports a peer whose connection ended ([`Received::Disconnected`]), so the
//!   broker fails or retries what a killed worker held at once instead of after its heartbeats lapse;
//!   and a DEALER reports losing a connection that was up, so a gateway fails what a crashed or
//!   restarted broker held at once instead of at the requests' deadlines;
//! * PING is answered with PONG (ZMTP 3.1 heartbeats, if a peer enables them); other commands are
//!   ignored, an ERROR closes the connection.

mod conn;
mod dealer;
mod endpoint;
mod router;
mod sync_dealer;
#[cfg(test)]
mod tests;
pub mod wire;

use std::time::Duration;

pub use dealer::Dealer;
pub use endpoint::{Endpoint, EndpointError};
pub use router::Router;
pub use sync_dealer::{SyncDealer, CONNECT_TIMEOUT};

/// The runtime the sockets' tasks run on: the caller's, which must exist.
fn runtime() -> std::io::Result<tokio::runtime::Handle> {
    tokio::runtime::Handle::try_current().map_err(|_| {
        std::io::Error::other("a native ZMTP socket must be opened inside a tokio runtime")
    })
}

/// Cancels `stop` after [`LINGER`] (at once outside a runtime), so connections flushing their last
/// messages end even when a peer stopped reading.
fn linger_then_cancel(stop: tokio_util::sync::CancellationToken) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn(async move {
                tokio::time::sleep(LINGER).await;
                stop.cancel();
            });
        }
        Err(_) => stop.cancel(),
    }
}

/// How long a connecting DEALER waits before trying again (libzmq's `ZMQ_RECONNECT_IVL` default).
pub const RECONNECT_INTERVAL: Duration = Duration::from_millis(100);

/// How long a dropped socket keeps writing what it queued to live peers (libzmq's `ZMQ_LINGER`, as the
/// broker sets it): a stopping broker's last FAILs and DISCONNECTs get out.
pub const LINGER: Duration = Duration::from_millis(100);

/// How long a new connection may take to greet and say READY before it is closed (a port scanner, an
/// HTTP client on the wrong port).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes read from a connection at a time, at least.
pub const READ_CHUNK: usize = 16 * 1024;

/// The bounds of one socket; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Messages queued per peer and direction.
    pub hwm: usize,
    /// Largest frame accepted, in bytes.
    pub max_frame: usize,
    /// Most frames in one message accepted.
    pub max_frames: usize,
}

/// A send the socket could not take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// No connected peer has that routing identity (`EHOSTUNREACH`).
    #[error("no peer with that routing identity")]
    Unreachable,
    /// The peer's outbound queue holds [`Limits::hwm`] messages (`EAGAIN`).
    #[error("the peer's queue is full")]
    Full,
}

/// One message taken from a socket.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    /// Nothing is waiting.
    Empty,
    /// A message; for a ROUTER, its first frame is the sender's routing identity.
    Message,
    /// A message of more than [`Limits::max_frames`] frames was dropped.
    TooManyFrames,
    /// A ROUTER's peer closed its connection (or it was dropped): the only frame is its routing
    /// identity, after every message the connection delivered. Not reported for a connection whose
    /// identity a newer connection took over. A DEALER's connection that was up was lost: no frames,
    /// after every message it delivered; the DEALER reconnects by itself.
    Disconnected,
}
