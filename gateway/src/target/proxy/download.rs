//! The upstream's response body on its way to the client: a task copies its
//! frames into a bounded [`Body::channel`], so at most [`CHUNKS`] frames wait
//! for a slow client and the upstream is paced by the client. Silence from
//! the upstream longer than the route's `idle_timeout`, an upstream error or
//! shutdown aborts the client's response (never a silently truncated body).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::body::{Aborted, Body, Chunk};

/// Frames buffered between the upstream and a slow client, at most.
pub const CHUNKS: usize = 16;

/// A client body fed from `upstream` by a task on `tracker`.
pub fn stream<B>(
    upstream: B,
    idle: Duration,
    tracker: &tokio_util::task::TaskTracker,
    shutdown: CancellationToken,
) -> Body
where
    B: hyper::body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display,
{
    if upstream.is_end_stream() {
        return Body::empty();
    }
    let (tx, body) = Body::channel(CHUNKS);
    tracker.spawn(pump(upstream, tx, idle, shutdown));
    body
}

/// Copies frames until the upstream body ends, fails or goes idle, or the
/// client goes away (the receiver is dropped). Trailers are dropped.
async fn pump<B>(
    mut upstream: B,
    tx: mpsc::Sender<Chunk>,
    idle: Duration,
    shutdown: CancellationToken,
) where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    loop {
        let next = tokio::select! {
            _ = shutdown.cancelled() => Err(Aborted("gateway shutting down".into())),
            _ = tx.closed() => return,
            next = tokio::time::timeout(idle, upstream.frame()) => match next {
                Err(_) => Err(Aborted(format!("upstream idle for {idle:?}"))),
                Ok(None) => return,
                Ok(Some(Err(e))) => Err(Aborted(format!("upstream body: {e}"))),
                Ok(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => Ok(data),
                    Err(_trailers) => continue,
                },
            },
        };
        let failed = next.is_err();
        if let Err(Aborted(why)) = &next {
            tracing::debug!("proxied response aborted: {why}");
        }
        if tx.send(next).await.is_err() || failed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use hyper::body::Frame;
    use tokio_util::task::TaskTracker;

    struct Fed(mpsc::Receiver<Bytes>);

    impl hyper::body::Body for Fed {
        type Data = Bytes;
        type Error = Infallible;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            self.0.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
        }
    }

    /// A client body streamed from an upstream body the test feeds through `tx`.
    fn fed(idle: Duration, tracker: &TaskTracker) -> (mpsc::Sender<Bytes>, Body) {
        let (tx, rx) = mpsc::channel(4);
        (tx, stream(Fed(rx), idle, tracker, CancellationToken::new()))
    }

    #[tokio::test(start_paused = true)]
    async fn the_upstream_body_reaches_the_client_in_order() {
        let tracker = TaskTracker::new();
        let (tx, body) = fed(Duration::from_secs(5), &tracker);
        tx.send(Bytes::from_static(b"one ")).await.unwrap();
        tx.send(Bytes::from_static(b"two")).await.unwrap();
        drop(tx);
        let all = body.collect().await.unwrap().to_bytes();
        assert_eq!(&all[..], b"one two");
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_upstream_aborts_the_response_instead_of_truncating_it() {
        let tracker = TaskTracker::new();
        let (tx, body) = fed(Duration::from_secs(5), &tracker);
        tx.send(Bytes::from_static(b"partial")).await.unwrap();
        assert!(body.collect().await.is_err());
        drop(tx);
    }

    #[tokio::test(start_paused = true)]
    async fn a_departed_client_stops_the_pump() {
        let tracker = TaskTracker::new();
        let (tx, body) = fed(Duration::from_secs(3600), &tracker);
        drop(body);
        tracker.close();
        tracker.wait().await;
        assert!(tx.is_closed(), "the upstream body was dropped");
    }
}
