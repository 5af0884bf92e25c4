//! A request body made of given frames, for tests of the upload paths.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::Frame;

/// Yields its frames one per poll, then ends.
#[derive(Debug, Default)]
pub struct Frames(VecDeque<Bytes>);

impl Frames {
    /// A body of these data frames.
    pub fn new(parts: &[&'static [u8]]) -> Frames {
        Frames(parts.iter().map(|p| Bytes::from_static(p)).collect())
    }
}

impl hyper::body::Body for Frames {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(self.get_mut().0.pop_front().map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }
}
