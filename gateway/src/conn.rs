//! Per-client-connection state: the Mongrel2 conn id, the reply channel the
//! handler targets feed, and which targets know the id (so the disconnect
//! notice reaches the handler of the last request when the client leaves).
//!
//! HTTP/1 connections have one `Conn` for their whole life (the id is stable
//! across keep-alive requests, as in Mongrel2); each HTTP/2 stream gets its own.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::exchange::ReplyState;
use crate::http_reply;
use crate::target::{handler, Link, Registration};

/// Hands out conn ids: 1, 2, 3, ... per gateway, wrapping within u32 (as
/// Mongrel2's ids, which handlers may store in 32-bit integers), never 0.
#[derive(Debug, Default)]
pub struct IdAllocator {
    next: AtomicU64,
}

impl IdAllocator {
    /// The next id.
    pub fn next(&self) -> u64 {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        n % u64::from(u32::MAX) + 1
    }
}

/// One client connection (or HTTP/2 stream) as handlers see it.
#[derive(Debug)]
pub struct Conn {
    /// The Mongrel2 conn id.
    pub id: u64,
    /// The TCP peer (or the PROXY-protocol source address).
    pub peer: SocketAddr,
    /// Replies for this id and their parser, held by the exchange in flight
    /// (one at a time: holding the lock keeps responses in request order).
    pub reply: Arc<tokio::sync::Mutex<ReplyState>>,
    registration: Registration,
    targets: Mutex<Targets>,
    finished: AtomicBool,
    taken_over: AtomicBool,
}

#[derive(Debug, Default)]
struct Targets {
    known: Vec<Link>,
    last: Option<usize>,
}

impl Conn {
    /// A new connection state with a bounded reply queue.
    pub fn new(id: u64, peer: SocketAddr, limits: http_reply::Limits) -> Conn {
        let (tx, rx) = mpsc::channel(handler::CONN_REPLY_QUEUE);
        Conn {
            id,
            peer,
            reply: Arc::new(tokio::sync::Mutex::new(ReplyState {
                rx,
                parser: http_reply::Parser::new(limits),
            })),
            registration: Registration {
                replies: tx,
                close: CancellationToken::new(),
                output: crate::flow::Output::new(),
            },
            targets: Mutex::new(Targets::default()),
            finished: AtomicBool::new(false),
            taken_over: AtomicBool::new(false),
        }
    }

    /// Cancelled when a handler closes or cancels this connection, the client
    /// was too slow, a deadline passed, or the client left; the connection task
    /// then shuts it down and streaming responses stop.
    pub fn close_signal(&self) -> &CancellationToken {
        &self.registration.close
    }

    /// The reply bytes held for this client (crate::flow).
    pub fn output(&self) -> &Arc<crate::flow::Output> {
        &self.registration.output
    }

    /// Makes sure `target` delivers replies for this id, and remembers it as
    /// the target of the latest request. False if the target has stopped.
    pub async fn use_target(&self, target: &Link) -> bool {
        let new = {
            let mut t = self.lock_targets();
            let found = t.known.iter().position(|l| l.index() == target.index());
            let (index, new) = match found {
                Some(i) => (i, false),
                None => {
                    t.known.push(target.clone());
                    (t.known.len() - 1, true)
                }
            };
            t.last = Some(index);
            new
        };
        !new || target.register(self.id, self.registration.clone()).await
    }

    /// The connection is over: every target forgets the id, and the handler of
    /// the last request gets a disconnect notice when `notify` (Mongrel2 sends
    /// none when the handler closed the connection). Idempotent.
    pub fn finish(&self, notify: bool) {
        if self.finished.swap(true, Ordering::AcqRel) {
            return;
        }
        let t = self.lock_targets();
        for (i, target) in t.known.iter().enumerate() {
            target.unregister(self.id, notify && t.last == Some(i));
        }
    }

    /// The client left (or the gateway dropped it): notify the handler unless
    /// the handler itself closed the connection, then stop everything tied to it.
    pub fn client_gone(&self) {
        self.finish(!self.close_signal().is_cancelled());
        self.close_signal().cancel();
    }

    /// A WebSocket session owns the connection from now on (crate::websocket):
    /// the HTTP server must not end it when hyper hands the socket over.
    pub fn take_over(&self) {
        self.taken_over.store(true, Ordering::Release);
    }

    /// Whether [`Conn::take_over`] was called.
    pub fn is_taken_over(&self) -> bool {
        self.taken_over.load(Ordering::Acquire)
    }

    fn lock_targets(&self) -> std::sync::MutexGuard<'_, Targets> {
        // Never held across an await or a call that can panic.
        self.targets.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.client_gone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_start_at_one_and_wrap_within_u32_skipping_zero() {
        let ids = IdAllocator::default();
        assert_eq!(ids.next(), 1);
        assert_eq!(ids.next(), 2);
        ids.next.store(u64::from(u32::MAX) - 1, Ordering::Relaxed);
        assert_eq!(ids.next(), u64::from(u32::MAX));
        assert_eq!(ids.next(), 1);
    }
}
