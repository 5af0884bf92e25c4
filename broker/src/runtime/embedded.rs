//! The broker's side of embedded gateway links: per link, the receiver of its [`ToBroker`] channel and
//! the gateway's [`Deliver`](crate::link::Deliver) sink, called right here in the broker's loop for each
//! [`FromBroker`]; looked up by sender id when an action names a gateway.

use std::collections::HashMap;
use std::task::Poll;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::link::{Delivery, FromBroker, Sink, Submitter, ToBroker};

/// One in-process gateway.
struct Gateway {
    id: Bytes,
    rx: mpsc::Receiver<ToBroker>,
    sink: Sink,
    /// Cleared when the gateway dropped its sender or its sink said it is gone.
    open: bool,
}

/// What a non-waiting receive found.
pub(super) enum Received {
    /// A message.
    Message(ToBroker),
    /// Nothing queued.
    Empty,
    /// The gateway dropped its sender (or the link is closed).
    Closed,
}

/// All embedded links of one broker.
#[derive(Default)]
pub(super) struct Embedded {
    links: Vec<Gateway>,
    by_id: HashMap<Bytes, usize>,
}

impl Embedded {
    /// Adds (or replaces) the link of `id`: a channel of `queue` submits and cancels, deliveries to
    /// `sink`.
    pub(super) fn add(&mut self, id: &[u8], queue: usize, sink: Sink) -> Submitter {
        let (to_broker, rx) = mpsc::channel(queue);
        let gateway = Gateway {
            id: Bytes::copy_from_slice(id),
            rx,
            sink,
            open: true,
        };
        match self.by_id.get(id) {
            Some(&index) => self.links[index] = gateway,
            None => {
                self.by_id.insert(gateway.id.clone(), self.links.len());
                self.links.push(gateway);
            }
        }
        Submitter::new(to_broker, None)
    }

    /// Number of links (open or closed); indexes are `0..len()`.
    pub(super) fn len(&self) -> usize {
        self.links.len()
    }

    /// The link of sender id `id`, if it is embedded.
    pub(super) fn find(&self, id: &[u8]) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Whether link `index` is still open.
    pub(super) fn is_open(&self, index: usize) -> bool {
        self.links.get(index).is_some_and(|g| g.open)
    }

    /// The sender id of link `index`.
    pub(super) fn id(&self, index: usize) -> Bytes {
        self.links
            .get(index)
            .map(|g| g.id.clone())
            .unwrap_or_default()
    }

    /// Hands a message to the sink of link `index`, which never waits.
    pub(super) fn deliver(&mut self, index: usize, message: FromBroker) -> Delivery {
        let Some(gateway) = self.links.get_mut(index).filter(|g| g.open) else {
            return Delivery::Gone;
        };
        let delivery = gateway.sink.deliver(message);
        if delivery == Delivery::Gone {
            gateway.open = false;
        }
        delivery
    }

    /// Takes one message from link `index` without waiting.
    pub(super) fn try_recv(&mut self, index: usize) -> Received {
        let Some(gateway) = self.links.get_mut(index).filter(|g| g.open) else {
            return Received::Closed;
        };
        match gateway.rx.try_recv() {
            Ok(message) => Received::Message(message),
            Err(mpsc::error::TryRecvError::Empty) => Received::Empty,
            Err(mpsc::error::TryRecvError::Disconnected) => {
                gateway.open = false;
                Received::Closed
            }
        }
    }

    /// Marks link `index` closed (its gateway dropped a half); it is no longer polled.
    pub(super) fn close(&mut self, index: usize) {
        if let Some(gateway) = self.links.get_mut(index) {
            gateway.open = false;
        }
    }

    /// Waits for a message from any open link: its index and the message, or `None` when that link's
    /// sender was dropped. Never resolves while no link is open.
    ///
    /// Cancel-safe: a message is taken only in the poll that returns it.
    pub(super) async fn recv(&mut self) -> (usize, Option<ToBroker>) {
        std::future::poll_fn(|cx| {
            for (index, gateway) in self.links.iter_mut().enumerate() {
                if !gateway.open {
                    continue;
                }
                if let Poll::Ready(message) = gateway.rx.poll_recv(cx) {
                    return Poll::Ready((index, message));
                }
            }
            Poll::Pending
        })
        .await
    }
}
