//! The gateway's side of the gateway↔broker link, whether the broker runs in the same process
//! ([`Broker::embedded_link_to`](crate::runtime::Broker::embedded_link_to): a bounded tokio channel
//! straight into the broker's loop, no ZeroMQ hop) or apart ([`connect_to`]: a task owning a DEALER that
//! speaks S0G/1 to the broker's gateway ROUTER). So the gateway is written once.
//!
//! The gateway sends [`ToBroker`] (SUBMIT a Mongrel2 request message for a service, CANCEL it) into the
//! link's bounded channel ([`Submitter`]) and receives [`FromBroker`] — the workers' Mongrel2 replies for
//! its conn ids, FAILs with an HTTP status, and `Up`/`Down` as the broker comes and goes — through a
//! [`Deliver`] sink it hands to the link, which the broker's loop (embedded) or the link task
//! (standalone) calls synchronously for each message: no task of the gateway sits between the broker and
//! the connections, so a reply costs no extra wake-up. For tools and tests that read everything in one
//! task, [`Broker::embedded_link`](crate::runtime::Broker::embedded_link) and [`connect`] give a
//! [`Link`] whose sink is a bounded channel.
//!
//! Contract, for both kinds of link:
//!
//! * every `Submit` ends in replies for its conn id, or a `Fail` (possibly after replies, when the worker
//!   died mid-stream: close the client connection if its response is incomplete);
//! * after `Down`, requests still awaiting their first reply are failed by the link itself: the standalone
//!   link delivers `Fail` 502 `broker-lost` for each request it handed to the broker and heard nothing
//!   about, except the idempotent ones still within their deadlines, which it parks and submits again
//!   once a broker answers (they get their replies after the next `Up`, or `Fail` 502 `broker-lost` at
//!   their deadline if no broker answers by then; a `Cancel` drops one); a submit while the link is not
//!   up (before the first `Up`, after a `Down`) or that the socket cannot take gets `Fail` 503
//!   `broker-unreachable` at once; an embedded broker fails everything through its engine when it stops
//!   (503 for queued requests, 502 for held ones) before `Down`;
//! * a `Fail` may name a request the gateway no longer waits for (e.g. a late FAIL after a `Down`): ignore
//!   it;
//! * the sink is called from the broker's (or the link's) task and must never block nor wait on the
//!   gateway: it drops what it cannot take and says so ([`Delivery`]). The broker counts an embedded
//!   link's drops (`gateway_full_drops`) and treats [`Delivery::Gone`] as the gateway disconnecting; the
//!   standalone link logs drops and ends on `Gone`. A gateway routing replies to per-connection channels
//!   drops the slow connection, not the message stream of the others.

mod outstanding;
mod sink;
mod task;
#[cfg(test)]
mod tests;

use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::protocol::{self, validate_sender_id, ServiceName};
use crate::zmq_async::{self, Hwm};

pub(crate) use outstanding::Outstanding;
pub use sink::{Deliver, Delivery, Sink};

/// What a gateway asks of the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToBroker {
    /// Serve this request with a worker of `service`.
    Submit {
        /// The gateway's id for the request, never reused for the life of the gateway.
        request: u64,
        /// Target service (validated once, when the gateway's config is read; shared, so a submit
        /// copies no name).
        service: ServiceName,
        /// The Mongrel2 request message; its sender field is the link's sender id.
        payload: Bytes,
        /// Time allowed until the first reply; zero means the broker's default.
        deadline: Duration,
        /// Safe to re-dispatch to another worker if its worker dies before replying.
        idempotent: bool,
    },
    /// The client went away or a gateway-side timeout fired.
    Cancel {
        /// The id from `Submit`.
        request: u64,
    },
}

/// What the broker (or the link itself) tells a gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromBroker {
    /// A Mongrel2 reply message for one or more of this gateway's conn ids, as the worker sent it.
    Reply(Bytes),
    /// The request will get no (more) replies: answer the client with `status` if nothing was sent yet.
    Fail {
        /// The id from `Submit`.
        request: u64,
        /// 502, 503 or 504.
        status: u16,
        /// Value for Retry-After (503); zero when none.
        retry_after: Duration,
        /// Why, for logs and metrics: a S0G/1 reason token, or `broker-lost`, `broker-unreachable`,
        /// `link-overloaded` from the link itself.
        reason: String,
    },
    /// The broker is reachable (again): submits will be served.
    Up,
    /// The broker is gone (silent for liveness × interval, said DISCONNECT, or, on the native transport,
    /// the connection to it dropped); see the module docs.
    Down,
}

/// Reason of the 502 a standalone link gives each request it handed over when the broker goes silent.
pub const REASON_BROKER_LOST: &str = "broker-lost";
/// Reason of the 503 for a submit the link could not hand to the broker at all.
pub const REASON_BROKER_UNREACHABLE: &str = "broker-unreachable";
/// Reason of the 503 for a submit beyond [`LinkSettings::max_outstanding`].
pub const REASON_LINK_OVERLOADED: &str = "link-overloaded";

/// The gateway's sending half of a link: a bounded sender of [`ToBroker`] (clone it for each task that
/// submits), plus the standalone link's task. Dropping every sender ends the link (a standalone link
/// says DISCONNECT to the broker first).
#[derive(Debug)]
pub struct Submitter {
    tx: mpsc::Sender<ToBroker>,
    task: Option<JoinHandle<()>>,
}

impl Submitter {
    pub(crate) fn new(tx: mpsc::Sender<ToBroker>, task: Option<JoinHandle<()>>) -> Self {
        Submitter { tx, task }
    }

    /// The sender and the standalone link's task (none for an embedded link), so a gateway shutting down
    /// can wait for the DISCONNECT to be sent after dropping the sender.
    pub fn into_parts(self) -> (mpsc::Sender<ToBroker>, Option<JoinHandle<()>>) {
        (self.tx, self.task)
    }
}

/// A link whose sink is a bounded channel of [`FromBroker`], for a gateway (a tool, a test) that reads
/// every delivery in one task. What does not fit in the channel is dropped (see the module docs).
#[derive(Debug)]
pub struct Link {
    submitter: Submitter,
    rx: mpsc::Receiver<FromBroker>,
}

impl Link {
    /// A channel of `queue` messages (at least 1) to be the sink of a link, and its receiving end.
    pub(crate) fn channel(queue: usize) -> (Sink, mpsc::Receiver<FromBroker>) {
        let (tx, rx) = mpsc::channel(queue.max(1));
        (std::sync::Arc::new(tx), rx)
    }

    pub(crate) fn new(submitter: Submitter, rx: mpsc::Receiver<FromBroker>) -> Self {
        Link { submitter, rx }
    }

    /// The two halves, for a gateway that submits from many tasks (clone the sender) and reads replies in
    /// one. Dropping the sender ends the link (a standalone link says DISCONNECT to the broker first).
    pub fn split(self) -> (mpsc::Sender<ToBroker>, mpsc::Receiver<FromBroker>) {
        (self.submitter.tx, self.rx)
    }

    /// Like [`Link::split`], plus the standalone link's task (none for an embedded link), so a gateway
    /// shutting down can wait for the DISCONNECT to be sent after dropping the sender.
    pub fn into_parts(
        self,
    ) -> (
        mpsc::Sender<ToBroker>,
        mpsc::Receiver<FromBroker>,
        Option<JoinHandle<()>>,
    ) {
        (self.submitter.tx, self.rx, self.submitter.task)
    }
}

/// Tunables of a standalone link. The heartbeat timing must match the broker's (`engine::Config`), since
/// S0G/1 heartbeats carry none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSettings {
    /// How often the link heartbeats the broker; also the unit of liveness. Default 1 s (the spec's).
    pub heartbeat_interval: Duration,
    /// Intervals of broker silence after which the link reports `Down`. Default 3.
    pub liveness: u32,
    /// Capacity of the channel of submits and cancels to the link (and of the receiving channel of a
    /// [`Link`]). Default 1024.
    pub queue: usize,
    /// Most requests awaiting their first reply; one more gets 503 `link-overloaded`. Default 65536.
    pub max_outstanding: usize,
    /// Retry-After of the 503s the link gives itself. Default 1 s.
    pub retry_after: Duration,
    /// High-water mark of the DEALER, both ways. Default 10 000 messages.
    pub hwm: Hwm,
    /// What carries the DEALER: Scale0's own ZMTP (the default) or libzmq.
    pub transport: crate::runtime::Transport,
}

impl Default for LinkSettings {
    fn default() -> Self {
        LinkSettings {
            heartbeat_interval: Duration::from_secs(1),
            liveness: 3,
            queue: 1024,
            max_outstanding: 1 << 16,
            retry_after: Duration::from_secs(1),
            hwm: crate::runtime::sockets::hwm(crate::runtime::sockets::GATEWAY_HWM),
            transport: crate::runtime::Transport::default(),
        }
    }
}

impl LinkSettings {
    /// Broker silence after which the link is `Down`: `liveness × heartbeat_interval`.
    pub fn timeout(&self) -> Duration {
        self.heartbeat_interval.saturating_mul(self.liveness)
    }

    fn validate(&self) -> Result<(), Error> {
        let bad = |field| Err(Error::Settings { field });
        if self.heartbeat_interval.is_zero() {
            return bad("heartbeat_interval");
        }
        if self.liveness == 0 {
            return bad("liveness");
        }
        if self.queue == 0 {
            return bad("queue");
        }
        if self.max_outstanding == 0 {
            return bad("max_outstanding");
        }
        Ok(())
    }
}

/// Why a link could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The sender id is not a valid S0G/1 sender id (1–128 bytes of `A–Z a–z 0–9 -`).
    #[error("sender id {sender_id:?}: {source}")]
    SenderId {
        /// The sender id given.
        sender_id: String,
        /// What is wrong with it.
        #[source]
        source: protocol::Error,
    },
    /// A setting is zero where it must not be.
    #[error("link setting {field} must not be zero")]
    Settings {
        /// The field at fault.
        field: &'static str,
    },
    /// The DEALER could not be opened or connected (the endpoint is named inside).
    #[error("gateway link socket: {0}")]
    Socket(#[from] zmq_async::Error),
}

/// Checks a sender id for a link.
pub(crate) fn checked_sender_id(sender_id: &str) -> Result<Bytes, Error> {
    validate_sender_id(sender_id.as_bytes()).map_err(|source| Error::SenderId {
        sender_id: sender_id.to_owned(),
        source,
    })?;
    Ok(Bytes::copy_from_slice(sender_id.as_bytes()))
}

/// Connects a standalone gateway to the broker's gateway endpoint: a DEALER whose routing identity is
/// `sender_id`, owned by a spawned task that heartbeats the broker, reports `Up`/`Down`, fails the
/// requests a silent broker took with it (or one whose connection dropped: a crashed or restarted broker,
/// noticed at once on the native transport), and reconnects (a fresh socket each liveness period) until
/// the broker answers again. Everything for the gateway goes to `sink`, called from the task. The link is
/// not up until the broker answers its first HEARTBEAT (a broker answers a new gateway at once): wait
/// for `Up`, since submits before it get 503.
///
/// Must be called inside a tokio runtime. The task ends when the gateway drops its sender (it then
/// says DISCONNECT) or the sink says the gateway is [`Delivery::Gone`].
pub async fn connect_to(
    endpoint: &str,
    sender_id: &str,
    settings: LinkSettings,
    sink: Sink,
) -> Result<Submitter, Error> {
    settings.validate()?;
    let sender_id = checked_sender_id(sender_id)?;
    let (to_broker, from_gateway) = mpsc::channel(settings.queue);
    let task = task::Task::open(endpoint, sender_id, settings, from_gateway, sink)?;
    let handle = tokio::spawn(task.run());
    Ok(Submitter::new(to_broker, Some(handle)))
}

/// [`connect_to`] with a channel of [`LinkSettings::queue`] messages as the sink.
pub async fn connect(
    endpoint: &str,
    sender_id: &str,
    settings: LinkSettings,
) -> Result<Link, Error> {
    let (sink, rx) = Link::channel(settings.queue);
    let submitter = connect_to(endpoint, sender_id, settings, sink).await?;
    Ok(Link::new(submitter, rx))
}
