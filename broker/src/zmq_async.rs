//! ZeroMQ sockets driven by tokio, without a bridge thread.
//!
//! libzmq sockets are blocking and not thread-safe, but each exposes a notification fd
//! (`ZMQ_FD`) that becomes readable when the socket's state may have changed. An
//! [`AsyncSocket`] registers that fd with tokio's reactor and does every send and receive
//! with `ZMQ_DONTWAIT`, waiting on the fd only after `EAGAIN` — the approach that reached plain
//! libzmq's rate in research/rust-stack.md §3 (DESIGN.md §4). The fd is edge-triggered and
//! any libzmq call may consume its edge, so the socket's `ZMQ_EVENTS` is checked before every
//! wait and after every wake, and tokio's readiness is cleared only after such a check found
//! nothing (tokio's readiness ticks keep an edge that arrives after the check).
//!
//! Async operations take `&mut self`: one operation at a time per socket, so no operation can
//! steal another's edge, and the futures are `Send` (a `&self` future would not be, since a
//! libzmq socket is not `Sync`). A socket that must send and receive at once (DEALER) waits
//! with [`AsyncSocket::ready`] for either direction and then uses the `try_` calls.
//!
//! [`push_bind`], [`sub_bind`], [`pull_connect`] and [`pub_connect`] open the Mongrel2-style
//! sockets with [`LINGER_MS`] and a high-water mark from configuration ([`Hwm`]).
//!
//! ```
//! use scale0_broker::zmq_async::{pull_connect, push_bind, Error, Hwm};
//!
//! async fn hello(ctx: &zmq::Context) -> Result<Vec<u8>, Error> {
//!     let mut push = push_bind(ctx, "inproc://requests", b"gateway-1", Hwm::DEFAULT)?;
//!     let mut pull = pull_connect(ctx, "inproc://requests", Hwm::DEFAULT)?;
//!     push.send(b"hello").await?;
//!     Ok(pull.recv().await?.to_vec())
//! }
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! assert_eq!(runtime.block_on(hello(&zmq::Context::new()))?, b"hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod open;
#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]
mod tests;

use std::os::fd::{AsRawFd, RawFd};

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

pub use open::{pub_connect, pull_connect, push_bind, sub_bind};

/// How long (ms) a closed socket keeps trying to deliver queued messages: short, so shutdown
/// never hangs on a vanished peer, but long enough to flush replies to live ones.
pub const LINGER_MS: i32 = 100;

/// A ZeroMQ high-water mark: how many messages may queue per peer and direction before a
/// send would block (PUSH) or messages are dropped (PUB). Never 0, which libzmq reads as
/// "unbounded": every queue in Scale0 is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hwm(i32);

impl Hwm {
    /// libzmq's own default, a sane start for request/reply traffic.
    pub const DEFAULT: Hwm = Hwm(1000);

    /// A mark of `messages`; `None` for 0 or more than `i32::MAX`.
    pub fn new(messages: u32) -> Option<Hwm> {
        i32::try_from(messages).ok().filter(|&n| n > 0).map(Hwm)
    }

    /// The mark in messages.
    pub fn get(self) -> i32 {
        self.0
    }
}

/// What can go wrong driving a ZeroMQ socket.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A libzmq call failed; `op` names it.
    #[error("zmq {op} failed: {source}")]
    Zmq {
        /// The libzmq operation (`send`, `recv`, `setsockopt ZMQ_SNDHWM`, ...).
        op: &'static str,
        /// libzmq's error.
        #[source]
        source: zmq::Error,
    },
    /// Binding or connecting `endpoint` failed.
    #[error("zmq {op} {endpoint:?} failed: {source}")]
    Endpoint {
        /// `bind` or `connect`.
        op: &'static str,
        /// The endpoint from configuration.
        endpoint: String,
        /// libzmq's error.
        #[source]
        source: zmq::Error,
    },
    /// Binding or connecting `endpoint` with Scale0's own ZMTP sockets ([`crate::zmtp`]) failed.
    #[error("{op} {endpoint:?} failed: {source}")]
    Native {
        /// `bind` or `connect`.
        op: &'static str,
        /// The endpoint from configuration.
        endpoint: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// `try_send`/`try_recv` could not proceed without waiting (send queue full, no peer, or
    /// nothing to receive); callers may shed load on it.
    #[error("the zmq operation would block")]
    WouldBlock,
    /// The socket was opened outside a tokio runtime.
    #[error("a zmq socket must be registered from inside a tokio runtime")]
    NoRuntime,
    /// tokio's reactor refused or failed the socket's `ZMQ_FD`.
    #[error("tokio reactor failed on the zmq socket's ZMQ_FD: {0}")]
    Reactor(#[source] std::io::Error),
    /// A peer sent a multipart message with more frames than the caller accepts.
    #[error("multipart message has more than {limit} frames")]
    TooManyFrames {
        /// The cap the caller passed.
        limit: usize,
    },
}

/// Maps a libzmq error from operation `op`.
fn zmq_error(op: &'static str) -> impl Fn(zmq::Error) -> Error {
    move |source| Error::Zmq { op, source }
}

/// Maps a libzmq result, turning `EAGAIN` (and `EINTR`) into [`Error::WouldBlock`].
fn nonblocking<T>(op: &'static str, result: zmq::Result<T>) -> Result<T, Error> {
    match result {
        Ok(value) => Ok(value),
        Err(zmq::Error::EAGAIN | zmq::Error::EINTR) => Err(Error::WouldBlock),
        Err(source) => Err(Error::Zmq { op, source }),
    }
}

/// The socket's `ZMQ_FD`, which libzmq owns; only registered with tokio, never closed here.
#[derive(Debug)]
struct NotifyFd(RawFd);

impl AsRawFd for NotifyFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// One libzmq socket driven by tokio; see the [module docs](self). `Send` but not `Sync`:
/// one task owns it.
pub struct AsyncSocket {
    /// Declared first so it is dropped first: the fd is deregistered while the socket that
    /// owns it is still open.
    fd: AsyncFd<NotifyFd>,
    socket: zmq::Socket,
}

impl std::fmt::Debug for AsyncSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncSocket")
            .field("fd", &self.fd.get_ref().0)
            .finish_non_exhaustive()
    }
}

impl AsyncSocket {
    /// Wraps a configured, bound or connected socket (any type: also DEALER, ROUTER, or one
    /// with CURVE options set).
    ///
    /// # Panics
    /// If the current tokio runtime was built without its I/O driver (`enable_io`).
    pub fn new(socket: zmq::Socket) -> Result<Self, Error> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::NoRuntime);
        }
        let raw = socket.get_fd().map_err(zmq_error("getsockopt ZMQ_FD"))?;
        #[allow(
            unsafe_code,
            reason = "tokio 1.54 only registers raw fds through an unsafe constructor"
        )]
        // SAFETY: `raw` is the socket's ZMQ_FD, which libzmq keeps open and unchanged until the
        // socket is closed. The socket lives in the same struct, declared after `fd`, so it is
        // closed only after the AsyncFd has been dropped (deregistered), and it is never moved
        // out of the struct. `NotifyFd::as_raw_fd` always returns this same fd.
        let registered =
            unsafe { AsyncFd::register_with_interest(NotifyFd(raw), Interest::READABLE) };
        let fd = registered.map_err(|error| Error::Reactor(error.into_parts().1))?;
        Ok(Self { fd, socket })
    }

    /// Closes the socket at once: what it still queued is dropped, not lingered over.
    pub fn abandon(self) {
        let _best_effort = self.socket.set_linger(0);
    }

    /// The endpoint the socket last bound or connected, e.g. the port chosen for
    /// `tcp://127.0.0.1:*`.
    pub fn last_endpoint(&self) -> Result<String, Error> {
        let endpoint = self
            .socket
            .get_last_endpoint()
            .map_err(zmq_error("getsockopt ZMQ_LAST_ENDPOINT"))?;
        Ok(endpoint.unwrap_or_else(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// Queues one frame if that is possible without waiting; [`Error::WouldBlock`] when the
    /// send queue is full or (PUSH) no peer is connected, so the caller can shed load.
    pub fn try_send(&self, frame: &[u8]) -> Result<(), Error> {
        nonblocking("send", self.socket.send(frame, zmq::DONTWAIT))
    }

    /// Queues `frames` as one multipart message if that is possible without waiting;
    /// [`Error::WouldBlock`] (nothing sent) when the first frame cannot be queued. libzmq takes
    /// the remaining frames of a message once it has taken the first, so a message is never
    /// half sent. A ROUTER with `ZMQ_ROUTER_MANDATORY` reports an unknown peer as
    /// [`Error::Zmq`] with `EHOSTUNREACH`, and a full peer queue as [`Error::WouldBlock`].
    pub fn try_send_multipart<I>(&self, frames: I) -> Result<(), Error>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let mut frames = frames.into_iter().peekable();
        let mut first = true;
        while let Some(frame) = frames.next() {
            let more = if frames.peek().is_some() {
                zmq::SNDMORE
            } else {
                0
            };
            let sent = self.socket.send(frame.as_ref(), zmq::DONTWAIT | more);
            if first {
                nonblocking("send", sent)?;
                first = false;
            } else {
                sent.map_err(zmq_error("send"))?;
            }
        }
        Ok(())
    }

    /// Queues one frame, waiting for room (HWM) or a peer as long as it takes.
    ///
    /// Cancel-safe: the frame is handed to libzmq in one non-blocking call that queues it
    /// whole or not at all, and the only await is the wait before retrying; a dropped future
    /// has sent nothing. (It takes `&[u8]`, not a `zmq::Message`, because rust-zmq consumes a
    /// message even when the send fails with `EAGAIN`.)
    pub async fn send(&mut self, frame: &[u8]) -> Result<(), Error> {
        loop {
            match self.try_send(frame) {
                Err(Error::WouldBlock) => {
                    self.wait(zmq::POLLOUT).await?;
                }
                done => return done,
            }
        }
    }

    /// Receives one frame if one is queued, else [`Error::WouldBlock`].
    pub fn try_recv(&self) -> Result<zmq::Message, Error> {
        let mut message = zmq::Message::new();
        nonblocking("recv", self.socket.recv(&mut message, zmq::DONTWAIT))?;
        Ok(message)
    }

    /// Receives one frame (check [`zmq::Message::get_more`] for multipart messages, or use
    /// [`AsyncSocket::recv_multipart`]).
    ///
    /// Cancel-safe: a frame is taken from libzmq only in the synchronous step that returns
    /// it, so a dropped future (e.g. a losing `select!` branch) never loses one.
    pub async fn recv(&mut self) -> Result<zmq::Message, Error> {
        loop {
            match self.try_recv() {
                Err(Error::WouldBlock) => {
                    self.wait(zmq::POLLIN).await?;
                }
                done => return done,
            }
        }
    }

    /// Receives all frames of one message, at most `max_frames` (a message with more is
    /// discarded whole and reported as [`Error::TooManyFrames`]; the first frame is always
    /// kept, so a cap of 0 acts as 1).
    ///
    /// Cancel-safe: libzmq delivers a multipart message atomically, so after the first frame
    /// the rest are taken without awaiting.
    pub async fn recv_multipart(&mut self, max_frames: usize) -> Result<Vec<zmq::Message>, Error> {
        let first = self.recv().await?;
        let mut more = first.get_more();
        let mut frames = vec![first];
        while more {
            let frame = self.try_recv()?;
            more = frame.get_more();
            if frames.len() < max_frames {
                frames.push(frame);
            } else if !more {
                return Err(Error::TooManyFrames { limit: max_frames });
            }
        }
        Ok(frames)
    }

    /// Like [`AsyncSocket::ready`] without first asking libzmq (one `getsockopt(ZMQ_EVENTS)`, with its
    /// mailbox check, saved per wait): only correct for a socket whose last operation was a `try_`
    /// receive that returned [`Error::WouldBlock`] or an [`AsyncSocket::events_now`] that lacked the
    /// wanted events (libzmq had processed every command then, so anything since raised the
    /// notification fd's edge, which tokio keeps). A loop that checks or drains its sockets before
    /// waiting, and touches them nowhere in between, waits with this.
    ///
    /// Cancel-safe: waiting consumes nothing.
    pub async fn ready_after_drain(
        &mut self,
        events: zmq::PollEvents,
    ) -> Result<zmq::PollEvents, Error> {
        if events.is_empty() {
            return Ok(events);
        }
        loop {
            let mut guard = self.fd.readable().await.map_err(Error::Reactor)?;
            let now = self.events()? & events;
            if !now.is_empty() {
                return Ok(now);
            }
            guard.clear_ready();
        }
    }

    /// Waits until the socket reports any of `events` (`zmq::POLLIN`, `zmq::POLLOUT`) and
    /// returns those it reports; for sockets that send and receive in one task. Returns at
    /// once when `events` is empty.
    ///
    /// Cancel-safe: waiting consumes nothing.
    pub async fn ready(&mut self, events: zmq::PollEvents) -> Result<zmq::PollEvents, Error> {
        if events.is_empty() {
            return Ok(events);
        }
        self.wait(events).await
    }

    /// The socket's `ZMQ_EVENTS` now (`POLLIN`: a message can be received, `POLLOUT`: one can be
    /// sent), so a loop can check several sockets before waiting on any; see
    /// [`AsyncSocket::ready_after_drain`] for the wait that may follow.
    pub fn events_now(&self) -> Result<zmq::PollEvents, Error> {
        self.events()
    }

    /// The socket's `ZMQ_EVENTS`; reading it also processes libzmq's pending commands and
    /// resets the notification fd.
    fn events(&self) -> Result<zmq::PollEvents, Error> {
        self.socket
            .get_events()
            .map_err(zmq_error("getsockopt ZMQ_EVENTS"))
    }

    /// Waits until `ZMQ_EVENTS` intersects `want` (which must not be empty) and returns
    /// the intersection.
    async fn wait(&mut self, want: zmq::PollEvents) -> Result<zmq::PollEvents, Error> {
        loop {
            let now = self.events()? & want;
            if !now.is_empty() {
                return Ok(now);
            }
            let mut guard = self.fd.readable().await.map_err(Error::Reactor)?;
            let now = self.events()? & want;
            if !now.is_empty() {
                return Ok(now);
            }
            guard.clear_ready();
        }
    }
}
