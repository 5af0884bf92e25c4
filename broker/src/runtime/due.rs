//! Which of the broker's sockets a pass of the loop reads, and how the loop waits on them.
//!
//! Every receive that finds nothing costs libzmq a mailbox check (a `poll` and a `getpid` system call),
//! and so does every readiness check. A pass reads the sockets whose wake-up ended the last wait (and any
//! a pass left unfinished) instead of probing all of them; before waiting, the loop checks the ROUTERs'
//! readiness once each (so a busy pair is read in one pass), and then waits on their notification fds
//! without checking again; nothing that arrives is missed, at worst it is read one pass later.

use super::transport::RouterSocket;
use crate::zmq_async::{self, AsyncSocket};

/// Passes between reads of the control socket when it has not signalled (its reads are otherwise
/// driven by its own wake-ups), so a loop that never waits still answers `scale0 ctl`.
pub(super) const CONTROL_EVERY: u32 = 64;

/// Sockets that may have messages: the one whose wake ended the last wait, and any a pass left
/// unfinished. A pass reads only those, sparing a libzmq probe (a receive that finds nothing, with its
/// mailbox check) per other socket per pass; the next wait's readiness check finds anything that
/// arrived meanwhile. The control socket, waited on without that check, is also read every
/// [`CONTROL_EVERY`] passes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Due {
    /// The workers' ROUTER.
    pub(super) workers: bool,
    /// The standalone gateways' ROUTER.
    pub(super) gateways: bool,
    /// The control REP.
    pub(super) control: bool,
}

impl Due {
    /// Every socket: at start, and after a pass that left work for the next one without waiting.
    pub(super) const ALL: Due = Due {
        workers: true,
        gateways: true,
        control: true,
    };
}

/// Waits until an optional socket, drained or checked just before, is readable (see
/// [`AsyncSocket::ready_after_drain`]); never resolves without one.
pub(super) async fn drained_readable(
    socket: Option<&mut AsyncSocket>,
) -> Result<zmq::PollEvents, zmq_async::Error> {
    match socket {
        Some(socket) => socket.ready_after_drain(zmq::POLLIN).await,
        None => std::future::pending().await,
    }
}

/// Waits until an optional ROUTER, checked just before, is readable; never resolves without one.
pub(super) async fn router_readable(
    socket: Option<&mut RouterSocket>,
) -> Result<(), zmq_async::Error> {
    match socket {
        Some(socket) => socket.readable().await,
        None => std::future::pending().await,
    }
}
