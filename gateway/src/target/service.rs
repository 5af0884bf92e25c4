//! Service targets: requests go to the broker, which gives each to the
//! least-recently-used free worker of the service; replies (Mongrel2 reply
//! messages from the workers) come back over the same link.
//!
//! All service targets of a gateway share one link to the broker (conn ids
//! are per gateway), owned by one task: it numbers requests, keeps which
//! request belongs to which conn id (to cancel it when the client leaves and
//! to fail the right connection when the broker gives up), and routes replies
//! through a [`ConnTable`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use scale0_broker::link::{FromBroker, ToBroker};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::conns::ConnTable;
use super::{enqueue, Registration, SendError, SendInfo, Ticket, ToConn};

/// Commands connections can queue for the link task before they must wait.
pub const COMMAND_QUEUE: usize = 4096;

/// Settings of one service target.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Target name, for logs.
    pub name: String,
    /// The service workers announce.
    pub service: String,
    /// The gateway's sender id (the UUID field of its requests).
    pub sender_id: String,
}

/// How connections reach a service target.
#[derive(Debug, Clone)]
pub struct Handle {
    commands: mpsc::Sender<Command>,
    /// The target's index in the config.
    pub index: usize,
    /// The target's settings.
    pub settings: Arc<Settings>,
}

/// The shared link task, from which service target handles are made.
#[derive(Debug, Clone)]
pub struct Shared {
    commands: mpsc::Sender<Command>,
}

enum Command {
    Register {
        conn_id: u64,
        registration: Registration,
    },
    Unregister {
        conn_id: u64,
        notify: bool,
    },
    Submit {
        conn_id: u64,
        service: String,
        frame: Vec<u8>,
        deadline: Duration,
        idempotent: bool,
        sent: oneshot::Sender<()>,
    },
}

impl Shared {
    /// A handle for the service target `index` with `settings`.
    pub fn target(&self, index: usize, settings: Settings) -> Handle {
        Handle {
            commands: self.commands.clone(),
            index,
            settings: Arc::new(settings),
        }
    }
}

impl Handle {
    /// Registers `conn_id` so replies for it reach `registration`.
    pub async fn register(&self, conn_id: u64, registration: Registration) -> bool {
        self.commands
            .send(Command::Register {
                conn_id,
                registration,
            })
            .await
            .is_ok()
    }

    /// Forgets `conn_id`; with `notify`, its request in flight is cancelled
    /// (the worker gets the Mongrel2 disconnect notice). Never waits.
    pub fn unregister(&self, conn_id: u64, notify: bool) -> bool {
        self.commands
            .try_send(Command::Unregister { conn_id, notify })
            .is_ok()
    }

    /// Submits a request message to the broker; the ticket resolves once
    /// the link took it (the broker answers a FAIL if no worker does).
    pub async fn submit(
        &self,
        conn_id: u64,
        frame: Vec<u8>,
        deadline: Instant,
        info: SendInfo,
    ) -> Result<Ticket, SendError> {
        let (sent, ticket) = oneshot::channel();
        let command = Command::Submit {
            conn_id,
            service: self.settings.service.clone(),
            frame,
            deadline: deadline.saturating_duration_since(Instant::now()),
            idempotent: info.idempotent,
            sent,
        };
        enqueue(&self.commands, command, deadline).await?;
        Ok(ticket)
    }
}

/// Starts the task that owns the link to the broker.
pub fn spawn(
    link: scale0_broker::link::Link,
    tracker: &tokio_util::task::TaskTracker,
    shutdown: CancellationToken,
) -> Shared {
    let (to_broker, from_broker) = link.split();
    let (commands, rx) = mpsc::channel(COMMAND_QUEUE);
    let task = Task {
        conns: ConnTable::default(),
        to_broker,
        next_request: 1,
        by_request: HashMap::new(),
        by_conn: HashMap::new(),
    };
    tracker.spawn(task.run(rx, from_broker, shutdown));
    Shared { commands }
}

struct Task {
    conns: ConnTable,
    to_broker: mpsc::Sender<ToBroker>,
    next_request: u64,
    by_request: HashMap<u64, u64>,
    by_conn: HashMap<u64, u64>,
}

impl Task {
    async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut from_broker: mpsc::Receiver<FromBroker>,
        shutdown: CancellationToken,
    ) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                command = commands.recv() => match command {
                    Some(command) => self.on_command(command),
                    None => break,
                },
                message = from_broker.recv() => match message {
                    Some(message) => self.on_broker(message),
                    None => {
                        tracing::warn!("broker link closed");
                        break;
                    }
                },
            }
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Register {
                conn_id,
                registration,
            } => self.conns.register(conn_id, registration),
            Command::Unregister { conn_id, notify } => {
                self.conns.remove(conn_id);
                if let Some(request) = self.by_conn.remove(&conn_id) {
                    self.by_request.remove(&request);
                    if notify
                        && self
                            .to_broker
                            .try_send(ToBroker::Cancel { request })
                            .is_err()
                    {
                        tracing::warn!(conn_id, "broker link full; cancel not sent");
                    }
                }
            }
            Command::Submit {
                conn_id,
                service,
                frame,
                deadline,
                idempotent,
                sent,
            } => {
                let request = self.next_request;
                self.next_request += 1;
                let submit = ToBroker::Submit {
                    request,
                    service,
                    payload: Bytes::from(frame),
                    deadline,
                    idempotent,
                };
                if self.to_broker.try_send(submit).is_err() {
                    tracing::warn!(conn_id, "broker link full; shedding");
                    return; // dropping `sent` tells the requester: overloaded
                }
                if let Some(old) = self.by_conn.insert(conn_id, request) {
                    self.by_request.remove(&old);
                }
                self.by_request.insert(request, conn_id);
                let _requester_may_be_gone = sent.send(());
            }
        }
    }

    fn on_broker(&mut self, message: FromBroker) {
        match message {
            FromBroker::Reply(frame) => match self.conns.route(&frame) {
                Ok(unknown) if !unknown.is_empty() => {
                    tracing::debug!(?unknown, "reply for conn ids no longer connected");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!("dropped malformed reply from a worker: {e}"),
            },
            FromBroker::Fail {
                request,
                status,
                retry_after,
                reason,
            } => {
                let Some(conn_id) = self.by_request.remove(&request) else {
                    return;
                };
                self.by_conn.remove(&conn_id);
                tracing::info!(conn_id, status, %reason, "broker failed the request");
                self.conns.deliver(
                    conn_id,
                    ToConn::Fail {
                        status,
                        retry_after,
                    },
                );
            }
            FromBroker::Up => tracing::info!("broker link up"),
            FromBroker::Down => tracing::warn!("broker link down"),
        }
    }
}
