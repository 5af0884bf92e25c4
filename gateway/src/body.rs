//! The response body type: either a complete buffer (errors, small replies) or
//! a bounded channel fed by the task that parses a handler's reply stream.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use tokio::sync::mpsc;

use crate::idle::Busy;

/// Error ending a streamed body early (the handler went away, a deadline
/// passed, the reply was malformed); hyper then aborts the response.
#[derive(Debug, thiserror::Error)]
#[error("response body aborted: {0}")]
pub struct Aborted(pub String);

/// Pieces sent into a streamed body.
pub type Chunk = Result<Bytes, Aborted>;

/// A response body; it may hold its connection's [`Busy`] mark, so the
/// connection counts as idle only once the body is written or dropped.
#[derive(Debug)]
pub struct Body {
    kind: Kind,
    busy: Option<Busy>,
}

#[derive(Debug)]
enum Kind {
    /// All bytes known up front (or none).
    Full(Option<Bytes>),
    /// Bytes arriving over a bounded channel; the body ends when the sender is
    /// dropped, or fails when it sends an error.
    Stream(mpsc::Receiver<Chunk>),
}

impl Body {
    /// A body of exactly these bytes.
    pub fn full(bytes: impl Into<Bytes>) -> Body {
        let bytes = bytes.into();
        Body::from_kind(Kind::Full((!bytes.is_empty()).then_some(bytes)))
    }

    /// An empty body.
    pub fn empty() -> Body {
        Body::from_kind(Kind::Full(None))
    }

    /// A streamed body and the sender that feeds it; `capacity` bounds how many
    /// chunks wait for a slow client before the sender has to wait.
    pub fn channel(capacity: usize) -> (mpsc::Sender<Chunk>, Body) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (tx, Body::from_kind(Kind::Stream(rx)))
    }

    /// Keeps the connection busy until this body is done.
    pub fn hold(mut self, busy: Busy) -> Body {
        self.busy = Some(busy);
        self
    }

    fn from_kind(kind: Kind) -> Body {
        Body { kind, busy: None }
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = Aborted;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Aborted>>> {
        let this = self.get_mut();
        let polled = match &mut this.kind {
            Kind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Kind::Stream(rx) => rx
                .poll_recv(cx)
                .map(|chunk| chunk.map(|c| c.map(Frame::data))),
        };
        if let Poll::Ready(None) = polled {
            this.busy = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.kind, Kind::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Kind::Full(None) => SizeHint::with_exact(0),
            Kind::Stream(_) => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use hyper::body::Body as _;

    #[tokio::test]
    async fn full_body_yields_its_bytes_once() {
        let body = Body::full("hello");
        assert_eq!(body.size_hint().exact(), Some(5));
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"hello");
    }

    #[tokio::test]
    async fn streamed_body_ends_when_the_sender_is_dropped() {
        let (tx, body) = Body::channel(4);
        tx.send(Ok(Bytes::from_static(b"a"))).await.unwrap();
        tx.send(Ok(Bytes::from_static(b"b"))).await.unwrap();
        drop(tx);
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"ab");
    }

    #[tokio::test]
    async fn streamed_body_fails_when_the_sender_aborts() {
        let (tx, body) = Body::channel(4);
        tx.send(Err(Aborted("deadline".into()))).await.unwrap();
        assert!(body.collect().await.is_err());
    }
}
