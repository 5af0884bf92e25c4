//! One upgraded WebSocket connection: client messages → target, handler bytes → client.
//!
//! The session owns the socket and the connection's reply channel. Client bytes go through
//! [`Inbound`] (unmasking, reassembly, the frame and message caps); each message is submitted
//! to the handshake's target as its own `WEBSOCKET` request. Handler bytes are written raw.
//! How it ends decides the disconnect notice, as in Mongrel2 (docs §4.1): the client leaving,
//! a protocol error, a cap or the idle timeout notify the handler; the handler's own close or
//! cancel does not.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::request::Parts;
use mongrel2_compat::websocket::{Inbound, Message};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::io::{front, write_within as write};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::{Cidr, RouteSettings};
use crate::conn::Conn;
use crate::target::{Link, SendInfo, Ticket, ToConn};
use crate::translate;

/// Client bytes read at once while a message is arriving (Mongrel2's `limits.buffer_size`).
pub const READ_CHUNK: usize = 4096;

/// Client bytes read at once by an idle socket: most held WebSockets are idle, and the read
/// buffer is what each of them keeps while it waits.
pub const IDLE_READ_CHUNK: usize = 256;

/// Messages submitted to the target and not yet sent on; while this many wait, the session
/// stops reading the client (back-pressure instead of an unbounded queue).
pub const MAX_PENDING_SENDS: usize = 64;

/// The caps and timer of one session, from the route's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest frame payload a client may send (`websocket_max_frame_bytes`).
    pub max_frame_bytes: usize,
    /// Largest reassembled message (`websocket_max_message_bytes`).
    pub max_message_bytes: usize,
    /// Longest silence both ways before the socket is closed (`websocket_idle_timeout`).
    pub idle_timeout: Duration,
    /// How long a message may wait for the target to take it (`reply_timeout`).
    pub send_timeout: Duration,
}

impl Limits {
    /// The limits a route's settings give.
    pub fn from_settings(settings: &RouteSettings) -> Limits {
        Limits {
            max_frame_bytes: settings.websocket_max_frame_bytes,
            max_message_bytes: settings.websocket_max_message_bytes,
            idle_timeout: settings.websocket_idle_timeout,
            send_timeout: settings.reply_timeout,
        }
    }
}

/// Why a session ended.
#[derive(Debug)]
pub(crate) enum End {
    /// The client closed or its socket failed.
    ClientGone,
    /// The client broke RFC 6455 or a cap.
    Protocol(mongrel2_compat::websocket::Error),
    /// Nothing moved for `idle_timeout`.
    Idle,
    /// The target could not take a message in time.
    Undelivered,
    /// The handler closed the connection (empty reply).
    HandlerClosed,
    /// The handler cancelled it, the broker failed it, or the client was too slow for it.
    Dropped,
    /// The gateway is stopping.
    Shutdown,
}

impl End {
    /// Whether the handler learns of the end by a disconnect notice: not when it ended the
    /// connection itself (Mongrel2 sends none then either).
    pub(crate) fn notifies(&self) -> bool {
        !matches!(self, End::HandlerClosed | End::Dropped)
    }
}

/// Everything a session needs once hyper has handed the socket over.
pub(crate) struct Session {
    pub(crate) conn: Arc<Conn>,
    pub(crate) target: Link,
    /// The handshake request: every message repeats its keys.
    pub(crate) handshake: Parts,
    pub(crate) pattern: String,
    pub(crate) trusted_proxies: Vec<Cidr>,
    pub(crate) limits: Limits,
    pub(crate) shutdown: CancellationToken,
}

impl Session {
    /// Serves the socket until either side ends it, then closes it and settles the notice.
    pub(crate) async fn run<IO: AsyncRead + AsyncWrite + Unpin>(self, mut io: IO, first: Bytes) {
        let end = tokio::select! {
            end = self.pump(&mut io, first) => end,
            _ = self.shutdown.cancelled() => End::Shutdown,
        };
        tracing::debug!(conn_id = self.conn.id, ?end, "WebSocket session ended");
        if let End::Protocol(e) = &end {
            tracing::info!(
                conn_id = self.conn.id,
                "WebSocket client broke the protocol: {e}"
            );
        }
        let _best_effort = io.shutdown().await;
        if end.notifies() {
            self.conn.finish(true);
        }
        self.conn.client_gone();
    }

    async fn pump<IO: AsyncRead + AsyncWrite + Unpin>(&self, io: &mut IO, first: Bytes) -> End {
        let limits = self.limits;
        let mut state = self.conn.reply.clone().lock_owned().await;
        if !first.is_empty() && write(io, &first, limits.idle_timeout).await.is_err() {
            return End::ClientGone;
        }
        let mut inbound = Inbound::new(limits.max_frame_bytes, limits.max_message_bytes);
        let mut pending: VecDeque<Ticket> = VecDeque::new();
        let mut idle_at = Instant::now() + limits.idle_timeout;
        loop {
            loop {
                match inbound.next_message() {
                    Ok(Some(message)) => match self.submit(&message).await {
                        Some(ticket) => pending.push_back(ticket),
                        None => return End::Undelivered,
                    },
                    Ok(None) => break,
                    Err(e) => return End::Protocol(e),
                }
            }
            let reading = pending.len() < MAX_PENDING_SENDS;
            let room = if inbound.is_idle() {
                IDLE_READ_CHUNK
            } else {
                READ_CHUNK
            };
            tokio::select! {
                // The handler's bytes (and its close) before anything else.
                biased;
                message = state.rx.recv() => match message {
                    Some(ToConn::Data(bytes)) => {
                        if write(io, &bytes, limits.idle_timeout).await.is_err() {
                            return End::ClientGone;
                        }
                        idle_at = Instant::now() + limits.idle_timeout;
                    }
                    Some(ToConn::KeepAlive | ToConn::Credits(_)) => idle_at = Instant::now() + limits.idle_timeout,
                    Some(ToConn::Close) => return End::HandlerClosed,
                    Some(ToConn::Cancel | ToConn::Fail { .. }) | None => return End::Dropped,
                },
                _ = self.conn.close_signal().cancelled() => return End::Dropped,
                sent = front(&mut pending), if !pending.is_empty() => {
                    pending.pop_front();
                    if sent.is_err() {
                        return End::Undelivered;
                    }
                }
                read = io.read_buf(inbound.read_buffer(room)), if reading => match read {
                    Ok(0) | Err(_) => return End::ClientGone,
                    Ok(_) => idle_at = Instant::now() + limits.idle_timeout,
                },
                _ = tokio::time::sleep_until(idle_at) => return End::Idle,
            }
        }
    }

    /// Submits one client message as a `WEBSOCKET` request; `None` if the target refused it.
    async fn submit(&self, message: &Message) -> Option<Ticket> {
        let ctx = translate::Context {
            sender: self.target.sender(),
            conn_id: self.conn.id,
            protocol: self.target.protocol(),
            pattern: &self.pattern,
            peer: self.conn.peer,
            trusted_proxies: &self.trusted_proxies,
            scheme: "http",
        };
        let first_byte = message.first_byte;
        let frame = translate::to_message_with(&self.handshake, &message.payload, &ctx, |b| {
            b.websocket_frame(first_byte)
        })
        .ok()?;
        let deadline = Instant::now() + self.limits.send_timeout;
        let info = SendInfo { idempotent: false };
        self.target
            .submit(self.conn.id, frame, deadline, info)
            .await
            .ok()
    }
}
