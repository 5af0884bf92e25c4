//! A DEALER: connects to one ROUTER and keeps connecting.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::conn::{self, In, Incoming, Out};
use super::{Endpoint, Limits, Received, SendError, RECONNECT_INTERVAL};

/// A connecting DEALER; see the [module docs](super). Dropping it closes the connection.
///
/// Unlike libzmq's, it tells its owner when a connection that was up is lost
/// ([`Received::Disconnected`], with no frames, after that connection's last message): the peer has lost
/// whatever it held for this socket. Once the owner has taken that report it reconnects by itself,
/// keeping what is queued; not before, so an owner that replaces the socket on a loss (the gateway's
/// link, which fails or parks what it had handed over) never has the old one reach a broker that came
/// back, however late it runs.
pub struct Dealer {
    shared: Arc<Shared>,
    stop: CancellationToken,
}

struct Shared {
    inbox: Mutex<VecDeque<Incoming>>,
    input: Notify,
    inbound: In,
    out: Out,
    /// The owner took a [`Received::Disconnected`]: the connection may be opened again.
    loss_taken: Notify,
    limits: Limits,
    /// Handshakes completed, for logs and tests.
    connections: AtomicU64,
}

fn lock(shared: &Shared) -> MutexGuard<'_, VecDeque<Incoming>> {
    shared.inbox.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Dealer {
    /// Starts connecting to `endpoint` (inside a tokio runtime) with routing identity `identity` (empty:
    /// the ROUTER picks one). Sends queue until the connection is up.
    pub fn connect(endpoint: Endpoint, identity: Bytes, mut limits: Limits) -> io::Result<Dealer> {
        limits.hwm = limits.hwm.max(1);
        let runtime = super::runtime()?;
        let shared = Arc::new(Shared {
            inbox: Mutex::new(VecDeque::new()),
            input: Notify::new(),
            inbound: In::default(),
            out: Out::default(),
            loss_taken: Notify::new(),
            limits,
            connections: AtomicU64::new(0),
        });
        let stop = CancellationToken::new();
        runtime.spawn(run(endpoint, identity, shared.clone(), stop.clone()));
        Ok(Dealer { shared, stop })
    }

    /// Takes the next message into `frames` without waiting.
    pub fn try_recv(&self, frames: &mut Vec<Bytes>) -> Received {
        frames.clear();
        let Some(incoming) = lock(&self.shared).pop_front() else {
            return Received::Empty;
        };
        self.shared.inbound.taken(self.shared.limits.hwm);
        let received = incoming.into_frames(frames);
        if received == Received::Disconnected {
            self.shared.loss_taken.notify_one();
        }
        received
    }

    /// Whether a message is waiting.
    pub fn has_input(&self) -> bool {
        !lock(&self.shared).is_empty()
    }

    /// Waits until a message is waiting (at once if one is).
    pub async fn readable(&self) {
        conn::input_ready(&self.shared.input, || self.has_input()).await;
    }

    /// Queues one message; [`SendError::Full`] when [`Limits::hwm`] are waiting.
    pub fn try_send(&self, frames: &[Bytes]) -> Result<(), SendError> {
        self.shared.out.push(frames, self.shared.limits.hwm)
    }

    /// Closes the connection at once, discarding what was queued: for messages meant for a peer that is
    /// gone (a dropped `Dealer` instead writes them for up to [`super::LINGER`]).
    pub fn abandon(self) {
        self.shared.out.discard();
        self.stop.cancel();
    }

    /// Connections established so far.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }
}

impl Drop for Dealer {
    /// The connection writes what was queued for up to [`super::LINGER`], then closes.
    fn drop(&mut self) {
        self.shared.out.close();
        super::linger_then_cancel(self.stop.clone());
    }
}

async fn run(endpoint: Endpoint, identity: Bytes, shared: Arc<Shared>, stop: CancellationToken) {
    loop {
        let established = tokio::select! {
            () = stop.cancelled() => return,
            established = session(&endpoint, &identity, &shared, &stop) => established,
        };
        if shared.out.is_closed() {
            return;
        }
        if established {
            // After the connection's last message: the owner learns that the peer lost whatever it
            // held for this connection.
            shared.inbound.added();
            conn::hand_over(&mut lock(&shared), Incoming::Lost, &shared.input);
            tokio::select! {
                () = stop.cancelled() => return,
                () = shared.loss_taken.notified() => {}
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(RECONNECT_INTERVAL) => {}
        }
        // A socket closed meanwhile lingers on its connection only; it opens no new one.
        if shared.out.is_closed() {
            return;
        }
    }
}

/// One connection, from connect to close; whether its handshake completed.
async fn session(
    endpoint: &Endpoint,
    identity: &Bytes,
    shared: &Shared,
    stop: &CancellationToken,
) -> bool {
    let (mut read, mut write) = match conn::connect(endpoint).await {
        Ok(halves) => halves,
        Err(error) => {
            tracing::trace!(%error, "zmtp connect failed");
            return false;
        }
    };
    let limits = shared.limits;
    let handshake = conn::handshake(
        &mut read,
        &mut write,
        "DEALER",
        false,
        Some(identity),
        limits,
    )
    .await;
    let buf = match handshake {
        Ok((_, buf)) => buf,
        Err(error) => {
            tracing::info!(%error, "zmtp handshake with the broker failed");
            return false;
        }
    };
    shared.connections.fetch_add(1, Ordering::Relaxed);
    let mut deliver =
        |incoming: Incoming| conn::hand_over(&mut lock(shared), incoming, &shared.input);
    let ended = conn::run(
        &mut read,
        &mut write,
        buf,
        limits,
        (&shared.inbound, &shared.out),
        &mut deliver,
        stop,
    )
    .await;
    if let Err(error) = ended {
        tracing::debug!(%error, "zmtp connection to the broker ended");
    }
    true
}
