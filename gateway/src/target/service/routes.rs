//! The state shared by a gateway's service targets and its broker link:
//! connections act on it directly (register, unregister, submit), and the
//! link calls it for every message from the broker ([`Deliver`]). One
//! `std::sync::Mutex` guards it; every critical section is a few map
//! operations and one non-blocking channel send, so on the gateway's usual
//! single thread it is never contended, and nothing ever waits while
//! holding it.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use scale0_broker::idmap::IdMap;
use scale0_broker::link::{Deliver, Delivery, FromBroker, ToBroker};
use scale0_broker::protocol::ServiceName;
use tokio::sync::mpsc;

use crate::target::conns::ConnTable;
use crate::target::{Registration, SendError, ToConn};

/// The routing state of one broker link; see the module docs.
#[derive(Default)]
pub struct Routes {
    state: Mutex<State>,
}

impl std::fmt::Debug for Routes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routes").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct State {
    conns: ConnTable,
    /// The link's channel; `None` before [`Routes::open`] and after
    /// [`Routes::close`].
    to_broker: Option<mpsc::Sender<ToBroker>>,
    /// The last request id given; ids start at 1 and are never reused.
    last_request: u64,
    by_request: IdMap<u64, u64>,
    by_conn: IdMap<u64, u64>,
}

/// One submit, as a handle passes it in.
pub(super) struct Submit<'a> {
    pub(super) conn_id: u64,
    pub(super) service: &'a ServiceName,
    pub(super) payload: Bytes,
    pub(super) deadline: Duration,
    pub(super) idempotent: bool,
}

impl Routes {
    /// Empty routes, to hand to a link as its sink before the link exists.
    pub fn new() -> std::sync::Arc<Routes> {
        std::sync::Arc::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; should it ever, the maps are
        // still consistent enough to keep serving.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn open(&self, to_broker: mpsc::Sender<ToBroker>) {
        self.lock().to_broker = Some(to_broker);
    }

    /// Drops the link's sender: submits fail with `Stopped` from now on.
    pub(super) fn close(&self) {
        let sender = self.lock().to_broker.take();
        drop(sender);
    }

    pub(super) fn slow_drops(&self) -> u64 {
        self.lock().conns.slow_drops()
    }

    pub(super) fn register(&self, conn_id: u64, registration: Registration) -> bool {
        let mut state = self.lock();
        if state.to_broker.is_none() {
            return false;
        }
        state.conns.register(conn_id, registration);
        true
    }

    pub(super) fn unregister(&self, conn_id: u64, notify: bool) -> bool {
        let mut state = self.lock();
        state.conns.remove(conn_id);
        let Some(request) = state.by_conn.remove(&conn_id) else {
            return state.to_broker.is_some();
        };
        state.by_request.remove(&request);
        let Some(to_broker) = &state.to_broker else {
            return false;
        };
        if notify && to_broker.try_send(ToBroker::Cancel { request }).is_err() {
            tracing::warn!(conn_id, "broker link full; cancel not sent");
        }
        true
    }

    /// Numbers the request, hands it to the link without waiting and
    /// remembers whose it is — under the lock, so a FAIL for it cannot be
    /// routed before it is known.
    pub(super) fn submit(&self, submit: Submit<'_>) -> Result<(), SendError> {
        let mut state = self.lock();
        let request = state.last_request.saturating_add(1);
        let Some(to_broker) = &state.to_broker else {
            return Err(SendError::Stopped);
        };
        let message = ToBroker::Submit {
            request,
            service: submit.service.clone(),
            payload: submit.payload,
            deadline: submit.deadline,
            idempotent: submit.idempotent,
        };
        match to_broker.try_send(message) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                drop(state);
                tracing::warn!(conn_id = submit.conn_id, "broker link full; shedding");
                return Err(SendError::Overloaded);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(SendError::Stopped),
        }
        state.last_request = request;
        if let Some(old) = state.by_conn.insert(submit.conn_id, request) {
            state.by_request.remove(&old);
        }
        state.by_request.insert(request, submit.conn_id);
        Ok(())
    }
}

/// Called by the broker's loop or the link task for each message; never
/// blocks: a connection whose queue is full is dropped (counted), not waited
/// for.
impl Deliver for Routes {
    fn deliver(&self, message: FromBroker) -> Delivery {
        match message {
            FromBroker::Reply(frame) => {
                let routed = self.lock().conns.route(&frame);
                match routed {
                    Ok(unknown) if !unknown.is_empty() => {
                        tracing::debug!(?unknown, "reply for conn ids no longer connected");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("dropped malformed reply from a worker: {e}"),
                }
            }
            FromBroker::Fail {
                request,
                status,
                retry_after,
                reason,
            } => {
                let mut state = self.lock();
                let Some(conn_id) = state.by_request.remove(&request) else {
                    return Delivery::Taken;
                };
                state.by_conn.remove(&conn_id);
                let fail = ToConn::Fail {
                    status,
                    retry_after,
                };
                state.conns.deliver(conn_id, fail);
                drop(state);
                tracing::info!(conn_id, status, %reason, "broker failed the request");
            }
            FromBroker::Up => tracing::info!("broker link up"),
            FromBroker::Down => tracing::warn!("broker link down"),
        }
        Delivery::Taken
    }
}
