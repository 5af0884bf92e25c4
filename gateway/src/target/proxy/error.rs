//! How a proxied request fails: the client's fault (answered through
//! [`Failure`]) or the upstream's (502/504, answered here with a body that
//! says whose fault it was, without naming the upstream's address).

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use std::time::Duration;

use super::progress::Late;
use crate::body::Body;
use crate::failure::Failure;

/// Why a request was not proxied normally.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client's fault (413, 408, 400, 501): answered by [`Failure`].
    #[error("refused: {}", .0.message())]
    Client(Failure),
    /// No connection to the upstream (refused, unresolvable, connect timeout): 502.
    #[error("target {target}: upstream unreachable: {why}")]
    Unreachable {
        /// The target's name.
        target: String,
        /// The connect error chain.
        why: String,
    },
    /// No response head within the route's `reply_timeout` of the body being
    /// sent, or the upstream took no body bytes for its `idle_timeout`: 504.
    #[error("target {target}: upstream late ({late:?}) by {after:?}")]
    Timeout {
        /// The target's name.
        target: String,
        /// The deadline that passed.
        after: Duration,
        /// Which one.
        late: Late,
    },
    /// The upstream closed or sent something that is not an HTTP response: 502.
    #[error("target {target}: upstream failed: {why}")]
    Failed {
        /// The target's name.
        target: String,
        /// What went wrong.
        why: String,
    },
}

impl Error {
    /// The response for an upstream fault: 502 or 504 with a one-line body
    /// naming whose fault it was (not the upstream's address).
    pub fn response(&self) -> Response<Body> {
        let (status, text) = match self {
            Error::Client(failure) => return failure.response(),
            Error::Unreachable { .. } => (
                StatusCode::BAD_GATEWAY,
                "Bad Gateway: the upstream is unreachable\n",
            ),
            Error::Timeout { .. } => (
                StatusCode::GATEWAY_TIMEOUT,
                "Gateway Timeout: the upstream did not answer in time\n",
            ),
            Error::Failed { .. } => (
                StatusCode::BAD_GATEWAY,
                "Bad Gateway: the upstream did not send a valid response\n",
            ),
        };
        let mut response = Response::new(Body::full(Bytes::from_static(text.as_bytes())));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(text.len()));
        response
    }
}

/// The target's `url` has no host (config validation rules this out).
#[derive(Debug, thiserror::Error)]
#[error("target {0}: url has no host")]
pub struct NoHost(pub String);
