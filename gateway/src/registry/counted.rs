//! [`Counted`]: a client connection's IO that counts bytes and stamps times
//! into its [`ConnStats`](super::ConnStats), fails once the connection is
//! killed, and fails a write the client has left blocked for longer than the
//! listener's `send_timeout` (a client that stops reading cannot hold a
//! connection, or what feeds it, forever).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use atomic_waker::AtomicWaker;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use super::{ConnStats, Entry};

/// Wraps the accepted stream for its whole life (through hyper and any
/// upgrade); holds the registry [`Entry`], so the connection is listed exactly
/// as long as this IO exists.
#[derive(Debug)]
pub struct Counted<S> {
    inner: S,
    entry: Entry,
    send_timeout: Duration,
    /// Armed while a write is blocked; disarmed when a write makes progress.
    blocked: Option<Pin<Box<Sleep>>>,
}

impl<S> Counted<S> {
    /// Wraps `inner`, counting into `entry`; a write blocked for
    /// `send_timeout` fails with [`io::ErrorKind::TimedOut`].
    pub fn new(inner: S, entry: Entry, send_timeout: Duration) -> Counted<S> {
        Counted {
            inner,
            entry,
            send_timeout,
            blocked: None,
        }
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

    /// Records a write's progress; a write still blocked after
    /// `send_timeout` becomes an error.
    fn wrote(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match &polled {
            Poll::Ready(Ok(n)) => {
                self.blocked = None;
                if *n > 0 {
                    self.entry.stats().record_write(*n, Instant::now());
                }
                polled
            }
            Poll::Ready(Err(_)) => polled,
            Poll::Pending => {
                let send_timeout = self.send_timeout;
                let timer = self
                    .blocked
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(send_timeout)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("the client read nothing for {send_timeout:?} (send_timeout)"),
                    ))),
                    Poll::Pending => Poll::Pending,
                }
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
        self.wrote(cx, polled)
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
        self.wrote(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
