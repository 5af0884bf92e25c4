//! Idle and slow-client deadlines for a client connection, kept outside hyper
//! so the two are distinct:
//!
//! - `keepalive_timeout`: a connection with no request in flight and no byte
//!   of a new request received is closed after this long;
//! - `header_read_timeout`: once the first byte of a new request head has
//!   arrived, the request must be handed to the gateway within this long
//!   (a slow or stalled client is cut).
//!
//! [`Watch`] wraps the connection's IO to see bytes arrive; [`Activity`] is
//! shared with the request path, which marks requests busy; [`Activity::deadline`]
//! tells the connection task when to close.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// Shortest time between two looks of [`Activity::expired`] at a connection's
/// activity; bounds how late a deadline below it is seen.
pub const MIN_CHECK: Duration = Duration::from_millis(50);

/// What the connection task needs to know about a connection's activity.
#[derive(Debug)]
pub struct Activity {
    origin: Instant,
    busy: AtomicUsize,
    /// Milliseconds since `origin` when the connection last became idle.
    idle_since: AtomicU64,
    /// Set when idle; cleared (and `head_started` stamped) by the first byte read.
    awaiting_first_byte: AtomicBool,
    head_started: AtomicU64,
}

impl Activity {
    /// A connection that has just been accepted (idle, nothing read).
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            origin: Instant::now(),
            busy: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            awaiting_first_byte: AtomicBool::new(true),
            head_started: AtomicU64::new(0),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Marks one request in flight until the guard is dropped (after its
    /// response body has been written or abandoned).
    pub fn busy(self: &Arc<Activity>) -> Busy {
        self.busy.fetch_add(1, Ordering::AcqRel);
        Busy(self.clone())
    }

    fn read_some(&self) {
        if self.awaiting_first_byte.swap(false, Ordering::AcqRel) {
            self.head_started.store(self.now_ms(), Ordering::Release);
        }
    }

    /// When the connection must be closed if nothing changes, or `None` while
    /// a request is in flight.
    pub fn deadline(&self, keepalive: Duration, header_read: Duration) -> Option<Instant> {
        if self.busy.load(Ordering::Acquire) > 0 {
            return None;
        }
        let at = |ms: u64, plus: Duration| self.origin + Duration::from_millis(ms) + plus;
        Some(if self.awaiting_first_byte.load(Ordering::Acquire) {
            at(self.idle_since.load(Ordering::Acquire), keepalive)
        } else {
            at(self.head_started.load(Ordering::Acquire), header_read)
        })
    }

    /// Waits until the connection has not been idle or busy for its whole
    /// deadline: returns when it should be closed. Cancel-safe.
    ///
    /// Nothing wakes it when the connection's activity changes (that would be
    /// a wake-up of the connection task per request): it looks at the
    /// activity when its one timer fires, and never sleeps past
    /// `min(keepalive, header_read)` (at least [`MIN_CHECK`]) from a look, so
    /// a deadline that activity after the look could set is never missed.
    pub async fn expired(&self, keepalive: Duration, header_read: Duration) {
        let step = keepalive.min(header_read).max(MIN_CHECK);
        let timer = tokio::time::sleep_until(Instant::now());
        tokio::pin!(timer);
        loop {
            let now = Instant::now();
            let at = match self.deadline(keepalive, header_read) {
                Some(deadline) if deadline <= now => return,
                Some(deadline) => deadline.min(now + step),
                None => now + step,
            };
            timer.as_mut().reset(at);
            timer.as_mut().await;
        }
    }
}

/// A request in flight; dropping it may make the connection idle.
#[derive(Debug)]
pub struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        let a = &self.0;
        if a.busy.fetch_sub(1, Ordering::AcqRel) == 1 {
            a.idle_since.store(a.now_ms(), Ordering::Release);
            a.awaiting_first_byte.store(true, Ordering::Release);
        }
    }
}

/// The connection's IO, reporting reads to its [`Activity`]; bytes already
/// read from the stream (after a PROXY header) are served first.
#[derive(Debug)]
pub struct Watch<T> {
    inner: T,
    early: Vec<u8>,
    early_at: usize,
    activity: Arc<Activity>,
}

impl<T> Watch<T> {
    /// Wraps `inner`; `early` bytes are read before the stream's.
    pub fn new(inner: T, early: Vec<u8>, activity: Arc<Activity>) -> Watch<T> {
        Watch {
            inner,
            early,
            early_at: 0,
            activity,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watch<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.early_at < self.early.len() {
            let n = buf.remaining().min(self.early.len() - self.early_at);
            let at = self.early_at;
            buf.put_slice(&self.early[at..at + n]);
            self.early_at += n;
            self.activity.read_some();
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.read_some();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watch<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEEPALIVE: Duration = Duration::from_secs(75);
    const HEADER: Duration = Duration::from_secs(10);

    #[tokio::test(start_paused = true)]
    async fn idle_connection_expires_after_keepalive() {
        let a = Activity::new();
        let start = Instant::now();
        a.expired(KEEPALIVE, HEADER).await;
        assert_eq!(start.elapsed().as_secs(), 75);
    }

    #[tokio::test(start_paused = true)]
    async fn a_started_head_must_complete_within_header_read_timeout() {
        let a = Activity::new();
        tokio::time::sleep(Duration::from_secs(30)).await;
        a.read_some();
        let start = Instant::now();
        a.expired(KEEPALIVE, HEADER).await;
        assert_eq!(start.elapsed().as_secs(), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn a_head_started_while_watching_is_cut_header_read_after_its_first_byte() {
        let a = Activity::new();
        let start = Instant::now();
        let watcher = {
            let a = a.clone();
            tokio::spawn(async move { a.expired(KEEPALIVE, HEADER).await })
        };
        tokio::time::sleep(Duration::from_millis(33_500)).await;
        a.read_some();
        watcher.await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(43_500));
    }

    #[tokio::test(start_paused = true)]
    async fn requests_while_watching_restart_the_keepalive_from_their_end() {
        let a = Activity::new();
        let start = Instant::now();
        let watcher = {
            let a = a.clone();
            tokio::spawn(async move { a.expired(KEEPALIVE, HEADER).await })
        };
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_secs(60)).await;
            a.read_some();
            let guard = a.busy();
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(guard);
        }
        // Last request ended at 195 s: idle until 270 s.
        watcher.await.unwrap();
        assert_eq!(start.elapsed().as_secs(), 270);
    }

    #[tokio::test(start_paused = true)]
    async fn busy_connections_never_expire_and_idle_restarts_after() {
        let a = Activity::new();
        let guard = a.busy();
        let expired =
            tokio::time::timeout(Duration::from_secs(500), a.expired(KEEPALIVE, HEADER)).await;
        assert!(expired.is_err(), "expired while a request was in flight");
        drop(guard);
        let start = Instant::now();
        a.expired(KEEPALIVE, HEADER).await;
        assert_eq!(start.elapsed().as_secs(), 75);
    }
}
