//! Targets: where a route sends its requests, all speaking Mongrel2 messages.
//!
//! - [`handler`]: a pair of ZeroMQ sockets bound by the gateway exactly as
//!   Mongrel2 binds them, for unchanged Mongrel2 handlers;
//! - [`service`]: a service of the broker's workers, over the gateway↔broker
//!   link (embedded or standalone).
//!
//! Both keep a [`conns::ConnTable`] of the conn ids they deliver replies to,
//! and both are reached through a [`Link`].

pub mod conns;
pub mod dir;
pub mod handler;
pub mod proxy;
pub mod service;

use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How much longer than a request's deadline the gateway waits for the
/// broker's own 503/504 before answering by itself.
pub const SERVICE_BACKSTOP: Duration = Duration::from_millis(250);

/// What a target tells a connection about its conn id.
#[derive(Debug)]
pub enum ToConn {
    /// Raw bytes for the client (part of an HTTP response, or WebSocket frames).
    Data(Bytes),
    /// The handler closed the connection (empty reply body).
    Close,
    /// The handler asked to drop the connection at once (`X ctl cancel`).
    Cancel,
    /// The handler refreshed the connection's idle timer (`X ctl keep-alive`).
    KeepAlive,
    /// The handler granted this many more bytes of a streamed upload (`X ctl credits`);
    /// also refreshes the idle timer, like any ctl message.
    Credits(u64),
    /// The broker failed the request (no worker, worker died, deadline).
    Fail {
        /// 502, 503 or 504.
        status: u16,
        /// For 503.
        retry_after: Duration,
    },
}

/// A connection's registration: its reply channel and its close signal.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Where reply messages for the conn id go.
    pub replies: mpsc::Sender<ToConn>,
    /// Cancelled when the handler closes or cancels the connection, or when the
    /// client is too slow, so the connection task ends even while idle.
    pub close: CancellationToken,
    /// Reply bytes held for the client, capped (crate::flow).
    pub output: std::sync::Arc<crate::flow::Output>,
}

/// Why a request could not be handed to a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// The target's queues are full.
    Overloaded,
    /// No handler took the request before the deadline.
    NoHandler,
    /// The target task has stopped (shutdown).
    Stopped,
}

/// Resolves once a submitted request has left the gateway (an error: it was dropped before).
#[derive(Debug)]
pub struct Ticket(Option<tokio::sync::oneshot::Receiver<()>>);

impl Ticket {
    /// A request that left while it was submitted (a service target hands it to the broker's link
    /// without waiting): resolves at once, with no channel to allocate.
    pub fn sent() -> Ticket {
        Ticket(None)
    }

    /// A request that leaves when `sent` fires (or never, when it is dropped).
    pub fn pending(sent: tokio::sync::oneshot::Receiver<()>) -> Ticket {
        Ticket(Some(sent))
    }
}

impl std::future::Future for Ticket {
    type Output = Result<(), tokio::sync::oneshot::error::RecvError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        match &mut self.0 {
            None => std::task::Poll::Ready(Ok(())),
            Some(sent) => std::pin::Pin::new(sent).poll(cx),
        }
    }
}

/// Queues `command` on `commands`, waiting for room until `deadline`.
async fn enqueue<T>(
    commands: &mpsc::Sender<T>,
    command: T,
    deadline: Instant,
) -> Result<(), SendError> {
    match commands.try_send(command) {
        Ok(()) => Ok(()),
        Err(mpsc::error::TrySendError::Closed(_)) => Err(SendError::Stopped),
        Err(mpsc::error::TrySendError::Full(command)) => {
            match tokio::time::timeout_at(deadline, commands.send(command)).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(_)) => Err(SendError::Stopped),
                Err(_) => Err(SendError::Overloaded),
            }
        }
    }
}

/// What a request tells its target besides the message.
#[derive(Debug, Clone, Copy)]
pub struct SendInfo {
    /// The request may be re-dispatched to another worker if its worker dies
    /// before answering (GET/HEAD/OPTIONS, or a route marked retryable).
    pub idempotent: bool,
}

/// A running target, as connections reach it.
#[derive(Debug, Clone)]
pub enum Link {
    /// A Mongrel2-style handler target.
    Handler(handler::Handle),
    /// A broker service.
    Service(service::Handle),
}

impl Link {
    /// The target's index in the config (its identity).
    pub fn index(&self) -> usize {
        match self {
            Link::Handler(h) => h.index,
            Link::Service(s) => s.index,
        }
    }

    /// Registers `conn_id` so replies for it reach `registration`.
    pub async fn register(&self, conn_id: u64, registration: Registration) -> bool {
        match self {
            Link::Handler(h) => h.register(conn_id, registration).await,
            Link::Service(s) => s.register(conn_id, registration).await,
        }
    }

    /// Forgets `conn_id`; with `notify`, the handler (or worker) is told the
    /// client is gone. Never waits.
    pub fn unregister(&self, conn_id: u64, notify: bool) -> bool {
        match self {
            Link::Handler(h) => h.unregister(conn_id, notify),
            Link::Service(s) => s.unregister(conn_id, notify),
        }
    }

    /// Hands a request message for `conn_id` to the target. The returned
    /// ticket resolves when the request has left for a handler (or the
    /// broker); it fails if the target had to shed the request.
    pub async fn submit(
        &self,
        conn_id: u64,
        frame: Vec<u8>,
        deadline: Instant,
        info: SendInfo,
    ) -> Result<Ticket, SendError> {
        match self {
            Link::Handler(h) => h.submit(frame, deadline).await,
            Link::Service(s) => s.submit(conn_id, frame, deadline, info).await,
        }
    }

    /// How long after a request's deadline the gateway gives up on its own:
    /// zero for handlers; for services the broker answers at the deadline
    /// (503 or 504), and the gateway waits [`SERVICE_BACKSTOP`] longer for it.
    pub fn backstop(&self) -> Duration {
        match self {
            Link::Handler(_) => Duration::ZERO,
            Link::Service(_) => SERVICE_BACKSTOP,
        }
    }

    /// The SENDER field of requests to this target.
    pub fn sender(&self) -> &str {
        match self {
            Link::Handler(h) => &h.settings.send_ident,
            Link::Service(s) => &s.settings.sender_id,
        }
    }

    /// Queues a notice for the handler (no reply expected). Only handler targets can
    /// take one; a service target returns false.
    pub fn notify(&self, frame: Vec<u8>) -> bool {
        match self {
            Link::Handler(h) => h.notify(frame),
            Link::Service(_) => false,
        }
    }

    /// Header encoding of requests to this target.
    pub fn protocol(&self) -> mongrel2_compat::request::Protocol {
        match self {
            Link::Handler(h) => h.settings.protocol,
            Link::Service(_) => mongrel2_compat::request::Protocol::Json,
        }
    }
}
