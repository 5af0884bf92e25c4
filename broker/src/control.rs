//! The broker's control socket and `scale0 ctl`: JSON requests on a REP socket the broker binds
//! ([`Settings::control`](crate::runtime::Settings::control)), answered by the broker's own loop, so a
//! status is a consistent snapshot and an operator action happens between two events, never during one.
//!
//! Wire format, one frame each way:
//!
//! ```text
//! → {"command":"status"}
//! → {"command":"drain","worker":"w-1"}
//! → {"command":"kick","worker":"w-1"}
//! → {"command":"reconnect","worker":"w-1","endpoint":"tcp://10.0.0.7:5560"}
//! ← {"ok":true,"result":{…}}          or   {"ok":false,"error":"no registered worker with identity \"w-9\""}
//! ```
//!
//! Worker identities are shown as text when they are printable ASCII, else as `0x` and lowercase hex
//! (ZeroMQ's generated identities start with a zero byte); commands accept either form. The `status`
//! result lists services (workers, ready slots, queue depth, oldest wait), workers (services, capacity,
//! in flight, time since last heard, draining), gateways, the number of requests tracked, the engine's
//! counters and the I/O layer's ([`IoCounters`](crate::runtime::IoCounters)); [`render_status`] turns it
//! into the table `scale0 ctl status` prints.

mod json;
mod render;
pub(crate) mod server;
#[cfg(test)]
mod tests;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use render::render_status;

/// A request to the broker's control socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "lowercase")]
pub enum Command {
    /// Services, workers, queues and counters.
    Status,
    /// Stop giving the worker new requests; what it holds finishes.
    Drain {
        /// Worker identity (text, or `0x` hex).
        worker: String,
    },
    /// Disconnect the worker now; what it held fails or is retried as if it died.
    Kick {
        /// Worker identity (text, or `0x` hex).
        worker: String,
    },
    /// Tell the worker to finish what it holds and move to another broker.
    Reconnect {
        /// Worker identity (text, or `0x` hex).
        worker: String,
        /// Where it should connect.
        endpoint: String,
    },
}

/// How long [`query`] waits for the broker, each way.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest answer [`query`] accepts (a status of thousands of workers fits easily).
pub const MAX_ANSWER_BYTES: i64 = 16 * 1024 * 1024;

/// Why a control query failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A libzmq call failed; `op` names it.
    #[error("control socket {op} {endpoint:?}: {source}")]
    Zmq {
        /// The control endpoint.
        endpoint: String,
        /// The libzmq operation.
        op: &'static str,
        /// libzmq's error.
        #[source]
        source: zmq::Error,
    },
    /// The broker did not answer in time (not running, or not at this endpoint).
    #[error("no answer from the broker's control socket at {endpoint} within {timeout:?}")]
    Timeout {
        /// The control endpoint.
        endpoint: String,
        /// The time waited.
        timeout: Duration,
    },
    /// The answer was not the JSON this module speaks.
    #[error("malformed answer from the broker: {0}")]
    Answer(String),
    /// The broker understood and refused the command (unknown worker, bad endpoint...).
    #[error("broker refused: {0}")]
    Refused(String),
}

/// Sends one command to the control socket at `endpoint` and returns the `result` of a successful
/// answer. Blocking (for the CLI), bounded by [`QUERY_TIMEOUT`] each way.
pub fn query(endpoint: &str, command: &Command) -> Result<serde_json::Value, Error> {
    let zmq_error = |op| {
        move |source| Error::Zmq {
            endpoint: endpoint.to_owned(),
            op,
            source,
        }
    };
    let timeout = || Error::Timeout {
        endpoint: endpoint.to_owned(),
        timeout: QUERY_TIMEOUT,
    };
    let millis = i32::try_from(QUERY_TIMEOUT.as_millis()).unwrap_or(i32::MAX);
    let ctx = zmq::Context::new();
    let socket = ctx.socket(zmq::REQ).map_err(zmq_error("socket"))?;
    socket
        .set_linger(0)
        .map_err(zmq_error("setsockopt ZMQ_LINGER"))?;
    socket
        .set_rcvtimeo(millis)
        .map_err(zmq_error("setsockopt ZMQ_RCVTIMEO"))?;
    socket
        .set_sndtimeo(millis)
        .map_err(zmq_error("setsockopt ZMQ_SNDTIMEO"))?;
    socket
        .set_maxmsgsize(MAX_ANSWER_BYTES)
        .map_err(zmq_error("setsockopt ZMQ_MAXMSGSIZE"))?;
    socket.connect(endpoint).map_err(zmq_error("connect"))?;
    let request = serde_json::to_vec(command).map_err(|e| Error::Answer(e.to_string()))?;
    match socket.send(request, 0) {
        Err(zmq::Error::EAGAIN) => return Err(timeout()),
        other => other.map_err(zmq_error("send"))?,
    }
    let answer = match socket.recv_bytes(0) {
        Err(zmq::Error::EAGAIN) => return Err(timeout()),
        other => other.map_err(zmq_error("recv"))?,
    };
    server::parse_answer(&answer)
}
