//! [`Counted`]: a client connection's IO that counts bytes and stamps times
//! into its [`ConnStats`](super::ConnStats), and fails once the connection is
//! killed.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

use super::{ConnStats, Entry};

/// Wraps the accepted stream for its whole life (through hyper and any
/// upgrade); holds the registry [`Entry`], so the connection is listed exactly
/// as long as this IO exists.
#[derive(Debug)]
pub struct Counted<S> {
    inner: S,
    entry: Entry,
}

impl<S> Counted<S> {
    /// Wraps `inner`, counting into `entry`.
    pub fn new(inner: S, entry: Entry) -> Counted<S> {
        Counted { inner, entry }
    }

    /// The connection's counters (for [`ConnStats::killed`] and
    /// [`ConnStats::set_kind`]).
    pub fn stats(&self) -> &Arc<ConnStats> {
        self.entry.stats()
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Fails once the connection is killed. `waker` is registered first, so
    /// a kill after the check still wakes the task parked in this IO.
    fn check_alive(&self, waker: &AtomicWaker, cx: &Context<'_>) -> io::Result<()> {
        waker.register(cx.waker());
        if self.entry.stats().killed.is_cancelled() {
            Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "connection killed from the control port",
            ))
        } else {
            Ok(())
        }
    }

    fn wrote(&self, polled: &Poll<io::Result<usize>>) {
        if let Poll::Ready(Ok(n)) = polled {
            if *n > 0 {
                self.entry.stats().record_write(*n, Instant::now());
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.check_alive(&self.entry.stats().read_waker, cx)?;
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len().saturating_sub(before);
        if n > 0 {
            self.entry.stats().record_read(n, Instant::now());
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check_alive(&self.entry.stats().write_waker, cx)?;
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.wrote(&polled);
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.check_alive(&self.entry.stats().write_waker, cx)?;
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.wrote(&polled);
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
