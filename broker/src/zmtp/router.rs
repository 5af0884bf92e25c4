//! A ROUTER: binds, accepts any number of DEALER (or REQ, ROUTER) peers, routes by identity.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::conn::{self, In, Incoming, Out, ReadHalf, WriteHalf};
use super::endpoint::clear_ipc;
use super::{Endpoint, Limits, Received, SendError};

/// A bound ROUTER; see the [module docs](super). Dropping it closes the listener and every connection.
pub struct Router {
    shared: Arc<Shared>,
    endpoint: String,
    /// Cancelled when the router is dropped: the listener closes.
    accepting: CancellationToken,
    /// Cancelled a linger later: every connection closes.
    stop: CancellationToken,
}

struct Shared {
    state: Mutex<State>,
    /// Woken when the inbox goes from empty to not empty.
    input: Notify,
    limits: Limits,
    /// Connections accepted, for logs and tests.
    accepted: AtomicU64,
}

#[derive(Default)]
struct State {
    inbox: VecDeque<(Arc<In>, Incoming)>,
    peers: HashMap<Bytes, Peer>,
    next_auto_id: u32,
    next_serial: u64,
    /// The router was dropped.
    closed: bool,
}

struct Peer {
    serial: u64,
    out: Arc<Out>,
    stop: CancellationToken,
}

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.state.lock().unwrap_or_else(PoisonError::into_inner)
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Router {
    /// Binds `endpoint` (inside a tokio runtime) and starts accepting.
    pub fn bind(endpoint: &Endpoint, mut limits: Limits) -> io::Result<Router> {
        limits.hwm = limits.hwm.max(1);
        let runtime = super::runtime()?;
        let (listener, shown) = match endpoint {
            Endpoint::Tcp { host, port } => {
                let std = std::net::TcpListener::bind((host.as_str(), *port))?;
                std.set_nonblocking(true)?;
                let port = std.local_addr()?.port();
                (
                    Listener::Tcp(TcpListener::from_std(std)?),
                    endpoint.display_with_port(port),
                )
            }
            Endpoint::Ipc(path) => {
                clear_ipc(path)?;
                (
                    Listener::Unix(UnixListener::bind(path)?),
                    endpoint.display_with_port(0),
                )
            }
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                next_auto_id: rand_start(),
                ..State::default()
            }),
            input: Notify::new(),
            limits,
            accepted: AtomicU64::new(0),
        });
        let stop = CancellationToken::new();
        let accepting = stop.child_token();
        runtime.spawn(accept_loop(
            listener,
            shared.clone(),
            accepting.clone(),
            stop.clone(),
        ));
        Ok(Router {
            shared,
            endpoint: shown,
            accepting,
            stop,
        })
    }

    /// The bound endpoint, with the port chosen when it was `*` or 0 (libzmq's `ZMQ_LAST_ENDPOINT`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Takes the next message into `frames` (routing identity first) without waiting.
    pub fn try_recv(&self, frames: &mut Vec<Bytes>) -> Received {
        frames.clear();
        let Some((inbound, incoming)) = lock(&self.shared).inbox.pop_front() else {
            return Received::Empty;
        };
        inbound.taken(self.shared.limits.hwm);
        incoming.into_frames(frames)
    }

    /// Whether a message is waiting.
    pub fn has_input(&self) -> bool {
        !lock(&self.shared).inbox.is_empty()
    }

    /// Waits until a message is waiting (at once if one is).
    pub async fn readable(&self) {
        conn::input_ready(&self.shared.input, || self.has_input()).await;
    }

    /// Queues `frames[1..]` to the peer whose routing identity is `frames[0]`.
    pub fn try_send(&self, frames: &[Bytes]) -> Result<(), SendError> {
        let Some((identity, message)) = frames.split_first() else {
            return Err(SendError::Unreachable);
        };
        let out = match lock(&self.shared).peers.get(identity) {
            Some(peer) => peer.out.clone(),
            None => return Err(SendError::Unreachable),
        };
        out.push(message, self.shared.limits.hwm)
    }

    /// Connections accepted so far (handshake done or not).
    pub fn accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::Relaxed)
    }
}

impl Drop for Router {
    /// Stops accepting at once; connections write what they queued for up to [`super::LINGER`].
    fn drop(&mut self) {
        self.accepting.cancel();
        let mut state = lock(&self.shared);
        state.closed = true;
        for (_, peer) in state.peers.drain() {
            peer.out.close();
        }
        drop(state);
        super::linger_then_cancel(self.stop.clone());
    }
}

/// Where automatic identities start, so a restarted broker does not hand out the same ones at once.
fn rand_start() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    nanos ^ std::process::id().rotate_left(16)
}

async fn accept_loop(
    listener: Listener,
    shared: Arc<Shared>,
    accepting: CancellationToken,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            () = accepting.cancelled() => return,
            accepted = accept(&listener) => accepted,
        };
        match accepted {
            Ok((read, write)) => {
                shared.accepted.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(serve(read, write, shared.clone(), stop.child_token()));
            }
            Err(error) => {
                // Out of descriptors or the like: the same error again at once would spin.
                tracing::warn!(%error, "zmtp accept failed");
                tokio::select! {
                    () = accepting.cancelled() => return,
                    () = tokio::time::sleep(super::RECONNECT_INTERVAL) => {}
                }
            }
        }
    }
}

async fn accept(listener: &Listener) -> io::Result<(ReadHalf, WriteHalf)> {
    match listener {
        Listener::Tcp(l) => l.accept().await.map(|(s, _)| conn::split_tcp(s)),
        Listener::Unix(l) => l.accept().await.map(|(s, _)| conn::split_unix(s)),
    }
}

/// One peer, from handshake to close.
async fn serve(
    mut read: ReadHalf,
    mut write: WriteHalf,
    shared: Arc<Shared>,
    stop: CancellationToken,
) {
    let limits = shared.limits;
    let handshake = tokio::select! {
        () = stop.cancelled() => return,
        done = conn::handshake(&mut read, &mut write, "ROUTER", true, Some(b""), limits) => done,
    };
    let (peer, buf) = match handshake {
        Ok(done) => done,
        Err(error) => return tracing::debug!(%error, "zmtp handshake failed"),
    };
    let out = Arc::new(Out::default());
    let inbound = Arc::new(In::default());
    let (identity, serial) = {
        let mut state = lock(&shared);
        let identity = if peer.identity.is_empty() {
            state.next_auto_id = state.next_auto_id.wrapping_add(1);
            let mut id = vec![0u8];
            id.extend_from_slice(&state.next_auto_id.to_be_bytes());
            Bytes::from(id)
        } else {
            peer.identity
        };
        state.next_serial += 1;
        let serial = state.next_serial;
        let new = Peer {
            serial,
            out: out.clone(),
            stop: stop.clone(),
        };
        if let Some(old) = state.peers.insert(identity.clone(), new) {
            // ZMQ_ROUTER_HANDOVER: the new connection takes the identity; the old one is closed.
            old.out.close();
            old.stop.cancel();
        }
        if state.closed {
            // The router was dropped during the handshake.
            state.peers.remove(&identity);
            return;
        }
        (identity, serial)
    };
    tracing::debug!(identity = ?identity, socket_type = %peer.socket_type, "zmtp peer connected");
    let mut deliver = |incoming: Incoming| {
        let incoming = match incoming {
            Incoming::Message(mut frames) => {
                frames.insert(0, identity.clone());
                Incoming::Message(frames)
            }
            other => other,
        };
        let item = (inbound.clone(), incoming);
        conn::hand_over(&mut lock(&shared).inbox, item, &shared.input);
    };
    let ended = conn::run(
        &mut read,
        &mut write,
        buf,
        limits,
        (&inbound, &out),
        &mut deliver,
        &stop,
    )
    .await;
    out.close();
    {
        let mut state = lock(&shared);
        if state
            .peers
            .get(&identity)
            .is_some_and(|p| p.serial == serial)
        {
            state.peers.remove(&identity);
            inbound.added();
            let item = (inbound.clone(), Incoming::Gone(identity.clone()));
            conn::hand_over(&mut state.inbox, item, &shared.input);
        }
    }
    match ended {
        Ok(()) | Err(conn::End::Eof) => tracing::debug!(identity = ?identity, "zmtp peer gone"),
        Err(error) => tracing::info!(identity = ?identity, %error, "zmtp peer dropped"),
    }
}
