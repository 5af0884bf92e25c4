//! Sans-IO parser for the raw HTTP/1.x responses a Mongrel2 handler writes to one client
//! connection.
//!
//! Mongrel2 forwards reply bodies to the client verbatim; Scale0 instead parses them so it can
//! re-frame them for hyper (HTTP/1.1 or h2), answer 502 when a handler writes nonsense, and
//! keep pipelined responses in order. The gateway tells the [`Parser`] which responses to
//! expect ([`Parser::expect`], one per forwarded request, in order), [`Parser::feed`]s it the
//! body of every reply message for the connection in arrival order — split anywhere: a head
//! may span messages and one message may end one response and start the next — and calls
//! [`Parser::finish`] when the handler sends the empty (close) message. Out come [`Event`]s.
//!
//! Every size a handler controls is capped by a named [`Limits`] field, and every malformed
//! input is a typed [`Error`] (the gateway maps them all to 502); after an error the parser
//! stays failed and returns the same error.
//!
//! ```
//! use scale0_gateway::http_reply::{Event, Limits, Parser, RequestInfo};
//!
//! let mut parser = Parser::new(Limits::default());
//! let mut events = Vec::new();
//! parser.expect(RequestInfo::default(), &mut events)?;
//! parser.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", &mut events)?;
//! parser.feed(b"lo\r\n0\r\n\r\n", &mut events)?;
//! assert!(matches!(&events[0], Event::Head(head) if head.status == 200));
//! assert_eq!(events[1..], [Event::Body("hel".into()), Event::Body("lo".into()), Event::End]);
//! # Ok::<(), scale0_gateway::http_reply::Error>(())
//! ```

mod chunked;
mod head;
mod parser;
#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]
mod tests;
#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]
mod tests_hostile;

use bytes::Bytes;

pub use head::ResponseHead;
pub use parser::Parser;

/// Caps on what a handler can make the parser hold; [`Limits::default`] has the documented
/// defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest response head (status line + fields + blank line); also caps a trailer section.
    pub max_head_bytes: usize,
    /// Most header fields in one head.
    pub max_headers: usize,
    /// Most hex digits in a chunk size (16 covers every `u64`).
    pub max_chunk_size_digits: usize,
    /// Longest chunk extension (`;name=value` after a chunk size), which is skipped.
    pub max_chunk_extension_bytes: usize,
    /// Most bytes held while no response is expected (a handler running ahead of requests).
    pub max_unexpected_bytes: usize,
    /// Most responses awaited at once (pipelining depth).
    pub max_pending: usize,
}

impl Limits {
    /// Default [`Limits::max_head_bytes`]: 64 KiB, as large as any sane response head.
    pub const MAX_HEAD_BYTES: usize = 64 * 1024;
    /// Default [`Limits::max_headers`].
    pub const MAX_HEADERS: usize = 100;
    /// Default [`Limits::max_chunk_size_digits`].
    pub const MAX_CHUNK_SIZE_DIGITS: usize = 16;
    /// Default [`Limits::max_chunk_extension_bytes`].
    pub const MAX_CHUNK_EXTENSION_BYTES: usize = 4 * 1024;
    /// Default [`Limits::max_unexpected_bytes`].
    pub const MAX_UNEXPECTED_BYTES: usize = 64 * 1024;
    /// Default [`Limits::max_pending`].
    pub const MAX_PENDING: usize = 64;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_head_bytes: Self::MAX_HEAD_BYTES,
            max_headers: Self::MAX_HEADERS,
            max_chunk_size_digits: Self::MAX_CHUNK_SIZE_DIGITS,
            max_chunk_extension_bytes: Self::MAX_CHUNK_EXTENSION_BYTES,
            max_unexpected_bytes: Self::MAX_UNEXPECTED_BYTES,
            max_pending: Self::MAX_PENDING,
        }
    }
}

/// What the parser must know about a forwarded request to frame its response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestInfo {
    /// The request was `HEAD`: its response has no body whatever its headers say.
    pub head_method: bool,
}

/// One step of a response, in order: zero or more `Informational`, then `Head`, any number of
/// `Body`, `End`; or `Upgrade` followed by raw `Body` bytes until the connection closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An interim 1xx response (100 Continue, 103 Early Hints); the final one follows.
    Informational(ResponseHead),
    /// The head of a final response.
    Head(ResponseHead),
    /// Body bytes (de-chunked), or raw stream bytes after [`Event::Upgrade`]; never empty.
    Body(Bytes),
    /// The current response (or upgraded stream) is complete.
    End,
    /// 101 Switching Protocols: every later byte is passed through as [`Event::Body`].
    Upgrade(ResponseHead),
}

/// Why a handler's reply bytes cannot be a valid response; the gateway answers 502.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The response head is longer than [`Limits::max_head_bytes`].
    #[error("response head exceeds {limit} bytes")]
    HeadTooLarge {
        /// The cap in force.
        limit: usize,
    },
    /// The head has more header fields than [`Limits::max_headers`].
    #[error("response head has more than {limit} header fields")]
    TooManyHeaders {
        /// The cap in force.
        limit: usize,
    },
    /// The status line is not `HTTP/1.x NNN reason`.
    #[error("malformed status line: {reason}")]
    BadStatusLine {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A header field line is malformed.
    #[error("malformed header field: {reason}")]
    BadHeader {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A `Content-Length` value is not a decimal number of at most 19 digits.
    #[error("invalid Content-Length value")]
    BadContentLength,
    /// The body length is ambiguous (differing `Content-Length`s, or one beside chunking).
    #[error("conflicting body framing: {reason}")]
    ConflictingLength {
        /// Which headers conflict.
        reason: &'static str,
    },
    /// `chunked` appears in `Transfer-Encoding` but not as the last coding.
    #[error("Transfer-Encoding has chunked before another coding")]
    BadTransferEncoding,
    /// The chunked body is malformed.
    #[error("malformed chunked body: {reason}")]
    BadChunk {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The handler closed the connection in the middle of a response head.
    #[error("handler closed the connection inside a response head")]
    TruncatedHead,
    /// The handler closed the connection before the body was complete.
    #[error("handler closed the connection inside a response body")]
    TruncatedBody,
    /// More than [`Limits::max_unexpected_bytes`] arrived with no response expected, or bytes
    /// were left over when the handler closed.
    #[error("handler sent bytes with no request awaiting a response (cap {limit})")]
    UnexpectedBytes {
        /// The cap in force.
        limit: usize,
    },
    /// [`Parser::expect`] would exceed [`Limits::max_pending`].
    #[error("more than {limit} responses awaited on one connection")]
    TooManyPending {
        /// The cap in force.
        limit: usize,
    },
    /// Bytes were fed after [`Parser::finish`].
    #[error("reply bytes arrived after the handler closed the connection")]
    AfterClose,
}
