//! The broker's I/O loop (placeholder written by the lead so the gateway
//! builds; the broker I/O engineer replaces this file).

use tokio_util::sync::CancellationToken;

use crate::engine;
use crate::link::Link;

/// Where the broker binds.
#[derive(Debug, Clone)]
pub struct Settings {
    /// ROUTER for workers.
    pub workers: String,
    /// ROUTER for standalone gateways.
    pub gateways: Option<String>,
    /// REP for `scale0 ctl`.
    pub control: Option<String>,
    /// The engine's settings.
    pub engine: engine::Config,
}

/// A bound broker.
#[derive(Debug)]
pub struct Broker;

impl Broker {
    /// Binds everything (not built yet).
    pub async fn bind(settings: Settings) -> Result<Broker, std::io::Error> {
        Err(std::io::Error::other(format!(
            "the broker runtime (workers at {}) is not built yet",
            settings.workers
        )))
    }

    /// An in-process gateway link.
    pub fn embedded_link(&mut self, _sender_id: &str, _queue: usize) -> Link {
        unreachable!("Broker::bind never succeeds in this placeholder")
    }

    /// Runs until shutdown.
    pub async fn run(self, _shutdown: CancellationToken) {}
}
