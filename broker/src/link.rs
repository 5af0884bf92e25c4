//! The gateway's side of the gateway↔broker link (placeholder written by the
//! lead so the gateway builds; the broker I/O engineer replaces this file).

use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;

/// What a gateway sends the broker.
#[derive(Debug)]
pub enum ToBroker {
    /// A request for a service.
    Submit {
        /// The gateway's id for the request.
        request: u64,
        /// The service.
        service: String,
        /// The Mongrel2 request message.
        payload: Bytes,
        /// Time left to the first reply.
        deadline: Duration,
        /// May be re-dispatched if its worker dies before replying.
        idempotent: bool,
    },
    /// The client went away.
    Cancel {
        /// The gateway's id for the request.
        request: u64,
    },
}

/// What the broker sends a gateway.
#[derive(Debug)]
pub enum FromBroker {
    /// A Mongrel2 reply message for one of the gateway's conn ids.
    Reply(Bytes),
    /// The broker gave up on a request.
    Fail {
        /// The gateway's id for the request.
        request: u64,
        /// 502, 503 or 504.
        status: u16,
        /// For 503.
        retry_after: Duration,
        /// Why.
        reason: String,
    },
    /// The broker is reachable.
    Up,
    /// The broker went silent.
    Down,
}

/// Heartbeat settings of a standalone link.
#[derive(Debug, Clone, Default)]
pub struct LinkSettings {
    /// How often heartbeats flow.
    pub heartbeat_interval: Duration,
    /// Intervals of silence before the broker counts as dead.
    pub liveness: u32,
}

/// Both directions of a link.
#[derive(Debug)]
pub struct Link {
    tx: mpsc::Sender<ToBroker>,
    rx: mpsc::Receiver<FromBroker>,
}

impl Link {
    /// The two halves.
    pub fn split(self) -> (mpsc::Sender<ToBroker>, mpsc::Receiver<FromBroker>) {
        (self.tx, self.rx)
    }
}

/// Connects to a standalone broker (not built yet).
pub async fn connect(
    endpoint: &str,
    _sender_id: &str,
    _settings: LinkSettings,
) -> Result<Link, std::io::Error> {
    Err(std::io::Error::other(format!(
        "standalone broker link to {endpoint} is not built yet"
    )))
}
