//! [`Error`]: every way a worker call can fail, each naming what is at fault.

use crate::protocol;

use super::SettingsError;

/// Why a worker call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A [`Settings`](super::Settings) field is out of range.
    #[error("invalid worker settings: {0}")]
    Settings(#[from] SettingsError),
    /// A service name breaks the protocol's rules (charset, length).
    #[error("service {name:?} cannot be announced: {source}")]
    Service {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        #[source]
        source: protocol::Error,
    },
    /// No services, or more than one READY can carry.
    #[error("{count} services given; 1..={max} allowed")]
    ServiceCount {
        /// How many were given.
        count: usize,
        /// The protocol's cap.
        max: usize,
    },
    /// The same service named twice.
    #[error("service {name:?} given twice")]
    DuplicateService {
        /// The repeated name.
        name: String,
    },
    /// Capacity outside what READY can announce.
    #[error("capacity {capacity} outside 1..={max}")]
    Capacity {
        /// The capacity given.
        capacity: u32,
        /// The protocol's cap.
        max: u32,
    },
    /// A libzmq call failed; `op` names it.
    #[error("zmq {op}: {source}")]
    Zmq {
        /// The operation.
        op: &'static str,
        /// libzmq's error.
        #[source]
        source: zmq::Error,
    },
    /// The broker endpoint was refused by libzmq (syntax, unknown transport).
    #[error("cannot connect to broker endpoint {endpoint:?}: {source}")]
    Endpoint {
        /// The endpoint.
        endpoint: String,
        /// libzmq's error.
        #[source]
        source: zmq::Error,
    },
    /// The socketpair that wakes the I/O thread could not be created.
    #[error("creating the I/O thread's wake socketpair: {0}")]
    Wake(#[source] std::io::Error),
    /// The I/O thread could not be started.
    #[error("starting the worker's I/O thread: {0}")]
    Spawn(#[source] std::io::Error),
    /// The job's registration was abandoned (broker silent or DISCONNECT): the broker has already failed
    /// or re-dispatched the request, so replying is pointless.
    #[error("the job was abandoned: the broker has failed or re-dispatched it")]
    Abandoned,
    /// The worker has stopped (shut down, or its I/O thread failed).
    #[error("the worker has stopped")]
    Stopped,
    /// [`Worker::shutdown`](super::Worker::shutdown)'s grace period elapsed with requests
    /// unfinished; the broker fails or retries them.
    #[error("shutdown grace elapsed with {abandoned} request(s) unfinished")]
    GraceElapsed {
        /// Requests held when the worker gave up.
        abandoned: usize,
    },
    /// A WebSocket frame could not be built (e.g. a control frame over 125 bytes).
    #[error("websocket frame: {0}")]
    WebSocket(#[from] mongrel2_compat::websocket::Error),
}
