//! The receiving side of a link: the [`Deliver`] sink the broker's loop or the link task calls for each
//! [`FromBroker`], so no task of the gateway stands between the broker and the connections.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::FromBroker;

/// Where a link hands what the broker (or the link itself) says; see the module docs.
pub trait Deliver: Send + Sync + 'static {
    /// Takes one message without blocking, from the broker's loop or the link task; whatever the sink
    /// cannot take it drops, and says so.
    fn deliver(&self, message: FromBroker) -> Delivery;
}

/// What became of one delivery, so the broker can count drops and notice a gateway that went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The sink took the message (it may still drop it for one slow connection, counted on its side).
    Taken,
    /// The sink was full: the message was dropped.
    Full,
    /// The gateway is gone (it dropped its receiver): the message was dropped, and the link may end.
    Gone,
}

/// A shared sink, as the links keep it.
pub type Sink = Arc<dyn Deliver>;

/// The channel sink of [`Link`](super::Link): never waits; a full channel drops the message.
impl Deliver for mpsc::Sender<FromBroker> {
    fn deliver(&self, message: FromBroker) -> Delivery {
        match self.try_send(message) {
            Ok(()) => Delivery::Taken,
            Err(mpsc::error::TrySendError::Full(_)) => Delivery::Full,
            Err(mpsc::error::TrySendError::Closed(_)) => Delivery::Gone,
        }
    }
}
