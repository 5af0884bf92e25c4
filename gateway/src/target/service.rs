//! Service targets: requests go to the broker, which gives each to the
//! least-recently-used free worker of the service; replies (Mongrel2 reply
//! messages from the workers) come back over the same link.
//!
//! All service targets of a gateway share one link to the broker (conn ids
//! are per gateway) and one [`Routes`]: the request numbering, which request
//! belongs to which conn id (to cancel it when the client leaves and to fail
//! the right connection when the broker gives up) and the [`ConnTable`]
//! replies are routed through. No task sits in between: connections submit
//! straight into the link's channel, and the broker's loop (embedded) or the
//! link task (standalone) hands each reply to [`Routes`], which routes it to
//! the connection's channel at once. Every hop between tasks is a wake-up,
//! the largest cost per request on a small machine.
//!
//! [`ConnTable`]: super::conns::ConnTable

mod routes;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use bytes::Bytes;
use scale0_broker::link::ToBroker;
use scale0_broker::protocol::ServiceName;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{Registration, SendError, SendInfo, Ticket};
pub use routes::Routes;

/// Settings of one service target.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Target name, for logs.
    pub name: String,
    /// The service workers announce.
    pub service: ServiceName,
    /// The gateway's sender id (the UUID field of its requests).
    pub sender_id: String,
}

/// How connections reach a service target.
#[derive(Debug, Clone)]
pub struct Handle {
    routes: Arc<Routes>,
    /// The target's index in the config.
    pub index: usize,
    /// The target's settings.
    pub settings: Arc<Settings>,
}

/// The gateway's end of its broker link, from which service target handles
/// are made.
#[derive(Debug, Clone)]
pub struct Shared {
    routes: Arc<Routes>,
}

impl Shared {
    /// Starts submitting through `to_broker`, the sending half of a link whose
    /// sink is `routes`. On `shutdown` a standalone link (`link_task`) is
    /// closed, so it says DISCONNECT, and the tracker waits for it; an
    /// embedded link stays open so the broker, stopped by the same token, can
    /// drain and fail what is left through `routes`.
    pub fn start(
        routes: Arc<Routes>,
        to_broker: mpsc::Sender<ToBroker>,
        link_task: Option<JoinHandle<()>>,
        tracker: &TaskTracker,
        shutdown: CancellationToken,
    ) -> Shared {
        routes.open(to_broker);
        if let Some(task) = link_task {
            let closing = routes.clone();
            tracker.spawn(async move {
                shutdown.cancelled().await;
                closing.close();
                if let Err(error) = task.await {
                    tracing::warn!(%error, "broker link task failed");
                }
            });
        }
        Shared { routes }
    }

    /// A handle for the service target `index` with `settings`.
    pub fn target(&self, index: usize, settings: Settings) -> Handle {
        Handle {
            routes: self.routes.clone(),
            index,
            settings: Arc::new(settings),
        }
    }

    /// Connections dropped because their reply queue was full when the
    /// broker handed over a reply (the client was too slow), for tests and
    /// metrics.
    pub fn slow_drops(&self) -> u64 {
        self.routes.slow_drops()
    }
}

impl Handle {
    /// Registers `conn_id` so replies for it reach `registration`; false once
    /// the link is closed.
    pub async fn register(&self, conn_id: u64, registration: Registration) -> bool {
        self.routes.register(conn_id, registration)
    }

    /// Forgets `conn_id`; with `notify`, its request in flight is cancelled
    /// (the worker gets the Mongrel2 disconnect notice). Never waits.
    pub fn unregister(&self, conn_id: u64, notify: bool) -> bool {
        self.routes.unregister(conn_id, notify)
    }

    /// Submits a request message to the broker's link without waiting (the
    /// broker answers a FAIL if no worker does). The ticket is resolved at
    /// once; a full link sheds the request with [`SendError::Overloaded`], a
    /// closed one says [`SendError::Stopped`].
    pub async fn submit(
        &self,
        conn_id: u64,
        frame: Vec<u8>,
        deadline: Instant,
        info: SendInfo,
    ) -> Result<Ticket, SendError> {
        let submit = routes::Submit {
            conn_id,
            service: &self.settings.service,
            payload: Bytes::from(frame),
            deadline: deadline.saturating_duration_since(Instant::now()),
            idempotent: info.idempotent,
        };
        self.routes.submit(submit)?;
        Ok(Ticket::sent())
    }
}
