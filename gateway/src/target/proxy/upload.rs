//! The client's request body on its way upstream, streamed frame by frame
//! (never held whole), with the route's `max_body_bytes` counted on the
//! stream and its `idle_timeout` between frames. Either failure ends the
//! stream with an [`Error`] the proxy finds again in the client's error chain.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use super::progress::{self, Reporter, Watcher};

/// Why the request body stream was cut.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// More bytes arrived than the route's `max_body_bytes` (413).
    #[error("request body exceeds max_body_bytes ({limit} bytes)")]
    TooLarge {
        /// The route's limit.
        limit: u64,
    },
    /// The client sent nothing for `idle_timeout` mid-body (408).
    #[error("request body idle for {0:?}")]
    Idle(Duration),
    /// The client's connection failed mid-body.
    #[error("reading the request body: {0}")]
    Client(String),
}

/// A request body capped at `limit` bytes and `idle` silence between frames.
#[derive(Debug)]
pub struct Capped<B> {
    inner: B,
    limit: u64,
    received: u64,
    idle: Duration,
    /// Started at the first poll (the upstream connection exists by then), so
    /// connecting does not count as client silence.
    timer: Option<Pin<Box<Sleep>>>,
    /// Tells the proxy who the body is waiting for.
    progress: Reporter,
}

impl<B: Body> Capped<B> {
    /// Wraps `inner`; the idle timer starts when the body is first polled.
    /// The watcher follows the upload (see [`progress`]).
    pub fn new(inner: B, limit: u64, idle: Duration) -> (Capped<B>, Watcher) {
        let (progress, watcher) = progress::channel();
        if inner.is_end_stream() {
            progress.sent();
        }
        let capped = Capped {
            inner,
            limit,
            received: 0,
            idle,
            timer: None,
            progress,
        };
        (capped, watcher)
    }
}

impl<B> Body for Capped<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let len = u64::try_from(data.len()).unwrap_or(u64::MAX);
                    this.received = this.received.saturating_add(len);
                    if this.received > this.limit {
                        return Poll::Ready(Some(Err(Error::TooLarge { limit: this.limit })));
                    }
                }
                if let Some(timer) = this.timer.as_mut() {
                    timer.as_mut().reset(Instant::now() + this.idle);
                }
                if this.inner.is_end_stream() {
                    this.progress.sent();
                } else {
                    this.progress.frame();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Error::Client(e.to_string())))),
            Poll::Ready(None) => {
                this.progress.sent();
                Poll::Ready(None)
            }
            Poll::Pending => {
                this.progress.client();
                let idle = this.idle;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Error::Idle(idle)))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The upload error somewhere in `error`'s source chain, if the upstream
/// request failed because of the client's body.
pub fn find<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Error> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<Error>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use std::convert::Infallible;
    use tokio::sync::mpsc;

    /// A body fed by the test, one frame per send.
    struct Fed(mpsc::Receiver<Bytes>);

    impl Body for Fed {
        type Data = Bytes;
        type Error = Infallible;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            self.0.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
        }
    }

    fn fed(limit: u64, idle: Duration) -> (mpsc::Sender<Bytes>, Capped<Fed>) {
        let (tx, rx) = mpsc::channel(8);
        (tx, Capped::new(Fed(rx), limit, idle).0)
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_within_the_limit_passes_unchanged() {
        let (tx, body) = fed(10, Duration::from_secs(1));
        tx.send(Bytes::from_static(b"hello")).await.unwrap();
        tx.send(Bytes::from_static(b"world")).await.unwrap();
        drop(tx);
        let all = body.collect().await.unwrap().to_bytes();
        assert_eq!(&all[..], b"helloworld");
    }

    #[tokio::test(start_paused = true)]
    async fn one_byte_over_the_limit_cuts_the_stream() {
        let (tx, mut body) = fed(10, Duration::from_secs(1));
        tx.send(Bytes::from_static(b"0123456789")).await.unwrap();
        tx.send(Bytes::from_static(b"!")).await.unwrap();
        assert!(body.frame().await.unwrap().is_ok());
        let err = body.frame().await.unwrap().unwrap_err();
        assert!(matches!(err, Error::TooLarge { limit: 10 }), "{err:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn time_before_the_first_poll_is_not_client_silence() {
        let (tx, mut body) = fed(10, Duration::from_secs(2));
        tokio::time::sleep(Duration::from_secs(5)).await;
        let waiting = tokio::time::timeout(Duration::from_secs(1), body.frame()).await;
        assert!(waiting.is_err(), "still waiting, not cut: {waiting:?}");
        tx.send(Bytes::from_static(b"late")).await.unwrap();
        assert!(body.frame().await.unwrap().is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_silent_past_the_idle_timeout_is_cut() {
        let (tx, mut body) = fed(10, Duration::from_secs(2));
        tx.send(Bytes::from_static(b"a")).await.unwrap();
        assert!(body.frame().await.unwrap().is_ok());
        let started = Instant::now();
        let err = body.frame().await.unwrap().unwrap_err();
        assert!(matches!(err, Error::Idle(_)), "{err:?}");
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        drop(tx);
    }

    #[tokio::test(start_paused = true)]
    async fn the_watcher_follows_the_upload() {
        let (tx, rx) = mpsc::channel(8);
        let (mut body, watcher) = Capped::new(Fed(rx), 10, Duration::from_secs(1));
        assert_eq!(*watcher.borrow(), progress::Phase::Client);
        tx.send(Bytes::from_static(b"a")).await.unwrap();
        assert!(body.frame().await.unwrap().is_ok());
        assert_eq!(*watcher.borrow(), progress::Phase::Upstream(0));
        drop(tx);
        assert!(body.frame().await.is_none());
        assert_eq!(*watcher.borrow(), progress::Phase::Sent);
        let (_, watcher) = Capped::new(
            http_body_util::Empty::<Bytes>::new(),
            10,
            Duration::from_secs(1),
        );
        assert_eq!(
            *watcher.borrow(),
            progress::Phase::Sent,
            "an empty body is sent at once"
        );
    }

    #[test]
    fn the_upload_error_is_found_under_wrappers() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] Error);
        let outer = Outer(Error::TooLarge { limit: 3 });
        assert!(matches!(find(&outer), Some(Error::TooLarge { limit: 3 })));
        let other = std::io::Error::other("x");
        assert!(find(&other).is_none());
    }
}
