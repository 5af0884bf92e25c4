//! Every way a request can fail, classified once, and the one function that
//! turns a failure into the response the client gets (STYLE.md §8).
//!
//! Client faults are 4xx, upstream faults 502/504, overload 503 with
//! `Retry-After`, our own bugs 500. Each response has a short plain-text body
//! naming what happened, so an operator reading `curl -i` knows whose fault it is.

use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};

use crate::body::Body;

/// Why a request could not be served normally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The request was malformed (400).
    BadRequest(&'static str),
    /// The request has an `Expect` other than `100-continue` (417).
    ExpectationFailed,
    /// The client did not send its body in time (408).
    RequestTimeout,
    /// No route for the host and path (404).
    NoRoute,
    /// The route's target does not serve this kind of request yet (501).
    NotImplemented(&'static str),
    /// The request body is larger than the route allows (413).
    BodyTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The request head is larger than the listener allows (431).
    HeadTooLarge,
    /// No handler took the request before its deadline (503).
    NoHandler {
        /// Suggested wait before retrying.
        retry_after: Duration,
    },
    /// A queue was full or the gateway is at a configured limit (503).
    Overloaded {
        /// Suggested wait before retrying.
        retry_after: Duration,
    },
    /// The handler took the request but did not answer in time (504).
    ReplyTimeout,
    /// The handler answered with something that is not a valid HTTP response (502).
    BadReply(String),
    /// The handler or worker went away before answering (502).
    UpstreamGone,
    /// A bug or resource failure on our side (500).
    Internal(String),
}

impl Failure {
    /// The status code the client gets.
    pub fn status(&self) -> StatusCode {
        match self {
            Failure::BadRequest(_) => StatusCode::BAD_REQUEST,
            Failure::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Failure::ExpectationFailed => StatusCode::EXPECTATION_FAILED,
            Failure::NoRoute => StatusCode::NOT_FOUND,
            Failure::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
            Failure::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Failure::HeadTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Failure::NoHandler { .. } | Failure::Overloaded { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Failure::ReplyTimeout => StatusCode::GATEWAY_TIMEOUT,
            Failure::BadReply(_) | Failure::UpstreamGone => StatusCode::BAD_GATEWAY,
            Failure::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Whose fault it was, for logs and metrics.
    pub fn fault(&self) -> Fault {
        match self {
            Failure::BadRequest(_)
            | Failure::RequestTimeout
            | Failure::ExpectationFailed
            | Failure::NoRoute
            | Failure::BodyTooLarge { .. }
            | Failure::HeadTooLarge => Fault::Client,
            Failure::NotImplemented(_) | Failure::Internal(_) => Fault::Gateway,
            Failure::NoHandler { .. } | Failure::Overloaded { .. } => Fault::Overload,
            Failure::ReplyTimeout | Failure::BadReply(_) | Failure::UpstreamGone => Fault::Upstream,
        }
    }

    /// The text of the response body (one line).
    pub fn message(&self) -> String {
        match self {
            Failure::BadRequest(why) => format!("Bad Request: {why}"),
            Failure::RequestTimeout => "Request Timeout: the body did not arrive in time".into(),
            Failure::ExpectationFailed => {
                "Expectation Failed: only 100-continue is supported".into()
            }
            Failure::NoRoute => "Not Found".into(),
            Failure::NotImplemented(what) => format!("Not Implemented: {what}"),
            Failure::BodyTooLarge { limit } => {
                format!("Payload Too Large: the body exceeds {limit} bytes")
            }
            Failure::HeadTooLarge => "Request Header Fields Too Large".into(),
            Failure::NoHandler { .. } => {
                "Service Unavailable: no handler took the request in time".into()
            }
            Failure::Overloaded { .. } => "Service Unavailable: overloaded".into(),
            Failure::ReplyTimeout => "Gateway Timeout: the handler did not answer in time".into(),
            Failure::BadReply(_) => "Bad Gateway: the handler sent an invalid response".into(),
            Failure::UpstreamGone => "Bad Gateway: the handler went away".into(),
            Failure::Internal(_) => "Internal Server Error".into(),
        }
    }

    /// The response the client gets for this failure.
    pub fn response(&self) -> Response<Body> {
        let text = Bytes::from(format!("{}\n", self.message()));
        let mut response = Response::new(Body::full(text.clone()));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(text.len()));
        if let Failure::NoHandler { retry_after } | Failure::Overloaded { retry_after } = self {
            // Whole seconds, rounded up, never 0 (docs/config.md).
            let secs = retry_after.as_millis().div_ceil(1000).max(1);
            let secs = u64::try_from(secs).unwrap_or(u64::MAX);
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.fault() == Fault::Client {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// Whose fault a failure was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The client sent something we refuse.
    Client,
    /// The handler or worker misbehaved or is slow.
    Upstream,
    /// No capacity right now; retrying later may work.
    Overload,
    /// Our own fault.
    Gateway,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overload_answers_503_with_retry_after_in_whole_seconds() {
        let r = Failure::NoHandler {
            retry_after: Duration::from_millis(1500),
        }
        .response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "2", "rounded up");
        let r = Failure::Overloaded {
            retry_after: Duration::from_millis(10),
        }
        .response();
        assert_eq!(
            r.headers()[header::RETRY_AFTER],
            "1",
            "never Retry-After: 0"
        );
    }

    #[test]
    fn client_faults_close_the_connection_and_upstream_faults_do_not() {
        assert_eq!(
            Failure::BodyTooLarge { limit: 10 }.response().headers()[header::CONNECTION],
            "close"
        );
        assert!(Failure::ReplyTimeout
            .response()
            .headers()
            .get(header::CONNECTION)
            .is_none());
    }

    #[test]
    fn every_failure_has_a_body_with_its_length() {
        for f in [
            Failure::BadRequest("x"),
            Failure::NoRoute,
            Failure::HeadTooLarge,
            Failure::ReplyTimeout,
            Failure::BadReply("x".into()),
            Failure::UpstreamGone,
            Failure::Internal("x".into()),
        ] {
            let r = f.response();
            let len: usize = r.headers()[header::CONTENT_LENGTH]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(len, f.message().len() + 1, "{f:?}");
        }
    }
}
